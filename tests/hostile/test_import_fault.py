"""A ticket import killed halfway leaves nothing behind and can simply be run again.

``flask --app app tickets import`` runs in a process of its own on a file big enough to
take a few seconds. Once it is demonstrably writing tickets (on SQLite: megabytes of
ticket pages in the write-ahead log; on PostgreSQL: the import's connection holds a write
lock on ``tickets``), it is killed with SIGKILL. Then: no ticket, agent, import record or
audit event of it exists, SQLite is not left locked (a new connection takes the write lock
at once) and passes its integrity check, the same import run again brings in every row,
and a third run finds every row unchanged.

Bounded: each command has a time limit, the wait for the import to start writing too; a
process left running is always killed. The PostgreSQL run needs
``FRONTLINE_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from incentives.tickets.models import Ticket, TicketAgent, TicketImport
from tests.conftest import make_test_app
from tests.hostile.processes import ROOT, kill_group_when, process_group

ROWS = 100_000
#: Time limits (seconds): for the import to start writing, and for a whole import.
START_LIMIT, RUN_LIMIT = 60.0, 120.0
#: On SQLite: a write-ahead log this large holds ticket pages, not just the import record.
WRITING_WAL_BYTES = 1_000_000
HEADER = [
    *("ticket_id", "channel", "agent_email", "priority", "created_at"),
    *("first_response_at", "solved_at", "reopens", "csat", "nps", "tags"),
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Frontline ticket file of :data:`ROWS` solved tickets from 50 agents."""
    path = tmp_path_factory.mktemp("export") / "tickets.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(ROWS):
            day = f"2024-03-{1 + n % 28:02d}"
            writer.writerow(
                [
                    *(f"T-{n}", "email", f"agent{n % 50}@example.com", "normal"),
                    *(f"{day}T08:00:00Z", f"{day}T08:30:00Z", f"{day}T12:00:00Z"),
                    *(n % 2, "good" if n % 3 else "bad", n % 11, "billing"),
                ]
            )
    return path


def _environment(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "import-fault-test",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    env.pop("FRONTLINE_TIMEZONE", None)
    return env


def _command(export: Path) -> list[str]:
    flask = str(Path(sys.executable).with_name("flask"))
    return [
        flask,
        "--app",
        "app",
        "tickets",
        "import",
        str(export),
        "--source",
        "frontline",
    ]


def _import(database_url: str, export: Path) -> str:
    """Run the import to the end; returns what it printed."""
    done = subprocess.run(
        _command(export),
        cwd=ROOT,
        env=_environment(database_url),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _running_import(
    database_url: str, export: Path
) -> contextlib.AbstractContextManager[subprocess.Popen]:
    """The import in its own process group, killed on the way out if still running."""
    return process_group(_command(export), _environment(database_url))


def _kill_while_writing(process: subprocess.Popen, writing: Callable[[], bool]) -> None:
    kill_group_when(process, writing, what="seen writing", limit=START_LIMIT)


def _counts(database_url: str) -> dict[str, int]:
    app = make_test_app(database_url)
    with app.app_context():
        count = lambda model: db.session.scalar(  # noqa: E731
            sa.select(sa.func.count()).select_from(model)
        )
        found = {
            "tickets": count(Ticket),
            "agents": count(TicketAgent),
            "imports": count(TicketImport),
            "audit": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.like("tickets.%"))
            ),
        }
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return found


def _create_schema(database_url: str) -> None:
    app = make_test_app(database_url)
    with app.app_context():
        db.create_all()
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        for engine in db.engines.values():
            engine.dispose()


def _import_again_twice(database_url: str, export: Path) -> None:
    second = _import(database_url, export)
    assert f"{ROWS} rows — {ROWS} new, 0 updated, 0 unchanged" in second, second
    assert _counts(database_url) == {
        "tickets": ROWS,
        "agents": 50,
        "imports": 1,
        "audit": 1,
    }
    third = _import(database_url, export)
    assert f"{ROWS} rows — 0 new, 0 updated, {ROWS} unchanged" in third, third
    assert _counts(database_url)["tickets"] == ROWS
    assert _counts(database_url)["imports"] == 2


NOTHING = {"tickets": 0, "agents": 0, "imports": 0, "audit": 0}


def test_a_killed_import_on_sqlite_leaves_nothing_and_runs_again(
    tmp_path: Path, export: Path
) -> None:
    path = tmp_path / "import-fault.db"
    url = f"sqlite:///{path}"
    _create_schema(url)
    wal = path.with_name(path.name + "-wal")

    def writing() -> bool:
        return wal.exists() and wal.stat().st_size > WRITING_WAL_BYTES

    with _running_import(url, export) as process:
        _kill_while_writing(process, writing)

    # Not left locked: a new connection takes the write lock at once.
    probe = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        assert probe.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        probe.close()
    assert _counts(url) == NOTHING
    _import_again_twice(url, export)


def test_a_killed_import_on_postgresql_leaves_nothing_and_runs_again(
    scratch_postgres_url: str, export: Path
) -> None:
    url = scratch_postgres_url
    _create_schema(url)
    watcher = sa.create_engine(url)
    holding_tickets = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'tickets' AND l.granted AND l.mode <> 'AccessShareLock' "
        "AND l.pid <> pg_backend_pid()"
    )

    def writing() -> bool:
        with watcher.connect() as connection:
            return bool(connection.scalar(holding_tickets))

    try:
        with _running_import(url, export) as process:
            _kill_while_writing(process, writing)
        # The server rolls the import back once it sees its client gone.
        deadline = time.monotonic() + RUN_LIMIT
        while writing() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.dispose()
    assert _counts(url) == NOTHING
    _import_again_twice(url, export)
