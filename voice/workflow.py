"""PURE: a problem report's states and moves, what each move needs, who may do what, and
when an unacknowledged report escalates.

A report moves new -> acknowledged -> in progress -> fixed, won't fix (with a reason the
reporter reads) or duplicate (of another report). The department's members make the moves;
the reporter edits the report while it is open; everyone signed in reads every report.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from core.access import ORG_WIDE_ROLES, Role, Viewer

MAX_REASON = 2000


def counted(count: int, word: str, plural: str | None = None) -> str:
    """``1 ticket``, ``3 tickets``, ``2 replies`` (with ``plural``)."""
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


class ProblemStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    WONT_FIX = "wont_fix"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


STATUS_LABELS = {
    ProblemStatus.NEW: "New",
    ProblemStatus.ACKNOWLEDGED: "Acknowledged",
    ProblemStatus.IN_PROGRESS: "In progress",
    ProblemStatus.FIXED: "Fixed",
    ProblemStatus.WONT_FIX: "Won't fix",
    ProblemStatus.DUPLICATE: "Duplicate",
}
OPEN_STATUSES = frozenset(
    {ProblemStatus.NEW, ProblemStatus.ACKNOWLEDGED, ProblemStatus.IN_PROGRESS}
)
CLOSED_STATUSES = frozenset(ProblemStatus) - OPEN_STATUSES

#: The moves allowed from each state. A closed report stays closed.
TRANSITIONS: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    ProblemStatus.NEW: frozenset(
        {ProblemStatus.ACKNOWLEDGED, ProblemStatus.WONT_FIX, ProblemStatus.DUPLICATE}
    ),
    ProblemStatus.ACKNOWLEDGED: frozenset(
        {
            ProblemStatus.IN_PROGRESS,
            ProblemStatus.FIXED,
            ProblemStatus.WONT_FIX,
            ProblemStatus.DUPLICATE,
        }
    ),
    ProblemStatus.IN_PROGRESS: frozenset(
        {ProblemStatus.FIXED, ProblemStatus.WONT_FIX, ProblemStatus.DUPLICATE}
    ),
    ProblemStatus.FIXED: frozenset(),
    ProblemStatus.WONT_FIX: frozenset(),
    ProblemStatus.DUPLICATE: frozenset(),
}


class Category(enum.StrEnum):
    PRODUCT = "product"
    SHIPPING = "shipping"
    BILLING = "billing"
    POLICY = "policy"
    PUBLIC_REVIEW = "public_review"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.PRODUCT: "Product defect",
    Category.SHIPPING: "Shipping mishap",
    Category.BILLING: "Billing or payment",
    Category.POLICY: "A policy that hurts customers",
    Category.PUBLIC_REVIEW: "Negative public review",
    Category.OTHER: "Something else",
}


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def move_problems(
    current: ProblemStatus,
    target: ProblemStatus,
    *,
    reason: str = "",
    duplicate_of: int | None = None,
    report_id: int | None = None,
    duplicate_is_known: bool = True,
) -> dict[str, list[str]]:
    """What is wrong with moving a report from ``current`` to ``target``, by field
    (``""`` for the move itself); empty when the move may be made.

    :param duplicate_is_known: whether ``duplicate_of`` names a report that exists.
    """
    problems: dict[str, list[str]] = {}
    if target == current:
        problems[""] = [f"The report is already {current.label.lower()}."]
        return problems
    if target not in TRANSITIONS[current]:
        if current in CLOSED_STATUSES:
            message = (
                f"The report is closed ({current.label.lower()}); "
                "it cannot be moved any more."
            )
        else:
            allowed = ", ".join(s.label.lower() for s in next_statuses(current))
            message = (
                f"A report that is {current.label.lower()} cannot be moved to "
                f"{target.label.lower()}; it can be moved to {allowed}."
            )
        problems[""] = [message]
        return problems
    if target == ProblemStatus.WONT_FIX and not reason.strip():
        problems["reason"] = [
            "Say why it will not be fixed: the reporter reads the reason."
        ]
    if len(reason) > MAX_REASON:
        problems["reason"] = [f"Use at most {MAX_REASON} characters."]
    if target == ProblemStatus.DUPLICATE:
        if duplicate_of is None:
            problems["duplicate_of"] = ["Give the number of the report this repeats."]
        elif duplicate_of == report_id:
            problems["duplicate_of"] = ["A report cannot repeat itself."]
        elif not duplicate_is_known:
            problems["duplicate_of"] = [f"There is no report number {duplicate_of}."]
    return problems


def next_statuses(current: ProblemStatus) -> list[ProblemStatus]:
    """The moves allowed from ``current``, in workflow order."""
    return [s for s in ProblemStatus if s in TRANSITIONS[current]]


# --- who may do what ----------------------------------------------------------------------

#: Who may file a report or join one with a "+1".
REPORTING_ROLES = frozenset({Role.REP, Role.SUPERVISOR})
#: Who reads every department's reaction figures.
REACTION_ROLES = frozenset({Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR})


def can_report(viewer: Viewer) -> bool:
    return viewer.has_any(REPORTING_ROLES)


def can_edit_report(viewer: Viewer, reporter_id: int, status: ProblemStatus) -> bool:
    """Only the reporter edits their report, and only while it is open."""
    return viewer.user_id == reporter_id and status.is_open


def can_support(viewer: Viewer, reporter_id: int, status: ProblemStatus) -> bool:
    """A "+1" with tickets: anyone who may report, on someone else's open report."""
    return can_report(viewer) and viewer.user_id != reporter_id and status.is_open


def can_act_on(viewer: Viewer, member_ids: frozenset[int]) -> bool:
    """Only the department's members (owner, deputies, members) move its reports."""
    return viewer.user_id in member_ids


def can_see_reaction(viewer: Viewer, member_ids: frozenset[int]) -> bool:
    """A department's figures: admins, leadership, supervisors and its own members."""
    return viewer.has_any(REACTION_ROLES) or viewer.user_id in member_ids


def sees_everything(viewer: Viewer) -> bool:
    return viewer.has_any(ORG_WIDE_ROLES)


# --- escalation ---------------------------------------------------------------------------


class Escalation(enum.IntEnum):
    """How far an unacknowledged report has gone up."""

    NONE = 0
    OWNER = 1
    LEADERSHIP = 2


def escalation_due(
    *,
    status: ProblemStatus,
    created_at: dt.datetime,
    level: Escalation,
    target_hours: int,
    at: dt.datetime,
) -> Escalation | None:
    """The level a new report should now be escalated to, or ``None`` if none.

    Past the department's acknowledgement target the owner is told; past twice the
    target, leadership. Each level is told once; an acknowledged report never escalates.
    """
    if status != ProblemStatus.NEW:
        return None
    waited = at - created_at
    target = dt.timedelta(hours=target_hours)
    if waited >= 2 * target and level < Escalation.LEADERSHIP:
        return Escalation.LEADERSHIP
    if waited >= target and level < Escalation.OWNER:
        return Escalation.OWNER
    return None


@dataclass(frozen=True)
class Step:
    """One move as the reporter is told it."""

    report_id: int
    title: str
    status: ProblemStatus
    department: str
    reason: str = ""
    duplicate_of: int | None = None

    def subject(self) -> str:
        return f"Your problem report #{self.report_id}: {self.status.label.lower()}"

    def body(self, name: str, link: str) -> str:
        lines = [
            f"Hello {name},",
            "",
            f'{self.department} moved your report "{self.title}" to '
            f"{self.status.label.lower()}.",
        ]
        if self.reason:
            lines += ["", f"Their reason: {self.reason}"]
        if self.duplicate_of is not None:
            lines += ["", f"It repeats report #{self.duplicate_of}, where it goes on."]
        lines += ["", f"See it here: {link}", ""]
        return "\n".join(lines)


# --- what a report names ------------------------------------------------------------------

MAX_TICKET_ID = 64
MAX_TICKETS = 50
MAX_TITLE = 200
MAX_STORY = 10_000


def ticket_ids(text: str) -> tuple[list[str], list[str]]:
    """The helpdesk ticket ids in ``text`` (apart by commas, spaces or lines; a leading
    ``#`` dropped), each once in the order given, and what is wrong with them."""
    ids: list[str] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        value = part.lstrip("#")
        if value and value not in ids:
            ids.append(value)
    errors = []
    too_long = [v for v in ids if len(v) > MAX_TICKET_ID]
    if too_long:
        errors.append(
            f"A ticket id has at most {MAX_TICKET_ID} characters: "
            f"{too_long[0][:20]}... is longer."
        )
    if len(ids) > MAX_TICKETS:
        errors.append(f"Give at most {MAX_TICKETS} ticket ids at a time.")
    return ids, errors


def report_problems(title: str, story: str) -> dict[str, list[str]]:
    """What is wrong with a report's words, by field."""
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = ["Give the problem a short title."]
    elif len(title) > MAX_TITLE:
        problems["title"] = [f"Use at most {MAX_TITLE} characters."]
    if not story.strip():
        problems["story"] = [
            "Tell the customer's story: what happened to them, in your words."
        ]
    elif len(story) > MAX_STORY:
        problems["story"] = [f"Use at most {MAX_STORY:,} characters."]
    return problems


def unknown_tickets_warning(unknown: list[str]) -> str:
    """The words for ticket ids no import has (kept as text)."""
    if not unknown:
        return ""
    names = ", ".join(unknown[:10]) + (" and more" if len(unknown) > 10 else "")
    if len(unknown) == 1:
        return f"Ticket {names} is not among the imported tickets; it is kept as text."
    return f"Tickets {names} are not among the imported tickets; they are kept as text."
