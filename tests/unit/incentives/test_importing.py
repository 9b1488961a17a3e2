"""Reading helpdesk exports: each format as the tool writes it, and every quirk of real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from incentives.tickets import import_notes, importing, normalising, sources
from incentives.tickets.cells import (
    clean_cell,
    clean_column,
    parse_durations,
    parse_times,
    parse_whole_numbers,
)
from incentives.tickets.importing import parse_file, parse_records
from incentives.tickets.mapping import MappingError, load_mapping
from incentives.tickets.sources import FRESHDESK, FRONTLINE, ZENDESK

DATA = Path(__file__).parents[2] / "incentives" / "data"
BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)


def read(name: str, spec=FRONTLINE, tz: ZoneInfo = BERLIN):
    return parse_file((DATA / name).read_bytes(), spec, tz=tz, now=NOW)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def errors_of(parsed) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.reason) for e in parsed.errors}


# --- each format, as the tool exports it -------------------------------------------------


def test_zendesk_export_with_bom_quoted_newlines_and_local_times() -> None:
    parsed = read("zendesk_export.csv", ZENDESK)
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert parsed.source == "zendesk"
    assert parsed.rows == 5
    # the header has a BOM and the subject of row 2 spans two lines: rows still 2..6
    assert list(t.index) == [2, 3, 4, 5, 6]
    assert list(t["external_id"]) == ["1001", "1002", "1003", "1004", "1005"]
    assert list(t["channel"].astype(str)) == [
        "chat",
        "social",
        "web",
        "phone",
        "review",
    ]
    assert list(t["priority"].astype(str)) == [
        "normal",
        "high",
        "low",
        "urgent",
        "normal",
    ]
    # local Berlin times (UTC+1 in March) become UTC
    assert t.loc[2, "created_at"] == utc("2024-03-04 08:00")
    assert t.loc[2, "solved_at"] == utc("2024-03-04 09:35")
    # an open ticket has no solve time
    assert pd.isna(t.loc[3, "solved_at"])
    # durations keep their clock
    assert t.loc[5, "resolution_min_calendar"] == 1050
    assert t.loc[5, "resolution_min_business"] == 270
    assert t.loc[2, "first_response_min_calendar"] == 12
    assert t.loc[5, "reopens"] == 2


def test_zendesk_satisfaction_offered_and_unoffered_are_no_rating() -> None:
    t = read("zendesk_export.csv", ZENDESK).tickets
    assert t.loc[2, "satisfied"] == 1  # Good
    assert np.isnan(t.loc[3, "satisfied"])  # Unoffered
    assert np.isnan(t.loc[4, "satisfied"])  # Offered
    assert t.loc[5, "satisfied"] == 0  # Bad
    assert t.loc[6, "satisfied"] == 1  # GoodWithComment


def test_zendesk_assignee_names_in_any_case_and_spacing_are_one_agent() -> None:
    t = read("zendesk_export.csv", ZENDESK).tickets
    assert t.loc[2, "agent_key"] == t.loc[5, "agent_key"] == "amara nwosu"
    assert t.loc[5, "agent_label"] == "amara NWOSU"
    assert pd.isna(t.loc[4, "agent_key"])  # blank assignee: unassigned


def test_freshdesk_export_closed_time_stands_in_for_a_missing_resolved_time() -> None:
    parsed = read("freshdesk_export.csv", FRESHDESK)
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert list(t["channel"].astype(str)) == ["email", "phone", "web", "web"]
    assert list(t["priority"].astype(str)) == ["normal", "high", "low", "urgent"]
    assert t.loc[3, "solved_at"] == utc("2024-03-08 08:40")  # Closed time
    assert t.loc[2, "first_response_at"] == utc("2024-03-05 13:51")
    assert pd.isna(t.loc[5, "solved_at"])


def test_freshdesk_durations_in_hours_and_as_hours_minutes() -> None:
    t = read("freshdesk_export.csv", FRESHDESK).tickets
    assert t.loc[2, "first_response_min_business"] == pytest.approx(28.8)  # 0.48 h
    assert t.loc[4, "first_response_min_business"] == 90  # "01:30"
    assert t.loc[4, "resolution_min_business"] == 330  # 5.5 h


def test_freshdesk_survey_words() -> None:
    t = read("freshdesk_export.csv", FRESHDESK).tickets
    assert t.loc[2, "satisfied"] == 1  # Awesome
    assert t.loc[4, "satisfied"] == 0  # Not Good
    assert np.isnan(t.loc[3, "satisfied"])  # blank


def test_frontline_csv_with_offsets_local_times_and_optional_group() -> None:
    parsed = read("frontline_tickets.csv")
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert t.loc[3, "created_at"] == utc("2024-03-01 08:00")  # +02:00
    assert t.loc[4, "created_at"] == utc("2024-03-03 11:00")  # local Berlin time
    assert t.loc[2, "agent_key"] == "julia.kowalska@example.com"
    assert t.loc[2, "group_name"] == "E-mail desk"
    assert list(t["satisfied"].fillna(-1)) == [1, 0, -1, 1, -1]  # good, 2, -, 5, -
    assert list(t["nps"].fillna(-1)) == [10, 6, -1, 9, -1]
    assert t.loc[5, "tags"] == "public_review, one star"


def test_frontline_records_from_the_api_use_the_same_path() -> None:
    parsed = parse_records(
        [
            {
                "ticket_id": 7,
                "channel": "chat",
                "agent_email": "A@B.example",
                "created_at": "2024-03-01T10:00:00Z",
                "solved_at": "2024-03-01T10:30:00Z",
                "csat": 4,
                "nps": None,
            }
        ],
        FRONTLINE.with_name("zendesk"),
        tz=UTC,
        now=NOW,
    )
    assert parsed.ok, parsed.errors
    assert parsed.source == "zendesk"
    row = parsed.tickets.iloc[0]
    assert row["external_id"] == "7"
    assert row["agent_key"] == "a@b.example"
    assert row["satisfied"] == 1


def test_api_records_report_their_position_and_unknown_fields() -> None:
    parsed = parse_records(
        [
            {"ticket_id": "1", "channel": "chat", "created_at": "2024-03-01T10:00:00Z"},
            {
                "ticket_id": "2",
                "channel": "chat",
                "created_at": "soon",
                "colour": "red",
            },
            "not an object",
        ],
        tz=UTC,
    )
    assert not parsed.ok
    assert {(e.row, e.column) for e in parsed.errors} == {(2, "colour"), (3, "")}


# --- the quirks of real exports ----------------------------------------------------------


def test_excel_resaved_file_semicolons_cp1252_day_first_and_kept_zeros() -> None:
    parsed = read("frontline_excel_resaved.csv")
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    # blank rows are skipped but keep their numbers
    assert list(t.index) == [2, 3, 5]
    assert list(t["external_id"]) == ["00123", "00124", "00125"]  # ="00123"
    assert t.loc[2, "group_name"] == "Équipe e-mail"  # Windows-1252
    # 13/03/2024 decides the order: day first; 05/03/2024 is the 5th of March
    assert t.loc[2, "created_at"] == utc("2024-03-05 13:22")
    assert t.loc[2, "solved_at"] == utc("2024-03-13 08:05")
    # 01/01/1900: Excel's placeholder for a blank date means "not solved"
    assert pd.isna(t.loc[5, "solved_at"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Ticket_ID", "ticket id"),
        ("  TICKET   id ", "ticket id"),
        ("\ufeffId", "id"),
        ("First reply time in minutes", "first reply time in minutes"),
        ("First response time (in hrs)", "first response time in hrs"),
    ],
)
def test_headers_match_in_any_case_and_spacing(header: str, expected: str) -> None:
    assert sources.normalise_header(header) == expected


def test_file_without_assignee_column_imports_every_ticket_unassigned() -> None:
    parsed = read("zendesk_no_assignee.csv", ZENDESK)
    assert parsed.ok, parsed.errors
    assert parsed.tickets["agent_key"].isna().all()
    assert any("no assignee column" in note for note in parsed.notes)
    # optional columns missing: priority defaults, reopens unknown
    assert set(parsed.tickets["priority"].astype(str)) == {"normal"}
    assert parsed.tickets["reopens"].isna().all()
    assert np.isnan(parsed.tickets.loc[2, "satisfied"])  # "Not Offered"


def test_mapped_export_with_durations_business_clock_and_its_own_rating_words() -> None:
    spec = load_mapping((DATA / "helpscout_mapping.yaml").read_text())
    parsed = read("helpscout_export.csv", spec)
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert parsed.source == "helpscout-us"
    # US dates with AM/PM, in New York (UTC-4 after the DST change on 10 March)
    assert t.loc[2, "created_at"] == utc("2024-03-15 13:05")
    assert t.loc[2, "solved_at"] == utc("2024-03-15 20:40")
    assert t.loc[4, "created_at"] == utc("2024-03-17 03:59")
    # durations instead of timestamps, each on its own clock
    assert t.loc[2, "first_response_min_business"] == 90  # 1.5 hours
    assert t.loc[5, "first_response_min_business"] == 150  # 2:30
    assert t.loc[2, "resolution_min_calendar"] == 455
    assert t["first_response_at"].isna().all()
    assert list(t["priority"].astype(str)) == ["high", "normal", "urgent", "low"]
    assert list(t["satisfied"].fillna(-1)) == [1, -1, -1, 0]


def test_bad_rows_reject_the_file_with_spreadsheet_row_numbers() -> None:
    parsed = read("frontline_bad_rows.csv")
    assert not parsed.ok
    assert parsed.rows == 8
    assert errors_of(parsed) == {
        (
            4,
            "channel",
            "not a channel; use one of email, phone, chat, social, review, web, other",
        ),
        (
            5,
            "created_at",
            "not a date and time we can read (e.g. 2024-03-31 14:05 or 31/03/2024 14:05)",
        ),
        (6, "solved_at", "solved before it was created"),
        (7, "reopens", "not a whole number of reopens"),
        (
            7,
            "csat",
            "not a satisfaction rating this source uses "
            "(1, 2, 3, 4, 5, bad, good, satisfied, unsatisfied)",
        ),
        (7, "nps", "an NPS score is a whole number 0-10"),
        (8, "ticket_id", "ticket id already on row 2"),
        (9, "ticket_id", "no ticket id"),
        (9, "priority", "not a priority; use low, normal, high or urgent"),
    }
    report = parsed.report()
    assert [e.row for e in report.shown] == sorted(e.row for e in report.shown)
    assert report.more == 0


def test_a_report_lists_the_first_hundred_problems_and_counts_the_rest() -> None:
    lines = ["ticket_id,channel,created_at"]
    lines += [f"T{i},fax,2024-03-01T10:00:00Z" for i in range(250)]
    parsed = parse_file("\n".join(lines).encode(), FRONTLINE, tz=UTC)
    report = parsed.report()
    assert parsed.error_count == 250
    assert len(report.shown) == 100
    assert report.more == 150
    assert report.shown[0].row == 2


def test_missing_required_column_is_reported_on_the_header_row() -> None:
    parsed = parse_file(b"ticket_id,agent_email\nT1,a@b.c\n", FRONTLINE, tz=UTC)
    assert {(e.row, e.column) for e in parsed.errors} == {
        (1, "channel"),
        (1, "created_at"),
    }


def test_repeated_column_is_refused() -> None:
    parsed = parse_file(
        b"ticket_id,channel,created_at,channel\nT1,chat,2024-03-01,chat\n",
        FRONTLINE,
        tz=UTC,
    )
    assert [(e.row, e.reason) for e in parsed.errors] == [
        (1, "this column appears twice")
    ]


def test_ragged_rows_and_unclosed_quotes_are_explained() -> None:
    ragged = parse_file(
        b"ticket_id,channel,created_at\nT1,chat,2024-03-01,extra\n", FRONTLINE, tz=UTC
    )
    assert "cells but the header has 3" in ragged.errors[0].reason
    unclosed = parse_file(
        b'ticket_id,channel,created_at\nT1,"chat,2024-03-01\n', FRONTLINE, tz=UTC
    )
    assert "never closed" in unclosed.errors[0].reason


def test_empty_file_and_header_only_file() -> None:
    assert parse_file(b"", FRONTLINE, tz=UTC).errors[0].reason == "the file is empty"
    header_only = parse_file(b"ticket_id,channel,created_at\n", FRONTLINE, tz=UTC)
    assert header_only.ok
    assert header_only.rows == 0
    assert "The file has a header row but no tickets." in header_only.notes


def test_times_in_the_future_are_refused_when_now_is_given() -> None:
    data = b"ticket_id,channel,created_at\nT1,chat,2024-05-03T10:00:00Z\n"
    assert parse_file(data, FRONTLINE, tz=UTC).ok
    late = parse_file(data, FRONTLINE, tz=UTC, now=NOW)
    assert [e.reason for e in late.errors] == ["in the future"]


# --- dates, durations and numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2024-03-05 14:22:10"], ["2024-03-05 13:22:10"]),  # local, Berlin in winter
        (["2024-07-05 14:22"], ["2024-07-05 12:22"]),  # local, Berlin in summer
        (["2024-03-05T14:22:10Z"], ["2024-03-05 14:22:10"]),
        (["2024-03-05 14:22:10 +0100"], ["2024-03-05 13:22:10"]),
        (["2024-03-05 14:22:10 UTC"], ["2024-03-05 14:22:10"]),
        (
            ["2024-03-05T14:22+05:30", "2024-03-05T14:22Z"],
            ["2024-03-05 08:52", "2024-03-05 14:22"],
        ),
        (
            ["2024-03-05 14:22", "2024-03-05T14:22Z"],
            ["2024-03-05 13:22", "2024-03-05 14:22"],
        ),
        (
            ["05/03/2024 14:22", "13/03/2024 09:00"],
            ["2024-03-05 13:22", "2024-03-13 08:00"],
        ),
        (
            ["03/05/2024 2:22 PM", "03/13/2024 9:00 AM"],
            ["2024-03-05 13:22", "2024-03-13 08:00"],
        ),
        (["05.03.2024"], ["2024-03-04 23:00"]),  # day first when nothing decides
        (["05-03-24 14:22"], ["2024-03-05 13:22"]),
        ([' ="2024-03-05 14:22" '], ["2024-03-05 13:22"]),
    ],
)
def test_parse_times(cells: list[str], expected: list[str]) -> None:
    times, bad = parse_times(pd.Series(cells, dtype=object), tz=BERLIN)
    assert not bad.any()
    assert list(times) == [utc(e) for e in expected]


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "   ",
        "-",
        "N/A",
        "null",
        "0000-00-00 00:00:00",
        "1900-01-01 00:00:00",
        "30/12/1899",
    ],
)
def test_blank_and_placeholder_dates_mean_not_set(cell: str) -> None:
    times, bad = parse_times(pd.Series([cell], dtype=object), tz=BERLIN)
    assert not bad.any()
    assert times.isna().all()


@pytest.mark.parametrize("cell", ["yesterday", "2024-13-45", "45/45/2024", "12:30"])
def test_unreadable_dates_are_flagged(cell: str) -> None:
    times, bad = parse_times(pd.Series([cell], dtype=object), tz=BERLIN)
    assert bad.all()
    assert times.isna().all()


def test_a_local_time_in_the_repeated_autumn_hour_is_read_as_the_first() -> None:
    times, _ = parse_times(pd.Series(["2024-10-27 02:30"], dtype=object), tz=BERLIN)
    assert times.iloc[0] == utc("2024-10-27 00:30")


def test_a_date_format_from_a_mapping_is_followed() -> None:
    times, bad = parse_times(
        pd.Series(["2024|03|05 14h22", "", "bad"], dtype=object),
        tz=UTC,
        date_format="%Y|%m|%d %Hh%M",
    )
    assert list(bad) == [False, False, True]
    assert times.iloc[0] == utc("2024-03-05 14:22")


@pytest.mark.parametrize(
    ("cell", "unit", "minutes"),
    [
        ("12", "minutes", 12),
        ("1.5", "hours", 90),
        ("1,5", "hours", 90),
        ("1,234", "minutes", 1234),
        ("1:30", "hours", 90),
        ("01:30:30", "minutes", 90.5),
        ("90", "seconds", 1.5),
        ("", "minutes", None),
        ("-", "hours", None),
    ],
)
def test_parse_durations(cell: str, unit: str, minutes: float | None) -> None:
    values, bad = parse_durations(pd.Series([cell], dtype=object), unit)
    assert not bad.any()
    if minutes is None:
        assert values.isna().all()
    else:
        assert values.iloc[0] == pytest.approx(minutes)


def test_durations_that_are_not_numbers_are_flagged() -> None:
    _values, bad = parse_durations(pd.Series(["soon", "5"], dtype=object), "minutes")
    assert list(bad) == [True, False]


@pytest.mark.parametrize(
    ("cell", "number", "is_bad"),
    [
        ("3", 3, False),
        ("3.0", 3, False),
        ("", None, False),
        ("2.5", None, True),
        ("x", None, True),
    ],
)
def test_parse_whole_numbers(cell: str, number: float | None, is_bad: bool) -> None:
    values, bad = parse_whole_numbers(pd.Series([cell], dtype=object))
    assert bool(bad.iloc[0]) is is_bad
    if number is None:
        assert np.isnan(values.iloc[0])
    else:
        assert values.iloc[0] == number


@pytest.mark.parametrize(
    ("via", "channel"),
    [
        ("Phone call (incoming)", "phone"),
        ("Voicemail", "phone"),
        ("Web form", "web"),
        ("Chat", "chat"),
        ("WhatsApp", "chat"),
        ("Twitter", "social"),
        ("Facebook Messenger", "chat"),
        ("Trustpilot review", "review"),
        ("Email", "email"),
        ("Closed ticket", "other"),
        ("", "other"),
    ],
)
def test_zendesk_via_values_map_to_channels(via: str, channel: str) -> None:
    assert normalising._channel(via, ZENDESK) in (channel, "")
    if via:
        assert normalising._channel(via, ZENDESK) == channel


def test_frontline_refuses_channels_it_does_not_document() -> None:
    assert normalising._channel("Twitter", FRONTLINE) is None
    assert normalising._channel("", FRONTLINE) is None
    assert normalising._channel("REVIEW", FRONTLINE) == "review"


# --- mapping files -----------------------------------------------------------------------


def test_the_shipped_mapping_example_loads() -> None:
    example = Path(__file__).parents[3] / "static/incentives/mapping-example.yaml"
    spec = load_mapping(example.read_text())
    assert spec.name == "otherdesk"
    assert spec.timezone == "America/New_York"
    assert sources.Field.RESOLUTION_BUSINESS in spec.columns


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a list", "must be a YAML mapping"),
        ("source: [unclosed", "not valid YAML"),
        ("source: Help Scout\ncolumns: {ticket_id: A, created_at: B}", "source:"),
        ("source: zendesk\ncolumns: {ticket_id: A, created_at: B}", "built-in format"),
        (
            "source: helpscout\ncolumns: {ticket_id: A, created_at: B}",
            "import its export with --source helpscout (no mapping)",
        ),
        ("source: x\ncolumns: {ticket_id: A}", "created_at is required"),
        (
            "source: x\ncolumns: {ticket_id: A, created_at: B, colour: C}",
            "'colour' is not one of",
        ),
        (
            "source: x\ntimezone: Mars/Base\ncolumns: {ticket_id: A, created_at: B}",
            "not a known time zone",
        ),
        (
            "source: x\ncolumns: {ticket_id: A, created_at: B}\n"
            "durations: {resolution: {column: R, unit: days}}",
            "unit must be",
        ),
        (
            "source: x\ncolumns: {ticket_id: A, created_at: B}\nsatisfaction: {scale: 5-1}",
            "scale must look like 1-5",
        ),
        (
            "source: x\ncolumns: {ticket_id: A, created_at: B}\nchannels: {Fax: fax}",
            "channels:",
        ),
        (
            "source: x\ncolumns: {ticket_id: A, created_at: B}\nsurprise: 1",
            "unknown keys",
        ),
    ],
)
def test_unusable_mapping_files_say_why(text: str, problem: str) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(text)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_numeric_satisfaction_scale() -> None:
    spec = load_mapping(
        "source: x\ncolumns: {ticket_id: A, created_at: B, satisfaction: S}\n"
        "satisfaction: {scale: 1-10, satisfied_from: 8}"
    )
    assert spec.satisfaction.classify("8") == 1
    assert spec.satisfaction.classify("7.0") == 0
    assert spec.satisfaction.classify("11") is None


# --- fingerprints ------------------------------------------------------------------------


def test_fingerprints_change_with_content_and_not_with_the_agent_label() -> None:
    t = read("frontline_tickets.csv").tickets
    first = importing.fingerprints(t)
    assert first.is_unique
    again = importing.fingerprints(read("frontline_tickets.csv").tickets)
    assert first.equals(again)
    relabelled = t.copy()
    relabelled["agent_label"] = (
        relabelled["agent_label"].astype(object).str.upper().astype("category")
    )
    assert importing.fingerprints(relabelled).equals(first)
    changed = t.copy()
    changed.loc[2, "nps"] = 3.0
    assert (importing.fingerprints(changed) != first).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_fingerprints_of_a_file_and_of_the_same_tickets_by_api_agree() -> None:
    from_file = parse_file(
        b"ticket_id,channel,agent_email,created_at,solved_at,csat\n"
        b"A1,chat,x@y.z,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,good\n",
        FRONTLINE,
        tz=UTC,
    )
    from_api = parse_records(
        [
            {
                "ticket_id": "A1",
                "channel": "chat",
                "agent_email": "x@y.z",
                "created_at": "2024-03-01T10:00:00Z",
                "solved_at": "2024-03-01T11:00:00Z",
                "csat": "good",
            }
        ],
        tz=UTC,
    )
    assert (
        importing.fingerprints(from_file.tickets).iloc[0]
        == (importing.fingerprints(from_api.tickets).iloc[0])
    )


@pytest.mark.parametrize(
    "cells",
    [
        ["T1", "T2", "T3"],
        ["a", " b", "c"],
        ["a ", "b"],
        ['="007"', "x"],
        ["a b", "c"],
        ["", "x"],
        [""],
        ["a\tb", "c\n"],
        ["\u00a0x", "y"],
    ],
)
def test_a_column_is_cleaned_as_each_cell_would_be(cells: list[str]) -> None:
    """The shortcut for a column of plain ids gives what cleaning each cell gives."""
    cleaned = clean_column(pd.Series(cells, dtype=object))
    assert cleaned.tolist() == [clean_cell(c) for c in cells]


# --- rows are whole or rejected ----------------------------------------------------------

HEADER = "ticket_id,channel,created_at,solved_at,tags"
GOOD = "T{0},chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,x"


def frontline(*lines: str, newline: str = "\n", end: str = "\n") -> bytes:
    return (newline.join([HEADER, *lines]) + end).encode()


def reasons(parsed) -> list[tuple[int, str]]:
    return sorted((e.row, e.reason) for e in parsed.errors)


def test_a_row_with_fewer_cells_than_the_header_is_rejected() -> None:
    parsed = parse_file(
        frontline(GOOD.format(1), "T2,chat,2024-03-01T10:00:00Z", GOOD.format(3)),
        FRONTLINE,
        tz=UTC,
    )
    assert not parsed.ok
    assert reasons(parsed) == [
        (3, "this row has 3 cells but the header has 5 (a cell left out?)")
    ]


def test_a_row_of_one_cell_is_counted_in_the_singular() -> None:
    parsed = parse_file(frontline("T1", end=""), FRONTLINE, tz=UTC)
    assert reasons(parsed) == [
        (
            2,
            "the file ends in the middle of this row: it has 1 cell of the "
            "header's 5 (was the file cut off?)",
        )
    ]


def test_a_line_of_one_cell_after_a_whole_row_is_read_as_its_last_cell_broken() -> None:
    parsed = parse_file(frontline(GOOD.format(1), "more of x"), FRONTLINE, tz=UTC)
    assert reasons(parsed) == [
        (
            2,
            "a line feed (LF) inside a cell splits this row over rows 2 to 3 "
            "(put that cell in double quotes, or remove the line break)",
        ),
        (3, "the rest of row 2, split off by a line feed (LF) inside a cell"),
    ]


def test_a_short_row_with_a_blank_last_cell_is_told_from_a_whole_one() -> None:
    whole = parse_file(frontline("T1,chat,2024-03-01T10:00:00Z,,"), FRONTLINE, tz=UTC)
    assert whole.ok, whole.errors
    short = parse_file(frontline("T1,chat,2024-03-01T10:00:00Z,"), FRONTLINE, tz=UTC)
    assert reasons(short) == [
        (2, "this row has 4 cells but the header has 5 (a cell left out?)")
    ]


def test_a_file_cut_off_in_its_last_row_says_so() -> None:
    parsed = parse_file(
        frontline(GOOD.format(1), "T2,chat,2024-0", end=""), FRONTLINE, tz=UTC
    )
    assert reasons(parsed) == [
        (
            3,
            "the file ends in the middle of this row: it has 3 cells of the "
            "header's 5 (was the file cut off?)",
        )
    ]


@pytest.mark.parametrize(
    ("newline", "stray", "named"),
    [
        ("\n", "\r", "carriage return (CR)"),
        ("\r\n", "\r", "carriage return (CR)"),
        ("\r\n", "\n", "line feed (LF)"),
        ("\n", "\r\n", "line break (CR LF)"),
    ],
)
def test_a_line_break_inside_an_unquoted_cell_is_named_not_misread(
    newline: str, stray: str, named: str
) -> None:
    # Python's csv writer, told to end lines with LF, leaves a CR in a cell unquoted.
    broken = f"T2,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,refund{stray}T1 again"
    parsed = parse_file(
        frontline(GOOD.format(1), broken, GOOD.format(3), newline=newline),
        FRONTLINE,
        tz=UTC,
    )
    assert reasons(parsed) == [
        (
            3,
            f"a {named} inside a cell splits this row over rows 3 to 4 "
            "(put that cell in double quotes, or remove the line break)",
        ),
        (4, f"the rest of row 3, split off by a {named} inside a cell"),
    ]
    assert parsed.errors[0].value.endswith("refund") or any(
        e.value.endswith("refund") for e in parsed.errors
    )


def test_line_breaks_inside_quoted_cells_are_read_as_part_of_the_cell() -> None:
    parsed = parse_file(
        frontline(
            'T1,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,"a\rb"',
            'T2,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,"c\nd\r\ne"',
        ),
        FRONTLINE,
        tz=UTC,
    )
    assert parsed.ok, parsed.errors
    assert list(parsed.tickets.index) == [2, 3]
    assert parsed.tickets.loc[3, "tags"] == "c\nd\r\ne"


def test_every_row_with_a_cell_too_many_is_listed_by_its_row() -> None:
    parsed = parse_file(
        frontline(
            'T1,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,"two\nlines"',
            GOOD.format(2) + ",extra",
            GOOD.format(3),
            GOOD.format(4) + ",extra,extra",
        ),
        FRONTLINE,
        tz=UTC,
    )
    assert reasons(parsed) == [
        (
            3,
            "this row has 6 cells but the header has 5 (a separator or quote out of place?)",
        ),
        (
            5,
            "this row has 7 cells but the header has 5 (a separator or quote out of place?)",
        ),
    ]


def test_blank_lines_are_not_short_rows() -> None:
    parsed = parse_file(
        frontline(GOOD.format(1), "", "  ", GOOD.format(2)), FRONTLINE, tz=UTC
    )
    assert parsed.ok, parsed.errors
    assert list(parsed.tickets.index) == [2, 5]


@pytest.mark.parametrize(
    ("cell", "what"),
    [
        ("2023-06", "a year and month but no day"),
        ("2023", "a year but no month or day"),
        ("2023-06-01T14", "an hour but no minutes"),
        ("2023-06-01 14", "an hour but no minutes"),
        ("2023-06-01T14Z", "an hour but no minutes"),
        ("2023-06-01T14+02:00", "an hour but no minutes"),
        ("2023/06", "a year and month but no day"),
    ],
)
def test_a_partial_date_is_refused_and_named(cell: str, what: str) -> None:
    parsed = parse_file(
        frontline(f"T1,chat,2023-05-01T10:00:00Z,{cell},x"), FRONTLINE, tz=UTC
    )
    assert reasons(parsed) == [(2, f"only part of a date and time: {what}")]


def test_a_partial_creation_date_gives_one_problem_not_two() -> None:
    parsed = parse_file(frontline("T1,chat,2023-06,,x"), FRONTLINE, tz=UTC)
    assert reasons(parsed) == [
        (2, "only part of a date and time: a year and month but no day")
    ]


def test_a_whole_date_without_a_time_is_still_read_as_midnight() -> None:
    parsed = parse_file(frontline("T1,chat,2023-06-02,,x"), FRONTLINE, tz=UTC)
    assert parsed.ok, parsed.errors
    assert parsed.tickets.loc[2, "created_at"] == utc("2023-06-02")


def test_a_line_break_in_the_middle_of_a_row_is_named_on_both_parts() -> None:
    parsed = parse_file(
        frontline(
            GOOD.format(1), "T2,ch\rat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,x"
        ),
        FRONTLINE,
        tz=UTC,
    )
    assert reasons(parsed) == [
        (
            3,
            "a carriage return (CR) inside a cell splits this row over rows 3 to 4 "
            "(put that cell in double quotes, or remove the line break)",
        ),
        (4, "the rest of row 3, split off by a carriage return (CR) inside a cell"),
    ]
    assert parsed.errors[0].value == "T2,ch"


# --- warnings ----------------------------------------------------------------------------


def test_warnings_count_in_the_singular_and_the_plural() -> None:
    one = import_notes.import_warnings(
        unsolved=1,
        unassigned=1,
        new_agents=["Ann"],
        closed_months={"2024-03": 1},
        earlier=None,
    )
    assert one == [
        "1 ticket has no solve time: it counts in no month's figures until an import "
        "gives it one.",
        "1 ticket has no agent: it counts for the group and the organisation, not for "
        "any rep.",
        "1 agent appears for the first time: Ann. Not linked to a rep yet: link it on "
        "Incentives > Agents, or its tickets count for no rep.",
        "1 ticket of this import falls in March 2024, which is closed: its scores and "
        "payouts are unchanged (reopen the month to take them in).",
    ]
    many = import_notes.import_warnings(
        unsolved=1200,
        unassigned=2,
        new_agents=[f"Agent {i}" for i in range(12)],
        new_linked=1,
        closed_months={},
        earlier=(7, "3 Mar 2024"),
    )
    assert many == [
        "This same file was imported before (import 7, 3 Mar 2024): importing it "
        "again changes only what was changed here since.",
        "1,200 tickets have no solve time: they count in no month's figures until an "
        "import gives them one.",
        "2 tickets have no agent: they count for the group and the organisation, not "
        "for any rep.",
        "12 agents appear for the first time: "
        + ", ".join(f"Agent {i}" for i in range(10))
        + " and 2 more. 11 of them are not linked to a rep yet: link them on "
        "Incentives > Agents, or their tickets count for no rep.",
    ]


def test_a_clean_import_has_no_warnings() -> None:
    assert (
        import_notes.import_warnings(
            unsolved=0, unassigned=0, new_agents=[], closed_months={}, earlier=None
        )
        == []
    )
