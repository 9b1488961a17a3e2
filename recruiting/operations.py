"""Recruiting's writes: assessments, openings, candidates and their moves, and hiring. Test
links and answers are :mod:`recruiting.invitation_operations`; ratings, reveals and
interview scorecards :mod:`recruiting.review_operations`; export and erasure
:mod:`recruiting.personal_data_operations`.

Each function loads what it needs, asks the rules (``assessment``, ``pipeline``), writes,
records an audit event and flushes. None commits: the view, API call or command does.
Audit events name candidates by id only; their personal data never enters the trail.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update

from core import accounts, audit
from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.people import Team, User, get_user_by_email
from core.words import counted
from recruiting import assessment as rules
from recruiting import identity, pipeline
from recruiting.importing import CandidateRow, check_email
from recruiting.models import (
    Assessment,
    Candidate,
    Invitation,
    Opening,
    OpeningStatus,
    StageChange,
)
from recruiting.pipeline import Stage

logger = logging.getLogger(__name__)


def _label(by: audit.Actor) -> str:
    if isinstance(by, User):
        return by.name
    return by or "system"


def actor_user_id(by: audit.Actor) -> int | None:
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
    check = identity.blind_move_check(candidate, to, actor_user_id(by))
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


def record_stage(
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
        by_id=actor_user_id(by),
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
            by_id=actor_user_id(by),
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
            f"Imported {counted(len(created), 'candidate')} into {opening.title}; "
            f"{len(skipped)} already there"
        ),
        data={"created": len(created), "skipped": len(skipped)},
    )
    db.session.flush()
    return ImportOutcome(created, skipped)


# --- moves, hiring ----------------------------------------------------------------------


def close_links(candidate: Candidate, reason: str) -> int:
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
    change = record_stage(candidate, to, reason, by=by, at=at)
    if to.is_closed:
        candidate.closed_at = change.at
        close_links(candidate, f"Candidate {to.value}")
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
    change = record_stage(candidate, Stage.HIRED, note or "Hired", by=by, at=at)
    candidate.hired_user_id = user.id
    candidate.hired_at = candidate.closed_at = change.at
    close_links(candidate, "Candidate hired")
    audit.record(
        by,
        "recruiting.candidate.hire",
        candidate,
        summary=f"{candidate.reference} hired as user #{user.id}",
        before={"stage": before},
        after={"stage": Stage.HIRED, "hired_user_id": user.id},
    )
    db.session.flush()


# --- review, interviews -----------------------------------------------------------------
