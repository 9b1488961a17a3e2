"""Recruiting factories for tests: they flush, never commit."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from pathlib import Path

from core.db import utcnow
from core.people import Team, User
from recruiting import invitation_operations, operations, review_operations
from recruiting.assessment import Answer
from recruiting.models import Assessment, AssessmentResult, Candidate, Opening
from recruiting.pipeline import Stage
from tests.factories import make_team

DEFAULT_YAML = (
    Path(__file__).resolve().parents[2] / "recruiting/assessments/default.yaml"
).read_text()

_seq = itertools.count(1)

#: The road to each stage by plain moves (hired goes through ``hire``).
ROAD = {
    Stage.APPLIED: [],
    Stage.SCREENING: [Stage.SCREENING],
    Stage.ASSESSED: [Stage.SCREENING, Stage.ASSESSED],
    Stage.INTERVIEW: [Stage.SCREENING, Stage.INTERVIEW],
    Stage.OFFER: [Stage.SCREENING, Stage.INTERVIEW, Stage.OFFER],
    Stage.REJECTED: [Stage.SCREENING, Stage.REJECTED],
    Stage.WITHDRAWN: [Stage.SCREENING, Stage.WITHDRAWN],
}


def load_default() -> Assessment:
    return operations.load_assessment(DEFAULT_YAML, by="test").assessment


def make_opening(
    by: User,
    *,
    team: Team | None = None,
    title: str | None = None,
    blind: bool = False,
    weights: Mapping[str, int] | None = None,
    assessment: Assessment | None = None,
) -> Opening:
    return operations.save_opening(
        None,
        operations.OpeningInput(
            title=title or f"Opening {next(_seq)}",
            team_id=(team or make_team()).id,
            assessment_id=(assessment or load_default()).id,
            weights=weights
            or dict.fromkeys(
                ("empathy", "ownership", "communication", "composure", "judgement"), 1
            ),
            channels=("chat",),
            blind_review=blind,
        ),
        by=by,
    )


def make_candidate(
    opening: Opening,
    by: User,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    stage: Stage = Stage.APPLIED,
) -> Candidate:
    n = next(_seq)
    candidate = operations.add_candidate(
        opening,
        operations.CandidateInput(
            name=name or f"Candidate Person {n}",
            email=email or f"candidate{n}@example.org",
            phone=phone,
            source="Job board",
            notes="Private note about the person",
        ),
        by=by,
    )
    for step in ROAD[stage]:
        if step is Stage.INTERVIEW and opening.blind_review:
            # Blind review: the mover rates the test result before the interview.
            answer_all(candidate, by)
            review_operations.rate_result(candidate, by=by, rating=3)
        operations.move_candidate(candidate, step, "test move", by=by)
    return candidate


def answer_all(candidate: Candidate, by: User, pick: str = "a") -> AssessmentResult:
    """Take the whole test for ``candidate``, choosing option ``pick`` (and, for
    most/least items, "b" as least effective) on every item."""
    invitation, _ = invitation_operations.create_invitation(candidate, by=by)
    invitation_operations.start_test(invitation)
    for item in invitation.assessment.parsed.items:
        worst = (
            ("b" if pick != "b" else "c") if item.type.value == "most_least" else None
        )
        invitation_operations.save_answer(invitation, item.key, pick, worst)
    return invitation_operations.submit_test(invitation)


def take_with(
    candidate: Candidate,
    by: User,
    answers: Mapping[str, Answer],
    *,
    at: dt.datetime | None = None,
) -> AssessmentResult:
    at = at or utcnow()
    invitation, _ = invitation_operations.create_invitation(candidate, by=by, at=at)
    invitation_operations.start_test(invitation, at=at)
    for key, answer in answers.items():
        invitation_operations.save_answer(
            invitation, key, answer.best, answer.worst, at=at
        )
    return invitation_operations.submit_test(invitation, at=at)
