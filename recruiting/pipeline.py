"""The hiring pipeline as plain rules: stages and moves, invitation states, duplicates,
blind review, scorecard visibility and retention dates.

Expected "no" answers come back as values (:class:`Check`), so views and the API can show
the reason as it is. Nothing here touches Flask or the database.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Stage(enum.StrEnum):
    """Where a candidate stands. The first six are the road to a hire, in order."""

    APPLIED = "applied"
    SCREENING = "screening"
    ASSESSED = "assessed"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STAGES

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STAGES


#: Stages of a candidate still in the running, in pipeline order.
ACTIVE_STAGES: tuple[Stage, ...] = (
    Stage.APPLIED,
    Stage.SCREENING,
    Stage.ASSESSED,
    Stage.INTERVIEW,
    Stage.OFFER,
)
#: Stages that end a candidacy; test links stop working in them.
CLOSED_STAGES: tuple[Stage, ...] = (Stage.HIRED, Stage.REJECTED, Stage.WITHDRAWN)
#: The columns of the pipeline board.
BOARD_STAGES: tuple[Stage, ...] = (*ACTIVE_STAGES, *CLOSED_STAGES)
#: Stages whose candidates' personal data is erased after the retention period.
RETAINED_STAGES: tuple[Stage, ...] = (Stage.REJECTED, Stage.WITHDRAWN)
#: A closed candidacy that may be reopened goes back to this stage.
REOPEN_STAGE = Stage.SCREENING


@dataclass(frozen=True)
class Check:
    """The answer to "may this happen?": ``allowed``, or the reason it may not."""

    allowed: bool
    reason: str = ""
    #: The input the reason is about ("reason" when one must be given), if any.
    field: str = ""

    def __bool__(self) -> bool:
        return self.allowed


YES = Check(True)


def _no(reason: str, field: str = "") -> Check:
    return Check(False, reason, field)


def check_move(current: Stage, target: Stage, reason: str = "") -> Check:
    """May a candidate move from ``current`` to ``target`` with this ``reason``?

    * Hiring is its own step (it creates the rep's account), never a plain move.
    * A hired candidate's record is closed.
    * Rejecting or withdrawing needs a reason; so does moving back a stage or reopening.
    * Rejected or withdrawn candidates can only be reopened, into screening.
    * Between active stages a candidate may move forward (skipping stages) or back.
    """
    reason = reason.strip()
    if target == current:
        return _no(f"The candidate is already at {current.label.lower()}.")
    if target is Stage.HIRED:
        return _no("Use Hire to hire a candidate: it creates their rep account.")
    if current is Stage.HIRED:
        return _no("This candidate was hired; their candidacy is closed.")
    if target in (Stage.REJECTED, Stage.WITHDRAWN) and not reason:
        return _no(f"Say why the candidate is {target.value}.", "reason")
    if current in (Stage.REJECTED, Stage.WITHDRAWN):
        if target is not REOPEN_STAGE:
            return _no(
                f"A {current.value} candidate can only be reopened into screening."
            )
        if not reason:
            return _no("Say why the candidacy is reopened.", "reason")
        return YES
    moves_back = target.is_active and (
        ACTIVE_STAGES.index(target) < ACTIVE_STAGES.index(current)
    )
    if moves_back and not reason:
        return _no("Say why the candidate moves back a stage.", "reason")
    return YES


def moves_from(current: Stage) -> list[Stage]:
    """The stages a plain move from ``current`` may reach (reasons aside), in board order."""
    return [
        stage
        for stage in BOARD_STAGES
        if check_move(current, stage, reason="(reason given)").allowed
    ]


def next_stage(current: Stage) -> Stage | None:
    """The stage after ``current`` on the road to a hire (``None`` at offer and after)."""
    if current not in ACTIVE_STAGES or current is Stage.OFFER:
        return None
    return ACTIVE_STAGES[ACTIVE_STAGES.index(current) + 1]


def check_hire(current: Stage, *, has_account: bool) -> Check:
    """May this candidate be hired now?

    :param has_account: someone already logs in with the candidate's e-mail.
    """
    if current is Stage.HIRED:
        return _no("This candidate is already hired.")
    if current is not Stage.OFFER:
        return _no("Move the candidate to offer before hiring them.")
    if has_account:
        return _no(
            "Someone already logs in with this e-mail; an admin must change that "
            "account instead of creating a new one."
        )
    return YES


def check_invite(current: Stage, *, has_result: bool, is_erased: bool) -> Check:
    """May a test link be made for this candidate?"""
    if is_erased:
        return _no("This candidate's personal data was erased.")
    if current.is_closed:
        return _no(f"The candidate is {current.value}; test links are closed.")
    if has_result:
        return _no("The candidate has already completed the assessment.")
    return YES


# --- invitations (test links) -----------------------------------------------------------


class LinkState(enum.StrEnum):
    """What a test link does when opened."""

    READY = "ready"  # not started; opens the instructions
    IN_PROGRESS = "in_progress"
    TIMED_OUT = "timed_out"  # started, time ran out, not yet scored
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # never started before the expiry date
    REVOKED = "revoked"
    CLOSED = "closed"  # the candidate was hired, rejected or withdrew

    @property
    def is_open(self) -> bool:
        return self in (LinkState.READY, LinkState.IN_PROGRESS)

    @property
    def label(self) -> str:
        return LINK_STATE_LABELS[self]


LINK_STATE_LABELS = {
    LinkState.READY: "Not started",
    LinkState.IN_PROGRESS: "In progress",
    LinkState.TIMED_OUT: "Time ran out",
    LinkState.SUBMITTED: "Submitted",
    LinkState.EXPIRED: "Expired",
    LinkState.REVOKED: "Revoked",
    LinkState.CLOSED: "Closed",
}


@dataclass(frozen=True)
class LinkFacts:
    """What decides a test link's state."""

    expires_at: dt.datetime
    started_at: dt.datetime | None
    deadline_at: dt.datetime | None
    submitted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    candidate_stage: Stage


def link_state(facts: LinkFacts, at: dt.datetime) -> LinkState:
    """The state of a test link at time ``at``.

    The expiry date bounds when the test may be *started*; once started, the time limit's
    deadline decides. A submitted test stays submitted whatever happens later.
    """
    if facts.submitted_at is not None:
        return LinkState.SUBMITTED
    if facts.revoked_at is not None:
        return LinkState.REVOKED
    if facts.candidate_stage.is_closed:
        return LinkState.CLOSED
    if facts.started_at is not None and facts.deadline_at is not None:
        return LinkState.TIMED_OUT if at >= facts.deadline_at else LinkState.IN_PROGRESS
    return LinkState.EXPIRED if at >= facts.expires_at else LinkState.READY


def seconds_left(deadline_at: dt.datetime, at: dt.datetime) -> int:
    """Whole seconds until the deadline (0 once it has passed)."""
    return max(0, int((deadline_at - at).total_seconds()))


# --- duplicates -------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return email.strip().lower()


def phone_key(phone: str | None) -> str | None:
    """The digits of a phone number, for matching; ``None`` when too short to mean much.

    A leading international ``00`` is treated like ``+``.
    """
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


@dataclass(frozen=True)
class Known:
    """A candidate already on file, as duplicate detection sees them."""

    id: int
    opening_id: int
    email: str | None
    phone_key: str | None


@dataclass(frozen=True)
class Duplicate:
    """A likely earlier record of the same person."""

    of_id: int
    reason: str
    #: The same e-mail on the same opening: the person is already a candidate there.
    is_repeat: bool


def find_duplicate(
    email: str, phone: str | None, opening_id: int, known: Iterable[Known]
) -> Duplicate | None:
    """The earliest known candidate who is probably the same person, or ``None``.

    The same e-mail is a match; failing that, the same phone number. The same e-mail on
    the same opening means "already a candidate here" (not added twice); any other match
    keeps the new record and flags it.
    """
    email = normalize_email(email)
    key = phone_key(phone)
    matches = []
    for other in known:
        if other.email is not None and normalize_email(other.email) == email:
            matches.append(
                (0, other.opening_id != opening_id, other.id, other, "same e-mail")
            )
        elif key is not None and other.phone_key == key:
            matches.append(
                (1, other.opening_id != opening_id, other.id, other, "same phone")
            )
    if not matches:
        return None
    rank, elsewhere, _, other, reason = min(matches, key=lambda m: m[:3])
    return Duplicate(other.id, reason, is_repeat=rank == 0 and not elsewhere)


# --- blind review and interview scorecards ----------------------------------------------


def identity_hidden(*, blind: bool, stage: Stage, has_seen: bool) -> bool:
    """Hide a candidate's identity (name, e-mail, phone, source, notes) from this viewer?

    In a blind opening every reviewer judges the test result before knowing who took it:
    the identity stays hidden from the moment the candidate is added until the viewer has
    rated the result (``has_seen``; also true once they chose to see the details, which
    is recorded). A hired candidate is a colleague, named everywhere else: no longer hidden.
    """
    return blind and not has_seen and stage is not Stage.HIRED


#: Stages a blind candidate reaches only through a reviewer who has rated the test.
BLIND_GATED_STAGES: tuple[Stage, ...] = (Stage.INTERVIEW, Stage.OFFER)


def check_blind_move(
    target: Stage, *, blind: bool, has_result: bool, has_rated: bool
) -> Check:
    """In a blind opening, may this person move the candidate to ``target``?

    Interview, offer and hire meet the person, so they follow the mover's own rating of
    the test result; rejecting, withdrawing and moves before the test need none.
    """
    if not blind or has_rated:
        return YES
    if target not in (*BLIND_GATED_STAGES, Stage.HIRED):
        return YES
    if not has_result:
        return _no(
            "Blind review: this candidate moves on once they have taken the test and "
            "you have rated the result."
        )
    step = "hire them" if target is Stage.HIRED else f"move them to {target.value}"
    return _no(f"Blind review: rate the test result before you {step}.")


class Recommendation(enum.StrEnum):
    STRONG_HIRE = "strong_hire"
    HIRE = "hire"
    NO_HIRE = "no_hire"
    STRONG_NO_HIRE = "strong_no_hire"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


#: Stages in which interviewers may submit scorecards.
INTERVIEW_STAGES: tuple[Stage, ...] = (Stage.INTERVIEW, Stage.OFFER)


def check_scorecard(stage: Stage, *, already_submitted: bool) -> Check:
    """May this interviewer submit a scorecard for the candidate now?"""
    if already_submitted:
        return _no("You have already submitted your scorecard for this candidate.")
    if stage not in INTERVIEW_STAGES:
        return _no("Scorecards are for candidates at interview or offer.")
    return YES


def scorecards_visible(
    *, is_interviewer: bool, has_submitted: bool, stage: Stage
) -> bool:
    """May this viewer read the other interviewers' scorecards?

    An interviewer sees them only after submitting their own, so nobody anchors on the
    others; once the candidacy is closed they are open to everyone with access. People who
    do not interview (leadership) read them at any time.
    """
    return not is_interviewer or has_submitted or stage.is_closed


# --- retention --------------------------------------------------------------------------


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    """``at`` moved by whole calendar months (negative to go back); the day is clamped
    to the month's length (31 March + 1 month = 30 April)."""
    index = at.year * 12 + at.month - 1 + months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def erase_after(closed_at: dt.datetime, months: int) -> dt.datetime:
    """When a rejected or withdrawn candidate's personal data is due for erasure."""
    return add_months(closed_at, months)


def is_due_for_erasure(
    stage: Stage,
    closed_at: dt.datetime | None,
    *,
    erased: bool,
    months: int,
    at: dt.datetime,
) -> bool:
    """Has the retention period run out for this candidate?"""
    return (
        not erased
        and stage in RETAINED_STAGES
        and closed_at is not None
        and erase_after(closed_at, months) <= at
    )
