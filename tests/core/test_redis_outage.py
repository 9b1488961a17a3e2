"""With REDIS_URL set and Redis unreachable, logins and candidates' test links keep working:
the rate limits count in-process with a logged warning, and /healthz says "degraded".

Redis is "down" at a closed local port, so these tests need no Redis and run everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from core.access import Role
from core.extensions import limiter
from recruiting import invitation_operations
from recruiting.pipeline import Stage
from tests.factories import make_user
from tests.helpers import csrf_token, post_form, text
from tests.recruiting.factories import make_candidate, make_opening

DOWN = "redis://127.0.0.1:1/0"
PASSWORD = "correct horse battery"


@pytest.fixture
def redis_down(app: Flask) -> Iterator[Flask]:
    """The suite's app configured for a Redis that refuses connections."""
    saved = {key: app.config[key] for key in ("RATELIMIT_STORAGE_URI", "REDIS_URL")}
    app.config.update(RATELIMIT_STORAGE_URI=DOWN, REDIS_URL=DOWN)
    limiter.init_app(app)
    yield app
    app.config.update(saved)
    limiter.init_app(app)
    # A new storage does not clear the limiter's "storage is down" mark: clear it, so
    # that later tests count in the memory storage the suite resets.
    limiter._storage_dead = False


@pytest.fixture
def rep(seed) -> None:
    with seed():
        make_user(Role.REP, email="rita@example.com", password=PASSWORD)


def test_login_works_and_a_warning_is_logged_while_redis_is_down(
    redis_down: Flask, rep, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis_down.test_client()
    with caplog.at_level(logging.WARNING):
        response = post_form(
            client, "/auth/login", {"email": "rita@example.com", "password": PASSWORD}
        )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert "falling back to in-memory storage" in caplog.text


def test_login_limits_still_hold_in_process_while_redis_is_down(
    redis_down: Flask, rep
) -> None:
    client = redis_down.test_client()
    token = csrf_token(client)
    statuses = [
        client.post(
            "/auth/login",
            data={
                "csrf_token": token,
                "email": f"x{i}@example.com",
                "password": "wrong password",
            },
        ).status_code
        for i in range(11)
    ]
    assert statuses == [200] * 10 + [429]


def test_a_candidates_test_link_works_while_redis_is_down(
    redis_down: Flask, seed
) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="Phone rep")
        candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
        _, token = invitation_operations.create_invitation(candidate, by=manager)
    client = redis_down.test_client()
    url = f"/recruiting/test/{token}"
    assert client.get(url).status_code == 200
    response = client.post(url + "/start", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert client.get(url).status_code == 200


def test_healthz_says_degraded_and_names_redis_while_it_is_down(
    redis_down: Flask,
) -> None:
    response = redis_down.test_client().get("/healthz")
    # The database works, so the worker stays in the load balancer's rotation.
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["database"]["status"] == "ok"
    assert response.json["redis"]["status"] == "error"
    assert response.json["redis"]["error"] == "ConnectionError"


def test_healthz_without_redis_configured_is_ok(client) -> None:
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["redis"] == {"status": "not configured"}


def test_a_failing_limiter_never_shows_an_error_page(
    redis_down: Flask, rep, caplog: pytest.LogCaptureFixture
) -> None:
    """Already marked down, a storage failure the fallback does not cover (two threads
    failing at once) is logged and the login goes ahead."""
    limiter._storage_dead = True  # the other thread won the race to mark it
    limiter._fallback_limiter = limiter._limiter  # ... and the fallback fails too
    client = redis_down.test_client()
    response = post_form(
        client, "/auth/login", {"email": "rita@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302, text(response)
