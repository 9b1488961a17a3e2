"""A month's metrics: the figures every metrics page, panel, export and score reads.

The organisation's figures of a month are computed once for a version of their inputs
(:func:`inputs_version`) and kept: in this process (the newest :data:`CACHE_MONTHS`), and
in the database for every worker and host (:class:`~incentives.tickets.models.
MonthMetricsSnapshot`). A supervisor's or a rep's view is cut from them when they are at
hand, and otherwise computed from their own tickets only. Background jobs compute a month
ahead after an import or a setting changes its figures (``operations.warm_up_metrics``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
from flask import has_request_context, request
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from core.db import READ_ONLY_METHODS, db, utcnow
from core.jobs import Job, JobStatus
from incentives.tickets import columnar, inputs_token, metrics
from incentives.tickets.clock import Clock
from incentives.tickets.metrics import DEFAULT_SLA_TARGETS
from incentives.tickets.models import MonthMetricsSnapshot, TicketImport
from incentives.tickets.queries import (
    Scope,
    get_opening_hours,
    get_sla_targets,
    list_reps,
    load_tickets,
    org_timezone,
    rep_ids_in,
    team_choices,
)

logger = logging.getLogger(__name__)


@dataclass
class MonthMetrics:
    """Everything the month's metrics page shows, ready to render."""

    month: str
    clock: Clock
    reps: pd.DataFrame  # rep metrics + name, email, team_id, team_name
    teams: pd.DataFrame  # team metrics + team_name
    groups: pd.DataFrame | None = None
    organisation: pd.Series | None = None
    unattributed: int = 0

    @cached_property
    def rep_rows(self) -> dict[int, dict[str, Any]]:
        """Each rep's metrics (``metrics.METRIC_COLUMNS``) as a plain dict, made once:
        a dashboard reads one rep's at a time, and a pandas lookup costs milliseconds."""
        return self.reps[metrics.METRIC_COLUMNS].to_dict("index")

    @property
    def has_tickets(self) -> bool:
        return bool(self.reps["tickets_solved"].sum()) or bool(
            self.organisation is not None and self.organisation["tickets_solved"]
        )

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data that :meth:`from_data` turns back into equal figures.

        :raises ValueError: a frame holds something ``columnar`` cannot keep.
        """
        return {
            "month": self.month,
            "clock": self.clock.value,
            "reps": columnar.frame_to_data(self.reps),
            "teams": columnar.frame_to_data(self.teams),
            "groups": None
            if self.groups is None
            else columnar.frame_to_data(self.groups),
            "organisation": None
            if self.organisation is None
            else columnar.series_to_data(self.organisation),
            "unattributed": self.unattributed,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MonthMetrics:
        """The figures :meth:`to_data` was given.

        :raises ValueError, KeyError, TypeError: data of another shape or format.
        """
        groups, organisation = data["groups"], data["organisation"]
        return cls(
            month=str(data["month"]),
            clock=Clock(data["clock"]),
            reps=columnar.frame_from_data(data["reps"]),
            teams=columnar.frame_from_data(data["teams"]),
            groups=None if groups is None else columnar.frame_from_data(groups),
            organisation=None
            if organisation is None
            else columnar.series_from_data(organisation),
            unattributed=int(data["unattributed"]),
        )


#: Organisation-wide month metrics by (month, fingerprint of their inputs), newest last.
#: Each worker process keeps its own few, in front of the copy every worker shares in the
#: database (:class:`~incentives.tickets.models.MonthMetricsSnapshot`). The fingerprint is read
#: from the database on every use, so no worker ever shows figures older than the data.
_ORGANISATION_CACHE: OrderedDict[tuple[str, str], MonthMetrics] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_MONTHS = 12


def inputs_version() -> str:
    """A fingerprint of everything month metrics read, bar the ticket rows themselves.

    Tickets change only through imports, so the last import stands for them; who is a rep
    in which team, which agent is whom, the SLA targets, opening hours and holidays are
    stood for by a token every change to them renews (:mod:`incentives.tickets.inputs_token`);
    then the time zone. Any change gives a new fingerprint, read in one query.

    A request that only reads changes none of these, so it works the fingerprint out once
    however many figures it shows.
    """
    if has_request_context() and request.method in READ_ONLY_METHODS:
        version = request.environ.get(_VERSION_KEY)
        if version is None:
            version = request.environ[_VERSION_KEY] = _inputs_version()
        return version
    return _inputs_version()


#: Where a read-only request keeps :func:`inputs_version`.
_VERSION_KEY = "frontline.incentives.inputs_version"


def _inputs_version() -> str:
    last_import, token = db.session.execute(
        select(
            select(func.max(TicketImport.id))
            .where(TicketImport.status == "imported")
            .scalar_subquery(),
            inputs_token.stored(),
        )
    ).one()
    parts = [org_timezone().key, last_import, token, _DEFAULT_TARGETS]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


#: The SLA targets of pairs an admin never set come from the code: a release that changes
#: them changes the fingerprint too.
_DEFAULT_TARGETS = repr(sorted(DEFAULT_SLA_TARGETS.items()))


def month_metrics(
    month: str, scope: Scope, *, team_id: int | None = None
) -> MonthMetrics:
    """The month's metrics for what ``scope`` may see, optionally for one team.

    The organisation's figures are looked for in this process, then in the database; when
    neither has them for the current inputs, leadership's view computes and stores them.
    A supervisor's or a rep's slice is cut from them when they are at hand, and otherwise
    computed from their own tickets only.
    """
    if (
        team_id is not None
        and scope.team_ids is not None
        and team_id not in scope.team_ids
    ):
        team_id = None
    whole = _organisation(month, inputs_version(), compute=scope.organisation)
    if whole is None:
        return _compute(month, scope, team_id)
    return _slice(whole, scope, team_id)


def stored_month_metrics(month: str) -> MonthMetrics | None:
    """The organisation's figures of ``month`` for the current inputs if this process or
    the database has them; ``None`` otherwise (never computed here)."""
    return _organisation(month, inputs_version(), compute=False)


#: The kind of the background job that computes month metrics ahead.
WARM_UP_KIND = "incentives.metrics"


def months_being_computed() -> set[str]:
    """Months a background job is about to compute ahead (waiting or running, and its
    runner alive)."""
    waiting = db.session.scalars(
        select(Job).where(
            Job.kind == WARM_UP_KIND,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
    )
    months: set[str] = set()
    for job in waiting:
        if not job.interrupted:
            months.update(job.params.get("args", [[]])[0])
    return months


def warm_month_metrics(month: str) -> bool:
    """Compute and store the organisation's figures of ``month`` unless they are stored
    for the current inputs already.

    :return: whether they were computed here.
    """
    version = inputs_version()
    if _snapshot_stored(month, version):
        return False
    kept = _kept(month, version)
    if kept is not None:  # computed here, but not stored (the store failed)
        _store_snapshot(kept, version, utcnow(), 0)
        return False
    _keep(month, version, _compute_and_store(month, version))
    return True


def _organisation(month: str, version: str, *, compute: bool) -> MonthMetrics | None:
    """The organisation's figures for these inputs: kept here, stored, or (``compute``)
    computed now and stored; ``None`` when not at hand and not to be computed."""
    whole = _kept(month, version)
    if whole is not None:
        return whole
    whole = _load_snapshot(month, version)
    if whole is None and compute:
        whole = _compute_and_store(month, version)
    if whole is not None:
        _keep(month, version, whole)
    return whole


def _kept(month: str, version: str) -> MonthMetrics | None:
    with _CACHE_LOCK:
        return _ORGANISATION_CACHE.get((month, version))


def _keep(month: str, version: str, whole: MonthMetrics) -> None:
    with _CACHE_LOCK:
        _ORGANISATION_CACHE[(month, version)] = whole
        _ORGANISATION_CACHE.move_to_end((month, version))
        while len(_ORGANISATION_CACHE) > CACHE_MONTHS:
            _ORGANISATION_CACHE.popitem(last=False)


def _snapshot_stored(month: str, version: str) -> bool:
    return (
        db.session.scalar(
            select(MonthMetricsSnapshot.id).where(
                MonthMetricsSnapshot.month == month,
                MonthMetricsSnapshot.inputs_version == version,
            )
        )
        is not None
    )


def _load_snapshot(month: str, version: str) -> MonthMetrics | None:
    """The stored figures for these inputs; ``None`` when there are none (or they cannot
    be read, e.g. stored in an older format: they are then computed again)."""
    data = db.session.scalar(
        select(MonthMetricsSnapshot.data).where(
            MonthMetricsSnapshot.month == month,
            MonthMetricsSnapshot.inputs_version == version,
        )
    )
    if data is None:
        return None
    try:
        return MonthMetrics.from_data(data)
    except (ValueError, KeyError, TypeError):
        logger.warning("Stored metrics of %s not readable; computing them", month)
        return None


def _compute_and_store(month: str, version: str) -> MonthMetrics:
    started, clock = utcnow(), time.perf_counter()
    whole = _compute(month, Scope(None, None, organisation=True), None)
    _store_snapshot(whole, version, started, int((time.perf_counter() - clock) * 1000))
    return whole


def _store_snapshot(
    whole: MonthMetrics, version: str, started: dt.datetime, compute_ms: int
) -> None:
    """Store the organisation's figures for every worker and host.

    Storing never fails the caller: a failure is logged, and the figures are computed again
    where they are next needed.

    A request that may write holds SQLite's write lock already: it stores in a savepoint of
    its own transaction (kept if the request commits). A request that only reads (GET)
    keeps its transaction a pure read and stores once that transaction has ended, in a
    short one of its own that begins with the write (on SQLite, a transaction that reads
    before it writes cannot write once another worker has committed). Jobs and commands
    store at once, the same way.
    """
    try:
        row = {
            "month": whole.month,
            "inputs_version": version,
            "data": whole.to_data(),
            "computed_at": started,
            "compute_ms": compute_ms,
        }
    except ValueError:
        logger.exception("Metrics of %s could not be stored", whole.month)
        return
    if not has_request_context():
        _write_snapshot(row)
    elif request.method in READ_ONLY_METHODS:
        _write_after_transaction(row)
    else:
        _write_snapshot(row, session=db.session())


def _write_snapshot(row: dict[str, Any], *, session: Session | None = None) -> bool:
    """Insert the snapshot and delete the month's snapshots of other inputs stored before
    this computation began (not newer ones: they may be of newer inputs).

    :param session: write in a savepoint of this session; by default in a session and
        transaction of its own (on a connection given in tests, a savepoint of that).
    :return: ``False`` when not stored (logged).
    """
    statements = [
        insert(MonthMetricsSnapshot).values(**row),
        delete(MonthMetricsSnapshot).where(
            MonthMetricsSnapshot.month == row["month"],
            MonthMetricsSnapshot.inputs_version != row["inputs_version"],
            MonthMetricsSnapshot.computed_at < row["computed_at"],
        ),
    ]
    try:
        if session is not None:
            with session.begin_nested():
                for statement in statements:
                    session.execute(statement)
        else:
            with (
                Session(db.engine, join_transaction_mode="create_savepoint") as own,
                own.begin(),
            ):
                for statement in statements:
                    own.execute(statement)
    except IntegrityError:
        logger.info("Metrics of %s were stored by another worker", row["month"])
        return False
    except SQLAlchemyError:
        logger.warning("Metrics of %s not stored", row["month"], exc_info=True)
        return False
    return True


def _write_after_transaction(row: dict[str, Any]) -> None:
    """Write the snapshot once the current session's transaction has ended."""
    session = db.session()
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(row)
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True

    @event.listens_for(session, "after_transaction_end")
    def _ended(ended: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        rows = list(ended.info.get(_PENDING, []))
        ended.info[_PENDING] = []
        for each in rows:
            _write_snapshot(each)


_PENDING = "incentives.snapshots"
_LISTENING = "incentives.snapshots.listening"


def _slice(whole: MonthMetrics, scope: Scope, team_id: int | None) -> MonthMetrics:
    """What ``scope`` may see of the organisation's figures (new frames; ``whole`` stays)."""
    reps, teams = whole.reps, whole.teams
    if scope.rep_ids is not None:
        reps = reps[reps.index.isin(scope.rep_ids)]
    if scope.team_ids is not None:
        teams = teams[teams.index.isin(scope.team_ids)]
    if team_id is not None:
        reps = reps[reps["team_id"] == team_id]
        teams = teams[teams.index == team_id]
    result = MonthMetrics(whole.month, whole.clock, reps.copy(), teams.copy())
    if scope.organisation:
        result.groups = whole.groups
        result.organisation = whole.organisation
        result.unattributed = whole.unattributed
    return result


def _compute(month: str, scope: Scope, team_id: int | None) -> MonthMetrics:
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    reps = list_reps(scope, team_id)
    rep_filter = scope.rep_ids if not scope.organisation else None
    tickets = load_tickets(start, end, rep_ids=rep_filter)
    hours = get_opening_hours()
    measures = metrics.measure_tickets(
        tickets, month=month, tz=tz, targets=get_sla_targets(), hours=hours
    )
    per_rep = metrics.rep_metrics(measures, rep_ids=list(reps.index))
    if team_id is not None or scope.rep_ids is not None:
        per_rep = per_rep[per_rep.index.isin(reps.index)]
    names = list_reps(Scope(frozenset(per_rep.index.tolist()), None, False))
    table = per_rep.join(names, how="left")
    table["name"] = table["name"].fillna("(former rep)")
    table = table[
        (table["tickets_solved"] > 0) | table["is_active"].fillna(False).astype(bool)
    ]

    team_rows = team_choices(scope)
    if team_id is not None:
        team_rows = [t for t in team_rows if t[0] == team_id]
    per_team = metrics.team_metrics(measures, team_ids=[t[0] for t in team_rows])
    per_team = per_team[per_team.index.isin([t[0] for t in team_rows])]
    per_team = per_team.join(
        pd.Series(dict(team_rows), name="team_name", dtype=object), how="left"
    ).sort_values("team_name")

    result = MonthMetrics(month, metrics.clock_for(hours), table, per_team)
    if scope.organisation:
        result.groups = metrics.group_metrics(measures)
        result.organisation = metrics.organisation_metrics(measures)
        result.unattributed = int(measures["rep_id"].isna().sum())
    return result


#: Drill-down: which tickets stand behind each metric.
DRILLDOWN = {
    "tickets_solved": ("Tickets solved", None),
    "first_response_median_min": ("First reply", "first_response_min"),
    "resolution_median_h": ("Resolution", "resolution_h"),
    "timely_rate": ("Solved within target", "timely"),
    "csat_raw": ("Rated tickets", "satisfied"),
    "nps": ("NPS answers", "nps"),
    "reopen_rate": ("Reopens", "reopened"),
    "review_followup_rate": ("Public reviews", "is_review"),
}


def month_tickets(month: str, *, rep_id: int | None) -> pd.DataFrame:
    """One rep's measured tickets of the month (``None``: the unattributed ones).

    :return: ``metrics.measure_tickets`` columns plus ``source``, ``external_id``,
        ``tags`` and ``agent_label``.
    """
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(
        start,
        end,
        rep_ids=[rep_id] if rep_id is not None else None,
        unattributed_only=rep_id is None,
        details=True,
    )
    return metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )


def behind(measures: pd.DataFrame, metric: str = "tickets_solved") -> pd.DataFrame:
    """The measured tickets behind one metric (a key of :data:`DRILLDOWN`), newest first."""
    _label, column = DRILLDOWN.get(metric, DRILLDOWN["tickets_solved"])
    if column == "is_review":
        measures = measures[measures["is_review"] == 1]
    elif column is not None:
        measures = measures[measures[column].notna()]
    return measures.sort_values(["solved_at", "ticket_pk"], ascending=False)


def ticket_rows(
    month: str, *, rep_id: int | None = None, metric: str = "tickets_solved"
) -> pd.DataFrame:
    """The tickets behind one of a rep's numbers (or the unattributed ones)."""
    return behind(month_tickets(month, rep_id=rep_id), metric)


def rep_month_summary(rep_id: int, month: str) -> pd.Series:
    """One rep's metrics for the month (a row of zeros when they solved nothing): cut from
    the organisation's figures when they are at hand, else from the rep's own tickets."""
    whole = _organisation(month, inputs_version(), compute=False)
    if whole is not None and rep_id in whole.reps.index:
        return whole.reps.loc[rep_id]
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(start, end, rep_ids=[rep_id])
    measures = metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )
    return metrics.rep_metrics(measures, rep_ids=[rep_id]).loc[rep_id]


def team_month_summary(team_ids: list[int], month: str) -> pd.DataFrame:
    """Metrics per team for the teams given: cut from the organisation's figures when
    they are at hand, else computed from those teams' tickets."""
    whole = _organisation(month, inputs_version(), compute=False)
    if whole is not None:
        return whole.teams[whole.teams.index.isin(team_ids)].copy()
    scope = Scope(
        frozenset(rep_ids_in(frozenset(team_ids))), frozenset(team_ids), False
    )
    tz = org_timezone()
    start, end = metrics.month_bounds(month, tz)
    tickets = load_tickets(start, end, rep_ids=scope.rep_ids)
    measures = metrics.measure_tickets(
        tickets,
        month=month,
        tz=tz,
        targets=get_sla_targets(),
        hours=get_opening_hours(),
    )
    per_team = metrics.team_metrics(measures, team_ids=team_ids)
    per_team = per_team[per_team.index.isin(team_ids)]
    return per_team.join(
        pd.Series(dict(team_choices(scope)), name="team_name", dtype=object)
    )


def organisation_month_summary(month: str) -> pd.Series:
    """The organisation's figures for the month, with the count of unattributed tickets."""
    result = month_metrics(month, Scope(None, None, organisation=True))
    summary = result.organisation.copy()  # type: ignore[union-attr]
    summary["unattributed"] = result.unattributed
    return summary
