"""Recruiting's writes for reviewing candidates: rating a test result, revealing a blind
candidate's identity, and interview scorecards.

Each function loads what it needs, asks the rules (``pipeline``, ``identity``), writes,
records an audit event and flushes. None commits: the view, API call or command does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import func, select

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.people import User
from recruiting import assessment as rules
from recruiting import identity, pipeline
from recruiting.models import (
    Candidate,
    CandidateReveal,
    InterviewScorecard,
    ResultRating,
    RevealReason,
)
from recruiting.operations import lock_candidate
from recruiting.pipeline import Recommendation

logger = logging.getLogger(__name__)


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
