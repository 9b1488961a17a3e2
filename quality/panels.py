"""Quality's dashboard panels: a reviewer's queue, and a rep's reviews to read and their
QA score."""

from __future__ import annotations

from core.access import Role
from core.people import User
from core.shell import Panel, PanelProvider
from quality import queries
from quality.reviews import ReviewState
from quality.views import today


def reviewer_panel(user: User) -> Panel | None:
    """Drafts waiting for the user's review, overdue ones counted."""
    if not user.has_role(Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN):
        return None
    waiting = queries.queue(user.id)
    if not waiting and Role.SUPERVISOR not in user.roles:
        return None
    return Panel(
        "Reviews to do",
        "quality/_panel_reviewer.html",
        {"waiting": len(waiting), "overdue": queries.overdue_count(user.id, today())},
        order=40,
    )


def rep_panel(user: User) -> Panel | None:
    """Reviews of the rep's tickets not yet acknowledged, and their latest QA score."""
    if Role.REP not in user.roles:
        return None
    reviews = queries.reviews_of_rep(user.id)
    if not reviews:
        return None
    scores = queries.month_scores(reviews)
    latest = max(scores) if scores else None
    return Panel(
        "Quality reviews",
        "quality/_panel_rep.html",
        {
            "to_read": sum(r.state is ReviewState.SUBMITTED for r in reviews),
            "month": latest[1] if latest else None,
            "score": scores[latest] if latest else None,
        },
        order=40,
    )


def coaching_panel(user: User) -> Panel | None:
    """A supervisor's reps whose latest month of reviews suggests coaching or a look at
    their grant (``quality.coaching``)."""
    if Role.SUPERVISOR not in user.roles or not user.supervised_teams:
        return None
    months = queries.months_with_reviews()
    if not months:
        return None
    viewer = user.viewer()
    rows = [
        row
        for row in queries.coaching_rows(viewer, months[0], today())
        if row.rep.team_id in viewer.supervised_team_ids
    ]
    if not rows:
        return None
    return Panel(
        "Coaching from reviews",
        "quality/_panel_coaching.html",
        {"month": months[0], "rows": rows},
        order=41,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [reviewer_panel, rep_panel, coaching_panel]
