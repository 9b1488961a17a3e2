"""A month's figures, and every place they are kept: what is kept, its key, what makes it
out of date.

**The one truth.** :func:`month_figures` decides a month's figures for the organisation,
every team and every rep (``tickets.month_metrics.MonthMetrics``). Every surface reads it:
the metrics page and CSV, the metrics API, dashboards, scores and their CSV,
``scores compute``, scorecards and PDFs (scores are worked out from it,
``scoring.queries.compute_month``). An **open** month is computed from its tickets with
every accepted dispute applied (an excluded ticket counts for no rep, a reassigned one
for the new rep, in their team). A **closed** month is read from its close
(``MonthClose.figures``, stored when it closed) and says so (``closed_on``,
``closed_by``): later imports, people and settings never change it.

**What is kept, and under which key.**

1. An open month's figures, in this process (the newest :data:`CACHE_MONTHS`) and in
   the database for every worker and host (``MonthMetricsSnapshot``), under
   (month, :func:`figures_version`).
2. A closed month's figures, in this process, under (month, ``close:<id>``).
3. A month's scores (``scoring.rep_scores.MonthScores``), in this process
   (:data:`SCORES_KEPT`): an open month's under (month, :func:`figures_version`, plan
   version and its content), a closed month's under (month, ``close:<id>``).

**What makes them out of date.** :func:`figures_version` is a fingerprint of everything
the figures read bar the ticket rows: the last import (tickets change only through
imports), a token renewed by every flush that changes who is a rep in which team, their
name or e-mail, which agent is whom, SLA targets, opening hours or holidays, or a
quality review's state or score (a submit, a dispute, a decision: ``month_qa``, where
QA scores come in) (:func:`_renew_token`, a ``before_flush`` listener), every dispute
filed or decided, the time zone, the built-in SLA targets and the shape of the figures
(:data:`FIGURES_SHAPE`). Any change gives a new key, so a stale entry is never read
again; per-process entries fall out as newer ones come, and stored
snapshots of a month are replaced by the next one stored. Closing a month changes which
key is read (its close); reopening it goes back to the open path. A request reads the
fingerprint once per transaction (one query), and again after a flush.

**Who writes.** Reads never write in their transaction. Snapshots are stored by the
warm-up job (``tickets.operations.warm_up_job`` calls :func:`warm`) and by a
write-behind: figures a page had to compute are stored once the request's transaction
has ended, in a short transaction of their own (not when that transaction wrote and was
rolled back: they might hold what it wrote); a job or a command stores them at once, the
same way. A transaction that only reads so stays a pure read (on SQLite, one that reads
before it writes cannot write once another worker has committed). A transaction that has
written already (closing a month, the demo) stores them in a savepoint of its own, kept
if it commits: it holds the write lock, so another connection could not write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import pandas as pd
from flask import has_request_context
from sqlalchemy import (
    Connection,
    ScalarSelect,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from core.db import db, utcnow
from core.jobs import Job, JobStatus
from core.people import Team, User, UserRole
from core.settings import Setting
from incentives import month_qa
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.models import MonthClose, MonthScore, TicketDispute
from incentives.tickets import metrics
from incentives.tickets.metrics import DEFAULT_SLA_TARGETS
from incentives.tickets.models import (
    Holiday,
    MonthMetricsSnapshot,
    OpeningHours,
    SlaTargetSetting,
    Ticket,
    TicketAgent,
    TicketImport,
)
from incentives.tickets.month_metrics import (
    Attribution,
    MonthMetrics,
    compute,
    compute_rep,
    compute_teams,
    cut,
    organisation_row,
    team_rows,
)
from incentives.tickets.months import Month
from incentives.tickets.queries import Scope, org_timezone

if TYPE_CHECKING:
    from incentives.scoring.rep_scores import MonthScores

logger = logging.getLogger(__name__)

WHOLE = Scope(None, None, organisation=True)
CACHE_MONTHS = 12
SCORES_KEPT = 24
#: The kind of the background job that computes month figures ahead.
WARM_UP_KIND = "incentives.metrics"

_FIGURES: OrderedDict[tuple[str, str], MonthMetrics] = OrderedDict()
_SCORES: OrderedDict[tuple[str, str], MonthScores] = OrderedDict()
_LOCK = threading.Lock()


# --- the one truth -----------------------------------------------------------------------


def month_figures(month: Month | str) -> MonthMetrics:
    """The month's figures for the whole organisation: a closed month's as closed, an
    open month's with accepted disputes applied (kept, stored or computed now)."""
    month = str(Month.parse(month))
    close = get_close(month)
    if close is not None:
        return closed_figures(close)
    found = open_figures_at_hand(month)
    if found is None:
        found = compute_open(month)
    return found


def figures_for(
    month: Month | str, scope: Scope, *, team_id: int | None = None
) -> MonthMetrics:
    """What ``scope`` may see of :func:`month_figures`, optionally one team's.

    A supervisor's or rep's view of an open month whose figures are not at hand, and
    that no accepted dispute touches, is computed from their own tickets only.
    """
    month = str(Month.parse(month))
    whole = _whole_or_none(month, compute_whole=scope.organisation)
    if whole is None:
        return month_qa.add(compute(month, scope, team_id))
    return cut(whole, scope, team_id)


def rep_summary(rep_id: int, month: Month | str) -> pd.Series:
    """One rep's row of :func:`month_figures` (zeros when they solved nothing)."""
    month = str(Month.parse(month))
    whole = _whole_or_none(month, compute_whole=False)
    if whole is None:
        return month_qa.add_to_rep(compute_rep(rep_id, month), rep_id, month)
    if rep_id in whole.reps.index:
        return whole.reps.loc[rep_id]
    return metrics.empty_summary(pd.Index([rep_id])).loc[rep_id]


def team_summary(team_ids: list[int], month: Month | str) -> pd.DataFrame:
    """The teams' rows of :func:`month_figures`."""
    month = str(Month.parse(month))
    whole = _whole_or_none(month, compute_whole=False)
    if whole is None:
        return month_qa.add_to_teams(compute_teams(team_ids, month), month)
    return team_rows(whole, team_ids)


def organisation_summary(month: Month | str) -> pd.Series:
    """The organisation's row of :func:`month_figures`, with ``unattributed``."""
    return organisation_row(month_figures(month))


def figures_at_hand(month: Month | str) -> MonthMetrics | None:
    """:func:`month_figures` when they can be had without reading the month's tickets."""
    month = str(Month.parse(month))
    close = get_close(month)
    if close is not None:
        return closed_figures(close)
    return open_figures_at_hand(month)


def _whole_or_none(month: str, *, compute_whole: bool) -> MonthMetrics | None:
    """The whole month when at hand, or when it must be computed: asked to, or an
    accepted dispute moves one of its tickets (a slice could not be computed alone)."""
    found = figures_at_hand(month)
    if found is None and (compute_whole or has_accepted_disputes(month)):
        found = compute_open(month)
    return found


# --- open months ---------------------------------------------------------------------------


def open_figures_at_hand(month: str) -> MonthMetrics | None:
    """An open month's figures for the current inputs, kept here or stored."""
    version = figures_version()
    found = _kept(_FIGURES, (month, version))
    if found is None:
        found = _load_snapshot(month, version)
        if found is not None:
            _keep(_FIGURES, (month, version), found, CACHE_MONTHS)
    return found


def compute_open(month: str) -> MonthMetrics:
    """Compute an open month's figures now, keep them here and store them (write-behind)."""
    version = figures_version()
    started, clock = utcnow(), time.perf_counter()
    whole = _compute_whole(month)
    _keep(_FIGURES, (month, version), whole, CACHE_MONTHS)
    row = _snapshot_row(whole, version, started, time.perf_counter() - clock)
    if row is not None:
        _write_behind(row)
    return whole


def _compute_whole(month: str) -> MonthMetrics:
    """The organisation's figures from the tickets, disputes applied, with QA scores."""
    return month_qa.add(compute(month, WHOLE, attribution=accepted_changes()))


def warm(month: Month | str) -> bool:
    """Compute and store an open month's figures unless stored for the current inputs
    (a job's write, at once). :return: whether they were computed here."""
    month = str(Month.parse(month))
    version = figures_version()
    if _snapshot_stored(month, version):
        return False
    kept = _kept(_FIGURES, (month, version))
    if kept is not None:  # computed here, but not stored (the store failed)
        row = _snapshot_row(kept, version, utcnow(), 0)
        if row is not None:
            _write_snapshot(row)
        return False
    started, clock = utcnow(), time.perf_counter()
    whole = _compute_whole(month)
    row = _snapshot_row(whole, version, started, time.perf_counter() - clock)
    if row is not None:
        _write_snapshot(row)
    _keep(_FIGURES, (month, version), whole, CACHE_MONTHS)
    return True


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


# --- closed months -------------------------------------------------------------------------


def get_close(month: str) -> MonthClose | None:
    """The close in force for ``month`` (``None``: the month is open)."""
    return db.session.scalar(
        select(MonthClose)
        .where(MonthClose.month == month, MonthClose.reopened_at.is_(None))
        .order_by(MonthClose.id.desc())
        .limit(1)
    )


def close_key(close: MonthClose) -> tuple[str, str]:
    return (close.month, f"close:{close.id}")


def closed_figures(close: MonthClose) -> MonthMetrics:
    """A closed month's figures as its close stored them, labelled with the close."""
    key = close_key(close)
    found = _kept(_FIGURES, key)
    if found is None:
        found = _from_close(close)
        found.closed_on, found.closed_by = closed_on_by(close)
        _keep(_FIGURES, key, found, CACHE_MONTHS)
    return found


def closed_on_by(close: MonthClose) -> tuple[dt.date, str]:
    """The day a month was closed (organisation's time zone) and the closer's name."""
    by = close.closed_by.name if close.closed_by else close.actor_label
    return close.closed_at.astimezone(org_timezone()).date(), by


def _from_close(close: MonthClose) -> MonthMetrics:
    if close.figures:
        try:
            return MonthMetrics.from_data(close.figures)
        except (ValueError, KeyError, TypeError):
            logger.warning(
                "Figures stored with the close of %s unreadable", close.month
            )
    # A close stored before closes kept the whole figures: its scores' figures.
    rows = db.session.execute(
        select(
            MonthScore.rep_id,
            MonthScore.rep_name,
            MonthScore.rep_email,
            MonthScore.team_id,
            MonthScore.team_name,
            MonthScore.metrics,
        ).where(MonthScore.close_id == close.id)
    ).all()
    reps = _frame(
        {
            r.rep_id: {
                **r.metrics,
                "name": r.rep_name,
                "email": r.rep_email,
                "team_id": r.team_id,
                "team_name": r.team_name or None,
                "is_active": True,
            }
            for r in rows
        }
    )
    teams = _frame({int(k): v for k, v in close.summary.get("teams", {}).items()})
    organisation = dict(close.summary.get("organisation", {}))
    unattributed = int(organisation.pop("unattributed", 0) or 0)
    return MonthMetrics(
        month=close.month,
        clock=metrics.clock_for(None),
        reps=reps,
        teams=teams,
        organisation=_frame({0: organisation}).iloc[0],
        unattributed=unattributed,
    )


def _frame(rows: dict[int, dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index")
    base = metrics.empty_summary(frame.index)
    for column in metrics.METRIC_COLUMNS:
        if column in frame:
            base[column] = frame[column].astype(base[column].dtype, errors="ignore")
    extra = [c for c in frame.columns if c not in metrics.METRIC_COLUMNS]
    result = base.join(frame[extra]) if extra else base
    if "team_id" in result:
        result["team_id"] = result["team_id"].astype("Int64")
    return result


# --- disputes ------------------------------------------------------------------------------


def accepted_changes() -> Attribution:
    """Ticket id -> (rep id, team id) it counts for, from every accepted dispute.

    Excluded tickets count for nobody; reassigned ones for the new rep, in their team today.
    A ticket disputed more than once follows its latest accepted dispute.
    """
    rows = db.session.execute(
        select(
            TicketDispute.ticket_id,
            TicketDispute.resolution,
            TicketDispute.reassigned_to_id,
            User.team_id,
        )
        .outerjoin(User, User.id == TicketDispute.reassigned_to_id)
        .where(TicketDispute.status == DisputeStatus.ACCEPTED)
        .order_by(TicketDispute.decided_at, TicketDispute.id)
    )
    changes: dict[int, tuple[int | None, int | None]] = {}
    for ticket_id, resolution, rep_id, team_id in rows:
        if resolution == Resolution.REASSIGN and rep_id is not None:
            changes[ticket_id] = (rep_id, team_id)
        else:
            changes[ticket_id] = (None, None)
    return changes


def has_accepted_disputes(month: str) -> bool:
    """Whether an accepted dispute moves or excludes a ticket solved in ``month``."""
    start, end = metrics.month_bounds(month, org_timezone())
    return (
        db.session.scalar(
            select(TicketDispute.id)
            .join(Ticket, Ticket.id == TicketDispute.ticket_id)
            .where(
                TicketDispute.status == DisputeStatus.ACCEPTED,
                Ticket.solved_at >= start,
                Ticket.solved_at < end,
            )
            .limit(1)
        )
        is not None
    )


# --- the key -------------------------------------------------------------------------------

#: The ``settings`` row that holds the inputs token.
INPUTS_SETTING = "incentives.inputs_token"
#: Rows of which any addition, removal or change renews the token.
WATCHED_ROWS = (UserRole, TicketAgent, SlaTargetSetting, OpeningHours, Holiday)
#: What of a user the figures read (``team`` and ``role_rows`` before they are flushed
#: into ``team_id`` and role rows). Logins, passwords and sessions are not among them.
USER_FIELDS = ("name", "email", "team_id", "team", "is_active", "role_rows")
#: The SLA targets of pairs an admin never set come from the code: a release that changes
#: them changes the fingerprint too.
_DEFAULT_TARGETS = repr(sorted(DEFAULT_SLA_TARGETS.items()))
#: What the figures hold: a new one when they gain a part (2: per channel group, 3: the
#: tickets the helpdesk's SLA verdict decided, 4: QA scores), so figures stored before
#: are not read as if they held it.
FIGURES_SHAPE = 4
#: Where a session keeps the fingerprint until it flushes or its transaction ends.
_VERSION = "incentives.figures_version"


def figures_version() -> str:
    """The fingerprint of everything an open month's figures read bar the ticket rows.

    A request works it out once per transaction (and again after a flush), however many
    figures it shows; a job or a command every time it asks.
    """
    if not has_request_context():
        return _figures_version()
    session = db.session()
    version = session.info.get(_VERSION)
    if version is None:
        version = session.info[_VERSION] = _figures_version()
    return version


def _figures_version() -> str:
    row = db.session.execute(
        select(
            select(func.max(TicketImport.id))
            .where(TicketImport.status == "imported")
            .scalar_subquery(),
            stored_token(),
            select(func.count(TicketDispute.id)).scalar_subquery(),
            select(func.max(TicketDispute.id)).scalar_subquery(),
            select(func.max(TicketDispute.decided_at)).scalar_subquery(),
            select(func.count(TicketDispute.decided_at)).scalar_subquery(),
        )
    ).one()
    parts = [org_timezone().key, *row, _DEFAULT_TARGETS, FIGURES_SHAPE]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def current_token(session: Session) -> str | None:
    """The inputs token (``None`` until the people first change)."""
    row = session.get(Setting, INPUTS_SETTING)
    return None if row is None else str(row.value.get("token"))


def stored_token() -> ScalarSelect[Any]:
    """The stored token as a scalar subquery, to read it in the same query as other facts."""
    return select(Setting.value).where(Setting.key == INPUTS_SETTING).scalar_subquery()


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


def changes_inputs(session: Session) -> bool:
    """Whether this flush adds, removes or changes something the figures read."""
    watched = (User, Team, *WATCHED_ROWS)
    if any(isinstance(obj, watched) for obj in (*session.new, *session.deleted)):
        return True
    if month_qa.changes_scores(session):  # a review submitted, disputed or decided
        return True
    for obj in session.dirty:
        if isinstance(obj, User) and _changed(obj, USER_FIELDS):
            return True
        if isinstance(obj, Team) and _changed(obj, ("name",)):
            return True
        if isinstance(obj, WATCHED_ROWS) and session.is_modified(obj):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _renew_token(session: Session, _context: Any, _instances: Any) -> None:
    """Store a new random token in the flush that changes an input (rolled back with it;
    never the same twice, not even after a restore). Bulk SQL statements on these tables
    are not seen: Frontline makes none."""
    if not changes_inputs(session):
        return
    token = {"token": uuid.uuid4().hex}
    with session.no_autoflush:
        row = session.get(Setting, INPUTS_SETTING)
    if row is None:
        session.add(Setting(key=INPUTS_SETTING, value=token))
    else:
        row.value = token
        row.updated_at = utcnow()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info.pop(_VERSION, None)
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released is no commit
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """Forget the fingerprint; store the figures queued by :func:`_write_behind`."""
    if transaction.parent is not None:
        return
    session.info.pop(_VERSION, None)
    rows = session.info.pop(_PENDING, [])
    spoilt = session.info.pop(_WROTE, False) and not session.info.pop(_COMMITTED, False)
    session.info.pop(_COMMITTED, None)
    if spoilt:
        return
    for row in rows:
        _write_snapshot(row)


_WROTE = "incentives.wrote"
_COMMITTED = "incentives.committed"
_PENDING = "incentives.snapshots"


# --- kept here ---------------------------------------------------------------------------


def _kept(store: OrderedDict[tuple[str, str], Any], key: tuple[str, str]) -> Any:
    with _LOCK:
        found = store.get(key)
        if found is not None:
            store.move_to_end(key)
        return found


def _keep(
    store: OrderedDict[tuple[str, str], Any],
    key: tuple[str, str],
    value: Any,
    size: int,
) -> None:
    with _LOCK:
        store[key] = value
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)


def kept_scores(key: tuple[str, str]) -> MonthScores | None:
    """Month scores kept here under ``key`` (see the module's docstring)."""
    return _kept(_SCORES, key)


def keep_scores(key: tuple[str, str], scores: MonthScores) -> None:
    _keep(_SCORES, key, scores, SCORES_KEPT)


def forget() -> None:
    """Drop everything this process keeps (the database's snapshots stay)."""
    with _LOCK:
        _FIGURES.clear()
        _SCORES.clear()


def kept_figure_keys() -> list[tuple[str, str]]:
    with _LOCK:
        return list(_FIGURES)


# --- stored in the database ----------------------------------------------------------------


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


def _snapshot_row(
    whole: MonthMetrics, version: str, started: dt.datetime, seconds: float
) -> dict[str, Any] | None:
    try:
        data = whole.to_data()
    except ValueError:
        logger.exception("Metrics of %s could not be stored", whole.month)
        return None
    return {
        "month": whole.month,
        "inputs_version": version,
        "data": data,
        "computed_at": started,
        "compute_ms": int(seconds * 1000),
    }


def _write_behind(row: dict[str, Any]) -> None:
    """Store ``row`` without making the reading transaction write (see the module's
    docstring): a transaction that has written already stores it in a savepoint of its
    own (kept if it commits); a request that only read, once its transaction has ended;
    a job or a command that only read, at once in a transaction of its own."""
    session = db.session()
    if session.in_transaction() and session.info.get(_WROTE):
        _write_snapshot(row, connection=session.connection())
    elif has_request_context() and session.in_transaction():
        session.info.setdefault(_PENDING, []).append(row)
    else:
        _write_snapshot(row)


def _write_snapshot(
    row: dict[str, Any], *, connection: Connection | None = None
) -> bool:
    """Insert the snapshot and delete the month's snapshots of other inputs stored before
    this computation began (not newer ones: they may be of newer inputs). Never fails the
    caller.

    :param connection: write in a savepoint of the transaction under way on it (in a
        session of its own: the reading session's commit hooks do not run); by default in
        a short transaction of its own (on a connection given in tests, a savepoint of it).
    :return: whether it was stored.
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
        with (
            Session(
                connection if connection is not None else db.engine,
                join_transaction_mode="create_savepoint",
            ) as own,
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
