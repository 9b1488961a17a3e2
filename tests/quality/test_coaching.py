"""Coaching from reviews: a category failed twice in a rep's month offers the scenarios
tagged for it (one click assigns one, through the scorecards' coaching action), and a
failed critical category about authority asks the supervisor to review the rep's grant."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from core.access import Role
from core.db import db
from quality import operations
from quality.models import QaReview
from tests.factories import make_team, make_user
from tests.helpers import csrf_token
from tests.quality.records import best_ratings, import_tickets, load_rubrics, ticket
from tests.training.factories import shipped
from training import operations as training_operations
from training.models import Assignment


@pytest.fixture(scope="module")
def org(module_seed):
    """Rita's March: empathy failed in two reviews, policy (about authority) in one; Ray's
    March is clean; a supervisor of another team; the scenario tagged qa:empathy."""
    with module_seed():
        load_rubrics()
        training_operations.load_scenarios([shipped("angry-repeat-caller")], by="test")
        sup, outsider = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
        team = make_team("Chat", supervisors=[sup])
        make_team("Phone", supervisors=[outsider])
        rita = make_user(Role.REP, team=team, name="Rita Rep")
        ray = make_user(Role.REP, team=team, name="Ray Rep")
        leader = make_user(Role.LEADERSHIP)
        ids = import_tickets(
            [
                ticket(
                    f"C-{n}", (rita if n < 4 else ray).email, f"2024-03-0{n}T10:00:00Z"
                )
                for n in range(1, 7)
            ]
        )
        failures = {"C-1": {"empathy": 1, "policy": 0}, "C-2": {"empathy": 2}}
        for key, ticket_id in sorted(ids.items()):
            rep = rita if int(key[2:]) < 4 else ray
            review = QaReview(
                ticket_id=ticket_id,
                rep_id=rep.id,
                reviewer_id=sup.id,
                month="2024-03",
                reason="random",
                rubric_version_id=operations.queries.current_versions()["live"].id,
                due_on=dt.date(2024, 4, 14),
            )
            db.session.add(review)
            db.session.flush()
            ratings = {**best_ratings(review), **failures.get(key, {})}
            operations.submit_review(
                review, ratings=ratings, comments={}, note="", by=sup
            )
    return dict(sup=sup, outsider=outsider, rita=rita, ray=ray, leader=leader)


def text_of(html: str) -> str:
    words = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(words)).replace(" :", ":").replace(" .", ".")


def text(response) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return text_of(response.get_data(as_text=True))


def test_the_supervisor_sees_both_suggestions_and_assigns_the_scenario(
    app, client, org, login_as
) -> None:
    login_as(org["sup"])
    page = text(client.get("/quality/coaching?month=2024-03"))
    assert "Rita Rep" in page
    assert "Ray Rep" not in page
    assert "Empathy: failed in 2 of 3 reviews" in page
    assert "Review their grant" in page
    assert "Policy and authority use failed on ticket C-1" in page
    assert "Rita Rep's authority" in page
    assert "Assign “The third call about the same problem”" in page
    # The dashboard says so too, with the rep's authority page a click away.
    dashboard = client.get("/").get_data(as_text=True)
    assert "Coaching from reviews" in dashboard
    assert f"/training/register/reps/{org['rita'].id}" in dashboard
    assert "Empathy failed in 2 of 3 reviews" in text_of(dashboard)
    # One click assigns the scenario through the scorecards' coaching action.
    response = client.post(
        "/incentives/coaching",
        data={
            "csrf_token": csrf_token(client),
            "rep_id": org["rita"].id,
            "scenario": "angry-repeat-caller",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(
            select(Assignment).where(Assignment.rep_id == org["rita"].id)
        )
    page = text(client.get("/quality/coaching?month=2024-03"))
    assert ": assigned" in page


def test_leadership_reads_every_team_without_assign_buttons(
    client, org, login_as
) -> None:
    login_as(org["leader"])
    page = client.get("/quality/coaching?month=2024-03").get_data(as_text=True)
    assert "Rita Rep" in page
    assert "/incentives/coaching" not in page


def test_another_teams_supervisor_sees_nothing_of_it(client, org, login_as) -> None:
    login_as(org["outsider"])
    page = text(client.get("/quality/coaching?month=2024-03"))
    assert "Rita Rep" not in page
    assert "Nobody failed a category twice" in page
    assert "Coaching from reviews" not in client.get("/").get_data(as_text=True)


def test_a_bad_month_is_refused_on_the_page(client, org, login_as) -> None:
    login_as(org["sup"])
    assert client.get("/quality/coaching?month=March").status_code == 400


def test_the_month_scores_count_the_reviews_the_rules_count(app, seed) -> None:
    """``queries.counted`` (SQL, for the Reviews page's scores) says what
    ``reviews.counts`` says, in every state and decision."""
    from quality import queries
    from quality.reviews import Decision, ReviewState, counts

    with seed():
        load_rubrics()
        sup = make_user(Role.SUPERVISOR)
        rep = make_user(Role.REP, team=make_team(supervisors=[sup]))
        cases = [(s, None) for s in ReviewState] + [
            (ReviewState.DECIDED, d) for d in Decision
        ]
        ids = import_tickets(
            [
                ticket(f"K-{n}", rep.email, f"2024-05-{n + 1:02d}T10:00:00Z")
                for n in range(len(cases))
            ],
            source="counted",
        )
        version = operations.queries.current_versions()["live"]
        for n, (state, decision) in enumerate(cases):
            db.session.add(
                QaReview(
                    ticket_id=ids[f"K-{n}"],
                    rep_id=rep.id,
                    reviewer_id=sup.id,
                    month="2024-05",
                    reason="random",
                    rubric_version_id=version.id,
                    due_on=dt.date(2024, 6, 14),
                    state=state,
                    decision=decision,
                    score=float(n),
                )
            )
    with app.app_context():
        reviews = db.session.scalars(
            select(QaReview).where(QaReview.month == "2024-05")
        ).all()
        expected = {r.id for r in reviews if counts(r.state, r.decision)}
        found = set(
            db.session.scalars(
                select(QaReview.id).where(
                    QaReview.month == "2024-05", queries.counted()
                )
            )
        )
        assert found == expected
        assert len(expected) == 3  # submitted, acknowledged, decided and upheld
