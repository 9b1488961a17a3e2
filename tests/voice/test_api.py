"""The voice API: a helpdesk files a problem from a ticket as the rep who met it, a
department member moves it on by the page's rules, every token reads reports and who
answers now; bad input is a JSON 400 with the form's messages and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from tests.factories import make_api_token
from tests.voice.factories import import_tickets, make_voice_world, report
from voice.models import ProblemReport, ProblemTicket
from voice.workflow import ProblemStatus


@pytest.fixture
def world(seed):  # type: ignore[no-untyped-def]
    with seed():
        w = make_voice_world()
        import_tickets("48213")
        earlier = report(w.logistics, w.other_rep, tickets="48213")
        w.earlier_id = earlier.id  # type: ignore[attr-defined]
        w.tokens = {  # type: ignore[attr-defined]
            role: make_api_token(role, name=f"{role} desk")
            for role in (
                Role.SUPERVISOR,
                Role.ADMIN,
                Role.LEADERSHIP,
                Role.HIRING_MANAGER,
            )
        }
    return w


def bearer(world, role: Role = Role.SUPERVISOR) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {world.tokens[role]}"}


FILING = {
    "reporter": "ana@example.com",
    "title": "Crushed box from Leeds",
    "story": "The carrier left her parcel in the rain; the box split open.",
    "category": "shipping",
    "severity": "high",
    "department": "logistics",
    "tickets": ["48213", "ZZ-404"],
}


def reports(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProblemReport))


def test_a_helpdesk_files_a_problem_from_a_ticket_as_the_rep(
    app, client, world
) -> None:
    response = client.post("/api/v1/problems", json=FILING, headers=bearer(world))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    problem = body["problem"]
    assert problem["reporter"] == {"name": "Ana Rep", "email": "ana@example.com"}
    assert problem["department"]["name"] == "Logistics"
    assert problem["state"] == "new"
    assert problem["ticket_ids"] == [
        {"id": "48213", "known": True},
        {"id": "ZZ-404", "known": False},
    ]
    assert body["warnings"] == [
        "Ticket ZZ-404 is not among the imported tickets; it is kept as text."
    ]
    # The earlier report reads alike: the rep can add a +1 there instead.
    assert [s["id"] for s in body["similar"]] == [world.earlier_id]
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "voice.problem.report")
        ).all()[-1]
        assert event.actor_id == world.rep.id
        assert event.data["via"] == "api:supervisor desk"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"story": "  "}, "story", "Tell the customer's story"),
        ({"department": "Warehouse"}, "department", "No department is called"),
        ({"department": None, "department_id": 99999}, "department_id", "Choose the"),
        ({"reporter": "nobody@example.com"}, "reporter", "No Frontline user has"),
        ({"reporter": "lead@example.com"}, "reporter", "not a rep or supervisor"),
        ({"tickets": ["x" * 65]}, "tickets", "at most 64 characters"),
        ({"category": "weather"}, "category", "Choose a category"),
        ({"severity": ""}, "severity", "Choose a severity"),
    ],
)
def test_bad_filings_are_refused_with_the_forms_messages_and_nothing_saved(
    app, client, world, change, field, message
) -> None:
    before = reports(app)
    body = {k: v for k, v in {**FILING, **change}.items() if v is not None}
    response = client.post("/api/v1/problems", json=body, headers=bearer(world))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert any(message in m for m in error["fields"][field]), error
    assert reports(app) == before


def test_only_supervisor_and_admin_tokens_file(client, world) -> None:
    for role in (Role.LEADERSHIP, Role.HIRING_MANAGER):
        response = client.post(
            "/api/v1/problems", json=FILING, headers=bearer(world, role)
        )
        assert response.status_code == 403
    assert client.post("/api/v1/problems", json=FILING).status_code == 401


def test_the_owner_moves_a_report_by_the_pages_rules(app, client, world) -> None:
    url = f"/api/v1/problems/{world.earlier_id}/status"
    owner = world.owner.email
    out_of_order = client.post(
        url, json={"by": owner, "state": "fixed"}, headers=bearer(world)
    )
    assert out_of_order.status_code == 400
    assert out_of_order.get_json()["error"]["message"] == (
        "A report that is new cannot be moved to fixed; it can be moved to "
        "acknowledged, won't fix, duplicate."
    )
    not_a_member = client.post(
        url,
        json={"by": world.rep.email, "state": "acknowledged"},
        headers=bearer(world),
    )
    assert not_a_member.status_code == 403
    assert (
        "Ana Rep is not one of Logistics's members"
        in (not_a_member.get_json()["error"]["message"])
    )
    no_reason = client.post(
        url, json={"by": owner, "state": "wont_fix"}, headers=bearer(world)
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.get_json()["error"]["fields"]
    with app.app_context():
        kept = db.session.get(ProblemReport, world.earlier_id)
        assert kept.status == ProblemStatus.NEW

    acked = client.post(
        url, json={"by": owner, "state": "acknowledged"}, headers=bearer(world)
    )
    assert acked.status_code == 200
    assert acked.get_json()["problem"]["next_states"] == [
        "in_progress",
        "fixed",
        "wont_fix",
        "duplicate",
    ]
    fixed = client.post(
        url, json={"by": owner, "state": "fixed"}, headers=bearer(world, Role.ADMIN)
    )
    problem = fixed.get_json()["problem"]
    assert (problem["state"], problem["state_label"]) == ("fixed", "Fixed")
    assert [(h["from"], h["to"], h["by"]) for h in problem["history"]] == [
        (None, "new", "Bo Rep"),
        ("new", "acknowledged", "Sam Owner"),
        ("acknowledged", "fixed", "Sam Owner"),
    ]
    assert fixed.get_json()["reporter_emailed"] is False
    closed = client.post(
        url,
        json={"by": owner, "state": "wont_fix", "reason": "x"},
        headers=bearer(world),
    )
    assert "closed (fixed)" in closed.get_json()["error"]["message"]


def test_the_list_filters_by_state_department_reporter_and_month(
    client, world, seed
) -> None:
    with seed():
        billing = report(world.billing, world.rep, title="Double charge")
        old = report(world.logistics, world.rep, title="Old problem")
        old.created_at = dt.datetime(2024, 3, 10, tzinfo=dt.UTC)

    def ids(query: str) -> list[int]:
        response = client.get(
            f"/api/v1/problems{query}", headers=bearer(world, Role.LEADERSHIP)
        )
        assert response.status_code == 200, response.get_json()
        return [p["id"] for p in response.get_json()["problems"]]

    assert ids("") == [billing.id, world.earlier_id, old.id]
    assert ids(f"?department={world.billing.id}") == [billing.id]
    assert ids("?reporter=ANA@example.com") == [billing.id, old.id]
    assert ids("?month=2024-03") == [old.id]
    assert ids("?state=closed") == []
    page = client.get(
        "/api/v1/problems?per_page=2&page=2", headers=bearer(world, Role.HIRING_MANAGER)
    ).get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 3)
    assert [p["id"] for p in page["problems"]] == [old.id]
    past = client.get("/api/v1/problems?page=9", headers=bearer(world)).get_json()
    assert past["problems"] == []
    for query, field in [
        ("?state=stuck", "state"),
        ("?month=2024-3", "month"),
        ("?reporter=me", "reporter"),
        ("?per_page=500", "per_page"),
    ]:
        response = client.get(f"/api/v1/problems{query}", headers=bearer(world))
        assert response.status_code == 400
        assert field in response.get_json()["error"]["fields"]


def test_a_report_and_who_answers_a_department_now(client, world) -> None:
    detail = client.get(
        f"/api/v1/problems/{world.earlier_id}",
        headers=bearer(world, Role.HIRING_MANAGER),
    ).get_json()
    assert detail["story"] == "The carrier left the box in the rain and it split."
    assert detail["reach_now"].startswith(
        "Reach Logistics now: Sam Patel, +44 20 7946 0101, until 24:00"
    )
    on_call = client.get(
        f"/api/v1/departments/{world.logistics.id}/on-call", headers=bearer(world)
    ).get_json()
    assert on_call["answers"]["name"] == "Sam Patel"
    assert on_call["answers"]["contact"] == "+44 20 7946 0101"
    assert on_call["answers"]["until_text"] == "24:00"
    nobody = client.get(
        f"/api/v1/departments/{world.billing.id}/on-call", headers=bearer(world)
    ).get_json()
    assert nobody["answers"] is None
    assert nobody["text"] == "Nobody is on Billing's rota now."
    assert (
        client.get("/api/v1/departments/999/on-call", headers=bearer(world)).status_code
        == 404
    )
    assert client.get("/api/v1/problems/999", headers=bearer(world)).status_code == 404


def test_a_ticket_added_by_the_api_is_kept_once(app, client, world) -> None:
    client.post(
        "/api/v1/problems",
        json={**FILING, "tickets": ["#48213", "48213"]},
        headers=bearer(world),
    )
    with app.app_context():
        stored = db.session.scalars(
            select(ProblemTicket.external_id).where(
                ProblemTicket.report_id != world.earlier_id
            )
        ).all()
    assert stored == ["48213"]


def test_every_field_of_a_bad_filing_is_named_at_once(app, client, world) -> None:
    before = reports(app)
    response = client.post(
        "/api/v1/problems",
        json={
            **FILING,
            "reporter": "nobody@example.com",
            "story": "",
            "department": "Warehouse",
        },
        headers=bearer(world),
    )
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert sorted(fields) == ["department", "reporter", "story"]
    assert reports(app) == before
