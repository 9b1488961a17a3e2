"""The quality pages with 500 reps and 50,000 reviews: under 100 ms p95.

Builds a scratch database (SQLite in a temporary folder, or the PostgreSQL database named
by ``--database-url``, which must be empty and disposable) with 50 teams of 10 reps, two
supervisors a team (one reviews, the other decides disputes), the three shipped rubrics
and 50,000 reviewed tickets over ten months (10 a rep a month): submitted, acknowledged
and decided, disputes waiting in the last two months, the latest month half drafts, so
each reviewer's queue holds about 50. Then it times, through Flask's test client after a
warm-up: a reviewer's queue, Quality > Reviews for a month (a supervisor's team, and
leadership's every team), a review's page, a rep's reviews page, the disputes list (a
team's other supervisor's, and an admin's of every team), and for information the
coaching page.

    .venv/bin/python -m bench.quality_pages [--reviews 50000] [--runs 60]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_quality]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import tempfile
import time

from sqlalchemy import insert, select, text

from bench import pages
from bench.pages import bench_app, timed
from core.access import Role
from core.db import db, utcnow
from core.people import Team, User, UserRole, team_supervisors
from incentives.tickets.models import Ticket, TicketAgent, TicketImport
from quality import operations, queries
from quality.demo import SHIPPED
from quality.models import QaReview
from quality.rubrics import NOT_APPLICABLE, score_review
from quality.sampling import Reason

TARGET_MS = 100
TEAMS = 50
REPS_PER_TEAM = 10
MONTHS = 10
CHANNELS = {"live": ("chat", "phone"), "written": ("email",), "public": ("social",)}


def month_list(count: int) -> list[str]:
    today = dt.date.today().replace(day=1)
    months = []
    for back in range(count, 0, -1):
        index = today.year * 12 + today.month - 1 - back
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return months


def _users(rows: list[dict], role: Role) -> list[int]:
    db.session.execute(insert(User), rows)
    emails = [r["email"] for r in rows]
    ids = list(db.session.scalars(select(User.id).where(User.email.in_(emails))))
    db.session.execute(insert(UserRole), [{"user_id": i, "role": role} for i in ids])
    return sorted(ids)


def build(n_reviews: int, rng: random.Random) -> dict[str, int]:
    now = utcnow()
    person = {"is_active": True, "session_version": 1, "created_at": now}
    db.session.execute(insert(Team), [{"name": f"Team {t:02d}"} for t in range(TEAMS)])
    teams = list(db.session.scalars(select(Team.id).order_by(Team.id)))
    # Two supervisors a team: the first reviews, the second decides the disputes.
    leads = _users(
        [
            {
                "email": f"sup{t:03d}@example.com",
                "name": f"Supervisor {t:03d}",
                **person,
            }
            for t in range(2 * TEAMS)
        ],
        Role.SUPERVISOR,
    )
    supervisors, deciders = leads[0::2], leads[1::2]
    db.session.execute(
        insert(team_supervisors),
        [
            {"team_id": team, "user_id": lead}
            for index, team in enumerate(teams)
            for lead in (supervisors[index], deciders[index])
        ],
    )
    reps = _users(
        [
            {
                "email": f"rep{i:03d}@example.com",
                "name": f"Rep {i:03d}",
                "team_id": teams[i // REPS_PER_TEAM],
                **person,
            }
            for i in range(TEAMS * REPS_PER_TEAM)
        ],
        Role.REP,
    )
    leader = _users(
        [{"email": "lead@example.com", "name": "Lee Leader", **person}],
        Role.LEADERSHIP,
    )[0]
    admin = _users(
        [{"email": "admin@example.com", "name": "Ada Admin", **person}], Role.ADMIN
    )[0]
    supervisor_of = {
        rep: supervisors[index // REPS_PER_TEAM] for index, rep in enumerate(reps)
    }
    for path in sorted(SHIPPED.glob("*.yaml")):
        operations.import_rubric_yaml(path.read_text(), by="bench")
    versions = queries.current_versions()
    rubrics = {group: v.rules for group, v in versions.items()}
    db.session.execute(
        insert(TicketAgent),
        [
            {
                "key": f"rep{i:03d}@example.com",
                "label": f"rep{i:03d}@example.com",
                "rep_id": rep,
                "match": "email",
                "first_seen_at": now,
            }
            for i, rep in enumerate(reps)
        ],
    )
    agents = dict(db.session.execute(select(TicketAgent.rep_id, TicketAgent.id)).all())
    db.session.execute(
        insert(TicketImport),
        [
            {
                "source": "zendesk",
                "file_format": "zendesk",
                "filename": "bench.csv",
                "sha256": "0" * 64,
                "status": "imported",
                "via": "cli",
                "actor_label": "bench",
                "created_at": now,
            }
        ],
    )
    import_id = db.session.scalar(select(TicketImport.id))
    months = month_list(MONTHS)
    per_rep_month = max(1, n_reviews // (len(reps) * MONTHS))
    groups = ["live"] * 6 + ["written"] * 3 + ["public"]
    tickets, plans = [], []
    number = 0
    for month_index, month in enumerate(months):
        year, mon = (int(p) for p in month.split("-"))
        latest = month_index == len(months) - 1
        for rep in reps:
            for _ in range(per_rep_month):
                number += 1
                group = rng.choice(groups)
                solved = dt.datetime(
                    year, mon, rng.randint(1, 28), rng.randint(8, 18), tzinfo=dt.UTC
                )
                tickets.append(
                    {
                        "source": "zendesk",
                        "external_id": f"ZD-{number}",
                        "channel": rng.choice(CHANNELS[group]),
                        "priority": "normal",
                        "agent_id": agents[rep],
                        "created_at": solved - dt.timedelta(hours=2),
                        "solved_at": solved,
                        "reopens": rng.choice([0, 0, 0, 1]),
                        "satisfied": rng.choice([True, True, False, None]),
                        "tags": "",
                        "fingerprint": number,
                        "import_id": import_id,
                    }
                )
                plans.append((month, rep, group, latest, solved))
    for start in range(0, len(tickets), 5000):
        db.session.execute(insert(Ticket), tickets[start : start + 5000])
    ticket_ids = dict(db.session.execute(select(Ticket.external_id, Ticket.id)).all())
    reviews = []
    month_index_of = {month: index for index, month in enumerate(months)}
    for index, (month, rep, group, latest, solved) in enumerate(plans):
        rubric = rubrics[group]
        draft = latest and rng.random() < 0.5
        ratings = {}
        for category in rubric.categories:
            points = category.scale.points
            if category.allow_na and rng.random() < 0.1:
                ratings[category.key] = NOT_APPLICABLE
            elif category.critical:
                ratings[category.key] = points[0] if rng.random() < 0.02 else points[-1]
            else:
                ratings[category.key] = rng.choice([*points, *points[-2:] * 3])
        result = score_review(rubric, ratings)
        roll = rng.random()
        if draft:
            state, decision = "draft", None
        elif roll < 0.02 and month_index_of[month] >= MONTHS - 2:
            state, decision = "disputed", None  # older disputes have been decided
        elif roll < 0.05:
            state, decision = "decided", rng.choice(["upheld", "withdrawn"])
        elif roll < 0.75:
            state, decision = "acknowledged", None
        else:
            state, decision = "submitted", None
        reviews.append(
            {
                "ticket_id": ticket_ids[f"ZD-{index + 1}"],
                "rep_id": rep,
                "reviewer_id": supervisor_of[rep],
                "month": month,
                "reason": rng.choice(list(Reason)).value,
                "rubric_version_id": versions[group].id,
                "state": state,
                "ratings": {} if draft else ratings,
                "comments": {},
                "note": "",
                "score": None if draft else result.score,
                "critical_failed": bool(result.critical_failed) and not draft,
                "due_on": dt.date(solved.year, solved.month, 28)
                + dt.timedelta(days=14),
                "created_at": now,
                "updated_at": now,
                "submitted_at": None if draft else solved + dt.timedelta(days=3),
                "acknowledged_at": now if state == "acknowledged" else None,
                "dispute_reason": "Not my call"
                if state in ("disputed", "decided")
                else "",
                "disputed_at": now if state in ("disputed", "decided") else None,
                "decision": decision,
                "decision_note": "Read it all" if decision else "",
                "decided_at": now if decision else None,
                "decided_by_id": admin if decision else None,
            }
        )
    for start in range(0, len(reviews), 5000):
        db.session.execute(insert(QaReview), reviews[start : start + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    sample = db.session.scalar(
        select(QaReview.id)
        .where(QaReview.rep_id == reps[0], QaReview.state == "acknowledged")
        .order_by(QaReview.id.desc())
    )
    return {
        "reviews": len(reviews),
        "reps": len(reps),
        "supervisor": supervisors[0],
        "decider": deciders[0],
        "leader": leader,
        "admin": admin,
        "rep": reps[0],
        "review": sample,
        "month": months[-2],
        "latest": months[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(22)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = bench_app(url)
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            built = build(args.reviews, rng)
            seconds = time.perf_counter() - started
            sessions = {
                who: db.session.get(User, built[who]).get_id()
                for who in ("supervisor", "decider", "leader", "admin", "rep")
            }
            dialect = (
                f"{db.engine.dialect.name} {db.engine.dialect.server_version_info}"
            )
        client = app.test_client()
        month = built["month"]
        plan = [
            ("supervisor", "review queue (about 50 drafts)", "/quality/queue"),
            (
                "supervisor",
                "reviews of a month, a team",
                f"/quality/reviews?month={month}",
            ),
            (
                "leader",
                "reviews of a month, every team",
                f"/quality/reviews?month={month}",
            ),
            ("supervisor", "a review's page", f"/quality/reviews/{built['review']}"),
            ("rep", "a rep's reviews (100)", "/quality/mine"),
            ("decider", "disputes, a team's other supervisor", "/quality/disputes"),
            ("admin", "disputes, an admin (every team)", "/quality/disputes"),
            ("supervisor", "coaching, a team", f"/quality/coaching?month={month}"),
            ("leader", "coaching, every team", f"/quality/coaching?month={month}"),
        ]
        results = {}
        for who, name, page in plan:
            with client.session_transaction() as session:
                session["_user_id"] = sessions[who]
            for _ in range(3):
                timed(client, page)
            results[name] = [timed(client, page) for _ in range(args.runs)]
        with app.app_context():
            db.session.remove()  # its transaction would block dropping the tables
            db.drop_all()
            for engine in db.engines.values():
                engine.dispose()
    print(
        f"Data set: {built['reviews']:,} reviews, {built['reps']} reps; "
        f"built in {seconds:.1f} s on {dialect}"
    )
    print(f"Python {platform.python_version()}, {platform.machine()}")
    worst = 0.0
    for name, samples in results.items():
        line, p95 = pages.summary(name, samples)
        print(line)
        if not name.startswith("coaching"):
            worst = max(worst, p95)
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(
        f"quality pages: worst p95 {worst:.1f} ms {verdict} the {TARGET_MS} ms target"
    )


if __name__ == "__main__":
    main()
