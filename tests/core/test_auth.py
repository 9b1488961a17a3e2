"""Logging in and out, sessions that can be revoked, passwords, CSRF and the rate limit."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from core import accounts
from core.access import Role
from core.audit import AuditEvent
from core.db import db
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


def test_login_is_rate_limited_per_account_across_addresses(app: Flask, rep) -> None:
    statuses = []
    for i in range(11):
        client = app.test_client()
        token = csrf_token(client)
        statuses.append(
            client.post(
                "/auth/login",
                data={
                    "csrf_token": token,
                    "email": rep.email,
                    "password": "wrong password",
                },
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code
        )
    assert statuses[-1] == 429


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
