"""A mixed load on gunicorn with several workers on PostgreSQL: pages under 100 ms (p95),
the authority check under 20 ms, no errors, and every write accounted for.

Builds a scratch PostgreSQL database with the other benchmarks' data builders (10,000
candidates, 1,000 reps with their grants, 1,000,000 tickets), starts gunicorn with the
repository's ``gunicorn.conf.py`` (3 workers, a free port on 127.0.0.1, Redis for the rate
limits), and runs virtual users in this process for ``--seconds`` after a warm-up:

- hiring managers browse the openings, the ranked list, the board and candidates, and
  submit interview scorecards, rate test results and move candidates on;
- reps open the scenarios and play them to the end, one decision at a time;
- supervisors ask for sign-offs for reps and approve each other's requests (grants);
- API clients ask ``GET /api/v1/authority-check`` with a supervisor's token;
- one ticket import (``flask tickets import``, in a session of its own as cron's
  ``setsid`` starts it) runs during the load, and an ``rq worker`` runs the job it leaves
  (the month figures computed ahead), both at the lower CPU priority that jobs and bulk
  commands take in production (``--niceness 0``: at the web's).

Each user logs in once through the login form and keeps its session cookie (the login
limit is 10 a minute from one address). Every response is timed in this process; the
server's own time per request comes from gunicorn's access log. Afterwards, once the
background jobs are done, the database is counted against the writes the users saw succeed.

    .venv/bin/python -m bench.load [--seconds 120] [--scale 1.0]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--database-url URL_OF_AN_EMPTY_DATABASE] [--redis-url redis://127.0.0.1:6379/3]

Without ``--database-url`` a database ``bench_load_<random>`` is created on the server of
``--postgres-url`` and dropped at the end. ``--scale 0.05`` builds a twentieth of the data
for a quick try.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import http.client
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from redis import Redis
from rq import Queue
from sqlalchemy import func, select, text

from app import create_app
from bench import incentives_import, recruiting_pages, training_authority
from core import jobs
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import Team, User, UserRole, hash_password
from incentives.tickets.models import Ticket, TicketImport
from recruiting.models import (
    AssessmentResult,
    Candidate,
    InterviewScorecard,
    ResultRating,
    StageChange,
)
from recruiting.pipeline import Recommendation, Stage
from training.models import Attempt, Grant, SignoffApproval, SignoffRequest
from training.operations import load_scenarios, read_scenario_files
from training.scenarios import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
PAGE_TARGET_MS = 100
CHECK_TARGET_MS = 20
CHECK = "API authority-check"
PASSWORD = "load-test-password"  # noqa: S105 (a throwaway database)
SECRET_KEY = secrets.token_hex(32)
HTTP_TIMEOUT = 30.0
START_TIMEOUT = 60.0
#: gunicorn's access log: the page name the client sent, the status, microseconds.
LOG_FORMAT = "%({x-load-page}i)s|%(s)s|%(D)s"
#: Audit actions each counted write leaves, checked against the database afterwards.
AUDITED = {
    "auth.login": "logins",
    "recruiting.scorecard.submit": "scorecards",
    "recruiting.candidate.move": "moves",
    "recruiting.result.rate": "ratings",
    "attempt.start": "attempts started",
    "attempt.finish": "attempts finished",
    "signoff.request": "sign-off requests",
    "signoff.approve": "approvals",
    "grant.create": "approvals",
    "tickets.import": "imports",
}


# --- the data set -------------------------------------------------------------------------


@dataclass
class DataSet:
    """What the virtual users need to know about the database."""

    opening: int
    managers: list[str]
    supervisors: list[str]
    supervisor_names: list[str]
    reps: list[str]
    rep_ids: list[int]
    questions: list[tuple[str, str]]
    authorities: list[str]
    scenarios: list[str]
    #: Candidates at interview or offer (scorecards), at applied (moves), with a result.
    interviewing: list[int]
    applied: list[int]
    tested: list[int]
    import_rows: int
    counts: dict[str, int] = field(default_factory=dict)


def build(scale: float, workdir: Path) -> DataSet:
    """Fill the (empty) database of the current app; write the file imported under load."""
    rng = random.Random(11)
    n_candidates = max(200, round(10_000 * scale))
    n_reps = max(30, round(1_000 * scale))
    n_tickets = max(10_000, round(1_000_000 * scale))
    started = time.perf_counter()
    ids = recruiting_pages.build(n_candidates, rng)
    questions = training_authority.build(n_reps, rng)
    print(f"  candidates and reps built in {time.perf_counter() - started:.1f} s")

    # Tickets for the training reps, over two months ending about four months ago (so
    # that none is refused as lying in the future), and a later file for the load.
    start = np.datetime64(dt.date.today() - dt.timedelta(days=180), "s")
    history = workdir / "tickets.csv"
    during = workdir / "tickets-during-load.csv"
    import_rows = max(1_000, round(50_000 * scale))
    incentives_import.generate(
        history, n_tickets, n_reps, domain="example.com", start=start
    )
    incentives_import.generate(
        during,
        import_rows,
        n_reps,
        seed=8,
        domain="example.com",
        start=start,
        first_id=n_tickets,
    )
    started = time.perf_counter()
    outcome = incentives_import.import_once(history)
    if (
        outcome.warm_up is not None
    ):  # the month figures computed ahead, in a thread here
        jobs.wait(outcome.warm_up.id, timeout=600)
    print(
        f"  {outcome.inserted:,} tickets imported (and the month figures computed ahead)"
        f" in {time.perf_counter() - started:.1f} s"
    )

    # The users who log in: three hiring managers, two supervisors of every team, three reps.
    password = hash_password(PASSWORD)
    managers = [f"load.manager{k}@example.com" for k in range(1, 4)]
    for email in managers:
        db.session.add(
            User(
                email=email,
                name=f"Load Manager {email[12]}",
                password_hash=password,
                role_rows=[UserRole(role=Role.HIRING_MANAGER)],
            )
        )
    teams = list(db.session.scalars(select(Team).where(Team.name.like("Bench team %"))))
    supervisors = ["bench.supervisor@example.com", "load.supervisor2@example.com"]
    db.session.add(
        User(
            email=supervisors[1],
            name="Load Supervisor",
            password_hash=password,
            role_rows=[UserRole(role=Role.SUPERVISOR)],
            supervised_teams=teams,
        )
    )
    reps = [f"rep{i:04d}@example.com" for i in (1, 2, 3)]
    existing = select(User).where(User.email.in_([supervisors[0], *reps]))
    for user in db.session.scalars(existing):
        user.password_hash = password

    # The shipped scenarios, without their attempt limit and cool-down, so that a rep can
    # play them again and again for the whole run.
    shipped = read_scenario_files(ROOT / "training/scenarios")
    unlimited = [
        scenario_from_data({**s.data, "attempts_allowed": None, "cooldown_hours": 0})
        for s in shipped
    ]
    load_scenarios(unlimited, by="bench")
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()

    def candidates_at(*stages: Stage) -> list[int]:
        return list(
            db.session.scalars(
                select(Candidate.id)
                .where(Candidate.stage.in_(stages))
                .order_by(Candidate.id)
            )
        )

    return DataSet(
        opening=ids["opening"],
        managers=managers,
        supervisors=supervisors,
        supervisor_names=["Bench Supervisor", "Load Supervisor"],
        reps=reps,
        rep_ids=list(
            db.session.scalars(
                select(User.id)
                .join(UserRole)
                .where(UserRole.role == Role.REP, User.email.notin_(reps))
                .order_by(User.id)
            )
        ),
        questions=questions,
        authorities=sorted({code for _, code in questions}),
        scenarios=[s.key for s in shipped],
        interviewing=candidates_at(Stage.INTERVIEW, Stage.OFFER),
        applied=candidates_at(Stage.APPLIED),
        tested=list(
            db.session.scalars(
                select(AssessmentResult.candidate_id)
                .join(Candidate, Candidate.id == AssessmentResult.candidate_id)
                .where(Candidate.stage == Stage.ASSESSED)
                .order_by(AssessmentResult.candidate_id)
            )
        ),
        import_rows=import_rows,
    )


def count_rows() -> dict[str, int]:
    """The rows the load writes, as they stand in the database now."""

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    load_reps = select(User.id).where(User.email.like("rep000_@example.com"))
    load_managers = select(User.id).where(User.email.like("load.manager%"))
    paths = db.session.scalars(
        select(Attempt.path).where(Attempt.rep_id.in_(load_reps))
    ).all()
    counts = {
        "scorecards": count(InterviewScorecard),
        "moves": count(StageChange),
        "ratings": count(ResultRating, ResultRating.reviewer_id.in_(load_managers)),
        "attempts started": count(Attempt, Attempt.rep_id.in_(load_reps)),
        "attempts finished": count(
            Attempt, Attempt.rep_id.in_(load_reps), Attempt.finished_at.is_not(None)
        ),
        "answers": sum(len(p) for p in paths),
        "sign-off requests": count(SignoffRequest),
        "approvals": count(SignoffApproval),
        "grants": count(Grant),
        "tickets": count(Ticket),
        "imports": count(TicketImport),
        "background jobs": count(jobs.Job),
        "background jobs done": count(jobs.Job, jobs.Job.status == jobs.JobStatus.DONE),
    }
    for action, n in db.session.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.action.in_(AUDITED))
        .group_by(AuditEvent.action)
    ):
        counts[f"audit {action}"] = n
    return counts


# --- a browser, as far as the pages need one ---------------------------------------------


@dataclass
class Sample:
    name: str
    at: float
    ms: float
    ok: bool


class Recorder:
    """Every timed request, the errors seen, and the writes that succeeded."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self.writes: collections.Counter[str] = collections.Counter()
        self.measuring_from = float("inf")
        self.lock = threading.Lock()

    def measuring(self) -> bool:
        return time.monotonic() >= self.measuring_from

    def add(self, sample: Sample, error: str | None = None) -> None:
        with self.lock:
            self.samples.append(sample)
            if error:
                self.errors.append(f"{sample.name}: {error}")

    def wrote(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.writes[what] += n


_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Browser:
    """A connection, a cookie jar and the page's CSRF token.

    With ``keep_alive`` the connection stays open between requests, as a browser's to a
    server it reaches directly; without it each request comes on a new connection, as
    from the reverse proxy of the production set-up (nginx's default towards the app).
    """

    def __init__(self, port: int, recorder: Recorder, *, keep_alive: bool) -> None:
        self.recorder = recorder
        self.keep_alive = keep_alive
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=HTTP_TIMEOUT
        )
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self) -> None:
        self.connection.close()

    def request(
        self,
        name: str,
        method: str,
        path: str,
        form: dict[str, Any] | None = None,
        *,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """Send one request; return (status, Location, body). Anything but ``expect``
        is recorded as an error."""
        sent = {
            "X-Load-Page": name if self.recorder.measuring() else "warm-up",
            **(headers or {}),
        }
        if not self.keep_alive:
            sent["Connection"] = "close"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode({"csrf_token": self.csrf, **form}).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        status, location, page, error = 0, "", "", None
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                page = response.read().decode("utf-8", "replace")
                status, location = response.status, response.getheader("Location", "")
                for cookie in response.headers.get_all("Set-Cookie") or []:
                    pair = cookie.split(";", 1)[0]
                    key, _, value = pair.partition("=")
                    if value and "max-age=0" not in cookie.lower():
                        self.cookies[key.strip()] = value
                    else:
                        self.cookies.pop(key.strip(), None)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError) as e:
                # A keep-alive connection the server closed while idle: the request never
                # reached a worker, so sending it again on a new connection is safe.
                self.connection.close()
                if attempt == 2:
                    error = f"{type(e).__name__} {e}"
            except (OSError, http.client.HTTPException) as e:
                self.connection.close()
                error = f"{type(e).__name__} {e}"
                break
        elapsed = (time.monotonic() - started) * 1000
        if error is None and status != expect:
            error = f"{method} {path} answered {status}, not {expect}"
        self.recorder.add(Sample(name, started, elapsed, error is None), error)
        found = _CSRF.search(page)
        if found:
            self.csrf = found.group(1)
        return status, location, page

    def get(self, name: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
        return self.request(name, "GET", path, **kwargs)

    def post(
        self, name: str, path: str, form: dict[str, Any], *, expect: int = 302
    ) -> tuple[int, str, str]:
        return self.request(name, "POST", path, form, expect=expect)

    def follow(self, name: str, location: str) -> str:
        """GET the page a POST redirected to, as the browser does."""
        path = urllib.parse.urlsplit(location)
        _, _, page = self.get(
            name, path.path + (f"?{path.query}" if path.query else "")
        )
        return page

    def log_in(self, email: str) -> None:
        self.get("login page", "/auth/login")
        status, _, _ = self.post(
            "login", "/auth/login", {"email": email, "password": PASSWORD}
        )
        if status == 429:
            raise SystemExit(
                "The login limit (10 a minute from one address) was reached: wait a "
                "minute before running the load again."
            )
        if status != 302:
            raise SystemExit(f"{email} could not log in ({status})")
        self.get("dashboard", "/")


# --- the virtual users --------------------------------------------------------------------


def think(rng: random.Random, mean: float) -> None:
    time.sleep(rng.uniform(0.5 * mean, 1.5 * mean))


def hiring_manager(
    browser: Browser, data: DataSet, k: int, rng: random.Random, stop: threading.Event
) -> Iterator[None]:
    """Browse the opening and candidates; score interviews, rate tests, move candidates on."""
    opening = data.opening
    interviews = data.interviewing[:]
    rng.shuffle(interviews)
    applied = data.applied[k :: len(data.managers)]
    rng.shuffle(applied)
    tested = data.tested[:]
    rng.shuffle(tested)
    pages = max(1, len(data.tested) // 50)
    while not stop.is_set():
        if rng.random() < 0.1:
            browser.get("openings", "/recruiting/")
            yield
        pick = rng.random()
        if pick < 0.08:
            browser.get("board", f"/recruiting/openings/{opening}/board")
            yield
        elif pick < 0.14:
            browser.get(
                "candidates search",
                f"/recruiting/candidates?q=candidate+{rng.randint(1, 99)}",
            )
            yield
        browser.get(
            "ranked list",
            f"/recruiting/openings/{opening}/ranked?page={rng.randint(1, min(pages, 40))}",
        )
        yield
        action = rng.random()
        if action < 0.45 and interviews:
            candidate = interviews.pop()
            browser.get("candidate page", f"/recruiting/candidates/{candidate}")
            yield
            url = f"/recruiting/candidates/{candidate}/scorecard"
            browser.get("scorecard form", url)
            yield
            form = {
                c: rng.randint(1, 5)
                for c in (
                    "empathy",
                    "ownership",
                    "communication",
                    "composure",
                    "judgement",
                )
            }
            form["recommendation"] = rng.choice(list(Recommendation)).value
            form["notes"] = "Asked about a refund over the limit; handled it well."
            status, location, _ = browser.post("scorecard submit", url, form)
            if status == 302:
                browser.recorder.wrote("scorecards")
                browser.follow("candidate page", location)
        elif action < 0.7 and applied:
            candidate = applied.pop()
            browser.get("candidate page", f"/recruiting/candidates/{candidate}")
            yield
            status, location, _ = browser.post(
                "stage move",
                f"/recruiting/candidates/{candidate}/move",
                {"to_stage": Stage.SCREENING.value, "reason": ""},
            )
            if status == 302:
                browser.recorder.wrote("moves")
                browser.follow("candidate page", location)
        elif tested:
            candidate = tested.pop()
            browser.get("candidate page", f"/recruiting/candidates/{candidate}")
            yield
            status, location, _ = browser.post(
                "rating",
                f"/recruiting/candidates/{candidate}/rating",
                {"rating": rng.randint(1, 5), "note": ""},
            )
            if status == 302:
                browser.recorder.wrote("ratings")
                browser.follow("candidate page", location)
        yield


_ATTEMPT = re.compile(r"/training/attempts/(\d+)")
_STEP = re.compile(r'<input[^>]*name="step"[^>]*value="(\d*)"')
_CHOICE = re.compile(r'<input[^>]*name="choice"[^>]*value="(\d+)"')


def rep(
    browser: Browser, data: DataSet, k: int, rng: random.Random, stop: threading.Event
) -> Iterator[None]:
    """Open the scenarios and play one to its end, a decision at a time; again."""
    seen: set[int] = set()
    while not stop.is_set():
        if rng.random() < 0.2:
            browser.get("dashboard", "/")
            yield
        browser.get("scenario list", "/training/scenarios")
        yield
        key = rng.choice(data.scenarios)
        browser.get("scenario page", f"/training/scenarios/{key}")
        yield
        status, location, _ = browser.post(
            "attempt start", f"/training/scenarios/{key}/attempts", {}
        )
        found = _ATTEMPT.search(location) if status == 302 else None
        if found is None:
            continue
        attempt = int(found.group(1))
        if attempt not in seen:
            seen.add(attempt)
            browser.recorder.wrote("attempts started")
        page = browser.follow("attempt page", location)
        for _ in range(40):  # the longest shipped scenario has far fewer decisions
            step, choices = _STEP.search(page), _CHOICE.findall(page)
            if step is None or not choices:
                if "Passed" in page or "Not passed" in page:
                    browser.recorder.wrote("attempts finished")
                break
            if stop.is_set():
                return
            yield
            status, location, _ = browser.post(
                "attempt answer",
                f"/training/attempts/{attempt}/answer",
                {"choice": rng.choice(choices), "step": step.group(1)},
            )
            if status != 302:
                break
            browser.recorder.wrote("answers")
            page = browser.follow("attempt page", location)
        yield


_SIGNOFF = re.compile(r'href="/training/signoffs/(\d+)"')


def supervisor(
    browser: Browser, data: DataSet, k: int, rng: random.Random, stop: threading.Event
) -> Iterator[None]:
    """Approve a colleague's sign-off request; ask for one for a rep; look at the register."""
    reps = data.rep_ids[k :: len(data.supervisors)]
    asked: set[tuple[int, str]] = set()
    not_mine: set[int] = set()
    while not stop.is_set():
        _, _, page = browser.get("sign-off list", "/training/signoffs")
        yield
        # Each row says who asked when it was not the rep; nobody approves their own.
        mine = f"by {data.supervisor_names[k]}<"
        waiting = [
            int(found.group(1))
            for row in page.split("<tr>")
            if (found := _SIGNOFF.search(row)) and mine not in row
        ]
        waiting = [i for i in waiting if i not in not_mine]
        if waiting:
            request_id = rng.choice(waiting)
            _, _, page = browser.get(
                "sign-off page", f"/training/signoffs/{request_id}"
            )
            yield
            limit = re.search(r'name="limit"[^>]*value="([\d.]+)"', page)
            if f"/training/signoffs/{request_id}/approve" in page and limit:
                status, location, _ = browser.post(
                    "sign-off approve",
                    f"/training/signoffs/{request_id}/approve",
                    {"limit": limit.group(1)},
                )
                if status == 302:
                    browser.recorder.wrote("approvals")
                    browser.follow("sign-off page", location)
            else:
                not_mine.add(request_id)
            yield
        for _ in range(20):
            pair = (rng.choice(reps), rng.choice(data.authorities))
            if pair not in asked:
                break
        asked.add(pair)
        url = f"/training/authorities/{pair[1]}/request"
        browser.get("sign-off request form", f"{url}?rep={pair[0]}")
        yield
        status, location, _ = browser.post(
            "sign-off request",
            url,
            {
                "rep_id": pair[0],
                "limit": rng.choice([50, 100, 200, 300]),
                "note": "Passed the refund scenarios; ready for this.",
            },
        )
        if status == 302:
            browser.recorder.wrote("sign-off requests")
            browser.follow("sign-off list", location)
        yield
        if rng.random() < 0.15:
            browser.get("register page", "/training/register")
            yield


def api_client(
    browser: Browser,
    data: DataSet,
    token: str,
    rng: random.Random,
    stop: threading.Event,
) -> Iterator[None]:
    """Ask whether a rep may do something, as a helpdesk integration does."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    while not stop.is_set():
        email, code = rng.choice(data.questions)
        browser.get(
            CHECK,
            f"/api/v1/authority-check?rep={urllib.parse.quote(email)}"
            f"&authority={code}&amount={rng.randint(1, 900)}",
            headers=headers,
        )
        yield


def run_user(
    steps: Iterator[None], rng: random.Random, mean_think: float, recorder: Recorder
) -> None:
    try:
        for _ in steps:
            think(rng, mean_think)
    except Exception as e:  # a crash of the load script itself is an error to report
        recorder.errors.append(f"user crashed: {type(e).__name__}: {e}")
        raise


# --- gunicorn and the import --------------------------------------------------------------


def reset_login_limits(redis_url: str) -> None:
    """Forget the rate limits' counts on the load's Redis database: every run logs its
    users in from one address, and the login limit also counts 50 an hour."""
    connection = Redis.from_url(redis_url)
    for key in connection.scan_iter("LIMITS:*"):
        connection.delete(key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the repository's config: 3 workers on a free loopback port."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int) -> None:
        self.port = free_port()
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            [
                str(gunicorn),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                LOG_FORMAT,
                "--error-logfile",
                str(self.error_log),
            ],
            cwd=ROOT,
            env={**env, "FRONTLINE_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped: {self.errors()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=2
                )
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            time.sleep(0.2)
        raise SystemExit(
            f"gunicorn did not answer in {START_TIMEOUT:.0f} s: {self.errors()}"
        )

    def errors(self) -> str:
        return self.error_log.read_text()[-2000:] if self.error_log.exists() else ""

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return (
            [int(p) for p in children.read_text().split()] if children.exists() else []
        )

    def server_times(self) -> dict[str, list[float]]:
        """Milliseconds per page name, from the access log (warm-up left out)."""
        times: dict[str, list[float]] = collections.defaultdict(list)
        if self.access_log.exists():
            for line in self.access_log.read_text().splitlines():
                name, _, rest = line.rpartition("|")
                page, _, _status = name.rpartition("|")
                if page and page not in {"-", "warm-up"} and rest.isdigit():
                    times[page].append(int(rest) / 1000)
        return times

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class JobRunner:
    """``rq worker`` on the app's queue, as in production: it runs what imports start."""

    def __init__(self, env: dict[str, str], workdir: Path, redis_url: str) -> None:
        self.log = (workdir / "rq.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            [
                str(Path(sys.executable).with_name("rq")),
                "worker",
                "--url",
                redis_url,
                jobs.DEFAULT_QUEUE,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(
                signal.SIGTERM
            )  # a warm stop: the job in hand ends
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def wait_for_jobs(app: Any, after_id: int, timeout: float) -> list[jobs.Job]:
    """Wait until every job newer than ``after_id`` has finished (or ``timeout``)."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            found = list(
                db.session.scalars(
                    select(jobs.Job).where(jobs.Job.id > after_id).order_by(jobs.Job.id)
                )
            )
            finished = all(
                j.status in {jobs.JobStatus.DONE, jobs.JobStatus.FAILED} for j in found
            )
            if finished or time.monotonic() > deadline:
                db.session.expunge_all()
                db.session.remove()
                return found
            db.session.remove()
            time.sleep(1)


def start_import(
    env: dict[str, str], csv_path: Path, workdir: Path
) -> subprocess.Popen:
    out = (workdir / "import.out").open("w")
    return subprocess.Popen(  # noqa: S603 (our own arguments)
        [
            str(Path(sys.executable).with_name("flask")),
            "--app",
            "app",
            "tickets",
            "import",
            str(csv_path),
            "--source",
            "frontline",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as cron's `setsid flask ...`: it then yields to the web
    )


# --- the report ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (sorted or not)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_ticks(pids: list[int]) -> dict[int, int]:
    """User + system clock ticks used so far by each of ``pids`` still running."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (by their process title)."""
    title = f" {database} ".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                line = (entry / "cmdline").read_bytes()
                if line.startswith(b"postgres: ") and title in line:
                    found.append(int(entry.name))
    return found


@dataclass
class CpuUse:
    """Where the CPU went between two moments: the machine, and our own processes."""

    machine: tuple[int, int]
    workers: dict[int, int]
    database: dict[int, int]
    generator: float

    @classmethod
    def now(cls, server: Server, database: str) -> CpuUse:
        return cls(
            cpu_times(),
            process_ticks(server.workers()),
            process_ticks(backends(database)),
            time.process_time(),
        )

    def since(self, start: CpuUse, seconds: float) -> str:
        hz = os.sysconf("SC_CLK_TCK")

        def cores(end: dict[int, int], begin: dict[int, int]) -> float:
            used = sum(t - begin.get(pid, 0) for pid, t in end.items())
            return used / hz / seconds

        busy = (self.machine[0] - start.machine[0]) / max(
            1, self.machine[1] - start.machine[1]
        )
        each = " + ".join(
            f"{(t - start.workers.get(pid, 0)) / hz / seconds:.2f}"
            for pid, t in sorted(self.workers.items())
        )
        return (
            f"gunicorn workers {cores(self.workers, start.workers):.2f} cores ({each}), "
            f"PostgreSQL (this database) {cores(self.database, start.database):.2f}, "
            f"load generator {(self.generator - start.generator) / seconds:.2f}; "
            f"the machine's {os.cpu_count()} cores {busy:.0%} busy"
        )


def report(
    recorder: Recorder,
    server_times: dict[str, list[float]],
    seconds: float,
) -> bool:
    """Print the figures per page; return whether every goal was met."""
    measured = [s for s in recorder.samples if s.at >= recorder.measuring_from]
    by_name: dict[str, list[Sample]] = collections.defaultdict(list)
    for sample in measured:
        by_name[sample.name].append(sample)
    print(
        f"\n{'page':<24}{'requests':>9}{'errors':>7}{'per s':>7}{'p50':>8}{'p95':>8}"
        f"{'p99':>8}{'max':>8}{'server p95':>12}  (ms)"
    )
    met = True
    for name in sorted(by_name, key=lambda n: (n == CHECK, n)):
        samples = by_name[name]
        ms = [s.ms for s in samples]
        errors = sum(not s.ok for s in samples)
        target = CHECK_TARGET_MS if name == CHECK else PAGE_TARGET_MS
        p95 = percentile(ms, 95)
        server = server_times.get(name)
        flag = "" if p95 < target else f"  over {target}"
        met &= p95 < target and not errors
        print(
            f"{name:<24}{len(ms):>9}{errors:>7}{len(ms) / seconds:>7.1f}"
            f"{percentile(ms, 50):>8.1f}{p95:>8.1f}{percentile(ms, 99):>8.1f}"
            f"{max(ms):>8.1f}{(percentile(server, 95) if server else 0):>12.1f}{flag}"
        )
    print(
        f"{'all':<24}{len(measured):>9}{sum(not s.ok for s in measured):>7}"
        f"{len(measured) / seconds:>7.1f}"
    )
    return met


def busy_windows(recorder: Recorder, windows: dict[str, tuple[float, float]]) -> str:
    """Pages and checks in each window (the import, the job it left) and in the rest of
    the measured time: where the slowest requests come from."""
    measured = [s for s in recorder.samples if s.at >= recorder.measuring_from]

    def window_of(at: float) -> str:
        for name, (start, end) in windows.items():
            if start <= at <= end:
                return name
        return "rest"

    spans = ", ".join(
        f"{name} {end - start:.0f} s" for name, (start, end) in windows.items()
    )
    lines = [f"\nBy when they ran ({spans}; the rest of the time), ms:"]
    for label, is_check in (("pages", False), ("check", True)):
        parts = []
        for when in [*windows, "rest"]:
            ms = [
                s.ms
                for s in measured
                if (s.name == CHECK) is is_check and window_of(s.at) == when
            ]
            if ms:
                parts.append(
                    f"{when}: {len(ms)}, p50 {percentile(ms, 50):.1f}, "
                    f"p95 {percentile(ms, 95):.1f}"
                )
        lines.append(f"  {label:<6} " + "; ".join(parts))
    return "\n".join(lines)


def check_writes(
    before: dict[str, int], after: dict[str, int], did: dict[str, int]
) -> bool:
    """Compare what the database gained with the writes the users saw succeed."""
    expected = {
        "scorecards": did["scorecards"],
        "moves": did["moves"],
        "ratings": did["ratings"],
        "attempts started": did["attempts started"],
        "attempts finished": did["attempts finished"],
        "answers": did["answers"],
        "sign-off requests": did["sign-off requests"],
        "approvals": did["approvals"],
        "grants": did["approvals"],
        "tickets": did["tickets"],
        "imports": did["imports"],
        "background jobs done": did["background jobs done"],
    }
    expected |= {f"audit {a}": did[w] for a, w in AUDITED.items()}
    print(f"\n{'write':<34}{'done':>8}{'found':>8}")
    ok = True
    for name, want in expected.items():
        found = after.get(name, 0) - before.get(name, 0)
        ok &= found == want
        print(f"{name:<34}{want:>8}{found:>8}{'' if found == want else '  MISMATCH'}")
    return ok


# --- the run ------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(args: argparse.Namespace) -> Iterator[str]:
    """The database to fill: the one given (it must be empty) or one made and dropped here."""
    if args.database_url:
        engine = sa.create_engine(args.database_url)
        try:
            tables = sa.inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise SystemExit(
                f"{sa.make_url(args.database_url).database} is not empty "
                f"({len(tables)} tables); give an empty database"
            )
        yield args.database_url
        return
    admin = sa.make_url(args.postgres_url)
    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warm-up", type=float, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--think", type=float, default=0.2, help="mean seconds")
    parser.add_argument("--api-clients", type=int, default=2)
    parser.add_argument(
        "--keep-alive",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="each user keeps one connection open (default: a new one per request, "
        "as a reverse proxy sends them)",
    )
    parser.add_argument(
        "--niceness",
        type=int,
        default=jobs.JOB_NICENESS,
        help="CPU niceness of the RQ worker's jobs and of the import",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--database-url", help="an empty database to fill")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    # Jobs left by something else would be run by this load's worker, on its database.
    waiting = Queue(jobs.DEFAULT_QUEUE, connection=Redis.from_url(args.redis_url)).count
    if waiting:
        raise SystemExit(
            f"{waiting} jobs wait in the queue on {args.redis_url}: give the load a Redis "
            "database of its own (--redis-url)"
        )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}; "
        f"scale {args.scale}, {args.seconds:.0f} s after {args.warm_up:.0f} s warm-up"
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as folder,
        scratch_database(args) as url,
    ):
        workdir = Path(folder)
        app = create_app(
            {
                "SECRET_KEY": SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            data = build(args.scale, workdir)
            print(f"Data set built in {time.perf_counter() - started:.0f} s")
            before = count_rows()
            data.counts = {
                "candidates": db.session.scalar(select(func.count(Candidate.id))),
                "reps": len(data.rep_ids) + len(data.reps),
                "grants": before["grants"],
                "tickets": before["tickets"],
            }
            version = db.session.execute(text("SHOW server_version")).scalar()
            last_job = db.session.scalar(select(func.max(jobs.Job.id))) or 0
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        print(f"PostgreSQL {version}: {data.counts}")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": args.redis_url,
            "SECRET_KEY": SECRET_KEY,
            "PYTHONPATH": str(ROOT),
            "FRONTLINE_JOB_NICENESS": str(args.niceness),
        }
        recorder = Recorder()
        reset_login_limits(args.redis_url)
        server = Server(env, workdir, args.workers)
        runner = JobRunner(env, workdir, args.redis_url)
        importer: subprocess.Popen | None = None
        import_cpu = jobs_cpu = 0.0
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            server.wait_ready()
            first_workers = server.workers()
            print(f"gunicorn on 127.0.0.1:{server.port}, workers {first_workers}")
            users: list[tuple[Callable[..., Iterator[None]], str, int]] = []
            users += [(hiring_manager, e, k) for k, e in enumerate(data.managers)]
            users += [(rep, e, k) for k, e in enumerate(data.reps)]
            users += [(supervisor, e, k) for k, e in enumerate(data.supervisors)]
            browsers = []
            for behaviour, email, k in users:
                browser = Browser(server.port, recorder, keep_alive=args.keep_alive)
                browser.log_in(email)
                browsers.append((behaviour, browser, k, args.think))
            for _ in range(args.api_clients):
                browsers.append(
                    (
                        None,
                        Browser(server.port, recorder, keep_alive=args.keep_alive),
                        0,
                        args.think / 4,
                    )
                )
            logins = len(users)
            began = time.monotonic()
            wall_offset = time.time() - time.monotonic()
            recorder.measuring_from = began + args.warm_up
            for n, (behaviour, browser, k, mean) in enumerate(browsers):
                rng = random.Random(100 + n)
                steps = (
                    api_client(browser, data, training_authority.SECRET, rng, stop)
                    if behaviour is None
                    else behaviour(browser, data, k, rng, stop)
                )
                thread = threading.Thread(
                    target=run_user, args=(steps, rng, mean, recorder), daemon=True
                )
                thread.start()
                threads.append(thread)
            loads: list[float] = []
            cpu_start: CpuUse | None = None
            database = sa.make_url(url).database or ""
            import_at = recorder.measuring_from + min(15.0, args.seconds / 4)
            import_started = import_took = None
            end = recorder.measuring_from + args.seconds
            while time.monotonic() < end:
                now = time.monotonic()
                if cpu_start is None and now >= recorder.measuring_from:
                    cpu_start = CpuUse.now(server, database)
                if importer is None and now >= import_at:
                    importer = start_import(
                        env, workdir / "tickets-during-load.csv", workdir
                    )
                    import_started = now
                if (
                    importer is not None
                    and import_took is None
                    and importer.poll() is not None
                ):
                    import_took = now - import_started
                loads.append(os.getloadavg()[0])
                time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            cpu_end = CpuUse.now(server, database)
            # A worker gunicorn replaced (max_requests) started cold during the run.
            replaced = len(set(first_workers) - set(server.workers()))
            stop.set()
            for thread in threads:
                thread.join(timeout=HTTP_TIMEOUT + 5)
            if importer is not None and importer.poll() is None:
                importer.wait(timeout=600)
                import_took = time.monotonic() - import_started
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            import_cpu = children.ru_utime + children.ru_stime
            if importer is not None and import_took is None:
                import_took = time.monotonic() - import_started
            background = wait_for_jobs(app, last_job, timeout=600)
            runner.stop()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            jobs_cpu = children.ru_utime + children.ru_stime - import_cpu
            for _, browser, _, _ in browsers:
                browser.close()
            time.sleep(1)  # the access log's last lines
            server_times = server.server_times()
            worker_errors = [
                line for line in server.errors().splitlines() if "Traceback" in line
            ]
        finally:
            stop.set()
            if importer is not None and importer.poll() is None:
                importer.kill()
                importer.wait(timeout=10)
            runner.stop()
            server.stop()
        imported = (workdir / "import.out").read_text()
        print(
            f"\nImport during the load ({data.import_rows:,} tickets), {import_took:.1f} s:"
        )
        print("  " + "\n  ".join(imported.strip().splitlines()[-4:]))
        for job in background:
            took = (
                f"{(job.finished_at - job.started_at).total_seconds():.1f} s"
                if job.finished_at and job.started_at
                else "not finished"
            )
            print(f"  then the job {job.kind!r} on the RQ worker: {job.status}, {took}")
        met = report(recorder, server_times, args.seconds)
        if import_started is not None and import_took is not None:
            windows = {"import": (import_started, import_started + import_took)}
            for job in background:
                if job.started_at and job.finished_at:
                    windows[f"{job.kind} job"] = (
                        job.started_at.replace(tzinfo=dt.UTC).timestamp() - wall_offset,
                        job.finished_at.replace(tzinfo=dt.UTC).timestamp()
                        - wall_offset,
                    )
            print(busy_windows(recorder, windows))
        print(
            f"\n{len(browsers)} users ({logins} logged in, {args.api_clients} API). "
            f"Load average {min(loads):.2f}-{max(loads):.2f} during the run.\n"
            f"CPU over the measured time: {cpu_end.since(cpu_start, args.seconds)}; "
            f"the import used {import_cpu:.1f} CPU-s, the RQ worker {jobs_cpu:.1f}.\n"
            f"Workers gunicorn replaced during the run: {replaced}."
        )
        if recorder.errors:
            print(f"\n{len(recorder.errors)} errors, the first ones:")
            for line in recorder.errors[:10]:
                print(f"  {line}")
        if worker_errors:
            print(f"\n{len(worker_errors)} tracebacks in gunicorn's error log")
        did = dict(recorder.writes)
        did["logins"] = logins
        did["tickets"] = (
            data.import_rows if importer and importer.returncode == 0 else 0
        )
        did["imports"] = 1 if importer and importer.returncode == 0 else 0
        did["background jobs done"] = len(background)
        for key in AUDITED.values():
            did.setdefault(key, 0)
        with app.app_context():
            after = count_rows()
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        writes_ok = check_writes(before, after, did)
        print(
            f"\nGoals (p95 < {PAGE_TARGET_MS} ms on pages, < {CHECK_TARGET_MS} ms on the "
            f"check, no errors): {'met' if met else 'NOT met'}; writes "
            f"{'all accounted for' if writes_ok else 'NOT accounted for'}"
        )
        print(f"Done {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
