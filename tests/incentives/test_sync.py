"""``tickets sync``: Zendesk's and Freshdesk's incremental APIs, replayed by a local server.

The answers are shaped as the vendors document them (tests/incentives/data/sync/): pages,
a cursor that ends (``end_of_stream``), a ``Link: rel="next"`` header, 429 with
``Retry-After``, 401. Each test runs the command as an operator would, with the
credentials in the environment and the base address pointing at the local server.
"""

from __future__ import annotations

import base64
import datetime as dt
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import db
from incentives.tickets import helpdesk_api
from incentives.tickets.metrics import Channel, Priority
from incentives.tickets.models import (
    ImportStatus,
    Ticket,
    TicketAgent,
    TicketImport,
    TicketSyncCursor,
)
from tests.incentives.helpdesk_server import (
    Answer,
    FakeClock,
    HelpdeskServer,
    Request,
    fixture,
    json_answer,
)

PAGE_2_CURSOR = "MTcwOTY0NTYwMC4wfHw1MDAyfA=="
END_CURSOR = "MTcwOTcxOTUwMC4wfHw1MDA0fA=="
CHANGES_CURSOR = "MTcwOTgwOTIwMC4wfHw1MDAyfA=="
ZENDESK_PATH = "/api/v2/incremental/tickets/cursor.json"


@pytest.fixture
def server() -> Iterator[HelpdeskServer]:
    running = HelpdeskServer().start()
    yield running
    running.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(helpdesk_api, "default_clock", fake)
    return fake


@pytest.fixture
def zendesk(monkeypatch, server, clock) -> HelpdeskServer:
    monkeypatch.setenv("ZENDESK_BASE_URL", server.url)
    monkeypatch.setenv("ZENDESK_EMAIL", "ops@acme.example")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-token-123")
    return server


@pytest.fixture
def freshdesk(monkeypatch, server, clock) -> HelpdeskServer:
    monkeypatch.setenv("FRESHDESK_BASE_URL", server.url)
    monkeypatch.setenv("FRESHDESK_API_KEY", "fd-key-456")
    return server


def zendesk_replay(request: Request) -> Answer:
    """Zendesk's export from 2024-03-01: two pages, then the changes after its end."""
    if request.path != ZENDESK_PATH:
        return json_answer({"error": "InvalidEndpoint"}, 404)
    cursor = request.query.get("cursor")
    if cursor is None and "start_time" in request.query:
        return json_answer(fixture("zendesk_page1.json"))
    if cursor == PAGE_2_CURSOR:
        return json_answer(fixture("zendesk_page2.json"))
    if cursor == END_CURSOR:
        return json_answer(fixture("zendesk_changes.json"))
    if cursor == CHANGES_CURSOR:
        return json_answer(
            {
                "tickets": [],
                "after_url": None,
                "after_cursor": CHANGES_CURSOR,
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": True,
            }
        )
    return json_answer({"error": "InvalidCursor"}, 422)


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_cursor(app, source: str) -> str | None:
    with app.app_context():
        return db.session.scalar(
            select(TicketSyncCursor.cursor).where(TicketSyncCursor.source == source)
        )


def sync(runner, *args: str):
    return runner.invoke(args=["tickets", "sync", *args])


# --- Zendesk ---------------------------------------------------------------------------


def test_zendesk_sync_reads_every_page_until_the_end_of_stream(app, runner, zendesk):
    zendesk.answer = zendesk_replay
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 0, result.output
    assert "Zendesk: 4 tickets changed since 2024-03-01 00:00 UTC (2 pages)." in (
        result.output
    )
    assert "1 left out: deleted in Zendesk." in result.output
    assert "3 rows — 3 new, 0 updated, 0 unchanged." in result.output
    assert "The next sync starts where this one ended." in result.output
    first, second = zendesk.requests
    assert first.path == ZENDESK_PATH
    assert first.query["start_time"] == str(
        int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp())
    )
    assert first.query["include"] == "users,groups,metric_sets"
    assert second.query["cursor"] == PAGE_2_CURSOR
    token = base64.b64encode(b"ops@acme.example/token:zd-token-123").decode()
    assert first.authorization == f"Basic {token}"
    assert stored_cursor(app, "zendesk") == END_CURSOR
    with app.app_context():
        tickets = {
            t.external_id: t
            for t in db.session.scalars(
                select(Ticket).where(Ticket.source == "zendesk")
            )
        }
        assert sorted(tickets) == ["5001", "5002", "5003"]
        solved = tickets["5001"]
        assert solved.channel is Channel.EMAIL
        assert solved.priority is Priority.NORMAL
        assert solved.group_name == "Live chat"
        assert solved.satisfied is True
        assert solved.solved_at == utc(2024, 3, 4, 10, 35)
        assert solved.first_response_min_calendar == 12
        assert solved.resolution_min_business == 95
        assert solved.tags == "refund damaged"
        assert db.session.get(TicketAgent, solved.agent_id).key == (
            "amara.nwosu@example.com"
        )
        open_call = tickets["5002"]
        assert open_call.channel is Channel.PHONE  # via.channel "voice"
        assert open_call.priority is Priority.HIGH
        assert open_call.solved_at is None
        assert open_call.satisfied is None  # "unoffered" is no rating
        chat = tickets["5003"]
        assert chat.channel is Channel.CHAT  # via.channel "native_messaging"
        assert chat.satisfied is False
        assert chat.reopens == 1
        record = db.session.scalars(select(TicketImport)).one()
        assert record.via == "sync"
        assert record.file_format == "zendesk"
        assert record.filename.startswith("Zendesk API sync: 3 tickets changed since")


def test_a_second_run_starts_from_the_stored_cursor_and_takes_only_the_changes(
    app, runner, zendesk
):
    zendesk.answer = zendesk_replay
    assert sync(runner, "--source", "zendesk", "--since", "2024-03-01").exit_code == 0
    zendesk.requests.clear()

    again = sync(runner, "--source", "zendesk")
    assert again.exit_code == 0, again.output
    assert [r.query.get("cursor") for r in zendesk.requests] == [END_CURSOR]
    assert "since the last sync" in again.output
    assert "2 rows — 1 new, 1 updated, 0 unchanged." in again.output
    assert stored_cursor(app, "zendesk") == CHANGES_CURSOR
    with app.app_context():
        call = db.session.scalars(
            select(Ticket).where(Ticket.external_id == "5002")
        ).one()
        assert call.solved_at == utc(2024, 3, 7, 11, 0)
        assert call.satisfied is True
        assert call.resolution_min_business == 1010
    assert count(app, Ticket) == 4

    quiet = sync(runner, "--source", "zendesk")
    assert quiet.exit_code == 0, quiet.output
    assert "Zendesk: 0 tickets changed since the last sync (1 page)." in (quiet.output)
    assert "Nothing to import." in quiet.output
    assert count(app, TicketImport) == 2


def test_syncing_the_same_tickets_again_changes_nothing(app, runner, zendesk):
    zendesk.answer = zendesk_replay
    assert sync(runner, "--source", "zendesk", "--since", "2024-03-01").exit_code == 0
    again = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert again.exit_code == 0, again.output
    assert "3 rows — 0 new, 0 updated, 3 unchanged." in again.output
    assert count(app, Ticket) == 3


def test_a_rate_limit_is_waited_out_as_retry_after_asks(app, runner, zendesk, clock):
    limited = {"once": True}

    def answer(request: Request) -> Answer:
        if request.query.get("cursor") == PAGE_2_CURSOR and limited.pop("once", False):
            return json_answer(
                {"error": "APIRateLimitExceeded"}, 429, **{"Retry-After": "37"}
            )
        return zendesk_replay(request)

    zendesk.answer = answer
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 0, result.output
    assert clock.slept == [37.0]
    assert "after waiting 37 s for its rate limit" in result.output
    assert [r.query.get("cursor") for r in zendesk.requests] == [
        None,
        PAGE_2_CURSOR,
        PAGE_2_CURSOR,
    ]
    assert count(app, Ticket) == 3


def test_a_rate_limit_past_the_wait_allowed_stops_with_nothing_written(
    app, runner, zendesk, clock
):
    def answer(request: Request) -> Answer:
        if request.query.get("cursor") == PAGE_2_CURSOR:
            return json_answer({}, 429, **{"Retry-After": "40"})
        return zendesk_replay(request)

    zendesk.answer = answer
    result = sync(
        runner, "--source", "zendesk", "--since", "2024-03-01", "--max-wait", "100"
    )
    assert result.exit_code == 1
    assert "429 Too Many Requests" in result.output
    assert "past the 100 s this sync may wait in all" in result.output
    assert "Traceback" not in result.output
    assert clock.slept == [40.0, 40.0]
    assert count(app, Ticket) == 0
    assert count(app, TicketImport) == 0
    assert stored_cursor(app, "zendesk") is None


def test_refused_credentials_say_which_to_check_and_write_nothing(app, runner, zendesk):
    zendesk.answer = lambda r: json_answer({"error": "Couldn't authenticate you"}, 401)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert "Zendesk refused the credentials (401)" in result.output
    assert "check ZENDESK_EMAIL and ZENDESK_API_TOKEN" in result.output
    assert "Couldn't authenticate you" in result.output
    assert "Traceback" not in result.output
    assert count(app, Ticket) == 0
    assert count(app, TicketImport) == 0
    assert count(app, TicketSyncCursor) == 0


def test_an_answer_that_is_not_json_is_a_clear_error(app, runner, zendesk):
    zendesk.answer = lambda r: (200, {"Content-Type": "text/html"}, b"<html>Oops")
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert (
        f"Zendesk answered {ZENDESK_PATH} with something that is not JSON"
        in result.output
    )
    assert count(app, TicketImport) == 0


def test_a_server_error_and_an_unreachable_helpdesk_are_clear_errors(
    app, runner, zendesk, monkeypatch
):
    zendesk.answer = lambda r: json_answer({"error": "Internal"}, 503)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert (
        f"Zendesk answered 503 Service Unavailable to {ZENDESK_PATH}" in result.output
    )

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("ZENDESK_BASE_URL", nowhere)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert f"Zendesk could not be reached at {nowhere}" in result.output
    assert "Traceback" not in result.output
    assert count(app, TicketImport) == 0


def test_a_bad_ticket_rejects_the_run_names_it_and_keeps_the_cursor(
    app, runner, zendesk
):
    zendesk.answer = zendesk_replay
    assert sync(runner, "--source", "zendesk", "--since", "2024-03-01").exit_code == 0

    def answer(request: Request) -> Answer:
        if request.query.get("cursor") == END_CURSOR:
            return json_answer(fixture("zendesk_bad_ticket.json"))
        return zendesk_replay(request)

    zendesk.answer = answer
    result = sync(runner, "--source", "zendesk")
    assert result.exit_code == 1
    assert "1 problem found; nothing was imported." in result.output
    assert (
        "row 2, Solved at: '2024-03-01T09:30:00Z' solved before it was created "
        "(ticket 5006)" in result.output
    )
    assert "the next sync starts from the same place" in result.output
    assert stored_cursor(app, "zendesk") == END_CURSOR
    with app.app_context():
        rejected = db.session.scalars(
            select(TicketImport).where(TicketImport.status == ImportStatus.REJECTED)
        ).one()
        assert rejected.errors[0]["reason"].endswith("(ticket 5006)")
    assert count(app, Ticket) == 3


def test_the_first_sync_needs_a_start(app, runner, zendesk):
    zendesk.answer = zendesk_replay
    result = sync(runner, "--source", "zendesk")
    assert result.exit_code == 1
    assert "No Zendesk sync has run yet: give --since YYYY-MM-DD" in result.output
    assert zendesk.requests == []


def test_missing_credentials_are_named(runner, monkeypatch):
    for name in ("ZENDESK_SUBDOMAIN", "ZENDESK_BASE_URL", "ZENDESK_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZENDESK_API_TOKEN", "t")
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert (
        "Set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL in the environment to sync from Zendesk."
        in result.output
    )


def test_a_dry_run_writes_nothing_and_keeps_the_cursor(app, runner, zendesk):
    zendesk.answer = zendesk_replay
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: would import" in result.output
    assert "3 new, 0 updated, 0 unchanged" in result.output
    assert count(app, Ticket) == 0
    assert count(app, TicketImport) == 0
    assert stored_cursor(app, "zendesk") is None


def test_moving_the_cursor_is_in_the_audit_trail(app, runner, zendesk):
    zendesk.answer = zendesk_replay
    assert sync(runner, "--source", "zendesk", "--since", "2024-03-01").exit_code == 0
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tickets.sync")
        ).one()
        assert event.actor_label == "cli"
        assert event.data["after"] == {"cursor": END_CURSOR}


# --- Freshdesk -------------------------------------------------------------------------


def freshdesk_replay(server: HelpdeskServer, first_since: str) -> dict[str, bool]:
    """Freshdesk from ``first_since``: two pages linked by ``Link: rel="next"``; from the
    newest ``updated_at`` of those, the boundary ticket again and one new. Ratings are
    listed from ``created_since``; once ``later`` is set, ticket 2001 has a new one (the
    ticket itself unchanged)."""
    state = {"later": False}
    tickets = {
        str(t["id"]): t
        for name in ("freshdesk_tickets_page1.json", "freshdesk_tickets_page2.json")
        for t in fixture(name)
    }

    def answer(request: Request) -> Answer:
        if request.path == "/api/v2/agents":
            return json_answer(fixture("freshdesk_agents.json"))
        if request.path == "/api/v2/groups":
            return json_answer(fixture("freshdesk_groups.json"))
        if request.path == "/api/v2/surveys/satisfaction_ratings":
            ratings = fixture("freshdesk_satisfaction_ratings.json")
            if state["later"]:
                ratings += fixture("freshdesk_satisfaction_ratings_later.json")
            since = request.query["created_since"]
            return json_answer([r for r in ratings if r["created_at"] >= since])
        if request.path.startswith("/api/v2/tickets/"):
            ticket = tickets.get(request.path.rsplit("/", 1)[1])
            if ticket is None:
                return json_answer({"code": "access_denied"}, 404)
            return json_answer(ticket)
        if request.path != "/api/v2/tickets":
            return json_answer({"code": "invalid_url"}, 404)
        since, page = request.query["updated_since"], request.query.get("page", "1")
        if since == first_since and page == "1":
            following = (
                f"{server.url}/api/v2/tickets?updated_since={since}&include=stats"
                "&order_by=updated_at&order_type=asc&per_page=100&page=2"
            )
            return json_answer(
                fixture("freshdesk_tickets_page1.json"),
                Link=f'<{following}>; rel="next"',
            )
        if since == first_since and page == "2":
            return json_answer(fixture("freshdesk_tickets_page2.json"))
        if since == "2024-03-09T10:20:00Z":
            return json_answer(fixture("freshdesk_tickets_changes.json"))
        return json_answer([])

    server.answer = answer
    return state


def test_freshdesk_sync_follows_the_link_header_and_reads_stats(app, runner, freshdesk):
    freshdesk_replay(freshdesk, "2024-03-01T00:00:00Z")
    result = sync(runner, "--source", "freshdesk", "--since", "2024-03-01")
    assert result.exit_code == 0, result.output
    assert "Freshdesk: 3 tickets changed since 2024-03-01 00:00 UTC (2 pages)." in (
        result.output
    )
    assert "3 rows — 3 new, 0 updated, 0 unchanged." in result.output
    tickets_asked = [r for r in freshdesk.requests if r.path == "/api/v2/tickets"]
    assert [r.query["page"] for r in tickets_asked] == ["1", "2"]
    assert tickets_asked[0].query["include"] == "stats"
    assert tickets_asked[0].query["per_page"] == "100"
    key = base64.b64encode(b"fd-key-456:X").decode()
    assert tickets_asked[0].authorization == f"Basic {key}"
    assert stored_cursor(app, "freshdesk") == "2024-03-09T10:20:00Z"
    with app.app_context():
        tickets = {
            t.external_id: t
            for t in db.session.scalars(
                select(Ticket).where(Ticket.source == "freshdesk")
            )
        }
        invoice = tickets["2001"]
        assert invoice.channel is Channel.EMAIL  # source 1
        assert invoice.priority is Priority.NORMAL  # priority 2, "Medium"
        assert invoice.group_name == "Billing"
        assert invoice.satisfied is True  # rated 103, extremely happy
        assert tickets["2002"].satisfied is None  # not rated
        assert tickets["2003"].satisfied is False  # rated -101, unhappy
        assert invoice.first_response_at == utc(2024, 3, 5, 14, 51)
        assert invoice.solved_at == utc(2024, 3, 5, 18, 2, 40)
        assert db.session.get(TicketAgent, invoice.agent_id).key == (
            "hana.suzuki@example.com"
        )
        callback = tickets["2002"]
        assert callback.channel is Channel.PHONE  # source 3
        assert callback.agent_id is None
        assert callback.solved_at == utc(2024, 3, 8, 9, 40)  # closed, not resolved
        chat = tickets["2003"]
        assert chat.channel is Channel.CHAT  # source 7
        assert chat.priority is Priority.LOW
        assert chat.tags == "coupon, checkout"


def test_freshdesk_second_run_asks_from_the_newest_update_it_read(
    app, runner, freshdesk
):
    state = freshdesk_replay(freshdesk, "2024-03-01T00:00:00Z")
    assert sync(runner, "--source", "freshdesk", "--since", "2024-03-01").exit_code == 0
    freshdesk.requests.clear()
    state["later"] = True
    again = sync(runner, "--source", "freshdesk")
    assert again.exit_code == 0, again.output
    asked = [r for r in freshdesk.requests if r.path == "/api/v2/tickets"]
    assert [r.query["updated_since"] for r in asked] == ["2024-03-09T10:20:00Z"]
    ratings = [
        r
        for r in freshdesk.requests
        if r.path == "/api/v2/surveys/satisfaction_ratings"
    ]
    # From the oldest ticket fetched, so its rating from before the cursor is kept.
    assert [r.query["created_since"] for r in ratings] == ["2024-03-09T10:00:00Z"]
    # 2003 unchanged, 2004 new, and 2001, rated again since, fetched on its own.
    assert "/api/v2/tickets/2001" in [r.path for r in freshdesk.requests]
    assert "3 rows — 1 new, 1 updated, 1 unchanged." in again.output
    assert stored_cursor(app, "freshdesk") == "2024-03-10T08:30:00Z"
    assert count(app, Ticket) == 4
    with app.app_context():
        invoice = db.session.scalars(
            select(Ticket).where(Ticket.external_id == "2001")
        ).one()
        assert invoice.satisfied is False  # rated -103 since


def test_freshdesk_refusing_the_key_says_so(app, runner, freshdesk):
    freshdesk.answer = lambda r: json_answer(
        {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        },
        401,
    )
    result = sync(runner, "--source", "freshdesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert "Freshdesk refused the credentials (401): check FRESHDESK_API_KEY" in (
        result.output
    )
    assert "You have to be logged in to perform this action." in result.output
    assert count(app, TicketImport) == 0
    assert count(app, TicketSyncCursor) == 0


def test_a_record_that_is_not_a_ticket_stops_the_run(app, runner, zendesk):
    page = fixture("zendesk_page2.json")
    page["tickets"].append("not a ticket")
    zendesk.answer = lambda r: json_answer(page)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert (
        "Zendesk sent 1 ticket record that is not an object with an id; nothing was "
        "imported." in result.output
    )
    assert count(app, Ticket) == 0


def test_a_freshdesk_list_past_its_page_limit_is_asked_again_from_its_newest_update(
    app, runner, freshdesk, monkeypatch
):
    monkeypatch.setattr(helpdesk_api, "FRESHDESK_PAGE_LIMIT", 1)
    freshdesk_replay(freshdesk, "2024-03-01T00:00:00Z")
    replay = freshdesk.answer
    page1 = fixture("freshdesk_tickets_page1.json")

    def answer(request: Request) -> Answer:
        if request.query.get("updated_since") == "2024-03-08T09:40:00Z":
            # The newest ticket of page 1 comes again, then the rest.
            return json_answer(page1[1:] + fixture("freshdesk_tickets_page2.json"))
        return replay(request)

    freshdesk.answer = answer
    result = sync(runner, "--source", "freshdesk", "--since", "2024-03-01")
    assert result.exit_code == 0, result.output
    asked = [
        (r.query["updated_since"], r.query["page"])
        for r in freshdesk.requests
        if r.path == "/api/v2/tickets"
    ]
    assert asked == [("2024-03-01T00:00:00Z", "1"), ("2024-03-08T09:40:00Z", "1")]
    assert "Freshdesk: 3 tickets changed since 2024-03-01 00:00 UTC (2 pages)." in (
        result.output
    )
    assert "3 rows — 3 new, 0 updated, 0 unchanged." in result.output


def test_the_operation_waits_with_the_clock_it_is_given(app_ctx, server):
    from zoneinfo import ZoneInfo

    from incentives.tickets import sync as sync_operation

    clock = FakeClock()
    limited = {"once": True}

    def answer(request: Request) -> Answer:
        if limited.pop("once", False):
            return json_answer({}, 429)  # no Retry-After: a minute
        return zendesk_replay(request)

    server.answer = answer
    connection = helpdesk_api.connection_from_env(
        "zendesk",
        {
            "ZENDESK_BASE_URL": server.url,
            "ZENDESK_EMAIL": "ops@acme.example",
            "ZENDESK_API_TOKEN": "t",
        },
    )
    outcome = sync_operation.sync_tickets(
        connection,
        since=utc(2024, 3, 1),
        by="test",
        tz=ZoneInfo("UTC"),
        clock=clock,
    )
    assert clock.slept == [60.0]
    assert outcome.waited_s == 60.0
    assert outcome.requests == 3
    assert outcome.imported is not None
    assert (outcome.imported.inserted, outcome.fetched) == (3, 4)
    assert outcome.cursor_moved
    assert sync_operation.stored_cursor("zendesk").cursor == END_CURSOR


def test_an_export_that_says_more_follows_without_a_cursor_is_refused(
    app, runner, zendesk
):
    page = fixture("zendesk_page1.json")
    page["after_cursor"] = None
    zendesk.answer = lambda r: json_answer(page)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert "says more pages follow but gives no after_cursor" in result.output
    assert count(app, TicketImport) == 0


def test_a_start_in_the_future_is_refused(runner, zendesk):
    result = sync(runner, "--source", "zendesk", "--since", "2999-01-01")
    assert result.exit_code == 2
    assert "must be in the past" in result.output
    assert zendesk.requests == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FRESHDESK_DOMAIN": "acme.freshdesk.com/x", "FRESHDESK_API_KEY": "k"},
            "FRESHDESK_DOMAIN should be the name before .freshdesk.com, e.g. acme.",
        ),
        (
            {"FRESHDESK_BASE_URL": "ftp://files.example", "FRESHDESK_API_KEY": "k"},
            "FRESHDESK_BASE_URL must be an http(s) address",
        ),
        ({"FRESHDESK_DOMAIN": "acme"}, "Set FRESHDESK_API_KEY in the environment"),
    ],
)
def test_unusable_settings_are_named(env, message):
    with pytest.raises(helpdesk_api.SyncError) as raised:
        helpdesk_api.connection_from_env("freshdesk", env)
    assert message in raised.value.message


def test_the_real_addresses_are_built_from_the_subdomain():
    zendesk = helpdesk_api.connection_from_env(
        "zendesk",
        {
            "ZENDESK_SUBDOMAIN": "acme",
            "ZENDESK_EMAIL": "a@b.c",
            "ZENDESK_API_TOKEN": "t",
        },
    )
    assert zendesk.base_url == "https://acme.zendesk.com"
    freshdesk = helpdesk_api.connection_from_env(
        "freshdesk",
        {"FRESHDESK_DOMAIN": "acme.freshdesk.com", "FRESHDESK_API_KEY": "fd-secret"},
    )
    assert freshdesk.base_url == "https://acme.freshdesk.com"
    assert freshdesk.authorization == (
        "Basic " + base64.b64encode(b"fd-secret:X").decode()
    )
    assert freshdesk.authorization not in repr(freshdesk)


def test_a_link_to_another_site_is_not_followed(app, runner, freshdesk):
    freshdesk.answer = lambda r: json_answer(
        fixture("freshdesk_tickets_page1.json"),
        Link='<https://elsewhere.example/api/v2/tickets?page=2>; rel="next"',
    )
    result = sync(runner, "--source", "freshdesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert "Freshdesk pointed to another site (elsewhere.example)" in result.output
    assert len(freshdesk.requests) == 1


def test_two_syncs_storing_their_cursor_at_once_leave_one_and_a_clear_message(
    app, runner, zendesk, monkeypatch
):
    from incentives.tickets import sync as sync_operation

    zendesk.answer = zendesk_replay
    assert sync(runner, "--source", "zendesk", "--since", "2024-03-01").exit_code == 0
    # The second run read no cursor, as if the first had not committed yet.
    monkeypatch.setattr(sync_operation, "stored_cursor", lambda source: None)
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-02")
    assert result.exit_code == 1
    assert "Another zendesk sync ran at the same moment" in result.output
    assert "Traceback" not in result.output
    assert stored_cursor(app, "zendesk") == END_CURSOR
    assert count(app, TicketImport) == 1


def test_since_is_read_in_the_organisations_time_zone(runner, zendesk, monkeypatch):
    from zoneinfo import ZoneInfo

    from incentives.tickets import queries

    monkeypatch.setattr(queries, "org_timezone", lambda: ZoneInfo("Europe/Berlin"))
    zendesk.answer = zendesk_replay
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "since 2024-03-01 00:00 CET" in result.output
    assert zendesk.requests[0].query["start_time"] == str(
        int(utc(2024, 2, 29, 23, 0).timestamp())
    )


def test_an_unknown_address_points_at_the_subdomain_setting(app, runner, zendesk):
    zendesk.answer = lambda r: json_answer(
        {"error": "InvalidEndpoint", "description": "Not found"}, 404
    )
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert (
        f"Zendesk has no {ZENDESK_PATH} at {zendesk.url} (404): check the "
        "ZENDESK_SUBDOMAIN. Zendesk said: InvalidEndpoint; Not found. Nothing was "
        "imported." in result.output
    )


def test_a_forbidden_answer_is_about_the_credentials_too(app, runner, freshdesk):
    freshdesk.answer = lambda r: json_answer(
        {"code": "access_denied", "message": "You are not authorized"}, 403
    )
    result = sync(runner, "--source", "freshdesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert "Freshdesk refused the credentials (403): check FRESHDESK_API_KEY" in (
        result.output
    )
    assert count(app, TicketImport) == 0


def test_a_redirect_to_another_site_is_not_followed_with_the_credentials(
    app, runner, zendesk
):
    zendesk.answer = lambda r: (
        302,
        {"Location": "http://elsewhere.invalid/api/v2/incremental/tickets/cursor.json"},
        b"",
    )
    result = sync(runner, "--source", "zendesk", "--since", "2024-03-01")
    assert result.exit_code == 1
    assert f"Zendesk answered 302 Found to {ZENDESK_PATH}." in result.output
    assert len(zendesk.requests) == 1
    assert count(app, TicketImport) == 0
