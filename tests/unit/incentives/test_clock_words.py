"""Which clock figures were measured on, in words (incentives/tickets/metrics.py)."""

from __future__ import annotations

import math

import pytest

from incentives.tickets.metrics import (
    MIXED,
    clock_words,
    combined_clock,
    durations_words,
)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], None),
        ([None, math.nan], None),
        (["business"], "business"),
        (["calendar", None, "calendar"], "calendar"),
        (["calendar", "business"], MIXED),
        (["business", MIXED], MIXED),
    ],
)
def test_rows_together_have_one_clock_or_a_mixed_one(labels, expected) -> None:
    assert combined_clock(labels) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("business", "business hours"),
        ("calendar", "calendar time"),
        (MIXED, "partly business hours, partly calendar time"),
        (None, ""),
        (math.nan, ""),
        ("sundial", ""),
    ],
)
def test_a_clock_in_words(label, expected) -> None:
    assert clock_words(label) == expected


@pytest.mark.parametrize(
    ("first", "resolution", "expected"),
    [
        ("business", "business", "First reply and resolution in business hours."),
        (
            "business",
            "calendar",
            "First reply in business hours; resolution in calendar time.",
        ),
        (None, "calendar", "Resolution in calendar time."),
        ("calendar", None, "First reply in calendar time."),
        (None, None, ""),
        (
            MIXED,
            "calendar",
            "First reply in partly business hours, partly calendar time; "
            "resolution in calendar time.",
        ),
    ],
)
def test_durations_say_which_clock_each_used(first, resolution, expected) -> None:
    assert durations_words(first, resolution) == expected
