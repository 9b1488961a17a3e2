"""Recruiting pages with 10,000 candidates: the ranked list and the board must answer in
under 100 ms.

Builds a scratch database (SQLite in a temporary folder, or the PostgreSQL database named
by ``--database-url``, which must be empty and disposable), fills one opening with 10,000
candidates spread over every stage (about three in four with a scored test and all its
answers, one in five rated by the reviewer), then times each page through Flask's test
client, logged in as a hiring manager, after a warm-up.

    .venv/bin/python -m bench.recruiting_pages [--candidates 10000] [--runs 30]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_recruiting]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, text

from app import create_app
from core.access import Role
from core.db import db, utcnow
from core.people import Team, User, UserRole
from recruiting import operations
from recruiting.assessment import score_answers
from recruiting.demo import _answer, _person
from recruiting.models import (
    AssessmentResult,
    Candidate,
    CandidateAnswer,
    Invitation,
    ResultRating,
    StageChange,
)
from recruiting.pipeline import Stage

TARGET_MS = 100
STAGES = [
    (Stage.APPLIED, 0.25),
    (Stage.SCREENING, 0.12),
    (Stage.ASSESSED, 0.33),
    (Stage.INTERVIEW, 0.08),
    (Stage.OFFER, 0.02),
    (Stage.HIRED, 0.03),
    (Stage.REJECTED, 0.14),
    (Stage.WITHDRAWN, 0.03),
]
TESTED = {Stage.ASSESSED, Stage.INTERVIEW, Stage.OFFER, Stage.HIRED}


def build(n: int, rng: random.Random) -> dict[str, int]:
    """Fill the database; return the ids the timed pages need."""
    team = Team(name="Bench team")
    manager = User(
        email="bench.manager@example.com",
        name="Bench Manager",
        role_rows=[UserRole(role=Role.HIRING_MANAGER)],
    )
    db.session.add_all([team, manager])
    db.session.flush()
    yaml_text = (
        Path(__file__).parents[1] / "recruiting/assessments/default.yaml"
    ).read_text()
    assessment = operations.load_assessment(yaml_text, by="bench").assessment
    spec = assessment.parsed
    opening = operations.save_opening(
        None,
        operations.OpeningInput(
            title="Bench opening",
            team_id=team.id,
            assessment_id=assessment.id,
            weights={
                "empathy": 3,
                "ownership": 3,
                "communication": 2,
                "composure": 2,
                "judgement": 2,
            },
            blind_review=True,
        ),
        by=manager,
    )
    db.session.flush()
    now = utcnow()
    stages = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES], k=n)
    candidates, changes = [], []
    for i, stage in enumerate(stages, start=1):
        created = now - dt.timedelta(minutes=rng.randint(60, 200 * 24 * 60))
        candidates.append(
            {
                "id": i,
                "opening_id": opening.id,
                "name": f"Bench Candidate {i}",
                "email": f"candidate{i}@example.net",
                "source": "Job board",
                "stage": stage,
                "stage_changed_at": created + dt.timedelta(days=3),
                "created_at": created,
                "closed_at": created + dt.timedelta(days=3)
                if stage.is_closed
                else None,
            }
        )
        changes.append(
            {
                "candidate_id": i,
                "from_stage": None,
                "to_stage": Stage.APPLIED,
                "reason": "Imported",
                "at": created,
                "by_label": "bench",
            }
        )
        if stage is not Stage.APPLIED:
            changes.append(
                {
                    "candidate_id": i,
                    "from_stage": Stage.APPLIED,
                    "to_stage": stage,
                    "reason": "bench",
                    "at": created + dt.timedelta(days=3),
                    "by_label": "bench",
                }
            )
    db.session.execute(insert(Candidate), candidates)
    db.session.execute(insert(StageChange), changes)
    invitations, answers, results, ratings = [], [], [], []
    for row in candidates:
        if row["stage"] not in TESTED and not (
            row["stage"] is Stage.REJECTED and rng.random() < 0.6
        ):
            continue
        i = row["id"]
        started = row["created_at"] + dt.timedelta(days=1)
        invitations.append(
            {
                "id": i,
                "candidate_id": i,
                "assessment_id": assessment.id,
                "token_hash": f"{i:064x}",
                "created_at": row["created_at"],
                "expires_at": row["created_at"] + dt.timedelta(days=7),
                "time_limit_minutes": 25,
                "started_at": started,
                "deadline_at": started + dt.timedelta(minutes=25),
                "submitted_at": started + dt.timedelta(minutes=20),
            }
        )
        person = _person(rng)
        given = {item.key: _answer(rng, item, person) for item in spec.items}
        answers += [
            {
                "invitation_id": i,
                "item_key": key,
                "best": a.best,
                "worst": a.worst,
                "answered_at": started,
            }
            for key, a in given.items()
        ]
        scores = score_answers(spec, given)
        results.append(
            {
                "invitation_id": i,
                "candidate_id": i,
                "assessment_id": assessment.id,
                "overall": scores.overall,
                "answered": len(given),
                "item_count": len(given),
                "submitted_at": started + dt.timedelta(minutes=20),
                **{c.value: v for c, v in scores.by_competency.items()},
            }
        )
        if rng.random() < 0.2:
            ratings.append(
                {
                    "candidate_id": i,
                    "reviewer_id": manager.id,
                    "rating": rng.randint(1, 5),
                    "note": "",
                    "rated_at": now,
                }
            )
    db.session.execute(insert(Invitation), invitations)
    for start in range(0, len(answers), 20_000):
        db.session.execute(insert(CandidateAnswer), answers[start : start + 20_000])
    db.session.execute(insert(AssessmentResult), results)
    db.session.execute(insert(ResultRating), ratings)
    db.session.commit()
    # Planner statistics, as PostgreSQL's autovacuum gathers them on a live database.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    some = db.session.scalar(
        select(AssessmentResult.candidate_id).order_by(AssessmentResult.id).limit(1)
    )
    return {
        "manager": manager.id,
        "opening": opening.id,
        "candidate": some,
        "assessment": assessment.id,
        "results": len(results),
        "answers": len(answers),
    }


def time_page(client, url: str, runs: int) -> list[float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="an empty, disposable database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            ids = build(args.candidates, random.Random(7))
            built = time.perf_counter() - started
            manager = db.session.get(User, ids["manager"])
            session_id = manager.get_id()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        opening = ids["opening"]
        pages = {
            "ranked list, page 1": f"/recruiting/openings/{opening}/ranked",
            "ranked list, page 40": f"/recruiting/openings/{opening}/ranked?page=40",
            "ranked list, all stages": f"/recruiting/openings/{opening}/ranked?stages=all",
            "board": f"/recruiting/openings/{opening}/board",
            "candidates list": f"/recruiting/candidates?opening={opening}",
            "candidates search": "/recruiting/candidates?q=candidate 99",
            "candidate page": f"/recruiting/candidates/{ids['candidate']}",
            "openings": "/recruiting/",
            "dashboard": "/",
            "assessment statistics": f"/recruiting/assessments/{ids['assessment']}",
        }
        print(
            f"{args.candidates} candidates, {ids['results']} results, {ids['answers']} "
            f"answers on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; built in "
            f"{built:.1f} s; Python {platform.python_version()}; {args.runs} runs per page"
        )
        print(f"{'page':<26}{'median':>9}{'p95':>9}{'max':>9}  (ms)")
        for name, page in pages.items():
            timings = sorted(time_page(client, page, args.runs))
            p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
            flag = ""
            if name.startswith(("ranked", "board")):
                flag = "  ok" if p95 < TARGET_MS else f"  OVER {TARGET_MS} ms"
            print(
                f"{name:<26}{statistics.median(timings):>9.1f}{p95:>9.1f}"
                f"{timings[-1]:>9.1f}{flag}"
            )
        with app.app_context():
            db.session.remove()
            if args.database_url:
                db.drop_all()
            for engine in db.engines.values():
                engine.dispose()


if __name__ == "__main__":
    main()
