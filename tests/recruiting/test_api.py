"""The recruiting API: idempotent candidate creation, listing with results, test links."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from recruiting.models import Candidate
from tests.factories import make_api_token, make_user
from tests.recruiting.factories import answer_all, make_candidate, make_opening


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(seed):
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="API opening")
        tested = make_candidate(
            opening, manager, name="Tia Tested", email="tia@example.org"
        )
        answer_all(tested, manager)
        waiting = make_candidate(opening, manager, name="Wes Waiting")
        secret = make_api_token(Role.HIRING_MANAGER, name="ATS")
        reader = make_api_token(Role.LEADERSHIP, name="BI")
    return {
        "opening": opening.id,
        "tested": tested.id,
        "waiting": waiting.id,
        "hm": bearer(secret),
        "reader": bearer(reader),
    }


def test_posting_the_same_candidate_twice_creates_one(app: Flask, client, api) -> None:
    body = {
        "opening_id": api["opening"],
        "name": "Ana Api",
        "email": "ana.api@example.org",
        "phone": "+351 912 000 111",
        "consent_on": "2026-03-01",
    }
    first = client.post("/api/v1/candidates", json=body, headers=api["hm"])
    assert first.status_code == 201
    assert first.json["name"] == "Ana Api"
    assert first.json["stage"] == "applied"
    assert first.headers["Location"].endswith(
        f"/recruiting/candidates/{first.json['id']}"
    )
    again = client.post(
        "/api/v1/candidates",
        json={**body, "email": " ANA.API@example.org", "name": "Ana Changed"},
        headers=api["hm"],
    )
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert again.json["name"] == "Ana Api"  # nothing changed
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(Candidate.email == "ana.api@example.org")
        )
        assert count == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No Opening", "email": "x@example.org"}, "opening_id"),
        ({"opening_id": 999999, "name": "X", "email": "x@example.org"}, "opening_id"),
        ({"opening_id": "OPENING", "name": "X", "email": "not-an-email"}, "email"),
        ({"opening_id": "OPENING", "name": "", "email": "x@example.org"}, "name"),
        (
            {
                "opening_id": "OPENING",
                "name": "X",
                "email": "x@example.org",
                "consent_on": "1/3/26",
            },
            "consent_on",
        ),
    ],
)
def test_bad_candidates_get_field_errors(client, api, body, field) -> None:
    if body.get("opening_id") == "OPENING":
        body = {**body, "opening_id": api["opening"]}
    response = client.post("/api/v1/candidates", json=body, headers=api["hm"])
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_a_body_that_is_not_json_is_explained(client, api) -> None:
    response = client.post("/api/v1/candidates", data="name=x", headers=api["hm"])
    assert response.status_code == 400
    assert "JSON object" in response.json["error"]["message"]


def test_listing_an_openings_candidates_with_results(client, api) -> None:
    response = client.get(
        f"/api/v1/candidates?opening={api['opening']}", headers=api["reader"]
    )
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2
    assert body["opening"]["title"] == "API opening"
    by_id = {c["id"]: c for c in body["candidates"]}
    result = by_id[api["tested"]]["result"]
    assert set(result["scores"]) == {
        "empathy",
        "ownership",
        "communication",
        "composure",
        "judgement",
    }
    assert result["percentile"] == 50.0  # the only result on this version
    assert result["assessment_version"] == 1
    assert by_id[api["waiting"]]["result"] is None
    only = client.get(
        f"/api/v1/candidates?opening={api['opening']}&stage=assessed",
        headers=api["reader"],
    )
    assert [c["id"] for c in only.json["candidates"]] == [api["tested"]]


def test_listing_needs_an_opening(client, api) -> None:
    response = client.get("/api/v1/candidates", headers=api["reader"])
    assert response.status_code == 400
    assert "opening" in response.json["error"]["fields"]
    assert (
        client.get(
            "/api/v1/candidates?opening=999999", headers=api["reader"]
        ).status_code
        == 404
    )
    bad_stage = client.get(
        f"/api/v1/candidates?opening={api['opening']}&stage=limbo",
        headers=api["reader"],
    )
    assert bad_stage.status_code == 400


def test_an_invitation_returns_a_link_that_works(client, api) -> None:
    response = client.post(
        f"/api/v1/candidates/{api['waiting']}/invitations",
        json={"days": 3, "time_limit_minutes": 30},
        headers=api["hm"],
    )
    assert response.status_code == 201
    assert response.json["time_limit_minutes"] == 30
    url = response.json["url"]
    assert "/recruiting/test/" in url
    page = client.get(url.split("frontline.test", 1)[1])
    assert page.status_code == 200
    assert "30 minutes" in page.get_data(as_text=True)


def test_no_second_link_once_the_test_is_done(client, api) -> None:
    response = client.post(
        f"/api/v1/candidates/{api['tested']}/invitations", headers=api["hm"]
    )
    assert response.status_code == 400
    assert "already completed" in response.json["error"]["message"]


def test_openings_are_listed(client, api) -> None:
    response = client.get("/api/v1/openings", headers=api["reader"])
    assert [o["title"] for o in response.json["openings"]] == ["API opening"]
    assert response.json["openings"][0]["assessment"]["version"] == 1
