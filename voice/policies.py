"""PURE: a policy impact review's states, what a proposal, a comment, a vote and a decision
need, who may do what, and who to retrain after an adopted change.

Leadership, admins or a department's members post a proposed policy or procedure change
for a department, with a date comments close. Everyone signed in comments with the impact on
customers and votes (support, oppose, concerned; one vote a person, changeable while
comments are open). The poster, leadership or an admin records the decision (adopted,
amended or dropped) with a note of what was heard; the review goes from open to decided
and comments close. An adopted or amended policy names the training scenarios and the
authorities it changes, so supervisors see who to retrain.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.access import ORG_WIDE_ROLES, Viewer

MAX_TITLE = 200
MAX_CHANGE = 10_000
MAX_COMMENT = 4000
MAX_NOTE = 4000
#: How far ahead comments may close.
MAX_DAYS_OPEN = 365


class PolicyStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return "Open for comments" if self is PolicyStatus.OPEN else "Decided"


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"
    AMENDED = "amended"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"adopted": "Adopted", "amended": "Adopted as amended"}.get(
            self.value, "Dropped"
        )

    @property
    def changes_work(self) -> bool:
        """Adopted as posted or amended: it changes how reps work."""
        return self is not Outcome.DROPPED


class Vote(enum.StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    CONCERNED = "concerned"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LinkKind(enum.StrEnum):
    SCENARIO = "scenario"
    AUTHORITY = "authority"


def day(value: dt.date) -> str:
    return value.strftime("%d %b %Y")


# --- what each step needs -----------------------------------------------------------------


def proposal_problems(
    title: str,
    change: str,
    closes_on: dt.date | None,
    today: dt.date,
    *,
    was: dt.date | None = None,
) -> dict[str, list[str]]:
    """What is wrong with a proposal's fields, by field.

    :param was: the closing date saved before: an edit may keep it though it is past
        (a new date must be today or later).
    """
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = ["Give the change a short title."]
    elif len(title) > MAX_TITLE:
        problems["title"] = [f"Use at most {MAX_TITLE} characters."]
    if not change.strip():
        problems["change"] = [
            "Say what changes: the policy or procedure as it would be."
        ]
    elif len(change) > MAX_CHANGE:
        problems["change"] = [f"Use at most {MAX_CHANGE:,} characters."]
    if closes_on is None:
        problems["closes_on"] = ["Give the date comments close."]
    elif closes_on < today and closes_on != was:
        problems["closes_on"] = [
            f"Give a date from today ({day(today)}) on: reps need time to comment."
        ]
    elif closes_on > today + dt.timedelta(days=MAX_DAYS_OPEN):
        problems["closes_on"] = [
            f"Give a date within {MAX_DAYS_OPEN} days, by "
            f"{day(today + dt.timedelta(days=MAX_DAYS_OPEN))}."
        ]
    return problems


def comments_open(status: PolicyStatus, closes_on: dt.date, today: dt.date) -> bool:
    """Comments and votes are taken while the review is open, to its closing date."""
    return status is PolicyStatus.OPEN and today <= closes_on


def closed_message(status: PolicyStatus, closes_on: dt.date) -> str:
    if status is PolicyStatus.DECIDED:
        return "The change is decided; comments and votes are closed."
    return f"Comments and votes closed on {day(closes_on)}."


def comment_problems(
    body: str, status: PolicyStatus, closes_on: dt.date, today: dt.date
) -> dict[str, list[str]]:
    if not comments_open(status, closes_on, today):
        return {"": [closed_message(status, closes_on)]}
    if not body.strip():
        return {"body": ["Say how the change would affect customers."]}
    if len(body) > MAX_COMMENT:
        return {"body": [f"Use at most {MAX_COMMENT:,} characters."]}
    return {}


def vote_problems(
    vote: str, status: PolicyStatus, closes_on: dt.date, today: dt.date
) -> dict[str, list[str]]:
    if not comments_open(status, closes_on, today):
        return {"": [closed_message(status, closes_on)]}
    if vote not in {v.value for v in Vote}:
        return {"vote": ["Choose support, oppose or concerned."]}
    return {}


def decision_problems(
    status: PolicyStatus,
    outcome: str,
    note: str,
    closes_on: dt.date,
    today: dt.date,
) -> dict[str, list[str]]:
    """What is wrong with deciding now, by field (``""`` for the decision itself).

    A decision is made once. Adopting or amending waits until comments close, so the
    decision hears everyone; dropping a proposal may come at any time.
    """
    if status is PolicyStatus.DECIDED:
        return {"": ["The change is decided already; a decision is not made twice."]}
    problems: dict[str, list[str]] = {}
    try:
        chosen = Outcome(outcome)
    except ValueError:
        problems["outcome"] = ["Choose adopted, adopted as amended or dropped."]
        chosen = None
    if not note.strip():
        problems["note"] = [
            "Say what was heard and what it changed: everyone who commented reads it."
        ]
    elif len(note) > MAX_NOTE:
        problems["note"] = [f"Use at most {MAX_NOTE:,} characters."]
    if chosen is not None and chosen.changes_work and today <= closes_on:
        problems["outcome"] = [
            f"Comments are open until {day(closes_on)}: adopt or amend it after "
            "they close (a proposal can be dropped at any time)."
        ]
    return problems


def links_problems(
    status: PolicyStatus, outcome: Outcome | None
) -> dict[str, list[str]]:
    """Scenarios and authorities are linked to an adopted (or amended) policy only."""
    if (
        status is not PolicyStatus.DECIDED
        or outcome is None
        or not outcome.changes_work
    ):
        return {
            "": [
                "Only an adopted policy names the training and authorities it changes."
            ]
        }
    return {}


# --- who may do what ----------------------------------------------------------------------


def can_post(
    viewer: Viewer, member_of: Iterable[int], department_id: int | None
) -> bool:
    """Leadership and admins post for any department; a department's members for theirs.
    With ``department_id`` None: may they post for some department?"""
    if viewer.has_any(ORG_WIDE_ROLES):
        return True
    mine = set(member_of)
    return bool(mine) if department_id is None else department_id in mine


def can_edit(viewer: Viewer, author_id: int | None, status: PolicyStatus) -> bool:
    """Only the poster changes the proposal, and only while it is open."""
    return viewer.user_id == author_id and status is PolicyStatus.OPEN


def can_decide(viewer: Viewer, author_id: int | None) -> bool:
    """The poster, leadership or an admin records the decision."""
    return viewer.user_id == author_id or viewer.has_any(ORG_WIDE_ROLES)


def vote_counts(votes: Iterable[Vote]) -> dict[Vote, int]:
    counts = dict.fromkeys(Vote, 0)
    for vote in votes:
        counts[vote] += 1
    return counts


# --- who to retrain -----------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainRow:
    """A rep touched by an adopted change: what they passed or hold that it changes."""

    rep_id: int
    name: str
    passed: tuple[str, ...]
    holds: tuple[str, ...]


def who_to_retrain(
    reps: Sequence[tuple[int, str]],
    passed: Mapping[int, Iterable[str]],
    held: Mapping[int, Iterable[str]],
    scenarios: Mapping[str, str],
    authorities: Mapping[str, str],
) -> list[RetrainRow]:
    """The reps (in the order given) who passed a linked scenario or hold a linked
    authority, each with the titles and names concerned.

    :param passed: rep id -> scenario keys they have passed.
    :param held: rep id -> authority codes they hold now.
    :param scenarios: the linked scenarios, key -> title.
    :param authorities: the linked authorities, code -> name.
    """
    rows = []
    for rep_id, name in reps:
        done = tuple(
            scenarios[k] for k in sorted(set(passed.get(rep_id, ())) & set(scenarios))
        )
        holds = tuple(
            authorities[c] for c in sorted(set(held.get(rep_id, ())) & set(authorities))
        )
        if done or holds:
            rows.append(RetrainRow(rep_id, name, done, holds))
    return rows
