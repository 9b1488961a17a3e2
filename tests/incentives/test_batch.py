"""A month's scorecards rendered as a batch: on the command line, through worker processes,
and as a background job on an RQ queue served by ``rq worker``."""

from __future__ import annotations

import gc
import os
import uuid
import zipfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from flask import Flask

from core import jobs
from core.db import db
from core.jobs import Job, JobStatus
from incentives.scorecards import pdf_batch
from incentives.scorecards import pdfs as scorecard_pdfs
from incentives.scoring import operations as scoring_operations
from tests.conftest import TEST_REDIS_URL, requires_redis
from tests.core.test_jobs import fresh_app, run_rq_worker, wait_for  # noqa: F401
from tests.core.test_pdf import pdf_text
from tests.incentives import scoring_world

MARCH = "2024-03"


def test_render_writes_a_pdf_per_rep_and_team_and_the_pack(
    app_ctx, runner, tmp_path: Path
) -> None:
    world = scoring_world.build()
    db.session.commit()
    out = tmp_path / "out"
    result = runner.invoke(
        args=["scorecards", "render", "--month", MARCH, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 6 PDFs" in result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    assert written == [
        "leadership.pdf",
        f"reps/ann-example-{world.ann.id}.pdf",
        f"reps/bob-example-{world.bob.id}.pdf",
        f"reps/cat-example-{world.cat.id}.pdf",
        f"teams/desk-{world.desk.id}.pdf",
        f"teams/other-{world.other.id}.pdf",
    ]
    # Laid out together, split apart: each file holds its own rep, numbered from 1.
    bob = pdf_text(
        (out / f"reps/bob-example-{world.bob.id}.pdf").read_bytes(), tmp_path
    )
    assert "Bob Example" in bob
    assert "Ann Example" not in bob
    assert "Page 1" in bob
    pack = " ".join(pdf_text((out / "leadership.pdf").read_bytes(), tmp_path).split())
    assert "Leadership pack · March 2024" in pack
    assert "Hiring-test validity" in pack


def test_worker_processes_write_the_same_files(app_ctx, tmp_path: Path) -> None:
    world = scoring_world.build()
    report = scorecard_pdfs.render_month(MARCH, tmp_path, workers=2, chunk=2)
    assert (report.reps, report.teams, len(report.files)) == (3, 2, 6)
    assert 0 < report.reps_seconds <= report.seconds
    ann = pdf_text(
        (tmp_path / f"reps/ann-example-{world.ann.id}.pdf").read_bytes(), tmp_path
    )
    assert "20.0" in ann


def test_progress_moves_from_the_first_second_and_says_the_time_left(
    app_ctx, tmp_path: Path, monkeypatch
) -> None:
    scoring_world.build()
    # Look often: on a fast machine six scorecards take less than the half second the
    # batch waits between counts, and the count would jump from none to all.
    monkeypatch.setattr(scorecard_pdfs, "PROGRESS_EVERY", 0.005)
    # Scorecards an earlier batch left in the folder are not counted as this one's.
    (tmp_path / "reps").mkdir()
    (tmp_path / "reps" / "old.pdf").write_bytes(b"%PDF old")
    os.utime(tmp_path / "reps" / "old.pdf", (0, 0))
    seen: list[tuple[int, int | None, str]] = []
    scorecard_pdfs.render_month(
        MARCH,
        tmp_path,
        workers=2,
        chunk=1,
        progress=lambda done, total=None, message="": seen.append(
            (done, total, message)
        ),
    )
    assert seen[0] == (0, None, "Reading the month's scores")
    assert seen[1] == (0, 6, "Making 6 scorecards")
    counts = [done for done, total, _m in seen if total]
    assert counts == sorted(counts)  # never backwards
    assert counts[-1] == 6
    assert len(set(counts)) >= 3  # scorecard by scorecard, not all at the end
    assert any(m.endswith(" left") for _d, _t, m in seen)
    assert seen[-1][2] == "All 6 scorecards written"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.2, "1 s"), (42, "42 s"), (89, "89 s"), (150, "2 min"), (4000, "1 h 7 min")],
)
def test_time_left_in_words(seconds: float, words: str) -> None:
    assert scorecard_pdfs.remaining_text(seconds) == words


def test_batch_work_relaxes_the_cycle_collector_and_restores_it() -> None:
    before = gc.get_threshold()
    with pdf_batch.fewer_collections():
        assert gc.get_threshold() == pdf_batch.BATCH_GC_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), pdf_batch.fewer_collections():
        raise RuntimeError("a failed layout")
    assert gc.get_threshold() == before


def test_a_worker_is_prepared_for_batch_work() -> None:
    """In a process of its own, as the pool starts it: what was imported is frozen out of
    collections and the thresholds are the batch's."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        threshold, frozen = pool.submit(_prepared_state).result()
    assert threshold == pdf_batch.BATCH_GC_THRESHOLDS
    assert frozen > 0


def _prepared_state() -> tuple[tuple[int, int, int], int]:
    pdf_batch.prepare_worker()
    return gc.get_threshold(), gc.get_freeze_count()


def test_a_bad_month_is_refused(runner, tmp_path: Path) -> None:
    result = runner.invoke(
        args=["scorecards", "render", "--month", "2024-13", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


@requires_redis()
def test_the_web_batch_runs_on_rq_when_redis_is_set(
    fresh_app: Flask,  # noqa: F811
    scratch_database_url: str,
) -> None:
    queue = f"frontline-test-{uuid.uuid4().hex[:8]}"
    fresh_app.config.update(REDIS_URL=TEST_REDIS_URL, RQ_QUEUE=queue)
    with fresh_app.app_context():
        world = scoring_world.build()
        scoring_operations.close_month(MARCH, by=world.admin)
        job = jobs.enqueue(
            scorecard_pdfs.render_month_job,
            MARCH,
            kind="scorecards.render",
            by=world.leader,
        )
        db.session.commit()
        job_id = job.id
    worker = run_rq_worker(fresh_app, queue, scratch_database_url)
    assert worker.returncode == 0, worker.stderr[-2000:]
    done: Job = wait_for(fresh_app, job_id)
    assert done.status is JobStatus.DONE, done.error
    assert done.result["reps"] == 3
    assert done.progress == done.total == 6
    archive = Path(fresh_app.config["FRONTLINE_STORAGE_DIR"]) / "jobs" / str(job_id)
    with zipfile.ZipFile(archive / done.result["zip"]) as packed:
        assert "leadership.pdf" in packed.namelist()
        assert len(packed.namelist()) == 6
