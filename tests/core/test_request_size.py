"""Bodies from people who are not logged in are held to a few kilobytes, refused before
they are read; logged-in uploads keep the 64 MB limit."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.formparser import FormDataParser

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from recruiting import invitation_operations
from recruiting.pipeline import Stage
from tests.factories import make_api_token, make_user
from tests.helpers import csrf_token, text
from tests.recruiting.factories import make_candidate, make_opening

PASSWORD = "correct horse battery"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every form body parsed from here on, by mimetype."""
    calls: list[str] = []
    original = FormDataParser.parse

    def spy(self, stream, mimetype, content_length, options=None):
        calls.append(mimetype)
        return original(self, stream, mimetype, content_length, options)

    monkeypatch.setattr(FormDataParser, "parse", spy)
    return calls


@pytest.fixture
def rep(seed) -> None:
    with seed():
        make_user(Role.REP, email="rita@example.com", password=PASSWORD)


def test_an_oversized_anonymous_login_form_is_refused_before_it_is_read(
    app: Flask, client, rep, parsed: list[str]
) -> None:
    cap = app.config["ANONYMOUS_MAX_CONTENT_LENGTH"]
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": token,
            "email": "rita@example.com",
            "password": PASSWORD,
            "padding": "x" * cap,
        },
    )
    assert response.status_code == 413
    assert "That form is too large" in text(response)
    assert "Go back, check what you typed" in text(response)
    assert parsed == []
    # The login view never ran: no session, and no failed login on record.
    assert client.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_a_form_just_under_the_limit_is_read_as_usual(
    app: Flask, client, rep, parsed: list[str]
) -> None:
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": token,
            "email": "rita@example.com",
            "password": PASSWORD,
            "padding": "x" * (app.config["ANONYMOUS_MAX_CONTENT_LENGTH"] // 2),
        },
    )
    assert response.status_code == 302
    assert parsed == ["application/x-www-form-urlencoded"]


def test_an_anonymous_body_without_a_length_is_refused_unread(
    client, rep, parsed: list[str]
) -> None:
    """Chunked (gunicorn passes it on with wsgi.input_terminated), Werkzeug would cut it
    at the limit and parse the rest; refused instead, as no browser sends a form so."""
    token = csrf_token(client)
    body = f"csrf_token={token}&email=rita%40example.com&password={PASSWORD}"
    response = client.post(
        "/auth/login",
        input_stream=io.BytesIO(body.encode()),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 411
    assert "Send it again from the page in your browser" in text(response)
    assert parsed == []
    assert client.get("/").status_code == 302


def test_a_logged_in_user_keeps_the_upload_limit(
    app: Flask, client, seed, login_as, parsed: list[str]
) -> None:
    with seed():
        user = make_user(Role.REP)
    login_as(user)
    response = client.post(
        "/auth/login",
        data={"padding": "x" * (4 * app.config["ANONYMOUS_MAX_CONTENT_LENGTH"])},
    )
    assert response.status_code != 413
    assert parsed == ["application/x-www-form-urlencoded"]


def test_a_candidates_answer_as_the_page_sends_it_is_far_below_the_limit(
    app: Flask, client, seed
) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="Phone rep")
        candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
        _, token = invitation_operations.create_invitation(candidate, by=manager)
    url = f"/recruiting/test/{token}"
    client.post(url + "/start", data={"csrf_token": csrf_token(client, url)})
    # As take.js sends it: multipart FormData with the page's fields, asking for JSON.
    response = client.post(
        url + "/answer",
        data={
            "csrf_token": csrf_token(client, url),
            "item": "refund-within-authority",
            "best": "a",
        },
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["saved"] is True
    assert (
        response.request.content_length < app.config["ANONYMOUS_MAX_CONTENT_LENGTH"] / 8
    )


def test_an_api_call_without_a_token_cannot_send_a_large_body(
    app: Flask, client, seed
) -> None:
    with seed():
        secret = make_api_token(Role.ADMIN)
    big = json.dumps({"tickets": [{"note": "x" * 1000}] * 40})
    response = client.post("/api/v1/tickets", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["status"] == 413
    # With a token, the body is the API's to judge (here: tickets that are not valid).
    response = client.post(
        "/api/v1/tickets",
        data=big,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code not in {401, 413}


def test_a_made_up_token_does_not_get_a_body_read(
    app: Flask, client, monkeypatch
) -> None:
    read: list[int] = []
    original = Flask.request_class.get_json

    def spy(self, *args, **kwargs):
        read.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Flask.request_class, "get_json", spy)
    big = json.dumps({"tickets": [{"note": "x" * 1000}] * 40})
    response = client.post(
        "/api/v1/tickets",
        data=big,
        content_type="application/json",
        headers={"Authorization": "Bearer fl_made_up"},
    )
    assert response.status_code == 401
    assert read == []


def test_a_nul_in_an_api_body_is_refused_once_the_token_is_good(
    app: Flask, client, seed
) -> None:
    with seed():
        secret = make_api_token(Role.ADMIN)
    response = client.post(
        "/api/v1/tickets",
        json={"tickets": [{"ticket_id": "a\x00b"}]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert "NUL character" in response.json["error"]["message"]
