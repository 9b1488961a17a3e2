"""Helpdesk API records as export rows, read back by the export's own reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from incentives.tickets import vendor_records
from incentives.tickets.importing import parse_file
from incentives.tickets.sources import FRESHDESK, ZENDESK
from incentives.tickets.vendor_records import (
    freshdesk_batch,
    freshdesk_cursor,
    latest_per_ticket,
    next_link,
    retry_after_seconds,
    zendesk_batch,
)

DATA = Path(__file__).parents[2] / "incentives" / "data" / "sync"
NOW = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def load(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def zendesk_pages_batch():
    pages = [load("zendesk_page1.json"), load("zendesk_page2.json")]
    return zendesk_batch(
        [t for p in pages for t in p["tickets"]],
        users=[u for p in pages for u in p["users"]],
        groups=[g for p in pages for g in p["groups"]],
        metric_sets=[m for p in pages for m in p["metric_sets"]],
    )


def test_zendesk_records_become_the_columns_of_zendesks_export():
    batch = zendesk_pages_batch()
    row = dict(zip(batch.header, batch.rows[0], strict=True))
    assert row == {
        "Id": "5001",
        "Assignee email": "amara.nwosu@example.com",
        "Assignee": "Amara Nwosu",
        "Group": "Live chat",
        "Via": "email",
        "Priority": "normal",
        "Created at": "2024-03-04T09:00:00Z",
        "Solved at": "2024-03-04T10:35:00Z",
        "Reopens": "0",
        "Satisfaction Score": "good",
        "First reply time in minutes": "12",
        "First reply time in minutes within business hours": "12",
        "Full resolution time in minutes": "95",
        "Full resolution time in minutes within business hours": "95",
        "Tags": "refund damaged",
    }
    assert batch.ticket_ids == ["5001", "5002", "5003"]
    assert batch.left_out == {"deleted in Zendesk": 1}


def test_the_zendesk_batch_reads_back_with_the_zendesk_export_reader():
    batch = zendesk_pages_batch()
    parsed = parse_file(batch.csv_bytes(), ZENDESK, tz=BERLIN, now=NOW)
    assert parsed.ok, parsed.errors
    tickets = parsed.tickets.set_index("external_id")
    assert list(tickets.index) == ["5001", "5002", "5003"]
    # Times with Z stay UTC whatever the organisation's zone.
    assert tickets.loc["5001", "solved_at"] == pd.Timestamp(
        "2024-03-04 10:35", tz="UTC"
    )
    assert pd.isna(tickets.loc["5002", "solved_at"])
    assert tickets["channel"].tolist() == ["email", "phone", "chat"]
    assert tickets["priority"].tolist() == ["normal", "high", "normal"]
    assert tickets.loc["5001", "satisfied"] == 1.0
    assert pd.isna(tickets.loc["5002", "satisfied"])  # unoffered
    assert tickets.loc["5003", "satisfied"] == 0.0
    assert tickets.loc["5003", "reopens"] == 1
    assert tickets.loc["5001", "agent_key"] == "amara.nwosu@example.com"


def test_a_zendesk_ticket_without_its_side_loads_keeps_blank_cells():
    ticket = {
        "id": 9,
        "created_at": "2024-03-04T09:00:00Z",
        "assignee_id": 1,
        "group_id": 2,
        "via": None,
        "satisfaction_rating": None,
        "tags": [],
    }
    batch = zendesk_batch([ticket])
    row = dict(zip(batch.header, batch.rows[0], strict=True))
    assert row["Id"] == "9"
    assert row["Assignee email"] == row["Group"] == row["Via"] == ""
    assert row["Solved at"] == row["Satisfaction Score"] == ""


def test_a_ticket_fetched_twice_keeps_its_last_state_in_first_seen_order():
    records = [
        {"id": 1, "status": "open"},
        {"id": 2, "status": "open"},
        {"id": 1, "status": "solved"},
    ]
    assert latest_per_ticket(records) == (
        [{"id": 1, "status": "solved"}, {"id": 2, "status": "open"}],
        0,
    )
    batch = zendesk_batch(
        [
            {"id": 1, "created_at": "2024-03-01T00:00:00Z", "priority": "low"},
            {"id": 1, "created_at": "2024-03-01T00:00:00Z", "priority": "urgent"},
        ]
    )
    assert [r[batch.header.index("Priority")] for r in batch.rows] == ["urgent"]


def test_records_that_are_not_tickets_are_counted_not_dropped():
    first = load("zendesk_page1.json")["tickets"][0]
    batch = zendesk_batch([first, 42, {"subject": "no id"}, None])
    assert batch.malformed == 3
    assert batch.ticket_ids == ["5001"]
    assert batch.ticket_of_row(2) == "5001"
    assert batch.ticket_of_row(1) is None
    assert batch.ticket_of_row(3) is None


def test_line_breaks_in_a_value_never_split_a_row():
    assert vendor_records.text("Live\nchat\r\n") == "Live chat"
    assert vendor_records.text(3.0) == "3"
    assert vendor_records.text(None) == ""
    assert vendor_records.text({"a": 1}) == ""


def test_freshdesk_records_become_the_columns_of_freshdesks_export():
    tickets = load("freshdesk_tickets_page1.json") + load(
        "freshdesk_tickets_page2.json"
    )
    batch = freshdesk_batch(
        tickets,
        agents=load("freshdesk_agents.json"),
        groups=load("freshdesk_groups.json"),
        ratings=load("freshdesk_satisfaction_ratings.json"),
    )
    rows = [dict(zip(batch.header, r, strict=True)) for r in batch.rows]
    assert rows[0] == {
        "Ticket ID": "2001",
        "Agent email": "hana.suzuki@example.com",
        "Agent": "Hana Suzuki",
        "Group": "Billing",
        "Source": "Email",
        "Priority": "Medium",
        "Created time": "2024-03-05T14:22:10Z",
        "Initial response time": "2024-03-05T14:51:00Z",
        "Resolved time": "2024-03-05T18:02:40Z",
        "Closed time": "2024-03-07T18:02:40Z",
        "Survey results": "Extremely happy",
        "Tags": "invoice",
    }
    assert [r["Source"] for r in rows] == ["Email", "Phone", "Chat"]
    assert [r["Priority"] for r in rows] == ["Medium", "High", "Low"]
    assert rows[1]["Agent email"] == ""  # responder_id null: unassigned
    parsed = parse_file(batch.csv_bytes(), FRESHDESK, tz=BERLIN, now=NOW)
    assert parsed.ok, parsed.errors
    tickets = parsed.tickets.set_index("external_id")
    # Closed without a resolved time: solved when closed, as the export reader does.
    assert tickets.loc["2002", "solved_at"] == pd.Timestamp(
        "2024-03-08 09:40", tz="UTC"
    )
    assert tickets["channel"].tolist() == ["email", "phone", "chat"]
    assert tickets["satisfied"].tolist()[0] == 1.0
    assert pd.isna(tickets["satisfied"].tolist()[1])
    assert tickets["satisfied"].tolist()[2] == 0.0


def rated(ticket, created, answer):
    return {
        "ticket_id": ticket,
        "created_at": created,
        "ratings": {"default_question": answer},
    }


def test_a_tickets_latest_rating_is_the_one_kept():
    ratings = [
        rated(1, "2024-03-02T00:00:00Z", 103),
        rated(1, "2024-03-05T00:00:00Z", 100),
        rated(1, "2024-03-03T00:00:00Z", -103),
        rated(2, "2024-03-03T00:00:00Z", 7),
        {"ticket_id": 3, "ratings": {}},
        "junk",
    ]
    assert vendor_records.latest_ratings(ratings) == {"1": "Neutral", "2": "7"}


def test_a_freshdesk_number_it_does_not_document_stays_as_written():
    batch = freshdesk_batch(
        [{"id": 1, "created_at": "2024-03-01T00:00:00Z", "source": 99, "priority": 7}]
    )
    row = dict(zip(batch.header, batch.rows[0], strict=True))
    assert (row["Source"], row["Priority"]) == ("99", "7")


def test_the_freshdesk_cursor_is_the_newest_update_read():
    tickets = [
        {"id": 1, "updated_at": "2024-03-09T10:20:00Z"},
        {"id": 2, "updated_at": "2024-03-10T08:30:00+00:00"},
        {"id": 3, "updated_at": "not a time"},
        "junk",
    ]
    assert freshdesk_cursor(tickets, "2024-03-01T00:00:00Z") == "2024-03-10T08:30:00Z"
    assert freshdesk_cursor([], "2024-03-01T00:00:00Z") == "2024-03-01T00:00:00Z"
    assert (
        freshdesk_cursor(tickets[:1], "2024-04-01T00:00:00Z") == "2024-04-01T00:00:00Z"
    )


def test_the_next_page_is_read_from_the_link_header():
    header = (
        '<https://acme.freshdesk.com/api/v2/tickets?page=1>; rel="prev", '
        '<https://acme.freshdesk.com/api/v2/tickets?page=3&per_page=100>; rel="next"'
    )
    assert next_link(header) == (
        "https://acme.freshdesk.com/api/v2/tickets?page=3&per_page=100"
    )
    assert next_link('<https://a/x?page=1>; rel="prev"') is None
    assert next_link(None) is None
    assert next_link("garbage") is None


def test_retry_after_is_seconds_or_an_http_date():
    assert retry_after_seconds("37", NOW) == 37.0
    assert retry_after_seconds("Mon, 01 Apr 2024 00:01:30 GMT", NOW) == 90.0
    assert retry_after_seconds("Sun, 31 Mar 2024 00:00:00 GMT", NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None
