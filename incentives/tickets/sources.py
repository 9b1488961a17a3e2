"""The ticket exports Frontline reads: each tool's columns, words and scales.

PURE: no Flask, no database. One :class:`SourceSpec` per source (Zendesk, Freshdesk,
Frontline's own CSV, or one built from a column mapping for any other tool, see
:mod:`incentives.tickets.mapping`) says where each of our fields lives and how the tool
writes it; :mod:`incentives.tickets.importing` reads every source the same way. What a
spec can say is in :mod:`incentives.tickets.source_spec`, whose names are re-exported here.
"""

from __future__ import annotations

import enum

from incentives.tickets.cells import HOURS, MINUTES, SECONDS
from incentives.tickets.metrics import Channel, Priority
from incentives.tickets.source_spec import (
    CHANNEL_WORDS,
    DURATION_FIELDS,
    PRIORITY_WORDS,
    TIME_FIELDS,
    Field,
    Satisfaction,
    SourceSpec,
    header_names,
    normalise_header,
    normalise_word,
    numeric_scale,
)

__all__ = [
    "CHANNEL_WORDS",
    "DURATION_FIELDS",
    "PRIORITY_WORDS",
    "TIME_FIELDS",
    "Field",
    "Satisfaction",
    "SourceSpec",
    "header_names",
    "normalise_header",
    "normalise_word",
    "numeric_scale",
]  # re-exported: a source is met here first


class Source(enum.StrEnum):
    """The file formats Frontline reads."""

    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    SERVICENOW = "servicenow"
    SALESFORCE = "salesforce"
    INTERCOM = "intercom"
    HELPSCOUT = "helpscout"
    GORGIAS = "gorgias"
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
            Source.HELPSCOUT: "Help Scout conversations export (CSV)",
            Source.GORGIAS: "Gorgias tickets export (CSV)",
            Source.FRONTLINE: "Frontline CSV",
            Source.MAPPED: "Any other tool, with a column mapping (YAML)",
        }[self]


#: Tags review-site integrations put on their tickets.
REVIEW_TAGS = (
    "public_review",
    "review",
    "reviews",
    "trustpilot",
    "google_review",
    "google_reviews",
    "yelp",
    "tripadvisor",
    "feefo",
    "reviews_io",
)

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
    # Review sites come in through "Any Channel" integrations, tagged by the site.
    channel_tags=dict.fromkeys(REVIEW_TAGS, Channel.REVIEW),
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

HELPSCOUT = SourceSpec(
    name="helpscout",
    label="Help Scout",
    # A conversations export (CSV). Help Scout is a US tool: a date such as 03/04/2024 is
    # read month first unless the file says otherwise. Mailboxes are now called inboxes.
    columns={
        Field.TICKET_ID: header_names("Conversation ID", "Conversation Number"),
        Field.AGENT: header_names("Assigned To", "Assignee"),
        Field.GROUP: header_names("Mailbox", "Inbox"),
        Field.CHANNEL: header_names("Type", "Channel"),
        Field.CREATED_AT: header_names("Created At"),
        Field.FIRST_RESPONSE_AT: header_names("First Response At", "First Reply At"),
        Field.SOLVED_AT: header_names("Closed At", "Resolved At"),
        Field.SATISFACTION: header_names("Happiness Rating", "Rating"),
        Field.TAGS: header_names("Tags"),
    },
    # Help Scout's happiness ratings: Great, Okay, Not Good.
    satisfaction=Satisfaction(
        satisfied=frozenset({"great"}),
        unsatisfied=frozenset({"okay", "ok", "not good", "not-good", "bad"}),
        not_rated=frozenset({"not rated", "unrated"}),
        shown="Great, Okay or Not Good",
    ),
    dayfirst=False,
    column_notes={
        name: "Happiness ratings: Great counts as satisfied; Okay and Not Good count as "
        "not satisfied."
        for name in header_names("Happiness Rating", "Rating")
    }
    | {
        normalise_header("First Response Time"): (
            "First Response Time is not read: Frontline measures the first reply from "
            "Created At to First Response At, on its own clock."
        ),
        normalise_header("Resolution Time"): (
            "Resolution Time is not read: Frontline measures resolution from Created At "
            "to Closed At, on its own clock."
        ),
    },
    signature=frozenset(
        header_names(
            "Conversation Number",
            "Assigned To",
            "Mailbox",
            "Inbox",
            "Happiness Rating",
            "Happiness Rating Comment",
            "First Response At",
            "Closed At",
        )
    ),
)

GORGIAS = SourceSpec(
    name="gorgias",
    label="Gorgias",
    # A view's tickets export (CSV). Channels are Gorgias's names (email, chat,
    # facebook-messenger, instagram-comment, sms, contact_form...), read on their words.
    columns={
        Field.TICKET_ID: header_names("Ticket id"),
        Field.AGENT: header_names("Assignee email", "Assignee", "Assignee user"),
        Field.GROUP: header_names("Team", "Assignee team"),
        Field.CHANNEL: header_names("Channel"),
        Field.PRIORITY: header_names("Priority"),
        Field.CREATED_AT: header_names("Created date", "Created datetime"),
        Field.FIRST_RESPONSE_AT: header_names(
            "First response date", "First response datetime"
        ),
        Field.SOLVED_AT: header_names("Closed date", "Closed datetime"),
        Field.SATISFACTION: header_names(
            "Satisfaction survey score", "Survey score", "Satisfaction score"
        ),
        Field.TAGS: header_names("Tags"),
    },
    # Gorgias's satisfaction survey: a score 1 to 5.
    satisfaction=numeric_scale(1, 5, 4),
    channels={
        "help-center": Channel.WEB,
        "help center": Channel.WEB,
    },
    column_notes={
        name: "Satisfaction survey scores: 4 and 5 count as satisfied, 1 to 3 as not "
        "satisfied."
        for name in header_names(
            "Satisfaction survey score", "Survey score", "Satisfaction score"
        )
    }
    | {
        normalise_header("First response time"): (
            "First response time is not read: Frontline measures the first reply from "
            "Created date to First response date, on its own clock."
        ),
        normalise_header("Resolution time"): (
            "Resolution time is not read: Frontline measures resolution from Created "
            "date to Closed date, on its own clock."
        ),
    },
    signature=frozenset(
        header_names(
            "Created date",
            "Created datetime",
            "First response date",
            "First response datetime",
            "Closed date",
            "Closed datetime",
            "Satisfaction survey score",
            "Survey score",
            "Assignee team",
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
    Source.HELPSCOUT: HELPSCOUT,
    Source.GORGIAS: GORGIAS,
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
