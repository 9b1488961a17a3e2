"""The problems list and a department's reaction page with 50,000 reports: under 100 ms p95.

Builds a scratch database (SQLite in a temporary folder, or the PostgreSQL database named
by ``--database-url``, which must be empty and disposable) with 6 departments, 200 reps and
50,000 problem reports over two years in every state (most closed, about a tenth open), a
ticket or two and some "+1"s each. Then it times, through Flask's test client logged in as
a department's owner, after a warm-up: the problems list (open, all, a deep page, one
department, "mine"), the department's reaction page, and for information the reaction
overview, a report's page, who to reach, the problems API (a page, a month) and the
"similar open reports" check and last month's figures for leadership.

    .venv/bin/python -m bench.voice_pages [--reports 50000] [--runs 60]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_voice]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import secrets
import tempfile
import time

from sqlalchemy import insert, select, text

from bench.pages import bench_app, timed
from core.access import Role
from core.db import db, utcnow
from core.people import ApiToken, User, UserRole, hash_token
from core.templating import org_timezone
from incentives.tickets.months import Month
from voice.models import (
    Department,
    ProblemReport,
    ProblemSupport,
    ProblemTicket,
    StatusChange,
)
from voice.workflow import Category, ProblemStatus, Severity

TARGET_MS = 100
#: The API calls' token, made afresh for each run's scratch database.
BENCH_TOKEN = secrets.token_urlsafe(24)
DEPARTMENTS = ("Logistics", "Billing", "Product", "Legal", "Marketing", "IT")
WORDING = (
    "parcel crushed rain depot carrier refund card invoice kettle lid hinge policy "
    "return window review delivery slot tracking link address charge twice vat "
    "instructions blender leak courier neighbour door advert islands"
)
WORDS = WORDING.split()


def build(n_reports: int, rng: random.Random) -> dict[str, int]:
    now = utcnow()
    owner = User(
        email="bench.owner@example.com",
        name="Bench Owner",
        role_rows=[UserRole(role=Role.SUPERVISOR)],
    )
    db.session.add(owner)
    db.session.flush()
    departments = [
        Department(name=name, owner_id=owner.id, ack_target_hours=24)
        for name in DEPARTMENTS
    ]
    db.session.add_all(departments)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"rep{i:03d}@example.com",
                "name": f"Rep {i:03d}",
                "is_active": True,
                "session_version": 1,
                "created_at": now,
            }
            for i in range(200)
        ],
    )
    reps = list(db.session.scalars(select(User.id).where(User.email.like("rep%"))))
    db.session.execute(
        insert(UserRole), [{"user_id": i, "role": Role.REP} for i in reps]
    )
    db.session.flush()
    statuses = (
        [ProblemStatus.FIXED] * 60
        + [ProblemStatus.WONT_FIX] * 12
        + [ProblemStatus.DUPLICATE] * 10
        + [ProblemStatus.IN_PROGRESS] * 7
        + [ProblemStatus.ACKNOWLEDGED] * 5
        + [ProblemStatus.NEW] * 6
    )
    rows = []
    for _i in range(n_reports):
        created = now - dt.timedelta(minutes=rng.randint(0, 730 * 24 * 60))
        status = rng.choice(statuses)
        ack = (
            None
            if status == ProblemStatus.NEW
            else created + dt.timedelta(hours=rng.expovariate(1 / 20))
        )
        closed = (
            ack + dt.timedelta(days=rng.expovariate(1 / 6))
            if status
            in (ProblemStatus.FIXED, ProblemStatus.WONT_FIX, ProblemStatus.DUPLICATE)
            else None
        )
        rows.append(
            {
                "title": " ".join(rng.sample(WORDS, 4)).capitalize(),
                "story": " ".join(rng.choices(WORDS, k=30)),
                "category": rng.choice(list(Category)),
                "severity": rng.choice(list(Severity)),
                "department_id": rng.choice(departments).id,
                "reporter_id": rng.choice(reps),
                "status": status,
                "created_at": created,
                "acknowledged_at": ack,
                "closed_at": closed,
                "reason": "Bench reason" if status == ProblemStatus.WONT_FIX else "",
                "escalation": 0,
            }
        )
    db.session.execute(insert(ProblemReport), rows)
    ids = list(db.session.scalars(select(ProblemReport.id)))
    db.session.execute(
        insert(ProblemTicket),
        [
            {
                "report_id": r,
                "external_id": f"T-{r}-{k}",
                "known": False,
                "added_at": now,
            }
            for r in ids
            for k in range(1 + r % 2)
        ],
    )
    db.session.execute(
        insert(ProblemSupport),
        [
            {
                "report_id": r,
                "user_id": reps[(r + k) % len(reps)],
                "note": "",
                "at": now,
            }
            for r in ids[::3]
            for k in range(1 + r % 3)
        ],
    )
    db.session.execute(
        insert(StatusChange),
        [
            {
                "report_id": r,
                "from_status": None,
                "to_status": ProblemStatus.NEW,
                "reason": "",
                "at": now,
            }
            for r in ids
        ],
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {
        "reports": len(ids),
        "reps": len(reps),
        "owner": owner.id,
        "first": ids[0],
        "rep": reps[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = bench_app(url)
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            built = build(args.reports, rng)
            seconds = time.perf_counter() - started
            db.session.add(
                ApiToken(
                    name="bench",
                    role=Role.SUPERVISOR,
                    token_hash=hash_token(BENCH_TOKEN),
                    token_prefix=BENCH_TOKEN[:10],
                )
            )
            db.session.commit()
            last_month = str(Month.of(utcnow(), org_timezone()).previous)
            owner_session = db.session.get(User, built["owner"]).get_id()
            rep_session = db.session.get(User, built["rep"]).get_id()
            dialect = (
                f"{db.engine.dialect.name} {db.engine.dialect.server_version_info}"
            )
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = owner_session
        pages = {
            "problems, open, page 1": "/voice/problems",
            "problems, all, page 1": "/voice/problems?status=",
            "problems, all, page 1000": "/voice/problems?status=&page=1000",
            "problems, one department": "/voice/problems?status=&department=1",
            "problems, my departments": "/voice/problems?scope=departments",
            "department reaction page": "/voice/departments/1/reaction",
            "reaction overview (6 departments)": "/voice/reaction",
            "a report's page": f"/voice/problems/{built['first']}",
            "who to reach": "/voice/departments",
        }
        results = {}
        for name, page in pages.items():
            for _ in range(3):
                timed(client, page)
            results[name] = [timed(client, page) for _ in range(args.runs)]
        api = {"Authorization": f"Bearer {BENCH_TOKEN}"}
        for name, page in {
            "API: problems, open, page 1": "/api/v1/problems?state=open",
            "API: problems of a month": f"/api/v1/problems?month={last_month}",
        }.items():
            for _ in range(3):
                client.get(page, headers=api)
            results[name] = [timed(client, page, api) for _ in range(args.runs)]
        with client.session_transaction() as session:
            session["_user_id"] = rep_session
        timed(client, "/voice/problems?scope=mine&status=")
        results["problems, mine (a rep)"] = [
            timed(client, "/voice/problems?scope=mine&status=")
            for _ in range(args.runs)
        ]
        with app.app_context():
            from voice import queries

            similar = []
            for _ in range(10):
                started = time.perf_counter()
                queries.similar_open("parcel crushed in the rain at the depot")
                similar.append((time.perf_counter() - started) * 1000)
            monthly = []
            for _ in range(10):
                started = time.perf_counter()
                queries.front_line_month(last_month, org_timezone(), utcnow())
                monthly.append((time.perf_counter() - started) * 1000)
            db.session.remove()  # its transaction would block dropping the tables
            db.drop_all()
            for engine in db.engines.values():
                engine.dispose()
    print(
        f"Data set: {built['reports']:,} reports, {built['reps']} reps; "
        f"built in {seconds:.1f} s on {dialect}"
    )
    print(f"Python {platform.python_version()}, {platform.machine()}")
    worst = 0.0
    for name, samples in results.items():
        line, p95 = pages.summary(name, samples, 34)
        print(line)
        if name.startswith("problems") or name == "department reaction page":
            worst = max(worst, p95)
    print(pages.summary("similar open reports (2,000 read)", similar, 34)[0])
    print(pages.summary("the month for leadership (pack)", monthly, 34)[0])
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(
        f"problems list and reaction page: worst p95 {worst:.1f} ms {verdict} "
        f"the {TARGET_MS} ms target"
    )


if __name__ == "__main__":
    main()
