"""Reads for scoring: plans, month scores (frozen or live), closed months and disputes.

A month's scores come from one of two places, and every page, PDF, export and e-mail takes
them from :func:`month_scores`:

* a **closed** month reads the snapshot its close stored (plan version, every rep's
  score with each step, the figures behind it); later imports cannot touch it;
* an **open** month is scored now under the plan in force, from the month's figures
  (``month_cache.month_figures``: the tickets as imported with every accepted dispute
  applied), the same figures every metrics page shows.

Where scores are kept and when they are out of date is :mod:`incentives.month_cache`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.access import Viewer, visible_team_ids
from core.db import db
from core.people import Team, User
from incentives import month_cache
from incentives.scoring import month_plans, tables
from incentives.scoring.disputes import DisputeStatus
from incentives.scoring.models import (
    IncentivePlan,
    MonthClose,
    MonthScore,
    PlanVersion,
    TicketDispute,
)
from incentives.scoring.rep_scores import (
    CloseInfo,
    MonthScores,
    Person,
    RepMonth,
    RepScore,
    score_rep,
)
from incentives.scoring.score_data import score_from_data
from incentives.tickets import metrics, month_metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket, TicketAgent
from incentives.tickets.months import Month
from incentives.tickets.months import closed_label as month_closed_label

# --- plans --------------------------------------------------------------------------------


def list_plans() -> list[IncentivePlan]:
    """Every plan, the one in force first, then by name."""
    return list(
        db.session.scalars(
            select(IncentivePlan).order_by(
                IncentivePlan.is_active.desc(), IncentivePlan.name
            )
        )
    )


def get_active_plan() -> IncentivePlan | None:
    return db.session.scalar(
        select(IncentivePlan).where(IncentivePlan.is_active.is_(True)).limit(1)
    )


def get_active_version() -> PlanVersion | None:
    """The newest version of the plan in force: what open months are scored with."""
    plan = get_active_plan()
    return plan.current if plan is not None and plan.versions else None


def get_plan_by_name(name: str) -> IncentivePlan | None:
    return db.session.scalar(select(IncentivePlan).where(IncentivePlan.name == name))


def locked_version_ids() -> set[int]:
    """Plan versions a closed month used (ever), for the organisation or a team: they
    can no longer change."""
    return set(db.session.scalars(select(MonthClose.plan_version_id).distinct())) | set(
        db.session.scalars(
            select(MonthScore.plan_version_id)
            .where(MonthScore.plan_version_id.is_not(None))
            .distinct()
        )
    )


def months_using(version_id: int) -> list[str]:
    """Months closed (closes in force) with this plan version: as the organisation's, or
    as the version that scored some of their reps (a team's)."""
    in_force = MonthClose.reopened_at.is_(None)
    by_close = select(MonthClose.month).where(
        MonthClose.plan_version_id == version_id, in_force
    )
    by_rep = (
        select(MonthClose.month)
        .join(MonthScore, MonthScore.close_id == MonthClose.id)
        .where(MonthScore.plan_version_id == version_id, in_force)
    )
    return sorted(set(db.session.scalars(by_close)) | set(db.session.scalars(by_rep)))


def team_ids_by_name() -> dict[str, int]:
    return {name: id_ for id_, name in db.session.execute(select(Team.id, Team.name))}


# --- closed months ------------------------------------------------------------------------


def get_close(month: str) -> MonthClose | None:
    """The close in force for ``month`` (``None``: the month is open)."""
    return month_cache.get_close(str(month))


def closes_in_force() -> dict[str, MonthClose]:
    """Month -> its close, for every closed month."""
    rows = db.session.scalars(
        select(MonthClose)
        .where(MonthClose.reopened_at.is_(None))
        .order_by(MonthClose.id)
    )
    return {close.month: close for close in rows}


def close_history(month: str | None = None) -> list[MonthClose]:
    """Every close (reopened ones too), newest first."""
    stmt = select(MonthClose).order_by(MonthClose.id.desc())
    if month is not None:
        stmt = stmt.where(MonthClose.month == month)
    return list(db.session.scalars(stmt))


# --- disputes -----------------------------------------------------------------------------


def accepted_changes() -> dict[int, tuple[int | None, int | None]]:
    """Ticket id -> (rep id, team id) it counts for: ``month_cache.accepted_changes``."""
    return dict(month_cache.accepted_changes())


def list_disputes(
    viewer: Viewer,
    *,
    status: DisputeStatus | None = DisputeStatus.OPEN,
    month: str | None = None,
    rep_id: int | None = None,
) -> list[TicketDispute]:
    """Disputes the viewer may see, newest first: their own and those that gave them a
    ticket, their teams' reps' (either side of a reassignment), or all."""
    stmt = select(TicketDispute).join(User, User.id == TicketDispute.rep_id)
    teams = visible_team_ids(viewer)
    if teams is not None:
        given_to = aliased(User)
        stmt = stmt.outerjoin(given_to, given_to.id == TicketDispute.reassigned_to_id)
        stmt = stmt.where(
            User.team_id.in_(teams or {-1})
            | given_to.team_id.in_(teams or {-1})
            | (TicketDispute.rep_id == viewer.user_id)
            | (TicketDispute.reassigned_to_id == viewer.user_id)
        )
    if status is not None:
        stmt = stmt.where(TicketDispute.status == status)
    if month is not None:
        stmt = stmt.where(TicketDispute.month == month)
    if rep_id is not None:
        stmt = stmt.where(TicketDispute.rep_id == rep_id)
    return list(
        db.session.scalars(
            stmt.order_by(TicketDispute.filed_at.desc(), TicketDispute.id.desc())
        )
    )


def count_open_disputes(month: str | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(TicketDispute)
        .where(TicketDispute.status == DisputeStatus.OPEN)
    )
    if month is not None:
        stmt = stmt.where(TicketDispute.month == month)
    return db.session.scalar(stmt) or 0


def disputes_by_ticket(ticket_ids: list[int]) -> dict[int, TicketDispute]:
    """The latest dispute of each of these tickets."""
    found: dict[int, TicketDispute] = {}
    for start in range(0, len(ticket_ids), ticket_queries.IN_BATCH):
        for dispute in db.session.scalars(
            select(TicketDispute)
            .where(TicketDispute.ticket_id.in_(ticket_ids[start : start + 500]))
            .order_by(TicketDispute.id)
        ):
            found[dispute.ticket_id] = dispute
    return found


def get_open_dispute(ticket_id: int) -> TicketDispute | None:
    return db.session.scalar(
        select(TicketDispute).where(
            TicketDispute.ticket_id == ticket_id,
            TicketDispute.status == DisputeStatus.OPEN,
        )
    )


# --- month scores -------------------------------------------------------------------------


def close_info(close: MonthClose) -> CloseInfo:
    """A close as plain data (safe to keep between requests)."""
    on, by = month_cache.closed_on_by(close)
    return CloseInfo(
        close.id,
        close.closed_at,
        by,
        close.note,
        close.ticket_fingerprint,
        close.ticket_count,
        close.open_disputes,
        on,
    )


def forget_cached_scores() -> None:
    """Drop the figures and scores this process keeps (``month_cache.forget``)."""
    month_cache.forget()


def month_scores(
    month: Month | str, *, close: MonthClose | bool | None = True
) -> MonthScores:
    """The month's scores: the snapshot of a closed month, else scored now.

    :param close: the month's close when the caller has it, ``True`` to look it up.
    """
    scores = _month_scores(str(month), close=close, read_tickets=True)
    if scores is None:  # reading the tickets always scores the month
        raise RuntimeError(f"no scores for {month}")
    return scores


def month_scores_at_hand(month: Month | str) -> MonthScores | None:
    """The month's scores if they can be had without reading its tickets: the month is
    closed, or its scores are kept here, or its figures are at hand
    (``month_cache.figures_at_hand``). ``None`` otherwise (say, just after an import,
    before its figures are computed ahead)."""
    return _month_scores(str(month), close=True, read_tickets=False)


@dataclass(frozen=True)
class RepMonthScore:
    """One rep's score of a month (``None``: not scored that month)."""

    score: RepScore | None
    currency: str
    is_closed: bool


def rep_month_score(
    month: str, rep_id: int, *, read_tickets: bool = True
) -> RepMonthScore | None:
    """One rep's score of ``month``, for a dashboard.

    Unless the whole month is kept here already, the rep's score is worked out alone (a
    worker's first dashboard need not build a thousand scores): a closed month's kept
    score is read, an open month's is scored from the month's figures at hand. Failing
    that, the month is scored as :func:`month_scores` does; with ``read_tickets`` false,
    ``None`` when that would mean reading its tickets (see :func:`month_scores_at_hand`).
    """
    month = str(month)
    close = get_close(month)
    if close is not None:
        kept = month_cache.kept_scores(month_cache.close_key(close))
        if kept is not None:
            return RepMonthScore(kept.scores.get(rep_id), kept.currency, True)
        detail = db.session.scalar(
            select(MonthScore.detail).where(
                MonthScore.rep_id == rep_id,
                MonthScore.month == month,
                MonthScore.close_id == close.id,
            )
        )
        return RepMonthScore(
            None if detail is None else score_from_data(detail),
            close.plan_version.rules.currency,
            True,
        )
    key, versions = _open_month_key(month)
    kept = month_cache.kept_scores(key)
    if kept is None:
        alone = _one_rep_from_store(month, rep_id, versions)
        if alone is not None:
            return alone
    scores = kept or _month_scores(month, close=None, read_tickets=read_tickets)
    if scores is None:
        return None
    return RepMonthScore(scores.scores.get(rep_id), scores.currency, False)


def _month_scores(
    month: str, *, close: MonthClose | bool | None, read_tickets: bool
) -> MonthScores | None:
    found = get_close(month) if close is True else close
    if isinstance(found, MonthClose):
        key = month_cache.close_key(found)
        cached = month_cache.kept_scores(key)
        if cached is None:
            cached = _from_close(found)
            month_cache.keep_scores(key, cached)
        return cached
    key, versions = _open_month_key(month)
    cached = month_cache.kept_scores(key)
    if cached is None:
        figures = month_cache.open_figures_at_hand(month)
        if figures is None and not read_tickets:
            return None
        cached = compute_month(
            month, versions.organisation, figures=figures, team_versions=versions.teams
        )
        month_cache.keep_scores(key, cached)
    return cached


def _open_month_key(
    month: str,
) -> tuple[tuple[str, str], month_plans.MonthVersions]:
    """What an open month's scores are kept under here: the fingerprint of its figures
    and of every plan version that scores it (the organisation's and each team's); and
    those versions."""
    versions = month_plans.versions_for_month(month)
    fingerprint = hashlib.sha256(
        repr((month_cache.figures_version(), versions.key)).encode()
    ).hexdigest()
    return (month, fingerprint), versions


def _one_rep_from_store(
    month: str, rep_id: int, versions: month_plans.MonthVersions
) -> RepMonthScore | None:
    """One rep's score of an open month from its figures at hand, as
    :func:`compute_month` scores everyone; ``None`` when it would read tickets."""
    version = versions.organisation
    if version is None and not versions.teams:
        return RepMonthScore(None, "", False)
    stored = month_cache.open_figures_at_hand(month)
    if stored is None or stored.organisation is None:
        return None
    one = MonthScores(
        month=month,
        close=None,
        plan_version_id=version.id if version else None,
        plan_label=version.label if version else "",
        plan=version.rules if version else None,
        org_csat=_clean(stored.organisation["csat_raw"]),
        team_plans=_team_plans(versions.teams),
    )
    row, person = stored.rep_rows.get(rep_id), ticket_queries.get_rep(rep_id)
    if row is not None and person is not None and _counts(row, person):
        _add_rep(one, rep_id, row, person, stored.rep_channel_rows.get(rep_id))
    return RepMonthScore(one.scores.get(rep_id), one.currency, False)


def _from_close(close: MonthClose) -> MonthScores:
    result = MonthScores(
        month=close.month,
        close=close_info(close),
        plan_version_id=close.plan_version_id,
        plan_label=close.plan_version.label,
        plan=close.plan_version.rules,
        org_csat=close.org_csat,
        organisation=dict(close.summary.get("organisation", {})),
        teams={int(k): v for k, v in close.summary.get("teams", {}).items()},
        ticket_count=close.ticket_count,
    )
    rows = db.session.execute(
        select(
            MonthScore.rep_id,
            MonthScore.rep_name,
            MonthScore.rep_email,
            MonthScore.team_id,
            MonthScore.team_name,
            MonthScore.metrics,
            MonthScore.detail,
            MonthScore.plan_version_id,
        ).where(MonthScore.close_id == close.id)
    )
    versions: dict[int, PlanVersion] = {}
    for rep_id, name, email, team_id, team_name, values, detail, version_id in rows:
        result.people[rep_id] = Person(rep_id, name, email, team_id, team_name)
        result.metrics[rep_id] = values
        result.scores[rep_id] = score_from_data(detail)
        if version_id is not None and version_id != close.plan_version_id:
            if version_id not in versions:
                versions[version_id] = db.session.get(PlanVersion, version_id)
            version = versions[version_id]
            result.rep_plans[rep_id] = (version_id, version.label)
            # The team's own version scored its reps at close: as the open month had it.
            if team_id is not None:
                result.team_plans[int(team_id)] = (
                    version_id,
                    version.label,
                    version.rules,
                )
    return result


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _record(row: pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    return {column: _clean(row.get(column)) for column in month_metrics.FIGURE_COLUMNS}


def _team_plans(
    team_versions: Mapping[int, PlanVersion] | None,
) -> dict[int, tuple[int, str, Any]]:
    return {t: (v.id, v.label, v.rules) for t, v in (team_versions or {}).items()}


def compute_month(
    month: str,
    version: PlanVersion | None,
    *,
    figures: month_metrics.MonthMetrics | None = None,
    team_versions: Mapping[int, PlanVersion] | None = None,
) -> MonthScores:
    """Score ``month`` now under ``version`` (no scores without a plan), from its
    figures (``month_cache.month_figures`` unless given): the reps scored are those
    active or who solved a ticket, with the figures every metrics page shows.

    :param team_versions: team id -> the team's own version, which scores that team's
        reps instead of ``version`` (``month_plans.versions_for_month``).
    """
    if figures is None:
        figures = month_cache.month_figures(month)
    reps = ticket_queries.list_reps(ticket_queries.Scope(None, None, organisation=True))
    team_rows = ticket_queries.team_choices(
        ticket_queries.Scope(None, None, organisation=True)
    )
    organisation = month_metrics.organisation_row(figures)
    org_csat = _clean(organisation["csat_raw"])
    names = dict(team_rows)
    plan = version.rules if version is not None else None
    result = MonthScores(
        month=str(month),
        close=None,
        plan_version_id=version.id if version else None,
        plan_label=version.label if version else "",
        plan=plan,
        org_csat=org_csat,
        organisation=_record(organisation),
        teams={
            int(team_id): {**_record(row), "team_name": names.get(int(team_id), "")}
            for team_id, row in figures.teams.iterrows()
            if int(team_id) in names
        },
        ticket_count=int(organisation["tickets_solved"]),
        team_plans=_team_plans(team_versions),
    )
    result.organisation["unattributed"] = figures.unattributed
    _add_reps(
        result,
        figures.reps.reindex(columns=month_metrics.FIGURE_COLUMNS),
        reps,
        figures.rep_channel_rows,
    )
    return result


def _add_reps(
    result: MonthScores,
    per_rep: pd.DataFrame,
    reps: pd.DataFrame,
    channels: Mapping[int, Mapping[str, Mapping[str, Any]]],
) -> None:
    """Add to ``result`` the reps scored in its month, with their figures and, under a
    plan, their scores: reps of ``reps`` (``ticket_queries.list_reps``) who are active or solved
    a ticket. ``per_rep``: month figures by rep id (``month_metrics.FIGURE_COLUMNS``);
    ``channels``: the same per channel group (``MonthMetrics.rep_channel_rows``)."""
    # Plain dicts, not a pandas row per rep: a thousand reps are scored here.
    people = reps.to_dict("index")
    for rep_id, row in per_rep.to_dict("index").items():
        person = people.get(rep_id)
        if person is not None and _counts(row, person):
            _add_rep(result, int(rep_id), row, person, channels.get(rep_id))


def _counts(row: Mapping[str, Any], person: Mapping[str, Any]) -> bool:
    """Whether a rep is scored in a month: they are active, or solved a ticket in it."""
    return bool(person["is_active"]) or (_clean(row["tickets_solved"]) or 0) > 0


def _add_rep(
    result: MonthScores,
    rep_id: int,
    row: Mapping[str, Any],
    person: Mapping[str, Any],
    channel_rows: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Add one rep's figures (``row``, and ``channel_rows`` per channel group) and score
    to ``result``; ``person`` is their row of ``ticket_queries.list_reps``."""
    team_id = _clean(person["team_id"])
    result.people[rep_id] = Person(
        rep_id,
        str(person["name"]),
        str(person["email"]),
        None if team_id is None else int(team_id),
        str(person["team_name"] or "") if _clean(person["team_name"]) else "",
        bool(person["is_active"]),
    )
    values = _record(row)
    result.metrics[rep_id] = values
    team = None if team_id is None else int(team_id)
    version_id, label, plan = result.plan_for_team(team)
    if plan is not None:
        result.scores[rep_id] = score_rep(
            RepMonth.from_row(rep_id, team_id, values, channel_rows),
            plan,
            org_csat=result.org_csat,
        )
        if version_id != result.plan_version_id and version_id is not None:
            result.rep_plans[rep_id] = (version_id, label)


def ticket_fingerprint(month: str) -> tuple[str, int]:
    """SHA-256 over every ticket solved in the month as attributed now, and their count.

    Covers each ticket's imported content (its stored fingerprint), the agent and rep it
    counts for, and accepted disputes: any change to the tickets behind a month changes it.
    """
    tz = ticket_queries.org_timezone()
    start, end = metrics.month_bounds(month, tz)
    changes = accepted_changes()
    digest = hashlib.sha256()
    count = 0
    rows = db.session.execute(
        select(Ticket.id, Ticket.fingerprint, TicketAgent.rep_id)
        .outerjoin(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .where(Ticket.solved_at >= start, Ticket.solved_at < end)
        .order_by(Ticket.id)
    )
    for ticket_id, print_, rep_id in rows:
        if ticket_id in changes:
            rep_id = changes[ticket_id][0]
        digest.update(f"{ticket_id}:{print_}:{rep_id}\n".encode())
        count += 1
    return digest.hexdigest(), count


def score_history(months: list[str]) -> dict[str, MonthScores]:
    """Scores of several months (closed ones from their snapshots), by month."""
    closes = closes_in_force()
    return {m: month_scores(m, close=closes.get(m)) for m in months}


def trailing_months(month: str, count: int = 6) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    return [metrics.shift_month(month, offset) for offset in range(1 - count, 1)]


def export_rows(
    scores: MonthScores,
    finals: Mapping[int, Decimal],
    rep_ids: frozenset[int] | None = None,
) -> tuple[list[str], list[list[object]]]:
    """The month's metrics (as ``ticket_queries.export_rows`` writes them) and, after them,
    each rep's score, eligibility, base and final payout, currency and reason; by e-mail.

    :param finals: rep id -> final payout (``payout_queries.payouts_of``).
    """
    people = sorted(
        (p for r, p in scores.people.items() if rep_ids is None or r in rep_ids),
        key=lambda p: p.email,
    )
    frame = pd.DataFrame(
        [
            {
                "email": p.email,
                "name": p.name,
                "team_name": p.team_name or None,
                **scores.metrics[p.rep_id],
            }
            for p in people
        ],
        columns=["email", "name", "team_name", *month_metrics.FIGURE_COLUMNS],
    )
    header, rows = ticket_queries.export_rows(
        frame, closed=scores.close.label if scores.close else ""
    )
    for person, row in zip(people, rows, strict=True):
        row.extend(
            tables.score_cells(
                scores.scores.get(person.rep_id),
                scores.currency,
                finals.get(person.rep_id),
            )
        )
    return [*header, *tables.SCORE_COLUMNS], rows


# --- for other modules --------------------------------------------------------------------


def closed_label(month: str) -> str:
    """ "Closed on 3 June 2026 by Helen Carter" for a closed month, "" for an open one:
    its figures (QA scores too) are then kept as closed."""
    close = get_close(month)
    if close is None:
        return ""
    return month_closed_label(*month_cache.closed_on_by(close))
