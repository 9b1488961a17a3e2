"""Every endpoint has an access decision, and every role gets exactly what it says.

Pages: anonymous visitors are sent to the login page; a user holding only a role that is
not allowed gets 403; an allowed role gets through (2xx or a redirect, never 401/403/5xx).
API endpoints: no token is 401, a logged-in browser session without a token is 401, a token
of a role not allowed is 403.
"""

from __future__ import annotations

import pytest
from flask import Flask

from core.access import Role
from core.db import db
from core.people import ApiToken
from tests import access as vocabulary
from tests.access import PUBLIC, Access, World
from tests.core import access as core_access
from tests.factories import make_api_token, make_team, make_user
from tests.helpers import csrf_token
from tests.incentives import access as incentives_access
from tests.quality import access as quality_access
from tests.recruiting import access as recruiting_access
from tests.training import access as training_access
from tests.voice import access as voice_access

MODULES = [
    core_access,
    recruiting_access,
    training_access,
    incentives_access,
    quality_access,
    voice_access,
]

MATRIX: dict[str, Access] = {}
for _module in MODULES:
    MATRIX.update(_module.MATRIX)

ROLES = sorted(Role, key=lambda r: r.value)
CASES = [(endpoint, role) for endpoint in sorted(MATRIX) for role in [None, *ROLES]]


@pytest.fixture(scope="module")
def world(module_seed) -> World:
    """The records every case reads, built once; each case runs in a savepoint of them, so
    what one case changes (a revoked token, a closed month) the next never sees."""
    w = World()
    with module_seed():
        w.team, w.other_team = make_team("Matrix team"), make_team("Other team")
        for role in Role:
            w.users[role] = make_user(role, name=f"Only {role}", team=w.team)
        w.team.supervisors = [w.users[Role.SUPERVISOR]]
        w.rep = w.users[Role.REP]
        w.other_rep = make_user(Role.REP, name="Rep elsewhere", team=w.other_team)
        w.target = make_user(
            Role.REP, name="Target of admin actions", team=w.other_team
        )
        for role in Role:
            w.tokens[role] = make_api_token(role, name=f"{role} token")
        make_api_token(Role.REP, name="to revoke")
        w.extra["token_id"] = db.session.scalar(
            db.select(ApiToken.id).where(ApiToken.name == "to revoke")
        )
        for module in MODULES:
            module.populate(w)
    return w


def test_every_endpoint_has_an_access_entry(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - set(MATRIX))
    stale = sorted(set(MATRIX) - endpoints)
    assert not missing, f"endpoints with no access decision: {missing}"
    assert not stale, f"access entries for endpoints that no longer exist: {stale}"


def test_every_entry_names_roles_that_exist() -> None:
    for endpoint, rule in MATRIX.items():
        assert rule.allowed == PUBLIC or rule.allowed <= vocabulary.ALL_ROLES, endpoint


def _call(client, rule: Access, world: World, *, token: str | None = None):
    url = rule.url(world)
    if rule.api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if rule.method == "GET":
            return client.get(url, headers=headers)
        return client.open(
            url, method=rule.method, json=rule.payload(world), headers=headers
        )
    if rule.method == "GET":
        return client.get(url)
    data = {"csrf_token": csrf_token(client), **rule.payload(world)}
    return client.open(url, method=rule.method, data=data)


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_access(app: Flask, world: World, endpoint: str, role: Role | None) -> None:
    rule = MATRIX[endpoint]
    client = app.test_client()
    if rule.api:
        _check_api(client, rule, world, role)
        return
    if role is not None:
        _login(client, world.users[role])
    response = _call(client, rule, world)
    status = response.status_code
    if rule.allowed == PUBLIC or (role is not None and rule.allows(role)):
        assert status < 500, f"{endpoint} as {role}: {status}"
        assert status not in (401, 403), f"{endpoint} as {role} was refused ({status})"
        if role is not None and rule.allowed != PUBLIC and not rule.ends_session:
            assert "/auth/login" not in response.headers.get("Location", ""), endpoint
    elif role is None:
        assert status == 302, f"{endpoint} anonymous: {status}"
        assert "/auth/login" in response.headers["Location"]
    else:
        assert status == 403, f"{endpoint} as {role}: expected 403, got {status}"


def _login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def _check_api(client, rule: Access, world: World, role: Role | None) -> None:
    if role is None:
        status = _call(client, rule, world).status_code
        assert status != 500
        if rule.allowed == PUBLIC:
            assert status < 400
        else:
            assert status == 401
            # A logged-in browser session is never enough for the API.
            _login(client, world.users[Role.ADMIN])
            assert _call(client, rule, world).status_code == 401
        return
    response = _call(client, rule, world, token=world.tokens[role])
    if rule.allows(role):
        assert response.status_code < 500
        assert response.status_code not in (401, 403), f"{rule} refused {role}"
    else:
        assert response.status_code == 403, f"{role} token got {response.status_code}"
