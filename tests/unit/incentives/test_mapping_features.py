"""What a column mapping can say besides "this field is that column": null markers, a date
and a time in two columns, one value for every ticket, the channel from tags, and one row
per ticket kept from an event log."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from incentives.tickets.importing import parse_file
from incentives.tickets.mapping import MappingError, load_mapping
from incentives.tickets.sources import ZENDESK, Field

UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)

BASE = """
source: deskly
timezone: UTC
columns:
  ticket_id: Case
  agent: Owner
  group: Queue
  created_at: Opened
  solved_at: Closed
"""


def parse(mapping: str, *lines: str):
    spec = load_mapping(mapping)
    return parse_file(("\n".join(lines) + "\n").encode(), spec, tz=UTC, now=NOW)


def reasons(parsed) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in parsed.errors]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- null markers ------------------------------------------------------------------------


def test_null_markers_by_default_mean_nothing_in_any_column_and_any_case() -> None:
    parsed = parse(
        BASE,
        "Case,Owner,Queue,Opened,Closed",
        "1,?,Billing,2024-03-01 09:00,NULL",
        "2,ann@example.com,n/a,2024-03-01 10:00, - ",
        "3,null,Billing,2024-03-01 11:00,2024-03-01 12:00",
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert t["agent_key"].isna().tolist() == [True, False, True]
    assert t["group_name"].isna().tolist() == [False, True, False]
    assert t["solved_at"].isna().tolist() == [True, True, False]


def test_a_mapping_lists_its_own_null_markers_or_none() -> None:
    header = "Case,Owner,Queue,Opened,Closed"
    row = "1,?,(empty),2024-03-01 09:00,"
    own = parse(BASE + 'nulls: ["(empty)"]\n', header, row)
    assert own.ok, own.errors
    assert own.tickets.loc[2, "agent_label"] == "?"
    assert pd.isna(own.tickets.loc[2, "group_name"])
    none = parse(BASE + "nulls: []\n", header, row)
    assert none.tickets.loc[2, "agent_label"] == "?"
    assert none.tickets.loc[2, "group_name"] == "(empty)"


def test_null_markers_written_without_quotes_in_yaml_are_read_as_meant() -> None:
    spec = load_mapping(BASE + "nulls: [?, NULL, N/A]\n")
    assert spec.nulls == frozenset({"?", "null", "n/a"})


# --- a date and a time in two columns -----------------------------------------------------

DATE_AND_TIME = """
source: deskly
timezone: America/New_York
date_format: "%m/%d/%Y %H:%M"
columns:
  ticket_id: Case
  created_at: {date: Created Date, time: Created Time}
  solved_at: {date: Closed Date, time: Closed Time}
"""


def test_a_date_column_and_a_time_column_are_read_as_one_time() -> None:
    parsed = parse(
        DATE_AND_TIME,
        "Case,Created Date,Created Time,Closed Date,Closed Time",
        "1,03/15/2024,09:05,03/15/2024,17:40",
        "2,03/16/2024,23:59,,",
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert t.loc[2, "created_at"] == utc("2024-03-15 13:05")  # New York, UTC-4
    assert t.loc[2, "solved_at"] == utc("2024-03-15 21:40")
    assert t.loc[3, "created_at"] == utc("2024-03-17 03:59")
    assert pd.isna(t.loc[3, "solved_at"])


def test_a_date_without_its_time_is_a_problem_on_its_row() -> None:
    parsed = parse(
        DATE_AND_TIME,
        "Case,Created Date,Created Time,Closed Date,Closed Time",
        "1,03/15/2024,09:05,03/15/2024,",
        "2,03/16/2024,,,",
    )
    # One problem each: not also "no creation time" or "not a date we can read".
    assert sorted(reasons(parsed)) == [
        (2, "Closed Date + Closed Time", "a date but no time of day"),
        (3, "Created Date + Created Time", "a date but no time of day"),
    ]
    assert {e.value for e in parsed.errors} == {"03/15/2024", "03/16/2024"}


def test_a_file_without_the_time_column_is_refused_on_its_header() -> None:
    parsed = parse(
        DATE_AND_TIME,
        "Case,Created Date,Closed Date,Closed Time",
        "1,03/15/2024,03/15/2024,10:00",
    )
    assert (1, "created time", "no 'created time' column in the header row") in reasons(
        parsed
    )


def test_only_times_take_a_date_and_a_time_column() -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(
            "source: x\ncolumns: {ticket_id: A, created_at: B, group: {date: C, time: D}}"
        )
    assert any("group is not a time" in p for p in caught.value.problems)


# --- one value for every ticket -----------------------------------------------------------


def test_a_fixed_channel_priority_and_group_apply_to_every_ticket() -> None:
    mapping = """
source: phones
columns:
  ticket_id: Call
  created_at: Start
  channel: {value: Phone}
  priority: {value: high}
  group: {value: Hotline}
"""
    parsed = parse(mapping, "Call,Start", "c1,2024-03-01 09:00", "c2,2024-03-01 09:30")
    assert parsed.ok, parsed.errors
    t = parsed.tickets
    assert t["channel"].astype(str).tolist() == ["phone", "phone"]
    assert t["priority"].astype(str).tolist() == ["high", "high"]
    assert t["group_name"].astype(str).tolist() == ["Hotline", "Hotline"]


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        ("channel: {value: fax}", "channel 'fax' is not one of"),
        ("priority: {value: someday}", "priority 'someday' is not one of"),
        ("solved_at: {value: today}", "solved_at cannot be one value"),
        ("group: {value: ''}", "group needs a value"),
        ("group: {colour: red}", "takes a column name, a list of names"),
    ],
)
def test_fixed_values_that_cannot_be_used_say_why(column: str, problem: str) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(
            f"source: x\ncolumns:\n  ticket_id: A\n  created_at: B\n  {column}\n"
        )
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_fixed_agent_is_not_told_as_a_file_without_assignees() -> None:
    mapping = "source: x\ncolumns: {ticket_id: A, created_at: B, agent: {value: ann@example.com}}"
    parsed = parse(mapping, "A,B", "1,2024-03-01 09:00")
    assert parsed.ok, parsed.errors
    assert parsed.tickets.loc[2, "agent_key"] == "ann@example.com"
    assert not any("no assignee column" in note for note in parsed.notes)


# --- the channel from tags ----------------------------------------------------------------


def test_zendesk_review_tickets_from_any_channel_are_reviews_by_their_tags() -> None:
    data = (
        b"Id,Via,Created at,Tags\n"
        b"1,Any Channel,2024-03-01 09:00,trustpilot public_review\n"
        b"2,Any Channel,2024-03-01 09:00,something_else\n"
        b"3,Mail,2024-03-01 09:00,trustpilot\n"
        b"4,,2024-03-01 09:00,google_reviews vip\n"
    )
    parsed = parse_file(data, ZENDESK, tz=UTC, now=NOW)
    assert parsed.ok, parsed.errors
    # The tag decides only where the channel column does not: e-mail stays e-mail.
    assert parsed.tickets["channel"].astype(str).tolist() == [
        "review",
        "other",
        "email",
        "review",
    ]


def test_a_mapping_names_the_tags_that_give_a_channel() -> None:
    mapping = BASE.replace("  solved_at: Closed", "  channel: Via\n  tags: Labels") + (
        "channel_tags: {voicemail: phone, Public_Review: review}\n"
    )
    parsed = parse(
        mapping,
        "Case,Owner,Queue,Opened,Via,Labels",
        "1,,,2024-03-01 09:00,integration,vip;voicemail",
        "2,,,2024-03-01 09:00,integration,public_review",
        "3,,,2024-03-01 09:00,chat,voicemail",
    )
    assert parsed.ok, parsed.errors
    assert parsed.tickets["channel"].astype(str).tolist() == ["phone", "review", "chat"]


def test_channel_tags_with_a_fixed_channel_are_refused_unless_it_is_other() -> None:
    fixed = (
        BASE + "  channel: {value: phone}\n  tags: Labels\nchannel_tags: {x: review}\n"
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(fixed)
    assert any("tags would never decide one" in p for p in caught.value.problems)
    spec = load_mapping(fixed.replace("{value: phone}", "{value: other}"))
    assert spec.channel_tags == {"x": "review"}


def test_channel_tags_must_name_our_channels() -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(BASE + "channel_tags: {voicemail: fax}\n")
    assert any(p.startswith("channel_tags:") for p in caught.value.problems)


# --- one row per ticket from an event log --------------------------------------------------

EVENT_LOG = """
source: itdesk
timezone: UTC
keep_last_by: Updated
columns:
  ticket_id: Number
  agent: Assignee
  created_at: Opened
  solved_at: Resolved
"""


def test_an_event_log_keeps_each_tickets_last_row_by_the_named_column() -> None:
    parsed = parse(
        EVENT_LOG,
        "Number,Assignee,Opened,Resolved,Updated",
        "INC1,ann@example.com,2024-03-01 09:00,,2024-03-01 09:00",
        "INC2,bob@example.com,2024-03-01 10:00,2024-03-01 11:00,2024-03-01 11:00",
        # Rows need not be in order: the latest update wins, not the last line.
        "INC1,cy@example.com,2024-03-01 09:00,2024-03-02 16:00,2024-03-02 16:00",
        "INC1,ann@example.com,2024-03-01 09:00,,2024-03-01 12:00",
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert sorted(t.index) == ["INC1", "INC2"]
    assert t.loc["INC1", "agent_key"] == "cy@example.com"
    assert t.loc["INC1", "solved_at"] == utc("2024-03-02 16:00")


def test_an_event_log_without_its_order_column_is_refused_on_its_header() -> None:
    parsed = parse(
        EVENT_LOG,
        "Number,Assignee,Opened,Resolved",
        "INC1,ann@example.com,2024-03-01 09:00,",
    )
    assert (1, "updated", "no 'updated' column in the header row") in reasons(parsed)


def test_without_keep_last_by_a_repeated_ticket_id_is_still_refused() -> None:
    parsed = parse(
        BASE,
        "Case,Owner,Queue,Opened,Closed",
        "1,,,2024-03-01 09:00,",
        "1,,,2024-03-01 09:00,",
    )
    assert (3, "Case", "ticket id already on row 2") in reasons(parsed)


def test_the_fields_a_mapping_gives_are_kept_on_its_source() -> None:
    spec = load_mapping(DATE_AND_TIME + "keep_last_by: Updated\n")
    assert spec.time_columns == {
        Field.CREATED_AT: "created time",
        Field.SOLVED_AT: "closed time",
    }
    assert spec.keep_last_by == ("updated",)
    assert spec.required_columns == {"created time", "closed time", "updated"}
