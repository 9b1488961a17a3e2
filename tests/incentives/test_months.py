"""The Month value type, the close label and the months a picker offers (pure rules)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from incentives.scoring.plans import Direction
from incentives.scoring.rep_scores import missed_threshold_text
from incentives.tickets import metrics
from incentives.tickets.months import (
    InvalidMonth,
    Month,
    closed_label,
    existing_months,
)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-06", Month(2026, 6)),
        (" 1971-01 ", Month(1971, 1)),
        ("9998-12", Month(9998, 12)),
    ],
)
def test_a_month_is_parsed_from_its_text_and_gives_it_back(text, month) -> None:
    assert Month.parse(text) == month
    assert str(month) == text.strip()
    assert Month.parse(month) is month


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-6",
        "1970-12",
        "9999-01",
        "",
        "\uff12\uff10\uff12\uff16-06",
        "June",
    ],
)
def test_what_is_not_a_month_is_refused_with_a_clear_error(text) -> None:
    with pytest.raises(InvalidMonth, match="YYYY-MM"):
        Month.parse(text)
    with pytest.raises(metrics.InvalidMonth):
        metrics.parse_month(text)


def test_a_month_knows_its_days_label_and_neighbours() -> None:
    june = Month(2026, 6)
    assert (june.first_day, june.last_day) == (
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 30),
    )
    assert Month(2024, 2).last_day == dt.date(2024, 2, 29)
    assert june.label == "June 2026"
    assert (str(june.next), str(june.previous)) == ("2026-07", "2026-05")
    assert Month(2026, 12).next == Month(2027, 1)
    assert Month(2026, 1).shift(-13) == Month(2024, 12)
    assert Month(2026, 1) < Month(2026, 2) < Month(2027, 1)
    with pytest.raises(InvalidMonth):
        Month(2026, 13)


def test_the_month_of_a_moment_is_taken_in_the_time_zone_given() -> None:
    moment = dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC)
    assert Month.of(moment, ZoneInfo("UTC")) == Month(2026, 5)
    assert Month.of(moment, ZoneInfo("Australia/Sydney")) == Month(2026, 6)
    assert Month.of(dt.date(2026, 2, 14)) == Month(2026, 2)


def test_the_older_month_helpers_take_a_month_or_its_text() -> None:
    assert metrics.month_label(Month(2024, 3)) == metrics.month_label("2024-03")
    assert metrics.shift_month(Month(2024, 3), 1) == "2024-04"
    tz = ZoneInfo("Europe/London")
    assert metrics.month_bounds(Month(2024, 3), tz) == metrics.month_bounds(
        "2024-03", tz
    )


def test_a_close_is_labelled_with_its_day_and_closer() -> None:
    assert (
        closed_label(dt.date(2026, 6, 3), "Helen Carter")
        == "Closed on 3 June 2026 by Helen Carter"
    )
    assert closed_label(dt.date(2026, 6, 3), "") == "Closed on 3 June 2026"


def test_a_picker_offers_months_from_the_first_data_to_now_and_no_later() -> None:
    now = Month(2026, 6)
    assert existing_months(Month(2026, 3), now) == [
        Month(2026, 6),
        Month(2026, 5),
        Month(2026, 4),
        Month(2026, 3),
    ]
    assert existing_months(None, now) == [now]
    # A month asked for before the data is shown with them; later data is no reason
    # to offer months after now.
    assert existing_months(Month(2026, 5), now, Month(2025, 1)) == [
        Month(2026, 6),
        Month(2026, 5),
        Month(2025, 1),
    ]
    assert existing_months(Month(2027, 1), now) == [now]


def test_a_value_worse_than_its_threshold_is_never_said_to_be_below_it_when_above() -> (
    None
):
    assert missed_threshold_text(Direction.HIGHER) == "below threshold"
    assert missed_threshold_text(Direction.LOWER) == "over threshold"
