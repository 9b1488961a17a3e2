"""Logging in and out, sessions that can be revoked, passwords, CSRF and the rate limit."""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from core import accounts, login_throttle
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.login_throttle import login_delay
from core.people import User
from tests.factories import make_user
from tests.helpers import csrf_token, post_form, text

PASSWORD = "correct horse battery"


@pytest.fixture
def rep(seed) -> User:
    with seed():
        user = make_user(
            Role.REP, email="rita@example.com", name="Rita Rep", password=PASSWORD
        )
    return user


def log_in(client, email: str = "rita@example.com", password: str = PASSWORD, **kwargs):
    return post_form(
        client, "/auth/login", {"email": email, "password": password}, **kwargs
    )


def test_login_through_the_real_form_reaches_the_dashboard(client, rep) -> None:
    response = log_in(client, follow_redirects=True)
    assert response.status_code == 200
    assert "Good to see you, Rita" in text(response)
    assert "Log out" in text(response)


def test_login_is_case_insensitive_on_the_email(client, rep) -> None:
    response = log_in(client, email="  RITA@Example.com ")
    assert response.status_code == 302


def test_wrong_password_reshows_the_form_with_a_message(client, rep) -> None:
    response = log_in(client, password="not the password")
    assert response.status_code == 200
    assert "do not match an active account" in text(response)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message(client, rep) -> None:
    response = log_in(client, email="nobody@example.com")
    assert "do not match an active account" in text(response)


def test_missing_fields_are_named(client) -> None:
    response = post_form(client, "/auth/login", {"email": "", "password": ""})
    assert response.status_code == 200
    assert text(response).count("This field is required.") == 2


def test_failed_logins_are_audited(client, rep, app) -> None:
    log_in(client, password="wrong password!")
    with app.app_context():
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
        assert [e.subject_id for e in events] == [str(rep.id)]


def test_deactivated_user_cannot_log_in(client, seed) -> None:
    with seed():
        make_user(
            Role.REP, email="gone@example.com", password=PASSWORD, is_active=False
        )
    response = log_in(client, email="gone@example.com")
    assert "do not match an active account" in text(response)


def test_anonymous_user_is_sent_to_login_and_comes_back(client, rep) -> None:
    response = client.get("/auth/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    next_url = response.headers["Location"].split("next=")[1]
    response = post_form(
        client,
        f"/auth/login?next={next_url}",
        {"email": rep.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/auth/account"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/x",
        "/\\evil.example.com",
        "javascript:x",
        "http:/evil.example.com",
    ],
)
def test_next_never_redirects_off_site(client, rep, target: str) -> None:
    response = post_form(
        client,
        "/auth/login",
        {"email": rep.email, "password": PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session_and_any_copy_of_its_cookie(
    app: Flask, client, rep
) -> None:
    log_in(client)
    stolen = app.test_client()
    cookie = client.get_cookie("frontline_session", domain=app.config["SERVER_NAME"])
    stolen.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert stolen.get("/").status_code == 200

    response = post_form(client, "/auth/logout", token_from="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert stolen.get("/").status_code == 302


def test_logout_needs_post_with_a_csrf_token(client, rep) -> None:
    log_in(client)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_password_change_keeps_this_session_and_ends_the_others(
    app: Flask, rep
) -> None:
    mine, other = app.test_client(), app.test_client()
    log_in(mine)
    log_in(other)
    response = post_form(
        mine,
        "/auth/account",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
        token_from="/auth/account",
    )
    assert response.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    fresh = app.test_client()
    assert log_in(fresh, password="a brand new passphrase").status_code == 302


def test_password_change_checks_the_current_password_and_the_rules(client, rep) -> None:
    log_in(client)
    response = post_form(
        client,
        "/auth/account",
        {"current_password": "wrong", "new_password": "short", "confirm": "different"},
        token_from="/auth/account",
    )
    body = text(response)
    assert response.status_code == 200
    assert "Use at least 10 characters" in body
    assert "The two passwords differ." in body
    response = post_form(
        client,
        "/auth/account",
        {
            "current_password": "wrong password",
            "new_password": "long enough password",
            "confirm": "long enough password",
        },
        token_from="/auth/account",
    )
    assert "That is not your current password." in text(response)


def test_deactivation_ends_the_session_at_once(app: Flask, client, rep) -> None:
    log_in(client)
    assert client.get("/").status_code == 200
    with app.app_context():
        accounts.deactivate_user(db.session.get(User, rep.id), by="test")
        db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_out_everywhere_else(app: Flask, rep) -> None:
    mine, other = app.test_client(), app.test_client()
    log_in(mine)
    log_in(other)
    post_form(mine, "/auth/account/sessions/revoke", token_from="/auth/account")
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(client, rep) -> None:
    response = client.post(
        "/auth/login", data={"email": rep.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "This form has expired" in text(response)


def test_login_is_rate_limited_per_address(client, rep) -> None:
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
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": rep.email, "password": PASSWORD},
    )
    assert response.status_code == 429
    assert "Too many attempts" in text(response)


def attempt(app: Flask, address: str, email: str, password: str) -> TestResponse:
    """One login from ``address``, in a browser of its own."""
    client = app.test_client()
    token = csrf_token(client)
    return client.post(
        "/auth/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(
    app: Flask, rep, login_pauses: list[float]
) -> None:
    for _ in range(10):
        attempt(app, "203.0.113.9", rep.email, "wrong password")
    response = attempt(app, "198.51.100.1", rep.email, PASSWORD)
    assert response.status_code == 302
    # Slowed by the five failures that reached the password check, not blocked.
    assert login_pauses[-1] == 4.0


def test_wrong_passwords_from_many_addresses_only_slow_the_account(
    app: Flask, rep, login_pauses: list[float]
) -> None:
    for i in range(30):
        assert (
            attempt(app, f"10.0.{i}.1", rep.email, "wrong password").status_code == 200
        )
    assert attempt(app, "198.51.100.1", rep.email, PASSWORD).status_code == 302
    assert login_pauses == [1.0, 2.0, 4.0] + [5.0] * 25


def test_the_pause_is_asked_for_per_account_and_grows_with_its_failures(
    app: Flask, rep, login_pauses: list[float]
) -> None:
    for i in range(6):
        attempt(app, f"10.1.{i}.1", rep.email, "wrong password")
    assert login_pauses == [1.0, 2.0, 4.0]
    # Another account, from one of the same addresses, is not slowed.
    attempt(app, "10.1.0.1", "someone.else@example.com", "wrong password")
    assert login_pauses == [1.0, 2.0, 4.0]
    # The e-mail is one account however it is typed.
    attempt(app, "10.1.9.1", "  RITA@Example.COM", PASSWORD)
    assert login_pauses[-1] == 5.0


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (0, 0.0),
        (2, 0.0),
        (3, 1.0),
        (4, 2.0),
        (5, 4.0),
        (6, 5.0),
        (50, 5.0),
        (10**9, 5.0),
    ],
)
def test_the_login_pause_doubles_from_one_second_and_stops_at_five(
    failures: int, seconds: float
) -> None:
    assert login_delay(failures) == seconds


def test_when_every_pause_slot_is_busy_a_login_goes_ahead_unpaused(
    app: Flask, rep, login_pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        attempt(app, f"10.2.{i}.1", rep.email, "wrong password")
    assert len(login_pauses) == 2
    busy = threading.BoundedSemaphore(login_throttle.MAX_PAUSED)
    for _ in range(login_throttle.MAX_PAUSED):
        busy.acquire()
    monkeypatch.setattr(login_throttle, "_paused", busy)
    assert attempt(app, "198.51.100.1", rep.email, PASSWORD).status_code == 302
    assert len(login_pauses) == 2


def test_one_account_from_one_address_is_limited_without_blocking_the_address(
    app: Flask, rep
) -> None:
    statuses = [
        attempt(app, "203.0.113.5", rep.email, "wrong password").status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    response = attempt(app, "203.0.113.5", rep.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    assert re.search(r"Try again in \d+ seconds?\.", text(response))
    other = attempt(app, "203.0.113.5", "someone.else@example.com", "wrong password")
    assert other.status_code == 200


def test_password_link_sets_a_password_once(app: Flask, client, seed) -> None:
    with seed():
        invited = make_user(Role.SUPERVISOR, email="new@example.com")
    with app.app_context():
        token = accounts.make_password_token(db.session.get(User, invited.id))
    url = f"/auth/set-password/{token}"
    assert "Choose your password" in text(client.get(url))
    response = post_form(
        client,
        url,
        {"new_password": "my own passphrase", "confirm": "my own passphrase"},
        token_from=url,
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    again = app.test_client().get(url)
    assert again.status_code == 404
    assert "no longer works" in text(again)


def test_a_tampered_password_link_is_refused(client) -> None:
    response = client.get("/auth/set-password/eyJ1IjoxfQ.tampered.sig")
    assert response.status_code == 404


def test_security_headers_are_on_every_page(client) -> None:
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script(client, rep) -> None:
    log_in(client)
    for url in ["/", "/auth/account", "/auth/login"]:
        body = text(client.get(url, follow_redirects=True))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert " on" + "click=" not in body


def test_session_cookie_flags(client, rep) -> None:
    response = log_in(client)
    cookie = next(
        v
        for k, v in response.headers.items()
        if k == "Set-Cookie" and v.startswith("frontline_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
