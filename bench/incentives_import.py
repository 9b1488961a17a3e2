"""Ticket import and month metrics at 1,000,000 tickets, on SQLite and PostgreSQL.

Generates 1,000,000 tickets for 500 reps over two months in Frontline's CSV format, then,
in this one run on this machine:

- SQLite: imports the file into a fresh database (the same operation as the upload and
  ``tickets import``, committed) and times ``sqlite3 DB ".import --csv FILE t"`` on the same
  file (target: import <= 3x that); imports it again, all unchanged (target: no slower);
  computes a month's metrics for the organisation and times a plain pandas group-by over the
  same rows read from the database (target: <= 2x); notes the peak memory (target < 2 GB);
  times the incentives pages at this size.
- PostgreSQL: the same in a scratch database (created and dropped here), against a plain
  ``COPY`` of the file into a text table.

    .venv/bin/python -m bench.incentives_import [--rows 1000000] [--reps 500]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--skip-postgres]
        [--pages-only]

``--pages-only`` imports the file once and times the pages, skipping the loader baseline,
the re-import and the metrics timings.

Needs the ``sqlite3`` command-line shell (``apt-get install -y sqlite3``) and, for
PostgreSQL, ``psql``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import delete, insert, text

from app import create_app
from core import jobs
from core.access import Role
from core.db import db
from core.people import Team, User, UserRole, team_supervisors
from incentives import month_cache
from incentives.tickets import metrics, month_metrics, operations, queries
from incentives.tickets.models import MonthMetricsSnapshot
from incentives.tickets.sources import FRONTLINE_COLUMNS

MONTH = "2024-03"
START = np.datetime64("2024-03-01T00:00:00")
DAYS = 61  # March and April
CHANNELS = np.array(["email", "phone", "chat", "social", "review", "web"])
CHANNEL_P = [0.3, 0.2, 0.3, 0.08, 0.04, 0.08]
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
PRIORITY_P = [0.2, 0.55, 0.2, 0.05]
TEAM_SIZE = 25


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    path: Path,
    rows: int,
    reps: int,
    seed: int = 7,
    *,
    domain: str = "bench.example.com",
    start: np.datetime64 = START,
    first_id: int = 0,
) -> None:
    """Write ``rows`` tickets in Frontline's CSV format, ids growing with creation time.

    Agents are ``rep0000@DOMAIN`` to ``rep{reps - 1}@DOMAIN``; tickets are created over
    ``DAYS`` days from ``start``; ids run from ``T{first_id}``.
    """
    rng = np.random.default_rng(seed)
    chunk = 100_000
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(FRONTLINE_COLUMNS) + "\n")
        created_all = np.sort(rng.integers(0, DAYS * 86400, rows))
        for offset in range(0, rows, chunk):
            n = min(chunk, rows - offset)
            created = start + created_all[offset : offset + n].astype("timedelta64[s]")
            first = created + rng.lognormal(5.5, 1.4, n).astype("int64").astype(
                "timedelta64[s]"
            )
            solved = first + rng.lognormal(8.5, 1.5, n).astype("int64").astype(
                "timedelta64[s]"
            )
            rated = rng.random(n) < 0.2
            frame = pd.DataFrame(
                {
                    "ticket_id": [
                        f"T{i:07d}"
                        for i in range(first_id + offset, first_id + offset + n)
                    ],
                    "channel": rng.choice(CHANNELS, n, p=CHANNEL_P),
                    "agent_email": np.char.add(
                        np.char.add(
                            "rep",
                            np.char.zfill(rng.integers(0, reps, n).astype(str), 4),
                        ),
                        f"@{domain}",
                    ),
                    "priority": rng.choice(PRIORITIES, n, p=PRIORITY_P),
                    "created_at": np.char.add(
                        np.datetime_as_string(created, unit="s"), "Z"
                    ),
                    "first_response_at": np.char.add(
                        np.datetime_as_string(first, unit="s"), "Z"
                    ),
                    "solved_at": np.where(
                        rng.random(n) < 0.97,
                        np.char.add(np.datetime_as_string(solved, unit="s"), "Z"),
                        "",
                    ),
                    "reopens": np.where(rng.random(n) < 0.05, "1", "0"),
                    "csat": np.where(
                        rated, np.where(rng.random(n) < 0.85, "good", "bad"), ""
                    ),
                    "nps": np.where(
                        rng.random(n) < 0.07, rng.integers(0, 11, n).astype(str), ""
                    ),
                    "tags": np.where(rng.random(n) < 0.1, "refund", ""),
                }
            )
            frame.to_csv(out, header=False, index=False, lineterminator="\n")


def people(reps: int) -> dict[str, int]:
    """Reps in teams of 25, a supervisor for each team, one leadership user."""
    teams = reps // TEAM_SIZE + (1 if reps % TEAM_SIZE else 0)
    db.session.execute(
        insert(Team),
        [{"name": f"Team {t:02d}", "description": ""} for t in range(teams)],
    )
    team_ids = [
        row.id for row in db.session.execute(sa.select(Team.id).order_by(Team.id))
    ]
    users = [
        {
            "email": f"rep{i:04d}@bench.example.com",
            "name": f"Rep {i:04d}",
            "team_id": team_ids[i // TEAM_SIZE],
        }
        for i in range(reps)
    ]
    users += [
        {
            "email": f"sup{t:02d}@bench.example.com",
            "name": f"Supervisor {t:02d}",
            "team_id": None,
        }
        for t in range(teams)
    ]
    users += [{"email": "lead@bench.example.com", "name": "Leader", "team_id": None}]
    db.session.execute(insert(User), users)
    ids = {
        row.email: row.id for row in db.session.execute(sa.select(User.email, User.id))
    }
    roles = [
        {"user_id": ids[f"rep{i:04d}@bench.example.com"], "role": Role.REP}
        for i in range(reps)
    ]
    roles += [
        {"user_id": ids[f"sup{t:02d}@bench.example.com"], "role": Role.SUPERVISOR}
        for t in range(teams)
    ]
    roles += [{"user_id": ids["lead@bench.example.com"], "role": Role.LEADERSHIP}]
    db.session.execute(insert(UserRole), roles)
    db.session.execute(
        insert(team_supervisors),
        [
            {"team_id": team_ids[t], "user_id": ids[f"sup{t:02d}@bench.example.com"]}
            for t in range(teams)
        ],
    )
    db.session.commit()
    return {
        "rep": ids["rep0000@bench.example.com"],
        "sup": ids["sup00@bench.example.com"],
        "lead": ids["lead@bench.example.com"],
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def import_once(path: Path) -> operations.ImportOutcome:
    outcome = operations.import_ticket_file(
        path.read_bytes(),
        filename=path.name,
        file_format="frontline",
        by="bench",
        via="cli",
        tz=ZoneInfo("UTC"),
    )
    db.session.commit()
    return outcome


def plain_groupby(month: str) -> pd.DataFrame:
    """The baseline: the month's rows read with plain SQL, medians and rates by rep."""
    start, end = metrics.month_bounds(month, ZoneInfo("UTC"))
    sql = text(
        "SELECT t.id, a.rep_id, t.channel, t.priority, t.created_at, t.first_response_at,"
        " t.solved_at, t.reopens, t.satisfied, t.nps FROM tickets t"
        " LEFT JOIN ticket_agents a ON a.id = t.agent_id"
        " WHERE t.solved_at >= :start AND t.solved_at < :end"
    )
    bind = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    if db.engine.dialect.name == "sqlite":
        bind = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in bind.items()}
    frame = pd.read_sql(sql, db.session.connection(), params=bind)
    for column in ("created_at", "first_response_at", "solved_at"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    frame["first"] = (
        frame["first_response_at"] - frame["created_at"]
    ).dt.total_seconds() / 60
    frame["resolution"] = (
        frame["solved_at"] - frame["created_at"]
    ).dt.total_seconds() / 3600
    frame["satisfied"] = pd.to_numeric(frame["satisfied"]).astype(float)
    return frame.groupby("rep_id").agg(
        solved=("id", "size"),
        first=("first", "median"),
        resolution=("resolution", "median"),
        csat=("satisfied", "mean"),
        reopens=("reopens", "mean"),
    )


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    return min(timed(fn)[0] for _ in range(runs))


def page_times(app: Any, ids: dict[str, int], runs: int = 5) -> dict[str, float]:
    """Median ms of the incentives pages through the test client.

    "Another worker" is played by forgetting the figures this process keeps; "nothing
    computed ahead" by deleting the stored ones too.
    """
    client = app.test_client()

    def login(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            session_id = user.get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

    def forget_kept() -> None:
        month_cache.forget()

    def forget_stored() -> None:
        forget_kept()
        with app.app_context():
            db.session.execute(delete(MonthMetricsSnapshot))
            db.session.commit()

    def store() -> None:
        with app.app_context():
            month_cache.warm(MONTH)
            db.session.remove()

    metrics_url = f"/incentives/metrics?month={MONTH}"

    def median_ms(
        who: str, url: str, before: Callable[[], None] = lambda: None, n: int = runs
    ) -> float:
        login(ids[who])
        before()
        client.get(url)  # warm-up
        times = []
        for _ in range(n):
            before()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        return statistics.median(times)

    out: dict[str, float] = {}
    # The organisation's figures computed ahead (after an import, by its job) and stored;
    # each view in a worker that does not keep them yet.
    forget_stored()
    store()
    out["rep: month metrics"] = median_ms("rep", metrics_url, forget_kept)
    out["rep: dashboard panel"] = median_ms("rep", "/", forget_kept)
    out["rep: tickets behind a figure"] = median_ms(
        "rep", f"/incentives/reps/{ids['rep']}/tickets?month={MONTH}"
    )
    out["supervisor: team of 25, first view, stored"] = median_ms(
        "sup", metrics_url, forget_kept
    )
    out["leadership: organisation, first view, stored"] = median_ms(
        "lead", metrics_url, forget_kept
    )
    out["leadership: organisation, again"] = median_ms("lead", metrics_url)
    out["supervisor: team, again"] = median_ms("sup", metrics_url)
    out["leadership: unattributed tickets"] = median_ms(
        "lead", f"/incentives/unattributed?month={MONTH}"
    )
    # Nothing computed ahead: a supervisor's and a rep's views use their own tickets; the
    # first leadership view computes the organisation's figures and stores them.
    out["rep: month metrics, nothing stored"] = median_ms(
        "rep", metrics_url, forget_stored
    )
    out["supervisor: team of 25, nothing stored"] = median_ms(
        "sup", metrics_url, forget_stored
    )
    out["leadership: organisation, nothing stored"] = median_ms(
        "lead", metrics_url, forget_stored, n=3
    )
    return out


def warm_up_s(outcome: operations.ImportOutcome) -> float:
    """Wait for the job computing the import's months ahead; how long it ran (each month
    computed, none found stored already)."""
    assert outcome.warm_up is not None
    job_id = outcome.warm_up.id
    jobs.wait(job_id)
    db.session.rollback()  # a read begun before the job ended would not see its end
    job = db.session.get(jobs.Job, job_id)
    assert job.status is jobs.JobStatus.DONE, job.error
    assert job.result["computed"] == job.result["months"], job.result
    return (job.finished_at - job.started_at).total_seconds()


def run(
    database_url: str,
    csv_path: Path,
    reps: int,
    baseline: Callable[[], float],
    *,
    pages_only: bool = False,
) -> dict[str, Any]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "JOBS_BACKEND": "thread",
        }
    )
    figures: dict[str, Any] = {}
    # Figures kept from a run on another database would match these inputs.
    month_cache.forget()
    with app.app_context():
        db.create_all()
        ids = people(reps)
        if not pages_only:
            figures["baseline_s"] = baseline()
        figures["import_s"], outcome = timed(lambda: import_once(csv_path))
        figures["inserted"] = outcome.inserted
        figures["months"] = outcome.warm_up.params["args"][0]  # type: ignore[union-attr]
        figures["warm_up_s"] = warm_up_s(outcome)
        figures["peak_after_import_mb"] = peak_mb()
        scope = queries.Scope(None, None, organisation=True)
        figures["month_rows"] = int(
            month_cache.figures_for(MONTH, scope).organisation["tickets_solved"]
        )
        if not pages_only:
            figures["reimport_s"], again = timed(lambda: import_once(csv_path))
            figures["unchanged"] = again.unchanged
            warm_up_s(again)

            def computed() -> month_metrics.MonthMetrics:
                # The computation alone, not the figures kept or stored.
                return month_metrics.compute(MONTH, scope, None)

            computed()  # the database's own caches warm alike for both
            figures["metrics_s"] = best_of(3, computed)
            figures["groupby_s"] = best_of(3, lambda: plain_groupby(MONTH))
        db.session.remove()
    figures["pages_ms"] = page_times(app, ids)
    figures["peak_mb"] = peak_mb()
    with app.app_context():
        db.engine.dispose()
    return figures


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is needed: apt-get install -y {name}")
    return path


def sqlite_baseline(db_file: Path, csv_path: Path) -> Callable[[], float]:
    """``sqlite3 DB ".import --csv FILE t"``: a new table of text columns, no index."""

    def go() -> float:
        command = [_tool("sqlite3"), str(db_file), f".import --csv {csv_path} t"]
        return timed(lambda: subprocess.run(command, check=True))[0]  # noqa: S603 (ours)

    return go


def postgres_baseline(url: sa.URL, csv_path: Path) -> Callable[[], float]:
    """``psql \\copy`` of the file into a table of text columns, no index."""

    def go() -> float:
        columns = ", ".join(f"{c} text" for c in FRONTLINE_COLUMNS)
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        psql = [
            _tool("psql"),
            "-q",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database or "",
        ]
        create = [*psql, "-c", f"CREATE TABLE t ({columns})"]
        copy = [*psql, "-c", f"\\copy t FROM '{csv_path}' CSV HEADER"]
        subprocess.run(create, check=True, env=env)  # noqa: S603 (our own arguments)
        return timed(lambda: subprocess.run(copy, check=True, env=env))[0]  # noqa: S603 (ours)

    return go


def line(label: str, value: str, note: str = "") -> None:
    print(f"{label:<56}{value:>10}   {note}".rstrip())


def report(name: str, f: dict[str, Any], baseline_name: str, target: float = 3) -> None:
    print(f"\n== {name} ==")
    line("rows imported", f"{f['inserted']:,}")
    line(
        "import (operation + commit)",
        f"{f['import_s']:.2f}s",
        f"ratio {f['import_s'] / f['baseline_s']:.2f}x (target <= {target:g}x)"
        if "baseline_s" in f
        else "",
    )
    line(
        f"its months computed ahead ({', '.join(f['months'])})",
        f"{f['warm_up_s']:.2f}s",
        "(background job)",
    )
    if "baseline_s" in f:
        line(baseline_name, f"{f['baseline_s']:.2f}s")
        verdict = "ok" if f["reimport_s"] <= f["import_s"] else "SLOWER"
        line(
            "re-import, all unchanged",
            f"{f['reimport_s']:.2f}s",
            f"{verdict} (target: no slower); {f['unchanged']:,} unchanged",
        )
        ratio = f["metrics_s"] / f["groupby_s"]
        line(
            f"month metrics, organisation ({f['month_rows']:,} tickets)",
            f"{f['metrics_s']:.2f}s",
            f"ratio {ratio:.2f}x (target <= 2x)",
        )
        line("plain pandas group-by over the same rows", f"{f['groupby_s']:.2f}s")
    line("peak memory after the first import", f"{f['peak_after_import_mb']:.0f} MB")
    line("peak memory of the process", f"{f['peak_mb']:.0f} MB", "(target < 2048 MB)")
    for label, ms in f["pages_ms"].items():
        line(f"  page, {label}", f"{ms:.0f} ms")
    print(f"load average now {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="import once and time the pages (no loader baseline, re-import, metrics)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-incentives-"))
    csv_path = workdir / "tickets.csv"
    machine = platform.processor() or platform.machine()
    print(
        f"{machine}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    seconds, _ = timed(lambda: generate(csv_path, args.rows, args.reps))
    size = csv_path.stat().st_size / 1e6
    print(
        f"Generated {args.rows:,} tickets for {args.reps} reps over two months: "
        f"{size:.0f} MB in {seconds:.1f}s"
    )
    try:
        sqlite_file = workdir / "frontline.db"
        figures = run(
            f"sqlite:///{sqlite_file}",
            csv_path,
            args.reps,
            sqlite_baseline(workdir / "baseline.db", csv_path),
            pages_only=args.pages_only,
        )
        version = subprocess.run(  # noqa: S603 (our own arguments)
            [_tool("sqlite3"), "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        report(
            f"SQLite {version} (file, WAL)", figures, 'sqlite3 ".import --csv FILE t"'
        )
        if not args.skip_postgres:
            admin = sa.make_url(args.postgres_url)
            name = f"bench_incentives_{uuid.uuid4().hex[:8]}"
            engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin.set(database=name)
                figures = run(
                    url.render_as_string(hide_password=False),
                    csv_path,
                    args.reps,
                    postgres_baseline(url, csv_path),
                    pages_only=args.pages_only,
                )
                with engine.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar()
                report(
                    f"PostgreSQL {version}",
                    figures,
                    "psql \\copy FILE into a text table",
                    target=4.5,
                )
            finally:
                with engine.connect() as connection:
                    connection.execute(
                        text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    )
                engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\nDone {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
