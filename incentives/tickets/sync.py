"""Ticket sync from a helpdesk's API: fetch what changed, import it as that helpdesk's
export, move the stored cursor on.

An operation (it writes and flushes, never commits): ``tickets sync`` is its face. A run

1. starts where the last committed run stopped (:class:`TicketSyncCursor`), or from
   ``since`` (the first run must give one);
2. fetches every page of the vendor's incremental export (:mod:`helpdesk_api`) before
   anything is written; any failure (credentials, network, rate limits past the wait
   allowed, an answer that is not JSON) stops the run with a plain message and nothing
   written;
3. turns the records into the rows of the vendor's CSV export
   (:mod:`vendor_records`) and imports them through
   :func:`operations.import_ticket_file`, with that source's checks, counts, history and
   report: one bad ticket rejects the run, and a ticket fetched again unchanged is
   "unchanged";
4. moves the cursor on in the same transaction, only when the import went in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.tabular import ErrorReport, RowError
from incentives.tickets import helpdesk_api, operations, vendor_records
from incentives.tickets.helpdesk_api import Client, Clock, Connection, SyncError
from incentives.tickets.models import TicketSyncCursor
from incentives.tickets.operations import Actor, ImportOutcome
from incentives.tickets.vendor_records import Batch

SOURCES = ("zendesk", "freshdesk")


@dataclass
class SyncOutcome:
    """What a sync fetched and what its import did (``imported`` is ``None`` when no
    ticket had changed)."""

    source: str
    vendor: str
    started_from: str  # "the last sync" or the --since time, in its zone
    pages: int = 0
    fetched: int = 0
    requests: int = 0
    waited_s: float = 0.0
    imported: ImportOutcome | None = None
    cursor_moved: bool = False
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return self.imported is not None and self.imported.rejected


def stored_cursor(source: str) -> TicketSyncCursor | None:
    return db.session.scalar(
        select(TicketSyncCursor).where(TicketSyncCursor.source == source)
    )


def sync_tickets(
    connection: Connection,
    *,
    since: dt.datetime | None,
    by: Actor,
    tz: ZoneInfo,
    dry_run: bool = False,
    clock: Clock | None = None,
    max_wait: float = helpdesk_api.MAX_WAIT_SECONDS,
    now: dt.datetime | None = None,
) -> SyncOutcome:
    """Fetch the tickets changed in a helpdesk since the last sync and import them.

    :param since: start from this time instead of the stored cursor (required when there
        is none yet); an aware time.
    :param dry_run: fetch, check and count; write nothing and leave the cursor.
    :param clock: waits out rate limits (tests pass one that does not sleep).
    :param max_wait: the most seconds spent waiting out rate limits in all.
    :raises InvalidInput: no starting point, or the helpdesk could not be read (the
        message says why); nothing was written.
    :raises Conflict: another sync of the same helpdesk stored its cursor first.
    """
    source = connection.source
    stored = stored_cursor(source)
    if since is None and stored is None:
        raise InvalidInput(
            {
                "since": [
                    f"No {connection.vendor} sync has run yet: give --since YYYY-MM-DD "
                    "for the first one (tickets changed since then are fetched)."
                ]
            }
        )
    outcome = SyncOutcome(
        source=source,
        vendor=connection.vendor,
        started_from=(
            "the last sync"
            if since is None
            else since.strftime("%Y-%m-%d %H:%M %Z").strip()
        ),
    )
    client = Client(connection, clock=clock, max_wait=max_wait)
    previous = stored.cursor if stored is not None else None
    try:
        batch, cursor = _fetch(client, since=since, previous=previous)
    except SyncError as e:
        raise InvalidInput(e.message) from e
    finally:
        outcome.requests, outcome.waited_s = client.requests, client.waited
    outcome.pages, outcome.fetched = batch.pages, batch.fetched
    if batch.rows.malformed:
        count = batch.rows.malformed
        what = (
            "1 ticket record that is not an object with an id"
            if count == 1
            else f"{count} ticket records that are not objects with an id"
        )
        raise InvalidInput(f"{connection.vendor} sent {what}; nothing was imported.")
    outcome.left_out = batch.rows.left_out

    if batch.rows.rows:
        imported = operations.import_ticket_file(
            batch.rows.csv_bytes(),
            filename=_filename(connection.vendor, batch, outcome.started_from),
            file_format=source,
            by=by,
            via="sync",
            tz=tz,
            dry_run=dry_run,
            now=now,
        )
        if imported.rejected:
            _name_tickets(imported, batch.rows)
        outcome.imported = imported
    if dry_run or outcome.rejected or not cursor or cursor == previous:
        return outcome
    _move_cursor(
        stored,
        source=source,
        cursor=cursor,
        previous=previous,
        by=by,
        imported=outcome.imported,
    )
    outcome.cursor_moved = True
    return outcome


@dataclass
class _Fetch:
    rows: Batch
    pages: int

    @property
    def fetched(self) -> int:
        """Tickets fetched, each once however many times it came."""
        return len(self.rows.rows) + sum(self.rows.left_out.values())


def _fetch(
    client: Client, *, since: dt.datetime | None, previous: str | None
) -> tuple[_Fetch, str | None]:
    if client.connection.source == "zendesk":
        fetched = helpdesk_api.fetch_zendesk(client, cursor=previous, start_time=since)
        rows = vendor_records.zendesk_batch(
            fetched.tickets,
            users=fetched.users,
            groups=fetched.groups,
            metric_sets=fetched.metric_sets,
        )
        return _Fetch(rows, fetched.pages), fetched.cursor
    start = (
        since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if since is not None
        else previous
    )
    assert start is not None  # noqa: S101 (sync_tickets refuses a run with neither)
    fetched = helpdesk_api.fetch_freshdesk(client, updated_since=start)
    rows = vendor_records.freshdesk_batch(
        fetched.tickets,
        agents=fetched.users,
        groups=fetched.groups,
        ratings=fetched.ratings,
    )
    cursor = vendor_records.freshdesk_cursor(fetched.tickets, start)
    return _Fetch(rows, fetched.pages), cursor


def _filename(vendor: str, batch: _Fetch, started_from: str) -> str:
    count = len(batch.rows.rows)
    tickets = "ticket" if count == 1 else "tickets"
    return f"{vendor} API sync: {count} {tickets} changed since {started_from}"[:255]


def _name_tickets(imported: ImportOutcome, batch: Batch) -> None:
    """Row errors also name the ticket: a sync has no file to open at row N."""
    report = imported.report
    if report is None:
        return

    def named(error: RowError) -> RowError:
        ticket = batch.ticket_of_row(error.row)
        if ticket is None:
            return error
        return RowError(
            error.row, error.column, error.value, f"{error.reason} (ticket {ticket})"
        )

    imported.report = ErrorReport(
        shown=[named(e) for e in report.shown], more=report.more
    )
    if imported.record is not None:
        imported.record.errors = [e.as_dict() for e in imported.report.shown]
        db.session.flush()


def _move_cursor(
    stored: TicketSyncCursor | None,
    *,
    source: str,
    cursor: str,
    previous: str | None,
    by: Actor,
    imported: ImportOutcome | None,
) -> None:
    if stored is None:
        stored = TicketSyncCursor(source=source, cursor=cursor)
        db.session.add(stored)
    stored.cursor = cursor[:1000]
    stored.updated_at = utcnow()
    record: Any = imported.record if imported is not None else None
    stored.import_id = record.id if record is not None else None
    try:
        db.session.flush()
    except IntegrityError as e:
        raise Conflict(
            f"Another {source} sync ran at the same moment; nothing was imported. "
            "Run the sync again."
        ) from e
    audit.record(
        by,
        "tickets.sync",
        stored,
        summary=f"Sync from {source}: the next run starts from a new cursor",
        before={"cursor": previous},
        after={"cursor": stored.cursor},
        data={"import_id": stored.import_id},
    )
    db.session.flush()
