"""Reads for quality: rubrics, who sees which review, a reviewer's queue, a rep's reviews,
disputes to decide, and the QA scores of a month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, func, inspect, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, joinedload

from core.access import Role, Viewer, can_see_rep, can_supervise_rep
from core.db import db
from core.people import Team, User
from incentives.tickets.queries import TicketFacts, ticket_facts
from quality import reviews as review_rules
from quality.models import QaHelpdeskLink, QaReview, QaRubric, QaRubricVersion
from quality.reviews import Decision, ReviewState
from quality.rubrics import ChannelGroup, MonthScore, month_score, month_score_of
from quality.sampling import refund_amount
from training.queries import HeldAuthority, held_limit, list_held_authorities

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
    """Rubric versions a submitted review was judged by: they no longer change."""
    return set(
        db.session.scalars(
            select(QaReview.rubric_version_id)
            .where(QaReview.state != ReviewState.DRAFT)
            .distinct()
        )
    )


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
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


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
    return select(QaReview).options(
        joinedload(QaReview.rep),
        joinedload(QaReview.reviewer),
        joinedload(QaReview.rubric_version).joinedload(QaRubricVersion.rubric),
    )


def visible_reviews(viewer: Viewer) -> Select[tuple[QaReview]]:
    """The reviews ``viewer`` may list (:func:`can_view`, as a query)."""
    query = _reviews().join(User, User.id == QaReview.rep_id)
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


def disputes_to_decide(viewer: Viewer) -> list[QaReview]:
    """Disputed reviews ``viewer`` may decide: not their own review or ticket."""
    found = db.session.scalars(
        visible_reviews(viewer).where(QaReview.state == ReviewState.DISPUTED)
    ).unique()
    return [
        r
        for r in found
        if may_decide(viewer, r) and viewer.user_id not in (r.reviewer_id, r.rep_id)
    ]


def months_with_reviews() -> list[str]:
    return list(
        db.session.scalars(
            select(QaReview.month).distinct().order_by(QaReview.month.desc())
        )
    )


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
            counted_clause(),
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


def counted_clause() -> ColumnElement[bool]:
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
