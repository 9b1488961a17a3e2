"""The authority-check API at 1,000 reps x 10 authorities must answer in under 20 ms.

Builds a scratch database (SQLite in a temporary folder, or the PostgreSQL database named
by ``--database-url``, which must be empty and disposable) with 1,000 reps in 10 teams and
10 authorities. Each rep holds most authorities, many with an older grant replaced by a
newer one, some revoked, some expired. Then it times, through Flask's test client with a
supervisor's API token and after a warm-up:

- ``GET /api/v1/authority-check?rep=&authority=&amount=`` for random reps, codes, amounts;
- ``GET /api/v1/reps/EMAIL/authorities`` (every authority of one rep);
- the organisation register page (first 50 reps x 10 authorities), for information.

    .venv/bin/python -m bench.training_authority [--reps 1000] [--runs 500]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_training]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import tempfile
import time
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from bench import pages
from bench.pages import bench_app, timed
from core.access import Role
from core.db import db, utcnow
from core.people import ApiToken, Team, User, UserRole, hash_token
from training.models import Authority, Grant, GrantRevocation

TARGET_MS = 20
AUTHORITIES = 10
SECRET = "fl_bench_supervisor_token"  # noqa: S105 (a throwaway database)


def build(n_reps: int, rng: random.Random) -> list[tuple[str, str]]:
    """Fill the database; return (rep e-mail, authority code) pairs to ask about."""
    now = utcnow()
    teams = [Team(name=f"Bench team {i}") for i in range(10)]
    db.session.add_all(teams)
    supervisor = User(
        email="bench.supervisor@example.com",
        name="Bench Supervisor",
        role_rows=[UserRole(role=Role.SUPERVISOR), UserRole(role=Role.ADMIN)],
        supervised_teams=teams,
    )
    db.session.add(supervisor)
    db.session.add(
        ApiToken(
            name="bench",
            role=Role.SUPERVISOR,
            token_hash=hash_token(SECRET),
            token_prefix=SECRET[:10],
        )
    )
    authorities = [
        Authority(
            code=f"authority_{i}",
            name=f"Authority {i}",
            unit="USD",
            max_limit=Decimal(1000),
            two_person_limit=Decimal(500),
            validity_days=365,
            prerequisites=[],
        )
        for i in range(AUTHORITIES)
    ]
    db.session.add_all(authorities)
    db.session.flush()
    rep_rows = [
        {
            "email": f"rep{i:04d}@example.com",
            "name": f"Rep {i:04d}",
            "team_id": teams[i % len(teams)].id,
            "is_active": True,
            "session_version": 1,
            "created_at": now,
        }
        for i in range(n_reps)
    ]
    db.session.execute(insert(User), rep_rows)
    rep_ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like("rep%")).order_by(User.id)
        )
    )
    db.session.execute(
        insert(UserRole), [{"user_id": i, "role": Role.REP} for i in rep_ids]
    )
    grants = []
    for rep_id in rep_ids:
        for authority in authorities:
            if rng.random() < 0.2:
                continue  # never granted
            history = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
            for k in range(history):
                granted = now - dt.timedelta(days=rng.randint(1, 400) + 400 * k)
                grants.append(
                    {
                        "rep_id": rep_id,
                        "authority_id": authority.id,
                        "limit": Decimal(rng.choice([50, 100, 200, 300, 500, 800])),
                        "unit": "USD",
                        "granted_at": granted,
                        "expires_at": granted + dt.timedelta(days=365),
                        "granted_by_id": supervisor.id,
                    }
                )
    db.session.execute(insert(Grant), grants)
    grant_ids = list(db.session.scalars(select(Grant.id)))
    revoked = rng.sample(grant_ids, len(grant_ids) // 20)
    db.session.execute(
        insert(GrantRevocation),
        [
            {
                "grant_id": g,
                "revoked_by_id": supervisor.id,
                "revoked_at": now - dt.timedelta(days=1),
                "reason": "Bench revocation",
            }
            for g in revoked
        ],
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    emails = [row["email"] for row in rep_rows]
    return [(rng.choice(emails), rng.choice(authorities).code) for _ in range(2000)]


def summary(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = pages.p95(samples)
    return (
        f"{name:<34} n={len(samples):<4} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   "
        f"max {samples[-1]:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = bench_app(url)
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            questions = build(args.reps, rng)
            built = time.perf_counter() - started
            counts = {
                "reps": args.reps,
                "authorities": AUTHORITIES,
                "grants": db.session.scalar(select(func.count()).select_from(Grant)),
                "revocations": db.session.scalar(
                    select(func.count()).select_from(GrantRevocation)
                ),
            }
            supervisor_id = db.session.scalar(
                select(User.id).where(User.email == "bench.supervisor@example.com")
            )
            supervisor_session = db.session.get(User, supervisor_id).get_id()
            dialect = (
                f"{db.engine.dialect.name} {db.engine.dialect.server_version_info}"
            )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {SECRET}"}
        for email, code in questions[:20]:  # warm-up
            timed(
                client, f"/api/v1/authority-check?rep={email}&authority={code}", headers
            )
        check = [
            timed(
                client,
                f"/api/v1/authority-check?rep={email}&authority={code}"
                f"&amount={rng.randint(1, 900)}",
                headers,
            )
            for email, code in questions[20 : 20 + args.runs]
        ]
        listing = [
            timed(client, f"/api/v1/reps/{email}/authorities", headers)
            for email, _ in questions[-100:]
        ]
        with client.session_transaction() as session:
            session["_user_id"] = supervisor_session
        timed(client, "/training/register")
        register = [timed(client, "/training/register") for _ in range(5)]
        with app.app_context():
            db.drop_all()
            for engine in db.engines.values():
                engine.dispose()
    print(f"Data set: {counts}; built in {built:.1f} s on {dialect}")
    print(f"Python {platform.python_version()}, {platform.machine()}")
    print(summary("GET /authority-check", check))
    print(summary("GET /reps/EMAIL/authorities", listing))
    print(summary("register page (50 reps a page)", register))
    p95 = sorted(check)[int(len(check) * 0.95) - 1]
    verdict = "meets" if p95 < TARGET_MS else "MISSES"
    print(f"authority-check p95 {p95:.2f} ms {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
