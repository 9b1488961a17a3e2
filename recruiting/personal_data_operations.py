"""Recruiting's writes for candidates' personal data: export on request, erasure on request
or after the retention period, and the purge that applies it.

Erasure keeps anonymous scores for statistics. Audit events name candidates by id only.
None of these commits: the view or the ``candidates purge`` command does.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select, update

from core import audit, settings
from core.db import db, utcnow
from core.errors import NotAllowed
from core.people import User
from recruiting import identity, pipeline
from recruiting.invitation_operations import answers_of
from recruiting.models import (
    Candidate,
    InterviewScorecard,
    Invitation,
    ResultRating,
    StageChange,
)
from recruiting.operations import close_links

logger = logging.getLogger(__name__)


ERASED = "(erased)"


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
    close_links(candidate, "Personal data erased")
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
