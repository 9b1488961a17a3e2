"""Importers under hostile files: a result or a row-numbered report, never a crash, and a
rejected file writes no ticket.

The pure parse functions (each ticket source, the mapping loader, API batches, and the
candidates CSV) are fed generated files: real headers in any case and order, cells drawn
from values each field accepts, near misses (impossible dates, huge or negative numbers,
``inf``), spreadsheet formulas, markup, quotes, separators, NUL and line breaks of every
kind, and sometimes raw bytes. The ticket operation is then run against the database on
top of tickets already stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from core.db import db
from core.errors import Conflict, InvalidInput
from core.tabular import decode_upload
from incentives.tickets import importing, mapping, normalising, operations, sources
from incentives.tickets.mapping import MappingError
from incentives.tickets.models import Ticket
from incentives.tickets.sources import Field, SourceSpec
from recruiting import importing as candidate_rows
from tests.hostile.strategies import HOSTILE_TEXTS, mutated, yaml_texts

DATA = Path(__file__).resolve().parents[1] / "incentives" / "data"
MAPPING_TEXT = (DATA / "helpscout_mapping.yaml").read_text()
HELPSCOUT = mapping.load_mapping(MAPPING_TEXT)
SPECS: dict[str, SourceSpec] = {
    "zendesk": sources.ZENDESK,
    "freshdesk": sources.FRESHDESK,
    "frontline": sources.FRONTLINE,
    "helpscout": sources.HELPSCOUT,
    "gorgias": sources.GORGIAS,
    "mapped": HELPSCOUT,
}
TZ = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2024, 4, 15, 12, 0, tzinfo=dt.UTC)

TIMES = [
    "2024-03-01T08:00:00Z",
    "2024-03-01 09:30:00",
    "2024-03-02T08:00:00+02:00",
    "2024-03-01 08:00 +0100",
    "2024-03-01 08:00 UTC",
    "01/03/2024 08:00",
    "03/15/2024 09:05 AM",
    "13/03/2024",
    "31.03.2024 23:59",
    "2024-03-31T02:30:00",  # a local time that does not exist in Berlin
    "2024-10-27T02:30:00",  # a local time that happens twice
    "1900-01-01",
    "0000-00-00 00:00:00",
    "2024-13-45",
    "2024-02-30 10:00",
    "9999-12-31T23:59:59",
    "99/99/9999",
    "31/12/99999",
    "1e10",
    "2262-04-12",
    "1677-09-21",
    "2030-01-01T00:00:00Z",
]
DURATIONS = ["12", "1.5", "1,5", "1:30", "1,234", "0", "-5", "1e400", "inf", "nan"]
NUMBERS = ["0", "1", "3", "3.0", "10", "-1", "11", "2.5", "1e300", "99999999999", "NaN"]
WORDS = [
    "",
    " ",
    "n/a",
    "-",
    "good",
    "Bad",
    "Offered",
    "Great",
    "Awesome",
    "5",
    "email",
    "Phone call (incoming)",
    "Trustpilot review",
    "urgent",
    "P2",
    "Medium",
    "julia.kowalska@example.com",
    "Amara Nwosu",
    "Unassigned",
    "Straße " * 40,  # 280 characters, longer still in lower case
]
IDS = ["T-1", "T-2", "T-3", "1001", '="00123"', "", " ", "x" * 65]

#: Cells a field's column is drawn from: its own kind of value, a near miss, or anything.
_ANY = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.text(alphabet=',;"\t\r\n =+-@', max_size=6),
)
_BY_FIELD = {
    Field.TICKET_ID: st.sampled_from(IDS),
    Field.CREATED_AT: st.sampled_from(TIMES),
    Field.FIRST_RESPONSE_AT: st.sampled_from(TIMES),
    Field.SOLVED_AT: st.sampled_from(TIMES),
    Field.REOPENS: st.sampled_from(NUMBERS),
    Field.NPS: st.sampled_from(NUMBERS),
    **dict.fromkeys(sources.DURATION_FIELDS, st.sampled_from(DURATIONS)),
}


def _cell(field: Field | None) -> st.SearchStrategy[str]:
    own = _BY_FIELD.get(field, st.sampled_from(WORDS)) if field else _ANY
    return st.one_of(own, own, own, _ANY)


@st.composite
def exports(draw: Any, spec: SourceSpec) -> bytes:
    """A CSV file in ``spec``'s format, more or less."""
    fields = list(spec.columns)
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
    required = [f for f in spec.required if draw(st.integers(0, 9)) > 0]
    chosen = list(dict.fromkeys([*required, *chosen]))
    headers = [spec.columns[f][0] for f in chosen]
    headers = [
        h.upper() if draw(st.booleans()) else h.replace(" ", "_") for h in headers
    ]
    extra = draw(st.lists(st.sampled_from(HOSTILE_TEXTS), max_size=2))
    columns: list[Field | None] = [*chosen, *[None] * len(extra)]
    rows = draw(
        st.lists(
            st.tuples(*[_cell(f) for f in columns]) if columns else st.just(()),
            max_size=6,
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    if draw(st.integers(0, 5)):
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([*headers, *extra])
        writer.writerows(rows)
    else:  # no quoting at all: separators and quotes inside cells break the layout
        for line in [[*headers, *extra], *rows]:
            buffer.write(delimiter.join(line) + "\n")
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _check_parsed(parsed: importing.ParsedTickets) -> None:
    """A parse either yields a well-formed tickets frame or a well-formed report."""
    assert parsed.error_count >= len(parsed.errors)
    report = parsed.report()
    assert report.total == parsed.error_count
    for error in parsed.errors:
        assert error.row >= 1
        assert error.reason.strip()
    if not parsed.ok:
        assert parsed.errors, "a rejected file must say why"
        return
    tickets = parsed.tickets
    assert list(tickets.columns) == list(normalising.TICKET_FRAME)
    for column, dtype in normalising.TICKET_FRAME.items():
        assert str(tickets[column].dtype).startswith(dtype.split("[")[0]), column
    assert tickets["external_id"].notna().all()
    assert tickets["external_id"].str.len().le(normalising.MAX_ID).all()
    assert not tickets["external_id"].duplicated().any()
    assert tickets["created_at"].notna().all()
    for column, limit in (
        ("agent_key", 254),
        ("agent_label", 254),
        ("group_name", 120),
    ):
        assert tickets[column].dropna().astype(str).str.len().le(limit).all(), column
    assert tickets["tags"].dropna().str.len().le(normalising.MAX_TAGS).all()
    durations = tickets[list(sources.DURATION_FIELDS)].to_numpy(dtype=float)
    assert not np.isinf(durations).any()
    assert tickets["reopens"].dropna().le(normalising.MAX_REOPENS).all()
    late = pd.Timestamp(NOW) + pd.Timedelta(days=1)
    for column in ("created_at", "first_response_at", "solved_at"):
        assert not (tickets[column] > late).any(), column
    for column in ("reopens", "nps"):
        values = tickets[column].dropna()
        assert (values >= 0).all(), column
        assert (values == values.round()).all(), column
    assert tickets["nps"].dropna().le(10).all()
    importing.fingerprints(tickets)


@pytest.mark.parametrize("source", sorted(SPECS))
def test_any_export_reads_as_tickets_or_a_row_numbered_report(source: str) -> None:
    spec = SPECS[source]

    @given(exports(spec))
    def check(data: bytes) -> None:
        _check_parsed(importing.parse_file(data, spec, tz=TZ, now=NOW))

    check()


@given(st.binary(max_size=300), st.sampled_from(sorted(SPECS)))
@example(b"", "frontline")
@example(b"\xff\xfe\x00\x00", "zendesk")
@example(b'ticket_id,channel,created_at\n"1,email,2024-03-01', "frontline")
@example(b"ticket_id,channel,created_at\n1,email,2024-03-01,extra,cells", "frontline")
def test_any_bytes_read_as_tickets_or_a_report(data: bytes, source: str) -> None:
    _check_parsed(importing.parse_file(data, SPECS[source], tz=TZ, now=NOW))


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(TIMES + NUMBERS + WORDS + HOSTILE_TEXTS),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=3),
    ),
    max_leaves=8,
)
_RECORD = st.fixed_dictionaries(
    {
        "ticket_id": st.sampled_from(IDS) | _JSON,
        "channel": st.sampled_from(WORDS) | _JSON,
        "created_at": st.sampled_from(TIMES) | _JSON,
    },
    optional={
        name: _JSON | st.sampled_from(TIMES + NUMBERS + WORDS)
        for name in sources.FRONTLINE_COLUMNS
        if name not in {"ticket_id", "channel", "created_at"}
    },
)


@given(st.lists(_RECORD | _JSON, max_size=5))
@example([{"ticket_id": "1", "channel": "email", "created_at": TIMES[0], "nps": 1e300}])
def test_any_api_batch_reads_as_tickets_or_a_report(records: list[Any]) -> None:
    _check_parsed(importing.parse_records(records, tz=TZ, now=NOW))


# --- the mapping file ---------------------------------------------------------------------


def _readable(problems: list[str]) -> None:
    assert problems
    assert all(isinstance(p, str) and p.strip() for p in problems)


def _mapping_outcome(text: str) -> SourceSpec | None:
    try:
        spec = mapping.load_mapping(text)
    except MappingError as e:
        _readable(e.problems)
        return None
    assert mapping.SOURCE_NAME_RE.match(spec.name)
    assert {Field.TICKET_ID, Field.CREATED_AT} <= set(spec.columns)
    return spec


@given(yaml_texts())
@example("source: x\ncolumns: {ticket_id: a, created_at: b}\ntimezone: " + "A" * 300)
@example("source: x\ncolumns: {ticket_id: a, created_at: b}\ntimezone: Etc")
@example("source: x\ncolumns: {ticket_id: a, created_at: b}\ntimezone: ../../etc")
@example("1: a\nsource: x")
@example(
    "source: x\ncolumns: {ticket_id: a, created_at: b}\nsatisfaction: {not_rated: 5}"
)
def test_any_text_loads_as_a_mapping_or_names_its_problems(text: str) -> None:
    _mapping_outcome(text)


@given(mutated(yaml.safe_load(MAPPING_TEXT)))
def test_a_damaged_mapping_loads_or_names_its_problems(data: Any) -> None:
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, TypeError, ValueError):
        return
    spec = _mapping_outcome(text)
    if spec is None:
        return
    # A mapping that loads must read its own tool's export without crashing.
    data_bytes = (DATA / "helpscout_export.csv").read_bytes()
    _check_parsed(importing.parse_file(data_bytes, spec, tz=TZ, now=NOW))


# --- the operation: all or nothing ----------------------------------------------------------

BASELINE = (
    b"ticket_id,channel,agent_email,priority,created_at,first_response_at,solved_at,"
    b"reopens,csat,nps,tags\r\n"
    b"T-1,email,,normal,2024-03-01T08:00:00Z,,2024-03-01T09:00:00Z,0,good,9,billing\r\n"
    b"T-2,phone,,high,2024-03-02T08:00:00Z,,2024-03-02T08:30:00Z,1,bad,3,\r\n"
)


def _tickets() -> list[tuple[Any, ...]]:
    columns = [c for c in Ticket.__table__.columns if c.name != "import_id"]
    return [
        tuple(row)
        for row in db.session.execute(
            select(*columns).order_by(Ticket.source, Ticket.external_id)
        )
    ]


def _import(data: bytes, source: str, **kw: Any) -> operations.ImportOutcome:
    return operations.import_ticket_file(
        data,
        filename="hostile.csv",
        file_format=source,
        mapping_text=MAPPING_TEXT if source == "mapped" else None,
        by="hostile-test",
        via="cli",
        tz=TZ,
        now=NOW,
        **kw,
    )


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize("source", ["frontline", "zendesk"])
def test_a_rejected_file_leaves_every_stored_ticket_as_it_was(source: str) -> None:
    spec = SPECS[source]

    @given(exports(spec), st.booleans())
    def check(data: bytes, dry_run: bool) -> None:
        savepoint = db.session.begin_nested()
        try:
            assert not _import(BASELINE, "frontline").rejected
            if source == "zendesk":
                assert not _import(BASELINE, "frontline").rejected
            before = _tickets()
            try:
                outcome = _import(data, source, dry_run=dry_run)
            except (InvalidInput, Conflict):
                db.session.rollback()
                return
            db.session.flush()
            after = _tickets()
            if outcome.rejected or outcome.dry_run:
                assert after == before
            else:
                assert len(after) == len(before) + outcome.inserted
        finally:
            if savepoint.is_active:
                savepoint.rollback()

    check()


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_a_first_row_with_a_cell_too_many_is_refused_whatever_the_line_endings(
    newline: str,
) -> None:
    text = newline.join(
        ["ticket_id,channel,created_at", "T-1,email,2024-03-01T08:00:00Z,stray", ""]
    )
    parsed = importing.parse_file(text.encode(), sources.FRONTLINE, tz=TZ, now=NOW)
    assert not parsed.ok
    assert parsed.errors[0].row == 2
    assert "4 cells but the header has 3" in parsed.errors[0].reason


def test_bytes_windows_1252_leaves_undefined_are_read_not_a_crash() -> None:
    data = b"ticket_id,channel,created_at,group\n1,email,2024-03-01T08:00:00Z,Caf\x81\x8d\n"
    parsed = importing.parse_file(data, sources.FRONTLINE, tz=TZ, now=NOW)
    assert parsed.ok, parsed.errors
    assert parsed.tickets["group_name"].iloc[0] == "Caf\ufffd\ufffd"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("timezone: Etc", "timezone: 'Etc' is not a known time zone"),
        ("timezone: " + "A" * 300, "is not a known time zone"),
        ("satisfaction: {satisfied: [Great], not_rated: Not rated}", None),
        ("1: one", "unknown keys: 1"),
        ("dayfirst: 2024-13-45", "cannot read the value '2024-13-45' as a date"),
    ],
)
def test_mapping_lines_that_used_to_crash_now_load_or_name_the_problem(
    line: str, problem: str | None
) -> None:
    text = MAPPING_TEXT + "\n" + line + "\n"
    if problem is None:
        spec = mapping.load_mapping(text)
        assert spec.satisfaction.classify("Not rated") != spec.satisfaction.classify(
            "Great"
        )
        return
    with pytest.raises(MappingError) as caught:
        mapping.load_mapping(text)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("source", "column", "value", "reason"),
    [
        ("frontline", "reopens", "1e300", "too many reopens"),
        ("frontline", "reopens", "3000000000", "too many reopens"),
        ("zendesk", "First reply time in minutes", "1e400", "not a finite duration"),
        ("zendesk", "Full resolution time in minutes", "inf", "not a finite duration"),
    ],
)
def test_numbers_no_column_can_hold_are_refused_before_anything_is_written(
    source: str, column: str, value: str, reason: str
) -> None:
    if source == "frontline":
        header, row = "ticket_id,channel,created_at", "T-1,email,2024-03-01T08:00:00Z"
    else:
        header, row = "Id,Via,Created at", "1,Email,2024-03-01 08:00:00"
    data = f"{header},{column}\n{row},{value}\n".encode()
    parsed = importing.parse_file(data, SPECS[source], tz=TZ, now=NOW)
    assert [(e.row, e.reason) for e in parsed.errors] == [(2, reason)]


@pytest.mark.usefixtures("app_ctx")
def test_an_agent_name_that_grows_in_lower_case_is_stored_whole() -> None:
    name = "Straße " * 36  # 252 characters; 288 in lower case
    data = f"ticket_id,channel,created_at,agent_email\nT-9,email,{TIMES[0]},{name}\n"
    outcome = _import(data.encode(), "frontline")
    assert outcome.inserted == 1
    assert outcome.unknown_agents


# --- candidates (recruiting) -------------------------------------------------------------

_CANDIDATE_HEADERS = [*candidate_rows.COLUMNS, *candidate_rows.ALIASES, "Name", "EMAIL"]
_CANDIDATE_CELLS = st.one_of(
    st.sampled_from(
        [
            "Ada Lovelace",
            "ada@example.com",
            "ADA@Example.COM",
            "not-an-email",
            "+44 20 7946 0000",
            "2026-03-31",
            "2026-02-30",
            "31/03/2026",
            "Referral",
            "x" * 2001,
        ]
    ),
    _ANY,
)


@st.composite
def candidate_files(draw: Any) -> str:
    headers = draw(st.lists(st.sampled_from(_CANDIDATE_HEADERS), max_size=7))
    width = max(1, len(headers))
    rows = draw(
        st.lists(st.lists(_CANDIDATE_CELLS, min_size=0, max_size=width + 1), max_size=5)
    )
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([headers, *rows])
    return buffer.getvalue()


@given(candidate_files() | st.text(max_size=200))
@example("name,email\r\nAda,ada@example.com\rBob,bob@example.com\r")
@example('name,email\n"' + "x" * 200_000 + '",a@example.com\n')
def test_any_candidates_file_gives_rows_or_a_row_numbered_report(text: str) -> None:
    rows, errors = candidate_rows.parse_candidates(decode_upload(text.encode()))
    for error in errors:
        assert error.row >= 1
        assert error.reason.strip()
    if errors:
        return
    assert rows
    for row in rows:
        assert row.name
        assert "@" in row.email
        for name, limit in candidate_rows.LIMITS.items():
            assert len(getattr(row, name) or "") <= limit, name


def test_a_candidates_file_with_mac_line_endings_is_read_row_by_row() -> None:
    text = "name,email\rAda,ada@example.com\rBob,bob@example.com\r"
    rows, errors = candidate_rows.parse_candidates(text)
    assert errors == []
    assert [(r.row, r.name) for r in rows] == [(2, "Ada"), (3, "Bob")]


def test_a_cell_over_the_csv_size_limit_is_a_row_error_not_a_crash() -> None:
    text = 'name,email\nAda,ada@example.com\n"' + "x" * 200_000 + '",b@example.com\n'
    rows, errors = candidate_rows.parse_candidates(text)
    assert rows == []
    assert [(e.row, e.reason[:22]) for e in errors] == [(3, "Cannot read this line:")]


def test_nul_characters_in_uploaded_files_are_dropped() -> None:
    rows, errors = candidate_rows.parse_candidates(
        decode_upload(b"name,email\nAd\x00a,ada@exa\x00mple.com\n")
    )
    assert errors == []
    assert (rows[0].name, rows[0].email) == ("Ada", "ada@example.com")


@pytest.mark.usefixtures("app_ctx")
def test_nul_characters_in_a_ticket_file_are_dropped_before_anything_is_stored() -> (
    None
):
    data = (
        "ticket_id,channel,created_at,agent_email,group,tags\n"
        f"T\x00-7,email,{TIMES[0]},Bo\x00b,Caf\x00e,a\x00b\n"
    ).encode()
    outcome = _import(data, "frontline")
    assert outcome.inserted == 1
    db.session.flush()  # PostgreSQL refuses NUL in text at this point
    stored = db.session.scalar(select(Ticket).where(Ticket.external_id == "T-7"))
    assert (stored.group_name, stored.tags) == ("Cafe", "ab")


# --- rows broken by line breaks or cut off ------------------------------------------------

_WHOLE_ROWS = [
    f"T-{i},email,agent{i}@example.com,2024-03-0{i}T08:00:00Z,note {i}"
    for i in range(1, 6)
]


@given(
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(1, 6),
    st.sampled_from(["\r", "\n", "\r\n"]),
    st.sampled_from(["\r\n", "\n"]),
)
def test_a_line_break_in_an_unquoted_cell_is_named_and_nothing_else_is_said(
    row: int, cell: int, at: int, stray: str, newline: str
) -> None:
    cells = _WHOLE_ROWS[row].split(",")
    text = cells[cell]
    cut = min(at, len(text) - 1)
    cells[cell] = text[:cut] + stray + text[cut:]
    rows = [*_WHOLE_ROWS[:row], ",".join(cells), *_WHOLE_ROWS[row + 1 :]]
    data = newline.join(["ticket_id,channel,agent_email,created_at,tags", *rows])
    parsed = importing.parse_file(
        (data + newline).encode(), sources.FRONTLINE, tz=TZ, now=NOW
    )
    assert not parsed.ok
    reasons = [e.reason for e in parsed.errors]
    assert all("inside a cell" in r for r in reasons), reasons
    assert len(reasons) == 2  # the row, and the rest of it on the next line
    if stray != newline:
        assert parsed.errors[0].row == row + 2
    else:  # a line of one cell between whole rows: the end of one, or the start of the next
        assert parsed.errors[0].row in (row + 1, row + 2)


@given(st.integers(1, len(BASELINE) - 2))
def test_a_file_cut_anywhere_is_read_whole_or_rejected_by_its_last_row(
    length: int,
) -> None:
    data = BASELINE[:length]
    parsed = importing.parse_file(data, sources.FRONTLINE, tz=TZ, now=NOW)
    _check_parsed(parsed)
    if parsed.ok:
        # Cut at a line's end, or after the last cell's first characters: nothing lost
        # that a reader could tell; every ticket read has every cell of its row.
        assert len(parsed.tickets) <= 2
        return
    assert parsed.errors[-1].row == max(e.row for e in parsed.errors)
