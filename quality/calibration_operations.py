"""Writes for calibration: a session created, a reviewer's ratings of a ticket kept and
submitted, a session closed; each audited. The audit entries never carry the ratings
(the audit trail would otherwise show them before the session is closed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import update

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.params import FIRST_YEAR, last_month_allowed
from core.people import User
from quality import calibration as rules
from quality import calibration_queries as queries
from quality import queries as quality_queries
from quality import rubrics as rubric_rules
from quality.calibration import SessionState
from quality.models import (
    QaCalibration,
    QaCalibrationRating,
    QaCalibrationReviewer,
    QaCalibrationTicket,
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def create_session(
    *,
    name: str,
    channel_group: str,
    month: str,
    ticket_refs: Sequence[str],
    random_count: int | None,
    reviewer_ids: Sequence[int],
    due_on: dt.date,
    by: User,
    today: dt.date,
) -> QaCalibration:
    """Create a session on the channel group's current rubric, with tickets solved in
    ``month``: those named (helpdesk ids, or ``#`` and Frontline's id), else
    ``random_count`` at random.

    :raises InvalidInput: every problem, by form field.
    """
    problems: dict[str, list[str]] = {}
    versions = quality_queries.current_versions()
    version = versions.get(channel_group)
    if version is None:
        problems["channel_group"] = ["There is no rubric for these channels yet."]
    if due_on < today:
        problems["due_on"] = ["Give a date from today on."]
    if not f"{FIRST_YEAR:04d}-01" <= month <= last_month_allowed():
        problems["month"] = [
            f"A month from {FIRST_YEAR}-01 to {last_month_allowed()}, please."
        ]
        version = None
    choices = dict(queries.reviewer_choices())
    unknown = [r for r in reviewer_ids if r not in choices]
    if unknown:
        problems["reviewer_ids"] = ["Only active supervisors and admins review."]
    facts = queries.month_tickets(month, channel_group) if version else []
    by_ref = {f.external_id.lower(): f.id for f in facts} | {
        f"#{f.id}": f.id for f in facts
    }
    refs = [r.strip() for r in ticket_refs if r.strip()]
    ticket_ids: list[int] = []
    if refs:
        missing = [r for r in refs if r.lower() not in by_ref]
        if missing:
            problems["ticket_ids"] = [
                "Not a ticket of these channels solved in that month: "
                + ", ".join(missing[:10])
                + (" and more" if len(missing) > 10 else "")
            ]
        ticket_ids = list(
            dict.fromkeys(by_ref[r.lower()] for r in refs if r.lower() in by_ref)
        )
    elif random_count:
        ticket_ids = rules.pick_random(
            [f.id for f in facts], random_count, seed=f"calibration:{month}:{name}"
        )
        if version is not None and not ticket_ids:
            problems["month"] = ["No tickets of these channels were solved that month."]
    else:
        problems["ticket_ids"] = [
            "Name the tickets, or say how many to pick at random."
        ]
    for field, message in rules.setup_problems(
        reviewer_ids=reviewer_ids, ticket_ids=ticket_ids
    ).items():
        key = "reviewer_ids" if field == "reviewers" else "ticket_ids"
        if key not in problems and (field != "tickets" or "month" not in problems):
            problems[key] = [message]
    if problems or version is None:
        raise InvalidInput(problems)
    session = QaCalibration(
        name=name.strip()[:120],
        rubric_version_id=version.id,
        due_on=due_on,
        created_by_id=by.id,
        tickets=[
            QaCalibrationTicket(ticket_id=t, position=i)
            for i, t in enumerate(ticket_ids)
        ],
        reviewers=[QaCalibrationReviewer(user_id=r) for r in sorted(set(reviewer_ids))],
    )
    db.session.add(session)
    db.session.flush()
    audit.record(
        by,
        "quality.calibration.create",
        session,
        summary=f"Calibration '{session.name}' created: "
        f"{_plural(len(ticket_ids), 'ticket')}, "
        f"{_plural(len(set(reviewer_ids)), 'reviewer')}, due {due_on.isoformat()}",
        data={
            "tickets": ticket_ids,
            "reviewers": sorted(set(reviewer_ids)),
            "rubric_version": version.id,
        },
    )
    return session


def _editable(session: QaCalibration, ticket_id: int, by: User) -> QaCalibrationRating:
    if ticket_id not in session.ticket_ids:
        raise NotAllowed("This ticket is not part of the session.")
    row = queries.own_rating(session, ticket_id, by.id)
    problem = rules.rate_problem(
        session.state,
        reviewer_ids=session.reviewer_ids,
        user_id=by.id,
        submitted=row is not None and row.submitted_at is not None,
    )
    if problem and by.id not in session.reviewer_ids:
        raise NotAllowed(problem)
    if problem:
        raise Conflict(problem)
    if row is None:
        row = QaCalibrationRating(
            calibration_id=session.id, ticket_id=ticket_id, reviewer_id=by.id
        )
        db.session.add(row)
    return row


def save_rating(
    session: QaCalibration,
    ticket_id: int,
    *,
    ratings: Mapping[str, Any],
    comments: Mapping[str, str],
    note: str,
    by: User,
) -> QaCalibrationRating:
    """Keep the reviewer's ratings of a ticket as a draft.

    :raises NotAllowed: not a reviewer of the session, or not its ticket.
    :raises Conflict: the session is closed, or these ratings were submitted.
    :raises InvalidInput: a rating off its category's scale.
    """
    row = _editable(session, ticket_id, by)
    rubric = session.rubric_version.rules
    kept = {k: v for k, v in ratings.items() if v is not None}
    problems = rubric_rules.rating_problems(rubric, kept)
    if problems:
        raise InvalidInput({f"rating_{k}": [v] for k, v in problems.items()})
    row.ratings = kept
    row.comments = {
        k: v.strip()[:2000]
        for k, v in comments.items()
        if v and v.strip() and rubric.category(k) is not None
    }
    row.note = note.strip()[:5000]
    row.updated_at = utcnow()
    db.session.flush()
    return row


def submit_rating(
    session: QaCalibration,
    ticket_id: int,
    *,
    ratings: Mapping[str, Any],
    comments: Mapping[str, str],
    note: str,
    by: User,
) -> QaCalibrationRating:
    """Submit the reviewer's ratings of a ticket: final, and seen by the others once the
    session is closed.

    :raises InvalidInput: a category not rated (or marked not applicable) yet.
    :raises Conflict: submitted already, or the session closed meanwhile.
    """
    row = save_rating(
        session, ticket_id, ratings=ratings, comments=comments, note=note, by=by
    )
    rubric = session.rubric_version.rules
    missing = rubric_rules.score_review(rubric, row.ratings).missing
    if missing:
        raise InvalidInput(
            {
                f"rating_{key}": [
                    f"Rate {rubric.category(key).label} (or mark it not applicable)."  # type: ignore[union-attr]
                ]
                for key in missing
            }
        )
    moved = db.session.execute(
        update(QaCalibrationRating)
        .where(
            QaCalibrationRating.id == row.id,
            QaCalibrationRating.submitted_at.is_(None),
        )
        .values(submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    still_open = db.session.scalar(
        db.select(QaCalibration.state).where(QaCalibration.id == session.id)
    )
    if moved != 1 or still_open is not SessionState.OPEN:
        raise Conflict("These ratings were submitted already, or the session closed.")
    db.session.refresh(row)
    done = queries.progress(session).get(by.id, 0)
    audit.record(
        by,
        "quality.calibration.submit",
        session,
        summary=f"{by.name} submitted ratings of a ticket in calibration "
        f"'{session.name}' ({done} of {len(session.ticket_ids)})",
        data={"ticket_id": ticket_id},
    )
    db.session.flush()
    return row


def close_session(session: QaCalibration, *, by: User, is_admin: bool) -> QaCalibration:
    """Close the session: no more ratings; everyone sees everyone's, and the agreement.
    Drafts never submitted stay out of the results.

    :raises NotAllowed: neither its creator nor an admin.
    :raises Conflict: closed already (also by someone at the same moment).
    """
    problem = rules.close_problem(
        session.state,
        user_id=by.id,
        creator_id=session.created_by_id,
        is_admin=is_admin,
    )
    if problem and session.state is SessionState.OPEN:
        raise NotAllowed(problem)
    if problem:
        raise Conflict(problem)
    moved = db.session.execute(
        update(QaCalibration)
        .where(QaCalibration.id == session.id, QaCalibration.state == SessionState.OPEN)
        .values(state=SessionState.CLOSED, closed_at=utcnow(), closed_by_id=by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict("This calibration session is closed already.")
    db.session.refresh(session)
    counts = queries.progress(session)
    audit.record(
        by,
        "quality.calibration.close",
        session,
        summary=f"Calibration '{session.name}' closed with "
        f"{_plural(sum(counts.values()), 'submitted rating')}",
        data={"submitted": {str(k): v for k, v in counts.items()}},
    )
    db.session.flush()
    return session
