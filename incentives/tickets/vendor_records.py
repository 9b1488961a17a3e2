"""Helpdesk API records as the rows of that helpdesk's file export.

PURE: plain JSON data in, text rows out; no Flask, no database, no network. A sync
(``incentives/tickets/sync.py``) fetches a vendor's incremental export, turns each ticket
into the columns the vendor's CSV export has (the headers :data:`sources.ZENDESK` and
:data:`sources.FRESHDESK` read) and imports them as a file of that source, so a ticket
fetched over the API is checked, compared and stored exactly as the same ticket in an
export would be.

- **Zendesk**: the incremental ticket export (cursor-based), with the ``users``,
  ``groups`` and ``metric_sets`` side-loads: the assignee's e-mail and name, the group's
  name, ``via.channel``, ``satisfaction_rating.score`` (good, bad, offered, unoffered),
  and from the ticket's metric set ``solved_at``, ``reopens``, ``reply_time_in_minutes``
  and ``full_resolution_time_in_minutes`` (each ``calendar`` and ``business``). Deleted
  tickets are left out.
- **Freshdesk**: ``GET /api/v2/tickets`` with ``include=stats``: ``responder_id`` (its
  agent's e-mail and name from ``/api/v2/agents``), ``group_id`` (``/api/v2/groups``),
  ``source`` and ``priority`` as numbers, and from ``stats`` ``first_responded_at``,
  ``resolved_at`` and ``closed_at``; the latest satisfaction rating of each ticket
  (``ratings.default_question``, 103 extremely happy to -103 extremely unhappy) as the
  export's survey result. The list carries no business-hours durations, so those columns
  stay out (the file export has them).
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Zendesk's CSV export headers, in the order a batch writes them.
ZENDESK_HEADER = [
    "Id",
    "Assignee email",
    "Assignee",
    "Group",
    "Via",
    "Priority",
    "Created at",
    "Solved at",
    "Reopens",
    "Satisfaction Score",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Tags",
]

#: Freshdesk's CSV export headers, in the order a batch writes them.
FRESHDESK_HEADER = [
    "Ticket ID",
    "Agent email",
    "Agent",
    "Group",
    "Source",
    "Priority",
    "Created time",
    "Initial response time",
    "Resolved time",
    "Closed time",
    "Survey results",
    "Tags",
]

#: Freshdesk's ``source`` numbers, as its ticket export writes them.
FRESHDESK_SOURCES = {
    1: "Email",
    2: "Portal",
    3: "Phone",
    4: "Forum",
    5: "Twitter",
    6: "Facebook",
    7: "Chat",
    8: "MobiHelp",
    9: "Feedback Widget",
    10: "Outbound Email",
}
#: Freshdesk's ``priority`` numbers.
FRESHDESK_PRIORITIES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
#: A satisfaction rating's ``ratings.default_question``, as the export's survey results
#: read it (a three-point survey answers 103, 100 or -103).
FRESHDESK_RATINGS = {
    103: "Extremely happy",
    102: "Very happy",
    101: "Happy",
    100: "Neutral",
    -101: "Unhappy",
    -102: "Very unhappy",
    -103: "Extremely unhappy",
}


@dataclass
class Batch:
    """Tickets fetched, as the rows of the vendor's export.

    ``ticket_ids[i]`` is the id of ``rows[i]``, which a file import numbers row ``i + 2``
    (the header is row 1).
    """

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    ticket_ids: list[str] = field(default_factory=list)
    #: Tickets fetched but not imported, with why: {"deleted in Zendesk": 2}.
    left_out: dict[str, int] = field(default_factory=dict)
    #: Records that are not a ticket at all (not an object, or no id): the sync refuses
    #: the run rather than drop them.
    malformed: int = 0

    def csv_bytes(self) -> bytes:
        """The rows as a CSV file (UTF-8, every cell quoted), header first."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue().encode("utf-8")

    def ticket_of_row(self, row: int) -> str | None:
        """The ticket id on a file row (the header is row 1)."""
        position = row - 2
        if 0 <= position < len(self.ticket_ids):
            return self.ticket_ids[position]
        return None


#: Line breaks and other control characters: a cell never spans lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def text(value: Any) -> str:
    """A JSON value as one cell: ``None`` is blank, whole floats lose ``.0``, lists join.

    Line breaks and other control characters become spaces: a cell never spans lines.
    """
    if isinstance(value, str):
        return (value if value.isprintable() else _CONTROL.sub(" ", value)).strip()
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(part for part in map(text, value) if part)
    return _CONTROL.sub(" ", str(value)).strip()


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _by_id(items: Iterable[Any]) -> dict[str, Mapping[str, Any]]:
    return {
        text(item.get("id")): item
        for item in items
        if isinstance(item, dict) and text(item.get("id"))
    }


def latest_per_ticket(tickets: Sequence[Any], key: str = "id") -> tuple[list[Any], int]:
    """One record per ticket id, the last fetched (the newest state), in first-seen order,
    and how many records are not tickets (not an object, or no id).

    A ticket updated while the export runs can come twice; the file import would refuse
    the repeat.
    """
    order: list[str] = []
    latest: dict[str, Any] = {}
    malformed = 0
    for record in tickets:
        ident = text(record.get(key)) if isinstance(record, dict) else ""
        if not ident:
            malformed += 1
            continue
        if ident not in latest:
            order.append(ident)
        latest[ident] = record
    return [latest[i] for i in order], malformed


# --- Zendesk ---------------------------------------------------------------------------


def zendesk_batch(
    tickets: Sequence[Any],
    *,
    users: Sequence[Any] = (),
    groups: Sequence[Any] = (),
    metric_sets: Sequence[Any] = (),
) -> Batch:
    """Zendesk's incremental export records (with their side-loads) as export rows."""
    people = _by_id(users)
    teams = _by_id(groups)
    metrics = {
        text(m.get("ticket_id")): m
        for m in metric_sets
        if isinstance(m, dict) and text(m.get("ticket_id"))
    }
    batch = Batch(header=list(ZENDESK_HEADER))
    records, batch.malformed = latest_per_ticket(tickets)
    for record in records:
        ticket = _object(record)
        if text(ticket.get("status")).casefold() == "deleted":
            batch.left_out["deleted in Zendesk"] = (
                batch.left_out.get("deleted in Zendesk", 0) + 1
            )
            continue
        ident = text(ticket.get("id"))
        assignee = people.get(text(ticket.get("assignee_id")), {})
        group = teams.get(text(ticket.get("group_id")), {})
        metric = metrics.get(ident, {})
        reply = _object(metric.get("reply_time_in_minutes"))
        resolution = _object(metric.get("full_resolution_time_in_minutes"))
        rating = _object(ticket.get("satisfaction_rating"))
        batch.rows.append(
            [
                ident,
                text(assignee.get("email")),
                text(assignee.get("name")),
                text(group.get("name")),
                text(_object(ticket.get("via")).get("channel")),
                text(ticket.get("priority")),
                text(ticket.get("created_at")),
                text(metric.get("solved_at")),
                text(metric.get("reopens")),
                text(rating.get("score")),
                text(reply.get("calendar")),
                text(reply.get("business")),
                text(resolution.get("calendar")),
                text(resolution.get("business")),
                text(ticket.get("tags")),
            ]
        )
        batch.ticket_ids.append(ident)
    return batch


# --- Freshdesk -------------------------------------------------------------------------


def freshdesk_batch(
    tickets: Sequence[Any],
    *,
    agents: Sequence[Any] = (),
    groups: Sequence[Any] = (),
    ratings: Sequence[Any] = (),
) -> Batch:
    """Freshdesk's ticket list records (``include=stats``) as export rows, with each
    ticket's latest satisfaction rating (``/api/v2/surveys/satisfaction_ratings``)."""
    people = _by_id(agents)
    teams = _by_id(groups)
    surveys = latest_ratings(ratings)
    batch = Batch(header=list(FRESHDESK_HEADER))
    records, batch.malformed = latest_per_ticket(tickets)
    for record in records:
        ticket = _object(record)
        ident = text(ticket.get("id"))
        contact = _object(
            people.get(text(ticket.get("responder_id")), {}).get("contact")
        )
        stats = _object(ticket.get("stats"))
        batch.rows.append(
            [
                ident,
                text(contact.get("email")),
                text(contact.get("name")),
                text(teams.get(text(ticket.get("group_id")), {}).get("name")),
                _coded(ticket.get("source"), FRESHDESK_SOURCES),
                _coded(ticket.get("priority"), FRESHDESK_PRIORITIES),
                text(ticket.get("created_at")),
                text(stats.get("first_responded_at")),
                text(stats.get("resolved_at")),
                text(stats.get("closed_at")),
                surveys.get(ident, ""),
                ", ".join(text(t) for t in _list(ticket.get("tags")) if text(t)),
            ]
        )
        batch.ticket_ids.append(ident)
    return batch


def latest_ratings(ratings: Sequence[Any]) -> dict[str, str]:
    """Ticket id -> its latest rating's answer to the default question, as a word.

    An answer Freshdesk does not document stays a number, which the import then names as
    not a survey result.
    """
    latest: dict[str, tuple[str, str]] = {}
    for rating in ratings:
        if not isinstance(rating, dict):
            continue
        ticket = text(rating.get("ticket_id"))
        answer = _object(rating.get("ratings")).get("default_question")
        if not ticket or answer is None:
            continue
        when = text(rating.get("created_at"))
        if ticket not in latest or when >= latest[ticket][0]:
            latest[ticket] = (when, _coded(answer, FRESHDESK_RATINGS))
    return {ticket: word for ticket, (_, word) in latest.items()}


def _coded(value: Any, words: Mapping[int, str]) -> str:
    """A Freshdesk number as its word; a number we do not know stays as written."""
    if isinstance(value, int) and not isinstance(value, bool) and value in words:
        return words[value]
    return text(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def freshdesk_cursor(tickets: Sequence[Any], previous: str | None) -> str | None:
    """The next ``updated_since``: the newest ``updated_at`` fetched (else the previous).

    Freshdesk counts a ticket updated at exactly that time again next run; it comes back
    unchanged, so nothing is lost between runs.
    """
    newest = previous
    newest_at = parse_instant(previous) if previous else None
    for ticket in tickets:
        if not isinstance(ticket, dict):
            continue
        raw = text(ticket.get("updated_at"))
        at = parse_instant(raw)
        if at is not None and (newest_at is None or at > newest_at):
            newest, newest_at = at.strftime("%Y-%m-%dT%H:%M:%SZ"), at
    return newest


def parse_instant(value: str | None) -> dt.datetime | None:
    """An ISO 8601 time with an offset (``2024-03-04T09:00:00Z``) in UTC, else ``None``."""
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return at.astimezone(dt.UTC)


# --- HTTP details ----------------------------------------------------------------------


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` address of a ``Link`` header (Freshdesk's pagination)."""
    if not header:
        return None
    for part in header.split(","):
        match = re.match(r"\s*<([^>]*)>\s*;(.*)", part)
        if match and re.search(r'rel\s*=\s*"?next"?', match.group(2)):
            return match.group(1).strip()
    return None


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """How long a ``Retry-After`` header asks to wait: seconds, or an HTTP date.

    ``None`` when the header is missing or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
