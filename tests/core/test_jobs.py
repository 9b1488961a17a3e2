"""Background jobs: started when the caller commits, never after a rollback; progress,
result and failure kept on the job's row; in a thread of the web process, or on an RQ queue
that a separate ``rq worker`` process serves."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core import jobs
from core.db import db
from core.jobs import Job, JobStatus
from core.people import Team
from tests.conftest import TEST_REDIS_URL, make_test_app, requires_redis
from tests.core import jobs_work

ROOT = Path(__file__).resolve().parents[2]


def job_row(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_runs_once_its_transaction_commits(app_ctx) -> None:
    job = jobs.enqueue(jobs_work.count_to, 3, kind="test.count", total=3)
    assert job.status is JobStatus.QUEUED
    assert job.function == "tests.core.jobs_work:count_to"
    db.session.commit()
    done = job_row(job.id)
    assert done.status is JobStatus.DONE
    assert done.result == {"counted": 3}
    assert (done.progress, done.total, done.percent) == (3, 3, 100)
    assert done.started_at is not None
    assert done.finished_at is not None
    assert (jobs.job_dir(job.id) / "count.txt").read_text() == "3"


def test_a_rolled_back_job_never_runs(app_ctx) -> None:
    jobs.enqueue(jobs_work.count_to, 3, kind="test.count")
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(db.select(Job)) is None


def test_a_failure_is_recorded_with_a_message_for_people(app_ctx) -> None:
    refused = jobs.enqueue(jobs_work.refuse, kind="test.refuse")
    crashed = jobs.enqueue(jobs_work.crash, kind="test.crash")
    db.session.commit()
    assert job_row(refused.id).status is JobStatus.FAILED
    assert job_row(refused.id).error == "There is nothing to count."
    assert job_row(crashed.id).error == (
        "The job stopped on an unexpected error; it has been logged."
    )
    assert job_row(crashed.id).as_dict()["finished"] is True


def test_a_job_runs_only_once(app_ctx) -> None:
    job = jobs.enqueue(jobs_work.count_to, 1, kind="test.count")
    db.session.commit()
    first_finished = job_row(job.id).finished_at
    jobs.run(job.id)
    assert job_row(job.id).finished_at == first_finished


def test_only_module_level_functions_can_be_jobs(app_ctx) -> None:
    with pytest.raises(ValueError, match="not importable"):
        jobs.enqueue(lambda context: None, kind="test.lambda")


@pytest.fixture
def fresh_app(scratch_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database that really commits, for other threads and processes."""
    fresh = make_test_app(
        scratch_database_url,
        JOBS_BACKEND=None,
        FRONTLINE_STORAGE_DIR=str(tmp_path / "storage"),
    )
    with fresh.app_context():
        db.create_all()
    yield fresh
    with fresh.app_context():
        for engine in db.engines.values():
            engine.dispose()


def wait_for(app: Flask, job_id: int, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.is_finished or time.monotonic() > deadline:
                db.session.expunge(job)
                return job
        time.sleep(0.1)


def test_without_redis_a_job_runs_in_a_thread(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        job = jobs.enqueue(jobs_work.count_to, 5, kind="test.count", total=5)
        assert job.backend == "thread"
        db.session.commit()
        job_id = job.id
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == {"counted": 5}


def test_with_redis_down_a_job_runs_in_a_thread_instead(
    fresh_app: Flask, caplog
) -> None:
    fresh_app.config.update(REDIS_URL="redis://127.0.0.1:1/0")
    with fresh_app.app_context():
        job = jobs.enqueue(jobs_work.count_to, 3, kind="test.count", total=3)
        assert job.backend == "rq"
        db.session.commit()  # no error for the person who started it
        job_id = job.id
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == {"counted": 3}
    assert "Redis cannot be reached" in caplog.text


def enqueue_for_rq(app: Flask, fn: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
    """Enqueue ``fn`` on an RQ queue of its own; returns the queue's name and the job's id."""
    queue = f"frontline-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=TEST_REDIS_URL, RQ_QUEUE=queue)
    with app.app_context():
        job = jobs.enqueue(fn, *args, **kwargs)
        assert job.backend == "rq"
        db.session.commit()
        return queue, job.id


def run_rq_worker(
    app: Flask, queue: str, database_url: str
) -> subprocess.CompletedProcess:
    """``rq worker --burst``, as docs/operations.md says to run it, in a process of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "rq-test",
        "REDIS_URL": TEST_REDIS_URL or "",
        "FRONTLINE_STORAGE_DIR": app.config["FRONTLINE_STORAGE_DIR"],
        "PYTHONPATH": str(ROOT),
    }
    rq = Path(sys.executable).with_name("rq")
    return subprocess.run(
        [str(rq), "worker", "--burst", "--url", TEST_REDIS_URL or "", queue],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        start_new_session=True,  # as a service runs: the jobs' priority is its own
    )


def test_a_running_job_beats_until_it_ends(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", 0.05)
    fresh_app.config["JOBS_STALE_AFTER"] = 5
    with fresh_app.app_context():
        job = jobs.enqueue(jobs_work.wait_for_go, 20, kind="test.wait")
        db.session.commit()
        job_id = job.id
    deadline = time.monotonic() + 20
    while True:
        with fresh_app.app_context():
            running = db.session.get(Job, job_id)
            beats = (
                running.status is JobStatus.RUNNING
                and running.heartbeat_at > running.started_at
            )
            if beats or time.monotonic() > deadline:
                assert beats, (running.status, running.heartbeat_at)
                assert not running.interrupted
                assert running.as_dict()["status"] == "running"
                (jobs.job_dir(job_id) / "go").touch()
                break
        time.sleep(0.05)
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE
    assert done.result == {"went": True}


def test_a_job_whose_runner_died_shows_as_interrupted(app_ctx) -> None:
    now = jobs.utcnow()
    quiet = dt.timedelta(seconds=jobs.STALE_AFTER + 1)
    dead = Job(kind="test.dead", function="tests.core.jobs_work:count_to")
    dead.status, dead.started_at, dead.heartbeat_at = (
        JobStatus.RUNNING,
        now - 2 * quiet,
        now - quiet,
    )
    alive = Job(kind="test.alive", function="tests.core.jobs_work:count_to")
    alive.status, alive.started_at, alive.heartbeat_at = (
        JobStatus.RUNNING,
        now - 2 * quiet,
        now - dt.timedelta(seconds=5),
    )
    db.session.add_all([dead, alive])
    db.session.flush()
    assert dead.interrupted
    assert dead.status is JobStatus.RUNNING  # nothing is written: it is how it looks
    assert dead.as_dict() | {"id": 0} == {
        "id": 0,
        "kind": "test.dead",
        "status": "failed",
        "status_label": "Interrupted",
        "progress": 0,
        "total": 0,
        "percent": 0,
        "message": "",
        "error": jobs.INTERRUPTED,
        "finished": True,
    }
    assert not alive.interrupted
    assert alive.as_dict()["finished"] is False
    # Finished jobs are never interrupted, however old.
    dead.status = JobStatus.DONE
    assert not dead.interrupted
    # A job long queued for a thread of a web process that died before starting it is;
    # one queued for RQ waits for a worker as long as it takes.
    for backend, lost in (("thread", True), ("rq", False)):
        waiting = Job(kind="test.waiting", function="tests.core.jobs_work:count_to")
        waiting.backend, waiting.created_at = backend, now - 2 * quiet
        assert waiting.status is None or waiting.status is JobStatus.QUEUED
        waiting.status = JobStatus.QUEUED
        assert waiting.interrupted is lost, backend
    fresh = Job(kind="test.fresh", function="tests.core.jobs_work:count_to")
    fresh.backend, fresh.status, fresh.created_at = "thread", JobStatus.QUEUED, now
    assert not fresh.interrupted


@requires_redis()
def test_with_redis_a_job_goes_to_the_queue_and_an_rq_worker_runs_it(
    fresh_app: Flask, scratch_database_url: str
) -> None:
    queue, job_id = enqueue_for_rq(
        fresh_app, jobs_work.count_to, 4, kind="test.count", total=4
    )
    assert wait_for(fresh_app, job_id, seconds=0).status is JobStatus.QUEUED
    worker = run_rq_worker(fresh_app, queue, scratch_database_url)
    assert worker.returncode == 0, worker.stderr[-2000:]
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == {"counted": 4}
    storage = Path(fresh_app.config["FRONTLINE_STORAGE_DIR"])
    assert (storage / "jobs" / str(job_id) / "count.txt").read_text() == "4"


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def _new_sessions_have_autogroups() -> bool:
    """Whether a process started in a session of its own gets an autogroup here.

    Not the same as asking this process: one that never left the first session (a
    child of PID 1, as CI's may be) shows none, while the sessions it starts do.
    """
    code = "from core.jobs import session_niceness; print(session_niceness())"
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    ).stdout.strip()
    return shown != "None"


def _lowered(niceness: int) -> dict[str, int | None]:
    """What a job in a session of its own reports after lowering its priority."""
    wanted = max(niceness, _own_niceness())
    return {
        "niceness": wanted,
        "session": wanted if _new_sessions_have_autogroups() else None,
    }


@pytest.mark.parametrize(
    ("shown", "niceness"),
    [("/autogroup-85 nice 0\n", 0), ("/autogroup-7 nice 10\n", 10), ("", None)],
)
def test_a_session_s_niceness_is_read_and_an_empty_file_means_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shown: str, niceness: int | None
) -> None:
    """Linux leaves the file empty for a process in the first session (PID 1's)."""
    autogroup = tmp_path / "autogroup"
    autogroup.write_text(shown)
    monkeypatch.setattr(jobs, "AUTOGROUP", autogroup)
    assert jobs.session_niceness() == niceness
    monkeypatch.setattr(jobs, "AUTOGROUP", tmp_path / "absent")
    assert jobs.session_niceness() is None


def test_a_job_in_a_thread_of_the_web_keeps_the_web_s_priority(
    fresh_app: Flask,
) -> None:
    before = _own_niceness()
    with fresh_app.app_context():
        job = jobs.enqueue(jobs_work.report_priority, kind="test.priority")
        db.session.commit()
        job_id = job.id
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result["niceness"] == before
    assert _own_niceness() == before


def test_a_job_in_a_process_of_its_own_runs_below_the_web(
    fresh_app: Flask, scratch_database_url: str
) -> None:
    """``perform``, as an RQ work horse calls it, lowers its process's CPU priority and its
    session's to ``FRONTLINE_JOB_NICENESS`` (a process already nicer stays as it is)."""
    with fresh_app.app_context():
        job = Job(
            kind="test.priority",
            function="tests.core.jobs_work:report_priority",
            params={"args": []},
            backend="rq",
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "SECRET_KEY": "priority-test",
        "FRONTLINE_STORAGE_DIR": fresh_app.config["FRONTLINE_STORAGE_DIR"],
        "FRONTLINE_JOB_NICENESS": "7",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    code = "import sys, worker; worker.perform(int(sys.argv[1]))"
    subprocess.run(
        [sys.executable, "-c", code, str(job_id)],
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
        start_new_session=True,
    )
    done = wait_for(fresh_app, job_id, seconds=0)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == _lowered(7)


@requires_redis()
def test_an_rq_worker_runs_jobs_at_niceness_10_by_default(
    fresh_app: Flask, scratch_database_url: str
) -> None:
    queue, job_id = enqueue_for_rq(
        fresh_app, jobs_work.report_priority, kind="test.priority"
    )
    worker = run_rq_worker(fresh_app, queue, scratch_database_url)
    assert worker.returncode == 0, worker.stderr[-2000:]
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == _lowered(jobs.JOB_NICENESS)


def _command_in(session_of_its_own: bool) -> dict[str, Any]:
    """What ``command_yields_to_requests`` does in a process started as cron or a shell would."""
    code = (
        "import json, os; from core import jobs; "
        "yielded = jobs.command_yields_to_requests(); "
        "print(json.dumps({'yielded': yielded, "
        "'niceness': os.getpriority(os.PRIO_PROCESS, 0), "
        "'session': jobs.session_niceness()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "FRONTLINE_JOB_NICENESS": "7", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        start_new_session=session_of_its_own,
    )
    return json.loads(done.stdout)


def test_a_command_leading_its_own_session_runs_below_the_web() -> None:
    """As cron runs ``setsid flask ...``, or systemd a service: the session is its own."""
    assert _command_in(session_of_its_own=True) == {"yielded": True, **_lowered(7)}


def test_a_command_typed_in_a_shell_keeps_its_priority_and_the_shell_s() -> None:
    before = {"niceness": _own_niceness(), "session": jobs.session_niceness()}
    assert _command_in(session_of_its_own=False) == {"yielded": False, **before}
    assert jobs.session_niceness() == before["session"]


@pytest.mark.parametrize(
    "args",
    [
        ["tickets", "import", "{file}", "--source", "frontline", "--dry-run"],
        ["scorecards", "render", "--month", "2024-05", "--out", "{folder}"],
        ["scorecards", "send", "--month", "2024-05", "--dry-run"],
        ["backup", "--out", "{folder}/frontline.backup"],
    ],
    ids=["tickets import", "scorecards render", "scorecards send", "backup"],
)
def test_bulk_commands_yield_to_requests(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        jobs, "command_yields_to_requests", lambda: calls.append("yielded") or False
    )
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("ticket_id,channel,created_at\nT1,email,2024-05-02T10:00:00Z\n")
    args = [a.format(file=tickets, folder=tmp_path) for a in args]
    result = fresh_app.test_cli_runner().invoke(args=args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output
    )
    assert calls == ["yielded"]


def test_progress_after_reading_survives_another_writer(fresh_app: Flask) -> None:
    """On SQLite a transaction that has only read cannot write once someone else has
    committed; a job's progress must still be recorded, not fail as "database is locked"."""
    with fresh_app.app_context():
        job = jobs.enqueue(jobs_work.read_then_report, 20, kind="test.read")
        db.session.commit()
        job_id = job.id
        folder = jobs.job_dir(job_id)
    deadline = time.monotonic() + 20
    while not (folder / "read").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    with fresh_app.app_context():
        db.session.add(Team(name="Written meanwhile"))
        db.session.commit()
    (folder / "go").touch()
    done = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result == {"teams": 0}
