"""A helpdesk's own SLA outcome: read from its column, kept apart from the fingerprint of
tickets that have none, and deciding "solved within target" where it is given."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from incentives.tickets import importing, metrics
from incentives.tickets.importing import parse_file, parse_records
from incentives.tickets.mapping import load_mapping
from incentives.tickets.sources import FRONTLINE, SERVICENOW
from tests.unit.incentives.test_metrics import measured, tickets

UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)
REASON = "not an SLA outcome; use true/false, yes/no, 1/0, met/breached or made/missed"


def servicenow(*made_sla: str):
    lines = ["number,opened_at,resolved_at,made_sla"]
    lines += [
        f"INC{i},01-03-2024 10:00:00,01-03-2024 12:00:00,{value}"
        for i, value in enumerate(made_sla, start=1)
    ]
    return parse_file(("\n".join(lines) + "\n").encode(), SERVICENOW, tz=UTC, now=NOW)


# --- reading the column -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "verdict"),
    [
        ("true", 1.0),
        ("TRUE", 1.0),
        ("Yes", 1.0),
        ("1", 1.0),
        ("met", 1.0),
        ("Made", 1.0),
        ("false", 0.0),
        ("No", 0.0),
        ("0", 0.0),
        ("Breached", 0.0),
        ("MISSED", 0.0),
        (" yes ", 1.0),
        ("", None),
        ("?", None),  # ServiceNow's null marker
    ],
)
def test_made_sla_values_read_as_met_missed_or_not_given(cell, verdict) -> None:
    parsed = servicenow(cell)
    assert parsed.ok, parsed.errors
    value = parsed.tickets["sla_met"].iloc[0]
    assert pd.isna(value) if verdict is None else value == verdict


def test_an_sla_value_that_is_none_of_the_words_rejects_the_file_by_row() -> None:
    parsed = servicenow("true", "perhaps", "false", "late")
    assert not parsed.ok
    assert [(e.row, e.column, e.value, e.reason) for e in parsed.errors] == [
        (3, "made_sla", "perhaps", REASON),
        (5, "made_sla", "late", REASON),
    ]


def test_a_mapped_sla_met_column_with_yes_and_no() -> None:
    spec = load_mapping(
        "source: othertool\n"
        "columns:\n"
        "  ticket_id: Ref\n"
        "  created_at: Opened\n"
        "  solved_at: Closed\n"
        "  sla_met: SLA met\n"
    )
    parsed = parse_file(
        b"Ref,Opened,Closed,SLA met\n"
        b"R1,2024-03-01 10:00,2024-03-01 11:00,Yes\n"
        b"R2,2024-03-01 10:00,2024-03-01 11:00,No\n"
        b"R3,2024-03-01 10:00,2024-03-01 11:00,\n"
        b"R4,2024-03-01 10:00,2024-03-01 11:00,Nope\n",
        spec,
        tz=UTC,
        now=NOW,
    )
    assert [(e.row, e.column, e.value) for e in parsed.errors] == [
        (5, "SLA met", "Nope")
    ]
    verdicts = parsed.tickets["sla_met"].tolist()
    assert verdicts[:2] == [1.0, 0.0]
    assert np.isnan(verdicts[2])


def test_frontline_csv_and_api_records_take_an_optional_sla_met() -> None:
    from_file = parse_file(
        b"ticket_id,channel,created_at,solved_at,sla_met\n"
        b"A1,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,met\n"
        b"A2,chat,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,breached\n",
        FRONTLINE,
        tz=UTC,
    )
    from_api = parse_records(
        [
            {
                "ticket_id": "A1",
                "channel": "chat",
                "created_at": "2024-03-01T10:00:00Z",
                "solved_at": "2024-03-01T11:00:00Z",
                "sla_met": True,
            },
            {
                "ticket_id": "A2",
                "channel": "chat",
                "created_at": "2024-03-01T10:00:00Z",
                "solved_at": "2024-03-01T11:00:00Z",
                "sla_met": False,
            },
        ],
        tz=UTC,
    )
    assert from_file.ok
    assert from_api.ok
    assert from_file.tickets["sla_met"].tolist() == [1.0, 0.0]
    assert from_api.tickets["sla_met"].tolist() == [1.0, 0.0]
    assert (
        importing.fingerprints(from_file.tickets).tolist()
        == importing.fingerprints(from_api.tickets).tolist()
    )


# --- the fingerprint ----------------------------------------------------------------------

#: The ticket columns a fingerprint covered before SLA outcomes were read.
COLUMNS_BEFORE = [
    "external_id",
    "agent_key",
    "group_name",
    "channel",
    "priority",
    "created_at",
    "first_response_at",
    "solved_at",
    "first_response_min_calendar",
    "first_response_min_business",
    "resolution_min_calendar",
    "resolution_min_business",
    "reopens",
    "satisfied",
    "nps",
    "tags",
]

FILE = (
    b"ticket_id,channel,agent_email,created_at,solved_at,csat\n"
    b"A1,chat,x@y.z,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,good\n"
    b"A2,email,x@y.z,2024-03-01T10:00:00Z,2024-03-02T11:00:00Z,\n"
)


def test_a_ticket_without_a_verdict_fingerprints_exactly_as_before() -> None:
    t = parse_file(FILE, FRONTLINE, tz=UTC).tickets
    before = pd.util.hash_pandas_object(t[COLUMNS_BEFORE], index=False)
    assert (
        importing.fingerprints(t).tolist() == before.to_numpy().view(np.int64).tolist()
    )


def test_a_verdict_changes_the_fingerprint_of_its_ticket_only() -> None:
    plain = parse_file(FILE, FRONTLINE, tz=UTC).tickets
    with_verdicts = parse_file(
        FILE.replace(b",csat\n", b",csat,sla_met\n")
        .replace(b"good\n", b"good,yes\n")
        .replace(b"Z,\n", b"Z,,\n"),
        FRONTLINE,
        tz=UTC,
    ).tickets
    first, second = importing.fingerprints(plain), importing.fingerprints(with_verdicts)
    assert (first != second).tolist() == [True, False]
    missed = with_verdicts.copy()
    missed.loc[2, "sla_met"] = 0.0
    assert importing.fingerprints(missed).iloc[0] != second.iloc[0]


# --- the metric ---------------------------------------------------------------------------


def test_the_helpdesks_verdict_decides_over_our_targets() -> None:
    # chat, normal priority: our target is to solve within 8 hours
    m = measured(
        tickets(
            {"solved_at": "2024-03-06 09:00", "sla_met": 1.0},  # 48 h, yet met
            {"solved_at": "2024-03-04 09:10", "sla_met": 0.0},  # 10 min, yet missed
            {"solved_at": "2024-03-04 10:00"},  # 1 h, no verdict: within target
            {"solved_at": "2024-03-06 09:00"},  # 48 h, no verdict: late
        )
    )
    assert m["timely"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert m["sla_recorded"].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert m["resolution_target_h"].tolist() == [8.0] * 4


def test_a_verdict_counts_even_when_the_resolution_time_is_unknown() -> None:
    # solved in March, but the times say nothing of how long it took
    frame = tickets({"sla_met": 1.0}, {}, {"sla_met": 0.0})
    frame.loc[:, "created_at"] = pd.NaT
    m = measured(frame)
    assert m["timely"].tolist()[0] == 1.0
    assert np.isnan(m["timely"].tolist()[1])
    assert m["timely"].tolist()[2] == 0.0
    assert metrics.summarise(m).loc[0, "timely_rate"] == 0.5
