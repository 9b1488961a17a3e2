"""Recruiting's reads: openings, the board, results with their weighted totals and
percentiles, the answers behind a result, assessment statistics, the dashboard panel, and
what recruiting offers other modules. The ranked list and comparisons are
:mod:`recruiting.ranking_queries`; searching candidates and one candidate's page,
:mod:`recruiting.candidate_queries`.

Every function that shows candidates takes the viewer, because in a blind opening a
candidate's identity depends on who is looking (``recruiting.identity``). Lists are
built with a fixed number of statements, whatever their length.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    literal,
    select,
    union_all,
)

from core import charts
from core.access import Role, Viewer
from core.db import db
from core.people import hash_token
from recruiting import assessment as rules
from recruiting import identity, item_statistics, pipeline
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


def result_view(
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


# --- lists in order, and the answers behind a result ---------------------------------


def in_order(ids: Sequence[Any], stmt: Select[Any]) -> list[Any]:
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


def answers_by_invitation(
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


def opening_choices(*, open_only: bool = False) -> list[tuple[int, str]]:
    stmt = select(Opening.id, Opening.title).order_by(Opening.title)
    if open_only:
        stmt = stmt.where(Opening.status == OpeningStatus.OPEN)
    return [(i, t) for i, t in db.session.execute(stmt)]


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
    stats: dict[str, item_statistics.ItemStatistics]
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
        answers = answers_by_invitation(invitation_ids) if invitation_ids else {}
        results = [answers.get(i, {}) for i in invitation_ids]
        stats = {
            s.item_key: s
            for s in item_statistics.item_statistics(assessment.parsed, results)
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
_ITEM_STATISTICS: dict[tuple[Any, ...], dict[str, item_statistics.ItemStatistics]] = {}
ITEM_STATISTICS_KEPT = 16


def option_bars(item: rules.Item, stats: item_statistics.ItemStatistics) -> Markup:
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
