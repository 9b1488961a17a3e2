"""Business hours: only the minutes the organisation is open count."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from incentives.tickets.clock import (
    InvalidHours,
    WeeklyHours,
    business_minutes,
    calendar_minutes,
    format_clock_time,
    parse_clock_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
#: Monday to Friday, 09:00-17:00; 25 December is a holiday.
OFFICE = WeeklyHours.from_mapping(
    {day: (9 * 60, 17 * 60) for day in range(5)}, [dt.date(2024, 12, 25)]
)


def minutes(
    start: str, end: str, hours: WeeklyHours = OFFICE, tz: ZoneInfo = BERLIN
) -> float:
    starts = pd.Series([pd.Timestamp(start, tz=tz)])
    ends = pd.Series([pd.Timestamp(end, tz=tz)])
    return business_minutes(starts, ends, hours, tz).iloc[0]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-03-04 10:00", "2024-03-04 11:30", 90),  # within a Monday
        ("2024-03-04 08:00", "2024-03-04 10:00", 60),  # before opening does not count
        ("2024-03-04 16:00", "2024-03-05 10:00", 120),  # overnight
        ("2024-03-08 16:00", "2024-03-11 10:00", 120),  # over the weekend
        ("2024-03-09 10:00", "2024-03-10 18:00", 0),  # all weekend
        ("2024-03-04 17:00", "2024-03-05 09:00", 0),  # closed all the time
        ("2024-03-04 09:00", "2024-03-11 09:00", 5 * 8 * 60),  # a full week
        ("2024-12-24 16:00", "2024-12-26 10:00", 120),  # a holiday in between
        ("2024-12-25 10:00", "2024-12-25 12:00", 0),  # on the holiday itself
        ("2024-03-29 16:00", "2024-04-02 10:00", 60 + 8 * 60 + 60),  # Fri, Mon, Tue
    ],
)
def test_business_minutes(start: str, end: str, expected: float) -> None:
    assert minutes(start, end) == pytest.approx(expected)


def test_business_hours_are_wall_clock_times_across_a_dst_change() -> None:
    # Berlin moves to summer time on 31 March 2024; opening hours stay 09:00-17:00 local.
    assert minutes("2024-03-29 09:00", "2024-04-01 17:00") == 16 * 60


def test_every_instant_may_be_in_any_zone() -> None:
    starts = pd.Series([pd.Timestamp("2024-03-04 08:00", tz="UTC")])  # 09:00 in Berlin
    ends = pd.Series([pd.Timestamp("2024-03-04 10:00", tz="UTC")])  # 11:00 in Berlin
    assert business_minutes(starts, ends, OFFICE, BERLIN).iloc[0] == 120


def test_missing_ends_give_nan_and_the_index_is_kept() -> None:
    starts = pd.Series(
        [pd.Timestamp("2024-03-04 10:00", tz=BERLIN), pd.NaT], index=[7, 9]
    )
    ends = pd.Series(
        [pd.NaT, pd.Timestamp("2024-03-04 11:00", tz=BERLIN)], index=[7, 9]
    )
    result = business_minutes(starts, ends, OFFICE, BERLIN)
    assert list(result.index) == [7, 9]
    assert result.isna().all()


def test_calendar_minutes() -> None:
    starts = pd.Series([pd.Timestamp("2024-03-09 10:00", tz=BERLIN)])
    ends = pd.Series([pd.Timestamp("2024-03-10 10:30", tz=BERLIN)])
    assert calendar_minutes(starts, ends).iloc[0] == 24 * 60 + 30


def test_a_round_the_clock_schedule_equals_calendar_time() -> None:
    always = WeeklyHours.from_mapping({day: (0, 24 * 60) for day in range(7)})
    assert minutes("2024-03-09 10:00", "2024-03-12 07:15", always) == 3 * 1440 - 165


def test_hours_that_close_before_they_open_are_refused() -> None:
    with pytest.raises(InvalidHours, match="Tuesday"):
        WeeklyHours.from_mapping({1: (17 * 60, 9 * 60)})


@pytest.mark.parametrize(
    ("text", "value"), [("09:00", 540), ("9:30", 570), ("24:00", 1440)]
)
def test_parse_clock_time(text: str, value: int) -> None:
    assert parse_clock_time(text) == value
    assert parse_clock_time(format_clock_time(value)) == value


@pytest.mark.parametrize(
    "text",
    ["9", "9.30", "25:00", "09:60", "nine", "\u00b2:00", "09:\u00b2\u00b2", "123:00"],
)
def test_parse_clock_time_refuses(text: str) -> None:
    with pytest.raises(InvalidHours):
        parse_clock_time(text)


def test_the_clock_is_a_rules_module_free_of_flask_and_the_database() -> None:
    from tests.test_layering import (
        test_rules_modules_do_not_import_flask_or_the_database,
    )

    test_rules_modules_do_not_import_flask_or_the_database(
        "incentives/tickets/clock.py"
    )
