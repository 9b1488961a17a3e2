"""The API's token auth: bearer tokens only, roles enforced, revocation at once."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import event

from core import accounts
from core.access import Role
from core.db import db
from core.errors import InvalidInput
from core.people import TOKEN_ROLES, ApiToken
from tests.conftest import make_test_app
from tests.factories import make_api_token, make_user


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_no_token_is_401_with_a_json_error(client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["status"] == 401


def test_a_browser_session_is_not_enough(client, seed, login_as) -> None:
    with seed():
        admin = make_user(Role.ADMIN)
    login_as(admin)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_a_valid_token_is_accepted_and_its_use_noted(app: Flask, client, seed) -> None:
    with seed():
        secret = make_api_token(Role.HIRING_MANAGER, name="ATS sync")
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200
    assert response.json["name"] == "ATS sync"
    assert response.json["role"] == "hiring_manager"
    with app.app_context():
        token = db.session.scalar(
            db.select(ApiToken).where(ApiToken.name == "ATS sync")
        )
        assert token.last_used_at is not None


def test_reads_run_outside_a_transaction_on_postgresql_writes_inside(
    scratch_postgres_url: str,
) -> None:
    app = make_test_app(scratch_postgres_url)
    with app.app_context():
        db.create_all()
        secret = make_api_token(Role.ADMIN, name="Helpdesk")
        db.session.commit()
        engine = db.engine
    # Whether the driver ran each statement in autocommit mode (sending no BEGIN).
    autocommit: list[bool] = []

    def before(connection, _cursor, _statement, *_args) -> None:
        autocommit.append(connection.connection.dbapi_connection.autocommit)

    event.listen(engine, "before_cursor_execute", before)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    reads, autocommit[:] = autocommit[:], []
    response = client.post(
        "/api/v1/tickets?source=frontline", json={}, headers=bearer(secret)
    )
    assert 400 <= response.status_code < 500
    writes = autocommit[:]
    with app.app_context():
        # The read stamped the token's last use all the same, committed as it was made.
        token = db.session.scalar(
            db.select(ApiToken).where(ApiToken.name == "Helpdesk")
        )
        assert token.last_used_at is not None
        db.session.remove()
        engine.dispose()
    assert len(reads) >= 2  # the token lookup, its last-use stamp, the read itself
    assert all(reads)
    assert writes
    assert not any(writes)


def test_unknown_and_malformed_tokens_are_refused(client) -> None:
    assert client.get("/api/v1/me", headers=bearer("fl_nope")).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer "}).status_code
        == 401
    )


def test_revocation_takes_effect_at_once(app: Flask, client, seed) -> None:
    with seed():
        secret = make_api_token(Role.SUPERVISOR, name="soon gone")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    with app.app_context():
        token = db.session.scalar(
            db.select(ApiToken).where(ApiToken.name == "soon gone")
        )
        accounts.revoke_api_token(token, by="test")
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_api_needs_no_csrf_token_but_pages_do(client, seed) -> None:
    with seed():
        secret = make_api_token(Role.ADMIN)
    # No CSRF token: the API is judged by its bearer token alone (405: /me is GET-only).
    assert client.post("/api/v1/me", headers=bearer(secret)).status_code == 405
    assert client.post("/auth/login").status_code == 400


def test_unknown_api_path_answers_json(client, seed) -> None:
    with seed():
        secret = make_api_token(Role.ADMIN)
    response = client.get("/api/v1/nothing-here", headers=bearer(secret))
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_openapi_document_is_valid_and_lists_every_api_route(
    app: Flask, client
) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    documented = set(spec["paths"])
    routes = {
        rule.rule.removeprefix("/api/v1")
        .replace("<int:", "{")
        .replace("<", "{")
        .replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert routes == documented


def _api_calls(app: Flask) -> list[tuple[str, str]]:
    """One (method, path) per API route that needs a token, parameters filled in."""
    calls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/api/v1") or getattr(view, "is_public_api", False):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(\w+:)?{argument}>", "1", path)
        calls.extend((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(calls)


def test_a_token_made_as_rep_is_refused_everywhere_with_what_to_do(
    app: Flask, client, seed
) -> None:
    """Tokens made as rep before the role was withdrawn: a clear 403 on every call."""
    with seed():
        secret = make_api_token(Role.REP, name="old rep token")
    calls = _api_calls(app)
    assert ("GET", "/api/v1/me") in calls
    assert ("GET", "/api/v1/authority-check") in calls
    for method, path in calls:
        response = client.open(path, method=method, headers=bearer(secret), json={})
        assert response.status_code == 403, (method, path)
        message = response.json["error"]["message"]
        assert "acting as rep are no longer supported" in message, (method, path)
        assert "supervisor" in message
        assert "revoke this one" in message
    # The public document still answers, and other roles are not affected.
    assert client.get("/api/v1/openapi.json").status_code == 200
    with seed():
        other = make_api_token(Role.SUPERVISOR)
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_no_new_token_may_act_as_rep(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(InvalidInput) as raised:
            accounts.create_api_token("Help centre", Role.REP, by="test")
        assert "cannot act as rep" in raised.value.errors["role"][0]
        assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0
        db.session.rollback()


def test_the_documented_token_roles_are_the_ones_offered(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    me = spec["paths"]["/me"]["get"]["responses"]["200"]
    roles = me["content"]["application/json"]["schema"]["properties"]["role"]["enum"]
    assert roles == [role.value for role in TOKEN_ROLES]
