"""How long a quick request waits behind busy threads of the same gunicorn worker, for
several interpreter switch intervals (``sys.setswitchinterval``, set by gunicorn.conf.py).

One gunicorn worker with its threads; two hiring managers load the ranked list without a
pause, and an API client asks the authority check every 10 ms. A thread gives up the
interpreter at every database round trip and must then wait for it again, up to the
switch interval while another thread is busy; so the check's latency shows what the
interval costs. The intervals are tried in turn, then again, so that both meet the
machine at much the same speed.

Runs on a database that ``bench.load --database-url URL`` filled (it leaves the data):

    .venv/bin/python -m bench.switch_interval --database-url URL [--seconds 30]
        [--intervals 0.005 0.001 0.0005] [--rounds 2] [--redis-url redis://127.0.0.1:6379/5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select, text

from bench.load import (
    CHECK,
    SECRET_KEY,
    Browser,
    Recorder,
    Server,
    percentile,
    reset_login_limits,
)

RANKED = "ranked list"
WARM_UP = 3.0


def setting_up(database_url: str) -> tuple[int, str, tuple[str, str]]:
    """The opening with most candidates, a supervisor's API token, a rep and authority."""
    from app import create_app
    from core.accounts import create_api_token
    from core.db import db
    from core.people import Role
    from recruiting.models import Candidate

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY}
    )
    with app.app_context():
        opening = db.session.scalar(
            select(Candidate.opening_id)
            .group_by(Candidate.opening_id)
            .order_by(text("count(*) desc"))
            .limit(1)
        )
        _token, secret = create_api_token(
            "switch interval bench", Role.SUPERVISOR, by="bench"
        )
        db.session.commit()
        rep, code = db.session.execute(
            text(
                "SELECT users.email, authorities.code FROM authority_grants "
                "JOIN users ON users.id = authority_grants.rep_id "
                "JOIN authorities ON authorities.id = authority_grants.authority_id "
                "LIMIT 1"
            )
        ).one()
    return opening, secret, (rep, code)


def one_run(
    env: dict[str, str],
    interval: str,
    seconds: float,
    opening: int,
    token: str,
    question: tuple[str, str],
) -> dict[str, list[float]]:
    """Milliseconds per request name, with ``interval`` as the worker's switch interval."""
    workdir = Path(tempfile.mkdtemp(prefix="switch-interval-"))
    server = Server({**env, "FRONTLINE_SWITCH_INTERVAL": interval}, workdir, 1)
    recorder = Recorder()
    stop = threading.Event()
    try:
        server.wait_ready()
        recorder.measuring_from = time.monotonic() + WARM_UP

        def manager(k: int) -> None:
            browser = Browser(server.port, recorder, keep_alive=True)
            browser.log_in(f"load.manager{k}@example.com")
            rng = random.Random(k)
            while not stop.is_set():
                page = rng.randint(1, 40)
                browser.get(
                    RANKED, f"/recruiting/openings/{opening}/ranked?page={page}"
                )

        def api_client() -> None:
            browser = Browser(server.port, recorder, keep_alive=True)
            headers = {"Authorization": f"Bearer {token}"}
            rep, code = question
            while not stop.is_set():
                browser.get(
                    CHECK,
                    f"/api/v1/authority-check?rep={rep}&authority={code}&amount=5",
                    headers=headers,
                )
                time.sleep(0.01)

        users = [threading.Thread(target=manager, args=(k,)) for k in (1, 2)]
        users.append(threading.Thread(target=api_client))
        for user in users:
            user.start()
        time.sleep(WARM_UP + seconds)
        stop.set()
        for user in users:
            user.join()
    finally:
        stop.set()
        server.stop()
    if recorder.errors:
        raise SystemExit(f"errors: {recorder.errors[:3]}")
    times: dict[str, list[float]] = {RANKED: [], CHECK: []}
    for sample in recorder.samples:
        if sample.at >= recorder.measuring_from:
            times[sample.name].append(sample.ms)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--intervals", nargs="+", default=["0.005", "0.001", "0.0005"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    opening, token, question = setting_up(args.database_url)
    print(
        f"{'interval':>9}  {'check p50':>9}  {'check p95':>9}  {'ranked p50':>10}  "
        f"{'ranked p95':>10}  {'ranked/s':>8}"
    )
    for _round in range(args.rounds):
        for interval in args.intervals:
            reset_login_limits(args.redis_url)
            times = one_run(env, interval, args.seconds, opening, token, question)
            check, ranked = times[CHECK], times[RANKED]
            print(
                f"{float(interval) * 1000:>7.1f}ms  {statistics.median(check):>9.1f}  "
                f"{percentile(check, 95):>9.1f}  {statistics.median(ranked):>10.1f}  "
                f"{percentile(ranked, 95):>10.1f}  {len(ranked) / args.seconds:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
