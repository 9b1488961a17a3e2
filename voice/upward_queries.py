"""Reads for policy impact reviews and improvement ideas: lists and pages, who to retrain
after an adopted change, and what voice offers other modules at the end (a month's
decisions for the leadership pack, a rep's adopted ideas for their scorecard)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.access import ORG_WIDE_ROLES, Viewer
from core.db import db
from core.pagination import Page, page_bounds
from core.people import NAMES_ONLY, User
from core.templating import org_timezone
from training import queries as training_queries
from voice import ideas, policies
from voice import queries as problem_queries
from voice.ideas import IdeaStatus
from voice.models import Idea, PolicyComment, PolicyReview, PolicyVote
from voice.policies import LinkKind, Outcome, PolicyStatus, RetrainRow, Vote

PER_PAGE = 25
#: How long an adopted change stays on a supervisor's dashboard.
RETRAIN_DAYS = 90


# --- policy reviews -----------------------------------------------------------------------


def _ids_of_page(stmt: Select, page: int, per_page: int) -> tuple[int, int, list[int]]:
    """The page number kept in range, how many ids ``stmt`` selects in all, and the ids of
    that page: a list counts apart from its page, then loads only the page's records."""
    total = (
        db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        or 0
    )
    page, start, _ = page_bounds(total, page, per_page)
    return page, total, list(db.session.scalars(stmt.limit(per_page).offset(start)))


@dataclass(frozen=True)
class PolicyRow:
    policy: PolicyReview
    comments: int
    votes: dict[Vote, int]


def policy_page(status: str, page: int, per_page: int = PER_PAGE) -> Page:
    """Reviews, open ones by closing date first, then decided ones newest first."""
    stmt = select(PolicyReview.id)
    if status:
        stmt = stmt.where(PolicyReview.status == PolicyStatus(status))
    stmt = stmt.order_by(
        PolicyReview.status.desc(),  # "open" before "decided"
        PolicyReview.decided_at.desc(),
        PolicyReview.closes_on,
        PolicyReview.id.desc(),
    )
    page, total, ids = _ids_of_page(stmt, page, per_page)
    found = {
        p.id: p
        for p in db.session.scalars(
            select(PolicyReview)
            .where(PolicyReview.id.in_(ids))
            .options(
                selectinload(PolicyReview.department),
                selectinload(PolicyReview.author).options(*NAMES_ONLY),
            )
        )
    }
    comments = dict(
        db.session.execute(
            select(PolicyComment.policy_id, func.count())
            .where(PolicyComment.policy_id.in_(ids))
            .group_by(PolicyComment.policy_id)
        ).all()
    )
    votes: dict[int, list[Vote]] = defaultdict(list)
    for policy_id, vote in db.session.execute(
        select(PolicyVote.policy_id, PolicyVote.vote).where(
            PolicyVote.policy_id.in_(ids)
        )
    ):
        votes[policy_id].append(vote)
    items = [
        PolicyRow(found[i], comments.get(i, 0), policies.vote_counts(votes[i]))
        for i in ids
    ]
    return Page(items, page, per_page, total)


def load_policy(policy_id: int) -> PolicyReview | None:
    return db.session.scalar(
        select(PolicyReview)
        .where(PolicyReview.id == policy_id)
        .options(
            selectinload(PolicyReview.comments)
            .selectinload(PolicyComment.author)
            .options(*NAMES_ONLY),
            selectinload(PolicyReview.votes),
            selectinload(PolicyReview.links),
            selectinload(PolicyReview.department),
        )
    )


def member_department_ids(user_id: int) -> set[int]:
    return {d.id for d in problem_queries.departments_of(user_id)}


def policy_department_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """The departments ``viewer`` may post a change for (active ones)."""
    everything = problem_queries.department_choices()
    if viewer.has_any(ORG_WIDE_ROLES):
        return everything
    mine = member_department_ids(viewer.user_id)
    return [(i, name) for i, name in everything if i in mine]


def link_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(scenario key, title) and (authority code, name), for linking."""
    scenarios = sorted(training_queries.scenario_titles().items(), key=lambda kv: kv[1])
    return scenarios, list(training_queries.authority_names().items())


@dataclass(frozen=True)
class Retraining:
    """What an adopted change alters in training, and the reps it concerns."""

    scenarios: dict[str, str]
    authorities: dict[str, str]
    rows: list[RetrainRow] = field(default_factory=list)


def retraining(
    policy: PolicyReview, team_ids: Iterable[int] | None, at: dt.datetime
) -> Retraining:
    """The linked scenarios and authorities with their titles, and the reps of
    ``team_ids`` (every team with ``None``) who passed or hold them."""
    titles = training_queries.scenario_titles()
    names = training_queries.authority_names()
    keys = policy.linked(LinkKind.SCENARIO)
    codes = policy.linked(LinkKind.AUTHORITY)
    scenarios = {k: titles.get(k, k) for k in keys}
    authorities = {c: names.get(c, c) for c in codes}
    if not (keys or codes):
        return Retraining(scenarios, authorities)
    trained = training_queries.trained_reps(team_ids, keys, codes, at)
    rows = policies.who_to_retrain(
        trained.reps, trained.passed, trained.held, scenarios, authorities
    )
    return Retraining(scenarios, authorities, rows)


def recently_adopted(at: dt.datetime) -> list[PolicyReview]:
    """Changes adopted (or amended) in the last :data:`RETRAIN_DAYS` that name training
    or authorities, newest first."""
    return list(
        db.session.scalars(
            select(PolicyReview)
            .where(
                PolicyReview.status == PolicyStatus.DECIDED,
                PolicyReview.outcome.in_([Outcome.ADOPTED, Outcome.AMENDED]),
                PolicyReview.decided_at >= at - dt.timedelta(days=RETRAIN_DAYS),
                PolicyReview.links.any(),
            )
            .order_by(PolicyReview.decided_at.desc())
            .options(selectinload(PolicyReview.links))
        )
    )


def open_policy_count() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(PolicyReview)
            .where(PolicyReview.status == PolicyStatus.OPEN)
        )
        or 0
    )


# --- ideas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaFilter:
    status: str = ""  # an IdeaStatus value, "open" (under review or planned) or ""
    author_id: int | None = None  # "mine"
    #: "for me to triage": the viewer whose triage scope applies.
    triager: Viewer | None = None


def _idea_filtered(f: IdeaFilter) -> Select[Any]:
    stmt = select(Idea.id)
    if f.status == "open":
        stmt = stmt.where(
            Idea.status.in_([IdeaStatus.UNDER_REVIEW, IdeaStatus.PLANNED])
        )
    elif f.status:
        stmt = stmt.where(Idea.status == IdeaStatus(f.status))
    if f.author_id is not None:
        stmt = stmt.where(Idea.author_id == f.author_id)
    if f.triager is not None:
        stmt = stmt.where(
            or_(Idea.author_id.is_(None), Idea.author_id != f.triager.user_id)
        )
        if not f.triager.has_any(ORG_WIDE_ROLES):
            stmt = stmt.join(User, User.id == Idea.author_id).where(
                or_(
                    User.team_id.is_(None),
                    User.team_id.in_(list(f.triager.supervised_team_ids)),
                )
            )
    return stmt.order_by(Idea.created_at.desc(), Idea.id.desc())


def idea_page(f: IdeaFilter, page: int, per_page: int = PER_PAGE) -> Page:
    stmt = _idea_filtered(f)
    page, total, ids = _ids_of_page(stmt, page, per_page)
    found = {
        i.id: i
        for i in db.session.scalars(
            select(Idea)
            .where(Idea.id.in_(ids))
            .options(
                selectinload(Idea.author).options(*NAMES_ONLY),
                selectinload(Idea.department),
            )
        )
    }
    return Page([found[i] for i in ids], page, per_page, total)


def load_idea(idea_id: int) -> Idea | None:
    return db.session.scalar(
        select(Idea)
        .where(Idea.id == idea_id)
        .options(
            selectinload(Idea.author),
            selectinload(Idea.department),
            selectinload(Idea.decided_by),
        )
    )


# --- for other modules --------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptedIdea:
    idea_id: int
    title: str
    adopted_at: dt.datetime


def adopted_ideas(
    rep_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[AdoptedIdea]]:
    """Rep id -> the ideas of theirs adopted from ``start`` to before ``end``, in order.

    For incentives: the rep scorecard credits them ("Ideas adopted": recognition only,
    never a score or a payout).
    """
    ids = list(rep_ids)
    found: dict[int, list[AdoptedIdea]] = defaultdict(list)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Idea.author_id, Idea.id, Idea.title, Idea.decided_at)
        .where(
            Idea.author_id.in_(ids),
            Idea.status == IdeaStatus.ADOPTED,
            Idea.decided_at >= start,
            Idea.decided_at < end,
        )
        .order_by(Idea.decided_at, Idea.id)
    )
    for author_id, idea_id, title, at in rows:
        found[author_id].append(AdoptedIdea(idea_id, title, at))
    return dict(found)


@dataclass(frozen=True)
class PolicyDecided:
    policy_id: int
    title: str
    department: str
    outcome: Outcome
    decided_at: dt.datetime
    note: str
    votes: dict[Vote, int]
    comments: int


@dataclass(frozen=True)
class IdeaDecided:
    idea_id: int
    title: str
    author: str
    status: IdeaStatus
    decided_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class MonthPoliciesAndIdeas:
    month: str
    policies: list[PolicyDecided]
    ideas: list[IdeaDecided]

    def ideas_in(self, status: IdeaStatus | str) -> list[IdeaDecided]:
        """The month's ideas in ``status`` (its value will do: ``"adopted"``)."""
        return [i for i in self.ideas if i.status == status]


def month_policies_and_ideas(session: Session, month: str) -> MonthPoliciesAndIdeas:
    """What was decided in ``month`` (``YYYY-MM``, the organisation's calendar): policy
    reviews with their outcome, votes and comments, and ideas adopted, planned or
    declined with their authors; each in the order decided.

    For incentives: the leadership pack's "What the front line told us".

    :raises ValueError: ``month`` is not a month.
    """
    start, end = ideas.month_bounds(month, org_timezone())
    decided = list(
        session.scalars(
            select(PolicyReview)
            .where(PolicyReview.decided_at >= start, PolicyReview.decided_at < end)
            .order_by(PolicyReview.decided_at, PolicyReview.id)
            .options(
                selectinload(PolicyReview.department),
                selectinload(PolicyReview.votes),
                selectinload(PolicyReview.comments),
            )
        )
    )
    policy_rows = [
        PolicyDecided(
            p.id,
            p.title,
            p.department.name,
            p.outcome or Outcome.DROPPED,
            p.decided_at or start,
            p.decision_note,
            policies.vote_counts(v.vote for v in p.votes),
            len(p.comments),
        )
        for p in decided
    ]
    idea_rows = [
        IdeaDecided(idea_id, title, name or "a former user", status, at, reason)
        for idea_id, title, name, status, at, reason in session.execute(
            select(
                Idea.id,
                Idea.title,
                User.name,
                Idea.status,
                Idea.decided_at,
                Idea.reason,
            )
            .outerjoin(User, User.id == Idea.author_id)
            .where(
                Idea.status.in_(list(ideas.DECISIONS)),
                Idea.decided_at >= start,
                Idea.decided_at < end,
            )
            .order_by(Idea.decided_at, Idea.id)
        )
    ]
    return MonthPoliciesAndIdeas(month, policy_rows, idea_rows)
