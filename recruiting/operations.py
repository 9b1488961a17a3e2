"""Recruiting's writes: assessments, openings, candidates and their moves, test links,
answers and results, ratings, scorecards, hiring, export and erasure.

Each function loads what it needs, asks the rules (``assessment``, ``pipeline``), writes,
records an audit event and flushes. None commits: the view, API call or command does.
Audit events name candidates by id only; their personal data never enters the trail.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import accounts, audit, settings
from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import Team, User, get_user_by_email, hash_token
from recruiting import assessment as rules
from recruiting import identity, pipeline
from recruiting.importing import CandidateRow, check_email
from recruiting.models import (
    Assessment,
    AssessmentResult,
    Candidate,
    CandidateAnswer,
    CandidateReveal,
    InterviewScorecard,
    Invitation,
    Opening,
    OpeningStatus,
    ResultRating,
    RevealReason,
    StageChange,
)
from recruiting.pipeline import LinkState, Recommendation, Stage

logger = logging.getLogger(__name__)

#: How the candidate appears as an actor (audit trail, stage history).
CANDIDATE_ACTOR = "candidate"
DEFAULT_LINK_DAYS = 7
MAX_LINK_DAYS = 60
ERASED = "(erased)"


def _label(by: audit.Actor) -> str:
    if isinstance(by, User):
        return by.name
    return by or "system"


def _user_id(by: audit.Actor) -> int | None:
    return by.id if isinstance(by, User) else None


def lock_candidate(candidate: Candidate) -> Candidate:
    """Take ``candidate``'s row for this transaction and read it afresh.

    Writes about one candidate (moves, hiring, test links, ratings, scorecards) queue up
    behind each other, so that two tabs or a double click posting the same action see
    each other's result instead of both acting on what they read first. On PostgreSQL
    this is ``SELECT ... FOR UPDATE``; SQLite's write transactions are already one at a
    time (``BEGIN IMMEDIATE``).
    """
    db.session.scalars(
        select(Candidate)
        .where(Candidate.id == candidate.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return candidate


def _blind_check(candidate: Candidate, to: Stage, by: audit.Actor) -> None:
    check = identity.blind_move_check(candidate, to, _user_id(by))
    if not check:
        raise InvalidInput({"to_stage": [check.reason]})


# --- assessments ------------------------------------------------------------------------


@dataclass
class LoadOutcome:
    assessment: Assessment
    created: bool
    #: Open openings switched from an older version of the same assessment.
    moved_openings: list[Opening] = field(default_factory=list)


def load_assessment(text: str, *, by: audit.Actor) -> LoadOutcome:
    """Load an assessment from YAML text; a changed file becomes a new version.

    Open openings that used an older version of the same assessment switch to the new
    one; results already taken keep the version they were taken on.

    :raises rules.AssessmentInvalid: the file breaks the format (every problem listed).
    """
    spec = rules.parse_assessment(text)
    digest = rules.content_hash(spec)
    latest = db.session.scalar(
        select(Assessment)
        .where(Assessment.key == spec.key)
        .order_by(Assessment.version.desc())
        .limit(1)
    )
    if latest is not None and latest.content_hash == digest:
        return LoadOutcome(latest, created=False)
    new = Assessment(
        key=spec.key,
        version=(latest.version + 1) if latest else 1,
        title=spec.title,
        content_hash=digest,
        spec=rules.spec_to_data(spec),
        item_count=len(spec.items),
        time_limit_minutes=spec.time_limit_minutes,
        loaded_by=_label(by),
    )
    db.session.add(new)
    db.session.flush()
    audit.record(
        by,
        "recruiting.assessment.load",
        new,
        summary=f"Loaded assessment {spec.key} v{new.version} ({len(spec.items)} items)",
        data={"key": spec.key, "version": new.version, "hash": digest},
    )
    moved = []
    if latest is not None:
        older = select(Assessment.id).where(Assessment.key == spec.key)
        moved = list(
            db.session.scalars(
                select(Opening).where(
                    Opening.status == OpeningStatus.OPEN,
                    Opening.assessment_id.in_(older),
                    Opening.assessment_id != new.id,
                )
            )
        )
        for opening in moved:
            before = opening.assessment_id
            opening.assessment_id = new.id
            audit.record(
                by,
                "recruiting.opening.update",
                opening,
                summary=f"Opening {opening.title} now tests on v{new.version}",
                before={"assessment_id": before},
                after={"assessment_id": new.id},
            )
    db.session.flush()
    return LoadOutcome(new, created=True, moved_openings=moved)


# --- openings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningInput:
    title: str
    team_id: int
    assessment_id: int
    weights: Mapping[str, int]
    channels: Sequence[str] = ()
    description: str = ""
    blind_review: bool = False


def _check_opening(data: OpeningInput) -> None:
    errors: dict[str, list[str]] = {}
    if db.session.get(Team, data.team_id) is None:
        errors["team_id"] = ["Choose a team."]
    if db.session.get(Assessment, data.assessment_id) is None:
        errors["assessment_id"] = ["Choose an assessment."]
    for name, message in rules.check_weights(data.weights).items():
        errors.setdefault(name, []).append(message)
    if not data.title.strip():
        errors["title"] = ["Give the opening a title."]
    if errors:
        raise InvalidInput(errors)


def _opening_values(opening: Opening) -> dict[str, Any]:
    return {
        "title": opening.title,
        "team_id": opening.team_id,
        "assessment_id": opening.assessment_id,
        "weights": dict(opening.weights),
        "channels": list(opening.channels),
        "blind_review": opening.blind_review,
    }


def save_opening(opening: Opening | None, data: OpeningInput, *, by: User) -> Opening:
    """Create (``opening`` is ``None``) or change an opening.

    :raises InvalidInput: unknown team or assessment, bad weights, no title.
    """
    _check_opening(data)
    before = None if opening is None else _opening_values(opening)
    if opening is None:
        opening = Opening(created_by_id=by.id)
        db.session.add(opening)
    opening.title = data.title.strip()
    opening.description = data.description.strip()
    opening.team_id = data.team_id
    opening.assessment_id = data.assessment_id
    opening.weights = {str(c): int(data.weights.get(c, 0)) for c in rules.COMPETENCIES}
    opening.channels = list(data.channels)
    opening.blind_review = data.blind_review
    db.session.flush()
    action = (
        "recruiting.opening.create" if before is None else "recruiting.opening.update"
    )
    audit.record(
        by,
        action,
        opening,
        summary=f"{'Created' if before is None else 'Changed'} opening {opening.title}",
        before=before,
        after=_opening_values(opening),
    )
    return opening


def set_opening_status(opening: Opening, status: OpeningStatus, *, by: User) -> None:
    """Open or close an opening. A closed opening takes no new candidates or test links."""
    if opening.status is status:
        return
    before = opening.status
    opening.status = status
    opening.closed_at = utcnow() if status is OpeningStatus.CLOSED else None
    audit.record(
        by,
        "recruiting.opening.status",
        opening,
        summary=f"Opening {opening.title} is {status.value}",
        before={"status": before},
        after={"status": status},
    )
    db.session.flush()


# --- candidates -------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateInput:
    name: str
    email: str
    phone: str | None = None
    source: str | None = None
    notes: str | None = None
    consent_on: dt.date | None = None


def known_candidates(
    emails: Iterable[str],
    phone_keys: Iterable[str | None],
    *,
    except_id: int | None = None,
) -> list[pipeline.Known]:
    """Candidates on file who share any of these e-mails or phone numbers."""
    emails = sorted({e for e in emails if e})
    keys = sorted({k for k in phone_keys if k})
    found: list[pipeline.Known] = []
    for start in range(0, max(len(emails), len(keys), 1), 500):
        conditions = []
        if emails[start : start + 500]:
            conditions.append(Candidate.email.in_(emails[start : start + 500]))
        if keys[start : start + 500]:
            conditions.append(Candidate.phone_key.in_(keys[start : start + 500]))
        if not conditions:
            break
        stmt = select(
            Candidate.id, Candidate.opening_id, Candidate.email, Candidate.phone_key
        ).where(or_(*conditions))
        if except_id is not None:
            stmt = stmt.where(Candidate.id != except_id)
        found += [pipeline.Known(*row) for row in db.session.execute(stmt)]
    return found


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_candidate(data: CandidateInput) -> str:
    email = check_email(data.email or "")
    errors = {}
    if not data.name.strip():
        errors["name"] = ["Enter the candidate's name."]
    if email is None:
        errors["email"] = ["Enter a valid e-mail address."]
    if errors:
        raise InvalidInput(errors)
    return email


def _record_stage(
    candidate: Candidate,
    to: Stage,
    reason: str,
    *,
    by: audit.Actor,
    at: dt.datetime | None = None,
) -> StageChange:
    """Move ``candidate`` to ``to`` and append the move to their history."""
    at = at or utcnow()
    change = StageChange(
        candidate_id=candidate.id,
        from_stage=candidate.stage,
        to_stage=to,
        reason=reason.strip(),
        at=at,
        by_id=_user_id(by),
        by_label=_label(by),
    )
    candidate.stage = to
    candidate.stage_changed_at = at
    db.session.add(change)
    return change


def add_candidate(
    opening: Opening,
    data: CandidateInput,
    *,
    by: audit.Actor,
    how: str = "Added",
    at: dt.datetime | None = None,
) -> Candidate:
    """Add a candidate to an open opening, flagging a likely duplicate.

    :raises InvalidInput: bad name or e-mail, the opening is closed, or the e-mail is
        already a candidate for this opening.
    """
    email = _check_candidate(data)
    if not opening.is_open:
        raise InvalidInput("This opening is closed; reopen it to add candidates.")
    key = pipeline.phone_key(data.phone)
    duplicate = pipeline.find_duplicate(
        email, data.phone, opening.id, known_candidates([email], [key])
    )
    if duplicate is not None and duplicate.is_repeat:
        raise InvalidInput(
            {"email": [f"{email} is already a candidate for this opening."]}
        )
    candidate = Candidate(
        opening_id=opening.id,
        name=data.name.strip(),
        email=email,
        phone=_clean(data.phone),
        phone_key=key,
        source=_clean(data.source),
        notes=_clean(data.notes),
        consent_on=data.consent_on,
        stage=Stage.APPLIED,
        duplicate_of_id=duplicate.of_id if duplicate else None,
        duplicate_reason=duplicate.reason if duplicate else None,
        created_at=at or utcnow(),
        stage_changed_at=at or utcnow(),
    )
    db.session.add(candidate)
    db.session.flush()
    db.session.add(
        StageChange(
            candidate_id=candidate.id,
            from_stage=None,
            to_stage=Stage.APPLIED,
            reason=how,
            at=candidate.created_at,
            by_id=_user_id(by),
            by_label=_label(by),
        )
    )
    audit.record(
        by,
        "recruiting.candidate.create",
        candidate,
        summary=f"{candidate.reference} added to opening {opening.title}",
        data={"opening_id": opening.id, "duplicate_of": candidate.duplicate_of_id},
    )
    db.session.flush()
    return candidate


def update_candidate(candidate: Candidate, data: CandidateInput, *, by: User) -> None:
    """Change a candidate's details; the duplicate flag is worked out again.

    :raises InvalidInput: bad input, an erased candidate, or the e-mail is taken on this
        opening.
    """
    if candidate.is_erased:
        raise InvalidInput("This candidate's personal data was erased.")
    email = _check_candidate(data)
    key = pipeline.phone_key(data.phone)
    duplicate = pipeline.find_duplicate(
        email,
        data.phone,
        candidate.opening_id,
        known_candidates([email], [key], except_id=candidate.id),
    )
    if duplicate is not None and duplicate.is_repeat:
        raise InvalidInput(
            {"email": [f"{email} is already a candidate for this opening."]}
        )
    fields = {
        "name": data.name.strip(),
        "email": email,
        "phone": _clean(data.phone),
        "source": _clean(data.source),
        "notes": _clean(data.notes),
        "consent_on": data.consent_on,
    }
    changed = [
        name for name, value in fields.items() if getattr(candidate, name) != value
    ]
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.phone_key = key
    candidate.duplicate_of_id = duplicate.of_id if duplicate else None
    candidate.duplicate_reason = duplicate.reason if duplicate else None
    if changed:
        # Field names only: the values are personal data.
        audit.record(
            by,
            "recruiting.candidate.update",
            candidate,
            summary=f"{candidate.reference}: changed {', '.join(changed)}",
            data={"fields": changed},
        )
    db.session.flush()


@dataclass
class ImportOutcome:
    created: list[Candidate]
    #: (row number, id of the candidate already on this opening)
    skipped: list[tuple[int, int]]


def import_candidates(
    opening: Opening, rows: Sequence[CandidateRow], *, by: User
) -> ImportOutcome:
    """Add every row's candidate to ``opening``, in one go.

    Rows whose e-mail is already a candidate for this opening (on file or earlier in the
    same file) are skipped and listed; other likely duplicates are added and flagged.
    The caller has rejected files with bad rows before this is called.

    :raises InvalidInput: the opening is closed.
    """
    if not opening.is_open:
        raise InvalidInput("This opening is closed; reopen it to import candidates.")
    known = known_candidates(
        [r.email for r in rows], [pipeline.phone_key(r.phone) for r in rows]
    )
    created: list[Candidate] = []
    skipped: list[tuple[int, int]] = []
    pending: list[tuple[CandidateRow, pipeline.Duplicate | None]] = []
    for row in rows:
        duplicate = pipeline.find_duplicate(row.email, row.phone, opening.id, known)
        if duplicate is not None and duplicate.is_repeat:
            skipped.append((row.row, duplicate.of_id))
            continue
        candidate = Candidate(
            opening_id=opening.id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            phone_key=pipeline.phone_key(row.phone),
            source=row.source,
            notes=row.notes,
            consent_on=row.consent_on,
            stage=Stage.APPLIED,
        )
        db.session.add(candidate)
        db.session.flush()  # an id, so later rows of the same file can match this one
        known.append(
            pipeline.Known(
                candidate.id, opening.id, candidate.email, candidate.phone_key
            )
        )
        created.append(candidate)
        pending.append((row, duplicate))
    for candidate, (_row, duplicate) in zip(created, pending, strict=True):
        if duplicate is not None:
            candidate.duplicate_of_id = duplicate.of_id
            candidate.duplicate_reason = duplicate.reason
        db.session.add(
            StageChange(
                candidate_id=candidate.id,
                from_stage=None,
                to_stage=Stage.APPLIED,
                reason="Imported from CSV",
                by_id=by.id,
                by_label=by.name,
            )
        )
    audit.record(
        by,
        "recruiting.candidate.import",
        opening,
        summary=(
            f"Imported {len(created)} candidate(s) into {opening.title}; "
            f"{len(skipped)} already there"
        ),
        data={"created": len(created), "skipped": len(skipped)},
    )
    db.session.flush()
    return ImportOutcome(created, skipped)


# --- moves, hiring ----------------------------------------------------------------------


def _close_links(candidate: Candidate, reason: str) -> int:
    result = db.session.execute(
        update(Invitation)
        .where(
            Invitation.candidate_id == candidate.id,
            Invitation.submitted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def move_candidate(
    candidate: Candidate,
    to: Stage,
    reason: str,
    *,
    by: audit.Actor,
    at: dt.datetime | None = None,
) -> StageChange:
    """Move a candidate to another stage, recording who, when and why.

    Rejecting or withdrawing closes the candidate's open test links. In a blind opening,
    interview and offer follow the mover's own rating of the test result.

    :raises InvalidInput: the pipeline or blind review does not allow the move (the
        message says why).
    """
    lock_candidate(candidate)
    before = candidate.stage
    check = pipeline.check_move(before, to, reason)
    if not check:
        raise InvalidInput({check.field or "to_stage": [check.reason]})
    _blind_check(candidate, to, by)
    change = _record_stage(candidate, to, reason, by=by, at=at)
    if to.is_closed:
        candidate.closed_at = change.at
        _close_links(candidate, f"Candidate {to.value}")
    elif before.is_closed:
        candidate.closed_at = None
    audit.record(
        by,
        "recruiting.candidate.move",
        candidate,
        summary=f"{candidate.reference}: {before.value} → {to.value}",
        before={"stage": before},
        after={"stage": to},
    )
    db.session.flush()
    return change


def hire_candidate(
    candidate: Candidate, *, by: User, team_id: int, note: str = ""
) -> User:
    """Hire a candidate at offer: create their rep account in ``team_id`` and link it.

    Creating the account sends ``core.accounts.rep_created``, on which training assigns
    onboarding. The candidate's open test links close.

    :raises Conflict: the candidate is already hired (a second post of the same hire).
    :raises InvalidInput: not at offer, an account exists for the e-mail, unknown team,
        or blind review wants the hirer's rating first.
    """
    lock_candidate(candidate)
    if candidate.stage is Stage.HIRED:
        raise Conflict("This candidate is already hired.")
    has_account = (
        bool(candidate.email) and get_user_by_email(candidate.email) is not None
    )
    check = pipeline.check_hire(candidate.stage, has_account=has_account)
    if not check:
        raise InvalidInput(check.reason)
    if candidate.is_erased or not candidate.email:
        raise InvalidInput("This candidate's personal data was erased.")
    check = identity.blind_move_check(candidate, Stage.HIRED, by.id)
    if not check:
        raise InvalidInput(check.reason)
    user = accounts.create_user(
        accounts.UserInput(
            email=candidate.email,
            name=candidate.name,
            roles=frozenset({Role.REP}),
            team_id=team_id,
        ),
        by=by,
    )
    record_hire(candidate, user, by=by, note=note)
    return user


def record_hire(
    candidate: Candidate,
    user: User,
    *,
    by: audit.Actor,
    note: str = "",
    at: dt.datetime | None = None,
) -> None:
    """Mark a candidate at offer as hired into ``user``'s rep account and link the two.

    :func:`hire_candidate` calls it with the account it creates; it also links a rep
    whose account already exists (an earlier hire entered after the fact).

    :raises InvalidInput: the candidate is not at offer.
    """
    check = pipeline.check_hire(candidate.stage, has_account=False)
    if not check:
        raise InvalidInput(check.reason)
    before = candidate.stage
    change = _record_stage(candidate, Stage.HIRED, note or "Hired", by=by, at=at)
    candidate.hired_user_id = user.id
    candidate.hired_at = candidate.closed_at = change.at
    _close_links(candidate, "Candidate hired")
    audit.record(
        by,
        "recruiting.candidate.hire",
        candidate,
        summary=f"{candidate.reference} hired as user #{user.id}",
        before={"stage": before},
        after={"stage": Stage.HIRED, "hired_user_id": user.id},
    )
    db.session.flush()


# --- test links -------------------------------------------------------------------------


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
    replaced = _close_links(candidate, "Replaced by a new link")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        candidate_id=candidate.id,
        assessment_id=opening.assessment_id,
        token_hash=hash_token(token),
        created_at=at,
        created_by_id=_user_id(by),
        expires_at=at + dt.timedelta(days=days),
        time_limit_minutes=limit,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        by,
        "recruiting.invitation.create",
        invitation,
        summary=f"Test link for {candidate.reference}, valid {days} day(s)",
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
        _record_stage(
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


# --- review, interviews -----------------------------------------------------------------


def rate_result(candidate: Candidate, *, by: User, rating: int, note: str = "") -> None:
    """Record (or change) ``by``'s 1-5 rating of the candidate's test result.

    :raises InvalidInput: no result yet, or a rating outside 1-5.
    """
    lock_candidate(candidate)
    if candidate.result is None:
        raise InvalidInput("There is no test result to rate yet.")
    if not 1 <= rating <= 5:
        raise InvalidInput({"rating": ["Choose 1 to 5."]})
    row = db.session.scalar(
        select(ResultRating).where(
            ResultRating.candidate_id == candidate.id, ResultRating.reviewer_id == by.id
        )
    )
    before = None if row is None else {"rating": row.rating}
    if row is None:
        row = ResultRating(candidate_id=candidate.id, reviewer_id=by.id)
        db.session.add(row)
    row.rating, row.note, row.rated_at = rating, note.strip(), utcnow()
    audit.record(
        by,
        "recruiting.result.rate",
        candidate,
        summary=f"Rated the test of {candidate.reference}: {rating}/5",
        before=before,
        after={"rating": rating},
    )
    db.session.flush()


def reveal_candidate(
    candidate: Candidate, *, by: User, reason: RevealReason
) -> CandidateReveal | None:
    """Let ``by`` see a blind candidate's details before rating the test (recorded).

    Blind review then no longer hides the candidate from them, and the candidate page
    says who saw the details first, when and why.

    :return: the new record, or ``None`` when nothing was hidden from ``by``.
    """
    lock_candidate(candidate)
    if not identity.person_for(candidate, by.viewer()).hidden:
        return None
    reveal = CandidateReveal(candidate_id=candidate.id, user_id=by.id, reason=reason)
    db.session.add(reveal)
    db.session.flush()
    audit.record(
        by,
        "recruiting.candidate.reveal",
        candidate,
        summary=f"Saw the details of {candidate.reference} before rating the test "
        f"({reason.label})",
        data={"reason": reason},
    )
    return reveal


def submit_scorecard(
    candidate: Candidate,
    *,
    by: User,
    ratings: Mapping[rules.Competency, int],
    recommendation: Recommendation,
    notes: str = "",
) -> InterviewScorecard:
    """Submit ``by``'s interview scorecard; it is final once submitted.

    :raises Conflict: ``by`` has already submitted theirs (a second post of the form).
    :raises InvalidInput: not at interview or offer, or a rating outside 1-5.
    """
    lock_candidate(candidate)
    existing = db.session.scalar(
        select(func.count()).where(
            InterviewScorecard.candidate_id == candidate.id,
            InterviewScorecard.interviewer_id == by.id,
        )
    )
    if existing:
        raise Conflict("You have already submitted your scorecard for this candidate.")
    check = pipeline.check_scorecard(candidate.stage, already_submitted=False)
    if not check:
        raise InvalidInput(check.reason)
    bad = [c for c in rules.COMPETENCIES if not 1 <= ratings.get(c, 0) <= 5]
    if bad:
        raise InvalidInput({c.value: ["Choose a level from 1 to 5."] for c in bad})
    card = InterviewScorecard(
        candidate_id=candidate.id,
        interviewer_id=by.id,
        notes=notes.strip(),
        recommendation=recommendation,
        **{c.value: int(ratings[c]) for c in rules.COMPETENCIES},
    )
    db.session.add(card)
    db.session.flush()
    audit.record(
        by,
        "recruiting.scorecard.submit",
        candidate,
        summary=f"Interview scorecard for {candidate.reference}: {recommendation.label}",
        data={"scorecard_id": card.id, "recommendation": recommendation},
    )
    return card


# --- personal data: export, erasure, retention ------------------------------------------


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


#: Why an export is refused while blind review hides the candidate from the exporter.
EXPORT_HIDDEN = (
    "Blind review: this candidate's details stay hidden from you until you have rated "
    "the test result, and an export would show them. Rate the result first, or choose "
    "to see the details (that is recorded)."
)


def export_candidate(candidate: Candidate, *, by: User) -> dict[str, Any]:
    """Everything about a candidate that ``by`` may see, as JSON-ready data (audited).

    The export follows the candidate page: other reviewers' ratings and interviewers'
    scorecards appear once ``by`` has given theirs (they are counted otherwise).

    :raises NotAllowed: blind review hides the candidate from ``by`` (the details are
        the export's first part).
    """
    seen = identity.sight(candidate, by.viewer())
    if seen.person.hidden:
        raise NotAllowed(EXPORT_HIDDEN)
    history = db.session.scalars(
        select(StageChange)
        .where(StageChange.candidate_id == candidate.id)
        .order_by(StageChange.at, StageChange.id)
    )
    invitations = list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.candidate_id == candidate.id)
            .order_by(Invitation.id)
        )
    )
    ratings = [r for r in seen.ratings if seen.ratings_visible or r is seen.mine]
    cards = [c for c in seen.cards if seen.cards_visible or c is seen.my_card]
    result = candidate.result
    data = {
        "exported_at": _iso(utcnow()),
        "candidate": {
            "id": candidate.id,
            "name": candidate.name or None,
            "email": candidate.email,
            "phone": candidate.phone,
            "source": candidate.source,
            "notes": candidate.notes,
            "consent_on": _iso(candidate.consent_on),
            "opening": candidate.opening.title,
            "stage": str(candidate.stage),
            "added_at": _iso(candidate.created_at),
            "erased_at": _iso(candidate.erased_at),
        },
        "stage_history": [
            {
                "at": _iso(c.at),
                "from": c.from_stage and str(c.from_stage),
                "to": str(c.to_stage),
                "reason": c.reason,
                "by": c.by_label,
            }
            for c in history
        ],
        "test_links": [
            {
                "created_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "started_at": _iso(i.started_at),
                "submitted_at": _iso(i.submitted_at),
                "revoked_at": _iso(i.revoked_at),
                "answers": {
                    key: {"choice": a.best, "least_effective": a.worst}
                    for key, a in answers_of(i.id).items()
                },
            }
            for i in invitations
        ],
        "result": None
        if result is None
        else {
            "assessment": result.assessment.label,
            "scores": {str(c): v for c, v in result.scores.items()},
            "overall": result.overall,
            "submitted_at": _iso(result.submitted_at),
        },
        "result_ratings": [
            {"rating": r.rating, "note": r.note, "at": _iso(r.rated_at)}
            for r in ratings
        ],
        "result_ratings_withheld": len(seen.ratings) - len(ratings),
        "interview_scorecards": [
            {
                "ratings": {str(c): v for c, v in s.ratings.items()},
                "recommendation": str(s.recommendation),
                "notes": s.notes,
                "at": _iso(s.submitted_at),
            }
            for s in cards
        ],
        "interview_scorecards_withheld": len(seen.cards) - len(cards),
    }
    audit.record(
        by,
        "recruiting.candidate.export",
        candidate,
        summary=f"Exported the data held on {candidate.reference}",
    )
    db.session.flush()
    return data


#: The admin setting (Admin > Settings) for how long closed candidates' data is kept.
RETENTION_KEY = "recruiting_retention_months"


def retention_months() -> int:
    return settings.get_setting(RETENTION_KEY)


ERASE_REASONS = {
    "request": "the candidate asked",
    "retention": "the retention period ended",
}


def erase_candidate(candidate: Candidate, *, by: audit.Actor, why: str) -> None:
    """Erase a candidate's personal data; anonymous scores, answers and stages stay.

    Name, e-mail, phone, source and notes are blanked, and so is free text others wrote
    about them (stage reasons, rating and interview notes). Open test links close.

    :param why: a key of :data:`ERASE_REASONS`.
    """
    if why not in ERASE_REASONS:
        raise ValueError(f"unknown erasure reason {why!r}")
    if candidate.is_erased:
        return
    at = utcnow()
    candidate.name = ""
    candidate.email = candidate.phone = candidate.phone_key = None
    candidate.source = candidate.notes = None
    candidate.erased_at = at
    for model, column in (
        (StageChange, StageChange.reason),
        (ResultRating, ResultRating.note),
        (InterviewScorecard, InterviewScorecard.notes),
    ):
        db.session.execute(
            update(model)
            .where(model.candidate_id == candidate.id, column != "")
            .values({column.key: ERASED})
            .execution_options(synchronize_session="fetch")
        )
    _close_links(candidate, "Personal data erased")
    audit.record(
        by,
        "recruiting.candidate.erase",
        candidate,
        summary=f"Erased the personal data of {candidate.reference} "
        f"({ERASE_REASONS[why]})",
        data={"why": why},
    )
    db.session.flush()


def purge_candidates(
    *, months: int, by: audit.Actor, at: dt.datetime | None = None
) -> list[int]:
    """Erase the personal data of every rejected or withdrawn candidate whose retention
    period (``months`` after the candidacy closed) has run out.

    :return: the ids of the candidates erased.
    """
    at = at or utcnow()
    # A few days' margin: the rule below decides; the query only narrows the rows.
    cutoff = pipeline.add_months(at, -months) + dt.timedelta(days=4)
    candidates = db.session.scalars(
        select(Candidate)
        .where(
            Candidate.stage.in_(pipeline.RETAINED_STAGES),
            Candidate.erased_at.is_(None),
            Candidate.closed_at <= cutoff,
        )
        .order_by(Candidate.id)
    ).all()
    erased = []
    for candidate in candidates:
        if pipeline.is_due_for_erasure(
            candidate.stage, candidate.closed_at, erased=False, months=months, at=at
        ):
            erase_candidate(candidate, by=by, why="retention")
            erased.append(candidate.id)
    return erased
