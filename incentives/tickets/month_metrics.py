"""A month's metrics computed from its tickets: the figures every metrics page, panel,
export and score shows.

This module only computes. Which figures a page reads, where they are kept and when
they are out of date is :mod:`incentives.month_cache` (``month_cache.month_figures`` is
the one truth of a month: accepted disputes applied, a closed month as it was closed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from incentives.tickets import columnar, metrics
from incentives.tickets.clock import Clock
from incentives.tickets.months import closed_label
from incentives.tickets.queries import (
    Scope,
    get_opening_hours,
    get_sla_targets,
    list_reps,
    load_tickets,
    org_timezone,
    rep_ids_in,
    team_choices,
)

#: Ticket pk -> (rep id, team id) the ticket counts for instead of its agent's rep (a rep
#: id of ``None``: nobody). Accepted disputes give these (``scoring.disputes``).
Attribution = Mapping[int, tuple[int | None, int | None]]
#: The QA score of the month's counted quality reviews (0-100) and their number, per rep,
#: team and organisation: added to the figures by ``incentives.month_qa`` (not from
#: tickets); figures kept before they were have none.
QA_COLUMNS = ["qa_score", "qa_reviews"]
#: Every figure of a rep, team or the organisation: the ticket metrics, then QA.
FIGURE_COLUMNS = [*metrics.METRIC_COLUMNS, *QA_COLUMNS]


@dataclass
class MonthMetrics:
    """Everything the month's metrics page shows, ready to render."""

    month: str
    clock: Clock
    reps: pd.DataFrame  # rep metrics + name, email, team_id, team_name
    teams: pd.DataFrame  # team metrics + team_name
    groups: pd.DataFrame | None = None
    organisation: pd.Series | None = None
    unattributed: int = 0
    #: The organisation's solved tickets whose helpdesk recorded whether they met their
    #: SLA: that verdict, not our targets, counted them as within target or not.
    sla_recorded: int = 0
    #: Each rep's metrics per channel group (``metrics.rep_channel_metrics``): what plans
    #: with thresholds per channel group score; ``None`` in figures kept before it was.
    rep_channels: pd.DataFrame | None = None
    #: A closed month: the day it was closed (organisation's time zone) and by whom.
    closed_on: dt.date | None = None
    closed_by: str = ""

    @property
    def closed_label(self) -> str:
        """ "Closed on 3 June 2026 by Helen Carter", or "" for an open month."""
        if self.closed_on is None:
            return ""
        return closed_label(self.closed_on, self.closed_by)

    @property
    def duration_clocks(self) -> tuple[str | None, str | None]:
        """The clocks the first-reply and resolution figures shown were measured on
        (``calendar``, ``business``, ``mixed`` or ``None``): the organisation's when it
        is part of these figures, else those of the reps' rows together."""
        if self.organisation is not None:
            return (
                metrics.combined_clock([self.organisation.get("first_response_clock")]),
                metrics.combined_clock([self.organisation.get("resolution_clock")]),
            )
        return (
            metrics.combined_clock(self.reps.get("first_response_clock", ())),
            metrics.combined_clock(self.reps.get("resolution_clock", ())),
        )

    @cached_property
    def rep_rows(self) -> dict[int, dict[str, Any]]:
        """Each rep's figures (:data:`FIGURE_COLUMNS`) as a plain dict, made once: a
        dashboard reads one rep's at a time, and a pandas lookup costs milliseconds."""
        return self.reps.reindex(columns=FIGURE_COLUMNS).to_dict("index")

    @cached_property
    def rep_channel_rows(self) -> dict[int, dict[str, dict[str, Any]]]:
        """Each rep's metrics per channel group as plain dicts: rep id -> group -> row."""
        rows: dict[int, dict[str, dict[str, Any]]] = {}
        if self.rep_channels is None:
            return rows
        for row in self.rep_channels.to_dict("records"):
            rows.setdefault(int(row["rep_id"]), {})[str(row["channel_group"])] = row
        return rows

    @property
    def has_tickets(self) -> bool:
        return bool(self.reps["tickets_solved"].sum()) or bool(
            self.organisation is not None and self.organisation["tickets_solved"]
        )

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data that :meth:`from_data` turns back into equal figures.

        :raises ValueError: a frame holds something ``columnar`` cannot keep.
        """
        return {
            "month": self.month,
            "clock": self.clock.value,
            "reps": columnar.frame_to_data(self.reps),
            "teams": columnar.frame_to_data(self.teams),
            "groups": None
            if self.groups is None
            else columnar.frame_to_data(self.groups),
            "organisation": None
            if self.organisation is None
            else columnar.series_to_data(self.organisation),
            "unattributed": self.unattributed,
            "sla_recorded": self.sla_recorded,
            "rep_channels": None
            if self.rep_channels is None
            else columnar.frame_to_data(self.rep_channels),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MonthMetrics:
        """The figures :meth:`to_data` was given.

        :raises ValueError, KeyError, TypeError: data of another shape or format.
        """
        groups, organisation = data["groups"], data["organisation"]
        rep_channels = data.get("rep_channels")
        return cls(
            month=str(data["month"]),
            clock=Clock(data["clock"]),
            reps=columnar.frame_from_data(data["reps"]),
            teams=columnar.frame_from_data(data["teams"]),
            groups=None if groups is None else columnar.frame_from_data(groups),
            organisation=None
            if organisation is None
            else columnar.series_from_data(organisation),
            unattributed=int(data["unattributed"]),
            # Figures kept before verdicts were read had none.
            sla_recorded=int(data.get("sla_recorded", 0)),
            rep_channels=None
            if rep_channels is None
            else columnar.frame_from_data(rep_channels),
        )


def cut(whole: MonthMetrics, scope: Scope, team_id: int | None) -> MonthMetrics:
    """What ``scope`` may see of the organisation's figures, optionally one team's (new
    frames; ``whole`` stays)."""
    if (
        team_id is not None
        and scope.team_ids is not None
        and team_id not in scope.team_ids
    ):
        team_id = None
    reps, teams = whole.reps, whole.teams
    if scope.rep_ids is not None:
        reps = reps[reps.index.isin(scope.rep_ids)]
    if scope.team_ids is not None:
        teams = teams[teams.index.isin(scope.team_ids)]
    if team_id is not None:
        reps = reps[reps["team_id"] == team_id]
        teams = teams[teams.index == team_id]
    result = MonthMetrics(whole.month, whole.clock, reps.copy(), teams.copy())
    result.closed_on, result.closed_by = whole.closed_on, whole.closed_by
    if scope.organisation:
        result.groups = whole.groups
        result.organisation = whole.organisation
        result.unattributed = whole.unattributed
        result.sla_recorded = whole.sla_recorded
    return result


def compute(
    month: str,
    scope: Scope,
    team_id: int | None = None,
    *,
    attribution: Attribution | None = None,
) -> MonthMetrics:
    """Work out the month's figures from its tickets, for what ``scope`` may see.

    :param attribution: tickets that count for another rep or nobody (every ticket is
        read then, whatever the scope, since one may move into it).
    """
    month = metrics.parse_month(month)
    if (
        team_id is not None
        and scope.team_ids is not None
        and team_id not in scope.team_ids
    ):
        team_id = None
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    reps = list_reps(scope, team_id)
    rep_filter = scope.rep_ids if not scope.organisation and not attribution else None
    tickets = reattribute(load_tickets(start, end, rep_ids=rep_filter), attribution)
    hours = get_opening_hours()
    measures = metrics.measure_tickets(
        tickets, month=month, tz=tz, targets=get_sla_targets(), hours=hours
    )
    per_rep = metrics.rep_metrics(measures, rep_ids=list(reps.index))
    if team_id is not None or scope.rep_ids is not None:
        per_rep = per_rep[per_rep.index.isin(reps.index)]
    names = list_reps(Scope(frozenset(per_rep.index.tolist()), None, False))
    table = per_rep.join(names, how="left")
    table["name"] = table["name"].fillna("(former rep)")
    table = table[
        (table["tickets_solved"] > 0) | table["is_active"].fillna(False).astype(bool)
    ]

    team_rows = team_choices(scope)
    if team_id is not None:
        team_rows = [t for t in team_rows if t[0] == team_id]
    per_team = metrics.team_metrics(measures, team_ids=[t[0] for t in team_rows])
    per_team = per_team[per_team.index.isin([t[0] for t in team_rows])]
    per_team = per_team.join(
        pd.Series(dict(team_rows), name="team_name", dtype=object), how="left"
    ).sort_values("team_name")

    result = MonthMetrics(month, metrics.clock_for(hours), table, per_team)
    if scope.organisation:
        result.groups = metrics.group_metrics(measures)
        result.organisation = metrics.organisation_metrics(measures)
        result.unattributed = int(measures["rep_id"].isna().sum())
        result.sla_recorded = int(measures["sla_recorded"].sum())
        result.rep_channels = metrics.rep_channel_metrics(measures)
    return result


def sla_note(recorded: int) -> str:
    """What the figures say of the tickets whose helpdesk recorded their SLA outcome
    ("" when none did)."""
    if not recorded:
        return ""
    tickets = "1 ticket" if recorded == 1 else f"{recorded:,} tickets"
    return (
        f"Timely (solved within target): the SLA outcome the helpdesk recorded decides for "
        f"{tickets}, the SLA targets for any others."
    )


#: Drill-down: which tickets stand behind each metric.
DRILLDOWN = {
    "tickets_solved": ("Tickets solved", None),
    "first_response_median_min": ("First reply", "first_response_min"),
    "resolution_median_h": ("Resolution", "resolution_h"),
    "timely_rate": ("Solved within target", "timely"),
    "csat_raw": ("Rated tickets", "satisfied"),
    "nps": ("NPS answers", "nps"),
    "reopen_rate": ("Reopens", "reopened"),
    "review_followup_rate": ("Public reviews", "is_review"),
}


def month_tickets(month: str, *, rep_id: int | None) -> pd.DataFrame:
    """One rep's measured tickets of the month (``None``: the unattributed ones).

    :return: ``metrics.measure_tickets`` columns plus ``source``, ``external_id``,
        ``tags`` and ``agent_label``.
    """
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(
        start,
        end,
        rep_ids=[rep_id] if rep_id is not None else None,
        unattributed_only=rep_id is None,
        details=True,
    )
    return metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )


def behind(measures: pd.DataFrame, metric: str = "tickets_solved") -> pd.DataFrame:
    """The measured tickets behind one metric (a key of :data:`DRILLDOWN`), newest first."""
    _label, column = DRILLDOWN.get(metric, DRILLDOWN["tickets_solved"])
    if column == "is_review":
        measures = measures[measures["is_review"] == 1]
    elif column is not None:
        measures = measures[measures[column].notna()]
    return measures.sort_values(["solved_at", "ticket_pk"], ascending=False)


def ticket_rows(
    month: str, *, rep_id: int | None = None, metric: str = "tickets_solved"
) -> pd.DataFrame:
    """The tickets behind one of a rep's numbers (or the unattributed ones)."""
    return behind(month_tickets(month, rep_id=rep_id), metric)


def reattribute(tickets: pd.DataFrame, attribution: Attribution | None) -> pd.DataFrame:
    """Tickets counted for the reps ``attribution`` says (a new frame when it moves one)."""
    if not attribution or tickets.empty:
        return tickets
    hit = tickets["ticket_pk"].isin(list(attribution))
    if not hit.any():
        return tickets
    frame = tickets.copy()
    keys = frame.loc[hit, "ticket_pk"]
    frame.loc[hit, "rep_id"] = pd.array(
        [attribution[int(k)][0] for k in keys], dtype="Int64"
    )
    frame.loc[hit, "team_id"] = pd.array(
        [attribution[int(k)][1] for k in keys], dtype="Int64"
    )
    return frame


def compute_rep(rep_id: int, month: str) -> pd.Series:
    """One rep's metrics of the month from their own tickets (a row of zeros when they
    solved nothing); for a month no accepted dispute touches."""
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(start, end, rep_ids=[rep_id])
    measures = metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )
    return metrics.rep_metrics(measures, rep_ids=[rep_id]).loc[rep_id]


def compute_teams(team_ids: list[int], month: str) -> pd.DataFrame:
    """Metrics per team for the teams given, from those teams' tickets; for a month no
    accepted dispute touches."""
    scope = Scope(
        frozenset(rep_ids_in(frozenset(team_ids))), frozenset(team_ids), False
    )
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(start, end, rep_ids=scope.rep_ids)
    measures = metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )
    per_team = metrics.team_metrics(measures, team_ids=team_ids)
    per_team = per_team[per_team.index.isin(team_ids)]
    return per_team.join(
        pd.Series(dict(team_choices(scope)), name="team_name", dtype=object)
    )


def team_rows(whole: MonthMetrics, team_ids: list[int]) -> pd.DataFrame:
    return whole.teams[whole.teams.index.isin(team_ids)].copy()


def organisation_row(whole: MonthMetrics) -> pd.Series:
    """The organisation's figures, with the count of unattributed tickets."""
    summary = whole.organisation.copy()  # type: ignore[union-attr]
    summary["unattributed"] = whole.unattributed
    return summary
