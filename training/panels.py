"""Training's dashboard panels: a rep's work and authority, a supervisor's team, and
authority coverage for leadership."""

from __future__ import annotations

from core.access import Role
from core.db import utcnow
from core.people import User
from core.shell import Panel, PanelProvider
from training import authority_queries, notice_operations, queries
from training.views import org_today


def rep_panel(user: User) -> Panel | None:
    """A rep's work due and the authority they hold today."""
    if Role.REP not in user.roles:
        return None
    now = utcnow()
    viewer = user.viewer()
    rows = [
        r
        for r in queries.list_assignments(viewer, rep_id=user.id, today=org_today())
        if r.progress.state != "done"
    ]
    entries = authority_queries.register_for(
        [user], authority_queries.list_authorities(active_only=True), now
    )
    return Panel(
        "Your training",
        "training/_panel_rep.html",
        {
            "rows": rows,
            "entries": [e for e in entries[user.id] if e.decision.allowed],
            "open_attempts": queries.list_open_attempts(user.id),
            "unread": notice_operations.count_unread(user.id),
        },
        order=20,
    )


def supervisor_panel(user: User) -> Panel | None:
    """Sign-offs waiting, overdue work and grants about to expire in the user's teams."""
    if Role.SUPERVISOR not in user.roles or not user.supervised_teams:
        return None
    viewer = user.viewer()
    waiting = [
        s
        for s in authority_queries.list_signoffs(viewer)
        if s.rep_id != user.id
        and s.requested_by_id != user.id
        and user.id not in {a.supervisor_id for a in s.approvals}
        and s.rep.team_id in viewer.supervised_team_ids
    ]
    overdue = [
        r
        for r in queries.list_assignments(viewer, today=org_today())
        if r.progress.state == "overdue" and r.assignment.rep_id != user.id
    ]
    return Panel(
        "Team training",
        "training/_panel_supervisor.html",
        {
            "waiting": waiting,
            "overdue": overdue,
            "expiring": authority_queries.list_expiring_grants(
                utcnow(), team_ids=viewer.supervised_team_ids
            ),
        },
        order=15,
    )


def coverage_panel(user: User) -> Panel | None:
    """Leadership and admins: how many reps hold each authority, and what expires soon."""
    if not user.has_role(Role.LEADERSHIP, Role.ADMIN):
        return None
    now = utcnow()
    return Panel(
        "Authority coverage",
        "training/_panel_coverage.html",
        {
            "coverage": authority_queries.coverage(now),
            "expiring": authority_queries.list_expiring_grants(now),
            "overdue": queries.count_overdue(user.viewer(), org_today()),
        },
        order=30,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [rep_panel, supervisor_panel, coverage_panel]
