"""Quality over the JSON API: reviews read a page at a time by leadership and admin tokens,
reviews done elsewhere sent in, checked as the review page checks a submit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from quality.models import QaReview
from quality.reviews import ReviewState
from tests.factories import make_api_token, make_team, make_user
from tests.quality.records import import_tickets, load_rubrics, make_review, ticket


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(seed):
    with seed():
        load_rubrics()
        sup, outsider = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
        team = make_team("Chat", supervisors=[sup])
        make_team("Phone", supervisors=[outsider])
        rep = make_user(Role.REP, team=team, email="rita@example.com", name="Rita")
        rep2 = make_user(Role.REP, team=team, email="ray@example.com", name="Ray")
        ids = import_tickets(
            [
                ticket("A-1", rep.email, "2024-03-05T10:00:00Z"),
                ticket("A-2", rep.email, "2024-03-06T10:00:00Z"),
                ticket("A-3", rep2.email, "2024-04-02T10:00:00Z"),
                ticket("A-4", rep.email, "2024-03-07T10:00:00Z"),
                ticket("A-5", rep.email, "2024-03-08T10:00:00Z", channel="email"),
            ],
            source="zendesk",
        )
        draft = make_review(ids["A-1"], rep=rep, reviewer=sup)
        done = make_review(
            ids["A-2"], rep=rep, reviewer=sup, state=ReviewState.ACKNOWLEDGED
        )
        make_review(
            ids["A-3"], rep=rep2, reviewer=sup, state=ReviewState.SUBMITTED,
            month="2024-04",
        )  # fmt: skip
        tokens = {
            role: make_api_token(role, name=f"{role} token")
            for role in (Role.LEADERSHIP, Role.ADMIN, Role.SUPERVISOR)
        }
    return dict(
        sup=sup, outsider=outsider, rep=rep, rep2=rep2, draft=draft.id, done=done.id,
        tokens=tokens,
    )  # fmt: skip


def get(client, world, query: str = "", role: Role = Role.LEADERSHIP):
    return client.get(
        f"/api/v1/qa/reviews{query}", headers=bearer(world["tokens"][role])
    )


def post(client, world, body, role: Role = Role.ADMIN):
    return client.post(
        "/api/v1/qa/reviews", json=body, headers=bearer(world["tokens"][role])
    )


LIVE = {
    "greeting": 1,
    "empathy": 4,
    "ownership": 3,
    "resolution": "na",
    "tone": 2,
    "policy": 1,
}


def test_leadership_reads_a_reps_month_with_ratings_score_and_state(
    client, world
) -> None:
    response = get(client, world, "?rep=RITA@example.com&month=2024-03")
    assert response.status_code == 200
    body = response.json
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 2)
    by_state = {r["state"]: r for r in body["reviews"]}
    assert set(by_state) == {"draft", "acknowledged"}
    done = by_state["acknowledged"]
    assert done["ticket"] == {"source": "zendesk", "id": "A-2", "channel": "chat"}
    assert done["rep"]["email"] == "rita@example.com"
    assert done["rubric"]["channel_group"] == "live"
    assert done["rubric"]["version"] == 1
    assert done["score"] == 100.0
    ratings = {r["category"]: r["rating"] for r in done["ratings"]}
    assert ratings["empathy"] == 5
    # A draft's unrated categories are null; notes and comments are for people.
    assert all(r["rating"] is None for r in by_state["draft"]["ratings"])
    assert "note" not in done
    assert "comments" not in done


def test_the_list_is_paginated_the_latest_month_first(client, world) -> None:
    first = get(client, world, "?per_page=2").json
    assert first["total"] == 3
    assert [r["month"] for r in first["reviews"]] == ["2024-04", "2024-03"]
    second = get(client, world, "?per_page=2&page=2").json
    assert len(second["reviews"]) == 1
    assert get(client, world, "?per_page=2&page=9").json["reviews"] == []


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?month=2024-13", 400, "month"),
        ("?month=March", 400, "month"),
        ("?per_page=500", 400, "per_page"),
        ("?page=0", 400, "page"),
        ("?rep=nobody@example.com", 404, None),
    ],
)
def test_bad_parameters_are_a_json_error(client, world, query, status, field) -> None:
    response = get(client, world, query)
    assert response.status_code == status
    assert response.json["error"]["message"]
    if field:
        assert field in response.json["error"]["fields"]


def test_a_supervisor_token_does_not_read_every_review(client, world) -> None:
    # A token is not one person: it cannot be cut to a supervisor's teams.
    assert get(client, world, role=Role.SUPERVISOR).status_code == 403


def test_a_review_done_elsewhere_is_submitted_at_once_and_audited(
    app, client, world
) -> None:
    response = post(
        client,
        world,
        {
            "source": "zendesk",
            "ticket": "A-4",
            "reviewer": world["sup"].email,
            "ratings": LIVE,
            "comments": {"tone": "A little curt at the end."},
            "note": "Good ownership.",
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["state"] == "submitted"
    assert body["reason"] == "outside"
    assert body["month"] == "2024-03"
    assert body["reviewer"]["email"] == world["sup"].email
    # Greeting 10 x 1, empathy 20 x 3/4, ownership 20 x 1, tone 15 x 1/2, over the 65
    # weights that apply (resolution not applicable, policy weighs nothing).
    assert body["score"] == 80.8
    with app.app_context():
        review = db.session.get(QaReview, body["id"])
        assert review.state is ReviewState.SUBMITTED
        assert review.comments == {"tone": "A little curt at the end."}
        assert review.note == "Good ownership."
        assert review.rep_id == world["rep"].id
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "quality.review.submit")
            .order_by(AuditEvent.id.desc())
        )  # fmt: skip
        assert event.actor_label == "api:admin token"
        assert "done elsewhere" in event.summary
    # The rep sees it among their month's reviews at once.
    listed = get(client, world, "?rep=rita@example.com&month=2024-03").json
    assert listed["total"] == 3


def test_a_second_review_of_a_ticket_is_refused(client, world) -> None:
    body = {
        "source": "zendesk",
        "ticket": "A-4",
        "reviewer": world["sup"].email,
        "ratings": LIVE,
    }
    assert post(client, world, body).status_code == 201
    again = post(client, world, body, role=Role.SUPERVISOR)
    assert again.status_code == 409
    assert "reviewed once" in again.json["error"]["message"]
    # A sampled ticket (a draft) is refused the same way.
    sampled = post(client, world, {**body, "ticket": "A-1"})
    assert sampled.status_code == 409


def test_every_problem_is_named_and_nothing_is_saved(app, client, world) -> None:
    ratings = {**LIVE, "empathy": 9, "policy": "na", "speed": 3}
    del ratings["tone"]
    response = post(
        client,
        world,
        {
            "source": "zendesk",
            "ticket": "A-4",
            "reviewer": world["sup"].email,
            "ratings": ratings,
        },
    )
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert fields["ratings.empathy"] == ["Rate Empathy on its scale."]
    assert "cannot be marked not applicable" in fields["ratings.policy"][0]
    assert fields["ratings.speed"] == ["This rubric has no such category."]
    assert "Rate Tone" in fields["ratings.tone"][0]
    with app.app_context():
        assert (
            db.session.scalar(select(QaReview).where(QaReview.reason == "outside"))
            is None
        )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"reviewer": "rita@example.com"}, "reviewer", "own tickets"),
        ("outsider", "reviewer", "supervisor of the rep's team"),
        ({"reviewer": "ghost@example.com"}, "reviewer", "Nobody has"),
        ({"ticket": "NOPE"}, "ticket", "No ticket NOPE"),
        ({"ratings": {}}, "ratings", "by its key"),
        ({"ratings": {"empathy": True}}, "ratings.empathy", "whole number"),
        ({"ratings": "great"}, "ratings", "by its key"),
        ({"source": None}, "source", "Required"),
        ({"note": "x" * 5001}, "note", "At most"),
        ({"comments": ["nice"]}, "comments", "by category"),
    ],
)
def test_bad_bodies_are_refused_with_the_field(
    client, world, change, field, words
) -> None:
    body = {
        "source": "zendesk",
        "ticket": "A-4",
        "reviewer": world["sup"].email,
        "ratings": LIVE,
    }
    if change == "outsider":
        change = {"reviewer": world["outsider"].email}
    response = post(client, world, {**body, **change})
    assert response.status_code == 400
    assert words in response.json["error"]["fields"][field][0]


def test_the_rubric_of_the_tickets_channel_judges_it(client, world) -> None:
    # A-5 is an e-mail: the written rubric has no greeting, and wants its own keys.
    response = post(
        client,
        world,
        {
            "source": "zendesk",
            "ticket": "A-5",
            "reviewer": world["sup"].email,
            "ratings": LIVE,
        },
    )
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert fields["ratings.greeting"] == ["This rubric has no such category."]
    assert "ratings.understanding" in fields


def test_not_json_is_a_400(client, world) -> None:
    response = client.post(
        "/api/v1/qa/reviews",
        data="ratings=1",
        headers=bearer(world["tokens"][Role.ADMIN]),
    )
    assert response.status_code == 400
    assert "JSON" in response.json["error"]["message"]


def test_leadership_tokens_do_not_write(client, world) -> None:
    assert post(client, world, {}, role=Role.LEADERSHIP).status_code == 403
