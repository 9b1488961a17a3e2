"""A calendar month as a value: what every read path passes instead of "YYYY-MM" text.

Pages, the API and commands parse the month they are given into a :class:`Month` at the
edge (:meth:`Month.parse`); ``str(month)`` gives "YYYY-MM" back where text is stored or
shown in a link. The month's instants in a time zone are ``metrics.month_bounds``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

#: Digits 0-9 only: ``\d`` also matches Arabic-Indic and other digits.
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
#: Years a month may be in: its end (and the month after it) must stay on the calendar.
FIRST_YEAR, LAST_YEAR = 1971, 9998


class InvalidMonth(ValueError):
    """Not a month written as YYYY-MM."""


@dataclass(frozen=True, order=True)
class Month:
    """A month of a year: ``Month(2026, 6)`` is June 2026."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 12 or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidMonth(f"{self.year:04d}-{self.number:02d} is not a month")

    @classmethod
    def parse(cls, text: str | Month) -> Month:
        """``"2026-06"`` as a month (a month is returned as it is).

        :raises InvalidMonth: not YYYY-MM, no such month, or a year outside 1971-9998.
        """
        if isinstance(text, Month):
            return text
        match = MONTH_RE.match((text or "").strip())
        if not match:
            raise InvalidMonth(f"{text!r} is not a month written as YYYY-MM")
        year, number = int(match.group(1)), int(match.group(2))
        if not 1 <= number <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidMonth(f"{text!r} is not a month written as YYYY-MM")
        return cls(year, number)

    @classmethod
    def of(cls, moment: dt.datetime | dt.date, tz: ZoneInfo | None = None) -> Month:
        """The month a date falls in, or an aware datetime falls in in ``tz``."""
        if isinstance(moment, dt.datetime) and tz is not None:
            moment = moment.astimezone(tz)
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def label(self) -> str:
        """``"June 2026"``."""
        return f"{calendar.month_name[self.number]} {self.year}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.number, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(
            self.year, self.number, calendar.monthrange(self.year, self.number)[1]
        )

    def shift(self, by: int) -> Month:
        """The month ``by`` months later (earlier when negative)."""
        index = self.year * 12 + (self.number - 1) + by
        return Month(index // 12, index % 12 + 1)

    @property
    def next(self) -> Month:
        return self.shift(1)

    @property
    def previous(self) -> Month:
        return self.shift(-1)


def closed_label(on: dt.date, by: str) -> str:
    """How every page, export and PDF names a month's close: "Closed on 3 June 2026 by
    Helen Carter"."""
    who = f" by {by}" if by else ""
    return f"Closed on {on.day} {calendar.month_name[on.month]} {on.year}{who}"


def existing_months(
    first: Month | None, current: Month, shown: Month | None = None
) -> list[Month]:
    """The months a picker offers, newest first: from the first month with data (or the
    current month when there is none) to the current month, never a later one; plus
    ``shown`` when it lies outside them (the page asked for it)."""
    start = min(first, current) if first is not None else current
    months = []
    month = current
    while month >= start and len(months) < 600:
        months.append(month)
        month = month.previous
    if shown is not None and shown not in months:
        months.append(shown)
        months.sort(reverse=True)
    return months
