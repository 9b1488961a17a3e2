"""Who answers now: reading rota lines and the entry covering a moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from voice.reach import (
    RotaEntry,
    RotaError,
    days_text,
    parse_days,
    parse_rota,
    who_answers,
)

LONDON = ZoneInfo("Europe/London")
ROTA = parse_rota(
    """
    Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101
    Mon-Fri 18:00-22:00 | Nadia Rahman | #logistics-late
    Fri 22:00-06:00 | Night desk | +44 20 7946 0199
    Sat, Sun 09:00-17:00 | Weekend desk | +44 20 7946 0100
    """
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "name", "until"),
    [
        ("2026-12-07 09:30", "Sam Patel", "18:00"),  # a Monday
        ("2026-12-07 08:00", "Sam Patel", "18:00"),  # the start is covered
        ("2026-12-07 18:00", "Nadia Rahman", "22:00"),  # the end is not
        ("2026-12-07 07:59", None, None),
        ("2026-12-11 23:30", "Night desk", "06:00"),  # Friday night
        ("2026-12-12 05:59", "Night desk", "06:00"),  # ... into Saturday
        ("2026-12-12 06:00", None, None),
        ("2026-12-12 10:00", "Weekend desk", "17:00"),
        ("2026-12-08 03:00", None, None),  # Monday's night has no desk
    ],
)
def test_who_answers_at_a_moment(
    moment: str, name: str | None, until: str | None
) -> None:
    answer = who_answers(ROTA, at(moment), LONDON)
    if name is None:
        assert answer is None
    else:
        assert answer is not None
        assert (answer.entry.name, answer.until_text) == (name, until)


def test_an_overnight_shift_ends_the_next_morning() -> None:
    answer = who_answers(ROTA, at("2026-12-11 23:30"), LONDON)
    assert answer is not None
    assert answer.until == at("2026-12-12 06:00")


def test_the_moment_is_read_in_the_organisations_zone() -> None:
    # 08:30 UTC in summer is 09:30 in London: Sam answers; at 07:30 UTC nobody does.
    summer = dt.datetime(2026, 7, 6, 7, 30, tzinfo=dt.UTC)
    assert who_answers(ROTA, summer, LONDON) is not None
    assert who_answers(ROTA, summer, ZoneInfo("UTC")) is None


def test_a_whole_day_ends_at_midnight_and_reads_back() -> None:
    (entry,) = parse_rota("Sat 00:00-24:00 | Weekend desk | 1")
    assert entry.line() == "Sat 00:00-24:00 | Weekend desk | 1"
    answer = who_answers([entry], at("2026-12-12 23:59"), LONDON)
    assert answer is not None
    assert answer.until == at("2026-12-13 00:00")
    assert who_answers([entry], at("2026-12-13 00:00"), LONDON) is None


def test_the_first_entry_covering_a_moment_answers() -> None:
    rota = [
        RotaEntry(frozenset(range(7)), 0, 0, "Anyone", "x"),  # all day, every day
        RotaEntry(frozenset({0}), 9 * 60, 10 * 60, "Later", "y"),
    ]
    answer = who_answers(rota, at("2026-12-07 09:30"), LONDON)
    assert answer is not None
    assert answer.entry.name == "Anyone"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("Monday", {0}),
        ("Mon-Wed, Fri", {0, 1, 2, 4}),
        ("daily", set(range(7))),
    ],
)
def test_days(text: str, days: set[int]) -> None:
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ({0, 1, 2, 3, 4}, "Mon-Fri"),
        ({5, 6}, "Sat, Sun"),
        (set(range(7)), "Every day"),
        ({0, 2, 3, 4}, "Mon, Wed-Fri"),
    ],
)
def test_days_as_text(days: set[int], text: str) -> None:
    assert days_text(frozenset(days)) == text


def test_a_rota_line_reads_back_as_written() -> None:
    assert (
        next(e.line() for e in ROTA)
        == "Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101"
    )
    assert parse_rota("\n".join(e.line() for e in ROTA)) == ROTA


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Mon-Fri 09:00-18:00 Sam", "apart by |"),
        ("Funday 09:00-18:00 | Sam | 1", "'funday' is not a day"),
        ("Mon-Fri | Sam | 1", "needs days and hours"),
        ("Mon 9-18 | Sam | 1", "'9' is not a time like 09:00"),
        ("Mon 09:00-25:00 | Sam | 1", "'25:00' is not a time of day"),
        ("Mon 09:00-09:00 | Sam | 1", "start and end at the same time"),
        ("Mon 09:00-10:00 |  | 1", "give the name"),
    ],
)
def test_bad_lines_are_named_by_number(line: str, message: str) -> None:
    with pytest.raises(RotaError) as caught:
        parse_rota(f"Mon-Fri 08:00-18:00 | Sam | 1\n\n{line}")
    assert len(caught.value.errors) == 1
    assert caught.value.errors[0].startswith("Line 3: ")
    assert message in caught.value.errors[0]
