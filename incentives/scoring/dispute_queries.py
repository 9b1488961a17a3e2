"""Reads for disputes beyond the list: who a supervisor may give a ticket to, and the
tickets decided disputes gave to a rep."""

from __future__ import annotations

from sqlalchemy import select

from core.access import Role, Viewer, visible_team_ids
from core.db import db
from core.people import Team, User, UserRole
from incentives.scoring.disputes import DisputeStatus, Resolution, may_reassign_to
from incentives.scoring.models import TicketDispute


def reassign_choices(viewer: Viewer, *, disputing_rep_id: int) -> list[tuple[int, str]]:
    """Active reps ``viewer`` may give a disputed ticket to: (id, "Name · team").

    Admins and leadership may choose any rep; a supervisor the reps of their teams.
    Neither the disputing rep nor the viewer is offered.
    """
    stmt = (
        select(User.id, User.name, User.team_id, Team.name)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.is_active.is_(True), User.id != disputing_rep_id)
        .order_by(User.name, User.id)
    )
    teams = visible_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams or {-1}))
    return [
        (id_, f"{name} · {team}" if team else name)
        for id_, name, team_id, team in db.session.execute(stmt)
        if may_reassign_to(viewer, id_, team_id)
    ]


def tickets_given_to(rep_id: int, *, month: str | None = None) -> list[TicketDispute]:
    """Accepted disputes that reassigned a ticket to this rep, newest decision first."""
    stmt = select(TicketDispute).where(
        TicketDispute.status == DisputeStatus.ACCEPTED,
        TicketDispute.resolution == Resolution.REASSIGN,
        TicketDispute.reassigned_to_id == rep_id,
    )
    if month is not None:
        stmt = stmt.where(TicketDispute.month == month)
    return list(
        db.session.scalars(
            stmt.order_by(TicketDispute.decided_at.desc(), TicketDispute.id.desc())
        )
    )
