"""Quality pages over HTTP: a supervisor reviews a sampled ticket (the draft autosaves),
the rep reads and disputes it, a second supervisor decides; rubrics edited by admins."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from core.access import Role
from core.db import db
from quality import operations
from quality.models import QaReview, QaRubric
from quality.reviews import ReviewState
from tests.factories import make_team, make_user
from tests.helpers import csrf_token, post_form, text
from tests.quality.records import SHIPPED, import_tickets, load_rubrics, ticket


@pytest.fixture(scope="module")
def org(module_seed):
    """A team led by two supervisors, its rep with a sampled ticket, another team's rep
    and supervisor, leadership and an admin; links to the helpdesk set."""
    with module_seed():
        load_rubrics()
        operations.set_helpdesk_link(
            "qa", "https://help.example.com/tickets/{id}", by="test"
        )
        sup, sup2, outsider = (make_user(Role.SUPERVISOR) for _ in range(3))
        team = make_team("Chat", supervisors=[sup, sup2])
        make_team("Phone", supervisors=[outsider])
        rep = make_user(Role.REP, team=team, name="Rita Rep")
        rep2 = make_user(Role.REP, team=team, name="Ray Rep")
        leader, admin = make_user(Role.LEADERSHIP), make_user(Role.ADMIN)
        import_tickets(
            [
                ticket(
                    "T-100",
                    rep.email,
                    "2024-03-05T10:00:00Z",
                    csat="bad",
                    tags="vip,refund:120",
                ),
                ticket("T-200", rep2.email, "2024-03-06T10:00:00Z", csat="good"),
            ]
        )
        operations.sample_month("2024-03", by="test")
    reviews = {}
    with module_seed():
        for review in db.session.scalars(select(QaReview)):
            reviews[review.rep_id] = review.id
        rubric_id = db.session.scalar(
            select(QaRubric.id).where(QaRubric.channel_group == "live")
        )
    return dict(
        sup=sup, sup2=sup2, outsider=outsider, rep=rep, rep2=rep2, leader=leader,
        admin=admin, review=reviews[rep.id], other_review=reviews[rep2.id],
        rubric=rubric_id,
    )  # fmt: skip


def _state(app: Flask, review_id: int) -> QaReview:
    with app.app_context():
        review = db.session.get(QaReview, review_id)
        db.session.expunge(review)
        return review


BEST = {
    "rating_greeting": "1",
    "rating_empathy": "5",
    "rating_ownership": "3",
    "rating_resolution": "na",
    "rating_tone": "3",
    "rating_policy": "1",
}


def test_a_review_from_sample_to_decision(app, client, org, login_as) -> None:
    review_url = f"/quality/reviews/{org['review']}"
    # The supervisor's queue shows the sampled ticket; the page shows the ticket's facts.
    login_as(org["sup"])
    queue = text(client.get("/quality/queue"))
    assert "Rita Rep" in queue
    assert "Refund above the rep" in queue
    assert "T-100" in queue  # the helpdesk's own ticket id
    page = text(client.get(review_url))
    assert "T-100" in page
    assert "https://help.example.com/tickets/T-100" in page
    assert "Not satisfied" in page
    assert "No authority of their own" in page
    assert "Refund in the ticket's tags: 120" in page
    assert "they held no refund authority then" in page
    # The page's autosave: JSON in, JSON out, the draft kept.
    token = csrf_token(client, review_url)
    saved = client.post(
        f"{review_url}/save",
        data={"csrf_token": token, "rating_empathy": "3", "note": "Going"},
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200
    assert saved.get_json() == {"saved": True, "score": 50.0}
    off_scale = client.post(
        f"{review_url}/save",
        data={"csrf_token": token, "rating_empathy": "9"},
        headers={"Accept": "application/json"},
    )
    assert off_scale.status_code == 400
    assert off_scale.get_json()["error"]["message"] == "Rate Empathy on its scale."
    assert _state(app, org["review"]).ratings == {"empathy": 3}
    # Submitting with categories missing names them and keeps what was typed.
    refused = post_form(
        client, f"{review_url}/submit", {"rating_empathy": "3", "note": "Going"},
        token_from=review_url,
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Rate Greeting and verification" in text(refused)
    assert _state(app, org["review"]).state is ReviewState.DRAFT
    done = post_form(
        client, f"{review_url}/submit", {**BEST, "note": "Kind and clear"},
        token_from=review_url,
    )  # fmt: skip
    assert done.status_code == 302
    review = _state(app, org["review"])
    assert (review.state, review.score) == (ReviewState.SUBMITTED, 100.0)
    # A second submit is refused clearly; nothing changes.
    again = post_form(
        client, f"{review_url}/submit", {**BEST, "rating_empathy": "1"},
        token_from=review_url, follow_redirects=True,
    )  # fmt: skip
    assert "a submitted review is final" in text(again)
    late = client.post(
        f"{review_url}/save",
        data={"csrf_token": token, "rating_empathy": "1"},
        headers={"Accept": "application/json"},
    )
    assert late.status_code == 409
    assert "final" in late.get_json()["error"]["message"]
    assert _state(app, org["review"]).score == 100.0

    # The rep sees it and disputes it.
    login_as(org["rep"])
    mine = text(client.get("/quality/mine"))
    assert "T-100" in mine
    assert "100" in mine
    assert "1 review" in mine
    assert "small sample" in mine
    assert "Kind and clear" in text(client.get(review_url))
    post_form(
        client, f"{review_url}/dispute", {"reason": "The customer wanted that"},
        token_from=review_url,
    )  # fmt: skip
    assert _state(app, org["review"]).state is ReviewState.DISPUTED

    # The reviewer cannot decide; the second supervisor can.
    login_as(org["sup"])
    assert org["review"] not in [org["other_review"]]
    assert "Rita Rep" not in text(client.get("/quality/disputes"))
    refused = post_form(
        client, f"{review_url}/decide", {"decision": "withdrawn", "note": "Mine"},
        token_from=review_url,
    )  # fmt: skip
    assert refused.status_code == 403
    login_as(org["sup2"])
    assert "The customer wanted that" in text(client.get("/quality/disputes"))
    decided = post_form(
        client, f"{review_url}/decide", {"decision": "withdrawn", "note": "Fair point"},
        token_from=review_url, follow_redirects=True,
    )  # fmt: skip
    assert "Dispute decided" in text(decided)
    review = _state(app, org["review"])
    assert (review.state, review.decision.value) == (ReviewState.DECIDED, "withdrawn")
    login_as(org["rep"])
    assert "Fair point" in text(client.get(review_url))


def test_the_save_button_works_without_javascript(app, client, org, login_as) -> None:
    url = f"/quality/reviews/{org['other_review']}"
    login_as(org["sup"])
    response = post_form(
        client, f"{url}/save", {"rating_tone": "2", "comment_tone": "A bit curt"},
        token_from=url, follow_redirects=True,
    )  # fmt: skip
    assert "Draft saved." in text(response)
    assert _state(app, org["other_review"]).comments == {"tone": "A bit curt"}
    bad = post_form(client, f"{url}/save", {"rating_tone": "7"}, token_from=url)
    assert bad.status_code == 400
    assert "Rate Tone and pace on its scale." in text(bad)


@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 403), ("rep2", 403), ("outsider", 403), ("leader", 200), ("sup2", 200)],
)
def test_who_may_open_a_draft(client, org, login_as, who, status) -> None:
    """The rep waits for the submit; a supervisor of another team never sees it."""
    login_as(org[who])
    assert client.get(f"/quality/reviews/{org['other_review']}").status_code == status


def test_only_the_reviewer_saves_a_draft(client, org, login_as) -> None:
    url = f"/quality/reviews/{org['other_review']}"
    login_as(org["sup2"])
    assert post_form(client, f"{url}/save", {}, token_from=url).status_code == 403


def test_an_admin_edits_a_rubric_with_line_numbered_errors(
    app, client, org, login_as
) -> None:
    url = f"/quality/rubrics/{org['rubric']}/edit"
    login_as(org["admin"])
    form = text(client.get(url))
    assert "Live conversations" in form
    text_in = (SHIPPED / "live.yaml").read_text()
    bad = post_form(
        client, url, {"text": text_in.replace("weight: 35", "weight: many")},
        token_from=url,
    )  # fmt: skip
    assert bad.status_code == 200
    assert "line 23: categories[4].weight: a whole number from 0 to 100" in text(bad)
    good = post_form(
        client, url, {"text": text_in.replace("weight: 35", "weight: 45")},
        token_from=url, follow_redirects=True,
    )  # fmt: skip
    assert "Live conversations v1 changed." in text(good)
    assert ">45<" in text(client.get(f"/quality/rubrics/{org['rubric']}"))


def test_the_review_list_shows_each_reps_qa_score(client, org, login_as) -> None:
    login_as(org["leader"])
    page = text(client.get("/quality/reviews?month=2024-03"))
    assert "Rita Rep" in page
    assert "Ray Rep" in page
    assert "No score yet (0 reviews)" in page
    assert client.get("/quality/reviews?month=2024-13").status_code == 400


def test_the_dashboard_shows_the_queue_and_the_reviews_to_read(
    app, client, org, login_as
) -> None:
    login_as(org["sup"])
    page = text(client.get("/"))
    assert "Reviews to do" in page
    assert "<strong>2</strong> sampled tickets waiting for your review" in page
    assert "2 overdue" in page  # due 14 April 2024
    with app.app_context():
        review = db.session.get(QaReview, org["review"])
        operations.submit_review(
            review,
            ratings={
                k.removeprefix("rating_"): v if v == "na" else int(v)
                for k, v in BEST.items()
            },
            comments={},
            note="",
            by=review.reviewer,
        )
        db.session.commit()
    login_as(org["rep"])
    page = text(client.get("/"))
    assert "<strong>1</strong> review of your tickets to read and acknowledge." in page
    assert "QA score, 2024-03: 100 (1 review)" in page
    login_as(org["rep2"])
    assert "Quality reviews" not in text(client.get("/"))


def test_an_admin_sets_where_tickets_open_in_the_helpdesk(client, org, login_as):
    login_as(org["admin"])
    bad = post_form(
        client, "/quality/links", {"source": "zendesk", "url_pattern": "https://x"},
        token_from="/quality/rubrics",
    )  # fmt: skip
    assert bad.status_code == 400
    assert "{id} where the ticket id goes" in text(bad)
    good = post_form(
        client,
        "/quality/links",
        {"source": "zendesk", "url_pattern": "https://acme.example/t/{id}"},
        token_from="/quality/rubrics",
        follow_redirects=True,
    )
    assert "Tickets from zendesk now open in the helpdesk." in text(good)
    assert "https://acme.example/t/{id}" in text(good)
