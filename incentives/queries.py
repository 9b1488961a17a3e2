"""Reads for incentives: tickets into DataFrames, month metrics, agents, imports, settings.

Shared by views, the API, the CLI and operations. Tickets are read with ``pd.read_sql`` on
the session's connection (so a read shares the request's transaction) and handed to the
pure ``incentives.metrics`` functions.
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
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from flask import current_app, has_request_context, request
from sqlalchemy import (
    ARRAY,
    Select,
    String,
    and_,
    any_,
    cast,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.elements import ColumnElement

from core.access import Role, Viewer
from core.db import READ_ONLY_METHODS, db, utcnow
from core.jobs import Job, JobStatus
from core.people import Team, User, UserRole
from incentives import columnar, inputs_token, metrics
from incentives.clock import Clock, WeeklyHours
from incentives.metrics import DEFAULT_SLA_TARGETS, SlaTarget
from incentives.models import (
    AgentMatch,
    Holiday,
    MonthMetricsSnapshot,
    OpeningHours,
    SlaTargetSetting,
    Ticket,
    TicketAgent,
    TicketImport,
)

logger = logging.getLogger(__name__)

#: Batches for ``IN (...)`` lists, well under every database's parameter limit.
IN_BATCH = 500
#: Batches for one array parameter (PostgreSQL).
ARRAY_BATCH = 10_000
#: A file of at least 1/WHOLE_INDEX_SHARE of the tickets its source has stored reads the
#: source's whole key index instead of looking its tickets up.
WHOLE_INDEX_SHARE = 4


def org_timezone() -> ZoneInfo:
    """The organisation's time zone (``FRONTLINE_TIMEZONE``)."""
    return ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])


def current_month() -> str:
    return metrics.month_of(dt.datetime.now(dt.UTC), org_timezone())


# --- settings ----------------------------------------------------------------------------


def get_sla_targets() -> dict[tuple[str, str], SlaTarget]:
    """Every (channel, priority) target: the admin's where set, else the default."""
    targets: dict[tuple[str, str], SlaTarget] = {
        (str(c), str(p)): t for (c, p), t in DEFAULT_SLA_TARGETS.items()
    }
    for row in db.session.scalars(select(SlaTargetSetting)):
        targets[(str(row.channel), str(row.priority))] = SlaTarget(
            row.first_response_min, row.resolution_h
        )
    return targets


def get_opening_hours() -> WeeklyHours | None:
    """The opening hours and holidays, or ``None`` when none are set (calendar clock)."""
    days = {
        row.weekday: (row.opens_min, row.closes_min)
        for row in db.session.scalars(select(OpeningHours))
    }
    if not days:
        return None
    holidays = db.session.scalars(select(Holiday.day)).all()
    return WeeklyHours.from_mapping(days, holidays)


def list_holidays() -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).order_by(Holiday.day)))


def get_clock() -> Clock:
    return metrics.clock_for(get_opening_hours())


# --- who sees what -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures a viewer may see.

    ``rep_ids``/``team_ids`` of ``None`` mean all; ``organisation`` adds the organisation,
    group and unattributed figures (leadership and admins).
    """

    rep_ids: frozenset[int] | None
    team_ids: frozenset[int] | None
    organisation: bool

    def allows_rep(self, rep_id: int) -> bool:
        return self.rep_ids is None or rep_id in self.rep_ids


def scope_for(viewer: Viewer) -> Scope:
    """A rep sees themself; a supervisor their teams' reps; leadership and admins all."""
    if viewer.sees_all_reps:
        return Scope(None, None, organisation=True)
    team_ids = (
        viewer.supervised_team_ids if Role.SUPERVISOR in viewer.roles else frozenset()
    )
    rep_ids = set(_rep_ids_in(team_ids)) if team_ids else set()
    if Role.REP in viewer.roles:
        rep_ids.add(viewer.user_id)
    return Scope(frozenset(rep_ids), frozenset(team_ids), organisation=False)


def _rep_ids_in(team_ids: frozenset[int]) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
            .where(User.team_id.in_(team_ids))
        )
    )


def _reps_statement() -> Select[Any]:
    return (
        select(
            User.id.label("rep_id"),
            User.name,
            User.email,
            User.team_id,
            Team.name.label("team_name"),
            User.is_active,
        )
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .outerjoin(Team, Team.id == User.team_id)
    )


def list_reps(scope: Scope, team_id: int | None = None) -> pd.DataFrame:
    """Reps in scope (active ones, and anyone who was a rep), indexed by ``rep_id``.

    Columns: ``name``, ``email``, ``team_id``, ``team_name``, ``is_active``.
    """
    stmt = _reps_statement().order_by(User.name)
    if scope.rep_ids is not None:
        stmt = stmt.where(User.id.in_(scope.rep_ids or {-1}))
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    frame = pd.DataFrame(
        db.session.execute(stmt).all(), columns=list(stmt.selected_columns.keys())
    )
    frame["team_id"] = frame["team_id"].astype("Int64")
    return frame.set_index("rep_id")


def get_rep(rep_id: int) -> dict[str, Any] | None:
    """One rep as a row of :func:`list_reps` (a plain dict), or ``None`` if never a rep."""
    row = db.session.execute(_reps_statement().where(User.id == rep_id)).first()
    return None if row is None else row._asdict()


def team_choices(scope: Scope) -> list[tuple[int, str]]:
    stmt = select(Team.id, Team.name).order_by(Team.name)
    if scope.team_ids is not None:
        stmt = stmt.where(Team.id.in_(scope.team_ids or {-1}))
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def rep_choices() -> list[tuple[int, str]]:
    """Active reps, for mapping agents: (id, "Name (team)")."""
    rows = db.session.execute(
        select(User.id, User.name, User.email, Team.name)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REP))
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(id_, f"{name} · {email}") for id_, name, email, _team in rows]


# --- tickets as DataFrames ---------------------------------------------------------------


def _time(column: ColumnElement) -> ColumnElement:
    """The stored value without per-row conversion; :func:`_utc` converts in bulk."""
    return type_coerce(column, String).label(column.key)


def _ticket_select(*, details: bool = False) -> Select:
    columns = [
        Ticket.id.label("ticket_pk"),
        TicketAgent.rep_id,
        User.team_id,
        Ticket.group_name,
        type_coerce(Ticket.channel, String).label("channel"),
        type_coerce(Ticket.priority, String).label("priority"),
        _time(Ticket.created_at),
        _time(Ticket.first_response_at),
        _time(Ticket.solved_at),
        Ticket.first_response_min_calendar,
        Ticket.first_response_min_business,
        Ticket.resolution_min_calendar,
        Ticket.resolution_min_business,
        Ticket.reopens,
        cast(Ticket.satisfied, db.Integer).label("satisfied"),
        Ticket.nps,
    ]
    if details:
        columns += [
            Ticket.source,
            Ticket.external_id,
            Ticket.tags,
            TicketAgent.label.label("agent_label"),
        ]
    return (
        select(*columns)
        .outerjoin(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .outerjoin(User, User.id == TicketAgent.rep_id)
    )


def load_tickets(
    start: dt.datetime,
    end: dt.datetime,
    *,
    rep_ids: frozenset[int] | list[int] | None = None,
    unattributed_only: bool = False,
    details: bool = False,
) -> pd.DataFrame:
    """Tickets solved in ``[start, end)`` as ``metrics.TICKET_COLUMNS``.

    :param rep_ids: only tickets of these reps (``None``: all tickets, unattributed too).
    :param unattributed_only: only tickets no rep is credited with.
    :param details: add ``source``, ``external_id``, ``tags`` and ``agent_label``.
    """
    stmt = _ticket_select(details=details).where(
        Ticket.solved_at >= start, Ticket.solved_at < end
    )
    if rep_ids is not None:
        ids = list(rep_ids)
        if not ids:
            return _typed(pd.DataFrame(columns=list(stmt.selected_columns.keys())))
        agent_ids = list(
            db.session.scalars(
                select(TicketAgent.id).where(TicketAgent.rep_id.in_(ids))
            )
        )
        stmt = stmt.where(Ticket.agent_id.in_(agent_ids or [-1]))
    if unattributed_only:
        # By agent, not by joined rep: the (agent_id, solved_at) index then finds the few
        # unattributed tickets instead of the month's every ticket being read to drop them.
        unmapped = list(
            db.session.scalars(
                select(TicketAgent.id).where(TicketAgent.rep_id.is_(None))
            )
        )
        no_rep = Ticket.agent_id.is_(None)
        stmt = stmt.where(
            or_(no_rep, Ticket.agent_id.in_(unmapped)) if unmapped else no_rep
        )
    frame = pd.read_sql(stmt, db.session.connection())
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("created_at", "first_response_at", "solved_at"):
        frame[column] = _utc(frame[column])
    for column in ("rep_id", "team_id", "ticket_pk"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in (
        "first_response_min_calendar",
        "first_response_min_business",
        "resolution_min_calendar",
        "resolution_min_business",
        "reopens",
        "satisfied",
        "nps",
    ):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    frame["ticket_pk"] = frame["ticket_pk"].astype("int64")
    frame["group_name"] = frame["group_name"].astype(object)
    return frame


def _utc(values: pd.Series) -> pd.Series:
    """Stored naive-UTC times (text on SQLite, datetimes on PostgreSQL) as aware UTC."""
    if values.empty:
        return pd.Series(values, dtype="datetime64[us, UTC]")
    if values.dtype == object and isinstance(
        values.dropna().iloc[0] if values.notna().any() else None, str
    ):
        parsed = pd.to_datetime(values, format="ISO8601", utc=True)
    else:
        parsed = pd.to_datetime(values, utc=True)
    return parsed.astype("datetime64[us, UTC]")


def ticket_fingerprints(source: str, external_ids: pd.Series) -> pd.DataFrame:
    """``id``, ``external_id``, ``fingerprint`` of the stored tickets among ``external_ids``.

    When the file is large next to what the source has stored (a first import, a file
    imported again), the source's whole key index is read: faster than a lookup per
    ticket. Otherwise the tickets are looked up: 50,000 new tickets beside 1,000,000
    stored took 2.7 s to read the whole index on PostgreSQL, and 0.1 s to look up.
    """
    columns = [Ticket.id, Ticket.external_id, Ticket.fingerprint]
    ids = external_ids.dropna().tolist()
    if not ids:
        return pd.DataFrame({"id": [], "external_id": [], "fingerprint": []})
    stored = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.source == source)
    )
    if len(ids) * WHOLE_INDEX_SHARE >= (stored or 0):
        stmt = select(*columns).where(Ticket.source == source)
        return pd.read_sql(stmt, db.session.connection())
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    # PostgreSQL takes a whole batch as one array parameter; elsewhere, an IN list.
    batch = ARRAY_BATCH if on_postgres else IN_BATCH
    parts = []
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        wanted = (
            Ticket.external_id == any_(cast(chunk, ARRAY(String)))
            if on_postgres
            else Ticket.external_id.in_(chunk)
        )
        parts.append(
            pd.DataFrame(
                db.session.execute(
                    select(*columns).where(Ticket.source == source, wanted)
                ).all(),
                columns=["id", "external_id", "fingerprint"],
            )
        )
    return pd.concat(parts, ignore_index=True)


def solved_months(ticket_ids: list[int], *, source: str) -> list[str]:
    """The months (in the organisation's zone) the stored tickets were solved in, oldest
    first. For many tickets, every month from the source's first solve to its last."""
    tz = org_timezone()
    if len(ticket_ids) > 20 * IN_BATCH:
        first, last = db.session.execute(
            select(func.min(Ticket.solved_at), func.max(Ticket.solved_at)).where(
                Ticket.source == source
            )
        ).one()
        first, last = _aware(first), _aware(last)
        if first is None or last is None:
            return []
        month, end = metrics.month_of(first, tz), metrics.month_of(last, tz)
        months = [month]
        while month < end:
            month = metrics.shift_month(month, 1)
            months.append(month)
        return months
    found: set[str] = set()
    for start in range(0, len(ticket_ids), IN_BATCH):
        found.update(
            metrics.month_of(moment, tz)
            for moment in db.session.scalars(
                select(Ticket.solved_at).where(
                    Ticket.id.in_(ticket_ids[start : start + IN_BATCH]),
                    Ticket.solved_at.is_not(None),
                )
            )
        )
    return sorted(found)


# --- month metrics -----------------------------------------------------------------------


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
#: database (:class:`~incentives.models.MonthMetricsSnapshot`). The fingerprint is read
#: from the database on every use, so no worker ever shows figures older than the data.
_ORGANISATION_CACHE: OrderedDict[tuple[str, str], MonthMetrics] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_MONTHS = 12


def inputs_version() -> str:
    """A fingerprint of everything month metrics read, bar the ticket rows themselves.

    Tickets change only through imports, so the last import stands for them; who is a rep
    in which team, which agent is whom, the SLA targets, opening hours and holidays are
    stood for by a token every change to them renews (:mod:`incentives.inputs_token`);
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


def months_with_tickets() -> list[str]:
    """Months (newest first) from the first to the last solved ticket, in the org's zone."""
    # Two queries: SQLite answers a lone min() or max() from the index, not both at once.
    first = db.session.scalar(select(func.min(Ticket.solved_at)))
    last = db.session.scalar(select(func.max(Ticket.solved_at)))
    if first is None:
        return []
    tz = org_timezone()
    month, end = metrics.month_of(first, tz), metrics.month_of(last, tz)
    months = [month]
    while month < end and len(months) < 600:
        month = metrics.shift_month(month, 1)
        months.append(month)
    return months[::-1]


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
        frozenset(_rep_ids_in(frozenset(team_ids))), frozenset(team_ids), False
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


# --- agents and imports ------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    agent: TicketAgent
    tickets: int
    last_solved_at: dt.datetime | None


def list_agents(*, unknown: bool) -> list[AgentRow]:
    """Agents not linked to anyone (``unknown``), or those mapped by hand, with counts."""
    counts = (
        select(
            Ticket.agent_id,
            func.count().label("tickets"),
            func.max(Ticket.solved_at).label("last_solved_at"),
        )
        .group_by(Ticket.agent_id)
        .subquery()
    )
    condition = (
        TicketAgent.match.is_(None)
        if unknown
        else TicketAgent.match.in_([AgentMatch.ALIAS, AgentMatch.NOT_A_REP])
    )
    rows = db.session.execute(
        select(TicketAgent, counts.c.tickets, counts.c.last_solved_at)
        .outerjoin(counts, counts.c.agent_id == TicketAgent.id)
        .where(condition)
        .order_by(counts.c.tickets.desc().nulls_last(), TicketAgent.label)
    )
    return [
        AgentRow(agent, tickets or 0, _aware(last)) for agent, tickets, last in rows
    ]


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """``max()`` in SQL loses the column type on SQLite; make it an aware datetime again."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def count_unknown_agents() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(TicketAgent)
            .where(TicketAgent.match.is_(None))
        )
        or 0
    )


def query_imports() -> Select:
    return select(TicketImport).order_by(TicketImport.id.desc())


def last_import() -> TicketImport | None:
    return db.session.scalar(
        select(TicketImport)
        .where(TicketImport.status == "imported")
        .order_by(TicketImport.id.desc())
        .limit(1)
    )


def reps_by_email(emails: list[str]) -> dict[str, int]:
    """Rep ids by (lower-case) login e-mail, for the e-mails given."""
    found: dict[str, int] = {}
    for start in range(0, len(emails), IN_BATCH):
        rows = db.session.execute(
            select(User.email, User.id)
            .join(
                UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REP)
            )
            .where(User.email.in_(emails[start : start + IN_BATCH]))
        )
        found.update({email: user_id for email, user_id in rows})
    return found


def agents_by_key(keys: list[str]) -> dict[str, TicketAgent]:
    found: dict[str, TicketAgent] = {}
    for start in range(0, len(keys), IN_BATCH):
        found.update(
            {
                agent.key: agent
                for agent in db.session.scalars(
                    select(TicketAgent).where(
                        TicketAgent.key.in_(keys[start : start + IN_BATCH])
                    )
                )
            }
        )
    return found


def metric_records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows of a metrics table as plain dicts (NaN as ``None``) for templates and JSON."""
    clean = table.astype(object).where(table.notna(), None)
    records = clean.reset_index().to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, np.integer):
                record[key] = int(value)
            elif isinstance(value, np.floating):
                record[key] = float(value)
    return records


#: The columns of ``scores compute --format csv`` and the metrics download, in order.
EXPORT_COLUMNS = [
    "rep_email",
    "rep_name",
    "team",
    "tickets_solved",
    "first_response_median_min",
    "resolution_median_h",
    "timely_rate",
    "csat_raw",
    "rated",
    "nps",
    "nps_responses",
    "reopen_rate",
    "review_followup_rate",
    "first_response_clock",
    "resolution_clock",
]
_ROUNDING = {
    "first_response_median_min": 1,
    "resolution_median_h": 2,
    "timely_rate": 4,
    "csat_raw": 4,
    "nps": 1,
    "reopen_rate": 4,
    "review_followup_rate": 4,
}


def export_rows(reps: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """Rep metrics as CSV rows (rates as fractions 0-1; blank when there is no value)."""
    rows = []
    for record in metric_records(reps.sort_values("email")):
        row: list[object] = []
        for column in EXPORT_COLUMNS:
            if column == "rep_email":
                value = record.get("email")
            elif column == "rep_name":
                value = record.get("name")
            elif column == "team":
                value = record.get("team_name")
            else:
                value = record.get(column)
            if column in _ROUNDING and value is not None:
                value = round(float(value), _ROUNDING[column])
            row.append("" if value is None else value)
        rows.append(row)
    return EXPORT_COLUMNS, rows
