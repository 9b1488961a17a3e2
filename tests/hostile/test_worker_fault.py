"""A candidate's test survives a worker killed under it.

Frontline runs under real gunicorn (two sync workers, a SQLite file database, a free port
on 127.0.0.1). A candidate opens their test link, starts and answers questions through the
same HTTP calls the test page's script makes (``POST /recruiting/test/<token>/answer``
with the CSRF header, asking for JSON). The worker that served the last answer is killed
with SIGKILL; the candidate carries on through the other worker (and the one the master
starts in its place), saves one answer again, sends another twice at once, and submits.
Every answer must then be stored exactly once, as last given, and the test scored.

Bounded: the server must answer within 30 s of starting and the whole test takes a few
seconds; the server is always stopped. Skipped when gunicorn cannot start here.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from core.access import Role
from core.db import db
from recruiting import invitation_operations
from recruiting.assessment import ItemType
from recruiting.models import AssessmentResult, CandidateAnswer, Invitation
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.recruiting.factories import make_candidate, make_opening

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-test-secret-key"
START_TIMEOUT = 30.0
#: The access log line: the serving worker's pid (gunicorn writes ``<pid>``), the request
#: line and the status.
LOG_FORMAT = '%(p)s "%(r)s" %(s)s'
_LINE = re.compile(r'^<(\d+)> "(\w+) (\S+) [^"]*" (\d{3})$')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn() -> str:
    beside = Path(sys.executable).with_name("gunicorn")
    found = str(beside) if beside.exists() else shutil.which("gunicorn")
    if not found:
        pytest.skip("gunicorn is not installed")
    return found


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, str]:
    """A SQLite file with the schema and a candidate's fresh test link: (url, token)."""
    url = f"sqlite:///{tmp_path / 'fault.db'}"
    app = make_test_app(url)
    with app.app_context():
        db.create_all()
        manager = make_user(Role.HIRING_MANAGER, name="Fault Manager")
        opening = make_opening(manager, title="Fault opening")
        candidate = make_candidate(opening, manager, name="Fran Fault")
        _, token = invitation_operations.create_invitation(candidate, by=manager)
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return url, token


class Server:
    """Gunicorn in a subprocess, and what its access log says."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / "access.log"
        self.error_log = tmp_path / "error.log"
        config = tmp_path / "gunicorn.conf.py"
        config.write_text("# the settings are on the command line\n")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        env.pop("FRONTLINE_HTTPS", None)
        self.process = subprocess.Popen(
            [
                _gunicorn(),
                "--config",
                str(config),
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                LOG_FORMAT,
                "--error-logfile",
                str(self.error_log),
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.skip(f"gunicorn could not start: {self._errors()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:  # noqa: S310 - our own loopback server
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        pytest.skip(
            f"gunicorn did not answer within {START_TIMEOUT:.0f} s: {self._errors()}"
        )

    def _errors(self) -> str:
        return self.error_log.read_text()[-800:] if self.error_log.exists() else ""

    def served(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, method, path, status) for every request so far, in order."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text().splitlines():
            match = _LINE.match(line.strip())
            if match:
                pid, method, path, status = match.groups()
                found.append((int(pid), method, path, int(status)))
        return found

    def last_pid(self, path: str) -> int:
        for _ in range(50):  # the log line is written just after the response
            pids = [pid for pid, _, p, _ in self.served() if p == path]
            if pids:
                return pids[-1]
            time.sleep(0.02)
        raise AssertionError(f"no access log line for {path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def server(tmp_path: Path, database: tuple[str, str]) -> Iterator[Server]:
    running = Server(tmp_path, database[0])
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


class Candidate:
    """A browser as far as the test page needs one: cookies, the CSRF token, forms."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def page(self, path: str = "") -> str:
        with self.opener.open(
            f"{self.base}/recruiting/test/{self.token}{path}", timeout=10
        ) as r:
            body = r.read().decode()
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', body)
        if match:
            self.csrf = match.group(1)
        return body

    def post(self, path: str, data: dict[str, str], *, as_script: bool = False) -> Any:
        headers = {"X-CSRFToken": self.csrf}
        if as_script:
            headers["Accept"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            f"{self.base}/recruiting/test/{self.token}{path}",
            data=urllib.parse.urlencode(data).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def answer(self, key: str, best: str, worst: str | None) -> None:
        data = {"item": key, "best": best, **({"worst": worst} if worst else {})}
        status, body = self.post("/answer", data, as_script=True)
        assert status == 200, (key, status, body[:300])
        assert json.loads(body)["saved"] is True


def test_a_candidate_s_answers_survive_a_killed_worker(
    server: Server, database: tuple[str, str]
) -> None:
    url, token = database
    app = make_test_app(url)
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        items = list(invitation.assessment.parsed.items)
        db.session.remove()
    assert len(items) >= 8

    def choice(item: Any, first: bool = True) -> tuple[str, str | None]:
        keys = [o.key for o in item.options]
        best = keys[0] if first else keys[1]
        worst = (
            (keys[2] if first else keys[3])
            if item.type is ItemType.MOST_LEAST
            else None
        )
        return best, worst

    candidate = Candidate(server.base, token)
    candidate.page()
    status, _ = candidate.post("/start", {"csrf_token": candidate.csrf})
    assert status in (200, 302)
    candidate.page()
    answer_path = f"/recruiting/test/{token}/answer"
    given: dict[str, tuple[str, str | None]] = {}
    half = len(items) // 2
    for item in items[:half]:
        given[item.key] = choice(item)
        candidate.answer(item.key, *given[item.key])

    victim = server.last_pid(answer_path)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{victim}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the master reaps it and starts another
    assert not Path(f"/proc/{victim}").exists(), "the worker did not die"
    killed_at = len(server.served())

    # Carry on: the rest of the questions, one earlier answer changed, and one answer
    # sent twice at once (a double click), all through the workers still alive.
    for item in items[half:-1]:
        given[item.key] = choice(item)
        candidate.answer(item.key, *given[item.key])
    changed = items[0]
    given[changed.key] = choice(changed, first=False)
    candidate.answer(changed.key, *given[changed.key])
    last = items[-1]
    given[last.key] = choice(last)
    twice = [
        threading.Thread(target=candidate.answer, args=(last.key, *given[last.key]))
        for _ in range(2)
    ]
    for thread in twice:
        thread.start()
    for thread in twice:
        thread.join(timeout=15)
    status, _ = candidate.post("/submit", {"csrf_token": candidate.csrf})
    assert status in (200, 302), status
    assert "submitted" in candidate.page().lower()

    after = server.served()[killed_at:]
    assert after, "nothing was served after the kill"
    assert victim not in {pid for pid, *_ in after}
    assert all(code < 500 for *_, code in server.served()), server.served()

    with app.app_context():
        stored = db.session.scalars(
            select(CandidateAnswer).where(
                CandidateAnswer.invitation_id == invitation.id
            )
        ).all()
        assert sorted(a.item_key for a in stored) == sorted(given), "each answer once"
        assert {a.item_key: (a.best, a.worst) for a in stored} == given
        result = db.session.scalars(select(AssessmentResult)).one()
        assert result.answered == len(items)
        assert 0 <= result.overall <= 100
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_the_same_answer_saved_twice_at_once_is_stored_once(
    scratch_database_url: str,
) -> None:
    """Two requests saving one question at the same moment (a double click on two
    workers): both read "no answer yet" before either writes; both must succeed and leave
    one row. Run on PostgreSQL to see the race (SQLite queues writers before they read)."""
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        manager = make_user(Role.HIRING_MANAGER, name="Race Manager")
        candidate = make_candidate(make_opening(manager), manager, name="Rae Race")
        invitation, _ = invitation_operations.create_invitation(candidate, by=manager)
        invitation_operations.start_test(invitation)
        db.session.commit()
        invitation_id = invitation.id
        item = invitation.assessment.parsed.items[0]
        db.session.remove()
    both_read = threading.Barrier(2)

    table = CandidateAnswer.__tablename__

    def hold_after_reading(conn, cursor, statement, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and f"FROM {table}" in statement:
            # On SQLite the other writer waits before reading: the barrier breaks.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=1)

    errors: list[BaseException] = []

    def save(best: str) -> None:
        try:
            with app.test_request_context("/", method="POST"):
                row = db.session.get(Invitation, invitation_id)
                worst = None if item.type is ItemType.SINGLE else item.options[3].key
                invitation_operations.save_answer(row, item.key, best, worst)
                db.session.commit()
                db.session.remove()
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    with app.app_context():
        engine = db.engine
    sqlalchemy_event.listen(engine, "after_cursor_execute", hold_after_reading)
    try:
        options = [o.key for o in item.options]
        threads = [threading.Thread(target=save, args=(key,)) for key in options[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sqlalchemy_event.remove(engine, "after_cursor_execute", hold_after_reading)
    assert not errors, errors
    with app.app_context():
        rows = db.session.scalars(
            select(CandidateAnswer).where(
                CandidateAnswer.invitation_id == invitation_id
            )
        ).all()
        assert [r.item_key for r in rows] == [item.key]
        assert rows[0].best in options[:2]
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
