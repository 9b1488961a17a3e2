"""Each helpdesk's export as it comes: the shipped example files and each tool's quirks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from incentives.tickets.importing import parse_file
from incentives.tickets.sources import SPECS, ZENDESK, Source

EXPORTS = Path(__file__).parents[2] / "incentives" / "data" / "exports"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)


def parse(text: str, spec=ZENDESK):
    return parse_file(text.encode(), spec, tz=UTC, now=NOW)


def example(source: str):
    return parse_file(
        (EXPORTS / f"{source}.csv").read_bytes(),
        SPECS[Source(source)],
        tz=UTC,
        now=NOW,
    )


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- Zendesk -----------------------------------------------------------------------------


def test_zendesk_example_group_only_scores_placeholders_and_business_hours() -> None:
    parsed = example("zendesk")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    # no Assignee column: group-only tickets, counted for no rep, and said so
    assert t["agent_key"].isna().all()
    assert t.loc["4101", "group_name"] == "Billing"
    assert any("no assignee column" in n for n in parsed.notes)
    # 1-5 scores with Offered/Unoffered: 4 and 5 satisfied, told in the notes
    assert list(t.loc[["4101", "4102", "4104", "4108", "4109"], "satisfied"]) == [
        1,
        1,
        0,
        0,
        0,
    ]
    assert np.isnan(t.loc["4103", "satisfied"])  # Offered
    assert np.isnan(t.loc["4105", "satisfied"])  # Unoffered
    assert any("read as a 1-5 score: 4 and 5 count" in n for n in parsed.notes)
    # 1900-01-01 00:00:00 is "not solved"
    assert pd.isna(t.loc["4105", "solved_at"])
    assert t.loc["4101", "solved_at"] == utc("2024-03-04 15:40")
    # business-hours durations only
    assert t.loc["4110", "first_response_min_business"] == 210
    assert t.loc["4110", "resolution_min_business"] == 930
    assert t["first_response_min_calendar"].isna().all()


@pytest.mark.parametrize(
    ("scores", "scale", "satisfied"),
    [
        (["1", "5", "3"], "1-5", [0, 1, 0]),
        (["4", "2", "4.0"], "1-5", [1, 0, 1]),
        (["0", "10", "9", "8"], "0-10", [0, 1, 1, 0]),
        (["7", "3", "9"], "0-10", [0, 0, 1]),
    ],
)
def test_zendesk_numeric_scale_is_read_from_the_values(
    scores, scale, satisfied
) -> None:
    lines = ["Id,Created at,Satisfaction Score"]
    lines += [f"{i},2024-03-01 10:00,{s}" for i, s in enumerate(scores)]
    lines.append("99,2024-03-01 10:00,Offered")
    parsed = parse("\n".join(lines) + "\n")
    assert parsed.ok, parsed.errors
    assert list(parsed.tickets["satisfied"].iloc[:-1]) == satisfied
    assert np.isnan(parsed.tickets["satisfied"].iloc[-1])
    assert any(f"read as a {scale} score" in n for n in parsed.notes)


def test_zendesk_good_and_bad_need_no_scale_note() -> None:
    parsed = parse("Id,Created at,Satisfaction Score\n1,2024-03-01 10:00,Good\n")
    assert parsed.ok
    assert not any("score" in n for n in parsed.notes)


@pytest.mark.parametrize("score", ["11", "2.5", "Great"])
def test_a_satisfaction_off_every_zendesk_scale_points_to_the_way_out(score) -> None:
    parsed = parse(
        f"Id,Created at,Satisfaction Score\n1,2024-03-01 10:00,4\n2,2024-03-01 10:00,{score}\n"
    )
    assert not parsed.ok
    [error] = parsed.errors
    assert (error.row, error.column, error.value) == (3, "Satisfaction Score", score)
    assert error.reason.startswith(
        "not a satisfaction rating this source uses "
        "(Good, Bad, Offered, Unoffered, or a score 1-5 or 0-10)"
    )
    assert "import the file as 'mapped'" in error.reason
    assert "satisfied_from" in error.reason
