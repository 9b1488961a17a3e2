"""Every error is a page of ours (or JSON for the API); no stack trace reaches a user."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from core.access import Role
from core.errors import wait_message
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.helpers import text


def test_404_is_our_page(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert "Frontline" in text(response)


def test_403_is_our_page(client, seed, login_as) -> None:
    with seed():
        rep = make_user(Role.REP)
    login_as(rep)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have access to this page" in text(response)


def test_405_is_our_page(client) -> None:
    response = client.delete("/auth/login")
    assert response.status_code == 405
    assert "not available" in text(response)


@pytest.fixture(scope="module")
def crashing_app(database_url: str) -> Flask:
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("boom", __name__)

    @bp.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    @bp.route("/api/v1/boom")
    def api_boom() -> str:
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    return app


def test_an_unexpected_error_shows_a_polite_500_without_internals(
    crashing_app: Flask, caplog
) -> None:
    response = crashing_app.test_client().get("/boom")
    assert response.status_code == 500
    body = text(response)
    assert "Something went wrong on our side" in body
    assert "hunter2" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text  # logged for us, not shown to them


def test_an_unexpected_api_error_is_json(crashing_app: Flask) -> None:
    response = crashing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json["error"]["status"] == 500
    assert "secret" not in response.get_data(as_text=True)


def test_oversized_upload_is_refused_politely(
    app: Flask, client, seed, login_as
) -> None:
    with seed():
        user = make_user(Role.ADMIN)
    login_as(user)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/auth/login", data=b"x" * (limit + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "That file is too large" in text(response)


def test_healthz_reports_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"]["status"] == "ok"
    assert response.json["database"]["dialect"] in {"sqlite", "postgresql"}


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "Wait a minute, then try again."),
        (0.2, "Try again in 1 second."),
        (1, "Try again in 1 second."),
        (42.3, "Try again in 43 seconds."),
        (60, "Try again in 1 minute."),
        (61, "Try again in 2 minutes."),
        (3599, "Try again in 60 minutes."),
    ],
)
def test_a_rate_limit_page_says_how_long_to_wait(
    seconds: float | None, words: str
) -> None:
    assert wait_message(seconds).endswith(words)
