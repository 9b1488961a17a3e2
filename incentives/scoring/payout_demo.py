"""Payout demo data: the month before last closed and approved, with an adjustment and a
rep prorated for a week of leave; last month closed and waiting for approval, with an
adjustment in force, one removed, and another rep's leave; three months back reopened for
a late dispute and closed anew, so its change log shows each rep's old and new score and
payout. Added once, after the months are closed (``incentives.demo.build``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.access import Role
from core.db import db, utcnow
from core.demo import DemoResult
from core.people import User
from incentives.scoring import operations as scoring_operations
from incentives.scoring import payout_operations, payout_queries, queries
from incentives.scoring.disputes import Resolution
from incentives.scoring.payout_models import PayoutAdjustment, ReCloseChange
from incentives.scoring.rep_scores import MetricLine
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket, TicketAgent

SUPERVISORS = ("grace.lee@example.com", "marco.rossi@example.com")
LEADER = "helen.carter@example.com"


def _week_of_leave(month: str, week: int) -> tuple[dt.date, dt.date]:
    """Monday to Friday of the ``week``-th full week of ``month``."""
    first = dt.date.fromisoformat(f"{month}-01")
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (week - 1))
    return monday, monday + dt.timedelta(days=4)


def _reps_of(result: DemoResult, supervisor: User) -> list[User]:
    teams = {team.id for team in supervisor.supervised_teams}
    return sorted(
        (u for u in result.by_role(Role.REP) if u.team_id in teams and u.is_active),
        key=lambda u: u.email,
    )


def _after_close(month: str) -> dt.datetime:
    """A day after the month's close (never in the future)."""
    close = queries.get_close(month)
    assert close is not None  # noqa: S101 (checked by the caller)
    return min(close.closed_at + dt.timedelta(days=1), utcnow())


def build_payouts(result: DemoResult) -> None:
    """Add the payout demo records once (see the module's docstring)."""
    if db.session.scalar(select(PayoutAdjustment.id).limit(1)) is not None:
        return
    if LEADER not in result.users or any(s not in result.users for s in SUPERVISORS):
        return
    current = ticket_queries.current_month()
    approved, waiting = (
        metrics.shift_month(current, -2),
        metrics.shift_month(current, -1),
    )
    if queries.get_close(approved) is None or queries.get_close(waiting) is None:
        return
    grace, marco = (result.users[email] for email in SUPERVISORS)
    chat, phone = _reps_of(result, grace), _reps_of(result, marco)
    if len(chat) < 2 or len(phone) < 2:
        return
    first, last = _week_of_leave(approved, 2)
    payout_operations.add_leave(
        chat[0], first_day=first, last_day=last, note="Annual leave", by=grace
    )
    when = _after_close(approved)
    early = payout_operations.add_adjustment(
        approved,
        phone[0],
        amount="75",
        reason="Covered the weekend phone queue during the carrier outage.",
        by=marco,
    )
    early.created_at = when
    approval = payout_operations.approve_month(approved, by=result.users[LEADER])
    approval.approved_at = when + dt.timedelta(days=1)

    first, last = _week_of_leave(waiting, 3)
    payout_operations.add_leave(
        phone[1], first_day=first, last_day=last, note="Parental leave", by=marco
    )
    when = _after_close(waiting)
    kept = payout_operations.add_adjustment(
        waiting,
        chat[1],
        amount="40",
        reason="Coached two new starters through their first week.",
        by=grace,
    )
    # The demo's tickets fall anew each day: take the correction from a rep whose
    # payout that month can bear it.
    lines = payout_queries.month_payouts(waiting)
    bearer = next(
        (
            rep
            for rep in chat
            if (line := lines.line_of(rep.id)) is not None
            and line.prorated + line.adjustments >= 20
        ),
        None,
    )
    kept.created_at = when
    if bearer is not None:
        wrong = payout_operations.add_adjustment(
            waiting,
            bearer,
            amount="-20",
            reason="Refund error repaid.",
            by=grace,
        )
        payout_operations.remove_adjustment(
            wrong, reason="Entered against the wrong month.", by=grace
        )
        wrong.created_at = when
        wrong.removed_at = when + dt.timedelta(hours=2)
    result.notes.append(
        f"Incentives: {metrics.month_label(approved)} payouts approved (an adjustment, "
        f"a rep on leave); {metrics.month_label(waiting)} waits for approval."
    )


def _top(line: MetricLine) -> float:
    """The most credit a metric line can earn (1, or its cap with a stretch value)."""
    if line.stretch is None or line.cap is None:
        return 1.0
    return line.cap / 100.0


def _csat_can_rise(month: str, reps: list[User]) -> list[User]:
    """``reps`` whose closed score a rise in satisfaction would move first (between
    threshold and the top of the scale), the rest after: the demo's tickets fall anew
    each day, so which rep that is changes too."""
    scores = queries.month_scores(month).scores

    def room(rep: User) -> bool:
        score = scores.get(rep.id)
        if score is None or score.score is None or not score.eligible:
            return False
        return any(
            line.metric == "csat"
            and line.attainment is not None
            and not line.below_threshold
            and line.attainment < _top(line)
            for line in score.lines
        )

    return sorted(reps, key=lambda rep: not room(rep))


def build_reclose(result: DemoResult) -> None:
    """Three months back: reopened for a dispute found late, decided, and closed anew."""
    if db.session.scalar(select(ReCloseChange.id).limit(1)) is not None:
        return
    admin = result.users.get("alex.morgan@example.com")
    if admin is None or "grace.lee@example.com" not in result.users:
        return
    grace = result.users["grace.lee@example.com"]
    month = metrics.shift_month(ticket_queries.current_month(), -3)
    close = queries.get_close(month)
    reps = _reps_of(result, grace)
    if close is None or len(reps) < 3:
        return
    start, end = metrics.month_bounds(month, ticket_queries.org_timezone())
    found = None
    for rep in _csat_can_rise(month, reps):
        ticket = db.session.scalar(
            select(Ticket)
            .join(TicketAgent, TicketAgent.id == Ticket.agent_id)
            .where(
                TicketAgent.rep_id == rep.id,
                Ticket.solved_at >= start,
                Ticket.solved_at < end,
                Ticket.satisfied.is_(False),
            )
            .order_by(Ticket.solved_at, Ticket.id)
            .limit(1)
        )
        if ticket is not None:
            found = rep, ticket
            break
    if found is None:
        return
    rep, ticket = found
    closed_at = close.closed_at
    reason = "A dispute came in late: the customer wrote to the wrong team."
    scoring_operations.reopen_month(month, by=admin, reason=reason)
    close.reopened_at = closed_at + dt.timedelta(days=5)
    dispute = scoring_operations.file_dispute(
        ticket,
        by=rep,
        reason="A colleague answered this one while I was at the team meeting.",
    )
    scoring_operations.decide_dispute(
        dispute,
        by=grace,
        accept=True,
        resolution=Resolution.EXCLUDE,
        note=f"Checked the log: not {rep.name.split()[0]}'s reply.",
    )
    dispute.filed_at = close.reopened_at + dt.timedelta(hours=1)
    dispute.decided_at = close.reopened_at + dt.timedelta(hours=3)
    again = scoring_operations.close_month(
        month, by=admin, note="Closed again after the late dispute."
    )
    again.closed_at = min(close.reopened_at + dt.timedelta(days=1), utcnow())
    result.notes.append(
        f"Incentives: {metrics.month_label(month)} reopened for a late dispute and "
        "closed anew (its change log lists each rep's old and new score and payout)."
    )
