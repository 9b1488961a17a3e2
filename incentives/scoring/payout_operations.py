"""Writes for payouts: a rep's working dates and leave, manual adjustments, and
leadership's approval of a closed month.

Operations check, write, audit and flush; they never commit. Every change is refused
whole, with a message, when any part of it is wrong.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from core import audit
from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User
from incentives.scoring import payout_queries, payouts, queries
from incentives.scoring.disputes import check_reason
from incentives.scoring.payout_models import (
    PayoutAdjustment,
    PayoutApproval,
    RepLeave,
    RepWorkDates,
)
from incentives.scoring.payouts import WorkDates
from incentives.tickets import metrics


def _check_keeper(by: User, rep: User) -> None:
    if not payouts.may_keep_pay(by.viewer(), rep.id, rep.team_id):
        raise NotAllowed(
            "Only an admin or a supervisor of the rep's team changes their pay."
        )


def _fail(field: str, error: ValueError) -> InvalidInput:
    return InvalidInput({field: [str(error)]})


# --- working dates ------------------------------------------------------------------------


def save_work_dates(
    rep: User, *, started_on: dt.date | None, left_on: dt.date | None, by: User
) -> RepWorkDates:
    """Record when ``rep`` started and left (either may be blank).

    :raises NotAllowed: ``by`` may not change this rep's pay.
    :raises InvalidInput: a leaving day before the start.
    """
    _check_keeper(by, rep)
    problems = payouts.check_dates(WorkDates(started_on, left_on))
    if problems:
        raise InvalidInput(problems)
    record = payout_queries.get_work_dates(rep.id)
    before = (
        {"started_on": str(record.started_on), "left_on": str(record.left_on)}
        if record
        else {"started_on": "None", "left_on": "None"}
    )
    if record is None:
        record = RepWorkDates(rep_id=rep.id)
        db.session.add(record)
    record.started_on, record.left_on = started_on, left_on
    record.updated_at, record.updated_by_id = utcnow(), by.id
    db.session.flush()
    audit.record(
        by,
        "payout.dates",
        rep,
        summary=f"Working dates of {rep.name}: started {started_on or 'not set'}, "
        f"left {left_on or 'not set'}",
        before=before,
        after={"started_on": str(started_on), "left_on": str(left_on)},
    )
    db.session.flush()
    return record


def add_leave(
    rep: User, *, first_day: dt.date, last_day: dt.date, note: str, by: User
) -> RepLeave:
    """Record a stretch of leave for ``rep`` (first and last day included).

    :raises InvalidInput: the last day before the first, or overlapping leave on record.
    """
    _check_keeper(by, rep)
    problems = payouts.check_dates(WorkDates(leaves=((first_day, last_day),)))
    if problems:
        raise InvalidInput(problems)
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput({"note": ["Keep the note to 200 characters."]})
    for other in payout_queries.list_leaves(rep.id):
        if other.first_day <= last_day and first_day <= other.last_day:
            raise InvalidInput(
                {
                    "first_day": [
                        f"This overlaps leave already recorded ({other.first_day} to "
                        f"{other.last_day})."
                    ]
                }
            )
    leave = RepLeave(
        rep_id=rep.id,
        first_day=first_day,
        last_day=last_day,
        note=note,
        created_by_id=by.id,
    )
    db.session.add(leave)
    db.session.flush()
    audit.record(
        by,
        "payout.leave.add",
        leave,
        summary=f"Leave of {rep.name} from {first_day} to {last_day}",
        data={"rep_id": rep.id, "first_day": str(first_day), "last_day": str(last_day)},
    )
    return leave


def remove_leave(leave: RepLeave, *, by: User) -> None:
    rep = db.session.get(User, leave.rep_id)
    assert rep is not None  # noqa: S101 (the foreign key cascades)
    _check_keeper(by, rep)
    audit.record(
        by,
        "payout.leave.remove",
        leave,
        summary=f"Leave of {rep.name} from {leave.first_day} to {leave.last_day} "
        "removed",
        data={"rep_id": rep.id},
    )
    db.session.delete(leave)
    db.session.flush()


# --- adjustments --------------------------------------------------------------------------


def _unapproved(month: str) -> None:
    if payout_queries.approval_in_force(month) is not None:
        raise InvalidInput(
            {
                "": [
                    f"{metrics.month_label(month)}'s payouts are approved and final; "
                    "they change only if the month is reopened."
                ]
            }
        )


def add_adjustment(
    month: str, rep: User, *, amount: str | Decimal, reason: str, by: User
) -> PayoutAdjustment:
    """Add ``amount`` (negative takes off) to ``rep``'s payout of ``month``.

    :raises NotAllowed: ``by`` may not change this rep's pay.
    :raises InvalidInput: a month outside the data or approved, a rep with no payout
        that month, no reason, a bad amount, or one taking the payout below zero.
    """
    _check_keeper(by, rep)
    month = payout_queries.check_month(month)
    _unapproved(month)
    problems: dict[str, list[str]] = {}
    value = Decimal(0)
    try:
        value = payouts.check_amount(amount)
    except ValueError as e:
        problems["amount"] = [str(e)]
    try:
        reason = payouts.adjustment_reason(reason)
    except ValueError as e:
        problems["reason"] = [str(e)]
    if problems:
        raise InvalidInput(problems)
    result = payout_queries.month_payouts(month)
    line = result.line_of(rep.id)
    if line is None:
        raise InvalidInput(
            {"rep_id": [f"{rep.name} has no payout in {metrics.month_label(month)}."]}
        )
    if line.prorated + line.adjustments + value < 0:
        raise InvalidInput(
            {
                "amount": [
                    f"This would take {rep.name}'s payout below zero (now "
                    f"{line.final:,.2f} {result.currency})."
                ]
            }
        )
    user_id = by.id
    adjustment = PayoutAdjustment(
        month=month,
        rep_id=rep.id,
        amount=value,
        currency=result.currency,
        reason=reason,
        created_by_id=user_id,
        actor_label=by.email,
    )
    db.session.add(adjustment)
    db.session.flush()
    audit.record(
        by,
        "payout.adjust",
        adjustment,
        summary=f"{rep.name}'s payout of {metrics.month_label(month)} adjusted by "
        f"{value:+,.2f} {result.currency}: {reason}",
        data={
            "month": month,
            "rep_id": rep.id,
            "amount": str(value),
            "currency": result.currency,
            "reason": reason,
        },
    )
    return adjustment


def remove_adjustment(adjustment: PayoutAdjustment, *, reason: str, by: User) -> None:
    """Stop an adjustment counting (it stays on record with who, when and why).

    :raises Conflict: already removed.
    :raises InvalidInput: no reason, or the month is approved.
    """
    _check_keeper(by, adjustment.rep)
    if adjustment.removed_at is not None:
        raise Conflict("This adjustment was already removed.")
    _unapproved(adjustment.month)
    try:
        reason = check_reason(reason, what="reason for removing it")
    except ValueError as e:
        raise _fail("reason", e) from e
    adjustment.removed_at, adjustment.removed_by_id = utcnow(), by.id
    adjustment.remove_reason = reason
    audit.record(
        by,
        "payout.adjust.remove",
        adjustment,
        summary=f"Adjustment of {adjustment.amount:+,.2f} {adjustment.currency} to "
        f"{adjustment.rep.name}'s payout of {metrics.month_label(adjustment.month)} "
        f"removed: {reason}",
        data={"month": adjustment.month, "reason": reason},
    )
    db.session.flush()


# --- approval -----------------------------------------------------------------------------


def approve_month(month: str, *, by: User) -> PayoutApproval:
    """Leadership approves a closed month's payouts: every line is kept as approved, and
    the export is final from then on.

    :raises NotAllowed: ``by`` is not leadership.
    :raises InvalidInput: a month outside the data, or not closed.
    :raises Conflict: already approved.
    """
    if not by.has_role(Role.LEADERSHIP):
        raise NotAllowed("Only leadership approves payouts.")
    month = payout_queries.check_month(month)
    close = queries.get_close(month)
    if close is None:
        raise InvalidInput(
            {
                "": [
                    f"{metrics.month_label(month)} is not closed: close it before "
                    "approving its payouts."
                ]
            }
        )
    if payout_queries.approval_in_force(month) is not None:
        raise Conflict(f"{metrics.month_label(month)}'s payouts are already approved.")
    result = payout_queries.month_payouts(month)
    approval = PayoutApproval(
        month=month,
        close_id=close.id,
        approved_by_id=by.id,
        actor_label=by.email,
        total=result.total,
        currency=result.currency,
        rep_count=len(result.lines),
        lines=[payouts.line_to_data(line) for line in result.lines],
    )
    db.session.add(approval)
    try:
        db.session.flush()
    except IntegrityError as e:  # approved by someone else at the same moment
        raise Conflict(
            f"{metrics.month_label(month)}'s payouts are already approved."
        ) from e
    audit.record(
        by,
        "payout.approve",
        approval,
        summary=f"Payouts of {metrics.month_label(month)} approved: "
        f"{len(result.lines)} reps, {result.total:,.2f} {result.currency}",
        data={
            "month": month,
            "close_id": close.id,
            "total": str(result.total),
            "currency": result.currency,
        },
    )
    return approval
