"""The voice module's dashboard panels: a reporter's reports and where each stands, a
department member's reports waiting for them, an author's ideas and what became of each,
ideas waiting for a triager, a supervisor's "what to retrain" after adopted policy
changes, and for leadership and admins what the front line told us last month (the
leadership pack's section, in brief)."""

from __future__ import annotations

from core.access import ORG_WIDE_ROLES, Role
from core.db import utcnow
from core.people import User
from core.shell import Panel, PanelProvider
from core.templating import org_timezone
from incentives.tickets.months import Month
from voice import ideas, queries, upward_queries


def my_reports_panel(user: User) -> Panel | None:
    """The reports a person filed, newest first, each with its state: how they hear of
    every step when e-mail is not set up."""
    page = queries.problem_page(queries.ProblemFilter(reporter_id=user.id), 1, 5)
    if not page.total:
        return None
    return Panel(
        "Your problem reports",
        "voice/_panel_reports.html",
        {"page": page, "scope": "mine"},
        order=60,
    )


def department_panel(user: User) -> Panel | None:
    """Open reports for the departments a person answers for, oldest first."""
    departments = queries.departments_of(user.id)
    if not departments:
        return None
    page = queries.problem_page(
        queries.ProblemFilter(
            status="open",
            department_ids=frozenset(d.id for d in departments),
            oldest_first=True,
        ),
        1,
        5,
    )
    return Panel(
        f"Open reports for {', '.join(d.name for d in departments)}",
        "voice/_panel_reports.html",
        {"page": page, "scope": "departments"},
        order=61,
    )


def my_ideas_panel(user: User) -> Panel | None:
    """A person's ideas, newest first, each with what became of it (declined: why)."""
    page = upward_queries.idea_page(upward_queries.IdeaFilter(author_id=user.id), 1, 5)
    if not page.total:
        return None
    return Panel(
        "Your ideas",
        "voice/_panel_ideas.html",
        {"page": page, "scope": "mine"},
        order=62,
    )


def front_line_panel(user: User) -> Panel | None:
    """Leadership and admins: last month's reaction by department, as in the pack."""
    if not user.has_role(Role.LEADERSHIP, Role.ADMIN):
        return None
    now = utcnow()
    tz = org_timezone()
    month = str(Month.of(now, tz).previous)
    return Panel(
        f"What the front line told us · {Month.parse(month).label}",
        "voice/_panel_front_line.html",
        {"fl": queries.front_line_month(month, tz, now)},
        order=65,
    )


def triage_panel(user: User) -> Panel | None:
    """Ideas waiting for this person's triage (under review or planned)."""
    viewer = user.viewer()
    if not viewer.has_any(ideas.TRIAGE_ROLES):
        return None
    page = upward_queries.idea_page(
        upward_queries.IdeaFilter(status="open", triager=viewer), 1, 5
    )
    if not page.total:
        return None
    return Panel(
        "Ideas to triage",
        "voice/_panel_ideas.html",
        {"page": page, "scope": "triage"},
        order=63,
    )


def retrain_panel(user: User) -> Panel | None:
    """A supervisor's "what to retrain": policy changes adopted lately that alter
    training or authorities, with the reps of their teams who passed or hold them."""
    viewer = user.viewer()
    if not viewer.supervised_team_ids or viewer.has_any(ORG_WIDE_ROLES):
        return None
    now = utcnow()
    changes = [
        (policy, upward_queries.retraining(policy, viewer.supervised_team_ids, now))
        for policy in upward_queries.recently_adopted(now)
    ]
    if not changes:
        return None
    return Panel(
        "What to retrain", "voice/_panel_retrain.html", {"changes": changes}, order=64
    )


PANELS: list[PanelProvider] = [
    my_reports_panel,
    department_panel,
    front_line_panel,
    my_ideas_panel,
    triage_panel,
    retrain_panel,
]
