"""Reads for tickets: settings (SLA targets, opening hours), who sees whose figures, tickets
into DataFrames, agents and imports.

Shared by views, the API, the CLI, operations and the other incentives packages. Tickets
are read with ``pd.read_sql`` on the session's connection (so a read shares the request's
transaction) and handed to the pure ``incentives.tickets.metrics`` functions; a month's
figures are :mod:`incentives.tickets.month_metrics`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import (
    ARRAY,
    Select,
    String,
    any_,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from core.access import Role, Viewer
from core.db import db
from core.people import Team, User, UserRole
from incentives.tickets import metrics
from incentives.tickets.clock import Clock, WeeklyHours
from incentives.tickets.metrics import DEFAULT_SLA_TARGETS, SlaTarget
from incentives.tickets.models import (
    AgentMatch,
    Holiday,
    ImportStatus,
    OpeningHours,
    SlaTargetSetting,
    Ticket,
    TicketAgent,
    TicketImport,
)

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


def scope_for(viewer: Viewer) -> Scope:
    """A rep sees themself; a supervisor their teams' reps; leadership and admins all."""
    if viewer.sees_all_reps:
        return Scope(None, None, organisation=True)
    team_ids = (
        viewer.supervised_team_ids if Role.SUPERVISOR in viewer.roles else frozenset()
    )
    rep_ids = set(rep_ids_in(team_ids)) if team_ids else set()
    if Role.REP in viewer.roles:
        rep_ids.add(viewer.user_id)
    return Scope(frozenset(rep_ids), frozenset(team_ids), organisation=False)


def rep_ids_in(team_ids: frozenset[int]) -> list[int]:
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
        cast(Ticket.sla_met, db.Integer).label("sla_met"),
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
    :param unattributed_only: only tickets no rep is credited with and no agent marked
        "not a rep" handled (those are counted by :func:`count_not_a_rep_tickets`).
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
        # Agents marked "not a rep" are no one to link: their tickets are left out.
        unmapped = list(
            db.session.scalars(
                select(TicketAgent.id).where(
                    TicketAgent.rep_id.is_(None),
                    or_(
                        TicketAgent.match.is_(None),
                        TicketAgent.match != AgentMatch.NOT_A_REP,
                    ),
                )
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
        "sla_met",
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


def aware_time(value: dt.datetime | str | None) -> dt.datetime | None:
    """``max()`` in SQL loses the column type on SQLite; make it an aware datetime again."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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
        first, last = aware_time(first), aware_time(last)
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


def first_month() -> str | None:
    """The month of the first solved ticket (``None``: no tickets yet)."""
    first = db.session.scalar(select(func.min(Ticket.solved_at)))
    return None if first is None else metrics.month_of(first, org_timezone())


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


# --- imports ---------------------------------------------------------------------------


def query_imports() -> Select:
    return select(TicketImport).order_by(TicketImport.id.desc())


def last_import() -> TicketImport | None:
    return db.session.scalar(
        select(TicketImport)
        .where(TicketImport.status == "imported")
        .order_by(TicketImport.id.desc())
        .limit(1)
    )


def earlier_import(digest: str) -> TicketImport | None:
    """The latest import that wrote the very same file (same SHA-256), if any."""
    return db.session.scalar(
        select(TicketImport)
        .where(
            TicketImport.sha256 == digest,
            TicketImport.status == ImportStatus.IMPORTED,
        )
        .order_by(TicketImport.id.desc())
        .limit(1)
    )


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
    "qa_score",
    "qa_reviews",
]
#: The metric columns of every export, after the columns naming the row.
METRIC_EXPORT_COLUMNS = EXPORT_COLUMNS[3:]
_ROUNDING = {
    "first_response_median_min": 1,
    "resolution_median_h": 2,
    "timely_rate": 4,
    "csat_raw": 4,
    "nps": 1,
    "reopen_rate": 4,
    "review_followup_rate": 4,
    "qa_score": 1,
}


#: The last column of the metrics download: how a closed month was closed, "" if open.
CLOSED_COLUMN = "closed"


def export_rows(
    reps: pd.DataFrame, *, closed: str = ""
) -> tuple[list[str], list[list[object]]]:
    """Rep metrics as CSV rows (rates as fractions 0-1; blank when there is no value),
    each ending with ``closed`` ("Closed on 3 June 2026 by Helen Carter", or "")."""
    return level_export_rows(reps, level="rep", closed=closed)


#: The levels a month's figures are read at, and the columns that name each row.
EXPORT_LEVELS: dict[str, list[str]] = {
    "rep": EXPORT_COLUMNS[:3],
    "team": ["team"],
    "group": ["group"],
    "organisation": ["organisation", "unattributed"],
}
#: Where each naming column's value is in a figures row (:func:`metric_records`).
_NAMES = {
    "rep_email": "email",
    "rep_name": "name",
    "team": "team_name",
    "group": "group_name",
}


def level_export_rows(
    table: pd.DataFrame, *, level: str, closed: str = "", unattributed: int = 0
) -> tuple[list[str], list[list[object]]]:
    """A level of a month's figures as CSV rows: the columns naming each row (see
    :data:`EXPORT_LEVELS`), the metrics as :func:`export_rows` writes them, ``closed``.

    :param table: ``MonthMetrics.reps``, ``teams`` or ``groups``, or the organisation's
        row as a one-row frame.
    :param unattributed: the organisation's tickets credited to no rep.
    """
    naming = EXPORT_LEVELS[level]
    order = {"rep": "email", "team": "team_name", "group": "group_name"}.get(level)
    records = metric_records(table)
    if order is not None:
        records.sort(key=lambda r: str(r.get(order) or "").casefold())
    rows = []
    for record in records:
        row: list[object] = []
        for column in naming + METRIC_EXPORT_COLUMNS:
            if column == "organisation":
                value: object = "Organisation"
            elif column == "unattributed":
                value = unattributed
            else:
                value = record.get(_NAMES.get(column, column))
            if column in _ROUNDING and value is not None:
                value = round(float(value), _ROUNDING[column])
            row.append("" if value is None else value)
        row.append(closed)
        rows.append(row)
    return [*naming, *METRIC_EXPORT_COLUMNS, CLOSED_COLUMN], rows


# --- for other modules --------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFacts:
    """A ticket as imported, with the rep it is attributed to and its channel group."""

    id: int
    source: str
    external_id: str
    channel: str
    channel_group: str
    priority: str
    group_name: str | None
    rep_id: int | None
    agent_label: str | None
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    solved_at: dt.datetime | None
    #: Calendar minutes to resolution: the export's figure, else solved minus created.
    resolution_min: float | None
    reopens: int | None
    satisfied: bool | None
    nps: int | None
    tags: tuple[str, ...]
    sla_met: bool | None


def _facts(ticket: Ticket, agent: TicketAgent | None) -> TicketFacts:
    minutes = ticket.resolution_min_calendar
    if minutes is None and ticket.solved_at is not None:
        minutes = (ticket.solved_at - ticket.created_at).total_seconds() / 60
    return TicketFacts(
        id=ticket.id,
        source=ticket.source,
        external_id=ticket.external_id,
        channel=ticket.channel.value,
        channel_group=metrics.CHANNEL_GROUP_OF.get(
            ticket.channel, metrics.ChannelGroup.WRITTEN
        ).value,
        priority=ticket.priority.value,
        group_name=ticket.group_name,
        rep_id=agent.rep_id if agent is not None else None,
        agent_label=agent.label if agent is not None else None,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        resolution_min=minutes,
        reopens=ticket.reopens,
        satisfied=ticket.satisfied,
        nps=ticket.nps,
        tags=tuple(t.strip() for t in (ticket.tags or "").split(",") if t.strip()),
        sla_met=ticket.sla_met,
    )


def ticket_facts(ticket_ids: list[int]) -> dict[int, TicketFacts]:
    """The facts of these tickets, by id (ids not stored are left out).

    For quality: a review shows the ticket it judges.
    """
    found: dict[int, TicketFacts] = {}
    for start in range(0, len(ticket_ids), IN_BATCH):
        batch = ticket_ids[start : start + IN_BATCH]
        rows = db.session.execute(
            select(Ticket, TicketAgent)
            .outerjoin(TicketAgent, TicketAgent.id == Ticket.agent_id)
            .where(Ticket.id.in_(batch))
        )
        for ticket, agent in rows:
            found[ticket.id] = _facts(ticket, agent)
    return found


def ticket_facts_by_helpdesk_id(source: str, external_id: str) -> TicketFacts | None:
    """One ticket's facts by its source and the helpdesk's ticket id (``None`` when no
    import stored it).

    For quality: a review done elsewhere names its ticket so.
    """
    row = db.session.execute(
        select(Ticket, TicketAgent)
        .outerjoin(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .where(Ticket.source == source, Ticket.external_id == external_id)
    ).first()
    return None if row is None else _facts(row[0], row[1])


def solved_month(moment: dt.datetime) -> str:
    """The month (YYYY-MM) ``moment`` falls in, in the organisation's time zone.

    For quality: a review belongs to the month its ticket was solved in.
    """
    return metrics.month_of(moment, org_timezone())


def solved_ticket_facts(month: str) -> list[TicketFacts]:
    """The tickets solved in ``month`` (the organisation's time zone) that a rep is
    credited with, by id.

    For quality: the month's sample is drawn from them.
    """
    start, end = metrics.month_bounds(month, org_timezone())
    rows = db.session.execute(
        select(Ticket, TicketAgent)
        .join(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .where(
            Ticket.solved_at >= start,
            Ticket.solved_at < end,
            TicketAgent.rep_id.is_not(None),
        )
        .order_by(Ticket.id)
    )
    return [_facts(ticket, agent) for ticket, agent in rows]


def existing_external_ids(external_ids: list[str]) -> set[str]:
    """For other modules: which of these helpdesk ticket ids an import has stored (any
    source). The voice module checks the tickets a problem report names. The sources
    come from the imports, so the lookup uses the tickets' (source, external id) index."""
    sources = list(db.session.scalars(select(TicketImport.source).distinct()))
    found: set[str] = set()
    for start in range(0, len(external_ids), IN_BATCH):
        batch = external_ids[start : start + IN_BATCH]
        found.update(
            db.session.scalars(
                select(Ticket.external_id).where(
                    Ticket.source.in_(sources), Ticket.external_id.in_(batch)
                )
            )
        )
    return found
