"""Writing many tickets at once, inside the caller's transaction (never committing).

A million-row import cannot afford an ORM object, or even SQLAlchemy's per-value type
processing, per ticket. Here a checked tickets frame becomes plain Python values column by
column, then:

- SQLite: one prepared ``INSERT`` run with ``executemany``; a large load is staged in a
  file of its own and copied by SQLite (:mod:`incentives.tickets.staging`).
- PostgreSQL: ``COPY ... FROM STDIN`` straight into ``tickets``, as CSV written by pyarrow
  from the columns; updates are copied into a temporary table and applied with one
  ``UPDATE ... FROM``.

When a load is large next to the table (a first import of history), the ticket indexes
(and on PostgreSQL the foreign keys) are dropped first and built again afterwards, in the
same transaction: a database builds an index from sorted data several times faster than it
maintains it row by row. The unique index and the keys are back before commit, so a
duplicate or a dangling reference still fails the whole import.

Times are written as SQLAlchemy writes them (naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), so
rows written here and rows written by the ORM compare and sort alike.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, func, select
from sqlalchemy.schema import AddConstraint, DropConstraint

from incentives.tickets import staging
from incentives.tickets.models import Ticket

logger = logging.getLogger(__name__)

#: Columns written for a ticket, in this order.
COLUMNS = [
    "source",
    "external_id",
    "channel",
    "priority",
    "group_name",
    "agent_id",
    "created_at",
    "first_response_at",
    "solved_at",
    "first_response_min_calendar",
    "first_response_min_business",
    "resolution_min_calendar",
    "resolution_min_business",
    "reopens",
    "satisfied",
    "nps",
    "tags",
    "sla_met",
    "fingerprint",
    "import_id",
]
#: A SQLite load at least this large, and at least a quarter of the table, rebuilds the
#: indexes instead of maintaining them.
REBUILD_MIN_ROWS = 50_000
BATCH_ROWS = 100_000


def rows(
    frame: pd.DataFrame,
    *,
    source: str,
    import_id: int,
    columns: Sequence[str] = COLUMNS,
) -> list[tuple[Any, ...]]:
    """Plain Python tuples, one per ticket, with the values of ``columns`` in order.

    :param frame: checked tickets (``normalising.TICKET_FRAME``) plus ``agent_id`` (object:
        int or None) and ``fingerprint`` (int64).
    """
    n = len(frame)
    makers: dict[str, Any] = {
        "source": lambda: [source] * n,
        "external_id": lambda: frame["external_id"].tolist(),
        "channel": lambda: _text(frame["channel"]),
        "priority": lambda: _text(frame["priority"]),
        "group_name": lambda: _text(frame["group_name"]),
        "agent_id": lambda: list(frame["agent_id"]),
        "satisfied": lambda: _booleans(frame["satisfied"]),
        "sla_met": lambda: _booleans(frame["sla_met"]),
        "tags": lambda: _text(frame["tags"]),
        "fingerprint": lambda: frame["fingerprint"].astype("int64").tolist(),
        "import_id": lambda: [import_id] * n,
    }
    for name in ("created_at", "first_response_at", "solved_at"):
        makers[name] = lambda name=name: _times(frame[name])
    for name in (
        "first_response_min_calendar",
        "first_response_min_business",
        "resolution_min_calendar",
        "resolution_min_business",
    ):
        makers[name] = lambda name=name: _text(frame[name])
    for name in ("reopens", "nps"):
        makers[name] = lambda name=name: _ints(frame[name])
    return list(zip(*(makers[c]() for c in columns), strict=True))


def _present(part: pd.DataFrame) -> list[str]:
    """The columns with at least one value in this batch.

    The others are left to their NULL default: fewer values to bind per row (a Frontline
    file has no exported durations, for instance).
    """
    return [c for c in COLUMNS if c not in part.columns or part[c].notna().any()]


def _text(series: pd.Series) -> list[Any]:
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def _booleans(series: pd.Series) -> list[Any]:
    """1.0 / 0.0 / NaN as True / False / None."""
    return (
        series.map({1.0: True, 0.0: False})
        .astype(object)
        .where(series.notna(), None)
        .tolist()
    )


def _ints(series: pd.Series) -> list[Any]:
    return series.astype("Int64").to_numpy(dtype=object, na_value=None).tolist()


def _times(series: pd.Series) -> list[Any]:
    """Aware times as SQLAlchemy stores them: ``2024-03-01 09:30:00.000000`` (UTC)."""
    naive = series.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = naive.isna().to_numpy()
    text = np.datetime_as_string(naive.to_numpy(dtype="datetime64[us]"), unit="us")
    if len(text) and not missing.all():
        # "2024-03-01T09:30:00.000000" -> "...01 09:30...": one character, in place
        width = text.dtype.itemsize // 4
        text.view(np.uint32).reshape(len(text), width)[:, 10] = ord(" ")
    values = text.astype(object)
    values[missing] = None
    return values.tolist()


def insert(
    connection: Connection, frame: pd.DataFrame, *, source: str, import_id: int
) -> int:
    """Insert new tickets; returns how many."""
    if frame.empty:
        return 0
    rebuild = len(frame) >= REBUILD_MIN_ROWS and len(frame) * 4 >= _count(connection)
    if rebuild:
        _drop_checks(connection)
    staged = (
        connection.dialect.name == "sqlite" and len(frame) >= staging.STAGE_MIN_ROWS
    )
    if staged:
        present = _present(frame)
        staging.insert(connection, frame, present, source=source, import_id=import_id)
    for start in range(0, 0 if staged else len(frame), BATCH_ROWS):
        part = frame.iloc[start : start + BATCH_ROWS]
        present = _present(part)
        if connection.dialect.name == "postgresql":
            _copy(
                connection, "tickets", present, part, source=source, import_id=import_id
            )
            continue
        values = rows(part, source=source, import_id=import_id, columns=present)
        sql = (
            f"INSERT INTO tickets ({', '.join(present)}) "  # noqa: S608 (column names are constants)
            f"VALUES ({', '.join('?' for _ in present)})"
        )
        connection.exec_driver_sql(sql, values)
    if rebuild:
        _restore_checks(connection)
    logger.info(
        "Inserted %d tickets from %s (indexes rebuilt: %s, staged: %s)",
        len(frame),
        source,
        rebuild,
        staged,
    )
    return len(frame)


def _drop_checks(connection: Connection) -> None:
    """Before a large load: drop the ticket indexes (and, on PostgreSQL, foreign keys).

    PostgreSQL checks a foreign key with a trigger per row, which costs more than writing
    the row; adding the key back afterwards checks every row in one join. The table is
    locked for the load either way; ordinary imports are far below the threshold. What
    is missing is not dropped, and everything declared is built again afterwards.
    """
    for index in Ticket.__table__.indexes:
        index.drop(connection, checkfirst=True)
    if connection.dialect.name == "postgresql":
        for key in Ticket.__table__.foreign_key_constraints:
            connection.execute(DropConstraint(key, if_exists=True))


def _restore_checks(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite sorts for an index build in helper threads when allowed (off by default).
        threads = connection.exec_driver_sql("PRAGMA threads").scalar()
        connection.exec_driver_sql(f"PRAGMA threads={min(os.cpu_count() or 1, 4)}")
    for index in Ticket.__table__.indexes:
        index.create(connection, checkfirst=True)
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA threads={int(threads or 0)}")
    if connection.dialect.name == "postgresql":
        for key in Ticket.__table__.foreign_key_constraints:
            connection.execute(AddConstraint(key))


def update(
    connection: Connection, frame: pd.DataFrame, *, source: str, import_id: int
) -> int:
    """Rewrite changed tickets; ``frame`` also has the ticket ``id``. Returns how many."""
    if frame.empty:
        return 0
    columns = [c for c in COLUMNS if c not in ("source", "external_id")]
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE tickets_incoming AS "  # noqa: S608 (column names are constants)
            f"SELECT id, {', '.join(COLUMNS)} FROM tickets WITH NO DATA"
        )
        _copy(
            connection,
            "tickets_incoming",
            ["id", *COLUMNS],
            frame,
            source=source,
            import_id=import_id,
        )
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        connection.exec_driver_sql(
            f"UPDATE tickets SET {assignments} FROM tickets_incoming s "  # noqa: S608 (column names are constants)
            "WHERE tickets.id = s.id"
        )
        connection.exec_driver_sql("DROP TABLE tickets_incoming")
        return len(frame)
    sql = f"UPDATE tickets SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?"  # noqa: S608 (column names are constants)
    keep = [COLUMNS.index(c) for c in columns]
    for start in range(0, len(frame), BATCH_ROWS):
        part = frame.iloc[start : start + BATCH_ROWS]
        values = rows(part, source=source, import_id=import_id)
        ids = part["id"].astype("int64").tolist()
        connection.exec_driver_sql(
            sql,
            [
                (*(row[i] for i in keep), ticket_id)
                for row, ticket_id in zip(values, ids, strict=True)
            ],
        )
    return len(frame)


def _count(connection: Connection) -> int:
    return connection.execute(
        select(func.count()).select_from(Ticket.__table__)
    ).scalar_one()


def _copy(
    connection: Connection,
    table: str,
    columns: list[str],
    frame: pd.DataFrame,
    *,
    source: str,
    import_id: int,
) -> None:
    """PostgreSQL ``COPY`` on the session's own connection; an ``id`` column comes from
    ``frame["id"]``.

    The rows go as CSV that pyarrow writes from the columns (no Python value per cell):
    a text is always quoted, so ``""`` is an empty text and an empty field is NULL.
    """
    raw = connection.connection.dbapi_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    values = frame.assign(source=source, import_id=import_id)
    options = pa_csv.WriteOptions(include_header=False)
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for start in range(0, len(values), BATCH_ROWS):
            part = staging.arrow_table(values.iloc[start : start + BATCH_ROWS], columns)
            text = io.BytesIO()
            pa_csv.write_csv(part, text, write_options=options)
            copy.write(text.getbuffer())
