"""The two clocks durations are measured on: calendar time, and business hours.

PURE: plain pandas and numpy; no Flask, no database. A :class:`WeeklyHours` is the
organisation's opening hours (one interval per weekday, in its time zone) and its holidays.
:func:`business_minutes` counts, for many tickets at once, only the minutes that fall inside
those hours.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

MINUTES_PER_DAY = 24 * 60
NS_PER_MINUTE = 60 * 1_000_000_000
NS_PER_DAY = MINUTES_PER_DAY * NS_PER_MINUTE
#: 1970-01-01, day 0 of the arithmetic below, was a Thursday (Monday is 0).
EPOCH_WEEKDAY = 3
WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


class Clock(enum.StrEnum):
    """Which clock a duration was measured on."""

    CALENDAR = "calendar"
    BUSINESS = "business"

    @property
    def label(self) -> str:
        return "calendar time" if self is Clock.CALENDAR else "business hours"


class InvalidHours(ValueError):
    """Opening hours that cannot be used (closing before opening, out of the day)."""


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours: for each weekday (Monday first) ``(opens, closes)`` in minutes after
    local midnight, or ``None`` when closed; plus whole-day holidays.

    ``closes`` may be 1440 (open until midnight). Times are wall-clock times in the
    organisation's time zone, so a business day starts at 09:00 summer and winter alike.
    """

    days: tuple[tuple[int, int] | None, ...]
    holidays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise InvalidHours("give opening hours for exactly seven weekdays")
        for name, interval in zip(WEEKDAYS, self.days, strict=True):
            if interval is None:
                continue
            opens, closes = interval
            if not 0 <= opens < closes <= MINUTES_PER_DAY:
                raise InvalidHours(f"{name}: closing time must come after opening time")

    @classmethod
    def from_mapping(
        cls,
        days: Mapping[int, tuple[int, int]],
        holidays: Iterable[dt.date] = (),
    ) -> WeeklyHours:
        """Build from ``{weekday: (opens, closes)}``; weekdays not given are closed."""
        return cls(tuple(days.get(i) for i in range(7)), frozenset(holidays))

    @property
    def is_open_at_all(self) -> bool:
        return any(interval is not None for interval in self.days)

    def _opens(self) -> np.ndarray:
        return np.array([d[0] if d else 0 for d in self.days], dtype=np.float64)

    def _day_lengths(self) -> np.ndarray:
        return np.array([d[1] - d[0] if d else 0 for d in self.days], dtype=np.float64)


def calendar_minutes(start: pd.Series, end: pd.Series) -> pd.Series:
    """Minutes from ``start`` to ``end`` (aware datetimes); NaN where either is missing."""
    return (end - start).dt.total_seconds() / 60.0


def business_minutes(
    start: pd.Series, end: pd.Series, hours: WeeklyHours, tz: ZoneInfo
) -> pd.Series:
    """Minutes from ``start`` to ``end`` that fall inside ``hours`` (in ``tz``).

    Vectorised: each instant is turned into "business minutes since 1970" and the two are
    subtracted, so a million tickets cost a few array operations, not a Python loop.

    :param start: aware datetimes (any zone); NaT allowed.
    :param end: aware datetimes, same length and index as ``start``.
    :return: float minutes; NaN where either end is missing.
    """
    return _business_position(end, hours, tz) - _business_position(start, hours, tz)


def _business_position(
    moments: pd.Series, hours: WeeklyHours, tz: ZoneInfo
) -> pd.Series:
    """Business minutes elapsed between 1970-01-01 (local) and each moment."""
    local = moments.dt.tz_convert(tz).dt.tz_localize(None)
    missing = local.isna().to_numpy()
    ns = local.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ns = np.where(missing, 0, ns)
    day = np.floor_divide(ns, NS_PER_DAY)
    minute_of_day = (ns - day * NS_PER_DAY) / NS_PER_MINUTE

    lengths = hours._day_lengths()
    opens = hours._opens()
    week_total = lengths.sum()
    # lengths of the days before day 0 + r within a week that starts on day 0 (a Thursday)
    offsets = np.concatenate(
        [[0.0], np.cumsum([lengths[(r + EPOCH_WEEKDAY) % 7] for r in range(6)])]
    )
    weekday = (day + EPOCH_WEEKDAY) % 7
    position = (day // 7) * week_total + offsets[day % 7]
    position += np.clip(minute_of_day - opens[weekday], 0.0, lengths[weekday])

    if hours.holidays:
        epoch = dt.date(1970, 1, 1)
        holiday_days = np.array(
            sorted((h - epoch).days for h in hours.holidays), dtype=np.int64
        )
        holiday_minutes = lengths[(holiday_days + EPOCH_WEEKDAY) % 7]
        before = np.concatenate([[0.0], np.cumsum(holiday_minutes)])
        index = np.searchsorted(holiday_days, day, side="left")
        position -= before[index]
        # On a holiday itself nothing counts: drop the part of the day added above.
        found = np.minimum(index, len(holiday_days) - 1)
        on_holiday = holiday_days[found] == day
        position -= np.where(
            on_holiday,
            np.clip(minute_of_day - opens[weekday], 0.0, lengths[weekday]),
            0.0,
        )

    position = np.where(missing, np.nan, position)
    return pd.Series(position, index=moments.index, dtype="float64")


_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def parse_clock_time(text: str) -> int:
    """``"09:30"`` as minutes after midnight; ``"24:00"`` is the end of the day.

    :raises InvalidHours: not a time of day.
    """
    # Plain digits 0-9 only: ``str.isdigit`` also takes "²", which ``int`` refuses.
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise InvalidHours(f"{text!r} is not a time like 09:00")
    hours, minutes = int(match[1]), int(match[2])
    value = hours * 60 + minutes
    if minutes >= 60 or value > MINUTES_PER_DAY:
        raise InvalidHours(f"{text!r} is not a time of day")
    return value


def format_clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
