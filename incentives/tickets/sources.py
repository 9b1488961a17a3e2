"""The ticket exports Frontline reads: each tool's columns, words and scales.

PURE: no Flask, no database. One :class:`SourceSpec` per source (Zendesk, Freshdesk,
Frontline's own CSV, or one built from a column mapping for any other tool, see
:mod:`incentives.tickets.mapping`) says where each of our fields lives and how the tool
writes it; :mod:`incentives.tickets.importing` reads every source the same way.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from incentives.tickets.cells import BLANKS, HOURS, MINUTES, SECONDS
from incentives.tickets.metrics import Channel, Priority


class Source(enum.StrEnum):
    """The file formats Frontline reads."""

    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    SERVICENOW = "servicenow"
    SALESFORCE = "salesforce"
    INTERCOM = "intercom"
    FRONTLINE = "frontline"
    MAPPED = "mapped"

    @property
    def label(self) -> str:
        return {
            Source.ZENDESK: "Zendesk ticket export (CSV)",
            Source.FRESHDESK: "Freshdesk ticket export (CSV)",
            Source.SERVICENOW: "ServiceNow incidents or incident event log (CSV)",
            Source.SALESFORCE: "Salesforce cases: a Case report or Data Export (CSV)",
            Source.INTERCOM: "Intercom conversations report export (CSV)",
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
    #: Cell texts that mean "nothing here" in this tool, in any column (ServiceNow's ``?``).
    nulls: frozenset[str] = frozenset()
    #: An event log (one row per update): the last row of each ticket id wins, in the
    #: order of the first of these columns the file has (else the file's order).
    #: ``None``: a ticket id may appear once only.
    keep_last_by: tuple[str, ...] | None = None
    #: Header names (normalised) that only this tool's export has: a file with at least
    #: two of them given as another source is said to look like this one.
    signature: frozenset[str] = frozenset()
    #: Columns (normalised) this tool exports that Frontline does not read, and what the
    #: report says when a file has one.
    column_notes: Mapping[str, str] = field(default_factory=dict)
    #: Time columns name their zone in the header (``Created at (Europe/Paris)``): the
    #: times are read in it.
    zone_in_headers: bool = False

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

ZENDESK = SourceSpec(
    name="zendesk",
    label="Zendesk",
    columns={
        Field.TICKET_ID: header_names("Id", "Ticket ID"),
        Field.AGENT: header_names("Assignee email", "Assignee"),
        Field.GROUP: header_names("Group"),
        Field.CHANNEL: header_names("Via", "Channel"),
        Field.PRIORITY: header_names("Priority"),
        Field.CREATED_AT: header_names("Created at"),
        Field.SOLVED_AT: header_names("Solved at"),
        Field.FIRST_RESPONSE_CALENDAR: header_names("First reply time in minutes"),
        Field.FIRST_RESPONSE_BUSINESS: header_names(
            "First reply time in minutes within business hours"
        ),
        Field.RESOLUTION_CALENDAR: header_names("Full resolution time in minutes"),
        Field.RESOLUTION_BUSINESS: header_names(
            "Full resolution time in minutes within business hours"
        ),
        Field.REOPENS: header_names("Reopens"),
        Field.SATISFACTION: header_names("Satisfaction Score", "Satisfaction rating"),
        Field.TAGS: header_names("Tags"),
    },
    satisfaction=Satisfaction(
        satisfied=frozenset({"good", "goodwithcomment", "good with comment"}),
        unsatisfied=frozenset({"bad", "badwithcomment", "bad with comment"}),
        not_rated=frozenset({"offered", "unoffered", "not offered"}),
        numeric_scales=((1, 5), (0, 10)),
        shown="Good, Bad, Offered, Unoffered, or a score 1-5 or 0-10",
        way_out=(
            "for another scale, import the file as 'mapped' with a column mapping "
            "whose satisfaction gives it (e.g. scale: 1-7, satisfied_from: 6)"
        ),
    ),
    duration_units=dict.fromkeys(DURATION_FIELDS, MINUTES),
    signature=frozenset(
        header_names(
            "Via",
            "Satisfaction Score",
            "Requester",
            "Group stations",
            "Assignee stations",
            "First reply time in minutes",
            "Full resolution time in minutes",
            "Full resolution time in minutes within business hours",
        )
    ),
)

FRESHDESK = SourceSpec(
    name="freshdesk",
    label="Freshdesk",
    columns={
        Field.TICKET_ID: header_names("Ticket ID", "Id"),
        Field.AGENT: header_names("Agent email", "Agent"),
        Field.GROUP: header_names("Group"),
        Field.CHANNEL: header_names("Source"),
        Field.PRIORITY: header_names("Priority"),
        Field.CREATED_AT: header_names("Created time"),
        Field.FIRST_RESPONSE_AT: header_names("Initial response time"),
        Field.SOLVED_AT: header_names("Resolved time", "Closed time"),
        # Freshdesk measures these against the SLA policy, i.e. in business hours.
        Field.FIRST_RESPONSE_BUSINESS: header_names("First response time (in hrs)"),
        Field.RESOLUTION_BUSINESS: header_names("Resolution time (in hrs)"),
        Field.SATISFACTION: header_names("Survey results", "Satisfaction rating"),
        Field.TAGS: header_names("Tags"),
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
    signature=frozenset(
        header_names(
            "Created time",
            "Resolved time",
            "Closed time",
            "Initial response time",
            "Survey results",
            "First response time (in hrs)",
            "Resolution time (in hrs)",
            "Agent interactions",
            "Customer interactions",
            "Due by Time",
        )
    ),
)

SERVICENOW = SourceSpec(
    name="servicenow",
    label="ServiceNow",
    # The incident list's CSV export names columns by field (``assigned_to``); the
    # labels (``Assigned to``) are read too. The incident event log has a row per update.
    columns={
        Field.TICKET_ID: header_names("number"),
        Field.AGENT: header_names("assigned_to", "Assigned to", "resolved_by"),
        Field.GROUP: header_names("assignment_group", "Assignment group"),
        Field.CHANNEL: header_names("contact_type", "Channel", "Contact type"),
        Field.PRIORITY: header_names("priority"),
        Field.CREATED_AT: header_names(
            "opened_at", "Opened", "sys_created_at", "sys_created_on"
        ),
        Field.SOLVED_AT: header_names("resolved_at", "Resolved", "closed_at", "Closed"),
        Field.REOPENS: header_names("reopen_count", "Reopen count"),
        Field.SLA_MET: header_names("made_sla", "Made SLA"),
    },
    # ServiceNow has no satisfaction field on the incident.
    satisfaction=Satisfaction(frozenset(), frozenset()),
    dayfirst=True,
    nulls=frozenset({"?"}),
    keep_last_by=header_names(
        "sys_mod_count", "sys_updated_at", "sys_updated_on", "Updated"
    ),
    channels={
        "self-service": Channel.WEB,
        "self service": Channel.WEB,
        "virtual agent": Channel.CHAT,
        "direct opening": Channel.OTHER,
        "walk-in": Channel.OTHER,
        "walk in": Channel.OTHER,
    },
    priorities={
        "1 - critical": Priority.URGENT,
        "2 - high": Priority.HIGH,
        "3 - moderate": Priority.NORMAL,
        "4 - low": Priority.LOW,
        "5 - planning": Priority.LOW,
        "moderate": Priority.NORMAL,
        "planning": Priority.LOW,
        "5": Priority.LOW,
    },
    signature=frozenset(
        header_names(
            "number",
            "assigned_to",
            "assignment_group",
            "opened_at",
            "resolved_at",
            "contact_type",
            "sys_mod_count",
            "sys_updated_at",
            "incident_state",
            "made_sla",
            "caller_id",
        )
    ),
)

SALESFORCE = SourceSpec(
    name="salesforce",
    label="Salesforce",
    # A Case report exported as CSV has the field labels ("Case Number", "Case Owner"
    # as a name); Setup's Data Export (Case.csv) and Data Loader have the API names
    # ("CaseNumber", "OwnerId" as a user id, which is mapped to a rep like a name).
    columns={
        Field.TICKET_ID: header_names("Case Number", "CaseNumber"),
        Field.AGENT: header_names("Case Owner", "OwnerId", "Owner ID"),
        Field.CHANNEL: header_names("Case Origin", "Origin"),
        Field.PRIORITY: header_names("Priority"),
        Field.CREATED_AT: header_names(
            "Date/Time Opened", "CreatedDate", "Created Date", "Opened Date"
        ),
        Field.SOLVED_AT: header_names("Date/Time Closed", "ClosedDate", "Closed Date"),
    },
    # The Case object has no satisfaction field.
    satisfaction=Satisfaction(frozenset(), frozenset()),
    signature=frozenset(
        header_names(
            "Case Number",
            "CaseNumber",
            "Case Origin",
            "Case Owner",
            "OwnerId",
            "Date/Time Opened",
            "Date/Time Closed",
            "CreatedDate",
            "ClosedDate",
            "IsClosed",
            "IsEscalated",
            "Case Reason",
        )
    ),
)

INTERCOM = SourceSpec(
    name="intercom",
    label="Intercom",
    # Reports > a conversations report > Export CSV. Time columns carry the workspace's
    # zone in their header: "Conversation started at (Europe/London)".
    columns={
        Field.TICKET_ID: header_names("Conversation ID"),
        Field.AGENT: header_names("Teammate currently assigned"),
        Field.GROUP: header_names("Team currently assigned"),
        Field.CHANNEL: header_names("Channel"),
        Field.PRIORITY: header_names("Conversation priority"),
        Field.CREATED_AT: header_names(
            "Conversation started at", "Conversation created at"
        ),
        Field.FIRST_RESPONSE_AT: header_names("Conversation first replied at"),
        Field.SOLVED_AT: header_names(
            "Conversation last closed at", "Conversation first closed at"
        ),
        Field.FIRST_RESPONSE_CALENDAR: header_names("First response time (seconds)"),
        Field.FIRST_RESPONSE_BUSINESS: header_names(
            "First response time, only within office hours (seconds)"
        ),
        Field.RESOLUTION_CALENDAR: header_names("Time to close (seconds)"),
        Field.RESOLUTION_BUSINESS: header_names(
            "Time to close, within office hours (seconds)"
        ),
        Field.SATISFACTION: header_names("Last teammate rating"),
        Field.TAGS: header_names("Conversation tag"),
    },
    # Intercom's conversation rating: 1 (terrible) to 5 (amazing).
    satisfaction=numeric_scale(1, 5, 4),
    duration_units=dict.fromkeys(DURATION_FIELDS, SECONDS),
    zone_in_headers=True,
    priorities={
        "priority": Priority.HIGH,
        "priority conversation": Priority.HIGH,
        "not priority": Priority.NORMAL,
        "not_priority": Priority.NORMAL,
        "none": Priority.NORMAL,
    },
    signature=frozenset(
        header_names(
            "Conversation ID",
            "Teammate currently assigned",
            "Team currently assigned",
            "Current conversation state",
            "Last teammate rating",
            "Conversation first replied at",
            "Conversation started at",
            "Fin AI Agent involved",
            "Conversation tag",
        )
    ),
)

FRONTLINE = SourceSpec(
    name="frontline",
    label="Frontline",
    columns={
        Field.TICKET_ID: header_names("ticket_id"),
        Field.AGENT: header_names("agent_email"),
        Field.GROUP: header_names("group"),
        Field.CHANNEL: header_names("channel"),
        Field.PRIORITY: header_names("priority"),
        Field.CREATED_AT: header_names("created_at"),
        Field.FIRST_RESPONSE_AT: header_names("first_response_at"),
        Field.SOLVED_AT: header_names("solved_at"),
        Field.REOPENS: header_names("reopens"),
        Field.SATISFACTION: header_names("csat"),
        Field.NPS: header_names("nps"),
        Field.TAGS: header_names("tags"),
        Field.SLA_MET: header_names("sla_met"),
    },
    satisfaction=Satisfaction(
        satisfied=frozenset({"good", "satisfied", "4", "5"}),
        unsatisfied=frozenset({"bad", "unsatisfied", "1", "2", "3"}),
    ),
    required=frozenset({Field.TICKET_ID, Field.CHANNEL, Field.CREATED_AT}),
    strict_channels=True,
    signature=frozenset(
        header_names("agent_email", "first_response_at", "csat", "nps")
    ),
)

#: The built-in formats (the mapped one is built from its YAML file).
SPECS = {
    Source.ZENDESK: ZENDESK,
    Source.FRESHDESK: FRESHDESK,
    Source.SERVICENOW: SERVICENOW,
    Source.SALESFORCE: SALESFORCE,
    Source.INTERCOM: INTERCOM,
    Source.FRONTLINE: FRONTLINE,
}

#: Frontline's CSV columns, in the order our exports and the docs use. A file may also
#: have ``group`` and ``sla_met`` (the helpdesk's own SLA outcome).
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
