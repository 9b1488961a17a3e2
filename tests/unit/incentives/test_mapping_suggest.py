"""``tickets mapping suggest``: a starting column mapping from an export's header and first
rows, which reads each shipped example export as its built-in source does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from incentives.tickets.importing import parse_file
from incentives.tickets.mapping import load_mapping
from incentives.tickets.mapping_suggest import SuggestError, suggest
from incentives.tickets.sources import SPECS, Field

DATA = Path(__file__).parents[2] / "incentives" / "data"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EXPORTS = sorted((DATA / "exports").glob("*.csv"))


def as_mapped(data: bytes):
    text = suggest(data, source="trial")
    return text, parse_file(data, load_mapping(text), tz=UTC, now=NOW)


def column(parsed, name: str) -> list[object]:
    return [None if pd.isna(v) else v for v in parsed.tickets[name].tolist()]


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.stem)
def test_each_shipped_export_reads_through_its_suggested_mapping_as_built_in(
    path: Path,
) -> None:
    data = path.read_bytes()
    text, mapped = as_mapped(data)
    built_in = parse_file(data, SPECS[path.stem.split("_")[0]], tz=UTC, now=NOW)
    assert mapped.ok, (text, mapped.errors)
    assert built_in.ok
    for name in ("external_id", "created_at", "agent_key", "group_name", "priority"):
        assert column(mapped, name) == column(built_in, name), (name, text)
    # The mapping tells the reader the file has its own source.
    assert f"--source {path.stem.split('_')[0]} reads it with no mapping" in text


def test_a_zendesk_export_keeps_its_scale_not_rated_words_and_review_tags() -> None:
    text, mapped = as_mapped((DATA / "exports" / "zendesk.csv").read_bytes())
    spec = load_mapping(text)
    assert spec.satisfaction.classify("4") == 1.0
    assert spec.satisfaction.classify("3") == 0.0
    assert pd.isna(spec.satisfaction.classify("Offered"))
    assert spec.channel_tags == {"public_review": "review", "trustpilot": "review"}
    assert "review" in set(mapped.tickets["channel"].astype(str))


def test_an_event_log_is_kept_to_each_tickets_last_update() -> None:
    text, mapped = as_mapped(
        (DATA / "exports" / "servicenow_event_log.csv").read_bytes()
    )
    assert "keep_last_by: sys_mod_count" in text
    assert mapped.ok, mapped.errors
    assert mapped.tickets["external_id"].is_unique


def test_an_unknown_tools_export_gets_dates_times_durations_and_ratings() -> None:
    data = (
        b"Case Ref,Handled By,Team,Kind,Opened Date,Opened Time,Closed Date,Closed Time,"
        b"Handling time (hrs),Customer rating,Updated,SLA met\n"
        b"A-1,ann@example.com,Billing,Email,03/15/2024,09:05,03/15/2024,17:40,2.5,Great,1,no\n"
        b"A-2,bob@example.com,Billing,Chat,03/16/2024,23:59,,,,Not rated,1,\n"
        b"A-3,ann@example.com,Billing,Phone,03/18/2024,08:00,03/18/2024,08:30,0.5,Not Good,1,yes\n"
    )
    text, mapped = as_mapped(data)
    spec = load_mapping(text)
    assert spec.columns[Field.TICKET_ID] == ("case ref",)
    assert spec.columns[Field.AGENT] == ("handled by",)
    assert spec.columns[Field.CHANNEL] == ("kind",)  # told by its values
    assert spec.time_columns == {
        Field.CREATED_AT: "opened time",
        Field.SOLVED_AT: "closed time",
    }
    assert spec.duration_units == {Field.RESOLUTION_CALENDAR: "hours"}
    assert mapped.ok, (text, mapped.errors)
    t = mapped.tickets
    assert t.loc[2, "created_at"] == pd.Timestamp("2024-03-15 09:05", tz="UTC")
    assert t.loc[2, "resolution_min_calendar"] == 150
    assert column(mapped, "satisfied")[:3] == [1.0, None, 0.0]
    assert spec.columns[Field.SLA_MET] == ("sla met",)
    assert column(mapped, "sla_met")[:3] == [0.0, None, 1.0]
    assert "# Columns not read: Updated" in text


def test_what_is_not_matched_is_listed_and_a_missing_id_is_asked_for() -> None:
    text = suggest(b"Subject,Opened\nHello,2024-03-01 09:00\n")
    assert 'ticket_id: ""   # required: no column matched' in text
    assert "# Columns not read: Subject" in text


@pytest.mark.parametrize("data", [b"", b"\n\n", b",,\n1,2\n"])
def test_a_file_without_a_header_row_is_refused(data: bytes) -> None:
    with pytest.raises(SuggestError):
        suggest(data)


def test_only_the_start_of_a_large_file_is_read_and_its_cut_row_left_out() -> None:
    head = b"Id,Created at\n" + b"".join(
        f"{i},2024-03-01 09:00\n".encode() for i in range(1, 50)
    )
    cut = head + b"50,2024-03-0"
    text = suggest(cut, cut=True)
    assert load_mapping(text.replace("source: mytool", "source: trial"))
    assert "Some dates were not read" not in text
