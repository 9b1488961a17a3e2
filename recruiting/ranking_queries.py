"""Reads for reviewing an opening's results: the ranked list and candidates side by side.

Every function takes the viewer: in a blind opening a candidate's identity depends on who
is looking (``recruiting.identity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from core.access import Viewer
from core.db import db
from core.pagination import Page, counted_rows
from recruiting import identity, pipeline
from recruiting.identity import Person
from recruiting.models import (
    Assessment,
    AssessmentResult,
    Candidate,
    Opening,
    ResultRating,
)
from recruiting.pipeline import Stage
from recruiting.queries import (
    PER_PAGE,
    Populations,
    ResultView,
    ReviewedItem,
    answers_by_invitation,
    in_order,
    result_view,
    review_answers,
    weighted_total_sql,
)


def _my_rating(viewer: Viewer) -> tuple[Any, ColumnElement[bool]]:
    """The viewer's own rating of each candidate's result, to outer-join on."""
    rating = aliased(ResultRating, name="my_rating")
    return rating, and_(
        rating.candidate_id == Candidate.id, rating.reviewer_id == viewer.user_id
    )


@dataclass(frozen=True)
class RankedRow:
    rank: int
    person: Person
    stage: Stage
    result: ResultView
    my_rating: int | None


def ranked(
    opening: Opening,
    viewer: Viewer,
    *,
    stages: Sequence[Stage] = pipeline.ACTIVE_STAGES,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Candidates of ``opening`` with a result, best weighted total first.

    The ranking sorts only ids and totals, and counts them in the same pass; the page's
    rows are then loaded whole, by id (sorting every candidate's full row cost twice as
    much, and a count of its own as much again).
    """
    weights = opening.weight_map
    total = weighted_total_sql(weights).label("total")
    ranking = (
        select(Candidate.id)
        .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .where(Candidate.opening_id == opening.id, Candidate.stage.in_(list(stages)))
        .order_by(total.desc(), AssessmentResult.submitted_at, Candidate.id)
    )
    ids, count, page = counted_rows(ranking, page, per_page)
    rating, mine = _my_rating(viewer)
    rows = in_order(
        ids,
        select(
            Candidate,
            AssessmentResult,
            Assessment.version,
            rating.rating,
            identity.has_seen(viewer),
        )
        .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .outerjoin(rating, mine),
    )
    populations = Populations(weights)
    items = [
        RankedRow(
            rank=(page - 1) * per_page + index,
            person=identity.person(
                candidate, blind=opening.blind_review, has_seen=seen
            ),
            stage=candidate.stage,
            result=result_view(result, version, opening, populations),
            my_rating=my_rating,
        )
        for index, (candidate, result, version, my_rating, seen) in enumerate(
            rows, start=1
        )
    ]
    return Page(items, page, per_page, count)


@dataclass(frozen=True)
class Compared:
    person: Person
    stage: Stage
    result: ResultView
    items: list[ReviewedItem]


MAX_COMPARED = 4


def compare(
    opening: Opening, viewer: Viewer, candidate_ids: Sequence[int]
) -> list[Compared]:
    """Up to four candidates of ``opening`` with results, side by side, best first.

    Ids of candidates in other openings, or without a result, are left out.
    """
    ids = list(dict.fromkeys(candidate_ids))[:MAX_COMPARED]
    rows = db.session.execute(
        select(Candidate, AssessmentResult, Assessment, identity.has_seen(viewer))
        .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .where(Candidate.opening_id == opening.id, Candidate.id.in_(ids))
    ).all()
    answers = answers_by_invitation([r.invitation_id for _, r, _, _ in rows])
    populations = Populations(opening.weight_map)
    compared = [
        Compared(
            person=identity.person(
                candidate, blind=opening.blind_review, has_seen=seen
            ),
            stage=candidate.stage,
            result=result_view(result, version.version, opening, populations),
            items=review_answers(version.parsed, answers.get(result.invitation_id, {})),
        )
        for candidate, result, version, seen in rows
    ]
    return sorted(compared, key=lambda c: -c.result.total)
