"""Scorecards' reads: one rep's, one team's, the leadership pack, or a whole month's at once.

Each function gathers the month's scores (``scoring.queries.score_history``), what
training says (authority held, scenarios passed, work open, coaching scenarios) and what
recruiting says (test results of reps hired through Frontline), then hands plain data to
the card builders (:mod:`.rep_card`, :mod:`.team_card`, :mod:`.leadership`) to build the
context that the page and the PDF both render.
:class:`MonthCardMaker` makes every card of a month with a fixed number of queries per month
plus a few per rep, for batch rendering.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import func, select

from core.access import Role
from core.db import db, utcnow
from core.jobs import Job
from core.people import Team, User, UserRole
from core.settings import get_setting
from incentives.scorecards import leadership, rep_card, team_card, validity
from incentives.scorecards.cards import (
    AuthorityHeld,
    CoachingOffer,
    CoverageRow,
    DisputeCounts,
    IdeaCredit,
    ScenarioOffer,
    TrainingFacts,
)
from incentives.scorecards.leadership import LeadershipPack
from incentives.scorecards.rep_card import RepCard
from incentives.scorecards.team_card import TeamCard
from incentives.scoring import payout_queries, plans
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import DisputeStatus
from incentives.scoring.models import MonthClose, MonthScore, TicketDispute
from incentives.scoring.rep_scores import MonthScores, Person, coaching_needs
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from recruiting import queries as recruiting_queries
from training import queries as training_queries
from voice import queries as voice_queries
from voice import upward_queries

#: Months a scorecard's trends cover, the scorecard's month included.
TREND_MONTHS = 6
#: The kind of the background job that renders a month's scorecards.
BATCH_KIND = "scorecards.render"


def history(month: str, count: int = TREND_MONTHS) -> list[MonthScores]:
    """The scores of the ``count`` months ending with ``month``, oldest first; none from
    before the first month with tickets."""
    first = ticket_queries.first_month()
    months = [
        m
        for m in scoring_queries.trailing_months(month, count)
        if first is None or m >= first or m == month
    ]
    found = scoring_queries.score_history(months)
    return [found[m] for m in months]


# --- facts from training ------------------------------------------------------------------


def _limit(value: object, unit: str) -> str:
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f} {unit}" if number.is_integer() else f"{number:,.2f} {unit}"


def authorities_held(
    reps: Sequence[User], at: dt.datetime
) -> dict[int, list[AuthorityHeld]]:
    """What each rep may do on their own today (training's register)."""
    tz = ticket_queries.org_timezone()
    return {
        rep_id: [
            AuthorityHeld(
                held.name,
                _limit(held.limit, held.unit) if held.limit is not None else "",
                held.expires_at.astimezone(tz).strftime("%d %b %Y")
                if held.expires_at
                else "",
            )
            for held in authorities
        ]
        for rep_id, authorities in training_queries.list_held_authorities(
            reps, at
        ).items()
    }


def training_facts(
    rep_id: int,
    month: str,
    load: training_queries.TrainingLoad | None,
    titles: dict[str, str],
) -> TrainingFacts:
    tz = ticket_queries.org_timezone()
    start, end = metrics.month_bounds(month, tz)
    passes = sorted(
        training_queries.last_passes(rep_id).items(), key=lambda kv: kv[1], reverse=True
    )
    load = load or training_queries.TrainingLoad()
    return TrainingFacts(
        passed=tuple(
            (titles.get(key, key), at.astimezone(tz).strftime("%d %b %Y"))
            for key, at in passes
        ),
        passed_in_month=sum(1 for _k, at in passes if start <= at < end),
        open_assignments=load.open,
        overdue=load.overdue,
    )


class _Scenarios:
    """Scenarios coaching each metric, looked up once per tag."""

    def __init__(self) -> None:
        self._by_tag: dict[str, list[tuple[str, str]]] = {}

    def for_metric(self, metric: str) -> list[tuple[str, str]]:
        tag = plans.SCORED_METRICS[metric].coaching_tag
        if tag not in self._by_tag:
            self._by_tag[tag] = [
                (v.key, v.title)
                for v in training_queries.list_scenarios_for_metric(tag)
            ]
        return self._by_tag[tag]


def coaching_offers(
    rep_id: int,
    current: MonthScores,
    previous: MonthScores | None,
    scenarios: _Scenarios,
    assigned: frozenset[str],
) -> list[CoachingOffer]:
    """Metrics the rep was under threshold on in both months, with scenarios for each."""
    score = current.scores.get(rep_id)
    before = previous.scores.get(rep_id) if previous else None
    if score is None:
        return []
    return [
        CoachingOffer(
            metric,
            plans.SCORED_METRICS[metric].label,
            tuple(
                ScenarioOffer(key, title, key in assigned)
                for key, title in scenarios.for_metric(metric)
            ),
        )
        for metric in coaching_needs(score, before)
    ]


def dispute_counts(
    month: str, rep_ids: Iterable[int] | None = None
) -> dict[int, DisputeCounts]:
    stmt = (
        select(TicketDispute.rep_id, TicketDispute.status, func.count())
        .where(TicketDispute.month == month)
        .group_by(TicketDispute.rep_id, TicketDispute.status)
    )
    if rep_ids is not None:
        stmt = stmt.where(TicketDispute.rep_id.in_(list(rep_ids)))
    raw: dict[int, dict[str, int]] = defaultdict(dict)
    for rep_id, status, count in db.session.execute(stmt):
        raw[rep_id][DisputeStatus(status).value] = count
    return {
        rep_id: DisputeCounts(
            v.get("open", 0), v.get("accepted", 0), v.get("declined", 0)
        )
        for rep_id, v in raw.items()
    }


# --- facts from voice ---------------------------------------------------------------------


def ideas_adopted(rep_ids: Iterable[int], month: str) -> dict[int, list[IdeaCredit]]:
    """Each rep's ideas adopted in ``month`` (voice's read): recognition on the
    scorecard, never part of a score or a payout."""
    tz = ticket_queries.org_timezone()
    start, end = metrics.month_bounds(month, tz)
    return {
        rep_id: [
            IdeaCredit(i.title, i.adopted_at.astimezone(tz).strftime("%d %b %Y"))
            for i in found
        ]
        for rep_id, found in upward_queries.adopted_ideas(rep_ids, start, end).items()
    }


# --- one rep, one team, the organisation --------------------------------------------------


def person_of(rep: User) -> Person:
    return Person(
        rep.id,
        rep.name,
        rep.email,
        rep.team_id,
        rep.team.name if rep.team else "",
        rep.is_active,
    )


def rep_scorecard(
    rep: User,
    month: str,
    *,
    scores: list[MonthScores] | None = None,
    what_if: tuple[str, str] | None = None,
) -> RepCard:
    """One rep's scorecard for ``month`` (with ``what_if``: (metric, value) to
    re-score it with)."""
    now = utcnow()
    scores = scores or history(month)
    today = now.astimezone(ticket_queries.org_timezone()).date()
    load = training_queries.training_loads(today, rep_id=rep.id).get(rep.id)
    return rep_card.rep_card(
        rep.id,
        scores,
        tz=ticket_queries.org_timezone(),
        person=person_of(rep),
        authorities=authorities_held([rep], now)[rep.id],
        training=training_facts(
            rep.id, month, load, training_queries.scenario_titles()
        ),
        disputes=dispute_counts(month, [rep.id]).get(rep.id),
        coaching=coaching_offers(
            rep.id,
            scores[-1],
            scores[-2] if len(scores) > 1 else None,
            _Scenarios(),
            load.open_scenarios if load else frozenset(),
        ),
        finals=_rep_finals(rep.id, scores),
        generated_at=now,
        what_if=what_if,
        ideas_adopted=ideas_adopted([rep.id], month).get(rep.id, ()),
        problem_reports=voice_queries.reports_of_month(
            month, ticket_queries.org_timezone(), rep.id
        ).get(rep.id),
    )


def _rep_finals(
    rep_id: int, scores: Sequence[MonthScores]
) -> dict[str, dict[int, Decimal]]:
    """One rep's final payout of each month, as ``payout_queries.finals_of`` has it for
    the whole month, reading only this rep's dates and adjustments."""
    own = {m.month: m.scores[rep_id] for m in scores if rep_id in m.scores}
    found = payout_queries.rep_finals(rep_id, own)
    return {
        m.month: ({rep_id: found[m.month]} if m.month in found else {}) for m in scores
    }


def team_scorecard(
    team: Team, month: str, *, scores: list[MonthScores] | None = None
) -> TeamCard:
    """One team's scorecard for ``month``: its reps side by side, with coaching offers."""
    now = utcnow()
    scores = scores or history(month)
    current, previous = scores[-1], (scores[-2] if len(scores) > 1 else None)
    members = [r for r, p in current.people.items() if p.team_id == team.id]
    today = now.astimezone(ticket_queries.org_timezone()).date()
    loads = training_queries.training_loads(today)
    offers = _Scenarios()
    coaching = {
        rep_id: coaching_offers(
            rep_id,
            current,
            previous,
            offers,
            loads.get(rep_id, training_queries.TrainingLoad()).open_scenarios,
        )
        for rep_id in members
    }
    open_disputes = sum(c.open for r, c in dispute_counts(month, members).items())
    return team_card.team_card(
        team.id,
        team.name,
        scores,
        tz=ticket_queries.org_timezone(),
        supervisors=[s.name for s in team.supervisors],
        coaching=coaching,
        open_disputes=open_disputes,
        finals=payout_queries.finals_of([current])[current.month],
        generated_at=now,
    )


def hiring_validity() -> validity.Validity:
    """Spearman's rho of each test competency and the total with reps' average score over
    their closed months, for reps hired through Frontline."""
    results = recruiting_queries.list_hire_results()
    if not results:
        return validity.hiring_test_validity([], [])
    ids = [r.user_id for r in results]
    monthly: dict[int, list[float]] = defaultdict(list)
    rows = db.session.execute(
        select(MonthScore.rep_id, MonthScore.score)
        .join(MonthClose, MonthClose.id == MonthScore.close_id)
        .where(
            MonthClose.reopened_at.is_(None),
            MonthScore.rep_id.in_(ids),
            MonthScore.score.is_not(None),
        )
    )
    for rep_id, score in rows:
        monthly[rep_id].append(float(score))
    competencies = list(results[0].scores)
    return validity.hiring_test_validity(
        [
            validity.HiredRep(r.user_id, r.scores, r.total, monthly.get(r.user_id, []))
            for r in results
        ],
        [(key, key.capitalize()) for key in competencies],
    )


def leadership_pack(
    month: str, *, scores: list[MonthScores] | None = None
) -> LeadershipPack:
    """The pack of ``month``: its trends cover ``leadership.TREND_MONTHS`` months (the
    months of ``scores`` are read again only when it holds fewer)."""
    now = utcnow()
    if not scores or len(scores) < leadership.TREND_MONTHS:
        scores = history(month, leadership.TREND_MONTHS)
    today = now.astimezone(ticket_queries.org_timezone()).date()
    totals = training_queries.assignment_totals(today)
    month_finals = payout_queries.finals_of(scores)
    budget = get_setting(leadership.PAYOUT_BUDGET_SETTING)
    return leadership.leadership_pack(
        scores,
        tz=ticket_queries.org_timezone(),
        coverage=[
            CoverageRow(row.name, row.holders, row.reps)
            for row in training_queries.authority_coverage(now)
        ],
        assignments=(totals.done, totals.total, totals.overdue),
        validity=hiring_validity(),
        open_disputes=scoring_queries.count_open_disputes(month),
        finals=month_finals[scores[-1].month],
        generated_at=now,
        month_finals=month_finals,
        budget=Decimal(budget) if budget else None,
        front_line=voice_queries.front_line_month(
            month, ticket_queries.org_timezone(), now
        ),
        upward=upward_queries.month_policies_and_ideas(db.session, month),
    )


# --- a whole month ------------------------------------------------------------------------


def scored_reps(month: str, scores: MonthScores | None = None) -> list[User]:
    """Accounts of the reps the month scored, by team then name."""
    scores = scores or scoring_queries.month_scores(month)
    ids = list(scores.scores)
    users: list[User] = []
    for start in range(0, len(ids), ticket_queries.IN_BATCH):
        users.extend(
            db.session.scalars(
                select(User).where(
                    User.id.in_(ids[start : start + ticket_queries.IN_BATCH])
                )
            )
        )
    return sorted(
        users,
        key=lambda u: (
            scores.people[u.id].team_name.casefold(),
            scores.people[u.id].name.casefold(),
        ),
    )


class MonthCardMaker:
    """Every scorecard of a month, made one by one from data read once.

    Scores, authority, assignments, disputes and scenario titles are read for everyone
    when the maker is built; a rep then costs one query (their training passes). A batch
    makes rep cards a chunk at a time, so their PDFs are laid out while the next chunk is
    made; team cards come after the reps' (they reuse each rep's coaching offers).
    """

    def __init__(self, month: str) -> None:
        self.month = month
        self.now = utcnow()
        self.tz = ticket_queries.org_timezone()
        self.scores = history(month)
        self.current = self.scores[-1]
        self.previous = self.scores[-2] if len(self.scores) > 1 else None
        self.reps = scored_reps(month, self.current)
        today = self.now.astimezone(self.tz).date()
        self._held = authorities_held(self.reps, self.now)
        self._loads = training_queries.training_loads(today)
        self._titles = training_queries.scenario_titles()
        self._disputes = dispute_counts(month)
        self._ideas = ideas_adopted([r.id for r in self.reps], month)
        self._offers = _Scenarios()
        self._coaching: dict[int, list[CoachingOffer]] = {}
        #: Month -> rep id -> final payout, for every trend month: read once.
        self.finals = payout_queries.finals_of(self.scores)
        self._reports = voice_queries.reports_of_month(month, self.tz)

    def rep_card(self, rep: User) -> RepCard:
        load = self._loads.get(rep.id)
        coaching = coaching_offers(
            rep.id,
            self.current,
            self.previous,
            self._offers,
            load.open_scenarios if load else frozenset(),
        )
        self._coaching[rep.id] = coaching
        return rep_card.rep_card(
            rep.id,
            self.scores,
            tz=self.tz,
            person=person_of(rep),
            authorities=self._held.get(rep.id, []),
            training=training_facts(rep.id, self.month, load, self._titles),
            disputes=self._disputes.get(rep.id),
            coaching=coaching,
            finals=self.finals,
            generated_at=self.now,
            ideas_adopted=self._ideas.get(rep.id, ()),
            problem_reports=self._reports.get(rep.id),
        )

    def team_cards(self) -> list[TeamCard]:
        people = self.current.people
        team_ids = sorted({p.team_id for p in people.values() if p.team_id is not None})
        teams = db.session.scalars(select(Team).where(Team.id.in_(team_ids or [-1])))
        cards = []
        for team in teams:
            members = [r for r, p in people.items() if p.team_id == team.id]
            cards.append(
                team_card.team_card(
                    team.id,
                    team.name,
                    self.scores,
                    tz=self.tz,
                    supervisors=[s.name for s in team.supervisors],
                    coaching={r: self._coaching.get(r, []) for r in members},
                    open_disputes=sum(
                        self._disputes[r].open for r in members if r in self._disputes
                    ),
                    finals=self.finals[self.month],
                    generated_at=self.now,
                )
            )
        return sorted(cards, key=lambda c: c.name.casefold())

    def leadership(self) -> LeadershipPack:
        return leadership_pack(self.month, scores=self.scores)


def rep_ids_in_teams(team_ids: Iterable[int]) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
            .where(User.team_id.in_(list(team_ids) or [-1]))
        )
    )


def count_to_coach(rep_ids: Iterable[int], month: str) -> int:
    """How many of these reps were under a threshold in ``month`` and the month before."""
    previous = scoring_queries.month_scores(metrics.shift_month(month, -1))
    current = scoring_queries.month_scores(month)
    return sum(
        1
        for rep_id in rep_ids
        if rep_id in current.scores
        and coaching_needs(current.scores[rep_id], previous.scores.get(rep_id))
    )


def recent_batches() -> list[Job]:
    """The newest batches of scorecards (background jobs), newest first."""
    return list(
        db.session.scalars(
            select(Job).where(Job.kind == BATCH_KIND).order_by(Job.id.desc()).limit(5)
        )
    )
