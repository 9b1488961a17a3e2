"""The candidate's test over HTTP, with no login: token lifecycle (unknown, tampered,
expired, revoked, closed, used), autosave and resume, the no-JS path, double submit, the
time limit, and that the page shows nothing but this candidate's test."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3

import pytest
from flask import Flask
from sqlalchemy import select

from core.access import Role
from core.db import db, utcnow
from recruiting import invitation_operations, operations
from recruiting.models import AssessmentResult, Candidate, Invitation
from recruiting.pipeline import LinkState, Stage
from tests.conftest import TEST_DATABASE_URL, make_test_app
from tests.factories import make_user
from tests.helpers import csrf_token, text
from tests.recruiting.factories import make_candidate, make_opening

FIRST, SECOND = "refund-within-authority", "one-star-review"


@pytest.fixture
def link(seed):
    """A fresh test link for a candidate at screening, plus a second candidate."""
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="Phone rep")
        candidate = make_candidate(
            opening,
            manager,
            name="Tess Taker",
            email="tess@example.org",
            stage=Stage.SCREENING,
        )
        make_candidate(opening, manager, name="Other Person", email="other@example.org")
        invitation, token = invitation_operations.create_invitation(
            candidate, by=manager
        )
    return {
        "token": token,
        "url": f"/recruiting/test/{token}",
        "invitation": invitation.id,
        "candidate": candidate.id,
        "manager": manager,
    }


def _start(client, link) -> None:
    response = client.post(
        link["url"] + "/start", data={"csrf_token": csrf_token(client, link["url"])}
    )
    assert response.status_code == 302


def _save(client, link, item: str, best: str, worst: str | None = None, **extra):
    data = {"csrf_token": csrf_token(client, link["url"]), "item": item, "best": best}
    if worst:
        data["worst"] = worst
    return client.post(link["url"] + "/answer", data={**data, **extra}, **_json())


def _json() -> dict:
    return {"headers": {"Accept": "application/json"}}


def _edit(app: Flask, link, **values) -> None:
    with app.app_context():
        invitation = db.session.get(Invitation, link["invitation"])
        for name, value in values.items():
            setattr(invitation, name, value)
        db.session.commit()


def test_unknown_and_tampered_links_get_a_clear_page(client, link) -> None:
    for url in ("/recruiting/test/nonsense", link["url"][:-2] + "xy"):
        response = client.get(url)
        assert response.status_code == 404
        assert "This link does not work" in text(response)


def test_an_expired_link_says_so(app, client, link) -> None:
    _edit(app, link, expires_at=utcnow() - dt.timedelta(minutes=1))
    response = client.get(link["url"])
    assert response.status_code == 410
    assert "This link has expired" in text(response)


def test_a_revoked_link_says_so(app, client, link) -> None:
    _edit(app, link, revoked_at=utcnow())
    response = client.get(link["url"])
    assert response.status_code == 410
    assert "no longer valid" in text(response)


def test_the_link_dies_when_the_candidate_is_rejected(app, client, link) -> None:
    _start(client, link)
    with app.app_context():
        candidate = db.session.get(Candidate, link["candidate"])
        operations.move_candidate(
            candidate, Stage.REJECTED, "Position filled", by="test"
        )
        db.session.commit()
    response = client.get(link["url"])
    assert response.status_code == 410
    assert _save(client, link, FIRST, "a").status_code == 409


def test_intro_then_autosave_then_resume_in_another_browser(app, client, link) -> None:
    intro = text(client.get(link["url"]))
    assert "Start the assessment" in intro
    assert "25 minutes" in intro
    _start(client, link)
    page = text(client.get(link["url"]))
    assert "Question 1 of 14" in page
    assert re.search(r'data-seconds-left="(1[0-4]\d\d|1500)"', page)  # about 25 minutes
    response = _save(client, link, FIRST, "c")
    assert response.status_code == 200
    assert response.json["saved"] is True
    assert 0 < response.json["seconds_left"] <= 1500
    assert _save(client, link, SECOND, "a").json["saved"]  # half a most/least answer

    fresh = app.test_client()  # a new browser: no cookies at all
    resumed = text(fresh.get(link["url"]))
    assert "Question 2 of 14" in resumed  # the first not fully answered
    assert re.search(r'name="best" value="a" checked', resumed)
    first = text(fresh.get(link["url"] + "?q=1"))
    assert re.search(r'name="best" value="c" checked', first)
    with app.app_context():
        assert invitation_operations.answers_of(link["invitation"])[FIRST].best == "c"


def test_without_javascript_next_saves_and_moves_on(app, client, link) -> None:
    _start(client, link)
    response = client.post(
        link["url"] + "/answer",
        data={
            "csrf_token": csrf_token(client, link["url"]),
            "item": FIRST,
            "best": "a",
            "go": "next",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?q=2")
    response = client.post(
        link["url"] + "/answer",
        data={
            "csrf_token": csrf_token(client, link["url"]),
            "item": SECOND,
            "go": "prev",
        },
    )
    assert response.headers["Location"].endswith(
        "?q=1"
    )  # nothing chosen: just navigates
    with app.app_context():
        assert set(invitation_operations.answers_of(link["invitation"])) == {FIRST}


def test_an_impossible_answer_is_explained(client, link) -> None:
    _start(client, link)
    response = _save(client, link, SECOND, "a", "a")
    assert response.status_code == 400
    assert "must be different" in response.json["error"]["message"]
    response = client.post(
        link["url"] + "/answer",
        data={
            "csrf_token": csrf_token(client, link["url"]),
            "item": SECOND,
            "best": "a",
            "worst": "a",
        },
        follow_redirects=True,
    )
    assert "must be different" in text(response)


def test_an_answer_without_the_csrf_token_is_refused(client, link) -> None:
    _start(client, link)
    response = client.post(link["url"] + "/answer", data={"item": FIRST, "best": "a"})
    assert response.status_code == 400


def test_submit_once_then_the_second_submit_is_refused(app, client, link) -> None:
    _start(client, link)
    _save(client, link, FIRST, "a")
    review = text(client.get(link["url"] + "?q=review"))
    assert "13 questions are not fully answered" in review
    token = csrf_token(client, link["url"])
    response = client.post(link["url"] + "/submit", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Thank you" in text(client.get(link["url"]))
    again = client.post(link["url"] + "/submit", data={"csrf_token": token})
    assert again.status_code == 409
    assert "already been submitted" in text(again)
    assert _save(client, link, FIRST, "b").status_code == 409
    with app.app_context():
        results = db.session.scalars(select(AssessmentResult)).all()
        assert len(results) == 1
        assert results[0].answered == 1
        assert db.session.get(Candidate, link["candidate"]).stage is Stage.ASSESSED


def test_when_time_runs_out_the_saved_answers_are_submitted(app, client, link) -> None:
    _start(client, link)
    _save(client, link, FIRST, "a")
    _edit(app, link, deadline_at=utcnow() - dt.timedelta(seconds=1))
    response = client.post(
        link["url"] + "/answer",
        data={
            "csrf_token": csrf_token(client, link["url"]),
            "item": SECOND,
            "best": "a",
        },
    )
    assert response.status_code == 302  # back to the page, which explains
    page = text(client.get(link["url"]))
    assert "when the time ran out" in page
    with app.app_context():
        result = db.session.scalar(select(AssessmentResult))
        assert result.timed_out
        assert result.answered == 1


def test_the_page_shows_nothing_but_this_candidates_test(client, link) -> None:
    _start(client, link)
    page = text(client.get(link["url"]))
    for private in ("Tess", "tess@example.org", "Other Person", "other@example.org"):
        assert private not in page
    # No keyed points reach the candidate, and nothing inline that the CSP would block.
    for secret in ("empathy", "ownership", "composure", "points"):
        assert secret not in page.lower()
    assert 'style="' not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "/recruiting/candidates" not in page
    assert "Log out" not in page


def test_option_order_is_shuffled_per_link_but_stable(client, link) -> None:
    _start(client, link)
    first = re.findall(
        r'name="best" value="(\w)"', text(client.get(link["url"] + "?q=1"))
    )
    again = re.findall(
        r'name="best" value="(\w)"', text(client.get(link["url"] + "?q=1"))
    )
    assert first == again
    assert sorted(first) == ["a", "b", "c", "d"]


def test_the_test_pages_are_rate_limited(client, link) -> None:
    statuses = [client.get(link["url"]).status_code for _ in range(121)]
    assert set(statuses[:120]) == {200}
    assert statuses[120] == 429


@pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="about SQLite's locking; PostgreSQL has row locks"
)
def test_a_timed_out_link_is_scored_though_another_writer_commits_meanwhile(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a timed-out link writes the score from a GET: someone else's commit
    between its reads and that write must not end in "database is locked"."""
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="Phone rep")
        candidate = make_candidate(
            opening, manager, name="Tess Taker", stage=Stage.SCREENING
        )
        invitation, token = invitation_operations.create_invitation(
            candidate, by=manager
        )
        invitation_operations.start_test(
            invitation, at=utcnow() - dt.timedelta(hours=2)
        )
        db.session.commit()
        manager_id, invitation_id = manager.id, invitation.id
        assert invitation.state() is LinkState.TIMED_OUT
        db.engine.dispose()

    database = scratch_database_url.removeprefix("sqlite:///")
    original = Invitation.state
    meanwhile: list[int] = []

    def state_then_someone_writes(self: Invitation, *args, **kwargs) -> LinkState:
        found = original(self, *args, **kwargs)
        if not meanwhile:  # once, while the request's first transaction is open
            with contextlib.closing(sqlite3.connect(database)) as other:
                other.execute(
                    "UPDATE users SET session_version = session_version + 1"
                    " WHERE id = ?",
                    (manager_id,),
                )
                other.commit()
            meanwhile.append(1)
        return found

    monkeypatch.setattr(Invitation, "state", state_then_someone_writes)
    response = app.test_client().get(f"/recruiting/test/{token}")
    assert meanwhile
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    with app.app_context():
        result = db.session.scalar(
            select(AssessmentResult).where(
                AssessmentResult.invitation_id == invitation_id
            )
        )
        assert result is not None
        assert result.timed_out
        db.engine.dispose()
