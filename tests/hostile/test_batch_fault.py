"""A month's scorecard batch killed halfway starts again cleanly.

Two runners are killed with SIGKILL (their whole process group: the PDF worker processes
die with them) once the batch is demonstrably halfway, rep scorecards written and the
leadership pack not yet:

- ``flask --app app scorecards render``: no PDF left under its final name is cut off, and
  the same command run again writes the complete set and leaves no partial file.
- the background job, run by a process of its own (as a web worker's thread or an RQ work
  horse runs it) and, when ``FRONTLINE_TEST_REDIS_URL`` is set, by ``rq worker``: its row
  stays "running" (nothing was left alive to say otherwise) until its heartbeat is stale,
  then the batch page shows it interrupted with no download, and "Start again" renders the
  full month.

Bounded: every wait has a limit and every process group is killed on the way out.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from core import jobs
from core.db import db
from core.jobs import Job, JobStatus
from core.people import User
from incentives.scorecards import pdf_batch
from tests.conftest import TEST_REDIS_URL, make_test_app
from tests.core.test_jobs import wait_for
from tests.helpers import post_form, text
from tests.hostile.processes import ROOT, kill_group_when, process_group
from tests.incentives import scoring_world

MARCH = "2024-03"
#: 3 reps, 2 teams and the leadership pack.
FILES = 6
#: Time limits (seconds): for a batch to get halfway, and for a whole batch.
HALFWAY_LIMIT, RUN_LIMIT = 90.0, 180.0


def complete_pdf(data: bytes) -> bool:
    """A whole PDF: the header, and the cross-reference trailer that ends the file."""
    tail = data[-1024:].rstrip()
    return (
        data.startswith(b"%PDF-") and b"startxref" in tail and tail.endswith(b"%%EOF")
    )


def _pdfs(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.pdf")
    }


def _partials(folder: Path) -> list[Path]:
    return list(folder.rglob(f"*{pdf_batch.PARTIAL_SUFFIX}"))


def halfway(folder: Path) -> Callable[[], bool]:
    """Rep scorecards written, the leadership pack (written last) not yet."""

    def check() -> bool:
        reps = folder / "reps"
        return (
            reps.is_dir()
            and any(reps.glob("*.pdf"))
            and not (folder / "leadership.pdf").exists()
        )

    return check


@pytest.fixture
def world_url(scratch_database_url: str) -> Iterator[str]:
    """A database with the scoring world's March (3 reps in 2 teams), committed."""
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        scoring_world.build()
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return scratch_database_url


def _environment(database_url: str, storage: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "batch-fault-test",
        "FRONTLINE_STORAGE_DIR": str(storage),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    return env


def test_a_killed_render_command_starts_again_cleanly(
    world_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    flask = str(Path(sys.executable).with_name("flask"))
    command = [flask, "--app", "app", "scorecards", "render", "--month", MARCH]
    # Laid out in the command's own process: quicker to start than worker processes.
    command += ["--out", str(out), "--workers", "0"]
    env = _environment(world_url, tmp_path / "storage")

    with process_group(command, env) as process:
        kill_group_when(process, halfway(out), what="halfway", limit=HALFWAY_LIMIT)
    left = _pdfs(out)
    assert 0 < len(left) < FILES
    assert all(complete_pdf(data) for data in left.values()), sorted(left)

    again = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, timeout=RUN_LIMIT, check=False
    )
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert f"Wrote {FILES} PDFs" in again.stdout.decode()
    written = _pdfs(out)
    assert len(written) == FILES
    assert "leadership.pdf" in written
    assert all(complete_pdf(data) for data in written.values())
    assert not _partials(out)


def _perform(job_id: int) -> list[str]:
    """A process running one job, as a web worker's thread or an RQ work horse runs it."""
    code = "import sys, worker; worker.perform(int(sys.argv[1]))"
    return [sys.executable, "-c", code, str(job_id)]


def _rq_worker(queue: str, *, burst: bool = False) -> list[str]:
    rq = str(Path(sys.executable).with_name("rq"))
    options = ["--burst"] if burst else []
    return [rq, "worker", *options, "--url", TEST_REDIS_URL or "", queue]


RUNNERS = [
    pytest.param("process", id="process"),
    pytest.param(
        "rq",
        id="rq-worker",
        marks=pytest.mark.skipif(
            not TEST_REDIS_URL, reason="set FRONTLINE_TEST_REDIS_URL to run rq worker"
        ),
    ),
]


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_batch_whose_runner_is_killed_shows_interrupted_and_starts_again(
    runner: str, world_url: str, tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    queue = f"frontline-test-{uuid.uuid4().hex[:8]}"
    settings: dict[str, object] = {"FRONTLINE_STORAGE_DIR": str(storage)}
    if runner == "rq":
        settings |= {
            "JOBS_BACKEND": "rq",
            "REDIS_URL": TEST_REDIS_URL,
            "RQ_QUEUE": queue,
        }
    else:
        settings |= {"JOBS_BACKEND": "thread"}
    app = make_test_app(world_url, **settings)
    env = _environment(world_url, storage)
    if runner == "rq":
        env["REDIS_URL"] = TEST_REDIS_URL or ""

    with app.app_context():
        leader = db.session.scalars(
            db.select(User).where(User.email == "lee@example.com")
        ).one()
        leader_id, leader_session = leader.id, leader.get_id()
        first = Job(
            kind="scorecards.render",
            function="incentives.scorecards.pdfs:render_month_job",
            params={"args": [MARCH]},
            backend=runner,
            created_by_id=leader_id,
        )
        db.session.add(first)
        db.session.commit()
        first_id = first.id
        if runner == "rq":
            from redis import Redis
            from rq import Queue

            Queue(queue, connection=Redis.from_url(TEST_REDIS_URL)).enqueue(
                jobs.WORKER_ENTRY, first_id, job_timeout=jobs.RQ_TIMEOUT
            )
        db.session.remove()

    # The month's kept scorecards: where every batch of the month lays them out.
    batch = storage / "scorecards" / MARCH
    command = _perform(first_id) if runner == "process" else _rq_worker(queue)
    with process_group(command, env) as process:
        kill_group_when(process, halfway(batch), what="halfway", limit=HALFWAY_LIMIT)
    left = _pdfs(batch)
    assert left
    assert all(complete_pdf(data) for data in left.values()), sorted(left)

    with app.app_context():
        killed = db.session.get(Job, first_id)
        # Nothing was left alive to record the end: the row still says running.
        assert killed.status is JobStatus.RUNNING
        assert killed.heartbeat_at is not None
        assert killed.finished_at is None
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = leader_session
        session["_fresh"] = True
    detail = f"/incentives/scorecards/batches/{first_id}"
    # Once its heartbeat is stale (a second here, a minute by default) it is interrupted.
    app.config["JOBS_STALE_AFTER"] = 1
    deadline = time.monotonic() + 20
    while True:
        status = client.get(f"{detail}.json").get_json()
        if status["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["status"] == "failed", status
    assert status["status_label"] == "Interrupted"
    assert status["error"] == jobs.INTERRUPTED
    assert status["finished"] is True
    assert "download" not in status
    assert client.get(f"{detail}/download").status_code == 404
    page = text(client.get(detail))
    assert "Interrupted" in page
    assert "Start again" in page

    # Still interrupted when "Start again" is pressed: a batch that is really running
    # would be shown instead of a second one starting.
    response = post_form(
        client,
        "/incentives/scorecards/batches",
        {"month": MARCH},
        token_from=detail,
    )
    app.config["JOBS_STALE_AFTER"] = None
    assert response.status_code == 302, text(response)[:500]
    match = re.search(r"/scorecards/batches/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    second_id = int(match.group(1))
    assert second_id != first_id
    if runner == "rq":
        with process_group(_rq_worker(queue, burst=True), env) as worker:
            worker.wait(timeout=RUN_LIMIT)
    done = _wait_done(app, second_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result["files"] == FILES
    with client.get(f"/incentives/scorecards/batches/{second_id}/download") as download:
        assert download.status_code == 200
        archive = download.data
    with zipfile.ZipFile(io.BytesIO(archive)) as packed:
        names = packed.namelist()
        assert len(names) == FILES
        assert "leadership.pdf" in names
        assert all(complete_pdf(packed.read(name)) for name in names)
    assert not _partials(storage / "jobs" / str(second_id))
    assert not _partials(batch)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _wait_done(app: Flask, job_id: int) -> Job:
    job = wait_for(app, job_id, seconds=RUN_LIMIT)
    assert job.is_finished, f"job {job_id} did not finish within {RUN_LIMIT:.0f} s"
    return job
