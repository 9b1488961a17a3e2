"""Recruiting's writes for the aptitude test by link: making and revoking a candidate's
single-use link, starting the test, saving each answer as it is given, submitting, and
closing tests whose time ran out.

Each function loads what it needs, asks the rules (``assessment``, ``pipeline``), writes,
records an audit event and flushes. None commits: the view, API call or command does.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.people import User, hash_token
from core.words import counted
from recruiting import assessment as rules
from recruiting import pipeline
from recruiting.models import (
    AssessmentResult,
    Candidate,
    CandidateAnswer,
    Invitation,
)
from recruiting.operations import (
    actor_user_id,
    close_links,
    lock_candidate,
    record_stage,
)
from recruiting.pipeline import LinkState, Stage

logger = logging.getLogger(__name__)


#: How the candidate appears as an actor (audit trail, stage history).
CANDIDATE_ACTOR = "candidate"
DEFAULT_LINK_DAYS = 7
MAX_LINK_DAYS = 60


class LinkAlreadyOpen(Conflict):
    """The candidate has a test link that still works; a new one needs ``replace``."""

    def __init__(self, invitation: Invitation) -> None:
        self.invitation = invitation
        super().__init__(
            "This candidate already has a test link that works, so no new one was "
            "made. To send a new one (the old one then stops working), tick 'Replace "
            "the working link'."
        )


def open_link(candidate: Candidate, at: dt.datetime | None = None) -> Invitation | None:
    """The candidate's test link that still works (not yet started, or under way)."""
    at = at or utcnow()
    links = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.candidate_id == candidate.id,
            Invitation.submitted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.id.desc())
    )
    return next((i for i in links if i.state(at).is_open), None)


def create_invitation(
    candidate: Candidate,
    *,
    by: audit.Actor,
    days: int = DEFAULT_LINK_DAYS,
    time_limit_minutes: int | None = None,
    replace: bool = False,
    at: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """Make a test link for ``candidate``.

    A link that still works is replaced only when asked (``replace``): a repeated post
    (a reload, a second tab, a double click) must not void the link the candidate has.

    :param days: how long the link may be started, 1 to :data:`MAX_LINK_DAYS`.
    :param time_limit_minutes: overrides the assessment's time limit.
    :param replace: stop the working link, if any, and make a new one.
    :return: the invitation and its token (shown once; only its hash is stored).
    :raises LinkAlreadyOpen: a link works and ``replace`` was not asked.
    :raises InvalidInput: the candidate may not get a link (closed, done, erased) or the
        opening is closed.
    """
    lock_candidate(candidate)
    check = pipeline.check_invite(
        candidate.stage,
        has_result=candidate.result is not None,
        is_erased=candidate.is_erased,
    )
    if not check:
        raise InvalidInput(check.reason)
    opening = candidate.opening
    if not opening.is_open:
        raise InvalidInput("This opening is closed; reopen it to send test links.")
    if not 1 <= days <= MAX_LINK_DAYS:
        raise InvalidInput({"days": [f"Use 1 to {MAX_LINK_DAYS} days."]})
    limit = (
        opening.assessment.time_limit_minutes
        if time_limit_minutes is None
        else time_limit_minutes
    )
    if not 1 <= limit <= rules.MAX_TIME_LIMIT_MINUTES:
        raise InvalidInput(
            {
                "time_limit_minutes": [
                    f"Use 1 to {rules.MAX_TIME_LIMIT_MINUTES} minutes."
                ]
            }
        )
    if not replace:
        working = open_link(candidate, at)
        if working is not None:
            raise LinkAlreadyOpen(working)
    at = at or utcnow()
    replaced = close_links(candidate, "Replaced by a new link")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        candidate_id=candidate.id,
        assessment_id=opening.assessment_id,
        token_hash=hash_token(token),
        created_at=at,
        created_by_id=actor_user_id(by),
        expires_at=at + dt.timedelta(days=days),
        time_limit_minutes=limit,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        by,
        "recruiting.invitation.create",
        invitation,
        summary=f"Test link for {candidate.reference}, valid {counted(days, 'day')}",
        data={
            "candidate_id": candidate.id,
            "expires_at": invitation.expires_at,
            "time_limit_minutes": limit,
            "replaced": replaced,
        },
    )
    return invitation, token


def revoke_invitation(invitation: Invitation, *, by: User) -> None:
    """Stop an unused test link working.

    :raises Conflict: the test was already submitted.
    """
    if invitation.submitted_at is not None:
        raise Conflict("This test was already submitted; its link is spent.")
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = utcnow()
    invitation.revoke_reason = f"Revoked by {by.name}"
    audit.record(
        by,
        "recruiting.invitation.revoke",
        invitation,
        summary=f"Revoked a test link of Candidate #{invitation.candidate_id}",
        data={"candidate_id": invitation.candidate_id},
    )
    db.session.flush()


_STATE_CONFLICTS = {
    LinkState.SUBMITTED: "This test has already been submitted.",
    LinkState.TIMED_OUT: "The time for this test is up.",
    LinkState.EXPIRED: "This test link has expired.",
    LinkState.REVOKED: "This test link is no longer valid.",
    LinkState.CLOSED: "This test link is no longer valid.",
}


def _require(invitation: Invitation, at: dt.datetime, *states: LinkState) -> LinkState:
    state = invitation.state(at)
    if state not in states:
        raise Conflict(_STATE_CONFLICTS.get(state, "Start the test first."))
    return state


def start_test(invitation: Invitation, *, at: dt.datetime | None = None) -> None:
    """Start the clock (once; starting again changes nothing).

    :raises Conflict: the link is spent, expired, revoked or closed.
    """
    at = at or utcnow()
    if _require(invitation, at, LinkState.READY, LinkState.IN_PROGRESS) is (
        LinkState.IN_PROGRESS
    ):
        return
    invitation.started_at = at
    invitation.deadline_at = at + dt.timedelta(minutes=invitation.time_limit_minutes)
    audit.record(
        CANDIDATE_ACTOR,
        "recruiting.test.start",
        invitation,
        summary=f"Candidate #{invitation.candidate_id} started the test",
    )
    db.session.flush()


def save_answer(
    invitation: Invitation,
    item_key: str,
    best: str | None,
    worst: str | None,
    *,
    at: dt.datetime | None = None,
) -> CandidateAnswer:
    """Save (or replace) the answer to one item, while the test is in progress.

    :raises Conflict: the test is not in progress (time up, submitted, revoked...).
    :raises InvalidInput: unknown item, or an answer the item does not allow.
    """
    at = at or utcnow()
    _require(invitation, at, LinkState.IN_PROGRESS)
    item = invitation.assessment.parsed.item(item_key)
    if item is None:
        raise InvalidInput({"item": ["That question is not part of this test."]})
    problem = rules.check_answer(item, best or None, worst or None)
    if problem:
        raise InvalidInput({"answer": [problem]})
    saved = select(CandidateAnswer).where(
        CandidateAnswer.invitation_id == invitation.id,
        CandidateAnswer.item_key == item_key,
    )
    row = db.session.scalar(saved)
    if row is None:
        try:
            with db.session.begin_nested():
                row = CandidateAnswer(invitation_id=invitation.id, item_key=item_key)
                row.best, row.worst, row.answered_at = best or None, worst or None, at
                db.session.add(row)
        except IntegrityError:
            # The same question saved at the same moment by another request (a double
            # click landing on two workers): keep that row and update it below.
            row = db.session.scalars(saved).one()
    row.best, row.worst, row.answered_at = best or None, worst or None, at
    db.session.flush()
    return row


def answers_of(invitation_id: int) -> dict[str, rules.Answer]:
    rows = db.session.execute(
        select(
            CandidateAnswer.item_key, CandidateAnswer.best, CandidateAnswer.worst
        ).where(CandidateAnswer.invitation_id == invitation_id)
    )
    return {key: rules.Answer(best, worst) for key, best, worst in rows}


def submit_test(
    invitation: Invitation, *, at: dt.datetime | None = None
) -> AssessmentResult:
    """Score the test and close it; the candidate moves to "assessed" if not past it.

    After the deadline the saved answers are scored as they stand (``timed_out``).

    :raises Conflict: already submitted (including a second, simultaneous submit), or
        the link is expired, revoked or closed.
    """
    at = at or utcnow()
    state = _require(invitation, at, LinkState.IN_PROGRESS, LinkState.TIMED_OUT)
    timed_out = state is LinkState.TIMED_OUT
    submitted_at = invitation.deadline_at if timed_out else at
    # One conditional write decides which of two simultaneous submits wins.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.submitted_at.is_(None))
        .values(submitted_at=submitted_at, timed_out=timed_out)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_STATE_CONFLICTS[LinkState.SUBMITTED])
    db.session.refresh(invitation)
    spec = invitation.assessment.parsed
    answers = answers_of(invitation.id)
    scores = rules.score_answers(spec, answers)
    result = AssessmentResult(
        invitation_id=invitation.id,
        candidate=invitation.candidate,
        assessment_id=invitation.assessment_id,
        overall=scores.overall,
        answered=sum(rules.is_complete(i, answers.get(i.key)) for i in spec.items),
        item_count=len(spec.items),
        submitted_at=submitted_at,
        timed_out=timed_out,
        **{c.value: v for c, v in scores.by_competency.items()},
    )
    db.session.add(result)
    candidate = invitation.candidate
    if candidate.stage in (Stage.APPLIED, Stage.SCREENING):
        record_stage(
            candidate,
            Stage.ASSESSED,
            "Time ran out on the assessment"
            if timed_out
            else "Completed the assessment",
            by=CANDIDATE_ACTOR,
            at=submitted_at,
        )
    audit.record(
        CANDIDATE_ACTOR,
        "recruiting.test.submit",
        invitation,
        summary=f"Candidate #{candidate.id} {'ran out of time' if timed_out else 'submitted'}",
        data={"candidate_id": candidate.id, "answered": result.answered},
    )
    db.session.flush()
    return result


def close_overdue_tests(
    *, opening_id: int | None = None, at: dt.datetime | None = None
) -> int:
    """Score every started test whose time ran out without a submit.

    :return: how many were scored.
    """
    at = at or utcnow()
    stmt = (
        select(Invitation)
        .join(Candidate, Candidate.id == Invitation.candidate_id)
        .where(
            Invitation.deadline_at <= at,
            Invitation.submitted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Candidate.stage.not_in(pipeline.CLOSED_STAGES),
        )
    )
    if opening_id is not None:
        stmt = stmt.where(Candidate.opening_id == opening_id)
    overdue = list(db.session.scalars(stmt))
    for invitation in overdue:
        submit_test(invitation, at=at)
    return len(overdue)
