"""Reading helpdesk ticket exports into one normalised tickets DataFrame.

PURE-ish: pandas in, pandas out; no Flask, no database. One :class:`SourceSpec` per source
(Zendesk, Freshdesk, Frontline's own CSV, or a YAML column mapping for any other tool)
says where each of our fields lives and how the tool writes it; every source then goes
through the same :func:`normalise` path, so a quirk handled for one is handled for all.

Real exports are messy. Handled here: headers in any case or spacing, a byte-order mark,
Windows-1252 files, ``;`` or tab separators, Excel's ``="00123"`` cells, quoted
fields with line breaks, blank rows, blank and placeholder dates (``1900-01-01`` and other
dates before 1971 mean "not set"), day-first and month-first dates, local times without an
offset (read in the source's time zone), durations instead of timestamps (minutes, hours or
``h:mm``, on the calendar or the business-hours clock), satisfaction as good/bad, 1-5 or
words, "Offered"/"Not Offered" meaning not rated, files with only some optional columns, and
no assignee (an unassigned ticket).

Validation is vectorised: each check runs over a whole column (or its distinct values) at
once. Errors are :class:`core.tabular.RowError`, numbered as a spreadsheet shows the file
(the header is row 1); for each check the first :data:`REPORT_LIMIT` are kept and the rest
counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import yaml
from pandas.api.types import union_categoricals

from core import untrusted_yaml
from core.tabular import (
    REPORT_LIMIT,
    ErrorReport,
    RowError,
    error_report,
)
from incentives.clock import Clock
from incentives.metrics import Channel, Priority

#: Rows read and checked at a time; bounds memory on million-row files.
CHUNK_ROWS = 200_000
#: Dates before this year are placeholders for "not set" (1900-01-01, 1899-12-30, 1970...).
FIRST_REAL_YEAR = 1971
#: Cell texts that mean "nothing here".
BLANKS = frozenset({"", "-", "--", "n/a", "na", "null", "none", "nan", "nat", "(none)"})
#: Assignee texts that mean "nobody".
NOBODY = BLANKS | {"unassigned", "no agent", "(unassigned)", "nobody"}
#: The longest values kept; longer text is cut (tags, groups) or refused (ids).
MAX_ID = 64
MAX_AGENT = 254
MAX_GROUP = 120
MAX_TAGS = 500
#: More reopens than this is a broken export (and more than the column holds).
MAX_REOPENS = 10_000
#: A source name as tickets are keyed by it: ``zendesk``, ``helpscout-eu``...
SOURCE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Source(enum.StrEnum):
    """The file formats Frontline reads."""

    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    FRONTLINE = "frontline"
    MAPPED = "mapped"

    @property
    def label(self) -> str:
        return {
            Source.ZENDESK: "Zendesk ticket export (CSV)",
            Source.FRESHDESK: "Freshdesk ticket export (CSV)",
            Source.FRONTLINE: "Frontline CSV",
            Source.MAPPED: "Any other tool, with a column mapping (YAML)",
        }[self]


class Field(enum.StrEnum):
    """Our ticket fields, as a mapping file names them."""

    TICKET_ID = "ticket_id"
    AGENT = "agent"
    GROUP = "group"
    CHANNEL = "channel"
    PRIORITY = "priority"
    CREATED_AT = "created_at"
    FIRST_RESPONSE_AT = "first_response_at"
    SOLVED_AT = "solved_at"
    FIRST_RESPONSE_CALENDAR = "first_response_min_calendar"
    FIRST_RESPONSE_BUSINESS = "first_response_min_business"
    RESOLUTION_CALENDAR = "resolution_min_calendar"
    RESOLUTION_BUSINESS = "resolution_min_business"
    REOPENS = "reopens"
    SATISFACTION = "satisfaction"
    NPS = "nps"
    TAGS = "tags"


TIME_FIELDS = (Field.CREATED_AT, Field.FIRST_RESPONSE_AT, Field.SOLVED_AT)
DURATION_FIELDS = (
    Field.FIRST_RESPONSE_CALENDAR,
    Field.FIRST_RESPONSE_BUSINESS,
    Field.RESOLUTION_CALENDAR,
    Field.RESOLUTION_BUSINESS,
)

#: The normalised tickets frame: column -> dtype. Index: the row number in the file.
TICKET_FRAME = {
    "external_id": "object",
    "agent_key": "category",  # lower-case name or e-mail; NaN for unassigned
    "agent_label": "category",  # as exported
    "group_name": "category",
    "channel": "category",
    "priority": "category",
    "created_at": "datetime64[us, UTC]",
    "first_response_at": "datetime64[us, UTC]",
    "solved_at": "datetime64[us, UTC]",
    "first_response_min_calendar": "float64",
    "first_response_min_business": "float64",
    "resolution_min_calendar": "float64",
    "resolution_min_business": "float64",
    "reopens": "float64",  # NaN: the file does not say
    "satisfied": "float64",  # 1 satisfied, 0 not, NaN not rated
    "nps": "float64",
    "tags": "object",
}
#: What a ticket's fingerprint covers: a re-import that changes none of it is "unchanged".
FINGERPRINT_COLUMNS = [c for c in TICKET_FRAME if c != "agent_label"]

SECONDS = "seconds"
MINUTES = "minutes"
HOURS = "hours"
UNIT_FACTORS = {SECONDS: 1 / 60, MINUTES: 1.0, HOURS: 60.0}


class MappingError(ValueError):
    """A column-mapping file that cannot be used; ``problems`` says why, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Satisfaction:
    """Which satisfaction values count as satisfied, unsatisfied, or no rating at all.

    Values are compared in lower case with spaces collapsed; numbers as numbers
    (``"4.0"`` is ``4``).
    """

    satisfied: frozenset[str]
    unsatisfied: frozenset[str]
    not_rated: frozenset[str] = frozenset()

    def classify(self, value: str) -> float | None:
        """1.0, 0.0, NaN for no rating; ``None`` when the value is not on this scale."""
        key = normalise_word(value)
        if key in self.satisfied:
            return 1.0
        if key in self.unsatisfied:
            return 0.0
        if key in self.not_rated or key in BLANKS:
            return float("nan")
        return None

    def describe(self) -> str:
        shown = sorted(self.satisfied | self.unsatisfied, key=_natural)
        return ", ".join(shown[:12]) + (", ..." if len(shown) > 12 else "")


def _natural(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def numeric_scale(low: int, high: int, satisfied_from: int) -> Satisfaction:
    """A numeric rating scale where ``satisfied_from`` and above count as satisfied."""
    return Satisfaction(
        satisfied=frozenset(str(n) for n in range(satisfied_from, high + 1)),
        unsatisfied=frozenset(str(n) for n in range(low, satisfied_from)),
    )


@dataclass(frozen=True)
class SourceSpec:
    """How one tool writes its export.

    :param name: the source tickets are kept under (the key is source + ticket id).
    :param columns: for each of our fields, the headers it may have (normalised with
        :func:`normalise_header`), in order of preference: a blank cell in the first
        falls back to the next.
    :param required: fields without which the file cannot be read.
    :param duration_units: the unit of each duration field given.
    :param timezone: the zone of times written without an offset; ``None``: the
        organisation's.
    :param date_format: a ``strftime`` format all dates follow, else detected.
    :param dayfirst: how to read ``03/04/2024`` when nothing in the file decides it.
    :param channels: extra channel names (normalised) for this tool.
    :param strict_channels: refuse channels we do not know instead of filing them under
        "other" (Frontline's own format documents its channels).
    """

    name: str
    columns: Mapping[Field, tuple[str, ...]]
    satisfaction: Satisfaction
    required: frozenset[Field] = frozenset({Field.TICKET_ID, Field.CREATED_AT})
    duration_units: Mapping[Field, str] = field(default_factory=dict)
    timezone: str | None = None
    date_format: str | None = None
    dayfirst: bool = True
    channels: Mapping[str, Channel] = field(default_factory=dict)
    priorities: Mapping[str, Priority] = field(default_factory=dict)
    strict_channels: bool = False
    label: str = ""

    def with_name(self, name: str) -> SourceSpec:
        return SourceSpec(**{**self.__dict__, "name": name})


def normalise_header(text: str) -> str:
    """``"  First reply time_in MINUTES"`` -> ``"first reply time in minutes"``."""
    return re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).strip()


def normalise_word(text: str) -> str:
    """Lower case, spaces collapsed, whole numbers without ``.0``."""
    key = " ".join(str(text).casefold().split())
    if re.fullmatch(r"[+-]?\d+\.0+", key):
        key = key.split(".")[0]
    return key


def _h(*names: str) -> tuple[str, ...]:
    return tuple(normalise_header(n) for n in names)


# Words helpdesks use for their channels. Matching is on whole lower-case words, so
# "Phone call (incoming)" is a phone ticket and "Web form" a web one.
CHANNEL_WORDS: list[tuple[frozenset[str], Channel]] = [
    (
        frozenset({"review", "reviews", "trustpilot", "yelp", "tripadvisor"}),
        Channel.REVIEW,
    ),
    (
        frozenset({"phone", "voice", "call", "calls", "voicemail", "callback"}),
        Channel.PHONE,
    ),
    (
        frozenset({"chat", "messaging", "whatsapp", "sms", "messenger", "livechat"}),
        Channel.CHAT,
    ),
    (
        frozenset(
            {"twitter", "x", "facebook", "instagram", "social", "tiktok", "linkedin"}
        ),
        Channel.SOCIAL,
    ),
    (frozenset({"email", "mail", "e", "outbound"}), Channel.EMAIL),
    (
        frozenset({"web", "form", "portal", "api", "mobile", "widget", "feedback"}),
        Channel.WEB,
    ),
]
PRIORITY_WORDS = {
    "low": Priority.LOW,
    "p4": Priority.LOW,
    "4": Priority.LOW,
    "normal": Priority.NORMAL,
    "medium": Priority.NORMAL,
    "p3": Priority.NORMAL,
    "3": Priority.NORMAL,
    "high": Priority.HIGH,
    "p2": Priority.HIGH,
    "2": Priority.HIGH,
    "urgent": Priority.URGENT,
    "critical": Priority.URGENT,
    "p1": Priority.URGENT,
    "1": Priority.URGENT,
}

ZENDESK = SourceSpec(
    name="zendesk",
    label="Zendesk",
    columns={
        Field.TICKET_ID: _h("Id", "Ticket ID"),
        Field.AGENT: _h("Assignee email", "Assignee"),
        Field.GROUP: _h("Group"),
        Field.CHANNEL: _h("Via", "Channel"),
        Field.PRIORITY: _h("Priority"),
        Field.CREATED_AT: _h("Created at"),
        Field.SOLVED_AT: _h("Solved at"),
        Field.FIRST_RESPONSE_CALENDAR: _h("First reply time in minutes"),
        Field.FIRST_RESPONSE_BUSINESS: _h(
            "First reply time in minutes within business hours"
        ),
        Field.RESOLUTION_CALENDAR: _h("Full resolution time in minutes"),
        Field.RESOLUTION_BUSINESS: _h(
            "Full resolution time in minutes within business hours"
        ),
        Field.REOPENS: _h("Reopens"),
        Field.SATISFACTION: _h("Satisfaction Score", "Satisfaction rating"),
        Field.TAGS: _h("Tags"),
    },
    satisfaction=Satisfaction(
        satisfied=frozenset({"good", "goodwithcomment", "good with comment"}),
        unsatisfied=frozenset({"bad", "badwithcomment", "bad with comment"}),
        not_rated=frozenset({"offered", "unoffered", "not offered"}),
    ),
    duration_units=dict.fromkeys(DURATION_FIELDS, MINUTES),
)

FRESHDESK = SourceSpec(
    name="freshdesk",
    label="Freshdesk",
    columns={
        Field.TICKET_ID: _h("Ticket ID", "Id"),
        Field.AGENT: _h("Agent email", "Agent"),
        Field.GROUP: _h("Group"),
        Field.CHANNEL: _h("Source"),
        Field.PRIORITY: _h("Priority"),
        Field.CREATED_AT: _h("Created time"),
        Field.FIRST_RESPONSE_AT: _h("Initial response time"),
        Field.SOLVED_AT: _h("Resolved time", "Closed time"),
        # Freshdesk measures these against the SLA policy, i.e. in business hours.
        Field.FIRST_RESPONSE_BUSINESS: _h("First response time (in hrs)"),
        Field.RESOLUTION_BUSINESS: _h("Resolution time (in hrs)"),
        Field.SATISFACTION: _h("Survey results", "Satisfaction rating"),
        Field.TAGS: _h("Tags"),
    },
    satisfaction=Satisfaction(
        satisfied=frozenset({"awesome", "extremely happy", "very happy", "happy"}),
        unsatisfied=frozenset(
            {
                "neutral",
                "not good",
                "unhappy",
                "very unhappy",
                "extremely unhappy",
            }
        ),
    ),
    duration_units={
        Field.FIRST_RESPONSE_BUSINESS: HOURS,
        Field.RESOLUTION_BUSINESS: HOURS,
    },
    channels={
        "outbound email": Channel.EMAIL,
        "feedback widget": Channel.WEB,
        "forum": Channel.WEB,
    },
)

FRONTLINE = SourceSpec(
    name="frontline",
    label="Frontline",
    columns={
        Field.TICKET_ID: _h("ticket_id"),
        Field.AGENT: _h("agent_email"),
        Field.GROUP: _h("group"),
        Field.CHANNEL: _h("channel"),
        Field.PRIORITY: _h("priority"),
        Field.CREATED_AT: _h("created_at"),
        Field.FIRST_RESPONSE_AT: _h("first_response_at"),
        Field.SOLVED_AT: _h("solved_at"),
        Field.REOPENS: _h("reopens"),
        Field.SATISFACTION: _h("csat"),
        Field.NPS: _h("nps"),
        Field.TAGS: _h("tags"),
    },
    satisfaction=Satisfaction(
        satisfied=frozenset({"good", "satisfied", "4", "5"}),
        unsatisfied=frozenset({"bad", "unsatisfied", "1", "2", "3"}),
    ),
    required=frozenset({Field.TICKET_ID, Field.CHANNEL, Field.CREATED_AT}),
    strict_channels=True,
)

#: The built-in formats (the mapped one is built from its YAML file).
SPECS = {
    Source.ZENDESK: ZENDESK,
    Source.FRESHDESK: FRESHDESK,
    Source.FRONTLINE: FRONTLINE,
}

#: Frontline's CSV columns, in the order our exports and the docs use.
FRONTLINE_COLUMNS = [
    "ticket_id",
    "channel",
    "agent_email",
    "priority",
    "created_at",
    "first_response_at",
    "solved_at",
    "reopens",
    "csat",
    "nps",
    "tags",
]


# --- the mapping file --------------------------------------------------------------------


_MAPPING_KEYS = {
    "source",
    "timezone",
    "date_format",
    "dayfirst",
    "columns",
    "durations",
    "satisfaction",
    "channels",
    "priorities",
}
_DURATION_STEMS = {
    "first_response": "first_response_min",
    "resolution": "resolution_min",
}


def load_mapping(text: str) -> SourceSpec:
    """A :class:`SourceSpec` from a YAML mapping file (``static/incentives/mapping-example.yaml``).

    :raises MappingError: the file is not valid YAML or does not describe a usable mapping.
    """
    try:
        doc = untrusted_yaml.load(text)
    except yaml.YAMLError as e:
        raise MappingError([f"the mapping file is not valid YAML: {e}"]) from e
    if not isinstance(doc, dict):
        raise MappingError(
            ["the mapping file must be a YAML mapping (key: value lines)"]
        )
    problems: list[str] = []
    unknown = sorted(str(k) for k in set(doc) - _MAPPING_KEYS)
    if unknown:
        problems.append(f"unknown keys: {', '.join(map(str, unknown))}")

    name = str(doc.get("source") or "").strip().lower()
    if not SOURCE_NAME_RE.match(name):
        problems.append(
            "source: give the tool's name in lower case letters, digits, - or _ "
            "(at most 32 characters), e.g. 'helpscout'"
        )
    elif name in {s.value for s in Source}:
        problems.append(f"source: {name!r} is a built-in format; choose another name")

    timezone = doc.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        # OSError: a folder of zones ("Etc") or a name too long for a file name.
        except (ZoneInfoNotFoundError, ValueError, OSError):
            problems.append(f"timezone: {timezone!r} is not a known time zone")

    columns: dict[Field, tuple[str, ...]] = {}
    raw_columns = doc.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.append(
            "columns: map at least ticket_id and created_at to your columns"
        )
        raw_columns = {}
    for key, value in raw_columns.items():
        try:
            our = Field(str(key))
        except ValueError:
            problems.append(
                f"columns: {key!r} is not one of our fields "
                f"({', '.join(f.value for f in Field if f not in DURATION_FIELDS)})"
            )
            continue
        if our in DURATION_FIELDS:
            problems.append(f"columns: give {key} under durations instead")
            continue
        names = value if isinstance(value, list) else [value]
        if not names or not all(
            isinstance(n, str | int) and str(n).strip() for n in names
        ):
            problems.append(f"columns: {key} needs a column name")
            continue
        columns[our] = _h(*(str(n) for n in names))

    units: dict[Field, str] = {}
    durations = doc.get("durations") or {}
    if not isinstance(durations, dict):
        problems.append("durations: expected first_response and/or resolution")
        durations = {}
    for key, value in durations.items():
        stem = _DURATION_STEMS.get(str(key))
        if stem is None or not isinstance(value, dict) or not value.get("column"):
            problems.append(
                f"durations: {key!r} must be first_response or resolution, "
                "each with a column (and unit, clock)"
            )
            continue
        unit = str(value.get("unit", MINUTES)).lower()
        clock = str(value.get("clock", Clock.CALENDAR.value)).lower()
        if unit not in UNIT_FACTORS:
            problems.append(f"durations: {key} unit must be seconds, minutes or hours")
            continue
        if clock not in {c.value for c in Clock}:
            problems.append(f"durations: {key} clock must be calendar or business")
            continue
        our = Field(f"{stem}_{clock}")
        columns[our] = _h(str(value["column"]))
        units[our] = unit

    satisfaction = _mapping_satisfaction(doc.get("satisfaction"), problems)
    channels = _mapping_vocabulary(doc.get("channels"), Channel, "channels", problems)
    priorities = _mapping_vocabulary(
        doc.get("priorities"), Priority, "priorities", problems
    )

    for needed in (Field.TICKET_ID, Field.CREATED_AT):
        if needed not in columns:
            problems.append(f"columns: {needed.value} is required")
    date_format = doc.get("date_format")
    if date_format is not None and "%" not in str(date_format):
        problems.append("date_format: use strftime codes, e.g. '%d/%m/%Y %H:%M'")
    if problems:
        raise MappingError(problems)
    return SourceSpec(
        name=name,
        label=name,
        columns=columns,
        satisfaction=satisfaction,
        duration_units=units,
        timezone=str(timezone) if timezone else None,
        date_format=str(date_format) if date_format else None,
        dayfirst=bool(doc.get("dayfirst", True)),
        channels=channels,
        priorities=priorities,
    )


def _mapping_satisfaction(value: Any, problems: list[str]) -> Satisfaction:
    if value is None:
        return FRONTLINE.satisfaction
    if not isinstance(value, dict):
        problems.append("satisfaction: expected satisfied/unsatisfied lists or a scale")
        return FRONTLINE.satisfaction
    not_rated = frozenset(normalise_word(v) for v in _as_list(value.get("not_rated")))
    if "scale" in value:
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(value["scale"]))
        if not match or int(match.group(1)) >= int(match.group(2)):
            problems.append("satisfaction: scale must look like 1-5")
            return FRONTLINE.satisfaction
        low, high = int(match.group(1)), int(match.group(2))
        start = value.get("satisfied_from", high - 1 if high - low >= 3 else high)
        if not isinstance(start, int) or not low < start <= high:
            problems.append(f"satisfaction: satisfied_from must be within {low}-{high}")
            return FRONTLINE.satisfaction
        scale = numeric_scale(low, high, start)
        return Satisfaction(scale.satisfied, scale.unsatisfied, not_rated)
    satisfied = value.get("satisfied") or []
    unsatisfied = value.get("unsatisfied") or []
    if (
        not isinstance(satisfied, list)
        or not isinstance(unsatisfied, list)
        or not satisfied
    ):
        problems.append("satisfaction: list the satisfied (and unsatisfied) values")
        return FRONTLINE.satisfaction
    return Satisfaction(
        frozenset(normalise_word(v) for v in satisfied),
        frozenset(normalise_word(v) for v in unsatisfied),
        not_rated,
    )


def _as_list(value: Any) -> list[Any]:
    """A YAML list as it is, a single value as a list of one, nothing as an empty list."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _mapping_vocabulary(
    value: Any, kind: type[enum.StrEnum], key: str, problems: list[str]
) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key}: expected 'their value: our value' pairs")
        return {}
    allowed = {m.value for m in kind}
    out = {}
    for theirs, ours in value.items():
        if str(ours).lower() not in allowed:
            problems.append(
                f"{key}: {ours!r} is not one of {', '.join(sorted(allowed))}"
            )
            continue
        out[normalise_word(theirs)] = kind(str(ours).lower())
    return out


# --- errors ------------------------------------------------------------------------------


class Problems:
    """Row errors, kept per check: the first :data:`REPORT_LIMIT` in full, and a count.

    Any row in the overall first :data:`REPORT_LIMIT` is among the first of its own check,
    so the report stays exact while a file with a million bad rows costs little.
    """

    def __init__(self) -> None:
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.kept.extend(errors[:REPORT_LIMIT])
        self.total += len(errors) if total is None else total

    def add_where(
        self, mask: pd.Series, column: str, values: pd.Series, reason: str
    ) -> None:
        """One error for every row where ``mask`` holds, showing ``values``."""
        if not mask.any():
            return
        hit = values[mask.reindex(values.index, fill_value=False)]
        shown = hit.head(REPORT_LIMIT)
        self.add(
            [
                RowError(int(row), column, _shown(value), reason)
                for row, value in zip(shown.index, shown.tolist(), strict=True)
            ],
            total=len(hit),
        )

    def __bool__(self) -> bool:
        return self.total > 0


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class ParsedTickets:
    """A file (or API batch) read and checked.

    ``tickets`` follows :data:`TICKET_FRAME`, indexed by row number; use it only when
    :attr:`ok` (no errors at all).
    """

    source: str
    tickets: pd.DataFrame
    errors: list[RowError]
    error_count: int
    rows: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def report(self) -> ErrorReport:
        """The first :data:`REPORT_LIMIT` problems in row order, and a count of the rest."""
        shown = error_report(self.errors).shown
        return ErrorReport(shown=shown, more=self.error_count - len(shown))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def empty_tickets() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TICKET_FRAME.items()})


def _rejected(spec: SourceSpec, errors: list[RowError], rows: int = 0) -> ParsedTickets:
    return ParsedTickets(spec.name, empty_tickets(), errors, len(errors), rows)


# --- reading a file ----------------------------------------------------------------------


def parse_file(
    data: bytes,
    spec: SourceSpec,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> ParsedTickets:
    """Read and check an exported CSV file.

    :param data: the file (UTF-8 with or without a BOM, or Windows-1252).
    :param spec: the source's format.
    :param tz: the organisation's time zone, for times written without an offset (unless
        the spec names its own zone).
    :param now: when given, times more than a day after it are refused: a day and month
        read the wrong way round often land in the future.
    """
    data = data.replace(b"\x00", b"")  # no text column holds NUL; PostgreSQL refuses it
    encoding = _encoding(data)
    start = data[:65536].decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(start)
    extra = _first_row_too_long(start, delimiter)
    if extra is not None:
        return _rejected(spec, [extra])
    try:
        chunks = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            sep=delimiter,
            index_col=False,
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            # Bytes Windows-1252 leaves undefined (0x81, 0x8d...) become U+FFFD, not a crash.
            encoding_errors="replace",
            chunksize=CHUNK_ROWS,
            engine="c",
        )
        return _parse_chunks(chunks, spec, tz=tz, now=now)
    except pd.errors.EmptyDataError:
        return _rejected(spec, [RowError(1, "", "", "the file is empty")])
    except pd.errors.ParserError as e:
        return _rejected(spec, [_parser_error(e)])


def _encoding(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the bytes are UTF-8, else Windows-1252.

    The same rule as :func:`core.tabular.decode_upload`, but pandas decodes while it
    reads, so a large file is not held twice as text.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _sniff_delimiter(text: str) -> str:
    """Excel in many European locales saves "CSV" with semicolons; some tools use tabs."""
    # Lines may end in \r alone (Excel for Mac's "CSV (Macintosh)").
    header = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_row_too_long(start: str, delimiter: str) -> RowError | None:
    """pandas reads extra cells in the first row as an index; catch that row ourselves."""
    text = io.StringIO(start.lstrip("\ufeff"), newline="")  # any line ending, as pandas
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
        first = next(reader)
    except (StopIteration, csv.Error):
        return None
    if len(first) > len(header):
        return RowError(
            2,
            "",
            "",
            f"this line has {len(first)} cells but the header has {len(header)} "
            "(a separator or quote out of place?)",
        )
    return None


def _parser_error(error: Exception) -> RowError:
    message = str(error)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, line, saw = match.groups()
        return RowError(
            int(line),
            "",
            "",
            f"this line has {saw} cells but the header has {expected} "
            "(a separator or quote out of place?)",
        )
    line_match = re.search(r"line (\d+)", message)
    if "EOF" in message:
        return RowError(
            int(line_match.group(1)) if line_match else 1,
            "",
            "",
            "a quoted cell is never closed (a stray double quote?)",
        )
    return RowError(1, "", "", f"the file cannot be read as CSV ({message[:160]})")


def _parse_chunks(
    chunks: Iterator[pd.DataFrame],
    spec: SourceSpec,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
) -> ParsedTickets:
    problems = Problems()
    notes: list[str] = []
    frames: list[pd.DataFrame] = []
    headers: dict[str, str] | None = None
    rows = 0
    for chunk in chunks:
        if headers is None:
            headers = _read_headers(list(chunk.columns), spec, problems, notes)
            if problems:
                return ParsedTickets(
                    spec.name, empty_tickets(), problems.kept, problems.total, 0
                )
        # Numbered as a spreadsheet shows the file: the header is row 1.
        chunk.index = chunk.index + 2
        chunk.columns = [normalise_header(c) for c in chunk.columns]
        chunk = _drop_blank_rows(chunk, spec)
        rows += len(chunk)
        frames.append(
            _normalise(chunk, spec, headers, tz=tz, now=now, problems=problems)
        )
    if headers is None:
        return _rejected(spec, [RowError(1, "", "", "the file has no header row")])
    tickets = _concat(frames)
    _check_duplicates(tickets, _header_of(spec, Field.TICKET_ID, headers), problems)
    if rows == 0:
        notes.append("The file has a header row but no tickets.")
    return ParsedTickets(spec.name, tickets, problems.kept, problems.total, rows, notes)


def _read_headers(
    raw: list[str], spec: SourceSpec, problems: Problems, notes: list[str]
) -> dict[str, str]:
    """Normalised header -> header as written; report missing and repeated columns."""
    headers: dict[str, str] = {}
    for original in (str(h) for h in raw):
        # pandas renames a repeated header "Group" to "Group.1"
        repeat = re.fullmatch(r"(.*)\.\d+", original)
        if repeat and normalise_header(repeat.group(1)) in headers:
            problems.add(
                [RowError(1, repeat.group(1).strip(), "", "this column appears twice")]
            )
            continue
        headers[normalise_header(original)] = original.strip().lstrip("\ufeff")
    for needed in sorted(spec.required):
        names = spec.columns.get(needed, ())
        if not any(n in headers for n in names):
            wanted = " or ".join(f"'{n}'" for n in names)
            problems.add(
                [RowError(1, needed.value, "", f"no {wanted} column in the header row")]
            )
    agent_names = spec.columns.get(Field.AGENT, ())
    if not any(n in headers for n in agent_names):
        notes.append(
            "The file has no assignee column: every ticket is imported as unassigned "
            "(it counts for its group and the organisation, not for a rep)."
        )
    return headers


def _header_of(spec: SourceSpec, our: Field, headers: Mapping[str, str]) -> str:
    """The column of ``our`` field as the file writes it, for messages."""
    for name in spec.columns.get(our, ()):
        if name in headers:
            return headers[name]
    return our.value


def _drop_blank_rows(chunk: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Rows with nothing in any cell are skipped (they keep their numbers)."""
    id_column = next(
        (n for n in spec.columns[Field.TICKET_ID] if n in chunk.columns),
        chunk.columns[0],
    )
    candidates = chunk[id_column] == ""
    if not candidates.any():
        return chunk
    blank = (chunk[candidates].apply(lambda col: col.str.strip()) == "").all(axis=1)
    return chunk.drop(index=blank[blank].index)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return empty_tickets()
    if len(frames) == 1:
        return frames[0]
    columns = {}
    for column, dtype in TICKET_FRAME.items():
        parts = [f[column] for f in frames]
        if dtype == "category":
            columns[column] = pd.Series(
                union_categoricals([p.array for p in parts]),
                index=frames[0].index.append([f.index for f in frames[1:]]),
            )
        else:
            columns[column] = pd.concat(parts)
    return pd.DataFrame(columns)


def _check_duplicates(tickets: pd.DataFrame, label: str, problems: Problems) -> None:
    ids = tickets["external_id"]
    repeated = ids.duplicated(keep="first") & ids.notna()
    if not repeated.any():
        return
    first_row = (
        pd.Series(ids.index, index=ids.index)
        .groupby(ids, sort=False)
        .transform("first")
    )
    hit = ids[repeated]
    problems.add(
        [
            RowError(
                int(row),
                label,
                _shown(value),
                f"ticket id already on row {int(first_row[row])}",
            )
            for row, value in hit.head(REPORT_LIMIT).items()
        ],
        total=len(hit),
    )


# --- records from the API ----------------------------------------------------------------


def parse_records(
    records: Sequence[Any],
    spec: SourceSpec = FRONTLINE,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> ParsedTickets:
    """Check a JSON batch of tickets written with Frontline's CSV field names.

    ``row`` in the errors is the ticket's position in the batch, counting from 1.
    """
    problems = Problems()
    known = {name for names in spec.columns.values() for name in names}
    cleaned: list[dict[str, str]] = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.add(
                [RowError(position, "", "", "each ticket must be a JSON object")]
            )
            cleaned.append({})
            continue
        unknown = sorted(str(k) for k in record if normalise_header(k) not in known)
        if unknown:
            problems.add([RowError(position, unknown[0], "", "not a ticket field")])
        cleaned.append(
            {normalise_header(k): _record_text(v) for k, v in record.items()}
        )
    if problems:
        return ParsedTickets(
            spec.name, empty_tickets(), problems.kept, problems.total, len(records)
        )
    # Like a file's header: the fields some ticket in the batch has (and the required ones).
    seen = {key for record in cleaned for key in record} & known
    required = {spec.columns[f][0] for f in spec.required}
    names = sorted(seen | required)
    raw = pd.DataFrame(
        [[record.get(name, "") for name in names] for record in cleaned],
        columns=names,
        dtype=object,
    )
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    headers = {name: name.replace(" ", "_") for name in names}
    tickets = _normalise(raw, spec, headers, tz=tz, now=now, problems=problems)
    _check_duplicates(tickets, "ticket_id", problems)
    return ParsedTickets(spec.name, tickets, problems.kept, problems.total, len(raw))


def _record_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


# --- the one normalisation path ----------------------------------------------------------


def _normalise(
    raw: pd.DataFrame,
    spec: SourceSpec,
    headers: Mapping[str, str],
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
    problems: Problems,
) -> pd.DataFrame:
    """Raw text cells (normalised headers; row numbers as index) to :data:`TICKET_FRAME`.

    Every source, file or API, goes through here.
    """
    zone = ZoneInfo(spec.timezone) if spec.timezone else tz
    index = raw.index
    out = pd.DataFrame(index=index)

    def column(our: Field) -> tuple[pd.Series | None, str]:
        """The field's cells (first column given, then blanks filled from the next)."""
        present = [n for n in spec.columns.get(our, ()) if n in raw.columns]
        if not present:
            return None, our.value
        values = raw[present[0]]
        for name in present[1:]:
            values = values.where(values.str.strip() != "", raw[name])
        return values, headers.get(present[0], present[0])

    ids, label = column(Field.TICKET_ID)
    if ids is None:
        raise ValueError("the ticket id column is required")  # _read_headers checked it
    ids = _clean_column(ids)
    problems.add_where(ids == "", label, ids, "no ticket id")
    if max(map(len, ids.tolist()), default=0) > MAX_ID:
        problems.add_where(
            ids.str.len() > MAX_ID, label, ids, f"longer than {MAX_ID} characters"
        )
    out["external_id"] = ids.where(ids != "", None)

    agents, _ = column(Field.AGENT)
    out["agent_key"], out["agent_label"] = _agents(agents, index)
    groups, _ = column(Field.GROUP)
    out["group_name"] = _text_category(groups, index, MAX_GROUP)

    channels, label = column(Field.CHANNEL)
    out["channel"] = _vocabulary(
        channels,
        index,
        lambda v: _channel(v, spec),
        Channel.OTHER.value,
        label,
        problems,
        "not a channel; use one of " + ", ".join(c.value for c in Channel),
    )
    priorities, label = column(Field.PRIORITY)
    out["priority"] = _vocabulary(
        priorities,
        index,
        lambda v: _priority(v, spec),
        Priority.NORMAL.value,
        label,
        problems,
        "not a priority; use low, normal, high or urgent",
    )

    written: dict[Field, pd.Series] = {}
    for our in TIME_FIELDS:
        values, label = column(our)
        if values is None:
            out[our.value] = pd.Series(
                pd.NaT, index=index, dtype=TICKET_FRAME[our.value]
            )
            continue
        written[our] = values
        times, bad = parse_times(
            values, tz=zone, date_format=spec.date_format, dayfirst=spec.dayfirst
        )
        problems.add_where(
            bad,
            label,
            values,
            "not a date and time we can read (e.g. 2024-03-31 14:05 or 31/03/2024 14:05)",
        )
        if our is Field.CREATED_AT:
            problems.add_where(
                times.isna() & ~bad,
                label,
                values,
                "no creation time (every ticket has one)",
            )
        if now is not None:
            late = times > pd.Timestamp(now) + pd.Timedelta(days=1)
            problems.add_where(late, label, values, "in the future")
        out[our.value] = times
    for our, reason in (
        (
            Field.FIRST_RESPONSE_AT,
            "the first reply comes before the ticket was created",
        ),
        (Field.SOLVED_AT, "solved before it was created"),
    ):
        if our in written:
            early = out[our.value] < out["created_at"]
            problems.add_where(
                early, _header_of(spec, our, headers), written[our], reason
            )

    for our in DURATION_FIELDS:
        values, label = column(our)
        if values is None:
            out[our.value] = np.nan
            continue
        minutes, bad = parse_durations(values, spec.duration_units.get(our, MINUTES))
        problems.add_where(
            bad,
            label,
            values,
            "not a duration (a number, or hours:minutes such as 1:30)",
        )
        problems.add_where(minutes < 0, label, values, "a duration cannot be negative")
        problems.add_where(np.isinf(minutes), label, values, "not a finite duration")
        out[our.value] = minutes

    reopens, label = column(Field.REOPENS)
    if reopens is None:
        out["reopens"] = np.nan
    else:
        count, bad = parse_whole_numbers(reopens)
        problems.add_where(
            bad | (count < 0), label, reopens, "not a whole number of reopens"
        )
        problems.add_where(count > MAX_REOPENS, label, reopens, "too many reopens")
        # In a file that has the column, a blank cell means no reopen.
        out["reopens"] = count.fillna(0.0)

    ratings, label = column(Field.SATISFACTION)
    out["satisfied"] = (
        np.nan
        if ratings is None
        else _satisfaction(ratings, spec.satisfaction, label, problems)
    )

    scores, label = column(Field.NPS)
    if scores is None:
        out["nps"] = np.nan
    else:
        nps, bad = parse_whole_numbers(scores)
        problems.add_where(
            bad | (nps < 0) | (nps > 10),
            label,
            scores,
            "an NPS score is a whole number 0-10",
        )
        out["nps"] = nps

    tags, _ = column(Field.TAGS)
    if tags is None:
        out["tags"] = None
    else:
        codes, results = _distinct(tags, lambda v: v[:MAX_TAGS] or None)
        out["tags"] = np.array([*results, None], dtype=object)[codes]
    return out.astype(TICKET_FRAME)


def clean_cell(value: str) -> str:
    """Spaces trimmed and Excel's ``="..."`` wrapper removed."""
    text = value.strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text


def _clean_column(values: pd.Series) -> pd.Series:
    """:func:`clean_cell` on every cell of a column of text.

    A column that needs nothing done (a million plain ticket ids: no space anywhere, no
    Excel ``="`` wrapper) is recognised in one pass over its joined text, instead of
    three calls a cell.
    """
    joined = "\x00".join(values.tolist())
    if '="' not in joined and joined.split(maxsplit=1) == [joined]:
        return values
    return _unwrap_excel(values).str.strip()


def _unwrap_excel(values: pd.Series) -> pd.Series:
    """``="00123"`` (how Excel keeps leading zeros) becomes ``00123``."""
    wrapped = values.str.startswith('="', na=False)
    if not wrapped.any():
        return values
    return values.where(~wrapped, values[wrapped].map(clean_cell))


def _distinct(
    values: pd.Series, fn: Callable[[str], Any]
) -> tuple[np.ndarray, list[Any]]:
    """``fn`` applied once per distinct value: (code of each row, result per value).

    A million rows of a column with forty distinct values cost forty calls.
    """
    codes, uniques = pd.factorize(values, sort=False)
    return codes, [fn(clean_cell(str(u))) for u in uniques]


def _vocabulary(
    values: pd.Series | None,
    index: pd.Index,
    fn: Callable[[str], str | None],
    default: str,
    label: str,
    problems: Problems,
    reason: str,
) -> pd.Series:
    """A channel or priority per row; ``fn`` gives ``""`` for blank, ``None`` for unknown."""
    if values is None:
        return pd.Series(pd.Categorical([default] * len(index)), index=index)
    codes, results = _distinct(values, fn)
    unknown = [i for i, r in enumerate(results) if r is None]
    if unknown:
        problems.add_where(
            pd.Series(np.isin(codes, unknown), index=index), label, values, reason
        )
    table = np.array([r or default for r in results] + [default], dtype=object)
    return pd.Series(pd.Categorical(table[codes]), index=index)


def _channel(value: str, spec: SourceSpec) -> str | None:
    key = normalise_word(value)
    if key in BLANKS:
        return None if spec.strict_channels else ""
    if key in spec.channels:
        return spec.channels[key].value
    if key in {c.value for c in Channel}:
        return key
    if spec.strict_channels:
        return None
    words = set(re.split(r"[^a-z0-9]+", key)) - {""}
    for vocabulary, channel in CHANNEL_WORDS:
        if words & vocabulary:
            return channel.value
    return Channel.OTHER.value


def _priority(value: str, spec: SourceSpec) -> str | None:
    key = normalise_word(value)
    if key in BLANKS:
        return ""
    if key in spec.priorities:
        return spec.priorities[key].value
    found = PRIORITY_WORDS.get(key)
    return found.value if found else None


def _agents(values: pd.Series | None, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """(key, label) per row: the key is the label in lower case; NaN when unassigned."""
    if values is None:
        nobody = pd.Categorical(
            [None] * len(index), categories=pd.Index([], dtype=object)
        )
        return pd.Series(nobody, index=index), pd.Series(nobody.copy(), index=index)

    def clean(value: str) -> tuple[str, str] | None:
        label = " ".join(value.split())[:MAX_AGENT]
        key = label.casefold()[:MAX_AGENT]  # casefold may lengthen it: "ß" -> "ss"
        return None if key in NOBODY else (key, label)

    codes, results = _distinct(values, clean)
    keys = np.array([r[0] if r else None for r in results] + [None], dtype=object)
    labels = np.array([r[1] if r else None for r in results] + [None], dtype=object)
    return (
        pd.Series(pd.Categorical(keys[codes]), index=index),
        pd.Series(pd.Categorical(labels[codes]), index=index),
    )


def _text_category(values: pd.Series | None, index: pd.Index, limit: int) -> pd.Series:
    if values is None:
        return pd.Series(
            pd.Categorical([None] * len(index), categories=pd.Index([], dtype=object)),
            index=index,
        )

    def clean(value: str) -> str | None:
        text = " ".join(value.split())[:limit]
        return None if text.casefold() in BLANKS else text

    codes, results = _distinct(values, clean)
    table = np.array([*results, None], dtype=object)
    return pd.Series(pd.Categorical(table[codes]), index=index)


def _satisfaction(
    values: pd.Series, scale: Satisfaction, label: str, problems: Problems
) -> pd.Series:
    codes, results = _distinct(values, scale.classify)
    unknown = [i for i, r in enumerate(results) if r is None]
    if unknown:
        problems.add_where(
            pd.Series(np.isin(codes, unknown), index=values.index),
            label,
            values,
            f"not a satisfaction rating this source uses ({scale.describe()})",
        )
    table = np.array(
        [np.nan if r is None else r for r in results] + [np.nan], dtype=float
    )
    return pd.Series(table[codes], index=values.index)


# --- dates, durations and numbers --------------------------------------------------------

_OFFSET_RE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_DAY_MONTH_RE = (
    r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?$"
)


def parse_times(
    values: pd.Series,
    *,
    tz: ZoneInfo,
    date_format: str | None = None,
    dayfirst: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Text cells to aware UTC times.

    Times with an offset (``Z``, ``+01:00``, ``+0100``, `` UTC``) keep it; times without
    one are local times in ``tz``. Without ``date_format``, ISO 8601 is read first, then
    day/month/year forms (see :func:`_day_month`). Blank cells, placeholders such as
    ``0000-00-00`` and dates before 1971 (``1900-01-01``) are "not set" (NaT).

    :return: (times as ``datetime64[us, UTC]``, mask of cells that are not dates).
    """
    bad = pd.Series(False, index=values.index)
    if date_format:
        text = values.map(clean_cell)
        blank = text.str.casefold().isin(BLANKS)
        parsed = pd.to_datetime(text.where(~blank), format=date_format, errors="coerce")
        times = _to_utc(parsed, tz)
        bad = ~blank & times.isna()
    else:
        times = _iso(values, tz)
        todo = times.isna() & (values != "")
        if todo.any():
            rest = values[todo].map(clean_cell)
            blank = rest.str.casefold().isin(BLANKS) | rest.str.match(
                r"^0{1,4}-0{1,2}-0{1,2}"
            )
            rest = rest[~blank]
            if len(rest):
                rest = rest.str.replace(r"\s*(?:UTC|GMT)$", "Z", regex=True)
                rest = rest.str.replace(r"\s+([+-]\d{2}:?\d{2})$", r"\1", regex=True)
                again = _iso(rest, tz)
                left = again.isna()
                if left.any():
                    again = again.where(~left, _day_month(rest[left], tz, dayfirst))
                times = times.copy()
                times.loc[again.index] = again
                bad.loc[again.index] = again.isna().to_numpy()
    placeholder = times.notna() & (times.dt.year < FIRST_REAL_YEAR)
    return times.where(~placeholder), bad


def _iso(values: pd.Series, tz: ZoneInfo) -> pd.Series:
    """ISO 8601; a column mixing offsets, or local times and offsets, is split first."""
    try:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    except ValueError:
        aware = values.str.contains(_OFFSET_RE, regex=True, na=False)
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
        if aware.any():
            out.loc[aware] = pd.to_datetime(
                values[aware], format="ISO8601", errors="coerce", utc=True
            ).astype("datetime64[us, UTC]")
        if (~aware).any():
            local = pd.to_datetime(values[~aware], format="ISO8601", errors="coerce")
            out.loc[~aware] = _to_utc(local, tz)
        return out
    return _to_utc(parsed, tz)


def _to_utc(parsed: pd.Series, tz: ZoneInfo) -> pd.Series:
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.astype("datetime64[us]").dt.tz_localize(
            tz,
            # A local time inside the hour repeated when clocks go back: take the first.
            ambiguous=np.ones(len(parsed), dtype=bool),
            nonexistent="shift_forward",
        )
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _day_month(values: pd.Series, tz: ZoneInfo, dayfirst: bool) -> pd.Series:
    """``31/03/2024 14:05``, ``03-31-24 2:05 PM``, ``31.03.2024``: the order from the data.

    A first number above 12 anywhere in the column means day first; a second number above
    12 means month first; when nothing decides, ``dayfirst`` does.
    """
    parts = values.str.extract(_DAY_MONTH_RE)
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    if (first > 12).any():
        dayfirst = True
    elif (second > 12).any():
        dayfirst = False
    day, month = (first, second) if dayfirst else (second, first)
    year = pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    hour = pd.to_numeric(parts[3], errors="coerce").fillna(0)
    meridiem = parts[6].str.lower()
    hour = hour.where(~((meridiem == "pm") & (hour < 12)), hour + 12)
    hour = hour.where(~((meridiem == "am") & (hour == 12)), 0)
    local = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": pd.to_numeric(parts[4], errors="coerce").fillna(0),
                "second": pd.to_numeric(parts[5], errors="coerce").fillna(0),
            },
            index=values.index,
        ),
        errors="coerce",
    )
    return _to_utc(local, tz)


def parse_durations(values: pd.Series, unit: str) -> tuple[pd.Series, pd.Series]:
    """Durations in ``unit``, or as a clock reading ``h:mm[:ss]``, to minutes.

    ``1,5`` is read with a decimal comma, ``1,234`` with a thousands separator.

    :return: (minutes, NaN for blank; mask of cells that are not durations).
    """
    factor = UNIT_FACTORS[unit]
    minutes = pd.to_numeric(values, errors="coerce") * factor
    bad = pd.Series(False, index=values.index)
    todo = minutes.isna() & (values != "")
    if todo.any():
        rest = values[todo].map(clean_cell)
        blank = rest.str.casefold().isin(BLANKS)
        parts = rest.str.extract(r"^(\d+):(\d{2})(?::(\d{2}))?$").astype(float)
        from_clock = parts[0] * 60 + parts[1] + parts[2].fillna(0) / 60
        decimal = rest.where(
            ~rest.str.fullmatch(r"\d+,\d{1,2}").astype(bool), rest.str.replace(",", ".")
        )
        decimal = decimal.where(
            ~rest.str.fullmatch(r"\d{1,3}(,\d{3})+").astype(bool),
            rest.str.replace(",", ""),
        )
        again = from_clock.fillna(pd.to_numeric(decimal, errors="coerce") * factor)
        minutes = minutes.copy()
        minutes.loc[rest.index] = again
        bad.loc[rest.index] = (~blank & again.isna()).to_numpy()
    return minutes, bad


def parse_whole_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (``3``, ``3.0``); blanks are NaN.

    :return: (numbers as float, mask of cells that are not whole numbers).
    """
    codes, results = _distinct(values, _whole_number)
    table = np.array([*results, np.nan], dtype=float)
    number = pd.Series(table[codes], index=values.index)
    unknown = [i for i, r in enumerate(results) if r is None]
    bad = pd.Series(np.isin(codes, unknown), index=values.index)
    return number, bad


def _whole_number(text: str) -> float | None:
    """The number, NaN for blank, ``None`` when not a whole number."""
    if text.casefold() in BLANKS:
        return float("nan")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number.is_integer() else None


# --- fingerprints ------------------------------------------------------------------------


def fingerprints(tickets: pd.DataFrame) -> pd.Series:
    """A 64-bit fingerprint of each ticket's content (:data:`FINGERPRINT_COLUMNS`).

    A re-imported ticket with the same fingerprint is unchanged and is not written again.
    """
    hashed = pd.util.hash_pandas_object(tickets[FINGERPRINT_COLUMNS], index=False)
    return pd.Series(hashed.to_numpy().view(np.int64), index=tickets.index)
