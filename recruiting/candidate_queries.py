"""Reads for candidates: searching them, and everything one candidate's page shows (stage
history, test links, results, ratings, interview scorecards, who has seen whom).

Every function that shows candidates takes the viewer: in a blind opening a candidate's
identity depends on who is looking (``recruiting.identity``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from core.access import Viewer
from core.db import db, utcnow
from core.input_checks import MAX_ID
from core.pagination import Page, counted_rows
from core.params import whole_number
from core.people import User
from recruiting import assessment as rules
from recruiting import identity, pipeline
from recruiting.assessment import Competency
from recruiting.identity import Person
from recruiting.models import (
    Assessment,
    AssessmentResult,
    Candidate,
    InterviewScorecard,
    Invitation,
    Opening,
    ResultRating,
    RevealReason,
    StageChange,
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
)


@dataclass(frozen=True)
class CandidateFilter:
    q: str = ""
    opening_id: int | None = None
    stage: Stage | None = None
    duplicates_only: bool = False


@dataclass(frozen=True)
class ListedCandidate:
    person: Person
    opening: Opening
    stage: Stage
    stage_changed_at: dt.datetime
    created_at: dt.datetime
    total: float | None
    duplicate_of_id: int | None
    duplicate_reason: str | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_candidates(
    f: CandidateFilter, viewer: Viewer, *, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Candidates matching ``f``, most recently added first.

    A search by name, e-mail or phone finds only candidates whose identity the viewer may
    see (``identity.searchable``): blind review is not read around by typing a name or an
    address in. ``#N`` finds candidate N. The matching ids are read a page at a time with
    their count, then the page's rows whole (:func:`_in_order`).
    """
    stmt = select(Candidate.id).join(Opening, Opening.id == Candidate.opening_id)
    if f.q:
        pattern = _like(f.q)
        matches = [
            func.lower(Candidate.name).like(pattern, escape="\\"),
            Candidate.email.like(pattern, escape="\\"),
        ]
        key = pipeline.phone_key(f.q)
        if key:
            matches.append(Candidate.phone_key.like(f"%{key}%"))
        number = whole_number(f.q.strip().lstrip("#"))
        by_id = (
            Candidate.id == number
            if number is not None and 1 <= number <= MAX_ID
            else false()
        )
        stmt = stmt.where(or_(and_(or_(*matches), identity.searchable(viewer)), by_id))
    if f.opening_id:
        stmt = stmt.where(Candidate.opening_id == f.opening_id)
    if f.stage is not None:
        stmt = stmt.where(Candidate.stage == f.stage)
    if f.duplicates_only:
        # Only pairs the viewer may see both sides of: a pair with a blind candidate
        # hidden from them would name that candidate.
        other = aliased(Candidate, name="other")
        other_opening = aliased(Opening, name="other_opening")
        stmt = (
            stmt.join(other, other.id == Candidate.duplicate_of_id)
            .join(other_opening, other_opening.id == other.opening_id)
            .where(
                identity.searchable(viewer),
                identity.searchable(viewer, other, other_opening),
            )
        )
    ids, count, page = counted_rows(
        stmt.order_by(Candidate.created_at.desc(), Candidate.id.desc()), page, per_page
    )
    rows = in_order(
        ids,
        select(Candidate, Opening, AssessmentResult, identity.has_seen(viewer))
        .join(Opening, Opening.id == Candidate.opening_id)
        .outerjoin(AssessmentResult, AssessmentResult.candidate_id == Candidate.id),
    )
    visible = identity.visible_ids(viewer, [r[0].duplicate_of_id for r in rows])
    items = [
        _listed(
            identity.person(candidate, blind=opening.blind_review, has_seen=seen),
            candidate,
            opening,
            result,
            visible,
        )
        for candidate, opening, result, seen in rows
    ]
    return Page(items, page, per_page, count)


def _listed(
    person: Person,
    candidate: Candidate,
    opening: Opening,
    result: AssessmentResult | None,
    visible: set[int],
) -> ListedCandidate:
    duplicate = identity.duplicate_link(person, candidate.duplicate_of_id, visible)
    return ListedCandidate(
        person=person,
        opening=opening,
        stage=candidate.stage,
        stage_changed_at=candidate.stage_changed_at,
        created_at=candidate.created_at,
        total=rules.weighted_total(result.scores, opening.weight_map)
        if result
        else None,
        duplicate_of_id=duplicate,
        duplicate_reason=candidate.duplicate_reason if duplicate else None,
    )


def opening_candidates(
    opening: Opening,
    *,
    stage: Stage | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """An opening's candidates, oldest first, each with their result (for the API)."""
    stmt = select(Candidate.id).where(Candidate.opening_id == opening.id)
    if stage is not None:
        stmt = stmt.where(Candidate.stage == stage)
    ids, count, page = counted_rows(
        stmt.order_by(Candidate.id), page, per_page, clamp=False
    )
    rows = in_order(
        ids,
        select(Candidate, AssessmentResult, Assessment.version)
        .outerjoin(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .outerjoin(Assessment, Assessment.id == AssessmentResult.assessment_id),
    )
    populations = Populations(opening.weight_map)
    items = [
        (
            candidate,
            result_view(result, version, opening, populations) if result else None,
        )
        for candidate, result, version in rows
    ]
    return Page(items, page, per_page, count)


@dataclass(frozen=True)
class LinkView:
    invitation: Invitation
    state: pipeline.LinkState


@dataclass(frozen=True)
class HistoryEntry:
    """One stage move as this viewer may read it (free text redacted when blind)."""

    at: dt.datetime
    from_stage: Stage | None
    to_stage: Stage
    by_label: str
    reason: str


@dataclass(frozen=True)
class RatingEntry:
    rating: int
    note: str
    reviewer: User
    rated_at: dt.datetime
    #: The reviewer had chosen to see the candidate's details before rating.
    not_blind: bool = False


@dataclass(frozen=True)
class RatingsView:
    mine: ResultRating | None
    #: Everyone else's ratings, once the viewer has rated (or reads without rating).
    others: list[RatingEntry]
    count: int


@dataclass(frozen=True)
class CardEntry:
    """An interview scorecard as this viewer may read it."""

    interviewer: User
    recommendation: pipeline.Recommendation
    submitted_at: dt.datetime
    ratings: dict[Competency, int]
    notes: str


@dataclass(frozen=True)
class ScorecardsView:
    mine: InterviewScorecard | None
    visible: list[CardEntry]
    count: int
    #: Others' scorecards are hidden until the viewer submits theirs.
    hidden: bool
    may_submit: pipeline.Check


@dataclass(frozen=True)
class SeenEntry:
    """Someone who chose to see a blind candidate's details before rating."""

    user: User
    at: dt.datetime
    reason: RevealReason


@dataclass
class CandidateView:
    candidate: Candidate
    person: Person
    history: list[HistoryEntry]
    links: list[LinkView]
    result: ResultView | None
    answers: list[ReviewedItem]
    ratings: RatingsView
    scorecards: ScorecardsView
    moves: list[Stage]
    may_invite: pipeline.Check
    may_hire: pipeline.Check
    #: Why the viewer may not move the candidate on (blind review), if so.
    move_note: str = ""
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    erase_after: dt.datetime | None = None
    #: Who chose to see the details of this blind candidate before rating.
    seen_first: list[SeenEntry] = field(default_factory=list)
    #: The users the page names (reviewers, interviewers, link senders).
    people: list[User] = field(default_factory=list)


def candidate_view(
    candidate: Candidate, viewer: Viewer, *, retention_months: int
) -> CandidateView:
    """Everything the candidate page shows, for this viewer."""
    opening = candidate.opening
    seen = identity.sight(candidate, viewer)
    person = seen.person
    history = [
        HistoryEntry(
            at=c.at,
            from_stage=c.from_stage,
            to_stage=c.to_stage,
            by_label=c.by_label,
            reason=person.redact(c.reason),
        )
        for c in db.session.scalars(
            select(StageChange)
            .where(StageChange.candidate_id == candidate.id)
            .order_by(StageChange.at.desc(), StageChange.id.desc())
        )
    ]
    now = utcnow()
    links = [
        LinkView(i, pipeline.link_state(i.facts(candidate.stage), now))
        for i in db.session.scalars(
            select(Invitation)
            .where(Invitation.candidate_id == candidate.id)
            .order_by(Invitation.id.desc())
        )
    ]
    result_row = candidate.result
    result = answers = None
    if result_row is not None:
        result = result_view(
            result_row,
            result_row.assessment.version,
            opening,
            Populations(opening.weight_map),
        )
        answers = review_answers(
            result_row.assessment.parsed,
            answers_by_invitation([result_row.invitation_id]).get(
                result_row.invitation_id, {}
            ),
        )
    # Everyone the page names, in one query: later ``.reviewer``, ``.interviewer`` and
    # ``.created_by`` lookups then come from the session without a query each (the view
    # keeps them referenced, so the session's weak identity map keeps them too).
    user_ids = {r.reviewer_id for r in seen.ratings} | {
        c.interviewer_id for c in seen.cards
    }
    user_ids |= {link.invitation.created_by_id for link in links}
    user_ids |= {r.user_id for r in seen.reveals} | {candidate.hired_user_id}
    people = list(
        db.session.scalars(select(User).where(User.id.in_(user_ids - {None})))
    )
    revealed_at = {r.user_id: r.at for r in seen.reveals}
    linked = [
        (other_id, reason or "")
        for other_id, reason in db.session.execute(
            select(Candidate.id, Candidate.duplicate_reason).where(
                Candidate.duplicate_of_id == candidate.id
            )
        )
    ]
    if candidate.duplicate_of_id:
        linked.insert(0, (candidate.duplicate_of_id, candidate.duplicate_reason or ""))
    visible = identity.visible_ids(viewer, [other_id for other_id, _ in linked])
    duplicates = [
        (other_id, reason)
        for other_id, reason in linked
        if identity.duplicate_link(person, other_id, visible)
    ]
    has_account = bool(candidate.email) and db.session.scalar(
        select(func.count()).where(User.email == candidate.email)
    )
    moves = pipeline.moves_from(candidate.stage)
    gated = [m for m in moves if m in pipeline.BLIND_GATED_STAGES]
    blind_gate = pipeline.check_blind_move(
        gated[0] if gated else Stage.INTERVIEW,
        blind=opening.blind_review,
        has_result=result_row is not None,
        has_rated=seen.mine is not None,
    )
    if not blind_gate:
        moves = [m for m in moves if m not in gated]
    may_hire = pipeline.check_hire(candidate.stage, has_account=bool(has_account))
    if may_hire:
        may_hire = pipeline.check_blind_move(
            Stage.HIRED,
            blind=opening.blind_review,
            has_result=result_row is not None,
            has_rated=seen.mine is not None,
        )
    visible_cards = (
        seen.cards
        if seen.cards_visible
        else [c for c in seen.cards if c is seen.my_card]
    )
    return CandidateView(
        candidate=candidate,
        person=person,
        history=history,
        links=links,
        result=result,
        answers=answers or [],
        ratings=RatingsView(
            mine=seen.mine,
            others=[
                RatingEntry(
                    rating=r.rating,
                    note=person.redact(r.note),
                    reviewer=r.reviewer,
                    rated_at=r.rated_at,
                    not_blind=opening.blind_review
                    and r.reviewer_id in revealed_at
                    and revealed_at[r.reviewer_id] <= r.rated_at,
                )
                for r in seen.ratings
                if r is not seen.mine
            ]
            if seen.ratings_visible
            else [],
            count=len(seen.ratings),
        ),
        scorecards=ScorecardsView(
            mine=seen.my_card,
            visible=[
                CardEntry(
                    interviewer=c.interviewer,
                    recommendation=c.recommendation,
                    submitted_at=c.submitted_at,
                    ratings=c.ratings,
                    notes=person.redact(c.notes),
                )
                for c in visible_cards
            ],
            count=len(seen.cards),
            hidden=not seen.cards_visible,
            may_submit=pipeline.check_scorecard(
                candidate.stage, already_submitted=seen.my_card is not None
            ),
        ),
        moves=moves,
        move_note=blind_gate.reason if gated else "",
        may_invite=pipeline.check_invite(
            candidate.stage,
            has_result=result_row is not None,
            is_erased=candidate.is_erased,
        ),
        may_hire=may_hire,
        duplicates=duplicates,
        people=people,
        seen_first=[
            SeenEntry(user=r.user, at=r.at, reason=r.reason) for r in seen.reveals
        ],
        erase_after=pipeline.erase_after(candidate.closed_at, retention_months)
        if candidate.stage in pipeline.RETAINED_STAGES
        and candidate.closed_at
        and not candidate.is_erased
        else None,
    )


def get_candidate_for_page(candidate_id: int) -> Candidate | None:
    """The candidate with their opening, test result and its assessment, in one query
    (the candidate page needs all four)."""
    return db.session.scalar(
        select(Candidate)
        .where(Candidate.id == candidate_id)
        .options(
            joinedload(Candidate.opening),
            joinedload(Candidate.result).joinedload(AssessmentResult.assessment),
        )
    )


def is_hidden_from(candidate: Candidate, viewer: Viewer) -> bool:
    """Does blind review keep this candidate's identity from ``viewer`` right now?"""
    return identity.person_for(candidate, viewer).hidden
