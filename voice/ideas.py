"""PURE: an improvement idea's states and moves, what a move needs, who submits, edits and
triages, what the author is told, and a month's bounds for reading what was decided.

An idea goes under review -> planned -> adopted, or is declined (with a reason the author
reads) from under review or planned; it may also be adopted straight from under review.
Adopted and declined are final.

Triage: leadership and admins triage every idea; a supervisor triages the ideas of the
reps of the teams they supervise, and ideas whose author has no team (nobody else would
see them); nobody triages their own idea.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.access import ORG_WIDE_ROLES, Role, Viewer

MAX_TITLE = 200
MAX_BODY = 10_000
MAX_REASON = 2000


class IdeaStatus(enum.StrEnum):
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    ADOPTED = "adopted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return IDEA_LABELS[self]

    @property
    def is_open(self) -> bool:
        return bool(TRANSITIONS[self])


IDEA_LABELS = {
    IdeaStatus.UNDER_REVIEW: "Under review",
    IdeaStatus.PLANNED: "Planned",
    IdeaStatus.ADOPTED: "Adopted",
    IdeaStatus.DECLINED: "Declined",
}

TRANSITIONS: dict[IdeaStatus, frozenset[IdeaStatus]] = {
    IdeaStatus.UNDER_REVIEW: frozenset(
        {IdeaStatus.PLANNED, IdeaStatus.ADOPTED, IdeaStatus.DECLINED}
    ),
    IdeaStatus.PLANNED: frozenset({IdeaStatus.ADOPTED, IdeaStatus.DECLINED}),
    IdeaStatus.ADOPTED: frozenset(),
    IdeaStatus.DECLINED: frozenset(),
}

#: The decisions a month's summary lists.
DECISIONS = (IdeaStatus.ADOPTED, IdeaStatus.PLANNED, IdeaStatus.DECLINED)


def next_statuses(current: IdeaStatus) -> list[IdeaStatus]:
    return [s for s in IdeaStatus if s in TRANSITIONS[current]]


def idea_problems(title: str, body: str) -> dict[str, list[str]]:
    """What is wrong with an idea's words, by field."""
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = ["Give the idea a short title."]
    elif len(title) > MAX_TITLE:
        problems["title"] = [f"Use at most {MAX_TITLE} characters."]
    if not body.strip():
        problems["body"] = ["Say what you would change and why it would help."]
    elif len(body) > MAX_BODY:
        problems["body"] = [f"Use at most {MAX_BODY:,} characters."]
    return problems


def triage_problems(
    current: IdeaStatus, target: IdeaStatus, reason: str
) -> dict[str, list[str]]:
    """What is wrong with moving an idea from ``current`` to ``target``, by field
    (``""`` for the move itself)."""
    if target == current:
        return {"": [f"The idea is already {current.label.lower()}."]}
    if target not in TRANSITIONS[current]:
        if not current.is_open:
            message = f"The idea is {current.label.lower()}; that decision is final."
        else:
            allowed = ", ".join(s.label.lower() for s in next_statuses(current))
            message = (
                f"An idea that is {current.label.lower()} cannot be moved to "
                f"{target.label.lower()}; it can be moved to {allowed}."
            )
        return {"": [message]}
    if target is IdeaStatus.DECLINED and not reason.strip():
        return {"reason": ["Say why it is declined: the author reads the reason."]}
    if len(reason) > MAX_REASON:
        return {"reason": [f"Use at most {MAX_REASON:,} characters."]}
    return {}


# --- who may do what ----------------------------------------------------------------------

#: Who submits ideas.
SUBMITTING_ROLES = frozenset({Role.REP, Role.SUPERVISOR})
#: Who triages some ideas (see :func:`can_triage` for which).
TRIAGE_ROLES = frozenset({Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN})


def can_submit(viewer: Viewer) -> bool:
    return viewer.has_any(SUBMITTING_ROLES)


def can_edit(viewer: Viewer, author_id: int | None, status: IdeaStatus) -> bool:
    """Only the author changes an idea, and only while it is under review."""
    return viewer.user_id == author_id and status is IdeaStatus.UNDER_REVIEW


def can_triage(
    viewer: Viewer, author_id: int | None, author_team_id: int | None
) -> bool:
    """Leadership and admins: every idea. A supervisor: ideas by reps of the teams they
    supervise, and ideas whose author has no team. Never one's own idea."""
    if viewer.user_id == author_id:
        return False
    if viewer.has_any(ORG_WIDE_ROLES):
        return True
    return Role.SUPERVISOR in viewer.roles and (
        author_team_id is None or author_team_id in viewer.supervised_team_ids
    )


# --- what the author is told --------------------------------------------------------------


@dataclass(frozen=True)
class IdeaStep:
    idea_id: int
    title: str
    status: IdeaStatus
    reason: str = ""

    def subject(self) -> str:
        return f"Your idea #{self.idea_id}: {self.status.label.lower()}"

    def body(self, name: str, link: str) -> str:
        lines = [
            f"Hello {name},",
            "",
            f'Your idea "{self.title}" is now {self.status.label.lower()}.',
        ]
        if self.status is IdeaStatus.ADOPTED:
            lines += ["", "Thank you: it is credited on your scorecard this month."]
        if self.reason:
            label = "Why" if self.status is IdeaStatus.DECLINED else "A note"
            lines += ["", f"{label}: {self.reason}"]
        lines += ["", f"See it here: {link}", ""]
        return "\n".join(lines)


# --- months -------------------------------------------------------------------------------


def month_bounds(month: str, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """``YYYY-MM``'s first instant and the next month's, in UTC, as the month runs in
    ``tz``.

    :raises ValueError: not a month.
    """
    parts = month.split("-")
    if len(month) != 7 or len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a month: {month!r}")
    year, number = int(parts[0]), int(parts[1])
    if not 1 <= number <= 12 or year < 1:
        raise ValueError(f"not a month: {month!r}")
    start = dt.datetime(year, number, 1, tzinfo=tz)
    days = calendar.monthrange(year, number)[1]
    end = (start.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
