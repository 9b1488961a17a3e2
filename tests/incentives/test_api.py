"""The tickets and metrics API: token auth, all-or-nothing batches, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from incentives.tickets.models import Ticket, TicketImport
from tests.factories import make_api_token, make_team, make_user


@pytest.fixture
def tokens(seed):
    with seed():
        team = make_team("Chat")
        make_user(Role.REP, email="ana@example.com", name="Ana", team=team)
        return {
            role: make_api_token(role)
            for role in (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)
        }


def post(client, token: str, body) -> object:
    return client.post(
        "/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}
    )


TICKETS = [
    {
        "ticket_id": "Z-1",
        "channel": "chat",
        "agent_email": "ana@example.com",
        "priority": "high",
        "created_at": "2024-03-04T09:00:00Z",
        "first_response_at": "2024-03-04T09:02:00Z",
        "solved_at": "2024-03-04T09:30:00Z",
        "csat": "good",
        "nps": 9,
        "reopens": 0,
    },
    {"ticket_id": "Z-2", "channel": "email", "created_at": "2024-03-05T09:00:00+01:00"},
]


def tickets_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_an_admin_token_imports_a_batch_and_a_repeat_changes_nothing(
    app, client, tokens
) -> None:
    first = post(client, tokens[Role.ADMIN], {"source": "zendesk", "tickets": TICKETS})
    assert first.status_code == 201
    body = first.get_json()
    assert (body["status"], body["inserted"], body["unassigned"]) == ("imported", 2, 1)
    again = post(client, tokens[Role.ADMIN], {"source": "zendesk", "tickets": TICKETS})
    assert again.status_code == 200
    assert (again.get_json()["unchanged"], again.get_json()["inserted"]) == (2, 0)
    assert tickets_in_db(app) == 2
    with app.app_context():
        record = db.session.scalar(select(TicketImport).order_by(TicketImport.id))
        assert (record.via, record.file_format, record.actor_label) == (
            "api",
            "api",
            "api:test token",
        )


def test_one_bad_ticket_rejects_the_batch_with_its_position(
    app, client, tokens
) -> None:
    bad = [
        *TICKETS,
        {"ticket_id": "Z-3", "channel": "pigeon", "created_at": "2024-03-05T09:00:00Z"},
    ]
    response = post(client, tokens[Role.ADMIN], {"tickets": bad})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["rows"] == [
        {
            "row": 3,
            "column": "channel",
            "value": "pigeon",
            "reason": "not a channel; use one of email, phone, chat, social, review, web, other",
        }
    ]
    assert response.get_json()["import"]["status"] == "rejected"
    assert tickets_in_db(app) == 0
    with app.app_context():
        assert db.session.scalar(select(TicketImport.status)) == "rejected"


def test_a_dry_run_checks_and_writes_nothing(app, client, tokens) -> None:
    response = post(client, tokens[Role.ADMIN], {"tickets": TICKETS, "dry_run": True})
    assert response.status_code == 200
    assert response.get_json()["status"] == "dry_run"
    assert response.get_json()["inserted"] == 2
    assert tickets_in_db(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TicketImport)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], ""),
        ({"tickets": []}, "tickets"),
        ({"tickets": "many"}, "tickets"),
        ({"tickets": TICKETS, "source": 5}, "source"),
        ({"tickets": TICKETS, "source": "Not OK"}, "source"),
        ({"tickets": TICKETS, "dry_run": "yes"}, "dry_run"),
    ],
)
def test_unusable_bodies_say_which_field(client, tokens, body, field) -> None:
    response = post(client, tokens[Role.ADMIN], body)
    assert response.status_code == 400
    assert field in response.get_json()["error"].get("fields", {"": []})


def test_too_many_tickets_in_one_call(client, tokens, monkeypatch) -> None:
    from incentives.tickets import api

    monkeypatch.setattr(api, "MAX_BATCH", 1)
    response = post(client, tokens[Role.ADMIN], {"tickets": TICKETS})
    assert response.status_code == 400
    assert "at most 1" in response.get_json()["error"]["fields"]["tickets"][0]


def test_only_admin_tokens_import(client, tokens) -> None:
    for role in (Role.LEADERSHIP, Role.SUPERVISOR):
        assert post(client, tokens[role], {"tickets": TICKETS}).status_code == 403


def test_metrics_of_a_month(client, tokens) -> None:
    post(client, tokens[Role.ADMIN], {"tickets": TICKETS})
    response = client.get(
        "/api/v1/metrics/2024-03",
        headers={"Authorization": f"Bearer {tokens[Role.LEADERSHIP]}"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["month"], body["timezone"], body["clock"]) == (
        "2024-03",
        "UTC",
        "calendar",
    )
    assert body["organisation"]["tickets_solved"] == 1
    [ana] = body["reps"]
    assert (ana["email"], ana["tickets_solved"], ana["csat_raw"], ana["nps"]) == (
        "ana@example.com",
        1,
        1.0,
        100.0,
    )
    assert ana["first_response_median_min"] == 2.0
    assert body["teams"][0]["team"] == "Chat"
    bad = client.get(
        "/api/v1/metrics/March",
        headers={"Authorization": f"Bearer {tokens[Role.LEADERSHIP]}"},
    )
    assert bad.status_code == 400
