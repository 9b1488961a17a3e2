"""A large SQLite load of tickets, staged in a file of its own.

Python's ``sqlite3`` hands SQLite each value on its own (some 150 ns a value): a million
tickets' fifteen million values cost seconds before SQLite stores any. Here the tickets go
as Arrow columns, through the ADBC SQLite driver, into a new table in a separate staging
file; the session's own connection attaches that file and copies the rows with one
``INSERT ... SELECT``, inside the import's transaction (SQLite copies rows between files
several times faster than Python binds them). The staging file is detached and removed once
that transaction has ended, committed or rolled back: when the connection goes back to the
pool. A process killed before then cannot; the next staged load removes the folders of
processes that are gone.

The ADBC driver bundles its own SQLite library. Two SQLite libraries in one process must
never open the same file (neither sees the other's locks), so the driver opens only the
staging file, which it creates, in a folder of its own; the live database is opened by the
session's connection alone.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, event
from sqlalchemy.pool import Pool

logger = logging.getLogger(__name__)

#: A SQLite load at least this large is staged (smaller ones bind their rows directly).
STAGE_MIN_ROWS = 50_000
#: Where a pooled connection keeps the staging files it attached: (schema, folder).
_ATTACHED = "frontline_staged_tickets"
_TABLE = "staged"
#: Staging folders are named by the process that made them: frontline-staging-PID-...
_PREFIX = "frontline-staging-"


def insert(
    connection: Connection,
    frame: pd.DataFrame,
    columns: list[str],
    *,
    source: str,
    import_id: int,
) -> None:
    """Insert ``frame``'s tickets (``columns`` of them, in order) into ``tickets``."""
    from adbc_driver_sqlite import dbapi as adbc

    remove_abandoned()
    folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    schema = f"staged_{uuid.uuid4().hex[:12]}"
    try:
        table = arrow_table(frame, [c for c in columns if c not in _BOUND])
        staging_file = folder / "tickets.db"
        # The ingest is one transaction of its own in the staging file.
        with (
            adbc.connect(str(staging_file), autocommit=True) as staging,
            staging.cursor() as cursor,
        ):
            cursor.adbc_ingest(_TABLE, table, mode="create")
        connection.exec_driver_sql(
            f"ATTACH DATABASE ? AS {schema}", (str(staging_file),)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # The pool's record of this connection: what its "checkin" event is given.
    connection.connection.info.setdefault(_ATTACHED, []).append((schema, str(folder)))
    selected = ", ".join("?" if c in _BOUND else c for c in columns)
    bound = tuple(
        {"source": source, "import_id": import_id}[c] for c in columns if c in _BOUND
    )
    connection.exec_driver_sql(
        f"INSERT INTO tickets ({', '.join(columns)}) "  # noqa: S608 (names are constants)
        f"SELECT {selected} FROM {schema}.{_TABLE}",
        bound,
    )


#: Columns the same for every ticket of a load, bound once in the ``SELECT``.
_BOUND = ("source", "import_id")


_WHOLE_NUMBERS = (
    "id",
    "agent_id",
    "reopens",
    "satisfied",
    "nps",
    "fingerprint",
    "import_id",
)


def arrow_table(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    """The tickets' values as :func:`incentives.tickets.bulk.rows` gives them, as columns:
    text, whole numbers, 1/0 for satisfied, times as SQLAlchemy writes them."""
    arrays: dict[str, pa.Array] = {}
    for name in columns:
        series = frame[name]
        if name in ("created_at", "first_response_at", "solved_at"):
            naive = series.dt.tz_convert("UTC").dt.tz_localize(None)
            # A microsecond time as text: 2024-03-01 09:30:00.000000
            arrays[name] = pa.array(naive, pa.timestamp("us")).cast(pa.string())
        elif name in _WHOLE_NUMBERS:
            arrays[name] = pa.array(series.astype("Int64"), pa.int64())
        elif isinstance(series.dtype, pd.CategoricalDtype):
            arrays[name] = pa.array(
                series.astype(object), pa.string(), from_pandas=True
            )
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            arrays[name] = pa.array(series, pa.string(), from_pandas=True)
        else:
            arrays[name] = pa.array(series, pa.float64(), from_pandas=True)
    return pa.table(arrays)


@event.listens_for(Pool, "checkin")
def _remove_staged(dbapi_connection: Any, record: Any) -> None:
    """Once a connection's transaction has ended: detach and remove its staging files."""
    for schema, folder in record.info.pop(_ATTACHED, []):
        if dbapi_connection is not None:
            try:
                dbapi_connection.execute(f"DETACH DATABASE {schema}")
            except sqlite3.Error as e:  # the connection is closed or broken
                logger.warning("Could not detach staged tickets %s: %s", schema, e)
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(folder: Path | None = None) -> list[Path]:
    """Remove the staging folders of processes that are gone (an import killed before its
    transaction ended cannot remove its own); returns what was removed."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{_PREFIX}*-*"):
        pid = path.name.removeprefix(_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
