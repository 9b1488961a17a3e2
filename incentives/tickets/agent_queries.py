"""Reads about helpdesk agents: who is linked to which rep, who is not yet, the rep each
unlinked agent most likely is, and reps looked up by e-mail for an import or a mapping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from core.access import Role
from core.db import db
from core.people import User, UserRole
from incentives.tickets import agent_matching
from incentives.tickets.agent_matching import AgentCandidate, RepCandidate, Suggestion
from incentives.tickets.models import AgentMatch, Ticket, TicketAgent
from incentives.tickets.queries import IN_BATCH, aware_time


@dataclass(frozen=True)
class AgentRow:
    agent: TicketAgent
    tickets: int
    last_solved_at: dt.datetime | None


def list_agents(*, unknown: bool) -> list[AgentRow]:
    """Agents not linked to anyone (``unknown``), or those mapped by hand, with counts."""
    counts = (
        select(
            Ticket.agent_id,
            func.count().label("tickets"),
            func.max(Ticket.solved_at).label("last_solved_at"),
        )
        .group_by(Ticket.agent_id)
        .subquery()
    )
    condition = (
        TicketAgent.match.is_(None)
        if unknown
        else TicketAgent.match.in_([AgentMatch.ALIAS, AgentMatch.NOT_A_REP])
    )
    rows = db.session.execute(
        select(TicketAgent, counts.c.tickets, counts.c.last_solved_at)
        .outerjoin(counts, counts.c.agent_id == TicketAgent.id)
        .where(condition)
        .order_by(counts.c.tickets.desc().nulls_last(), TicketAgent.label)
    )
    return [
        AgentRow(agent, tickets or 0, aware_time(last)) for agent, tickets, last in rows
    ]


def count_unknown_agents() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(TicketAgent)
            .where(TicketAgent.match.is_(None))
        )
        or 0
    )


def count_not_a_rep_tickets(start: dt.datetime, end: dt.datetime) -> int:
    """Tickets solved in ``[start, end)`` by agents marked "not a rep" (bots, leads)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Ticket)
            .join(TicketAgent, TicketAgent.id == Ticket.agent_id)
            .where(
                TicketAgent.match == AgentMatch.NOT_A_REP,
                Ticket.solved_at >= start,
                Ticket.solved_at < end,
            )
        )
        or 0
    )


def active_reps() -> list[RepCandidate]:
    """Every active rep, as :mod:`agent_matching` compares them."""
    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .where(User.is_active.is_(True))
        .order_by(User.id)
    )
    return [RepCandidate(id_, name, email) for id_, name, email in rows]


def agent_suggestions() -> list[Suggestion]:
    """The rep suggested for each agent not linked to anyone (same e-mail, else the one
    rep of the same name), in the agents page's order."""
    agents = [
        AgentCandidate(agent_id, key, label)
        for agent_id, key, label in db.session.execute(
            select(TicketAgent.id, TicketAgent.key, TicketAgent.label)
            .where(TicketAgent.match.is_(None))
            .order_by(TicketAgent.id)
        )
    ]
    if not agents:
        return []
    return agent_matching.suggest(agents, active_reps())


def active_reps_by_email(emails: list[str]) -> dict[str, User]:
    """Active reps by (lower-case) login e-mail, for the e-mails given."""
    found: dict[str, User] = {}
    for start in range(0, len(emails), IN_BATCH):
        found.update(
            {
                user.email: user
                for user in db.session.scalars(
                    select(User)
                    .join(
                        UserRole,
                        and_(UserRole.user_id == User.id, UserRole.role == Role.REP),
                    )
                    .where(
                        User.email.in_(emails[start : start + IN_BATCH]),
                        User.is_active.is_(True),
                    )
                )
            }
        )
    return found


def reps_by_email(emails: list[str]) -> dict[str, int]:
    """Rep ids by (lower-case) login e-mail, for the e-mails given."""
    found: dict[str, int] = {}
    for start in range(0, len(emails), IN_BATCH):
        rows = db.session.execute(
            select(User.email, User.id)
            .join(
                UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REP)
            )
            .where(User.email.in_(emails[start : start + IN_BATCH]))
        )
        found.update({email: user_id for email, user_id in rows})
    return found


def agents_by_key(keys: list[str]) -> dict[str, TicketAgent]:
    found: dict[str, TicketAgent] = {}
    for start in range(0, len(keys), IN_BATCH):
        found.update(
            {
                agent.key: agent
                for agent in db.session.scalars(
                    select(TicketAgent).where(
                        TicketAgent.key.in_(keys[start : start + IN_BATCH])
                    )
                )
            }
        )
    return found
