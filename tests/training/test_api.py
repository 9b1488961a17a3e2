"""The authority register over the API: one answer from decide(), revocation seen at once."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from markupsafe import escape

from core.access import Role
from core.db import db
from tests.factories import make_api_token, make_team, make_user
from tests.helpers import text
from tests.training.factories import (
    load_small,
    make_authority,
    make_grant,
    make_request,
    play,
)
from training import authority_operations, authority_queries
from training.api import REGISTER_ROLES
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
    ("amount", "allowed", "code", "reason"),
    [
        (
            "120",
            True,
            "within_limit",
            "Refund is allowed up to 200 USD; 120 USD is within the limit.",
        ),
        (
            "200.00",
            True,
            "within_limit",
            "Refund is allowed up to 200 USD; 200 USD is within the limit.",
        ),
        (
            "250",
            False,
            "over_limit",
            "Refund is allowed up to 200 USD; 250 USD is over the limit.",
        ),
    ],
)
def test_authority_check_answers_in_words_with_a_code(
    client, world, amount, allowed, code, reason
) -> None:
    response = check(
        client, world, rep="RITA@example.com", authority="refund", amount=amount
    )
    assert response.status_code == 200
    body = response.json
    assert (body["allowed"], body["limit"], body["unit"]) == (allowed, 200.0, "USD")
    assert (body["reason_code"], body["reason"]) == (code, reason)
    assert body["expires_at"].endswith("+00:00")


def test_an_authority_never_granted_is_a_plain_no(client, world) -> None:
    body = check(client, world, rep="rita@example.com", authority="public_reply").json
    assert body == {
        "allowed": False,
        "reason_code": "never_granted",
        "reason": "Public Reply was never granted to this rep.",
        "limit": None,
        "unit": None,
        "expires_at": None,
        "revoked_at": None,
    }


def test_dates_in_reasons_are_the_organisation_s_days(app: Flask, client, world):
    with app.app_context():
        grant = db.session.get(Grant, world["grant"])
        sup = db.session.get(type(world["sup"]), world["sup"].id)
        authority_operations.revoke_grant(
            grant, by=sup, reason="x", at=dt.datetime(2026, 3, 3, 23, 30, tzinfo=dt.UTC)
        )
        db.session.commit()
    app.config["FRONTLINE_TIMEZONE"] = "Asia/Tokyo"
    try:
        body = check(client, world, rep="rita@example.com", authority="refund").json
    finally:
        app.config["FRONTLINE_TIMEZONE"] = "UTC"
    assert body["reason"] == "Refund was revoked on 4 March 2026."
    assert body["revoked_at"] == "2026-03-03T23:30:00+00:00"


def test_revocation_is_seen_by_the_api_at_once(app: Flask, client, world) -> None:
    assert check(client, world, rep="rita@example.com", authority="refund").json[
        "allowed"
    ]
    with app.app_context():
        grant = db.session.get(Grant, world["grant"])
        sup = db.session.get(type(world["sup"]), world["sup"].id)
        authority_operations.revoke_grant(grant, by=sup, reason="Under review")
        db.session.commit()
    body = check(client, world, rep="rita@example.com", authority="refund").json
    assert body["allowed"] is False
    assert body["reason_code"] == "revoked"
    assert body["reason"].startswith("Refund was revoked on ")
    assert body["revoked_at"] is not None


NOTES = ("Refunded his own brother twice", "Practise the angry caller first")


@pytest.fixture
def noted(app: Flask, seed, world):
    """The grant revoked and a sign-off request declined, each with a supervisor's note."""
    with app.app_context():
        grant = db.session.get(Grant, world["grant"])
        sup = db.session.get(type(world["sup"]), world["sup"].id)
        rep = db.session.get(type(world["rep"]), world["rep"].id)
        authority_operations.revoke_grant(grant, by=sup, reason=NOTES[0])
        play(rep, [0, 0])
        public_reply = authority_queries.get_authority_by_code("public_reply")
        request = make_request(rep, public_reply, 1)
        authority_operations.decline_signoff(request, by=sup, reason=NOTES[1])
        db.session.commit()
    with seed():
        tokens = {role: make_api_token(role) for role in REGISTER_ROLES}
    return tokens


def test_supervisors_notes_reach_no_token_only_the_state_and_date(
    client, world, noted
) -> None:
    for role, secret in noted.items():
        for url in (
            "/api/v1/authority-check?rep=rita@example.com&authority=refund&amount=5",
            "/api/v1/authority-check?rep=rita@example.com&authority=public_reply",
            "/api/v1/reps/rita@example.com/authorities",
        ):
            response = client.get(url, headers=bearer(secret))
            assert response.status_code == 200, (role, url)
            body = response.get_data(as_text=True)
            for note in NOTES:
                assert note not in body, (role, url)
    listed = client.get(
        "/api/v1/reps/rita@example.com/authorities",
        headers=bearer(noted[Role.SUPERVISOR]),
    ).json
    refund = {a["code"]: a for a in listed["authorities"]}["refund"]
    assert (refund["state"], refund["reason_code"]) == ("revoked", "revoked")
    assert refund["revoked_at"] is not None


def test_the_register_page_says_what_the_api_says_and_keeps_the_note_for_people(
    client, world, noted, login_as
) -> None:
    reasons = {
        a["code"]: a["reason"]
        for a in client.get(
            "/api/v1/reps/rita@example.com/authorities",
            headers=bearer(noted[Role.SUPERVISOR]),
        ).json["authorities"]
    }
    login_as(world["sup"])
    page = text(client.get(f"/training/register/reps/{world['rep'].id}"))
    assert reasons["refund"].startswith("Refund was revoked on ")
    for reason in reasons.values():
        assert escape(reason) in page
    # The note is for people: the page shows it beside the reason.
    assert NOTES[0] in page


def test_a_deactivated_rep_may_do_nothing(app: Flask, client, world) -> None:
    with app.app_context():
        db.session.get(type(world["rep"]), world["rep"].id).is_active = False
        db.session.commit()
    body = check(client, world, rep="rita@example.com", authority="refund").json
    assert body["allowed"] is False
    assert body["reason_code"] == "account_deactivated"
    assert (
        body["reason"] == "The rep's account is deactivated, so no authority applies."
    )


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
    assert by_code["refund"]["reason"].startswith(
        "Refund is allowed up to 200 USD until "
    )
    assert by_code["public_reply"]["reason_code"] == "never_granted"
