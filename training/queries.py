"""Read-side selects for training: scenarios, attempts, reps, curricula and assignments, and
what training offers other modules. Authorities, sign-offs, grants and the register are
:mod:`training.authority_queries`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, lazyload

from core.access import Role, Viewer, visible_team_ids
from core.db import db
from core.people import Team, User, UserRole, normalize_email
from training import assignments as assignment_rules
from training import authority_queries
from training.completion import Pass
from training.models import (
    Assignment,
    Attempt,
    Curriculum,
    ScenarioVersion,
)
from training.scenarios import AttemptStatus

# --- scenarios and attempts ---------------------------------------------------------------


def list_current_scenarios() -> list[ScenarioVersion]:
    """The newest version of every scenario, by title."""
    return list(
        db.session.scalars(
            select(ScenarioVersion)
            .where(ScenarioVersion.is_current.is_(True))
            .order_by(ScenarioVersion.title)
        )
    )


def get_current_scenario(key: str) -> ScenarioVersion | None:
    return db.session.scalar(
        select(ScenarioVersion).where(
            ScenarioVersion.key == key, ScenarioVersion.is_current.is_(True)
        )
    )


def list_scenarios_for_metric(metric: str) -> list[ScenarioVersion]:
    """Current scenarios whose ``coaches:`` list names ``metric`` (e.g. ``csat``).

    For other modules: incentives offers these to a supervisor whose rep is below the
    threshold on that metric.
    """
    return [v for v in list_current_scenarios() if metric in (v.coaches or [])]


def scenario_titles() -> dict[str, str]:
    """Scenario key -> title of its current version."""
    rows = db.session.execute(
        select(ScenarioVersion.key, ScenarioVersion.title).where(
            ScenarioVersion.is_current.is_(True)
        )
    )
    return {key: value for key, value in rows}


def list_attempts(
    rep_id: int, *, key: str | None = None, limit: int | None = None
) -> list[Attempt]:
    """A rep's attempts, newest first, optionally of one scenario (any version)."""
    stmt = (
        select(Attempt)
        .where(Attempt.rep_id == rep_id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    if key is not None:
        stmt = stmt.join(ScenarioVersion).where(ScenarioVersion.key == key)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def list_open_attempts(rep_id: int) -> list[Attempt]:
    """The rep's attempts still in progress, the most recently started first, with their
    scenario's title."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(
                Attempt.rep_id == rep_id, Attempt.status == AttemptStatus.IN_PROGRESS
            )
            .options(joinedload(Attempt.scenario_version))
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
    )


def get_open_attempt(rep_id: int, key: str) -> Attempt | None:
    return db.session.scalar(
        select(Attempt)
        .join(ScenarioVersion)
        .where(
            Attempt.rep_id == rep_id,
            ScenarioVersion.key == key,
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
    )


def last_passes(rep_id: int) -> dict[str, dt.datetime]:
    """Scenario key -> when the rep last passed it (any version)."""
    rows = db.session.execute(
        select(ScenarioVersion.key, func.max(Attempt.finished_at))
        .join(ScenarioVersion)
        .where(Attempt.rep_id == rep_id, Attempt.status == AttemptStatus.PASSED)
        .group_by(ScenarioVersion.key)
    )
    return {key: value for key, value in rows}


def latest_passes(rep_ids: Iterable[int]) -> dict[int, dict[str, Pass]]:
    """Rep id -> scenario key -> the rep's latest pass of it (any version)."""
    rows = db.session.execute(
        select(
            Attempt.rep_id,
            ScenarioVersion.key,
            Attempt.finished_at,
            Attempt.percent,
            ScenarioVersion.version,
        )
        .join(ScenarioVersion)
        .where(
            Attempt.rep_id.in_(list(rep_ids)),
            Attempt.status == AttemptStatus.PASSED,
        )
        .order_by(Attempt.finished_at)
    )
    passes: dict[int, dict[str, Pass]] = defaultdict(dict)
    for rep_id, key, at, percent, version in rows:
        passes[rep_id][key] = Pass(key, at, percent or 0, version)
    return passes


def best_results(rep_id: int) -> dict[str, Attempt]:
    """Scenario key -> the rep's best finished attempt."""
    best: dict[str, Attempt] = {}
    for attempt in list_attempts(rep_id):
        if not attempt.is_finished:
            continue
        key = attempt.scenario_version.key
        if key not in best or (attempt.passed, attempt.percent or 0) > (
            best[key].passed,
            best[key].percent or 0,
        ):
            best[key] = attempt
    return best


# --- reps and teams -----------------------------------------------------------------------


def rep_query(viewer: Viewer) -> Select[tuple[User]]:
    """Active reps the viewer may see, by name.

    Without their roles and supervised teams, which a user otherwise brings along (two
    more queries for every list): the lists of reps show names and teams."""
    stmt = (
        select(User)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .where(User.is_active.is_(True))
        .order_by(User.name)
        .options(lazyload(User.role_rows), lazyload(User.supervised_teams))
    )
    teams = visible_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams) | (User.id == viewer.user_id))
    return stmt


def list_reps(viewer: Viewer, team_id: int | None = None) -> list[User]:
    stmt = rep_query(viewer)
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(db.session.scalars(stmt))


def supervised_rep_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of the reps the viewer supervises, by name, for a select: a supervisor
    of many teams has a thousand, and whole users with roles and teams cost ten times as
    much to load."""
    if not viewer.supervised_team_ids:
        return []
    reps = rep_query(viewer).where(User.team_id.in_(viewer.supervised_team_ids))
    rows = db.session.execute(
        reps.with_only_columns(User.id, User.name).where(User.id != viewer.user_id)
    )
    return [(rep_id, name) for rep_id, name in rows]


def get_rep_by_email(email: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    return user if user is not None and Role.REP in user.roles else None


def list_visible_teams(viewer: Viewer) -> list[Team]:
    teams = visible_team_ids(viewer)
    stmt = select(Team).order_by(Team.name)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams))
    return list(db.session.scalars(stmt))


# --- curricula and assignments ------------------------------------------------------------


def list_curricula() -> list[Curriculum]:
    return list(
        db.session.scalars(
            select(Curriculum).order_by(
                Curriculum.is_onboarding.desc(), Curriculum.name
            )
        )
    )


def get_onboarding_curriculum() -> Curriculum | None:
    return db.session.scalar(
        select(Curriculum).where(Curriculum.is_onboarding.is_(True))
    )


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    progress: assignment_rules.Progress
    titles: dict[str, str]

    @property
    def name(self) -> str:
        if self.assignment.curriculum is not None:
            return self.assignment.curriculum.name
        key = self.assignment.scenario_key or ""
        return self.titles.get(key, key)


def _passes_since(rep_ids: Iterable[int]) -> dict[int, list[tuple[str, dt.datetime]]]:
    rows = db.session.execute(
        select(Attempt.rep_id, ScenarioVersion.key, Attempt.finished_at)
        .join(ScenarioVersion)
        .where(
            Attempt.rep_id.in_(list(rep_ids)), Attempt.status == AttemptStatus.PASSED
        )
    )
    passes: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for rep_id, key, finished_at in rows:
        passes[rep_id].append((key, finished_at))
    return passes


def assignment_rows(
    assignments: Sequence[Assignment], today: dt.date
) -> list[AssignmentRow]:
    """Each assignment with its progress: passes since it was assigned, or shortly before."""
    passes = _passes_since({a.rep_id for a in assignments})
    titles = scenario_titles()
    rows = []
    for assignment in assignments:
        passed = {
            key
            for key, at in passes.get(assignment.rep_id, [])
            if assignment_rules.counts_towards(at, assignment.assigned_at)
        }
        rows.append(
            AssignmentRow(
                assignment,
                assignment_rules.progress(
                    assignment.scenario_keys, passed, assignment.due_on, today
                ),
                titles,
            )
        )
    return rows


def _active_reps_assignments(rep_id: int | None = None) -> Select[tuple[Assignment]]:
    """Assignments of active reps (of one rep with ``rep_id``), by due date; cancelled ones
    are left out."""
    stmt = (
        select(Assignment)
        .join(User, User.id == Assignment.rep_id)
        .where(User.is_active.is_(True), Assignment.cancelled_at.is_(None))
        .order_by(Assignment.due_on, Assignment.id)
    )
    if rep_id is not None:
        stmt = stmt.where(Assignment.rep_id == rep_id)
    return stmt


def list_assignments(
    viewer: Viewer, *, rep_id: int | None = None, today: dt.date
) -> list[AssignmentRow]:
    """Assignments of the reps the viewer may see, overdue first, then by due date."""
    stmt = _active_reps_assignments(rep_id)
    teams = visible_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams) | (User.id == viewer.user_id))
    rows = assignment_rows(list(db.session.scalars(stmt)), today)
    order = {
        assignment_rules.AssignmentState.OVERDUE: 0,
        assignment_rules.AssignmentState.DUE: 1,
        assignment_rules.AssignmentState.DONE: 2,
    }
    return sorted(rows, key=lambda r: order[r.progress.state])


def recently_cancelled(rep_id: int, *, since: dt.datetime) -> list[Assignment]:
    """The rep's assignments cancelled since ``since``, newest first: they read why."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.rep_id == rep_id, Assignment.cancelled_at >= since)
            .order_by(Assignment.cancelled_at.desc())
        )
    )


def open_assignments(
    rep_ids: Sequence[int],
    *,
    curriculum_id: int | None,
    scenario_key: str | None,
    today: dt.date,
) -> dict[int, Assignment]:
    """Each of these reps' assignment of this scenario or curriculum that is still current:
    not cancelled, and not yet done or not yet due. Assigning it again moves its due date
    instead; work done and past its date may be assigned afresh."""
    if not rep_ids:
        return {}
    target = (
        Assignment.curriculum_id == curriculum_id
        if curriculum_id is not None
        else Assignment.scenario_key == scenario_key
    )
    assignments = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.rep_id.in_(rep_ids), target, Assignment.cancelled_at.is_(None)
        )
        .order_by(Assignment.due_on, Assignment.id)
    )
    return {
        row.assignment.rep_id: row.assignment
        for row in reversed(assignment_rows(list(assignments), today))
        if row.progress.state is not assignment_rules.AssignmentState.DONE
        or row.assignment.due_on >= today
    }


def count_overdue(viewer: Viewer, today: dt.date) -> int:
    rows = list_assignments(viewer, today=today)
    return sum(
        1 for r in rows if r.progress.state is assignment_rules.AssignmentState.OVERDUE
    )


# --- for other modules --------------------------------------------------------------------


@dataclass(frozen=True)
class HeldAuthority:
    """An authority a rep may use on their own, with its limit and until when."""

    name: str
    limit: Decimal | None
    unit: str
    expires_at: dt.datetime | None


def list_held_authorities(
    reps: Sequence[User], at: dt.datetime
) -> dict[int, list[HeldAuthority]]:
    """What each rep may do on their own at ``at``: the register's allowed entries.

    For incentives: a rep's scorecard lists the authority they hold.
    """
    register = authority_queries.register_for(
        reps, authority_queries.list_authorities(active_only=True), at
    )
    return {
        rep.id: [
            HeldAuthority(
                entry.authority.name,
                entry.decision.limit,
                entry.decision.unit or "",
                entry.decision.expires_at,
            )
            for entry in register.get(rep.id, [])
            if entry.decision.allowed
        ]
        for rep in reps
    }


@dataclass(frozen=True)
class AuthorityCoverage:
    """An active authority, how many active reps hold it today, of how many."""

    name: str
    holders: int
    reps: int


def authority_coverage(at: dt.datetime) -> list[AuthorityCoverage]:
    """Per active authority, by name: active reps holding it at ``at``, and in all.

    For incentives: the leadership pack charts it.
    """
    return [
        AuthorityCoverage(authority.name, holders, reps)
        for authority, holders, reps in authority_queries.coverage(at)
    ]


@dataclass(frozen=True)
class TrainingLoad:
    """A rep's training work not done yet."""

    #: Assignments not done.
    open: int = 0
    #: Of those, the ones past their due date.
    overdue: int = 0
    #: Scenarios assigned on their own and not done yet.
    open_scenarios: frozenset[str] = frozenset()


def training_loads(
    today: dt.date, *, rep_id: int | None = None
) -> dict[int, TrainingLoad]:
    """Each active rep's open and overdue assignments (one rep's with ``rep_id``); reps
    with no assignment are left out.

    For incentives: scorecards show a rep's open work, and coaching offers say which
    scenarios are assigned already.
    """
    counts: dict[int, list] = defaultdict(lambda: [0, 0, set()])
    rows = assignment_rows(
        list(db.session.scalars(_active_reps_assignments(rep_id))), today
    )
    for row in rows:
        entry = counts[row.assignment.rep_id]
        if row.progress.state is not assignment_rules.AssignmentState.DONE:
            entry[0] += 1
            if row.assignment.scenario_key:
                entry[2].add(row.assignment.scenario_key)
        if row.progress.state is assignment_rules.AssignmentState.OVERDUE:
            entry[1] += 1
    return {
        rep: TrainingLoad(open_, overdue, frozenset(keys))
        for rep, (open_, overdue, keys) in counts.items()
    }


@dataclass(frozen=True)
class AssignmentTotals:
    """Active reps' assignments: done, in all, and overdue."""

    done: int
    total: int
    overdue: int


def assignment_totals(today: dt.date) -> AssignmentTotals:
    """How far active reps are with their assignments.

    For incentives: the leadership pack shows the share done and how many are overdue.
    """
    rows = assignment_rows(list(db.session.scalars(_active_reps_assignments())), today)
    states = [row.progress.state for row in rows]
    return AssignmentTotals(
        done=states.count(assignment_rules.AssignmentState.DONE),
        total=len(states),
        overdue=states.count(assignment_rules.AssignmentState.OVERDUE),
    )


def held_limit(rep: User, code: str, at: dt.datetime) -> HeldAuthority | None:
    """The authority ``code`` (``refund``) as ``rep`` held it at ``at``, with its limit;
    ``None`` when they did not hold it then (or no such authority is active).

    For quality: sampling looks for refunds above the rep's limit when they gave them.
    """
    authority = authority_queries.get_authority_by_code(code)
    if authority is None or not authority.is_active:
        return None
    entries = authority_queries.register_for([rep], [authority], at).get(rep.id, [])
    for entry in entries:
        if entry.decision.allowed:
            return HeldAuthority(
                entry.authority.name,
                entry.decision.limit,
                entry.decision.unit or "",
                entry.decision.expires_at,
            )
    return None


def authority_names() -> dict[str, str]:
    """Authority code -> name, for every authority (active first, then by name).

    For voice: an adopted policy names the authorities it changes.
    """
    return {
        a.code: a.name
        for a in sorted(
            authority_queries.list_authorities(),
            key=lambda a: (not a.is_active, a.name),
        )
    }


@dataclass(frozen=True)
class TrainedReps:
    """Active reps, by name, with the scenarios they passed and the authority they hold."""

    reps: list[tuple[int, str]]
    #: Rep id -> keys of scenarios they passed (any version).
    passed: dict[int, set[str]]
    #: Rep id -> codes of authorities they may use on their own at the time asked.
    held: dict[int, set[str]]


def trained_reps(
    team_ids: Iterable[int] | None,
    keys: Iterable[str],
    codes: Iterable[str],
    at: dt.datetime,
) -> TrainedReps:
    """The active reps of ``team_ids`` (every team with ``None``) with which of the
    scenarios ``keys`` they passed and which of the authorities ``codes`` they hold at
    ``at``.

    For voice: supervisors see who to retrain after a policy changes what they learned.
    """
    stmt = (
        select(User)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .where(User.is_active.is_(True))
        .order_by(User.name)
        .options(lazyload(User.role_rows), lazyload(User.supervised_teams))
    )
    if team_ids is not None:
        stmt = stmt.where(User.team_id.in_(list(team_ids)))
    reps = list(db.session.scalars(stmt))
    keys, codes = list(keys), list(codes)
    passed: dict[int, set[str]] = defaultdict(set)
    if reps and keys:
        rows = db.session.execute(
            select(Attempt.rep_id, ScenarioVersion.key)
            .join(ScenarioVersion)
            .where(
                Attempt.rep_id.in_([r.id for r in reps]),
                Attempt.status == AttemptStatus.PASSED,
                ScenarioVersion.key.in_(keys),
            )
            .distinct()
        )
        for rep_id, key in rows:
            passed[rep_id].add(key)
    held: dict[int, set[str]] = defaultdict(set)
    authorities = [a for a in authority_queries.list_authorities() if a.code in codes]
    if reps and authorities:
        for rep_id, entries in authority_queries.register_for(
            reps, authorities, at
        ).items():
            held[rep_id] = {e.authority.code for e in entries if e.decision.allowed}
    return TrainedReps([(r.id, r.name) for r in reps], dict(passed), dict(held))
