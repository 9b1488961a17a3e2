"""Every GET route's parameters, fuzzed for every role: never a 500, never a traceback.

Each GET route of the app (the pages and ``/api/v1``) is opened over the access matrix's
world, so that its path points at real records, by each role: a user holding only that
role (an API token of that role for the API) and an anonymous visitor. The route is first
opened as the matrix opens it while the query arguments note which names the view looks
up. Then, for that role:

- a sweep, where the role is let in: each name the route reads, alone, with each of a
  few sharp values (a number past 64 bits, one just past the 32-bit ids, negatives,
  ``9999-12``, ``0000-00``, empty, Arabic-Indic and superscript digits, and more digits
  than ``int()`` converts);
- the path at its bounds: each ``<int:...>`` part 0, 2**31-1, 2**31 and 10**20; each text
  part (a month, a token, a code) the same sharp values;
- Hypothesis: query strings drawn from the names read, the names any route reads and
  random names, with repeated keys, broken percent escapes and the sharp values or random
  text, a few per route (ten times as many with ``HYPOTHESIS_PROFILE=thorough``).

A route may refuse (400), find nothing (404), redirect or answer; it must never crash
(500). Run on PostgreSQL too (``FRONTLINE_TEST_DATABASE_URL``): out-of-range numbers fail
differently there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Rule

from core.access import Role
from core.input_checks import MAX_ID
from recruiting.invitation_operations import create_invitation, start_test
from tests.access import PUBLIC, Access, World
from tests.core.test_access_matrix import MATRIX, world  # noqa: F401 - the fixture
from tests.factories import make_api_token, make_team, make_user
from tests.recruiting.factories import make_candidate, make_opening

#: Values that have broken parameter parsing somewhere: numbers no column holds, months
#: no calendar library can step past, digits ``int()`` takes but a database does not.
SHARP = [
    "99999999999999999999",
    str(MAX_ID + 1),
    "-1",
    "0",
    "9999-12",
    "0000-00",
    "",
    "\u0663\u0660\u0662\u0664-\u0660\u0663",  # 3024-03 in Arabic-Indic digits
    "\u00b2",  # superscript two: str.isdigit() says yes, int() says no
    "9" * 5000,  # more digits than int() converts
]
#: More values for Hypothesis to pick from.
ODD = [
    str(MAX_ID),
    str(2**63),
    "-99999999999999999999",
    "1e400",
    "nan",
    "0x10",
    "1_000",
    " 7 ",
    "2024-3",
    "2024-13",
    "1970-01",
    "0001-01",
    "2024-02-30",
    "desc",
    "all",
    "<script>alert(1)</script>",
    "Ünïcödé — ‮",
    "../../etc/passwd",
]
#: Names read somewhere in the app, offered to every route.
KNOWN_NAMES = [
    "month",
    "page",
    "team",
    "opening",
    "q",
    "status",
    "sort",
    "rep",
    "version",
]
#: Raw query fragments that no encoder writes: bad escapes, bare names, lone ``=``.
RAW = ["%", "%zz", "%ff%fe", "month", "=1", "&", "page=%E0%A4", "a=b=c", "%00=x"]
#: Names that mean something to ``url_for`` itself, which builds a page's own links.
BUILDER_NAMES = ["endpoint", "_external", "_scheme", "_anchor", "_method"]
#: Path values for ``<int:...>`` parts.
PATH_INTS = [0, MAX_ID, MAX_ID + 1, 10**20]

_SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1
#: Hypothesis examples per route: for a role let in, and for one refused at the door.
EXAMPLES = {True: 4 * _SCALE, False: 1 * _SCALE}
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
ROLES: list[Role | None] = [None, *sorted(Role, key=lambda r: r.value)]


@dataclass(frozen=True)
class Route:
    """A GET route with the matrix's way to call it on the world's records."""

    endpoint: str
    rule: Rule
    access: Access
    path: str
    #: The matrix's own query arguments (a month with figures, for instance).
    query: list[tuple[str, str]]

    def lets_in(self, role: Role | None) -> bool:
        if role is None:
            return self.access.allowed == PUBLIC
        return self.access.allows(role)

    def sweeper(self) -> Role | None:
        """The one role that sweeps this route's names (the first let in): the sweep is
        the slow part, and parsing does not depend on who asks."""
        return next((r for r in ROLES if self.lets_in(r)), None)


def _routes(app: Flask, w: World) -> list[Route]:
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        access = MATRIX.get(rule.endpoint)
        # A route missing from the matrix fails the matrix's own test.
        if "GET" not in (rule.methods or ()) or access is None:
            continue
        url = urlsplit(access.url(w))
        routes.append(
            Route(rule.endpoint, rule, access, url.path, parse_qsl(url.query))
        )
    return routes


# --- noting the names a view reads --------------------------------------------------------

_read: set[str] = set()


class _NotingArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query arguments that note every name looked up (``get`` goes through ``[]``)."""

    def __getitem__(self, key: Any) -> Any:
        _read.add(key)
        return super().__getitem__(key)

    def getlist(self, key: Any, type: Any = None) -> Any:
        _read.add(key)
        return super().getlist(key, type=type)

    def __contains__(self, key: object) -> bool:
        _read.add(str(key))
        return super().__contains__(key)


@contextmanager
def _noting(app: Flask) -> Iterator[set[str]]:
    """While inside, requests note the query names their views read."""
    plain = app.request_class
    app.request_class = type(  # type: ignore[assignment]
        "NotingRequest", (plain,), {"parameter_storage_class": _NotingArgs}
    )
    _read.clear()
    try:
        yield _read
    finally:
        app.request_class = plain  # type: ignore[assignment]


# --- calling a route ------------------------------------------------------------------------


@dataclass
class Caller:
    """A client acting as one role (or anonymous), collecting every crash it meets."""

    client: FlaskClient
    headers: dict[str, str]
    role: Role | None
    crashes: list[str]
    calls: int = 0

    def get(self, path: str, query: str = "") -> Any:
        self.calls += 1
        return self.client.get(path, query_string=query, headers=self.headers)

    def crash(self, response: Any) -> bool:
        return response.status_code >= 500 or b"Traceback (most recent call" in (
            response.get_data()
        )

    def check(self, route: Route, path: str, query: str = "") -> None:
        response = self.get(path, query)
        if self.crash(response):
            self.crashes.append(self.says(route, path, query, response))

    def says(self, route: Route, path: str, query: str, response: Any) -> str:
        url = f"{path}?{query}"
        url = url if len(url) < 200 else f"{url[:200]}... ({len(url)} characters)"
        who = self.role or "anonymous"
        return f"{route.endpoint} as {who}: GET {url} -> {response.status_code}"


def _caller(app: Flask, w: World, role: Role | None, api: bool) -> Caller:
    client = app.test_client()
    headers = {}
    if role is not None and api:
        headers["Authorization"] = f"Bearer {w.tokens[role]}"
    elif role is not None:
        with client.session_transaction() as session:
            session["_user_id"] = w.users[role].get_id()
            session["_fresh"] = True
    return Caller(client, headers, role, [])


def _encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


# --- the three kinds of cases ---------------------------------------------------------------


def _sweep(caller: Caller, route: Route, names: set[str]) -> None:
    """Each name read, alone beside the matrix's own arguments, with each sharp value."""
    for name in sorted(names):
        base = [(k, v) for k, v in route.query if k != name]
        for value in SHARP:
            caller.check(route, route.path, _encode([*base, (name, value)]))


def _path_bounds(app: Flask, caller: Caller, route: Route) -> None:
    """Each path part at its bounds, the rest kept on the world's records."""
    adapter = app.url_map.bind("frontline.test")
    _, values = adapter.match(route.path, method="GET")
    converters = route.rule._converters  # no public way to ask for them
    query = _encode(route.query)
    for name in route.rule.arguments:
        is_int = isinstance(converters[name], IntegerConverter)
        for value in PATH_INTS if is_int else SHARP:
            if value == "":
                continue
            path = adapter.build(route.endpoint, {**values, name: value})
            caller.check(route, path, query)


class _Crash(Exception):
    """A 500 or a traceback, found by Hypothesis (and shrunk to a small query)."""


def _queries(route: Route, names: set[str], common: set[str]) -> st.SearchStrategy[str]:
    own = sorted(names | set(route.rule.arguments))
    name = st.one_of(
        *([st.sampled_from(own)] if own else []),
        st.sampled_from(sorted(common) + BUILDER_NAMES),
        st.text(max_size=8),
    )
    value = st.one_of(
        st.sampled_from(SHARP + ODD),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(alphabet="0123456789-", max_size=12),
        st.text(max_size=16),
    )
    pair = st.tuples(name, value).map(lambda p: _encode([p]))
    repeated = st.tuples(name, st.lists(value, min_size=2, max_size=3)).map(
        lambda p: _encode([(p[0], v) for v in p[1]])
    )
    part = st.one_of(pair, pair, repeated, st.sampled_from(RAW))
    return st.lists(part, max_size=5).map("&".join)


def _fuzz(caller: Caller, route: Route, names: set[str], common: set[str]) -> None:
    """A few Hypothesis-drawn query strings; a crash is shrunk and noted."""

    @given(query=_queries(route, names, common))
    @settings(max_examples=EXAMPLES[route.lets_in(caller.role)], **SETTINGS)
    def call(query: str) -> None:
        response = caller.get(route.path, query)
        if caller.crash(response):
            raise _Crash(caller.says(route, route.path, query, response))

    try:
        call()
    except _Crash as e:
        caller.crashes.append(str(e))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
def test_no_parameter_of_any_get_route_crashes_it(
    app: Flask,
    world: World,  # noqa: F811 - the access matrix's fixture, imported above
    role: Role | None,
) -> None:
    routes = _routes(app, world)
    assert len(routes) > 80, "the GET routes were not found"
    callers = {api: _caller(app, world, role, api) for api in (False, True)}
    names: dict[str, set[str]] = {}
    with _noting(app) as read:
        for route in routes:
            read.clear()
            callers[route.access.api].check(route, route.path, _encode(route.query))
            names[route.endpoint] = set(read)
    common = set(KNOWN_NAMES).union(*names.values())
    if role is Role.ADMIN:  # the noting works: the admin's pages read these
        assert set(KNOWN_NAMES) <= common, set(KNOWN_NAMES) - common
    for route in routes:
        caller = callers[route.access.api]
        if route.sweeper() is role:
            _sweep(caller, route, names[route.endpoint])
        if route.lets_in(role):  # a role turned away never gets as far as the path
            _path_bounds(app, caller, route)
        _fuzz(caller, route, names[route.endpoint], common)
    crashes = callers[False].crashes + callers[True].crashes
    assert not crashes, "\n".join(crashes)


# --- what the fuzzing found, pinned ---------------------------------------------------------

HUGE = "99999999999999999999"
NO_FIGURES = "No figures for that month"
NO_PAGE = "There is no such page"


@pytest.fixture
def pinned(seed) -> dict[str, Any]:
    """An admin who may open every page here, a rep in a team, and a leadership token."""
    with seed():
        team = make_team("Pinned team")
        admin = make_user(
            Role.ADMIN, Role.LEADERSHIP, Role.HIRING_MANAGER, name="Pinned admin"
        )
        rep = make_user(Role.REP, name="Pinned rep", team=team)
        opening = make_opening(admin, team=team)
        token = make_api_token(Role.LEADERSHIP, name="pinned")
        invitation, link = create_invitation(make_candidate(opening, admin), by=admin)
        start_test(invitation)
    return {
        "admin": admin,
        "token": token,
        "rep": rep.id,
        "team": team.id,
        "opening": opening.id,
        "link": link,
    }


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/incentives/metrics?month=9999-12", 404, NO_FIGURES),
        ("/incentives/metrics.csv?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scores?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scores.csv?month=9999-12", 404, NO_FIGURES),
        ("/incentives/unattributed?month=9999-12", 404, NO_FIGURES),
        ("/incentives/reps/{rep}/tickets?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/reps/{rep}?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/reps/{rep}.pdf?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/teams/{team}?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/teams/{team}.pdf?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/leadership?month=9999-12", 404, NO_FIGURES),
        ("/incentives/scorecards/leadership.pdf?month=9999-12", 404, NO_FIGURES),
        ("/incentives/months/9999-12/close", 404, NO_FIGURES),
        ("/incentives/metrics?month=0000-00", 400, "Use a month like"),
        ("/incentives/metrics?month=%D9%A2%D9%A0%D9%A2%D9%A4-03", 400, "Use a month"),
        (f"/admin/audit?page={HUGE}", 404, NO_PAGE),
        (f"/admin/users?page={HUGE}", 404, NO_PAGE),
        (f"/incentives/imports?page={HUGE}", 404, NO_PAGE),
        (f"/training/register?page={HUGE}", 404, NO_PAGE),
        (f"/incentives/unattributed?page={HUGE}", 404, NO_PAGE),
        ("/admin/users?page=0", 400, "Use a page number from 1"),
        ("/incentives/metrics?team=abc", 400, "Pick the team from the list"),
        (f"/incentives/metrics?team={HUGE}", 404, "There is no such team"),
        ("/admin/audit?date_to=9999-12-31", 200, "Pick a date from 2000"),
        # A name that is also a part of the path, or url_for's own: the page's links
        # are built without it.
        ("/incentives/reps/{rep}/tickets?month=2024-03&rep_id=5", 200, "Pinned rep"),
        ("/recruiting/openings/{opening}/ranked?opening_id=7", 200, ""),
        ("/recruiting/openings/{opening}/ranked?_method=POST&endpoint=x", 200, ""),
    ],
)
def test_a_parameter_out_of_bounds_is_a_400_or_404_that_says_why(
    app: Flask, pinned: dict[str, Any], url: str, status: int, says: str
) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = pinned["admin"].get_id()
        session["_fresh"] = True
    response = client.get(url.format(**pinned))
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/v1/metrics/9999-12", 404, NO_FIGURES),
        ("/api/v1/metrics/1999-12", 404, NO_FIGURES),
        ("/api/v1/metrics/0000-00", 400, "Use a month like"),
        (
            "/api/v1/authority-check?rep=a@example.com&authority=refund"
            "&amount=1e999999999",
            400,
            "Give an amount below 10,000,000,000.",
        ),
    ],
)
def test_an_api_parameter_out_of_bounds_is_a_json_400_or_404(
    client: FlaskClient, pinned: dict[str, Any], url: str, status: int, says: str
) -> None:
    response = client.get(url, headers={"Authorization": f"Bearer {pinned['token']}"})
    assert response.status_code == status
    assert says in response.get_json()["error"]["message"]


SUPERSCRIPT_TWO = "\u00b2"
TOO_MANY_DIGITS = "9" * 5000


@pytest.mark.parametrize(
    "url",
    [
        f"/recruiting/candidates?q={SUPERSCRIPT_TWO}",
        f"/recruiting/candidates?q=%23{SUPERSCRIPT_TWO}",
        f"/recruiting/candidates?q={TOO_MANY_DIGITS}",
        f"/recruiting/test/{{link}}?q={SUPERSCRIPT_TWO}",
        f"/recruiting/test/{{link}}?q={TOO_MANY_DIGITS}",
        "/recruiting/candidates?q=%2312",
        f"/recruiting/candidates?q=%23{HUGE}",
        f"/recruiting/test/{{link}}?q={HUGE}",
        "/recruiting/test/{link}?q=0",
        "/recruiting/test/{link}?q=review",
    ],
)
def test_recruiting_takes_any_digits_in_a_search_or_an_item_number(
    app: Flask, pinned: dict[str, Any], url: str
) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = pinned["admin"].get_id()
        session["_fresh"] = True
    response = client.get(url.format(**pinned))
    assert response.status_code == 200
