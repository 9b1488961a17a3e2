"""Reads about who reads which plan: the plan a rep is paid on, who may read a plan, and
who has acknowledged the version in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.access import Role, Viewer, visible_team_ids
from core.db import db
from core.people import Team, User, UserRole
from incentives.scoring import month_plans, plan_calendar, queries
from incentives.scoring.models import IncentivePlan, PlanAcknowledgement, PlanVersion
from incentives.tickets import queries as ticket_queries


def may_read_plan(viewer: Viewer, record: IncentivePlan) -> bool:
    """Admins and leadership read every plan; a supervisor the plan their teams are paid
    on (the one in force)."""
    if viewer.sees_all_reps:
        return True
    return Role.SUPERVISOR in viewer.roles and record.is_active


def readable_plans(viewer: Viewer) -> list[IncentivePlan]:
    return [p for p in queries.list_plans() if may_read_plan(viewer, p)]


def plan_paid_on(user: User) -> PlanVersion | None:
    """The plan version a rep is paid on this month: their team's own version where a
    team plan is in force for them, otherwise the organisation's (as scoring picks it)."""
    if not user.has_role(Role.REP):
        return None
    month = ticket_queries.current_month()
    return month_plans.versions_for_month(month).for_team(user.team_id)


def acknowledgement(user_id: int, version: PlanVersion) -> PlanAcknowledgement | None:
    """This rep's acknowledgement of the version as it reads now, if they gave one."""
    return db.session.scalar(
        select(PlanAcknowledgement)
        .where(
            PlanAcknowledgement.user_id == user_id,
            PlanAcknowledgement.plan_version_id == version.id,
            PlanAcknowledgement.content_hash == version.content_hash,
        )
        .limit(1)
    )


@dataclass(frozen=True)
class AcknowledgementRow:
    rep_id: int
    name: str
    team: str
    acknowledged_at: dt.datetime | None


def acknowledgement_rows(
    viewer: Viewer, version: PlanVersion
) -> list[AcknowledgementRow]:
    """Every active rep ``viewer`` may see, and when they acknowledged ``version`` as it
    reads now (``None``: not yet); those who have not come first."""
    stmt = (
        select(User.id, User.name, Team.name)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.is_active.is_(True))
    )
    teams = visible_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams or {-1}))
    done = dict(
        db.session.execute(
            select(
                PlanAcknowledgement.user_id, PlanAcknowledgement.acknowledged_at
            ).where(
                PlanAcknowledgement.plan_version_id == version.id,
                PlanAcknowledgement.content_hash == version.content_hash,
            )
        ).all()
    )
    rows = [
        AcknowledgementRow(id_, name, team or "", done.get(id_))
        for id_, name, team in db.session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (r.acknowledged_at is not None, r.team, r.name))


# --- plans in force by date ---------------------------------------------------------------


def plan_calendar_versions() -> list[plan_calendar.DatedVersion]:
    return month_plans.calendar_versions()


def version_in_force(month: str, team_id: int | None) -> PlanVersion | None:
    """The plan version that scores ``month`` for a rep of ``team_id``."""
    chosen = plan_calendar.in_force(plan_calendar_versions(), month, team_id)
    return db.session.get(PlanVersion, chosen.version_id) if chosen else None
