"""The foundation's dashboard panels: account, people, teams and recent activity."""

from __future__ import annotations

from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import (
    Team,
    User,
    UserRole,
    count_users_by_role,
    team_and_supervisors,
)
from core.shell import Panel


def account_panel(user: User) -> Panel:
    team, supervisors = team_and_supervisors(user)
    return Panel(
        "Your account",
        "main/_panel_account.html",
        {
            "user": user,
            "team": team,
            "supervisors": supervisors,
            "supervised": user.supervised_teams,
        },
        order=900,
    )


def people_panel(user: User) -> Panel | None:
    if not user.has_role(Role.ADMIN):
        return None
    inactive = db.session.scalar(select(func.count()).where(User.is_active.is_(False)))
    awaiting = db.session.scalar(
        select(func.count()).where(
            User.is_active.is_(True), User.password_hash.is_(None)
        )
    )
    return Panel(
        "People",
        "main/_panel_people.html",
        {
            "by_role": [(role, n) for role, n in count_users_by_role().items()],
            "inactive": inactive,
            "awaiting": awaiting,
        },
        order=50,
    )


def teams_panel(user: User) -> Panel | None:
    """Supervisors see the reps of their teams; leadership and admins every team's size."""
    if user.has_role(Role.ADMIN, Role.LEADERSHIP):
        rows = db.session.execute(
            select(Team, func.count(UserRole.user_id))
            .outerjoin(User, (User.team_id == Team.id) & User.is_active.is_(True))
            .outerjoin(
                UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP)
            )
            .group_by(Team.id)
            .order_by(Team.name)
        ).all()
        return Panel("Teams", "main/_panel_teams.html", {"teams": rows}, order=60)
    if user.has_role(Role.SUPERVISOR) and user.supervised_teams:
        team_ids = [t.id for t in user.supervised_teams]
        reps = (
            select(User.name, User.email)
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
            .where(User.team_id.in_(team_ids), User.is_active.is_(True))
        )
        count = db.session.scalar(select(func.count()).select_from(reps.subquery()))
        shown = db.session.execute(reps.order_by(User.name).limit(TEAM_LISTED)).all()
        return Panel(
            "Your team",
            "main/_panel_my_team.html",
            {"teams": user.supervised_teams, "reps": shown, "more": count - len(shown)},
            order=60,
        )
    return None


#: Reps named on a supervisor's dashboard; a supervisor of many teams sees a count of the rest.
TEAM_LISTED = 20


def activity_panel(user: User) -> Panel | None:
    if not user.has_role(Role.ADMIN, Role.LEADERSHIP):
        return None
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.not_like("auth.%"))
        .order_by(AuditEvent.id.desc())
        .limit(8)
    ).all()
    return Panel(
        "Recent activity",
        "main/_panel_activity.html",
        {"events": events},
        order=950,
        wide=True,
    )


PANELS = [people_panel, teams_panel, account_panel, activity_panel]
