"""A starting column mapping from an export's header and first rows
(``flask --app app tickets mapping suggest FILE``).

PURE: no Flask, no database. Each column is matched to one of our fields by the names the
built-in sources use, then by the words helpdesks put in their headers; what the first rows
hold decides the rest: a date and a time in two columns, the date format, the rating
scale, an event log's order column. What is not matched is listed, so a reader sees what
the mapping leaves out. The text is a suggestion to check, not a mapping to trust unread.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from incentives.tickets.cells import BLANKS, HOURS, MINUTES, SECONDS, parse_times
from incentives.tickets.clock import Clock
from incentives.tickets.metrics import Channel
from incentives.tickets.sources import (
    CHANNEL_WORDS,
    DURATION_FIELDS,
    PRIORITY_WORDS,
    REVIEW_TAGS,
    SPECS,
    TIME_FIELDS,
    Field,
    normalise_header,
    normalise_word,
)

#: Rows read to decide formats and scales, and the most of the file read for them.
SAMPLE_ROWS = 500
SAMPLE_BYTES = 4 * 1024 * 1024

#: Words in a header that name our field, most telling first. A header matches a rule when
#: every word of one of its phrases is in it.
FIELD_WORDS: list[tuple[Field, tuple[str, ...]]] = [
    (Field.TICKET_ID, ("ticket id", "case number", "conversation id", "incident id")),
    (Field.TICKET_ID, ("ticket number", "number", "id", "ref", "reference")),
    (
        Field.AGENT,
        (
            "assignee",
            "assigned to",
            "agent",
            "owner",
            "teammate",
            "resolved by",
            "handled by",
        ),
    ),
    (Field.GROUP, ("group", "team", "queue", "mailbox", "department", "inbox")),
    (Field.CHANNEL, ("channel", "via", "origin", "source", "medium", "contact type")),
    (Field.PRIORITY, ("priority", "urgency", "severity")),
    (Field.FIRST_RESPONSE_AT, ("first response", "first reply", "first replied")),
    (Field.SOLVED_AT, ("solved", "resolved", "closed", "completed")),
    (Field.CREATED_AT, ("created", "opened", "started", "received", "submitted")),
    (Field.SATISFACTION, ("satisfaction", "csat", "rating", "happiness", "survey")),
    (Field.NPS, ("nps",)),
    (Field.REOPENS, ("reopen", "reopens", "reopened")),
    (Field.TAGS, ("tags", "tag", "labels")),
    # Not "SLA breached": its yes means the opposite.
    (Field.SLA_MET, ("sla met", "made sla", "met sla")),
]
#: Header words that say a column is a time of day, a date, or how long something took.
TIME_OF_DAY = {"time", "hour"}
DATE_WORDS = {"date", "day"}
DURATION_WORDS = {
    "seconds": SECONDS,
    "secs": SECONDS,
    "minutes": MINUTES,
    "mins": MINUTES,
    "hours": HOURS,
    "hrs": HOURS,
}
#: Columns that order an event log's rows (the latest update wins).
ORDER_WORDS = ("sys mod count", "updated", "modified", "last update", "changed")
#: Formats tried when the built-in reading of dates does not hold every sample cell.
DATE_FORMATS = (
    "%d/%m/%Y, %H:%M",
    "%m/%d/%Y, %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
)
POSITIVE = {
    "good",
    "great",
    "satisfied",
    "happy",
    "positive",
    "yes",
    "amazing",
    "excellent",
}
NEGATIVE = {"bad", "unsatisfied", "dissatisfied", "unhappy", "negative", "no", "poor"}
NOT_RATED = {"not rated", "offered", "unoffered", "not offered", "no rating", "pending"}


class SuggestError(ValueError):
    """A file whose header cannot be read."""


@dataclass
class Suggestion:
    """What was matched, before it is written as YAML."""

    columns: dict[Field, str] = field(default_factory=dict)
    times_of_day: dict[Field, str] = field(default_factory=dict)
    durations: dict[Field, tuple[str, str]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    date_format: str | None = None
    dayfirst: bool | None = None
    satisfaction: list[str] = field(default_factory=list)
    keep_last_by: str | None = None
    timezone: str | None = None
    #: Columns read where the field's first is blank (``Resolved time``, then ``Closed
    #: time``).
    fallbacks: dict[Field, list[str]] = field(default_factory=dict)
    priorities: dict[str, str] = field(default_factory=dict)
    channel_tags: list[str] = field(default_factory=list)


def read_sample(data: bytes, *, cut: bool = False) -> tuple[list[str], list[list[str]]]:
    """The header and the first :data:`SAMPLE_ROWS` rows of a CSV export.

    :param cut: ``data`` is the start of a longer file (it may end mid-character and
        mid-row).
    """
    head = data[:SAMPLE_BYTES]
    cut = cut or len(head) < len(data)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if cut and e.start > len(head) - 4:
            text = head[: e.start].decode("utf-8-sig")
        else:
            text = head.decode("cp1252", errors="replace")
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        raise SuggestError("the file has no header row") from e
    if not any(h.strip() for h in header):
        raise SuggestError("the file's first line is blank: it needs a header row")
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) >= SAMPLE_ROWS:
                break
            rows.append(row)
    except csv.Error:
        pass  # a cut quote in the sample: decide on the rows before it
    if cut and rows:
        rows.pop()  # the last row of a cut sample may be cut too
    return [h.strip() for h in header], rows


def suggest(data: bytes, *, source: str = "mytool", cut: bool = False) -> str:
    """A commented YAML column mapping for the export in ``data`` (the whole file, or
    its start with ``cut``).

    :raises SuggestError: the file has no header row.
    """
    header, rows = read_sample(data, cut=cut)
    cells = {
        name: pd.Series([r[i] if i < len(r) else "" for r in rows], dtype=object)
        for i, name in enumerate(header)
    }
    found = _match(header, cells)
    return _yaml(found, source, _looks_like(header))


def _match(header: Sequence[str], cells: dict[str, pd.Series]) -> Suggestion:
    found = Suggestion()
    known = _built_in_names()
    rest = []
    for name in header:
        our = known.get(normalise_header(name))
        if our is None:
            rest.append(name)
        elif our[0] in DURATION_FIELDS and not any(
            f.value.rsplit("_", 1)[0] == our[0].value.rsplit("_", 1)[0]
            for f in found.durations
        ):
            found.durations[our[0]] = (name, our[1])
        elif our[0] not in DURATION_FIELDS and our[0] not in found.columns:
            found.columns[our[0]] = name
        elif our[0] in found.columns and not (
            our[0] in TIME_FIELDS and _numbers(cells[name])
        ):
            # A second name a built-in source reads for the field: its blanks fall back.
            found.fallbacks.setdefault(our[0], []).append(name)
        else:
            found.unread.append(name)
    for name in rest:
        if not normalise_header(name):
            continue
        if not (_as_duration(name, cells[name], found) or _as_field(name, found)):
            found.unread.append(name)
    _by_values(found, cells)
    _join_dates_and_times(found, cells)
    _dates(found, cells)
    _ratings(found, cells)
    _priorities(found, cells)
    _channels(found, cells)
    _event_log(found, cells)
    found.unread = [name for name in header if name in found.unread]
    found.timezone = next(
        (zone for name in found.columns.values() if (zone := _zone_of(name))), None
    )
    return found


def _zone_of(header: str) -> str | None:
    """The zone a header names: ``Created at (Europe/Berlin)``."""
    match = re.search(r"\(([A-Za-z_]+/[A-Za-z0-9_+/-]+)\)\s*$", header)
    if match is None:
        return None
    try:
        ZoneInfo(match.group(1))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return match.group(1)


def _built_in_names() -> dict[str, tuple[Field, str]]:
    """Every header a built-in source reads: our field, and a duration's unit."""
    names: dict[str, tuple[Field, str]] = {}
    for spec in SPECS.values():
        for our, headers in spec.columns.items():
            for header in headers:
                unit = spec.duration_units.get(our, MINUTES)
                names.setdefault(header, (our, unit))
    return names


def _words(name: str) -> set[str]:
    return set(normalise_header(name).split())


def _has(name: str, phrase: str) -> bool:
    return set(phrase.split()) <= _words(name)


def _as_duration(name: str, values: pd.Series, found: Suggestion) -> bool:
    """``First response time (in hrs)``: a duration with its unit and clock; a header
    without a unit whose cells are numbers is taken in minutes, to be checked."""
    words = _words(name)
    unit = next((DURATION_WORDS[w] for w in words if w in DURATION_WORDS), None)
    if words & DATE_WORDS or (
        unit is None and ("time" not in words or not _numbers(values))
    ):
        return False
    clock = (
        Clock.BUSINESS if words & {"business", "office", "working"} else Clock.CALENDAR
    )
    if {"first"} <= words and words & {"response", "reply"}:
        stem = "first_response_min"
    elif words & {"resolution", "resolve", "resolved", "handling", "handle"}:
        stem = "resolution_min"
    else:
        return False
    # A mapping reads one clock of each duration: the first the file has.
    if any(f.value.startswith(stem) for f in found.durations):
        return False
    if unit is None:
        found.comments.append(
            f"{name} holds numbers: read as minutes; give its unit (seconds, minutes "
            "or hours) if they are not."
        )
        unit = MINUTES
    found.durations[Field(f"{stem}_{clock.value}")] = (name, unit)
    return True


def _numbers(values: pd.Series) -> bool:
    filled = _filled(values)
    return bool(len(filled)) and bool(
        pd.to_numeric(filled.str.replace(":", "", regex=False), errors="coerce")
        .notna()
        .all()
    )


def _as_field(name: str, found: Suggestion) -> bool:
    """The first field whose words the header has; none when that field is taken (a
    second "closed" column is not the solve time) or a time's header names a person."""
    for our, phrases in FIELD_WORDS:
        if not any(_has(name, phrase) for phrase in phrases):
            continue
        if our in found.columns or (our in TIME_FIELDS and "by" in _words(name)):
            return False
        found.columns[our] = name
        return True
    return False


def _by_values(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """A column whose every value is a channel (``Type``: Email, Chat, Phone) is the
    channel when no header said so."""
    if Field.CHANNEL in found.columns:
        return
    for name in found.unread:
        values = {normalise_word(v) for v in _filled(cells[name])}
        if values and all(_is_channel(v) for v in values):
            found.columns[Field.CHANNEL] = name
            found.unread.remove(name)
            return


def _is_channel(value: str) -> bool:
    words = set(re.split(r"[^a-z0-9]+", value)) - {""}
    return value in {c.value for c in Channel if c is not Channel.OTHER} or any(
        words & vocabulary for vocabulary, _ in CHANNEL_WORDS
    )


def _join_dates_and_times(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """``Created Date`` taken for created_at, with ``Created Time`` beside it: one time."""
    for our in TIME_FIELDS:
        date = found.columns.get(our)
        if date is None or not _words(date) & DATE_WORDS:
            continue
        stem = _words(date) - DATE_WORDS
        partner = next(
            (
                name
                for name in found.unread
                if _words(name) & TIME_OF_DAY and _words(name) - TIME_OF_DAY == stem
            ),
            None,
        )
        if partner is not None:
            found.unread.remove(partner)
            found.times_of_day[our] = partner


def _filled(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    return text[~text.str.casefold().isin(BLANKS | {"?"})]


def _dates(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """Whether the time columns need a date format, and which way round days go."""
    samples = []
    for our in TIME_FIELDS:
        name = found.columns.get(our)
        if name is None:
            continue
        values = _filled(cells[name])
        time_name = found.times_of_day.get(our)
        if time_name is not None:
            values = (
                values + " " + cells[time_name].astype(str).str.strip()[values.index]
            )
        samples.append(values)
    if not samples:
        return
    values = pd.concat(samples, ignore_index=True)
    if values.empty:
        return
    utc = ZoneInfo("UTC")
    day_first, bad_day = parse_times(values, tz=utc, dayfirst=True)
    month_first, bad_month = parse_times(values, tz=utc, dayfirst=False)
    if not bad_day.any() and not bad_month.any():
        if not day_first.equals(month_first):
            found.comments.append(
                "Dates such as 03/04/2024 could be either way round in the rows read: "
                "dayfirst: true reads them as 3 April, false as 4 March."
            )
        return
    if not bad_month.any():
        found.dayfirst = False
        return
    if not bad_day.any():
        return
    for date_format in DATE_FORMATS:
        _, bad = parse_times(values, tz=utc, date_format=date_format)
        if not bad.any():
            found.date_format = date_format
            return
    found.comments.append(
        "Some dates were not read (for example "
        f"{values[bad_day & bad_month].iloc[0]!r}): give date_format in strftime codes."
    )


def _ratings(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    name = found.columns.get(Field.SATISFACTION)
    if name is None:
        return
    values = _filled(cells[name])
    rated = values[~values.map(normalise_word).isin(NOT_RATED)]
    numbers = pd.to_numeric(rated, errors="coerce")
    if len(rated) and numbers.notna().all():
        low, high = int(numbers.min()), int(numbers.max())
        top = next((t for t in (5, 7, 10) if high <= t), high)
        bottom = 0 if low == 0 else 1
        found.satisfaction = [
            f"scale: {bottom}-{top}",
            f"satisfied_from: {top - 1}",
        ]
        not_rated = sorted(set(values) - set(rated))
        if not_rated:
            found.satisfaction.append(f"not_rated: {_flow(not_rated)}")
        return
    words = sorted(
        {str(v) for v in values if pd.isna(pd.to_numeric(v, errors="coerce"))}
    )
    not_rated = [w for w in words if normalise_word(w) in NOT_RATED]
    unsatisfied = [
        w
        for w in words
        if w not in not_rated and set(normalise_word(w).split()) & (NEGATIVE | {"not"})
    ]
    satisfied = [
        w
        for w in words
        if w not in {*not_rated, *unsatisfied}
        and set(normalise_word(w).split()) & POSITIVE
    ]
    rest = [w for w in words if w not in {*satisfied, *unsatisfied, *not_rated}]
    found.satisfaction = [
        f"satisfied: {_flow(satisfied)}",
        f"unsatisfied: {_flow(unsatisfied + rest)}",
    ]
    if not_rated:
        found.satisfaction.append(f"not_rated: {_flow(not_rated)}")
    if rest:
        found.comments.append(
            f"Ratings not recognised, put with the unsatisfied: {', '.join(rest)}."
        )


#: Words in priorities that the built-in reading does not know.
PRIORITY_HINTS = {
    "moderate": "normal",
    "planning": "low",
    "minor": "low",
    "major": "high",
    "blocker": "urgent",
    "critical": "urgent",
    "not priority": "normal",
    "priority": "high",
}


def _priorities(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """Priorities written in words the built-in reading does not know: a guess each."""
    name = found.columns.get(Field.PRIORITY)
    if name is None:
        return
    for value in sorted(set(_filled(cells[name]))):
        key = normalise_word(value)
        if key in PRIORITY_WORDS:
            continue
        words = re.split(r"[^a-z0-9]+", key)
        guess = PRIORITY_HINTS.get(key) or next(
            (
                PRIORITY_WORDS.get(w, PRIORITY_HINTS.get(w))
                for w in words
                if w in PRIORITY_WORDS or w in PRIORITY_HINTS
            ),
            None,
        )
        if guess is None:
            found.comments.append(
                f"Priority {value!r} not recognised: add it under priorities."
            )
        else:
            found.priorities[value] = str(guess)


def _channels(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """Channel values our words do not place, and review-site tags."""
    name = found.columns.get(Field.CHANNEL)
    if name is not None:
        other = sorted(
            v for v in set(_filled(cells[name])) if not _is_channel(normalise_word(v))
        )
        if other:
            found.comments.append(
                f"Channels filed under other: {', '.join(other)}. Give them a channel "
                "under channels (e.g. channels: {Self-service: web}) if they have one."
            )
    tags = found.columns.get(Field.TAGS)
    if tags is not None:
        seen = {
            tag
            for text in _filled(cells[tags])
            for tag in re.split(r"[\s,;]+", text.casefold())
        }
        found.channel_tags = sorted(seen & set(REVIEW_TAGS))


def _event_log(found: Suggestion, cells: dict[str, pd.Series]) -> None:
    """Ticket ids repeated in the rows read: one row per update, ordered by a column."""
    name = found.columns.get(Field.TICKET_ID)
    if name is None:
        return
    ids = _filled(cells[name])
    if not ids.duplicated().any():
        return
    for phrase in ORDER_WORDS:
        for column in cells:
            if _has(column, phrase):
                found.keep_last_by = column
                if column in found.unread:
                    found.unread.remove(column)
                return
    found.comments.append(
        "Ticket ids repeat: if each row is an update, name the column that orders them "
        "with keep_last_by."
    )


def _looks_like(header: Sequence[str]) -> str | None:
    names = {normalise_header(h) for h in header}
    for spec in SPECS.values():
        if spec.signature and len(spec.signature & names) >= 3:
            return spec.name
    return None


def _quoted(text: str) -> str:
    """A YAML scalar: quoted when plain text would be read otherwise."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 _()/.-]*", text) and text.casefold() not in {
        "yes",
        "no",
        "true",
        "false",
        "on",
        "off",
        "null",
    }:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quoted(v) for v in values) + "]"


def _yaml(found: Suggestion, source: str, built_in: str | None) -> str:
    lines = [
        "# A starting column mapping, suggested from the file's header and first rows.",
        "# Check each line against your export before importing with:",
        f"#   flask --app app tickets import FILE --source mapped --mapping {source}.yaml",
    ]
    if built_in is not None:
        label = SPECS[built_in].label
        lines.append(
            f"# This looks like {'an' if label[0] in 'AEIOU' else 'a'} {label} export: "
            f"--source {built_in} reads it with no mapping."
        )
    lines.append(f"source: {source}")
    if found.timezone:
        lines.append(f"timezone: {found.timezone}   # as the file's headers say")
    else:
        lines.append("# timezone: Europe/London   # else the organisation's")
    if found.date_format:
        lines.append(f'date_format: "{found.date_format}"')
    if found.dayfirst is False:
        lines.append("dayfirst: false                # 03/04/2024 is 4 March")
    if found.keep_last_by:
        lines.append(
            f"keep_last_by: {_quoted(found.keep_last_by)}   # one row per update: "
            "each ticket's last row is kept"
        )
    lines.append("columns:")
    for our in Field:
        if our in DURATION_FIELDS:
            continue
        name = found.columns.get(our)
        if name is None:
            continue
        time_of_day = found.times_of_day.get(our)
        if time_of_day is not None:
            lines.append(
                f"  {our.value}: {{date: {_quoted(name)}, time: {_quoted(time_of_day)}}}"
            )
        elif our in found.fallbacks:
            lines.append(f"  {our.value}: {_flow([name, *found.fallbacks[our]])}")
        else:
            lines.append(f"  {our.value}: {_quoted(name)}")
    for needed in (Field.TICKET_ID, Field.CREATED_AT):
        if needed not in found.columns:
            lines.append(f'  {needed.value}: ""   # required: no column matched')
    if found.durations:
        lines.append("durations:")
        for our, (name, unit) in found.durations.items():
            stem = "first_response" if our.value.startswith("first") else "resolution"
            clock = our.value.rsplit("_", 1)[1]
            lines.append(
                f"  {stem}: {{column: {_quoted(name)}, unit: {unit}, clock: {clock}}}"
            )
    if found.satisfaction:
        lines.append("satisfaction:")
        lines += [f"  {line}" for line in found.satisfaction]
    if found.priorities:
        pairs = ", ".join(f"{_quoted(k)}: {v}" for k, v in found.priorities.items())
        lines.append(f"priorities: {{{pairs}}}")
    if found.channel_tags:
        pairs = ", ".join(f"{tag}: review" for tag in found.channel_tags)
        lines.append(f"channel_tags: {{{pairs}}}   # review sites' tickets")
    lines += [f"# {comment}" for comment in found.comments]
    if found.unread:
        lines.append("# Columns not read: " + ", ".join(found.unread))
    return "\n".join(lines) + "\n"
