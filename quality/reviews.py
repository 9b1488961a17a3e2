"""A review's life: its states, who reviews whom, who may decide a dispute, which reviews
count in a rep's month, and when a sample is due.

PURE: plain data in, plain data out; no Flask, no database.

A sampled ticket is a **draft** review assigned to a reviewer (the rep's supervisor by
default, never the rep). The reviewer saves it as often as they like and **submits** it
once: it is final. The rep **acknowledges** it, or **disputes** it with a reason; someone
other than the reviewer and the rep then **decides**: upheld (it counts) or withdrawn (it
no longer counts in the rep's month).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return {
            ReviewState.DRAFT: "Draft",
            ReviewState.SUBMITTED: "Submitted",
            ReviewState.ACKNOWLEDGED: "Acknowledged",
            ReviewState.DISPUTED: "Disputed",
            ReviewState.DECIDED: "Dispute decided",
        }[self]


class Decision(enum.StrEnum):
    UPHELD = "upheld"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            Decision.UPHELD: "Upheld: the review stands",
            Decision.WITHDRAWN: "Withdrawn: the review no longer counts",
        }[self]


#: States the rep sees (a draft is the reviewer's own until submitted).
SHOWN_TO_REP = frozenset(
    {
        ReviewState.SUBMITTED,
        ReviewState.ACKNOWLEDGED,
        ReviewState.DISPUTED,
        ReviewState.DECIDED,
    }
)
#: Days after a month's end that its sample is due, unless told otherwise.
DUE_DAYS = 14


def default_reviewer(rep_id: int, supervisor_ids: Sequence[int]) -> int | None:
    """The reviewer of a rep's sample: their team's first supervisor who is not the rep
    (lowest id, so the choice is stable); ``None`` when the team has none."""
    others = sorted(s for s in supervisor_ids if s != rep_id)
    return others[0] if others else None


def reviewer_problem(reviewer_id: int | None, rep_id: int) -> str | None:
    """Why this person cannot review this rep's ticket, or ``None``."""
    if reviewer_id is None:
        return "Nobody supervises this rep's team, so nobody can review it."
    if reviewer_id == rep_id:
        return "Nobody reviews their own tickets."
    return None


def outside_reviewer_problem(
    reviewer_id: int, rep_id: int, *, supervises_rep: bool, active: bool
) -> str | None:
    """Why this person cannot be named as the reviewer of a review done elsewhere (the
    API), or ``None``: as on the pages, a supervisor of the rep's team, never the rep."""
    if reviewer_id == rep_id:
        return "Nobody reviews their own tickets."
    if not active:
        return "This reviewer's account is switched off."
    if not supervises_rep:
        return "Only a supervisor of the rep's team reviews the rep's tickets."
    return None


def edit_problem(state: ReviewState, reviewer_id: int, user_id: int) -> str | None:
    """Why this user may not change this review, or ``None``."""
    if user_id != reviewer_id:
        return "Only the assigned reviewer changes a review."
    if state is not ReviewState.DRAFT:
        return "This review was submitted; a submitted review is final."
    return None


def rep_action_problem(state: ReviewState, action: str) -> str | None:
    """Why the rep cannot acknowledge or dispute now (``action``: acknowledge, dispute)."""
    if state is ReviewState.SUBMITTED:
        return None
    if state is ReviewState.ACKNOWLEDGED and action == "dispute":
        return None
    if state is ReviewState.DRAFT:
        return "This review is not submitted yet."
    if state is ReviewState.ACKNOWLEDGED:
        return "You have acknowledged this review already."
    if state is ReviewState.DISPUTED:
        return "You have disputed this review; it waits for a decision."
    return "The dispute about this review has been decided."


def decide_problem(
    state: ReviewState,
    *,
    decider_id: int,
    reviewer_id: int,
    rep_id: int,
    may_act: bool,
) -> str | None:
    """Why this person may not decide the dispute, or ``None``.

    :param may_act: the person is an admin, or supervises the rep's team.
    """
    if state is not ReviewState.DISPUTED:
        return (
            "This dispute has been decided already."
            if state is ReviewState.DECIDED
            else "This review is not disputed."
        )
    if decider_id == reviewer_id:
        return "The reviewer cannot decide a dispute about their own review."
    if decider_id == rep_id:
        return "Nobody decides a dispute about their own ticket."
    if not may_act:
        return "Only an admin or a supervisor of the rep's team decides disputes."
    return None


#: States whose reviews count in the rep's month score as they are...
COUNTED_STATES = (ReviewState.SUBMITTED, ReviewState.ACKNOWLEDGED)
#: ... and the decision that makes a decided one count.
COUNTED_DECISION = Decision.UPHELD


def counts(state: ReviewState, decision: Decision | None) -> bool:
    """Does a review count in the rep's month score? Submitted ones do, unless a dispute
    is pending (it waits for the decision) or was decided by withdrawing the review."""
    if state in COUNTED_STATES:
        return True
    return state is ReviewState.DECIDED and decision is COUNTED_DECISION


def due_on(month: str, days: int = DUE_DAYS) -> dt.date:
    """The date a month's sample is due: ``days`` after the month's last day."""
    year, number = (int(part) for part in month.split("-"))
    last = calendar.monthrange(year, number)[1]
    return dt.date(year, number, last) + dt.timedelta(days=days)


def is_overdue(state: ReviewState, due: dt.date, today: dt.date) -> bool:
    return state is ReviewState.DRAFT and today > due
