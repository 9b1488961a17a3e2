"""The authority register over the API: one answer from decide(), revocation seen at once."""

from __future__ import annotations

import pytest
from flask import Flask

from core.access import Role
from core.db import db
from tests.factories import make_api_token, make_team, make_user
from tests.training.factories import load_small, make_authority, make_grant
from training import operations
from training.models import Grant


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(seed):
    with seed():
        team = make_team()
        sup = make_user(Role.SUPERVISOR)
        team.supervisors = [sup]
        rep = make_user(Role.REP, team=team, email="rita@example.com", name="Rita")
        load_small()
        refund = make_authority()
        make_authority("public_reply", unit="level", max_limit=2, two_person_limit=1)
        grant = make_grant(rep, refund, sup, limit=200)
        token = make_api_token(Role.SUPERVISOR, name="helpdesk")
    return {"rep": rep, "sup": sup, "grant": grant.id, "token": token}


def check(client, world, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(
        f"/api/v1/authority-check?{query}", headers=bearer(world["token"])
    )


@pytest.mark.parametrize(
    ("amount", "allowed", "reason"),
    [
        ("120", True, "within limit: 120 USD <= 200 USD"),
        ("200.00", True, "within limit"),
        ("250", False, "over limit: 250 USD > 200 USD"),
    ],
)
def test_authority_check_answers(client, world, amount, allowed, reason) -> None:
    response = check(
        client, world, rep="RITA@example.com", authority="refund", amount=amount
    )
    assert response.status_code == 200
    body = response.json
    assert (body["allowed"], body["limit"], body["unit"]) == (allowed, 200.0, "USD")
    assert body["reason"] == reason or reason in body["reason"]
    assert body["expires_at"].endswith("+00:00")


def test_an_authority_never_granted_is_a_plain_no(client, world) -> None:
    body = check(client, world, rep="rita@example.com", authority="public_reply").json
    assert body == {
        "allowed": False,
        "limit": None,
        "unit": None,
        "expires_at": None,
        "reason": "no public_reply authority has been granted",
    }


def test_revocation_is_seen_by_the_api_at_once(app: Flask, client, world) -> None:
    assert check(client, world, rep="rita@example.com", authority="refund").json[
        "allowed"
    ]
    with app.app_context():
        grant = db.session.get(Grant, world["grant"])
        sup = db.session.get(type(world["sup"]), world["sup"].id)
        operations.revoke_grant(grant, by=sup, reason="Under review")
        db.session.commit()
    body = check(client, world, rep="rita@example.com", authority="refund").json
    assert body["allowed"] is False
    assert "revoked" in body["reason"]
    assert "Under review" in body["reason"]


def test_a_deactivated_rep_may_do_nothing(app: Flask, client, world) -> None:
    with app.app_context():
        db.session.get(type(world["rep"]), world["rep"].id).is_active = False
        db.session.commit()
    body = check(client, world, rep="rita@example.com", authority="refund").json
    assert body["allowed"] is False
    assert "deactivated" in body["reason"]


def test_only_reps_are_answered_for(client, world) -> None:
    response = check(client, world, rep=world["sup"].email, authority="refund")
    assert response.status_code == 404
    assert response.json["error"]["message"].startswith("No rep with the e-mail")


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"rep": "nobody@example.com", "authority": "refund"}, 404, "No rep"),
        ({"rep": "rita@example.com", "authority": "teleport"}, 404, "No authority"),
        ({"rep": "rita@example.com", "authority": "refund", "amount": "ten"}, 400, ""),
        ({"rep": "rita@example.com", "authority": "refund", "amount": "-1"}, 400, ""),
        ({"authority": "refund"}, 400, "Required"),
    ],
)
def test_bad_questions_get_clear_errors(client, world, params, status, message):
    response = check(client, world, **params)
    assert response.status_code == status
    assert message in str(response.json["error"])


def test_a_rep_token_may_not_read_the_register(client, seed, world) -> None:
    with seed():
        secret = make_api_token(Role.REP)
    response = client.get(
        "/api/v1/reps/rita@example.com/authorities", headers=bearer(secret)
    )
    assert response.status_code == 403


def test_a_reps_authorities_are_listed(client, world) -> None:
    response = client.get(
        "/api/v1/reps/rita@example.com/authorities", headers=bearer(world["token"])
    )
    body = response.json
    assert body["rep"] == "rita@example.com"
    by_code = {a["code"]: a for a in body["authorities"]}
    assert by_code["refund"]["allowed"]
    assert by_code["refund"]["limit"] == 200.0
    assert by_code["refund"]["state"] == "active"
    assert by_code["public_reply"]["state"] == "none"
