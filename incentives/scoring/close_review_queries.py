"""Reads for the close review: what a month's close would pay and leave out (unmapped
agents, open disputes, the payout total against the month before, the plan version and
whether it changed), and the change logs of months closed anew."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from core.db import db
from incentives import month_qa
from incentives.scoring import payout_queries, queries
from incentives.scoring.payout_models import ReCloseChange
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket, TicketAgent


@dataclass(frozen=True)
class UnmappedAgent:
    """An assignee linked to no rep, and their tickets solved in the month."""

    agent_id: int
    label: str
    tickets: int


@dataclass(frozen=True)
class CloseReview:
    month: str
    unmapped: list[UnmappedAgent]
    open_disputes: int
    currency: str
    payout_total: Decimal
    previous_month: str
    #: ``None``: the month before has no data.
    previous_total: Decimal | None
    plan_label: str
    previous_plan_label: str | None
    plan_changed: bool
    #: The plan of the close this month had before it was reopened, if any.
    last_close_plan_label: str | None
    #: Quality reviews of the month not counted yet (drafts, open disputes).
    qa_waiting: int = 0

    @property
    def unmapped_tickets(self) -> int:
        return sum(agent.tickets for agent in self.unmapped)

    @property
    def payout_change(self) -> Decimal | None:
        if self.previous_total is None:
            return None
        return self.payout_total - self.previous_total

    @property
    def payout_change_percent(self) -> float | None:
        if self.previous_total is None or not self.previous_total:
            return None
        return float(
            (self.payout_total - self.previous_total) / self.previous_total * 100
        )


def unmapped_agents(month: str) -> list[UnmappedAgent]:
    """Assignees of tickets solved in ``month`` that no rep is linked to and nobody said
    are not reps: their tickets pay nobody. Most tickets first."""
    start, end = metrics.month_bounds(month, ticket_queries.org_timezone())
    rows = db.session.execute(
        select(TicketAgent.id, TicketAgent.label, func.count(Ticket.id))
        .join(Ticket, Ticket.agent_id == TicketAgent.id)
        .where(
            TicketAgent.match.is_(None),
            TicketAgent.rep_id.is_(None),
            Ticket.solved_at >= start,
            Ticket.solved_at < end,
        )
        .group_by(TicketAgent.id, TicketAgent.label)
        .order_by(func.count(Ticket.id).desc(), TicketAgent.label)
    )
    return [UnmappedAgent(i, label, int(n)) for i, label, n in rows]


def close_review(month: str) -> CloseReview:
    """What closing ``month`` now would pay, against the month before."""
    result = payout_queries.month_payouts(month)
    previous = metrics.shift_month(month, -1)
    before = (
        payout_queries.month_payouts(previous)
        if previous in payout_queries.months_with_data()
        else None
    )
    if result.is_closed:
        plan_id, plan_label = result.scores.plan_version_id, result.scores.plan_label
    else:
        version = queries.get_active_version()
        plan_id = version.id if version else None
        plan_label = version.label if version else ""
    last_close = next(
        (c for c in queries.close_history(month) if c.reopened_at is not None), None
    )
    return CloseReview(
        month=month,
        unmapped=unmapped_agents(month),
        open_disputes=queries.count_open_disputes(month),
        currency=result.currency or (before.currency if before else ""),
        payout_total=result.total,
        previous_month=previous,
        previous_total=before.total if before else None,
        plan_label=plan_label,
        previous_plan_label=before.scores.plan_label if before else None,
        plan_changed=before is not None
        and before.scores.plan_version_id is not None
        and before.scores.plan_version_id != plan_id,
        last_close_plan_label=last_close.plan_version.label if last_close else None,
        qa_waiting=month_qa.waiting(month),
    )


def list_changes(month: str) -> list[ReCloseChange]:
    """Every re-close change of ``month``, newest close first, changed reps first."""
    rows = list(
        db.session.scalars(
            select(ReCloseChange)
            .where(ReCloseChange.month == month)
            .order_by(ReCloseChange.close_id.desc(), ReCloseChange.rep_email)
        )
    )
    return sorted(rows, key=lambda r: (-r.close_id, not r.changed, r.rep_email))


def change_rows(changes: list[ReCloseChange]) -> tuple[list[str], list[list[object]]]:
    """The change log as CSV rows."""
    header = [
        "month",
        "close_id",
        "previous_close_id",
        "email",
        "name",
        "team",
        "old_score",
        "new_score",
        "old_payout",
        "new_payout",
        "payout_change",
        "currency",
        "changed",
    ]

    def num(value: float | None) -> object:
        return "" if value is None else round(value, 2)

    def money(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return header, [
        [
            c.month,
            c.close_id,
            c.previous_close_id,
            c.rep_email,
            c.rep_name,
            c.team_name,
            num(c.old_score),
            num(c.new_score),
            money(c.old_payout),
            money(c.new_payout),
            f"{c.payout_change:.2f}",
            c.currency,
            "yes" if c.changed else "no",
        ]
        for c in changes
    ]
