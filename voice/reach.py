"""PURE: a department's contact rota and who answers now.

A rota is a list of entries: the weekdays it covers, a from-to time in the organisation's
time zone, a person's name and how to reach them (a phone number or a channel). An entry
whose end is not after its start runs past midnight into the next day. Admins write the
rota as lines of text (``Mon-Fri 09:00-18:00 | Sam Patel | +44 20 7946 0000``), read by
:func:`parse_rota` with line-numbered errors.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS = {name.lower(): index for index, name in enumerate(DAY_NAMES)}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
MINUTES_A_DAY = 24 * 60
MAX_NAME = 120
MAX_CONTACT = 200


@dataclass(frozen=True)
class RotaEntry:
    """Who answers on ``weekdays`` (0 is Monday) from ``start`` to ``end`` (minutes after
    midnight, 1440 for the end of the day; ``end`` before ``start`` runs into the next
    day)."""

    weekdays: frozenset[int]
    start: int
    end: int
    name: str
    contact: str

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def days_text(self) -> str:
        return days_text(self.weekdays)

    @property
    def hours_text(self) -> str:
        return f"{clock_text(self.start)}-{clock_text(self.end)}"

    def line(self) -> str:
        """The entry as a rota line, as :func:`parse_rota` reads it."""
        return f"{self.days_text} {self.hours_text} | {self.name} | {self.contact}"


@dataclass(frozen=True)
class Answer:
    """Who answers at a moment, and until when (local time, in the rota's zone)."""

    entry: RotaEntry
    until: dt.datetime

    @property
    def until_text(self) -> str:
        """``18:00``; a shift that ends at midnight ends at ``24:00``."""
        return clock_text(self.until.hour * 60 + self.until.minute or MINUTES_A_DAY)


class RotaError(ValueError):
    """Rota lines that cannot be read; ``errors`` holds one message a bad line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def clock_text(minutes: int) -> str:
    """``09:00``; the end of a day (1440 minutes) is ``24:00``."""
    if minutes != MINUTES_A_DAY:
        minutes %= MINUTES_A_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def days_text(weekdays: frozenset[int]) -> str:
    """``Mon-Fri``, ``Sat, Sun``, ``Every day``: runs of days as ranges."""
    if len(weekdays) == 7:
        return "Every day"
    days = sorted(weekdays)
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ", ".join(parts)


def parse_days(text: str) -> frozenset[int]:
    """``Mon-Fri``, ``Sat,Sun``, ``Mon-Wed,Fri``, ``daily``; a range may wrap (``Fri-Mon``).

    :raises ValueError: a day that is not one of Mon..Sun.
    """
    cleaned = text.strip().lower()
    if cleaned in ("daily", "every day", "all", "mon-sun"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in cleaned.split(","):
        first, _, last = (p.strip()[:3] for p in part.partition("-"))
        if first not in _DAYS or (last and last not in _DAYS):
            raise ValueError(
                f"{part.strip() or text!r} is not a day or a range of days "
                "(use Mon, Tue, Wed, Thu, Fri, Sat, Sun, like Mon-Fri)"
            )
        start = _DAYS[first]
        stop = _DAYS[last] if last else start
        day = start
        days.add(day)
        while day != stop:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


def parse_time(text: str) -> int:
    """``09:00`` as minutes after midnight; ``24:00`` is midnight at the end of a day.

    :raises ValueError: not a time of day.
    """
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not a time like 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return hours * 60 + minutes


def parse_rota(text: str) -> list[RotaEntry]:
    """Read rota lines: ``DAYS FROM-TO | NAME | CONTACT``; blank lines are skipped.

    :raises RotaError: every bad line, by its number; nothing is read then.
    """
    entries: list[RotaEntry] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            entries.append(_entry(line))
        except ValueError as e:
            errors.append(f"Line {number}: {e}.")
    if errors:
        raise RotaError(errors)
    return entries


def _entry(line: str) -> RotaEntry:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != 3:
        raise ValueError(
            "write days and hours, the name and how to reach them, apart by |, "
            "like Mon-Fri 09:00-18:00 | Sam Patel | +44 20 7946 0000"
        )
    when, name, contact = parts
    days, _, hours = when.rpartition(" ")
    start_text, dash, end_text = hours.partition("-")
    if not days.strip() or not dash:
        raise ValueError(f"{when!r} needs days and hours, like Mon-Fri 09:00-18:00")
    start, end = parse_time(start_text), parse_time(end_text)
    if start == end:
        raise ValueError("the hours start and end at the same time")
    if not name or not contact:
        raise ValueError("give the name and how to reach them")
    if len(name) > MAX_NAME or len(contact) > MAX_CONTACT:
        raise ValueError(
            f"use at most {MAX_NAME} characters for the name and {MAX_CONTACT} "
            "for how to reach them"
        )
    return RotaEntry(parse_days(days), start, end, name, contact)


def who_answers(
    entries: list[RotaEntry], at: dt.datetime, tz: ZoneInfo
) -> Answer | None:
    """Who answers at ``at`` (aware), and until when in ``tz``; ``None`` when nobody.

    When several entries cover the moment, the first in the rota answers.
    """
    local = at.astimezone(tz)
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    for entry in entries:
        start_day = _covering_day(entry, weekday, minute)
        if start_day is None:
            continue
        day = local.date() - dt.timedelta(days=start_day)
        end_day = day + dt.timedelta(days=1 if entry.overnight else 0)
        until = dt.datetime.combine(end_day, dt.time(), tzinfo=tz) + dt.timedelta(
            minutes=entry.end
        )
        return Answer(entry, until)
    return None


def _covering_day(entry: RotaEntry, weekday: int, minute: int) -> int | None:
    """0 when the entry's shift that began today covers ``minute``; 1 when one that
    began yesterday (overnight) does; ``None`` otherwise."""
    if entry.overnight:
        if weekday in entry.weekdays and minute >= entry.start:
            return 0
        if (weekday - 1) % 7 in entry.weekdays and minute < entry.end:
            return 1
        return None
    if weekday in entry.weekdays and entry.start <= minute < entry.end:
        return 0
    return None
