"""How a tool's ticket export is described: our fields, rating scales, :class:`SourceSpec`.

PURE: no Flask, no database. The words every export is read with (channel and priority
names, header and cell normalising) live here too; :mod:`incentives.tickets.sources` holds
each tool's spec and re-exports these names.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from incentives.tickets.cells import BLANKS
from incentives.tickets.metrics import Channel, Priority


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
    #: Whether the ticket met its SLA, as the helpdesk recorded it.
    SLA_MET = "sla_met"


TIME_FIELDS = (Field.CREATED_AT, Field.FIRST_RESPONSE_AT, Field.SOLVED_AT)
DURATION_FIELDS = (
    Field.FIRST_RESPONSE_CALENDAR,
    Field.FIRST_RESPONSE_BUSINESS,
    Field.RESOLUTION_CALENDAR,
    Field.RESOLUTION_BUSINESS,
)


@dataclass(frozen=True)
class Satisfaction:
    """Which satisfaction values count as satisfied, unsatisfied, or no rating at all.

    Values are compared in lower case with spaces collapsed; numbers as numbers
    (``"4.0"`` is ``4``).
    """

    satisfied: frozenset[str]
    unsatisfied: frozenset[str]
    not_rated: frozenset[str] = frozenset()
    #: Numeric scales (low, high) a file may use instead of the words: the first that
    #: holds every number in the file is taken, its top two points counting as satisfied.
    numeric_scales: tuple[tuple[int, int], ...] = ()
    #: What to do about a value on none of these (added to the message).
    way_out: str = ""
    #: The values as the tool's users know them, for messages (else listed from the sets).
    shown: str = ""

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
        if self.shown:
            return self.shown
        shown = sorted(self.satisfied | self.unsatisfied, key=_natural)
        text = ", ".join(shown[:12]) + (", ..." if len(shown) > 12 else "")
        scales = " or ".join(
            f"a score {low}-{high}" for low, high in self.numeric_scales
        )
        return f"{text}, {scales}" if scales else text

    def scale_for(self, numbers: list[float]) -> tuple[int, int, int] | None:
        """(low, high, satisfied from) of the first numeric scale holding every whole
        number of ``numbers`` that is on some scale (the rest are not ratings)."""
        numbers = [
            n
            for n in numbers
            if n.is_integer() and any(lo <= n <= hi for lo, hi in self.numeric_scales)
        ]
        if not numbers:
            return None
        for low, high in self.numeric_scales:
            if all(low <= n <= high for n in numbers):
                return low, high, high - 1
        return None


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
    #: Cell texts that mean "nothing here" in this tool, in any column (ServiceNow's ``?``),
    #: in lower case: cells are compared without case and surrounding spaces.
    nulls: frozenset[str] = frozenset()
    #: An event log (one row per update): the last row of each ticket id wins, in the
    #: order of the first of these columns the file has (else the file's order).
    #: ``None``: a ticket id may appear once only.
    keep_last_by: tuple[str, ...] | None = None
    #: Header names (normalised) that only this tool's export has: a file with at least
    #: two of them given as another source is said to look like this one.
    signature: frozenset[str] = frozenset()
    #: Columns (normalised) and what the report says when a file has one: a column
    #: Frontline does not read, or how it reads one (a rating's words). A text two
    #: columns share is said once.
    column_notes: Mapping[str, str] = field(default_factory=dict)
    #: Time columns name their zone in the header (``Created at (Europe/Paris)``): the
    #: times are read in it.
    zone_in_headers: bool = False
    #: Time fields whose date and time of day are in two columns: the time's column
    #: (normalised); the date's is the field's own in ``columns``.
    time_columns: Mapping[Field, str] = field(default_factory=dict)
    #: Fields with one value for every ticket of the file (``channel: email``).
    constants: Mapping[Field, str] = field(default_factory=dict)
    #: Tags (lower case) that give a ticket its channel when the channel column does not
    #: (no column, a blank cell, or a channel we file under "other").
    channel_tags: Mapping[str, Channel] = field(default_factory=dict)
    #: Other columns (normalised) the file must have: those a mapping names for a time
    #: of day or for ordering an event log's rows.
    required_columns: frozenset[str] = frozenset()

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


def header_names(*names: str) -> tuple[str, ...]:
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
