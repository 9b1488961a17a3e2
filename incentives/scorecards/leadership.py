"""The leadership pack: the organisation's month, teams side by side, movers, training and
authority coverage, and hiring-test validity.

PURE: no Flask, no database. ``incentives.scorecards.queries.leadership_pack`` gathers the
inputs; the web page and the PDF render the :class:`LeadershipPack` built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core import charts
from incentives.scorecards.cards import (
    CoverageRow,
    Summary,
    average_score,
    distribution,
    score_chart,
    short_month,
    status_text,
    summary_of,
    team_members,
)
from incentives.scorecards.validity import Validity
from incentives.scoring.rep_scores import MonthScores
from incentives.scoring.tables import score_text
from incentives.tickets import metrics


@dataclass(frozen=True)
class Mover:
    rep_id: int
    name: str
    team: str
    before: str
    now: str
    change: str
    up: bool


@dataclass(frozen=True)
class TeamLine:
    team_id: int
    name: str
    summary: Summary
    values: tuple[str, ...]  # the organisation's month metrics for the team


@dataclass(frozen=True)
class ValidityRow:
    label: str
    rho: str
    band: str
    words: str
    bar: Markup


@dataclass(frozen=True)
class LeadershipPack:
    month: str
    month_label: str
    is_closed: bool
    status: str
    plan_label: str
    currency: str
    summary: Summary
    previous_average: str
    change: str
    organisation: tuple[tuple[str, str], ...]  # (metric label, value)
    distribution: Markup
    trend: Markup
    movers_up: tuple[Mover, ...]
    movers_down: tuple[Mover, ...]
    teams: tuple[TeamLine, ...]
    team_metric_labels: tuple[str, ...]
    team_chart: Markup
    coverage: tuple[CoverageRow, ...]
    coverage_chart: Markup
    assignments_done: str
    assignments_overdue: int
    validity: Validity | None
    validity_rows: tuple[ValidityRow, ...]
    open_disputes: int
    unattributed: int
    generated: str
    #: Which clock the organisation's first-reply and resolution figures used.
    clocks: str = ""


#: Organisation metrics shown in the pack and the team comparison, with their columns.
ORG_METRICS = [
    ("tickets_solved", "Solved"),
    ("first_response_median_min", "First reply"),
    ("resolution_median_h", "Resolution"),
    ("timely_rate", "Timely"),
    ("csat_raw", "CSAT"),
    ("nps", "NPS"),
    ("reopen_rate", "Reopened"),
]


def _metric_text(column: str, value: Any) -> str:
    return metrics.format_value(column, float("nan") if value is None else value)


def movers(
    current: MonthScores, previous: MonthScores | None, count: int = 5
) -> tuple[list[Mover], list[Mover]]:
    """The reps whose score rose and fell most since the month before."""
    if previous is None:
        return [], []
    changes = []
    for rep_id, score in current.scores.items():
        before = previous.scores.get(rep_id)
        if score.score is None or before is None or before.score is None:
            continue
        changes.append((score.score - before.score, rep_id, before.score, score.score))
    person = current.people

    def mover(delta: float, rep_id: int, before: float, now: float) -> Mover:
        return Mover(
            rep_id,
            person[rep_id].name,
            person[rep_id].team_name or "No team",
            score_text(before),
            score_text(now),
            f"{delta:+.1f}",
            delta > 0,
        )

    ups = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1]))
    downs = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1]))
    return [mover(*c) for c in ups[:count]], [mover(*c) for c in downs[:count]]


def leadership_pack(
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    coverage: Sequence[CoverageRow] = (),
    assignments: tuple[int, int, int] = (0, 0, 0),
    validity: Validity | None = None,
    open_disputes: int = 0,
    finals: Mapping[int, Decimal] | None = None,
    generated_at: dt.datetime,
) -> LeadershipPack:
    """The organisation's month for leadership: summary, distribution, movers, teams side
    by side, training and authority coverage, and hiring-test validity.

    :param assignments: (done, all, overdue) training assignments of active reps.
    :param finals: rep id -> final payout of the month (``payout_queries.finals_of``):
        the payouts shown, as on the payouts page.
    """
    current = history[-1]
    previous = history[-2] if len(history) > 1 else None
    currency = current.currency
    scores = list(current.scores.values())
    summary = summary_of(scores, currency, len(current.people), finals)
    now_avg = average_score(current, None)
    before_avg = average_score(previous, None) if previous else None
    change = (
        f"{now_avg - before_avg:+.1f}"
        if now_avg is not None and before_avg is not None
        else "—"
    )
    ups, downs = movers(current, previous)
    team_lines = []
    for team_id, values in sorted(
        current.teams.items(), key=lambda item: str(item[1].get("team_name", ""))
    ):
        members = [
            current.scores[r]
            for r in team_members(current, team_id)
            if r in current.scores
        ]
        team_lines.append(
            TeamLine(
                team_id,
                str(values.get("team_name", "")),
                summary_of(members, currency, len(members), finals),
                tuple(_metric_text(c, values.get(c)) for c, _label in ORG_METRICS),
            )
        )
    team_averages = [
        (line.name, average_score(current, team_members(current, line.team_id)))
        for line in team_lines
    ]
    validity_rows = ()
    if validity is not None:
        validity_rows = tuple(
            ValidityRow(
                p.label,
                "—" if p.rho is None else f"{p.rho:+.2f}",
                "—"
                if p.low is None or p.high is None
                else f"{p.low:+.2f} to {p.high:+.2f}",
                p.words,
                charts.diverging(p.rho, label=f"{p.label}: correlation"),
            )
            for p in validity.predictors
        )
    done, total, overdue = assignments
    return LeadershipPack(
        month=current.month,
        month_label=metrics.month_label(current.month),
        is_closed=current.is_closed,
        status=status_text(current, tz),
        plan_label=current.plan_label or "No plan in force",
        currency=currency,
        summary=summary,
        previous_average=score_text(before_avg),
        change=change,
        organisation=tuple(
            (label, _metric_text(column, current.organisation.get(column)))
            for column, label in ORG_METRICS
        ),
        distribution=distribution(
            [s.score for s in scores if s.score is not None],
            "Scores by band, whole organisation",
        ),
        trend=score_chart(
            [(short_month(m.month), average_score(m, None)) for m in history],
            current.plan,
            "Average score by month",
        ),
        movers_up=tuple(ups),
        movers_down=tuple(downs),
        teams=tuple(team_lines),
        team_metric_labels=tuple(label for _c, label in ORG_METRICS),
        team_chart=charts.labelled_bars(
            team_averages,
            maximum=max([100.0, *(v or 0 for _n, v in team_averages)]),
            value_format="{:.1f}",
            label="Average score by team",
        ),
        coverage=tuple(coverage),
        coverage_chart=charts.labelled_bars(
            [
                (row.name, 100.0 * row.holders / row.reps if row.reps else 0.0)
                for row in coverage
            ],
            maximum=100,
            width=460,
            label_width=190,
            value_format="{:.0f}%",
            label="Share of active reps holding each authority",
        ),
        assignments_done=f"{100 * done / total:.0f}%" if total else "—",
        assignments_overdue=overdue,
        validity=validity,
        validity_rows=validity_rows,
        open_disputes=open_disputes,
        unattributed=int(current.organisation.get("unattributed") or 0),
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
        clocks=metrics.durations_words(
            current.organisation.get("first_response_clock"),
            current.organisation.get("resolution_clock"),
        ),
    )
