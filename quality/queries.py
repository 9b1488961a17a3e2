"""Reads for quality: rubrics, who sees which review, a reviewer's queue, a rep's reviews,
disputes to decide, and the QA scores of a month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.orm import ORMExecuteState, Session, joinedload, selectinload

from core.access import Role, Viewer, can_see_rep, can_supervise_rep
from core.db import db
from core.pagination import Page, counted_rows
from core.people import NAMES_ONLY, Team, User
from incentives.tickets.queries import TicketFacts, ticket_facts
from quality import reviews as review_rules
from quality.coaching import RatedReview, RepCoaching, rep_coaching
from quality.models import (
    QaCalibration,
    QaHelpdeskLink,
    QaReview,
    QaRubric,
    QaRubricVersion,
)
from quality.reviews import Decision, ReviewState
from quality.rubrics import ChannelGroup, MonthScore, month_score, month_score_of
from quality.sampling import refund_amount
from training.queries import (
    HeldAuthority,
    held_limit,
    list_held_authorities,
    list_scenarios_for_metric,
    training_loads,
)

# --- rubrics ------------------------------------------------------------------------------


def list_rubrics() -> list[QaRubric]:
    return list(
        db.session.scalars(
            select(QaRubric)
            .options(joinedload(QaRubric.versions))
            .order_by(QaRubric.channel_group)
        ).unique()
    )


def get_rubric_for(group: ChannelGroup | str) -> QaRubric | None:
    return db.session.scalar(
        select(QaRubric).where(QaRubric.channel_group == ChannelGroup(group))
    )


def current_versions() -> dict[str, QaRubricVersion]:
    """The current version of each channel group's rubric, by group."""
    return {r.channel_group.value: r.current for r in list_rubrics() if r.versions}


def locked_version_ids() -> set[int]:
    """Rubric versions a submitted review was judged by, or a calibration session uses:
    they no longer change."""
    return set(
        db.session.scalars(
            select(QaReview.rubric_version_id)
            .where(QaReview.state != ReviewState.DRAFT)
            .distinct()
        )
    ) | set(db.session.scalars(select(QaCalibration.rubric_version_id).distinct()))


def review_counts_by_version() -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for version_id in db.session.scalars(select(QaReview.rubric_version_id)):
        counts[version_id] += 1
    return dict(counts)


# --- people -------------------------------------------------------------------------------


def supervisors_by_team() -> dict[int, list[int]]:
    """Each team's supervisors' ids."""
    teams = db.session.scalars(select(Team).options(joinedload(Team.supervisors)))
    return {team.id: [u.id for u in team.supervisors] for team in teams.unique()}


def reps_by_id(rep_ids: Iterable[int]) -> dict[int, User]:
    ids = sorted(set(rep_ids))
    if not ids:
        return {}
    return {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_(ids)).options(*NAMES_ONLY)
        )
    }


# --- who sees which review ----------------------------------------------------------------


def can_view(viewer: Viewer, review: QaReview) -> bool:
    """Leadership and admins see every review; the reviewer theirs; a supervisor those of
    the reps of teams they lead; the rep their own once submitted."""
    if viewer.sees_all_reps or viewer.user_id == review.reviewer_id:
        return True
    if viewer.user_id == review.rep_id:
        return review.state in review_rules.SHOWN_TO_REP
    return Role.SUPERVISOR in viewer.roles and can_see_rep(
        viewer, review.rep_id, review.rep.team_id
    )


def may_decide(viewer: Viewer, review: QaReview) -> bool:
    """Is ``viewer`` an admin, or a supervisor of the rep's team (the rules then say no to
    the reviewer and the rep)?"""
    return Role.ADMIN in viewer.roles or can_supervise_rep(
        viewer, review.rep_id, review.rep.team_id
    )


def _reviews() -> Select[tuple[QaReview]]:
    """Reviews with their rep and reviewer (names only: their roles and teams load if
    something reads them) and their rubric version, read once for all the rows."""
    return select(QaReview).options(
        joinedload(QaReview.rep).options(*NAMES_ONLY),
        joinedload(QaReview.reviewer).options(*NAMES_ONLY),
        selectinload(QaReview.rubric_version).joinedload(QaRubricVersion.rubric),
    )


def _visible(query: Select[Any], viewer: Viewer) -> Select[Any]:
    """``query`` (of reviews, joined to their rep) cut to what ``viewer`` may see."""
    if viewer.sees_all_reps:
        return query
    clauses = [QaReview.reviewer_id == viewer.user_id]
    if Role.SUPERVISOR in viewer.roles and viewer.supervised_team_ids:
        clauses.append(User.team_id.in_(viewer.supervised_team_ids))
    clauses.append(
        (QaReview.rep_id == viewer.user_id)
        & QaReview.state.in_(review_rules.SHOWN_TO_REP)
    )
    return query.where(or_(*clauses))


def visible_reviews(viewer: Viewer) -> Select[tuple[QaReview]]:
    """The reviews ``viewer`` may list (:func:`can_view`, as a query)."""
    return _visible(_reviews().join(User, User.id == QaReview.rep_id), viewer)


def review_page(
    viewer: Viewer,
    *,
    rep_id: int | None = None,
    month: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the reviews ``viewer`` may see (the latest month first), of one rep
    and one month when given; for the API (a page past the end is empty)."""
    ids = _visible_ids(viewer)
    if rep_id is not None:
        ids = ids.where(QaReview.rep_id == rep_id)
    if month:
        ids = ids.where(QaReview.month == month)
    return _page_of(
        ids.order_by(QaReview.month.desc(), QaReview.id), page, per_page, clamp=False
    )


def _page_of(ids: Select[Any], page: int, per_page: int, *, clamp: bool) -> Page:
    """One page of the reviews whose ids ``ids`` selects (ordered): the ids counted and
    cut in the database, then only the page's reviews loaded."""
    found, total, page = counted_rows(ids, page, per_page, clamp=clamp)
    wanted = [row[0] for row in found]
    loaded = {
        r.id: r
        for r in db.session.scalars(
            _reviews().where(QaReview.id.in_(wanted or [-1]))
        ).unique()
    }
    return Page([loaded[i] for i in wanted], page, per_page, total)


def _visible_ids(viewer: Viewer) -> Select[Any]:
    return _visible(select(QaReview.id).join(User, User.id == QaReview.rep_id), viewer)


def month_review_page(
    viewer: Viewer, month: str, *, page: int = 1, per_page: int = 50
) -> Page:
    """One page of a month's reviews ``viewer`` may see, by rep name then id."""
    ids = _visible_ids(viewer).where(QaReview.month == month)
    return _page_of(ids.order_by(User.name, QaReview.id), page, per_page, clamp=True)


def visible_month_scores(viewer: Viewer, month: str) -> list[tuple[str, MonthScore]]:
    """The QA score of each rep in ``month`` over the reviews ``viewer`` may see, by
    name. Read as (rep, score if it counts) rows: :func:`counted` says in SQL what
    ``reviews.counts`` says, and ``rubrics.month_score`` works the mean out."""
    query = select(
        QaReview.rep_id, case((counted(), QaReview.score), else_=None)
    ).where(QaReview.month == month)
    if not viewer.sees_all_reps:  # the join costs more than the rows for everyone
        query = query.join(User, User.id == QaReview.rep_id)
    scores: dict[int, list[float | None]] = defaultdict(list)
    for rep_id, score in db.session.execute(_visible(query, viewer)):
        scores[rep_id].append(score)
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_(list(scores) or [-1]))
        ).all()
    )
    return sorted(
        ((names[rep_id], month_score(values)) for rep_id, values in scores.items()),
        key=lambda item: item[0],
    )


def list_reviews(
    viewer: Viewer, *, month: str | None = None, state: ReviewState | None = None
) -> list[QaReview]:
    query = visible_reviews(viewer)
    if month:
        query = query.where(QaReview.month == month)
    if state:
        query = query.where(QaReview.state == state)
    return list(
        db.session.scalars(query.order_by(QaReview.month.desc(), QaReview.id)).unique()
    )


def queue(reviewer_id: int) -> list[QaReview]:
    """A reviewer's drafts, the soonest due first."""
    return list(
        db.session.scalars(
            _reviews()
            .where(
                QaReview.reviewer_id == reviewer_id,
                QaReview.state == ReviewState.DRAFT,
            )
            .order_by(QaReview.due_on, QaReview.id)
        ).unique()
    )


def reviews_of_rep(rep_id: int) -> list[QaReview]:
    """A rep's submitted reviews (drafts are the reviewer's own), the latest first."""
    return list(
        db.session.scalars(
            _reviews()
            .where(
                QaReview.rep_id == rep_id,
                QaReview.state.in_(review_rules.SHOWN_TO_REP),
            )
            .order_by(QaReview.submitted_at.desc(), QaReview.id.desc())
        ).unique()
    )


def disputes_to_decide(viewer: Viewer, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of the disputed reviews ``viewer`` may decide (:func:`may_decide`): not
    their own review or ticket, the oldest dispute first."""
    ids = _visible_ids(viewer).where(
        QaReview.state == ReviewState.DISPUTED,
        QaReview.reviewer_id != viewer.user_id,
        QaReview.rep_id != viewer.user_id,
    )
    if Role.ADMIN not in viewer.roles:
        if Role.SUPERVISOR not in viewer.roles or not viewer.supervised_team_ids:
            return Page([], 1, per_page, 0)
        ids = ids.where(User.team_id.in_(viewer.supervised_team_ids))
    return _page_of(
        ids.order_by(QaReview.disputed_at, QaReview.id), page, per_page, clamp=True
    )


#: The months with reviews, the latest first, one index lookup a month (a "loose index
#: scan" down the (month, rep_id) index) instead of reading every review's month.
_MONTHS = text(
    """
    WITH RECURSIVE found(month) AS (
        SELECT max(month) FROM qa_reviews
        UNION ALL
        SELECT (SELECT max(r.month) FROM qa_reviews r WHERE r.month < found.month)
        FROM found WHERE found.month IS NOT NULL
    )
    SELECT month FROM found WHERE month IS NOT NULL
    """
)


def months_with_reviews() -> list[str]:
    """The months with reviews, the latest first."""
    return list(db.session.scalars(_MONTHS))


def reps_sampled(month: str) -> set[int]:
    return set(
        db.session.scalars(
            select(QaReview.rep_id).where(QaReview.month == month).distinct()
        )
    )


def reviewed_ticket_ids(ticket_ids: list[int]) -> set[int]:
    """Those of ``ticket_ids`` that have a review already."""
    found: set[int] = set()
    for start in range(0, len(ticket_ids), 500):
        batch = ticket_ids[start : start + 500]
        found.update(
            db.session.scalars(
                select(QaReview.ticket_id).where(QaReview.ticket_id.in_(batch))
            )
        )
    return found


# --- scores -------------------------------------------------------------------------------


def month_scores(reviews: Iterable[QaReview]) -> dict[tuple[int, str], MonthScore]:
    """Each rep-month's QA score from these reviews (those that count)."""
    scores: dict[tuple[int, str], list[float | None]] = defaultdict(list)
    for review in reviews:
        key = (review.rep_id, review.month)
        scores.setdefault(key, [])
        if review_rules.counts(review.state, review.decision):
            scores[key].append(review.score)
    return {key: month_score(values) for key, values in scores.items()}


# --- the ticket beside a review -----------------------------------------------------------


@dataclass(frozen=True)
class ReviewContext:
    """What the review page shows beside the ratings."""

    ticket: TicketFacts | None
    helpdesk_url: str | None
    #: What the rep could do on their own when the ticket was solved.
    authority: list[HeldAuthority]
    #: The refund the ticket's tags say was given, and the rep's refund limit then.
    refund: Decimal | None = None
    refund_limit: HeldAuthority | None = None

    @property
    def refund_within_limit(self) -> bool | None:
        """Was the refund within the rep's own limit? ``None`` when no refund is tagged."""
        if self.refund is None:
            return None
        limit = self.refund_limit.limit if self.refund_limit else None
        return limit is not None and self.refund <= limit


def ticket_labels(reviews: Iterable[QaReview]) -> dict[int, str]:
    """Each reviewed ticket's id in its helpdesk (``PE-16948``), by ticket id."""
    facts = ticket_facts(sorted({r.ticket_id for r in reviews}))
    return {ticket_id: f.external_id for ticket_id, f in facts.items()}


def helpdesk_url(source: str, external_id: str) -> str | None:
    link = db.session.get(QaHelpdeskLink, source)
    if link is None:
        return None
    return link.url_pattern.replace("{id}", external_id)


def list_helpdesk_links() -> list[QaHelpdeskLink]:
    return list(
        db.session.scalars(select(QaHelpdeskLink).order_by(QaHelpdeskLink.source))
    )


def review_context(review: QaReview) -> ReviewContext:
    facts = ticket_facts([review.ticket_id]).get(review.ticket_id)
    if facts is None:
        return ReviewContext(None, None, [])
    at = facts.solved_at or facts.created_at
    held = list_held_authorities([review.rep], at).get(review.rep_id, [])
    refund = refund_amount(facts.tags)
    return ReviewContext(
        facts,
        helpdesk_url(facts.source, facts.external_id),
        held,
        refund,
        held_limit(review.rep, "refund", at) if refund is not None else None,
    )


def overdue_count(reviewer_id: int, today: dt.date) -> int:
    return sum(
        review_rules.is_overdue(r.state, r.due_on, today) for r in queue(reviewer_id)
    )


# --- coaching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioOffer:
    """A training scenario tagged for a failed category; assigned and not done yet?"""

    key: str
    title: str
    assigned: bool


@dataclass(frozen=True)
class CoachingRow:
    """One rep's coaching from a month's reviews, with the scenarios to offer."""

    rep: User
    coaching: RepCoaching
    #: Category key to the scenarios tagged for it.
    offers: dict[str, list[ScenarioOffer]]


def coaching_rows(viewer: Viewer, month: str, today: dt.date) -> list[CoachingRow]:
    """Reps whose counted reviews of ``month`` (those ``viewer`` may see) fail a category
    twice or fail a critical category about authority (``quality.coaching``), by name.

    The month's reviews are read as plain rows (ratings, not reviews); the reps, tickets
    and scenarios only of the suggestions found."""
    rows = db.session.execute(
        _visible(
            select(
                QaReview.id,
                QaReview.rep_id,
                QaReview.ticket_id,
                QaReview.rubric_version_id,
                QaReview.ratings,
                QaReview.state,
                QaReview.decision,
            ).join(User, User.id == QaReview.rep_id),
            viewer,
        ).where(QaReview.month == month, QaReview.state != ReviewState.DRAFT)
    ).all()
    counted = [r for r in rows if review_rules.counts(r.state, r.decision)]
    rules = {
        v.id: v.rules
        for v in db.session.scalars(
            select(QaRubricVersion).where(
                QaRubricVersion.id.in_({r.rubric_version_id for r in counted} or {-1})
            )
        )
    }
    by_rep: dict[int, list[RatedReview]] = defaultdict(list)
    for row in counted:
        by_rep[row.rep_id].append(
            RatedReview(
                row.id, str(row.ticket_id), rules[row.rubric_version_id], row.ratings
            )
        )
    found = [rep_coaching(rep_id, items) for rep_id, items in by_rep.items()]
    found = [c for c in found if c]
    if not found:
        return []
    ticket_of = {row.id: row.ticket_id for row in counted}
    flagged = sorted({ticket_of[f.review_id] for c in found for f in c.flags})
    labels = {i: f.external_id for i, f in ticket_facts(flagged).items()}
    reps = reps_by_id(c.rep_id for c in found)
    loads = training_loads(today)
    tagged: dict[str, list[tuple[str, str]]] = {}
    result = []
    for item in found:
        open_keys = loads[item.rep_id].open_scenarios if item.rep_id in loads else ()
        offers = {}
        for need in item.needs:
            if need.tag not in tagged:
                tagged[need.tag] = [
                    (v.key, v.title) for v in list_scenarios_for_metric(need.tag)
                ]
            offers[need.key] = [
                ScenarioOffer(key, title, key in open_keys)
                for key, title in tagged[need.tag]
            ]
        flags = tuple(
            replace(f, ticket=labels.get(ticket_of[f.review_id], f"#{f.ticket}"))
            for f in item.flags
        )
        result.append(
            CoachingRow(reps[item.rep_id], replace(item, flags=flags), offers)
        )
    return sorted(result, key=lambda r: r.rep.name)


# --- for other modules --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthQa:
    """A month's QA scores from the reviews that count: each rep's, each team's (the
    mean of its reps' counted reviews, reps in their team today) and the organisation's."""

    reps: dict[int, MonthScore]
    teams: dict[int, MonthScore]
    organisation: MonthScore


def month_qa(month: str) -> MonthQa:
    """The month's QA scores (incentives' month figures read them here, once), summed by
    the database per rep: a month of many reviews is not read review by review."""
    rows = db.session.execute(
        select(
            QaReview.rep_id,
            User.team_id,
            func.sum(QaReview.score),
            func.count(QaReview.score),
        )
        .join(User, User.id == QaReview.rep_id)
        .where(
            QaReview.month == month,
            QaReview.score.is_not(None),
            counted(),
        )
        .group_by(QaReview.rep_id, User.team_id)
    )
    reps: dict[int, MonthScore] = {}
    teams: dict[int, tuple[float, int]] = defaultdict(lambda: (0.0, 0))
    every = (0.0, 0)
    for rep_id, team_id, total, count in rows:
        reps[rep_id] = month_score_of(float(total), count)
        if team_id is not None:
            teams[team_id] = (
                teams[team_id][0] + float(total),
                teams[team_id][1] + count,
            )
        every = (every[0] + float(total), every[1] + count)
    return MonthQa(
        reps,
        {team: month_score_of(*summed) for team, summed in teams.items()},
        month_score_of(*every),
    )


def counted() -> ColumnElement[bool]:
    """The reviews that count in a month's QA score (``reviews.counts``) as SQL: each
    state and decision the rule counts, and nothing written twice."""
    pairs = [
        (state, decision)
        for state in ReviewState
        for decision in (None, *Decision)
        if review_rules.counts(state, decision)
    ]
    return or_(
        *(
            and_(
                QaReview.state == state,
                QaReview.decision.is_(None)
                if decision is None
                else QaReview.decision == decision,
            )
            for state, decision in pairs
        )
    )


def writes_reviews(state: ORMExecuteState) -> bool:
    """Whether an ORM statement inserts, updates or deletes reviews in bulk (a submit and
    a decision are conditional updates, so that two at once cannot both win): such a
    statement may change QA scores, which a flush's objects would not show."""
    mapper = state.bind_mapper
    return (
        (state.is_update or state.is_delete or state.is_insert)
        and mapper is not None
        and mapper.class_ is QaReview
    )


#: What of a review its rep's QA score reads.
SCORED_FIELDS = ("score", "decision", "rep_id", "month")


def changes_qa_scores(session: Session) -> bool:
    """Whether this flush changes what a month's QA scores read: a review added past
    its draft (or removed), or a review's state, score, decision, rep or month changed
    (a submit, a dispute, a decision). Drafts saved as they are written change nothing.
    Incentives renews its figures' fingerprint then (``month_cache``)."""
    for obj in session.deleted:
        if isinstance(obj, QaReview):
            return True
    for obj in session.new:
        if isinstance(obj, QaReview) and obj.state not in (None, ReviewState.DRAFT):
            return True
    for obj in session.dirty:
        if not isinstance(obj, QaReview):
            continue
        attrs = inspect(obj).attrs
        if attrs["state"].history.has_changes():
            return True
        # A draft's running score is the reviewer's own until submitted.
        if obj.state is not ReviewState.DRAFT and any(
            attrs[name].history.has_changes() for name in SCORED_FIELDS
        ):
            return True
    return False


def team_scores(viewer: Viewer, month: str) -> list[tuple[str, MonthScore]]:
    """The QA score of each team ``viewer`` oversees (leadership and admins: every team),
    by team name: the mean of its reps' counted reviews, as the month figures have it."""
    teams = month_qa(month).teams
    query = select(Team.id, Team.name).where(Team.id.in_(list(teams) or [-1]))
    if not viewer.sees_all_reps:
        query = query.where(Team.id.in_(list(viewer.supervised_team_ids) or [-1]))
    rows = db.session.execute(query.order_by(Team.name, Team.id))
    return [(name, teams[team_id]) for team_id, name in rows]


def waiting_reviews(month: str) -> int:
    """The month's reviews not counted yet for want of a step: drafts, and disputes that
    wait for a decision."""
    return (
        db.session.scalar(
            select(func.count(QaReview.id)).where(
                QaReview.month == month,
                QaReview.state.in_([ReviewState.DRAFT, ReviewState.DISPUTED]),
            )
        )
        or 0
    )
