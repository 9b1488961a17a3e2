"""Reads for the voice module: departments and who answers now, problem lists and pages,
similar open reports, each department's reaction figures; and what voice offers other
modules at the end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Float, Select, String, cast, func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from core.access import Role
from core.db import db
from core.pagination import Page, page_bounds
from core.people import User, UserRole
from incentives.tickets import queries as ticket_queries
from incentives.tickets.metrics import month_bounds
from incentives.tickets.months import Month
from voice import monthly, reaction, similarity
from voice.models import (
    Department,
    DepartmentMember,
    ProblemReport,
    ProblemSupport,
    ProblemTicket,
)
from voice.reach import Answer, who_answers
from voice.workflow import OPEN_STATUSES, ProblemStatus

PER_PAGE = 25
#: The newest open reports a new one is compared with.
SIMILAR_POOL = 2000


# --- departments --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """A department and who answers it now."""

    department: Department
    answer: Answer | None


def open_department(department_id: int | None) -> Department | None:
    """The department with this id if reports, changes and ideas may still go to it."""
    department = (
        db.session.get(Department, department_id) if department_id is not None else None
    )
    return department if department is not None and department.active else None


def list_departments(*, active_only: bool = True) -> list[Department]:
    stmt = select(Department).order_by(Department.name)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(
        db.session.scalars(
            stmt.options(
                selectinload(Department.rota),
                selectinload(Department.owner),
                selectinload(Department.members).selectinload(DepartmentMember.user),
            )
        )
    )


def reach_now(
    departments: list[Department], at: dt.datetime, tz: ZoneInfo
) -> list[Reach]:
    return [Reach(d, who_answers(d.rota_entries(), at, tz)) for d in departments]


def department_choices() -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in list_departments()]


def department_by_name(name: str) -> Department | None:
    return db.session.scalar(
        select(Department).where(func.lower(Department.name) == name.strip().lower())
    )


def user_choices() -> list[tuple[int, str]]:
    """Every active user, for owners and members (any role may be a member)."""
    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .where(User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(uid, f"{name} ({email})") for uid, name, email in rows]


def users_by_email(emails: list[str]) -> dict[str, User]:
    if not emails:
        return {}
    rows = db.session.scalars(
        select(User).where(func.lower(User.email).in_([e.lower() for e in emails]))
    )
    return {u.email.lower(): u for u in rows}


def departments_of(user_id: int) -> list[Department]:
    """The departments ``user_id`` acts for (owner or member)."""
    member = select(DepartmentMember.department_id).where(
        DepartmentMember.user_id == user_id
    )
    return list(
        db.session.scalars(
            select(Department)
            .where(or_(Department.owner_id == user_id, Department.id.in_(member)))
            .order_by(Department.name)
        )
    )


def leadership_emails() -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.LEADERSHIP, User.is_active.is_(True))
            .order_by(User.email)
        )
    )


# --- problem reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemFilter:
    status: str = ""  # a ProblemStatus value, "open", "closed" or "" for all
    department_id: int | None = None
    reporter_id: int | None = None  # "mine"
    department_ids: frozenset[int] | None = None  # "my departments"
    oldest_first: bool = False
    #: Filed from the first instant to before the second (a month, for the API).
    filed: tuple[dt.datetime, dt.datetime] | None = None


def _filtered(f: ProblemFilter) -> Select[Any]:
    stmt = select(ProblemReport.id)
    if f.status == "open":
        stmt = stmt.where(ProblemReport.status.in_(list(OPEN_STATUSES)))
    elif f.status == "closed":
        stmt = stmt.where(ProblemReport.status.not_in(list(OPEN_STATUSES)))
    elif f.status:
        stmt = stmt.where(ProblemReport.status == ProblemStatus(f.status))
    if f.department_id is not None:
        stmt = stmt.where(ProblemReport.department_id == f.department_id)
    if f.department_ids is not None:
        stmt = stmt.where(ProblemReport.department_id.in_(list(f.department_ids)))
    if f.reporter_id is not None:
        stmt = stmt.where(ProblemReport.reporter_id == f.reporter_id)
    if f.filed is not None:
        stmt = stmt.where(
            ProblemReport.created_at >= f.filed[0],
            ProblemReport.created_at < f.filed[1],
        )
    if f.oldest_first:
        return stmt.order_by(ProblemReport.created_at, ProblemReport.id)
    return stmt.order_by(ProblemReport.created_at.desc(), ProblemReport.id.desc())


@dataclass(frozen=True)
class ProblemRow:
    report: ProblemReport
    tickets: int
    supports: int


def problem_page(
    f: ProblemFilter, page: int, per_page: int = PER_PAGE, *, clamp: bool = True
) -> Page:
    """One page of reports, newest first, with their ticket and "+1" counts.

    Counted apart from the page: the count reads an index only, and the page walks the
    time index to its rows, where one windowed query (``core.pagination.counted_rows``)
    would hold every matching id (tens of thousands) to cut 25.
    """
    stmt = _filtered(f)
    total = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    if clamp:
        page, start, _ = page_bounds(total or 0, page, per_page)
    else:  # the API: a page past the end is empty, as asked
        start = (page - 1) * per_page
    ids = (
        list(db.session.scalars(stmt.limit(per_page).offset(start)))
        if start < (total or 0)
        else []
    )
    reports = {
        r.id: r
        for r in db.session.scalars(
            select(ProblemReport)
            .where(ProblemReport.id.in_(ids))
            .options(
                selectinload(ProblemReport.department),
                selectinload(ProblemReport.reporter),
            )
        )
    }
    tickets = _counts(ProblemTicket.report_id, ids)
    supports = _counts(ProblemSupport.report_id, ids)
    items = [ProblemRow(reports[i], tickets.get(i, 0), supports.get(i, 0)) for i in ids]
    return Page(items, page, per_page, total or 0)


def _counts(column: Any, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(column, func.count()).where(column.in_(ids)).group_by(column)
        ).all()
    )


def load_problem(report_id: int) -> ProblemReport | None:
    return db.session.scalar(
        select(ProblemReport)
        .where(ProblemReport.id == report_id)
        .options(
            selectinload(ProblemReport.tickets),
            selectinload(ProblemReport.supports).selectinload(ProblemSupport.user),
            selectinload(ProblemReport.history),
            selectinload(ProblemReport.department).selectinload(Department.rota),
        )
    )


def problem_exists(report_id: int) -> bool:
    return db.session.get(ProblemReport, report_id) is not None


def similar_open(text: str, *, exclude: int | None = None) -> list[ProblemReport]:
    """Open reports that read like ``text`` (see :mod:`voice.similarity`), best first."""
    stmt = (
        select(ProblemReport.id, ProblemReport.title, ProblemReport.story)
        .where(ProblemReport.status.in_(list(OPEN_STATUSES)))
        .order_by(ProblemReport.created_at.desc())
        .limit(SIMILAR_POOL)
    )
    if exclude is not None:
        stmt = stmt.where(ProblemReport.id != exclude)
    candidates = [
        (rid, f"{title} {story}") for rid, title, story in db.session.execute(stmt)
    ]
    matches = similarity.similar(text, candidates)
    if not matches:
        return []
    found = {
        r.id: r
        for r in db.session.scalars(
            select(ProblemReport)
            .where(ProblemReport.id.in_([m.report_id for m in matches]))
            .options(selectinload(ProblemReport.department))
        )
    }
    return [found[m.report_id] for m in matches]


def known_ticket_ids(external_ids: list[str]) -> set[str]:
    """Which ids an import has stored (through incentives' read for other modules)."""
    return ticket_queries.existing_external_ids(external_ids)


# --- the reaction, measured ---------------------------------------------------------------


def _epoch_seconds(column: Any) -> Any:
    """A time column as seconds since 1970 (a float), worked out by the database: a
    frame of numbers reads far faster than one of datetimes."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0


def reaction_frame(
    department_id: int | None = None,
    *,
    filed: tuple[dt.datetime, dt.datetime] | None = None,
) -> pd.DataFrame:
    """Reports' status and times (:mod:`voice.reaction`'s columns, plus
    ``department_id``); only those filed from ``filed[0]`` to before ``filed[1]`` when
    given."""
    times = ("created_at", "acknowledged_at", "closed_at")
    stmt = select(
        ProblemReport.department_id,
        type_coerce(ProblemReport.status, String),
        *(_epoch_seconds(getattr(ProblemReport, c)) for c in times),
    )
    if department_id is not None:
        stmt = stmt.where(ProblemReport.department_id == department_id)
    if filed is not None:
        stmt = stmt.where(
            ProblemReport.created_at >= filed[0], ProblemReport.created_at < filed[1]
        )
    names = ["department_id", "status", *times]
    # On the session's connection, straight from the driver's cursor (the columns are
    # plain numbers and text, with nothing for SQLAlchemy to convert): its rows cost
    # five times the query here. Column by column: pandas reads lists faster than rows.
    result = db.session.connection().execute(stmt)
    rows = result.cursor.fetchall()
    result.close()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame(dict(zip(names, map(list, columns), strict=True)))
    frame["department_id"] = frame["department_id"].astype("int64")
    frame["status"] = frame["status"].astype("object")
    for column in times:
        frame[column] = pd.to_datetime(
            pd.to_numeric(frame[column], errors="coerce").astype("float64"),
            unit="s",
            utc=True,
        ).dt.round("us")
    return frame


#: A department's figures by (department, target, its reports' state, minute): kept by
#: this process, so the page reads every report once a minute at most, or when one moves.
_REACTIONS: dict[tuple[Any, ...], reaction.Reaction] = {}
_REACTIONS_KEPT = 64


def department_reaction(department: Department, at: dt.datetime) -> reaction.Reaction:
    """A department's figures at ``at`` (to the minute).

    The key holds how many of its reports are in each state and the newest one's time:
    a new report, a move (always to a later state, so counts never come back to what
    they were) or a report sent to another department gives a new key. It is read from
    the covering index alone.
    """
    minute = at.replace(second=0, microsecond=0)
    state = tuple(
        sorted(
            (str(status), count, newest)
            for status, count, newest in db.session.execute(
                select(
                    ProblemReport.status,
                    func.count(),
                    func.max(ProblemReport.created_at),
                )
                .where(ProblemReport.department_id == department.id)
                .group_by(ProblemReport.status)
            )
        )
    )
    key = (department.id, department.ack_target_hours, state, minute)
    figures = _REACTIONS.get(key)
    if figures is None:
        figures = reaction.measure(
            reaction_frame(department.id),
            target_hours=department.ack_target_hours,
            at=minute,
        )
        if len(_REACTIONS) >= _REACTIONS_KEPT:
            _REACTIONS.clear()
        _REACTIONS[key] = figures
    return figures


def all_reactions(
    departments: list[Department], at: dt.datetime
) -> list[tuple[Department, reaction.Reaction]]:
    frame = reaction_frame()
    return [
        (
            d,
            reaction.measure(
                frame[frame["department_id"] == d.id],
                target_hours=d.ack_target_hours,
                at=at,
            ),
        )
        for d in departments
    ]


def overdue_new_reports() -> list[ProblemReport]:
    """New reports, oldest first, with their departments (the escalation reads them)."""
    return list(
        db.session.scalars(
            select(ProblemReport)
            .where(ProblemReport.status == ProblemStatus.NEW)
            .order_by(ProblemReport.created_at)
            .options(
                selectinload(ProblemReport.department).selectinload(Department.owner)
            )
        )
    )


# --- for other modules --------------------------------------------------------------------


def open_reports_of(user_id: int) -> int:
    """For other modules (dashboard panels): how many of a user's reports are open."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ProblemReport)
            .where(
                ProblemReport.reporter_id == user_id,
                ProblemReport.status.in_(list(OPEN_STATUSES)),
            )
        )
        or 0
    )


def reports_of_month(
    month: str, tz: ZoneInfo, reporter_id: int | None = None
) -> dict[int, monthly.RepReports]:
    """For other modules (reps' scorecards): per reporter, the reports they filed in
    ``month`` (in ``tz``) and what became of them, oldest first; one reporter's with
    ``reporter_id``."""
    start, end = month_bounds(month, tz)
    stmt = (
        select(
            ProblemReport.reporter_id,
            ProblemReport.id,
            ProblemReport.title,
            Department.name,
            ProblemReport.status,
        )
        .join(Department, Department.id == ProblemReport.department_id)
        .where(
            ProblemReport.reporter_id.is_not(None),
            ProblemReport.created_at >= start,
            ProblemReport.created_at < end,
        )
        .order_by(ProblemReport.created_at, ProblemReport.id)
    )
    if reporter_id is not None:
        stmt = stmt.where(ProblemReport.reporter_id == reporter_id)
    by_reporter: dict[int, list[tuple[int, str, str, ProblemStatus]]] = {}
    for reporter, rid, title, name, status in db.session.execute(stmt):
        by_reporter.setdefault(reporter, []).append((rid, title, name, status))
    return {r: monthly.rep_reports(rows) for r, rows in by_reporter.items()}


def front_line_month(
    month: str, tz: ZoneInfo, now: dt.datetime
) -> monthly.FrontLineMonth:
    """For the leadership pack, its dashboard panel and the API: the month's section
    (:mod:`voice.monthly`), with the figures as the month ended (or at ``now``)."""
    start, month_end = month_bounds(month, tz)
    end = min(month_end, now)
    frame = reaction_frame(filed=(start, month_end))
    filed = (ProblemReport.created_at >= start, ProblemReport.created_at < month_end)
    tickets = _month_counts(ProblemTicket.report_id, ProblemTicket.added_at, filed, end)
    supports = _month_counts(ProblemSupport.report_id, ProblemSupport.at, filed, end)
    # Only the reports the section names are read whole.
    rows = db.session.execute(
        select(
            ProblemReport.id,
            ProblemReport.title,
            Department.name,
            ProblemReport.status,
            ProblemReport.acknowledged_at,
            ProblemReport.closed_at,
        )
        .join(Department, Department.id == ProblemReport.department_id)
        .where(ProblemReport.id.in_(monthly.top_ids(tickets, supports)))
    ).all()
    fixed = db.session.execute(
        select(
            ProblemReport.id,
            ProblemReport.title,
            Department.name,
            ProblemReport.created_at,
            ProblemReport.closed_at,
        )
        .join(Department, Department.id == ProblemReport.department_id)
        .where(
            ProblemReport.status == ProblemStatus.FIXED,
            ProblemReport.closed_at >= start,
            ProblemReport.closed_at < end,
        )
    ).all()
    return monthly.front_line_month(
        month=str(month),
        month_label=Month.parse(month).label,
        end=end,
        under_way=now < month_end,
        frame=frame,
        departments=[
            monthly.DepartmentFacts(d.id, d.name, d.ack_target_hours)
            for d in list_departments(active_only=False)
        ],
        problems=[
            monthly.ProblemFacts(
                report_id=rid,
                title=title,
                department=name,
                status=_status_at(status, acknowledged, closed, end),
                tickets=tickets.get(rid, 0),
                supports=supports.get(rid, 0),
            )
            for rid, title, name, status, acknowledged, closed in rows
        ],
        fixed=[
            monthly.FixedFacts(rid, title, name, _aware(created), _aware(closed))
            for rid, title, name, created, closed in fixed
        ],
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _status_at(
    status: ProblemStatus,
    acknowledged: dt.datetime | None,
    closed: dt.datetime | None,
    end: dt.datetime,
) -> ProblemStatus:
    """A report's state at ``end`` (as :func:`voice.monthly.as_of` cuts the figures)."""
    if acknowledged is not None and _aware(acknowledged) > end:
        return ProblemStatus.NEW
    if closed is not None and _aware(closed) > end:
        return ProblemStatus.IN_PROGRESS
    return status


def _month_counts(
    column: Any, at_column: Any, filed: tuple[Any, ...], end: dt.datetime
) -> dict[int, int]:
    """Per report filed in the month (``filed``), the rows of ``column``'s table made
    before ``end``."""
    return dict(
        db.session.execute(
            select(column, func.count())
            .join(ProblemReport, ProblemReport.id == column)
            .where(*filed, at_column < end)
            .group_by(column)
        ).all()
    )
