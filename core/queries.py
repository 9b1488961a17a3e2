"""Read-side selects for the admin and audit pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import ApiToken, Team, User, UserRole


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: Role | None = None
    team_id: int | None = None
    status: str = "active"  # active | inactive | all


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def query_users(f: UserFilter) -> Select[tuple[User]]:
    """Users matching ``f``, by name."""
    stmt = select(User).order_by(User.name, User.id)
    if f.q:
        pattern = _like(f.q)
        stmt = stmt.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if f.role is not None:
        stmt = stmt.where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role == f.role))
        )
    if f.team_id:
        stmt = stmt.where(User.team_id == f.team_id)
    if f.status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif f.status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    return stmt


def team_choices() -> list[tuple[int, str]]:
    return [
        (t.id, t.name) for t in db.session.scalars(select(Team).order_by(Team.name))
    ]


def supervisor_choices() -> list[tuple[int, str]]:
    users = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SUPERVISOR, User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(u.id, u.name) for u in users]


def list_teams() -> list[tuple[Team, int]]:
    """Every team with the number of active members."""
    return list(
        db.session.execute(
            select(Team, func.count(User.id))
            .outerjoin(User, (User.team_id == Team.id) & User.is_active.is_(True))
            .group_by(Team.id)
            .order_by(Team.name)
        ).all()
    )


def list_api_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.id.desc()
            )
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    q: str = ""
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    include_logins: bool = False


def query_audit(f: AuditFilter, tz: ZoneInfo) -> Select[tuple[AuditEvent]]:
    """Audit events matching ``f``, newest first; dates are days in the organisation's zone."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if f.q:
        pattern = _like(f.q)
        stmt = stmt.where(
            or_(
                func.lower(AuditEvent.actor_label).like(pattern, escape="\\"),
                func.lower(AuditEvent.summary).like(pattern, escape="\\"),
            )
        )
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    elif not f.include_logins:
        stmt = stmt.where(AuditEvent.action.not_like("auth.%"))
    if f.subject_type:
        stmt = stmt.where(AuditEvent.subject_type == f.subject_type)
    if f.subject_id:
        stmt = stmt.where(AuditEvent.subject_id == f.subject_id)
    if f.date_from:
        start = dt.datetime.combine(f.date_from, dt.time(), tzinfo=tz)
        stmt = stmt.where(AuditEvent.at >= start)
    if f.date_to:
        end = dt.datetime.combine(
            f.date_to + dt.timedelta(days=1), dt.time(), tzinfo=tz
        )
        stmt = stmt.where(AuditEvent.at < end)
    return stmt


def audit_vocabulary() -> tuple[list[str], list[str]]:
    """The actions and record types that occur in the trail, for the filter choices."""
    actions = db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    )
    types = db.session.scalars(
        select(AuditEvent.subject_type)
        .distinct()
        .where(AuditEvent.subject_type.is_not(None))
        .order_by(AuditEvent.subject_type)
    )
    return list(actions), list(types)
