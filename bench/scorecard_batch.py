"""1,000 rep scorecards must render in under 60 s on 2 cores, and the batch must beat a
straightforward loop (one document per rep, each read on its own) at least 3x.

Builds a scratch database (SQLite in a temporary folder, or the PostgreSQL database named
by ``--database-url``, which must be empty and disposable): 1,000 reps in 25 teams with a
supervisor each, six months of tickets (about 24 per rep and month, imported as a Frontline
CSV through the import operation), the shipped training scenarios and authorities with a
grant for a third of the reps, the example plan, and the five past months closed. Then, in
the same run, for the last closed month:

1. the batch (``scorecards render``): every rep scorecard, every team scorecard and the
   leadership pack, laid out several dozen to a document on worker processes started
   (``spawn``) before any rendering, split into one file each;
2. the same batch in this one process (no workers), to show what the workers add;
3. the straightforward loop on a sample of reps: each rep's scorecard read with the page's
   own query path and rendered as a document of its own, as a download does; the time per
   rep is extrapolated to 1,000.

    .venv/bin/python -m bench.incentives_scorecards [--reps 1000] [--sample 60]
        [--workers 2] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from app import create_app
from core.access import Role
from core.db import db, utcnow
from core.people import Team, User, UserRole
from incentives.scorecards import pdf_batch
from incentives.scorecards import pdfs as scorecard_pdfs
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import Resolution
from incentives.tickets import metrics, operations, queries
from incentives.tickets.models import Ticket, TicketAgent
from incentives.tickets.sources import FRONTLINE_COLUMNS
from training import operations as training_operations
from training.models import Authority, Grant

TARGET_S = 60
TEAMS = 25
MONTHS = 6
PLAN = (
    Path(__file__).resolve().parents[1] / "static" / "incentives" / "plan-example.yaml"
)


def render_one_by_one(
    month: str, folder: Path, *, rep_ids: Sequence[int] | None = None
) -> scorecard_pdfs.RenderReport:
    """The straightforward way, for comparison: each rep's scorecard read and rendered
    as its own document, as a download does (only reps' scorecards)."""
    started = time.perf_counter()
    report = scorecard_pdfs.RenderReport(month, folder)
    (folder / "reps").mkdir(parents=True, exist_ok=True)
    ids = (
        rep_ids
        if rep_ids is not None
        else list(scoring_queries.month_scores(month).scores)
    )
    for rep_id in ids:
        rep = db.session.get(User, rep_id)
        card = scorecard_queries.rep_scorecard(rep, month)
        path = folder / "reps" / scorecard_pdfs.rep_filename(card)
        pdf_batch.write_file(path, scorecard_pdfs.rep_pdf(card))
        report.files.append(str(path))
        report.reps += 1
    report.seconds = time.perf_counter() - started
    return report


def build(n_reps: int, rng: np.random.Generator) -> tuple[str, int]:
    """Fill the database; return the month to render and the tickets imported."""
    now = utcnow()
    tz = queries.org_timezone()
    current = queries.current_month()
    teams = [Team(name=f"Team {i:02d}") for i in range(TEAMS)]
    db.session.add_all(teams)
    db.session.flush()
    admin = User(
        email="bench.admin@example.com",
        name="Bench Admin",
        role_rows=[UserRole(role=Role.ADMIN)],
    )
    db.session.add(admin)
    db.session.flush()
    for team in teams:
        db.session.add(
            User(
                email=f"lead.{team.id}@example.com",
                name=f"Lead {team.name}",
                role_rows=[UserRole(role=Role.SUPERVISOR)],
                supervised_teams=[team],
            )
        )
    db.session.add(
        User(
            email="bench.leader@example.com",
            name="Bench Leader",
            role_rows=[UserRole(role=Role.LEADERSHIP)],
        )
    )
    db.session.execute(
        insert(User),
        [
            {
                "email": f"rep{i:04d}@example.com",
                "name": f"Rep {i:04d}",
                "team_id": teams[i % TEAMS].id,
                "is_active": True,
                "session_version": 1,
                "created_at": now,
            }
            for i in range(n_reps)
        ],
    )
    reps = db.session.execute(
        select(User.id, User.email).where(User.email.like("rep%@example.com"))
    ).all()
    db.session.execute(
        insert(UserRole), [{"user_id": rep_id, "role": Role.REP} for rep_id, _ in reps]
    )
    db.session.flush()

    training_operations.install_shipped_content(by="bench")
    refund = db.session.scalar(select(Authority).where(Authority.code == "refund"))
    db.session.execute(
        insert(Grant),
        [
            {
                "rep_id": rep_id,
                "authority_id": refund.id,
                "limit": 150,
                "unit": refund.unit,
                "granted_by_id": admin.id,
                "granted_at": now,
                "expires_at": now + pd.Timedelta(days=300),
            }
            for rep_id, _ in reps[::3]
        ],
    )

    start = metrics.month_bounds(metrics.shift_month(current, -(MONTHS - 1)), tz)[0]
    frame = tickets(rng, [email for _, email in reps], start, now)
    outcome = operations.import_ticket_file(
        frame.to_csv(index=False).encode(),
        filename="bench.csv",
        file_format="frontline",
        by="bench",
        via="cli",
        tz=tz,
        now=now,
    )
    assert outcome.status == "imported", outcome.as_dict()
    scoring_operations.import_plan_yaml(
        PLAN.read_text().replace("Phone & Email: 275", "Team 00: 275"), by="bench"
    )
    for back in range(MONTHS - 1, 0, -1):
        scoring_operations.close_month(
            metrics.shift_month(current, -back), by="bench", allow_open_disputes=True
        )
    db.session.commit()
    return metrics.shift_month(current, -1), outcome.inserted


def tickets(
    rng: np.random.Generator, emails: list[str], start: pd.Timestamp, now: pd.Timestamp
) -> pd.DataFrame:
    """About 24 tickets per rep and month, each rep with their own speed and care."""
    days = (now - start).total_seconds() / 86400
    n = int(len(emails) * days * 0.8)
    agent = rng.integers(0, len(emails), n)
    skill = rng.lognormal(0, 0.25, len(emails))
    care = np.clip(rng.normal(0.86, 0.05, len(emails)), 0.6, 0.99)
    created = pd.Timestamp(start) + pd.to_timedelta(
        rng.uniform(0, days - 1, n), unit="D"
    )
    first = rng.lognormal(1.5, 0.9, n) * skill[agent]
    resolve = np.maximum(first + 1, rng.lognormal(5.5, 1.0, n) * skill[agent])
    solved = created + pd.to_timedelta(resolve, unit="m")
    rated = rng.random(n) < 0.25
    good = rng.random(n) < care[agent]

    def iso(values: pd.Series) -> pd.Series:
        return values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")

    frame = pd.DataFrame(
        {
            "ticket_id": [f"B-{i}" for i in range(n)],
            "channel": rng.choice(
                ["chat", "email", "phone", "review"], n, p=[0.4, 0.3, 0.2, 0.1]
            ),
            "agent_email": np.array(emails, dtype=object)[agent],
            "priority": rng.choice(["low", "normal", "high"], n, p=[0.2, 0.6, 0.2]),
            "created_at": iso(pd.Series(created)),
            "first_response_at": iso(
                pd.Series(created + pd.to_timedelta(first, unit="m"))
            ),
            "solved_at": iso(pd.Series(solved)),
            "reopens": (rng.random(n) < 0.03).astype(int),
            "csat": np.where(rated, np.where(good, "good", "bad"), ""),
            "nps": np.where(
                rng.random(n) < 0.05, rng.integers(0, 11, n).astype(str), ""
            ),
            "tags": "",
        }
    )
    keep = solved < pd.Timestamp(now)
    return frame.loc[np.asarray(keep), FRONTLINE_COLUMNS]


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def incremental(
    app, month: str, folder: Path, full: scorecard_pdfs.RenderReport, workers: int
) -> None:
    """The batch again with nothing changed, then after one dispute decided in the
    closed month (an unrated ticket excluded, the month closed again), laying out only
    the scorecards whose fingerprint changed; and a kept download."""
    again = scorecard_pdfs.render_month(month, folder, workers=workers, keep=True)
    print(
        f"Batch again, nothing changed: {again.seconds:.1f} s, {again.kept} of "
        f"{len(again.files)} scorecards kept ({again.seconds / full.seconds:.1%} of "
        "the full batch)."
    )
    start, end = metrics.month_bounds(month, queries.org_timezone())
    ticket = db.session.scalar(
        select(Ticket)
        .join(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .where(
            Ticket.solved_at >= start,
            Ticket.solved_at < end,
            Ticket.satisfied.is_(None),
            TicketAgent.rep_id.is_not(None),
        )
        .order_by(Ticket.id)
        .limit(1)
    )
    rep = db.session.get(User, ticket.agent.rep_id)
    team = db.session.get(Team, rep.team_id)
    supervisor = team.supervisors[0]
    admin = (
        db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == Role.ADMIN).limit(1)
        )
        or supervisor
    )
    # A fresh transaction to write in (SQLite cannot write in one that read before
    # another connection stored figures).
    db.session.commit()
    scoring_operations.reopen_month(month, by=admin, reason="A late dispute")
    dispute = scoring_operations.file_dispute(ticket, by=rep, reason="Not mine")
    scoring_operations.decide_dispute(
        dispute,
        by=supervisor,
        accept=True,
        resolution=Resolution.EXCLUDE,
        note="Agreed",
    )
    scoring_operations.close_month(month, by=admin)
    db.session.commit()
    scoring_queries.forget_cached_scores()
    redo = scorecard_pdfs.render_month(month, folder, workers=workers, keep=True)
    laid_out = len(redo.files) - redo.kept
    print(
        f"After one dispute (ticket {ticket.external_id} of {rep.name} excluded, the "
        f"month closed again): {laid_out} scorecards laid out again, {redo.kept} kept, "
        f"in {redo.seconds:.1f} s = {redo.seconds / full.seconds:.1%} of the full "
        "batch (target under 5%)."
    )
    card = scorecard_queries.rep_scorecard(rep, month)
    relative = f"reps/{scorecard_pdfs.rep_filename(card)}"
    scorecard_pdfs.kept_pdf(month, relative, card, scorecard_pdfs.rep_pdf)
    timings = []
    for _ in range(20):
        t = time.perf_counter()
        card = scorecard_queries.rep_scorecard(rep, month)
        scorecard_pdfs.kept_pdf(month, relative, card, scorecard_pdfs.rep_pdf)
        timings.append(time.perf_counter() - t)
    timings.sort()
    print(
        f"A closed month's rep PDF download (card read, fingerprint, kept file): "
        f"median {statistics.median(timings) * 1000:.0f} ms, p95 "
        f"{timings[int(len(timings) * 0.95) - 1] * 1000:.0f} ms (target under 50 ms)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-single-process", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="frontline-bench-scorecards-"))
    url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "FRONTLINE_STORAGE_DIR": str(scratch / "storage"),
        }
    )
    rng = np.random.default_rng(20240601)
    try:
        with app.app_context(), app.test_request_context():
            db.create_all()
            started = time.perf_counter()
            month, n_tickets = build(args.reps, rng)
            built = time.perf_counter() - started
            print(
                f"Built {args.reps} reps in {TEAMS} teams, {n_tickets:,} tickets over "
                f"{MONTHS} months, {MONTHS - 1} months closed in {built:.1f} s "
                f"({db.engine.dialect.name})."
            )
            results: dict[str, float] = {}
            print(f"Machine before rendering: {load()}.")

            cpu_before = cpu_seconds()
            report = scorecard_pdfs.render_month(
                month, scratch / "batch", workers=args.workers, keep=True
            )
            cpu = cpu_seconds() - cpu_before
            results["batch"] = report.seconds
            pages = sum(1 for _ in (scratch / "batch").rglob("*.pdf"))
            print(
                f"Batch, {args.workers} worker processes: {report.reps} rep, "
                f"{report.teams} team scorecards and the pack ({pages} files) in "
                f"{report.seconds:.1f} s = {report.seconds / report.reps * 1000:.0f} ms "
                f"per rep (target {TARGET_S} s); {cpu:.0f} CPU-seconds in all "
                f"({cpu / report.seconds:.2f} cores busy on average, "
                f"{cpu / max(1, pages) * 1000:.0f} ms of CPU per file). The last of "
                f"the {report.reps} rep scorecards was written after "
                f"{report.reps_seconds:.1f} s."
            )

            incremental(app, month, scratch / "batch", report, args.workers)

            if not args.skip_single_process:
                single = scorecard_pdfs.render_month(
                    month, scratch / "single", workers=0
                )
                results["single"] = single.seconds
                print(
                    f"Batch in one process: {single.seconds:.1f} s = "
                    f"{single.seconds / single.reps * 1000:.0f} ms per rep."
                )

            scoring_queries.forget_cached_scores()
            sample = random.Random(7).sample(
                sorted(scoring_queries.month_scores(month).scores), args.sample
            )
            loop = render_one_by_one(month, scratch / "loop", rep_ids=sample)
            per_rep = loop.seconds / len(sample)
            timings = []
            for rep_id in sample[:10]:
                t = time.perf_counter()
                render_one_by_one(month, scratch / "one", rep_ids=[rep_id])
                timings.append(time.perf_counter() - t)
            extrapolated = per_rep * report.reps
            results["loop"] = extrapolated
            print(
                f"Straightforward loop on {len(sample)} reps: {loop.seconds:.1f} s = "
                f"{per_rep * 1000:.0f} ms per rep (median of 10 more: "
                f"{statistics.median(timings) * 1000:.0f} ms); for {report.reps} reps "
                f"about {extrapolated:.0f} s."
            )
            print(
                f"Batch is {extrapolated / report.seconds:.1f}x faster than the loop "
                f"(target 3x); its rep scorecards alone, like the loop's, "
                f"{extrapolated / report.reps_seconds:.1f}x; under {TARGET_S} s: "
                f"{'yes' if report.seconds < TARGET_S else 'NO'}. "
                f"Peak memory of this process {peak_mb():.0f} MB."
            )
            print(
                f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}; {load()} at the end."
            )
            sizes = [
                p.stat().st_size for p in (scratch / "batch" / "reps").glob("*.pdf")
            ]
            print(
                f"Rep PDFs: median {statistics.median(sizes) / 1024:.0f} KB, "
                f"{sum(sizes) / 1048576:.0f} MB in all."
            )
            db.session.remove()
            if args.database_url:
                db.drop_all()
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(scratch, ignore_errors=True)
