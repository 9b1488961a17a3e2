"""Fetching tickets from a helpdesk's API: Zendesk's incremental export, Freshdesk's list.

No database: this module only talks HTTP (the standard library's ``urllib``) and hands
plain JSON records to :mod:`incentives.tickets.sync`. Every failure is a
:class:`SyncError` with a message for the person running the sync (which credentials to
check, what the helpdesk said); rate limits (429) are waited out as ``Retry-After`` asks,
up to a total wait, through a clock tests replace.

Credentials come from the environment (:func:`connection_from_env`):

- Zendesk: ``ZENDESK_SUBDOMAIN``, ``ZENDESK_EMAIL``, ``ZENDESK_API_TOKEN`` (basic auth
  as ``EMAIL/token:TOKEN``).
- Freshdesk: ``FRESHDESK_DOMAIN``, ``FRESHDESK_API_KEY`` (basic auth as ``KEY:X``).
- ``ZENDESK_BASE_URL`` / ``FRESHDESK_BASE_URL`` replace ``https://SUBDOMAIN.zendesk.com``
  / ``https://DOMAIN.freshdesk.com`` (a proxy, or a local server in tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from incentives.tickets.vendor_records import (
    next_link,
    parse_instant,
    retry_after_seconds,
)

#: Seconds one request may take before the sync gives up on it.
REQUEST_TIMEOUT = 60
#: At most this many seconds are spent waiting out rate limits in one run.
MAX_WAIT_SECONDS = 600.0
#: A run never reads more pages than this (a cursor that never ends is a broken answer).
MAX_PAGES = 20_000
#: Freshdesk answers at most this many pages of one list; the sync then asks again
#: from the newest ``updated_at`` read (the list is sorted by it).
FRESHDESK_PAGE_LIMIT = 300

VENDORS = {"zendesk": "Zendesk", "freshdesk": "Freshdesk"}


class SyncError(Exception):
    """The sync could not fetch the tickets; ``message`` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Clock:
    """The time and the waiting; tests give one that does not really sleep."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


#: The clock a sync uses when none is given.
default_clock: Clock = Clock()


@dataclass(frozen=True)
class Connection:
    """Where a helpdesk's API is and how to log in to it."""

    source: str  # zendesk or freshdesk
    base_url: str  # no trailing slash
    authorization: str = field(repr=False)  # the Authorization header's value

    @property
    def vendor(self) -> str:
        return VENDORS[self.source]


def connection_from_env(source: str, env: Mapping[str, str]) -> Connection:
    """The connection a source's environment variables describe.

    :raises SyncError: a variable is missing, naming each one.
    """

    def basic(user: str, password: str) -> str:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {token}"

    def needed(*names: str) -> dict[str, str]:
        values = {n: env.get(n, "").strip() for n in names}
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise SyncError(
                f"Set {', '.join(missing)} in the environment to sync from "
                f"{VENDORS[source]}."
            )
        return values

    if source == "zendesk":
        base = env.get("ZENDESK_BASE_URL", "").strip()
        values = needed(
            *([] if base else ["ZENDESK_SUBDOMAIN"]),
            "ZENDESK_EMAIL",
            "ZENDESK_API_TOKEN",
        )
        if not base:
            subdomain = values["ZENDESK_SUBDOMAIN"].removesuffix(".zendesk.com")
            _check_host_part(subdomain, "ZENDESK_SUBDOMAIN")
            base = f"https://{subdomain}.zendesk.com"
        auth = basic(f"{values['ZENDESK_EMAIL']}/token", values["ZENDESK_API_TOKEN"])
    elif source == "freshdesk":
        base = env.get("FRESHDESK_BASE_URL", "").strip()
        values = needed(*([] if base else ["FRESHDESK_DOMAIN"]), "FRESHDESK_API_KEY")
        if not base:
            domain = values["FRESHDESK_DOMAIN"].removesuffix(".freshdesk.com")
            _check_host_part(domain, "FRESHDESK_DOMAIN")
            base = f"https://{domain}.freshdesk.com"
        auth = basic(values["FRESHDESK_API_KEY"], "X")
    else:
        raise SyncError(f"There is no API sync for {source}; use zendesk or freshdesk.")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        name = f"{source.upper()}_BASE_URL"
        raise SyncError(f"{name} must be an http(s) address, e.g. https://example.com.")
    return Connection(source, base.rstrip("/"), auth)


def _check_host_part(value: str, name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", value):
        raise SyncError(
            f"{name} should be the name before .{name.split('_')[0].lower()}.com, "
            "e.g. acme."
        )


class _SameSiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the same scheme and host: urllib would send the
    credentials along to any other."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        before = urllib.parse.urlsplit(req.full_url)
        after = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if (before.scheme, before.netloc) != (after.scheme, after.netloc):
            return None  # urllib then raises the 3xx as an HTTPError
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameSiteRedirects)


class Client:
    """GETs JSON from one helpdesk, waiting out rate limits within ``max_wait``."""

    def __init__(
        self,
        connection: Connection,
        *,
        clock: Clock | None = None,
        max_wait: float = MAX_WAIT_SECONDS,
        opener: Callable[..., Any] | None = None,
    ) -> None:
        self.connection = connection
        self.clock = clock or default_clock
        self.max_wait = max_wait
        self.waited = 0.0
        self.requests = 0
        self._open = opener or _OPENER.open

    def get(
        self, url: str, *, missing_ok: bool = False
    ) -> tuple[Any, Mapping[str, str]]:
        """The JSON at ``url`` (on the connection's host) and the response headers.

        :param missing_ok: a 404 answers ``(None, {})`` (a ticket deleted since).
        :raises SyncError: refused, unreachable, not JSON, or rate-limited too long.
        """
        self._check_same_host(url)
        vendor = self.connection.vendor
        while True:
            request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
                url,
                headers={
                    "Authorization": self.connection.authorization,
                    "Accept": "application/json",
                    "User-Agent": "Frontline ticket sync",
                },
            )
            self.requests += 1
            try:
                with self._open(request, timeout=REQUEST_TIMEOUT) as response:
                    body = response.read()
                    headers = {k.lower(): v for k, v in response.headers.items()}
            except urllib.error.HTTPError as e:
                with e:  # closes the connection it holds
                    if e.code == 404 and missing_ok:
                        return None, {}
                    if e.code != 429:
                        raise SyncError(self._refusal(e)) from None
                    retry_after = e.headers.get("Retry-After")
                self._wait(retry_after)
                continue
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                raise SyncError(
                    f"{vendor} could not be reached at {self.connection.base_url} "
                    f"({reason}); nothing was imported."
                ) from None
            try:
                return json.loads(body.decode("utf-8-sig")), headers
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise SyncError(
                    f"{vendor} answered {_path(url)} with something that is not JSON; "
                    "nothing was imported."
                ) from None

    def _check_same_host(self, url: str) -> None:
        ours = urllib.parse.urlsplit(self.connection.base_url)
        theirs = urllib.parse.urlsplit(url)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise SyncError(
                f"{self.connection.vendor} pointed to another site ({theirs.netloc}); "
                "nothing was imported."
            )

    def _wait(self, retry_after: str | None) -> None:
        seconds = retry_after_seconds(retry_after, self.clock.now())
        if seconds is None:
            seconds = (
                60.0  # no usable Retry-After: a minute, as both vendors' limits run
            )
        vendor = self.connection.vendor
        if self.waited + seconds > self.max_wait:
            raise SyncError(
                f"{vendor} is limiting requests (429 Too Many Requests) and asks to wait "
                f"{seconds:g} s more, past the {self.max_wait:g} s this sync may wait "
                f"in all; nothing was imported. Run the sync again later."
            )
        self.waited += seconds
        self.clock.sleep(seconds)

    def _refusal(self, error: urllib.error.HTTPError) -> str:
        vendor = self.connection.vendor
        where = _path(error.filename or "")
        said = _vendor_message(error)
        if said and said[-1] not in ".!?":
            said += "."
        detail = f" {vendor} said: {said}" if said else ""
        if error.code in (401, 403):
            names = (
                "ZENDESK_EMAIL and ZENDESK_API_TOKEN"
                if self.connection.source == "zendesk"
                else "FRESHDESK_API_KEY"
            )
            return (
                f"{vendor} refused the credentials ({error.code}): check {names} "
                f"(and that the user may read tickets).{detail} Nothing was imported."
            )
        if error.code == 404:
            return (
                f"{vendor} has no {where} at {self.connection.base_url} "
                f"(404): check the {self.connection.source.upper()}_"
                f"{'SUBDOMAIN' if self.connection.source == 'zendesk' else 'DOMAIN'}."
                f"{detail} Nothing was imported."
            )
        return (
            f"{vendor} answered {error.code} {error.reason} to {where}."
            f"{detail} Nothing was imported."
        )


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path or "/"


def _vendor_message(error: urllib.error.HTTPError) -> str:
    """What the vendor's error body says (``error``, ``description``, ``message``)."""
    try:
        data = json.loads(error.read().decode("utf-8", errors="replace") or "null")
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    parts = []
    for key in ("error", "description", "message"):
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("title")
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
    text = "; ".join(dict.fromkeys(parts))
    return text[:200] + ("..." if len(text) > 200 else "")


# --- Zendesk ---------------------------------------------------------------------------


@dataclass
class Fetched:
    """Everything one run fetched, before any of it is imported."""

    tickets: list[Any] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)
    groups: list[Any] = field(default_factory=list)
    metric_sets: list[Any] = field(default_factory=list)
    ratings: list[Any] = field(default_factory=list)
    #: Where the next Zendesk run starts: the last page's ``after_cursor`` (Freshdesk's
    #: comes from the tickets: ``vendor_records.freshdesk_cursor``).
    cursor: str | None = None
    #: Requests for tickets (list pages, and tickets fetched one by one).
    pages: int = 0


def fetch_zendesk(
    client: Client, *, cursor: str | None, start_time: dt.datetime | None
) -> Fetched:
    """Every ticket changed since the cursor (or ``start_time``), page by page until
    ``end_of_stream``.

    ``GET /api/v2/incremental/tickets/cursor.json?start_time=...`` (then ``cursor=``
    each page's ``after_cursor``) with ``include=users,groups,metric_sets``.
    """
    fetched = Fetched(cursor=cursor)
    base = f"{client.connection.base_url}/api/v2/incremental/tickets/cursor.json"
    include = "users,groups,metric_sets"
    if start_time is not None:
        query = {"start_time": str(int(start_time.timestamp())), "include": include}
    elif cursor:
        query = {"cursor": cursor, "include": include}
    else:
        raise SyncError("No start time and no stored cursor.")  # the caller checks
    while True:
        data, _ = client.get(f"{base}?{urllib.parse.urlencode(query)}")
        fetched.pages += 1
        page = _page_object(data, "tickets", client)
        fetched.tickets.extend(page["tickets"])
        for key in ("users", "groups", "metric_sets"):
            extra = page.get(key)
            if isinstance(extra, list):
                getattr(fetched, key).extend(extra)
        after = page.get("after_cursor")
        if isinstance(after, str) and after:
            fetched.cursor = after
        end = page.get("end_of_stream")
        if not isinstance(end, bool):
            raise SyncError(
                "Zendesk's answer has no end_of_stream; nothing was imported."
            )
        if end:
            return fetched
        if not (isinstance(after, str) and after):
            raise SyncError(
                "Zendesk's answer says more pages follow but gives no after_cursor; "
                "nothing was imported."
            )
        if after == query.get("cursor") or fetched.pages >= MAX_PAGES:
            raise SyncError(
                "Zendesk's export does not move on (the same cursor again); "
                "nothing was imported."
            )
        query = {"cursor": after, "include": include}


def _page_object(data: Any, key: str, client: Client) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SyncError(
            f"{client.connection.vendor}'s answer has no list of {key}; "
            "nothing was imported."
        )
    return data


# --- Freshdesk -------------------------------------------------------------------------


def fetch_freshdesk(client: Client, *, updated_since: str) -> Fetched:
    """Every ticket updated since ``updated_since`` (ISO 8601, UTC), following the
    ``Link: <...>; rel="next"`` header, with the agents and groups to name them.

    ``GET /api/v2/tickets?updated_since=...&include=stats&per_page=100&page=N``, sorted
    by ``updated_at`` ascending so a list past Freshdesk's page limit can be asked for
    again from the newest time read.
    """
    fetched = Fetched()
    base = client.connection.base_url
    since = updated_since
    while True:
        query = {
            "updated_since": since,
            "include": "stats",
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": "100",
            "page": "1",
        }
        url: str | None = f"{base}/api/v2/tickets?{urllib.parse.urlencode(query)}"
        page_number = 0
        newest = parse_instant(since)
        while url:
            data, headers = client.get(url)
            page_number += 1
            fetched.pages += 1
            if not isinstance(data, list):
                raise SyncError(
                    "Freshdesk's answer is not a list of tickets; nothing was imported."
                )
            fetched.tickets.extend(data)
            for ticket in data:
                updated = ticket.get("updated_at") if isinstance(ticket, dict) else None
                at = parse_instant(updated) if isinstance(updated, str) else None
                if at is not None and (newest is None or at > newest):
                    newest = at
            url = next_link(headers.get("link"))
            if fetched.pages >= MAX_PAGES:
                raise SyncError("Freshdesk's list does not end; nothing was imported.")
            if url and page_number >= FRESHDESK_PAGE_LIMIT:
                break
        if not url:
            break
        if newest is None or newest == parse_instant(since):
            raise SyncError(
                "Freshdesk has more tickets updated at one instant than its list "
                "answers; nothing was imported."
            )
        since = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
    _fetch_ratings(client, fetched, updated_since=updated_since)
    fetched.users = _fetch_all(client, f"{base}/api/v2/agents?per_page=100")
    fetched.groups = _fetch_all(client, f"{base}/api/v2/groups?per_page=100")
    return fetched


def _fetch_ratings(client: Client, fetched: Fetched, *, updated_since: str) -> None:
    """The satisfaction ratings of the tickets fetched, and the tickets rated since
    ``updated_since`` that the list did not bring (a rating need not update a ticket).

    Ratings are listed by creation time, so they are read from the oldest ticket's
    creation: a ticket updated today keeps the rating it was given last year.
    """
    base = client.connection.base_url
    start = parse_instant(updated_since)
    created = [
        parse_instant(t.get("created_at"))
        for t in fetched.tickets
        if isinstance(t, dict) and isinstance(t.get("created_at"), str)
    ]
    candidates = [c for c in created if c is not None] + ([start] if start else [])
    if not candidates:
        return
    oldest = min(candidates)
    query = {"created_since": oldest.strftime("%Y-%m-%dT%H:%M:%SZ"), "per_page": "100"}
    fetched.ratings = _fetch_all(
        client,
        f"{base}/api/v2/surveys/satisfaction_ratings?{urllib.parse.urlencode(query)}",
    )
    have = {str(t.get("id")) for t in fetched.tickets if isinstance(t, dict)}
    rated_since = set()
    for rating in fetched.ratings:
        if not isinstance(rating, dict):
            continue
        ticket = str(rating.get("ticket_id") or "")
        when = parse_instant(rating.get("created_at"))
        if ticket.isdigit() and ticket not in have and when and start and when >= start:
            rated_since.add(ticket)
    for ticket in sorted(rated_since, key=int):
        data, _ = client.get(
            f"{base}/api/v2/tickets/{ticket}?include=stats", missing_ok=True
        )
        fetched.pages += 1
        if data is not None:
            fetched.tickets.append(data)


def _fetch_all(client: Client, url: str) -> list[Any]:
    items: list[Any] = []
    next_url: str | None = url
    pages = 0
    while next_url:
        data, headers = client.get(next_url)
        pages += 1
        if not isinstance(data, list):
            raise SyncError(
                f"Freshdesk's answer to {_path(next_url)} is not a list; "
                "nothing was imported."
            )
        items.extend(data)
        next_url = next_link(headers.get("link"))
        if pages >= MAX_PAGES:
            raise SyncError("Freshdesk's list does not end; nothing was imported.")
    return items
