"""Recruiting's reads: openings, the board, the ranked list, comparisons, candidate pages,
assessment statistics and the dashboard panel.

Every function that shows candidates takes the viewer, because in a blind opening a
candidate's identity depends on who is looking (``recruiting.identity``). Lists are
built with a fixed number of statements, whatever their length.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from core import charts
from core.access import Role, Viewer
from core.db import db, utcnow
from core.input_checks import MAX_ID
from core.pagination import Page, counted_rows
from core.params import whole_number
from core.people import User, hash_token
from recruiting import assessment as rules
from recruiting import identity, pipeline
from recruiting.assessment import COMPETENCIES, Competency
from recruiting.identity import Person
from recruiting.models import (
    Assessment,
    AssessmentResult,
    Candidate,
    CandidateAnswer,
    InterviewScorecard,
    Invitation,
    Opening,
    OpeningStatus,
    ResultRating,
    RevealReason,
    StageChange,
)
from recruiting.pipeline import Stage

#: Roles that manage recruiting and interview candidates.
MANAGERS = identity.REVIEWERS
#: Roles that may read recruiting.
READERS = MANAGERS | {Role.LEADERSHIP}
#: Cards shown per board column; the rest are counted and listed on the candidates page.
BOARD_CARDS = 20
PER_PAGE = 50


def can_manage(viewer: Viewer) -> bool:
    return viewer.has_any(MANAGERS)


def is_interviewer(viewer: Viewer) -> bool:
    """Interviewers are hiring managers and admins; leadership only reads."""
    return viewer.has_any(MANAGERS)


# --- how a candidate appears ------------------------------------------------------------
# ``recruiting.identity`` decides what a viewer may see of a candidate (blind review).


def _my_rating(viewer: Viewer) -> tuple[Any, ColumnElement[bool]]:
    """The viewer's own rating of each candidate's result, to outer-join on."""
    rating = aliased(ResultRating, name="my_rating")
    return rating, and_(
        rating.candidate_id == Candidate.id, rating.reviewer_id == viewer.user_id
    )


# --- weighted totals and percentiles ----------------------------------------------------


def weighted_total_sql(weights: Mapping[Competency, int]) -> ColumnElement[float]:
    """``assessment.weighted_total`` as SQL, for ordering and for whole populations."""
    total = sum(weights.get(c, 0) for c in COMPETENCIES)
    terms = [
        literal(float(weights[c])) * getattr(AssessmentResult, c.value)
        for c in COMPETENCIES
        if weights.get(c, 0)
    ]
    return sum(terms[1:], terms[0]) / literal(float(total))


class Populations:
    """Sorted weighted totals of every result per assessment version, loaded once each."""

    def __init__(self, weights: Mapping[Competency, int]) -> None:
        self.weights = weights
        self._loaded: dict[int, list[float]] = {}

    def percentile(self, assessment_id: int, value: float) -> float:
        population = self._loaded.get(assessment_id)
        if population is None:
            population = self._loaded[assessment_id] = self._population(assessment_id)
        return rules.percentile(value, population)

    def _population(self, assessment_id: int) -> list[float]:
        """The version's sorted totals, kept by this process while the results' count,
        newest id and sum of totals stay the same (summing in SQL is much cheaper than
        reading every total)."""
        of_version = AssessmentResult.assessment_id == assessment_id
        total = weighted_total_sql(self.weights)
        count, last, summed = db.session.execute(
            select(func.count(), func.max(AssessmentResult.id), func.sum(total)).where(
                of_version
            )
        ).one()
        weights = tuple(sorted((str(c), w) for c, w in self.weights.items()))
        key = (assessment_id, weights, count, last, round(summed or 0.0, 6))
        population = _POPULATIONS.get(key)
        if population is None:
            values = db.session.scalars(select(total).where(of_version))
            population = sorted(round(v, 1) for v in values)
            _POPULATIONS[key] = population
            while len(_POPULATIONS) > POPULATIONS_KEPT:
                _POPULATIONS.pop(next(iter(_POPULATIONS)))
        return population


#: Sorted totals by (version, weights, how many results, the newest result's id, their
#: sum): a ranked list of 10,000 candidates would otherwise read them all on every page.
_POPULATIONS: dict[tuple[Any, ...], list[float]] = {}
POPULATIONS_KEPT = 64


@dataclass(frozen=True)
class ResultView:
    """A result as a reviewer sees it for one opening."""

    scores: dict[Competency, float]
    total: float
    percentile: float
    assessment_id: int
    version: int
    answered: int
    item_count: int
    submitted_at: dt.datetime
    timed_out: bool

    @property
    def strip(self) -> Markup:
        return charts.bar_strip(
            [(c.label, v) for c, v in self.scores.items()], label="Competency scores"
        )

    def rows(self, weights: Mapping[Competency, int]) -> Markup:
        return charts.bar_rows(
            [
                (f"{c.label} \N{MULTIPLICATION SIGN}{weights.get(c, 0)}", v)
                for c, v in self.scores.items()
            ],
            label="Competency scores with their weights",
            width=420,
            label_width=150,
        )


def _result_view(
    result: AssessmentResult, version: int, opening: Opening, populations: Populations
) -> ResultView:
    total = rules.weighted_total(result.scores, opening.weight_map)
    return ResultView(
        scores=result.scores,
        total=total,
        percentile=populations.percentile(result.assessment_id, total),
        assessment_id=result.assessment_id,
        version=version,
        answered=result.answered,
        item_count=result.item_count,
        submitted_at=result.submitted_at,
        timed_out=result.timed_out,
    )


# --- openings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningSummary:
    opening: Opening
    counts: dict[Stage, int]
    results: int


def stage_counts(
    opening_ids: Iterable[int] | None = None,
) -> dict[int, dict[Stage, int]]:
    """Candidates per stage, per opening."""
    stmt = select(Candidate.opening_id, Candidate.stage, func.count()).group_by(
        Candidate.opening_id, Candidate.stage
    )
    if opening_ids is not None:
        stmt = stmt.where(Candidate.opening_id.in_(list(opening_ids)))
    counts: dict[int, dict[Stage, int]] = defaultdict(dict)
    for opening_id, stage, n in db.session.execute(stmt):
        counts[opening_id][stage] = n
    return counts


def list_openings(status: OpeningStatus | None = None) -> list[OpeningSummary]:
    """Openings, open first then newest, with candidates per stage and results taken."""
    stmt = select(Opening).order_by(Opening.status.desc(), Opening.id.desc())
    if status is not None:
        stmt = stmt.where(Opening.status == status)
    openings = list(db.session.scalars(stmt))
    counts = stage_counts([o.id for o in openings])
    results = dict(
        db.session.execute(
            select(Candidate.opening_id, func.count())
            .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
            .group_by(Candidate.opening_id)
        ).all()
    )
    return [
        OpeningSummary(o, counts.get(o.id, {}), results.get(o.id, 0)) for o in openings
    ]


def list_assessments() -> list[Assessment]:
    return list(
        db.session.scalars(
            select(Assessment).order_by(Assessment.key, Assessment.version.desc())
        )
    )


def assessment_choices() -> list[tuple[int, str]]:
    """Each assessment's versions, newest first, for the opening form."""
    return [(a.id, a.label) for a in list_assessments()]


# --- the board --------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    person: Person
    stage: Stage
    stage_changed_at: dt.datetime
    total: float | None
    duplicate_of_id: int | None


@dataclass(frozen=True)
class BoardColumn:
    stage: Stage
    count: int
    cards: list[Card]

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def board(
    opening: Opening, viewer: Viewer, per_stage: int = BOARD_CARDS
) -> list[BoardColumn]:
    """The pipeline board: every stage with its count and its most recently moved cards.

    Each stage's newest cards come from its own short index scan (``opening_id, stage,
    stage_changed_at``), not from numbering every candidate of the opening.
    """
    counts = stage_counts([opening.id]).get(opening.id, {})
    newest = [
        select(Candidate.id)
        .where(Candidate.opening_id == opening.id, Candidate.stage == stage)
        .order_by(Candidate.stage_changed_at.desc())
        .limit(per_stage)
        .subquery()
        for stage in pipeline.BOARD_STAGES
        if counts.get(stage)
    ]
    rows = []
    if newest:
        rows = db.session.execute(
            select(Candidate, AssessmentResult, identity.has_seen(viewer))
            .outerjoin(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
            .where(Candidate.id.in_(union_all(*(select(ids.c.id) for ids in newest))))
            .order_by(Candidate.stage_changed_at.desc())
        ).all()
    weights = opening.weight_map
    cards: dict[Stage, list[Card]] = defaultdict(list)
    visible = identity.visible_ids(viewer, [c.duplicate_of_id for c, _, _ in rows])
    for candidate, result, seen in rows:
        person = identity.person(candidate, blind=opening.blind_review, has_seen=seen)
        cards[candidate.stage].append(
            Card(
                person=person,
                stage=candidate.stage,
                stage_changed_at=candidate.stage_changed_at,
                total=rules.weighted_total(result.scores, weights) if result else None,
                duplicate_of_id=identity.duplicate_link(
                    person, candidate.duplicate_of_id, visible
                ),
            )
        )
    return [
        BoardColumn(stage, counts.get(stage, 0), cards.get(stage, []))
        for stage in pipeline.BOARD_STAGES
    ]


# --- the ranked list and comparison -----------------------------------------------------


def _in_order(ids: Sequence[Any], stmt: Select[Any]) -> list[Any]:
    """The rows of ``stmt`` (its first entity a :class:`Candidate`) for the candidate ids
    a :func:`counted_rows` page read, in that order. A list reads its page of ids first,
    with their count, then only that page's rows whole; a row gone between the two reads
    is left out rather than failing the page."""
    wanted = [candidate_id for (candidate_id,) in ids]
    loaded = {
        row[0].id: row
        for row in db.session.execute(stmt.where(Candidate.id.in_(wanted)))
    }
    return [loaded[candidate_id] for candidate_id in wanted if candidate_id in loaded]


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
    rows = _in_order(
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
            result=_result_view(result, version, opening, populations),
            my_rating=my_rating,
        )
        for index, (candidate, result, version, my_rating, seen) in enumerate(
            rows, start=1
        )
    ]
    return Page(items, page, per_page, count)


@dataclass(frozen=True)
class ChosenOption:
    key: str
    text: str
    points: dict[Competency, int]
    #: "best" (chosen, or most effective), "worst" (least effective) or "".
    chosen_as: str
    #: The option with the most points in all (the keyed best response).
    is_keyed_best: bool
    #: The option with the fewest points in all (the keyed least effective response).
    is_keyed_worst: bool


@dataclass(frozen=True)
class ReviewedItem:
    """One item with a candidate's choice and the points it earned."""

    number: int
    item: rules.Item
    options: list[ChosenOption]
    earned: dict[Competency, int]
    complete: bool

    @property
    def earned_total(self) -> int:
        return sum(self.earned.values())

    @property
    def chosen(self) -> list[ChosenOption]:
        return [o for o in self.options if o.chosen_as]


def review_answers(
    spec: rules.AssessmentSpec, answers: Mapping[str, rules.Answer]
) -> list[ReviewedItem]:
    """Each item of ``spec`` with the candidate's choices and their keyed points."""
    reviewed = []
    for number, item in enumerate(spec.items, start=1):
        answer = answers.get(item.key) or rules.Answer()
        totals = [sum(o.points.values()) for o in item.options]
        options = []
        for option in item.options:
            chosen_as = ""
            if option.key == answer.best:
                chosen_as = "best"
            elif option.key == answer.worst:
                chosen_as = "worst"
            options.append(
                ChosenOption(
                    key=option.key,
                    text=option.text,
                    points={c: option.points_for(c) for c in COMPETENCIES},
                    chosen_as=chosen_as,
                    is_keyed_best=sum(option.points.values()) == max(totals),
                    is_keyed_worst=item.type is rules.ItemType.MOST_LEAST
                    and sum(option.points.values()) == min(totals),
                )
            )
        reviewed.append(
            ReviewedItem(
                number=number,
                item=item,
                options=options,
                earned=rules.item_points(item, answer),
                complete=rules.is_complete(item, answer),
            )
        )
    return reviewed


def _answers_by_invitation(
    invitation_ids: Sequence[int],
) -> dict[int, dict[str, rules.Answer]]:
    found: dict[int, dict[str, rules.Answer]] = defaultdict(dict)
    if not invitation_ids:
        return found
    rows = db.session.execute(
        select(
            CandidateAnswer.invitation_id,
            CandidateAnswer.item_key,
            CandidateAnswer.best,
            CandidateAnswer.worst,
        ).where(CandidateAnswer.invitation_id.in_(list(invitation_ids)))
    )
    for invitation_id, key, best, worst in rows:
        found[invitation_id][key] = rules.Answer(best, worst)
    return found


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
    answers = _answers_by_invitation([r.invitation_id for _, r, _, _ in rows])
    populations = Populations(opening.weight_map)
    compared = [
        Compared(
            person=identity.person(
                candidate, blind=opening.blind_review, has_seen=seen
            ),
            stage=candidate.stage,
            result=_result_view(result, version.version, opening, populations),
            items=review_answers(version.parsed, answers.get(result.invitation_id, {})),
        )
        for candidate, result, version, seen in rows
    ]
    return sorted(compared, key=lambda c: -c.result.total)


# --- searching candidates ---------------------------------------------------------------


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
    rows = _in_order(
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
    rows = _in_order(
        ids,
        select(Candidate, AssessmentResult, Assessment.version)
        .outerjoin(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .outerjoin(Assessment, Assessment.id == AssessmentResult.assessment_id),
    )
    populations = Populations(opening.weight_map)
    items = [
        (
            candidate,
            _result_view(result, version, opening, populations) if result else None,
        )
        for candidate, result, version in rows
    ]
    return Page(items, page, per_page, count)


def opening_choices(*, open_only: bool = False) -> list[tuple[int, str]]:
    stmt = select(Opening.id, Opening.title).order_by(Opening.title)
    if open_only:
        stmt = stmt.where(Opening.status == OpeningStatus.OPEN)
    return [(i, t) for i, t in db.session.execute(stmt)]


# --- one candidate ----------------------------------------------------------------------


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
        result = _result_view(
            result_row,
            result_row.assessment.version,
            opening,
            Populations(opening.weight_map),
        )
        answers = review_answers(
            result_row.assessment.parsed,
            _answers_by_invitation([result_row.invitation_id]).get(
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


def get_invitation_by_token(token: str) -> Invitation | None:
    """The test link with this token, by the token's hash (the token itself is not kept)."""
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )


# --- assessments ------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentView:
    assessment: Assessment
    spec: rules.AssessmentSpec
    stats: dict[str, rules.ItemStatistics]
    results: int
    openings: list[Opening]


def assessment_view(assessment: Assessment) -> AssessmentView:
    """An assessment version with its items and how each behaved across its results."""
    count, last, summed = db.session.execute(
        select(
            func.count(),
            func.max(AssessmentResult.id),
            func.sum(AssessmentResult.overall),
        ).where(AssessmentResult.assessment_id == assessment.id)
    ).one()
    key = (assessment.id, count, last, round(summed or 0.0, 6))
    stats = _ITEM_STATISTICS.get(key)
    if stats is None:
        invitation_ids = list(
            db.session.scalars(
                select(AssessmentResult.invitation_id).where(
                    AssessmentResult.assessment_id == assessment.id
                )
            )
        )
        answers = _answers_by_invitation(invitation_ids) if invitation_ids else {}
        results = [answers.get(i, {}) for i in invitation_ids]
        stats = {
            s.item_key: s for s in rules.item_statistics(assessment.parsed, results)
        }
        _ITEM_STATISTICS[key] = stats
        while len(_ITEM_STATISTICS) > ITEM_STATISTICS_KEPT:
            _ITEM_STATISTICS.pop(next(iter(_ITEM_STATISTICS)))
    openings = list(
        db.session.scalars(
            select(Opening)
            .where(Opening.assessment_id == assessment.id)
            .order_by(Opening.title)
        )
    )
    return AssessmentView(assessment, assessment.parsed, stats, count, openings)


#: Each version's item statistics by (version, how many results, the newest result's id,
#: the sum of their overall scores). A submitted result and its answers never change, so
#: only a new result changes them (the sum also tells apart results written and rolled
#: back, whose ids SQLite may hand out again). Computing them reads every answer of the
#: version (75,000 rows for 5,000 results), so this process keeps them.
_ITEM_STATISTICS: dict[tuple[Any, ...], dict[str, rules.ItemStatistics]] = {}
ITEM_STATISTICS_KEPT = 16


def option_bars(item: rules.Item, stats: rules.ItemStatistics) -> Markup:
    """How often each option was chosen, as bars (the keyed best option accented)."""
    top = max(sum(o.points.values()) for o in item.options)
    values: list[tuple[str, float | None]] = []
    for count in stats.options:
        values.append(
            (
                f"{count.key} most"
                if item.type is rules.ItemType.MOST_LEAST
                else count.key,
                count.chosen,
            )
        )
        if item.type is rules.ItemType.MOST_LEAST:
            values.append((f"{count.key} least", count.chosen_least))
    best = [
        i for i, option in enumerate(item.options) if sum(option.points.values()) == top
    ]
    if item.type is rules.ItemType.MOST_LEAST:
        best = [i * 2 for i in best]
    return charts.bar_rows(
        values,
        maximum=max(1, stats.results),
        label="How often each option was chosen",
        highlight=best,
    )


# --- the dashboard panel ----------------------------------------------------------------


@dataclass(frozen=True)
class PanelData:
    counts: dict[Stage, int]
    open_openings: int
    awaiting_rating: int
    pending_scorecards: list[tuple[int, str, str]]
    can_manage: bool


def hiring_panel(viewer: Viewer) -> PanelData:
    """Candidates per stage in open openings; for managers, what waits on them."""
    open_ids = select(Opening.id).where(Opening.status == OpeningStatus.OPEN)
    counts: dict[Stage, int] = dict(
        db.session.execute(
            select(Candidate.stage, func.count())
            .where(Candidate.opening_id.in_(open_ids))
            .group_by(Candidate.stage)
        ).all()
    )
    open_openings = db.session.scalar(
        select(func.count()).select_from(open_ids.subquery())
    )
    awaiting = 0
    pending: list[tuple[int, str, str]] = []
    manager = can_manage(viewer)
    if manager:
        awaiting = db.session.scalar(
            select(func.count())
            .select_from(Candidate)
            .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
            .where(
                Candidate.opening_id.in_(open_ids),
                Candidate.stage.in_([Stage.APPLIED, Stage.SCREENING, Stage.ASSESSED]),
                ~select(ResultRating.id)
                .where(
                    ResultRating.candidate_id == Candidate.id,
                    ResultRating.reviewer_id == viewer.user_id,
                )
                .exists(),
            )
        )
        rows = db.session.execute(
            select(Candidate, Opening, identity.has_seen(viewer))
            .join(Opening, Opening.id == Candidate.opening_id)
            .where(
                Candidate.stage == Stage.INTERVIEW,
                Opening.status == OpeningStatus.OPEN,
                ~select(InterviewScorecard.id)
                .where(
                    InterviewScorecard.candidate_id == Candidate.id,
                    InterviewScorecard.interviewer_id == viewer.user_id,
                )
                .exists(),
            )
            .order_by(Candidate.stage_changed_at)
            .limit(5)
        ).all()
        pending = [
            (
                c.id,
                identity.person(c, blind=o.blind_review, has_seen=seen).label,
                o.title,
            )
            for c, o, seen in rows
        ]
    return PanelData(counts, open_openings, awaiting, pending, manager)


# --- for other modules --------------------------------------------------------------------


@dataclass(frozen=True)
class HireResult:
    """The test result of a candidate hired through Frontline, by their rep account."""

    user_id: int
    #: Competency -> score 0-100.
    scores: dict[str, float]
    #: The weighted total by the opening's weights (the plain mean when all are 0).
    total: float


def list_hire_results() -> list[HireResult]:
    """Test results of every candidate hired into a Frontline account.

    For incentives: the hiring-test validity sets these against reps' later scores.
    Erased candidates keep their anonymous result and their link to the account.
    """
    rows = db.session.execute(
        select(Candidate.hired_user_id, AssessmentResult, Opening.weights)
        .join(AssessmentResult, AssessmentResult.candidate_id == Candidate.id)
        .join(Opening, Opening.id == Candidate.opening_id)
        .where(Candidate.hired_user_id.is_not(None))
        .order_by(Candidate.hired_user_id, Candidate.id)
    )
    found: dict[int, HireResult] = {}
    for user_id, result, weights in rows:
        scores = result.scores
        weight_map = {c: int((weights or {}).get(c, 0)) for c in COMPETENCIES}
        try:
            total = rules.weighted_total(scores, weight_map)
        except ValueError:
            total = round(result.overall, 1)
        found[user_id] = HireResult(
            user_id, {c.value: float(v) for c, v in scores.items()}, total
        )
    return list(found.values())
