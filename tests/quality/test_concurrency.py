"""Two submits of one review at the same moment (two tabs of the reviewer), and two
supervisors deciding one dispute at once: one wins whole, the other is told it is done.

Runs the real app on a database of its own (a file on SQLite, a scratch database on
PostgreSQL when ``FRONTLINE_TEST_DATABASE_URL`` is set), the posts released together.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from quality.models import QaReview
from quality.reviews import ReviewState
from tests.factories import make_team, make_user
from tests.helpers import logged_in_tabs, post_each, post_together
from tests.quality.records import import_tickets, load_rubrics, make_review, ticket

BEST = {
    "rating_greeting": "1",
    "rating_empathy": "5",
    "rating_ownership": "3",
    "rating_resolution": "5",
    "rating_tone": "3",
    "rating_policy": "1",
}


def _world(app: Flask) -> dict[str, object]:
    with app.app_context():
        load_rubrics()
        sup, sup2 = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
        admin = make_user(Role.ADMIN)
        team = make_team(supervisors=[sup, sup2])
        rep = make_user(Role.REP, team=team)
        ids = import_tickets(
            [ticket(f"R-{n}", rep.email, f"2024-03-0{n}T10:00:00Z") for n in (1, 2)]
        )
        draft = make_review(ids["R-1"], rep=rep, reviewer=sup)
        disputed = make_review(
            ids["R-2"], rep=rep, reviewer=sup, state=ReviewState.DISPUTED
        )
        db.session.commit()
        world = {
            "sup": sup.get_id(),
            "sup2": sup2.get_id(),
            "admin": admin.get_id(),
            "draft": draft.id,
            "disputed": disputed.id,
        }
        db.session.remove()
        return world


def test_two_submits_at_once_keep_one(race_app) -> None:
    world = _world(race_app)
    tabs = logged_in_tabs(race_app, world["sup"], 2)
    url = f"/quality/reviews/{world['draft']}/submit"
    statuses = post_together(tabs, url, {**BEST, "note": "Once"})
    assert sorted(statuses) == [302, 302]  # one submitted, one told it was already
    with race_app.app_context():
        review = db.session.get(QaReview, world["draft"])
        assert (review.state, review.score) == (ReviewState.SUBMITTED, 100.0)
        submits = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "quality.review.submit")
        )
        assert submits == 2  # the one in the world's set-up and this one


def test_two_decisions_at_once_keep_one_whole(race_app) -> None:
    world = _world(race_app)
    sup2 = logged_in_tabs(race_app, world["sup2"], 1)[0]
    admin = logged_in_tabs(race_app, world["admin"], 1)[0]
    url = f"/quality/reviews/{world['disputed']}/decide"
    statuses = post_each(
        [
            (sup2, {"decision": "upheld", "note": "Stands"}),
            (admin, {"decision": "withdrawn", "note": "Drop it"}),
        ],
        url,
    )
    assert statuses == [302, 302]
    with race_app.app_context():
        review = db.session.get(QaReview, world["disputed"])
        assert review.state is ReviewState.DECIDED
        assert (review.decision.value, review.decision_note) in {
            ("upheld", "Stands"),
            ("withdrawn", "Drop it"),
        }
        decisions = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "quality.review.decide")
        )
        assert decisions == 1
