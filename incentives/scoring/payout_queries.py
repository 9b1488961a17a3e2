"""Reads for payouts: a month's payout lines (from its approval once approved, else worked
out from the month's scores, the reps' working dates and the adjustments), approvals,
adjustments, and which months hold data.

A month's scores are read only through :func:`incentives.scoring.queries.month_scores`.
The payouts page, its CSV, the API and the approval all take their lines from
:func:`month_payouts`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import db
from core.errors import InvalidInput
from incentives.scoring import payouts, queries
from incentives.scoring.payout_models import (
    PayoutAdjustment,
    PayoutApproval,
    RepLeave,
    RepWorkDates,
)
from incentives.scoring.payouts import PayoutLine, Proration, WorkDates
from incentives.scoring.rep_scores import MonthScores, RepScore
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries

# --- months -------------------------------------------------------------------------------


def months_with_data() -> list[str]:
    """Months pay can be worked out for, newest first: those with tickets and the closed
    ones, never after the current month."""
    current = ticket_queries.current_month()
    found = set(ticket_queries.months_with_tickets()) | set(queries.closes_in_force())
    return sorted((m for m in found if m <= current), reverse=True)


def check_month(month: str) -> str:
    """``month`` when it holds data.

    :raises InvalidInput: a month outside the data.
    """
    try:
        month = metrics.parse_month(month)
    except ValueError as e:
        raise InvalidInput({"month": [str(e)]}) from e
    if month not in months_with_data():
        raise InvalidInput(
            {"month": [f"{metrics.month_label(month)} has no tickets and no scores."]}
        )
    return month


# --- working dates ------------------------------------------------------------------------


def get_work_dates(rep_id: int) -> RepWorkDates | None:
    return db.session.scalar(select(RepWorkDates).where(RepWorkDates.rep_id == rep_id))


def list_leaves(rep_id: int) -> list[RepLeave]:
    return list(
        db.session.scalars(
            select(RepLeave)
            .where(RepLeave.rep_id == rep_id)
            .order_by(RepLeave.first_day.desc(), RepLeave.id.desc())
        )
    )


def holidays() -> list[dt.date]:
    return [h.day for h in ticket_queries.list_holidays()]


def work_dates(rep_ids: list[int] | None = None) -> dict[int, WorkDates]:
    """Every rep's dates on record (reps with none are left out)."""
    starts = select(RepWorkDates)
    leaves = select(RepLeave)
    if rep_ids is not None:
        starts = starts.where(RepWorkDates.rep_id.in_(rep_ids or [-1]))
        leaves = leaves.where(RepLeave.rep_id.in_(rep_ids or [-1]))
    found: dict[int, tuple[Any, Any]] = {
        row.rep_id: (row.started_on, row.left_on) for row in db.session.scalars(starts)
    }
    away: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for leave in db.session.scalars(leaves.order_by(RepLeave.first_day)):
        away[leave.rep_id].append((leave.first_day, leave.last_day))
    return {
        rep_id: WorkDates(*found.get(rep_id, (None, None)), tuple(away.get(rep_id, ())))
        for rep_id in set(found) | set(away)
    }


def prorations(month: str, rep_ids: list[int] | None = None) -> dict[int, Proration]:
    """The share of ``month`` each rep with dates on record is paid for."""
    off = holidays()
    return {
        rep_id: payouts.proration(month, dates, off)
        for rep_id, dates in work_dates(rep_ids).items()
    }


# --- adjustments and approvals ------------------------------------------------------------


def list_adjustments(month: str, *, removed: bool = True) -> list[PayoutAdjustment]:
    """The month's adjustments, newest first (removed ones too unless ``removed`` false)."""
    stmt = select(PayoutAdjustment).where(PayoutAdjustment.month == month)
    if not removed:
        stmt = stmt.where(PayoutAdjustment.removed_at.is_(None))
    return list(
        db.session.scalars(
            stmt.order_by(
                PayoutAdjustment.created_at.desc(), PayoutAdjustment.id.desc()
            )
        )
    )


def adjustment_amounts(month: str) -> dict[int, list[Decimal]]:
    """Rep id -> the amounts of their adjustments in force for ``month``."""
    found: dict[int, list[Decimal]] = defaultdict(list)
    for adjustment in reversed(list_adjustments(month, removed=False)):
        found[adjustment.rep_id].append(adjustment.amount)
    return dict(found)


def approval_in_force(month: str) -> PayoutApproval | None:
    """The approval of the month's close in force (``None``: open, or not approved, or
    reopened or closed anew since)."""
    close = queries.get_close(month)
    if close is None:
        return None
    return db.session.scalar(
        select(PayoutApproval).where(PayoutApproval.close_id == close.id)
    )


def approval_history(month: str) -> list[PayoutApproval]:
    """Every approval of the month, newest first."""
    return list(
        db.session.scalars(
            select(PayoutApproval)
            .where(PayoutApproval.month == month)
            .order_by(PayoutApproval.id.desc())
        )
    )


# --- a month's payouts --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPayouts:
    """A month's payout lines and where they stand."""

    month: str
    scores: MonthScores
    lines: list[PayoutLine]
    approval: PayoutApproval | None

    @property
    def is_closed(self) -> bool:
        return self.scores.is_closed

    @property
    def is_approved(self) -> bool:
        return self.approval is not None

    @property
    def status(self) -> str:
        """``final`` once approved, else ``draft``."""
        return "final" if self.is_approved else "draft"

    @property
    def currency(self) -> str:
        return self.approval.currency if self.approval else self.scores.currency

    @property
    def total(self) -> Decimal:
        return payouts.total(self.lines)

    @property
    def metric_keys(self) -> list[tuple[str, str]]:
        """(metric, label) of the plan, in its order."""
        plan = self.scores.plan
        if plan is not None:
            return [(t.metric, t.spec.label) for t in plan.terms]
        seen: dict[str, str] = {}
        for line in self.lines:
            for key, label, _points in line.points:
                seen.setdefault(key, label)
        return list(seen.items())

    def visible(self, rep_ids: frozenset[int] | None) -> list[PayoutLine]:
        return [
            line for line in self.lines if rep_ids is None or line.rep_id in rep_ids
        ]

    def line_of(self, rep_id: int) -> PayoutLine | None:
        return next((line for line in self.lines if line.rep_id == rep_id), None)

    @property
    def finals(self) -> dict[int, Decimal]:
        """Rep id -> final payout: what every surface shows as a rep's payout."""
        return {line.rep_id: line.final for line in self.lines}


def month_payouts(month: str) -> MonthPayouts:
    """The month's payouts: as approved, once approved; else worked out now."""
    return payouts_of([queries.month_scores(month)])[month]


def payouts_of(months: Sequence[MonthScores]) -> dict[str, MonthPayouts]:
    """Each month's payouts from its scores already read (say, a scorecard's trend
    months): as approved, once approved; else the scored payouts prorated by the reps'
    working days, plus the adjustments in force. Dates, holidays, approvals and
    adjustments are read once for all the months, never rep by rep.

    The one place a payout is worked out: :func:`month_payouts`, the dashboard panels,
    the scores page and CSV, ``scores compute``, the scorecards and the leadership pack
    all read it.
    """
    if not months:
        return {}
    names = [scores.month for scores in months]
    close_ids = [s.close.id for s in months if s.close is not None]
    approvals = {
        approval.month: approval
        for approval in db.session.scalars(
            select(PayoutApproval).where(PayoutApproval.close_id.in_(close_ids or [-1]))
        )
    }
    added: dict[str, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for adjustment in db.session.scalars(
        select(PayoutAdjustment)
        .where(
            PayoutAdjustment.month.in_(names),
            PayoutAdjustment.removed_at.is_(None),
        )
        .order_by(PayoutAdjustment.created_at, PayoutAdjustment.id)
    ):
        added[adjustment.month][adjustment.rep_id].append(adjustment.amount)
    pending = [s for s in months if s.month not in approvals]
    dates = (
        work_dates(sorted({rep_id for s in pending for rep_id in s.scores}))
        if pending
        else {}
    )
    off = holidays() if pending else []
    found: dict[str, MonthPayouts] = {}
    for scores in months:
        approval = approvals.get(scores.month)
        if approval is not None:
            lines = [payouts.line_from_data(data) for data in approval.lines]
        else:
            lines = payouts.month_lines(
                scores,
                {
                    rep_id: payouts.proration(scores.month, dates[rep_id], off)
                    for rep_id in scores.scores
                    if rep_id in dates
                },
                added.get(scores.month, {}),
                whole=payouts.whole_month(scores.month, off),
            )
        found[scores.month] = MonthPayouts(scores.month, scores, lines, approval)
    return found


def finals_of(months: Sequence[MonthScores]) -> dict[str, dict[int, Decimal]]:
    """Month -> rep id -> final payout, for ``months`` (:func:`payouts_of`)."""
    return {month: found.finals for month, found in payouts_of(months).items()}


def rep_finals(rep_id: int, scores: Mapping[str, RepScore]) -> dict[str, Decimal]:
    """One rep's final payout of each month of ``scores`` (month -> the rep's score), as
    :func:`payouts_of` works it out for the whole month: as approved once approved, else
    prorated and adjusted. For a rep's dashboard, which scores the rep alone: reads only
    this rep's dates and adjustments, once for all the months."""
    if not scores:
        return {}
    closes = queries.closes_in_force()
    close_ids = [closes[m].id for m in scores if m in closes]
    approved: dict[str, Decimal] = {}
    for approval in db.session.scalars(
        select(PayoutApproval).where(PayoutApproval.close_id.in_(close_ids or [-1]))
    ):
        line = next((d for d in approval.lines if int(d["rep_id"]) == rep_id), None)
        approved[approval.month] = (
            payouts.ZERO if line is None else payouts.line_from_data(line).final
        )
    added: dict[str, list[Decimal]] = defaultdict(list)
    for adjustment in db.session.scalars(
        select(PayoutAdjustment)
        .where(
            PayoutAdjustment.rep_id == rep_id,
            PayoutAdjustment.month.in_(list(scores)),
            PayoutAdjustment.removed_at.is_(None),
        )
        .order_by(PayoutAdjustment.created_at, PayoutAdjustment.id)
    ):
        added[adjustment.month].append(adjustment.amount)
    dates = work_dates([rep_id]).get(rep_id)
    off = holidays()
    found: dict[str, Decimal] = {}
    for month, score in scores.items():
        if month in approved:
            found[month] = approved[month]
            continue
        share = (
            payouts.proration(month, dates, off)
            if dates is not None
            else payouts.whole_month(month, off)
        )
        found[month] = payouts.final_payout(score.payout, share, added[month])[2]
    return found


def export_table(
    result: MonthPayouts, rep_ids: frozenset[int] | None = None
) -> tuple[list[str], list[list[object]]]:
    return payouts.export_table(
        result.visible(rep_ids),
        month=result.month,
        plan_label=result.scores.plan_label,
        rep_plan_labels={r: p[1] for r, p in result.scores.rep_plans.items()},
        currency=result.currency,
        metric_keys=result.metric_keys,
        closed=result.is_closed,
        approved=result.is_approved,
    )


# --- for the ticket import ----------------------------------------------------------------


def closed_among(_sender: Any = None, *, months: Mapping[str, int]) -> dict[str, int]:
    """Of ``months`` (month -> tickets), the closed ones. Connected to
    ``incentives.tickets.operations.months_imported``."""
    closed = queries.closes_in_force()
    return {month: count for month, count in months.items() if month in closed}
