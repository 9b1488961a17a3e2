"""One scorecard batch per month at a time: a second start shows the one already going.

Leadership starting the same month twice (two tabs, a double click, two leaders) gets the
batch that is queued or running, not a second set of render processes; a finished batch,
or one whose runner died, does not stand in the way of a new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from core import jobs
from core.access import Role
from core.db import db, utcnow
from core.jobs import Job, JobStatus
from core.people import User
from core.templating import format_datetime
from tests.factories import make_user
from tests.helpers import csrf_token, post_form, text

MARCH, APRIL = "2024-03", "2024-04"
KIND = "scorecards.render"
BATCHES = "/incentives/scorecards/batches"
STARTED_AT = dt.datetime(2024, 4, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Jobs stay as stored (nothing runs them); the ids that would have started."""
    started: list[int] = []
    monkeypatch.setattr(jobs, "_dispatch", lambda _app, job_id: started.append(job_id))
    return started


@pytest.fixture
def leader(seed, login_as) -> User:
    with seed():
        user = make_user(Role.LEADERSHIP, name="Helen Carter")
    login_as(user)
    return user


def stored_batch(
    seed, month: str, status: JobStatus, by: User, heard_from: dt.timedelta
) -> int:
    with seed():
        job = Job(
            kind=KIND,
            function="incentives.scorecards.pdfs:render_month_job",
            params={"args": [month]},
            status=status,
            backend="rq",
            created_by_id=by.id,
            created_at=STARTED_AT,
            started_at=STARTED_AT if status is not JobStatus.QUEUED else None,
            heartbeat_at=utcnow() - heard_from,
        )
        db.session.add(job)
    return job.id


def batch_ids(app: Flask, month: str) -> list[int]:
    with app.app_context():
        return [
            job.id
            for job in db.session.scalars(select_batches())
            if job.params["args"] == [month]
        ]


def select_batches() -> sa.Select:
    return sa.select(Job).where(Job.kind == KIND).order_by(Job.id)


def start(client, month: str = MARCH):
    page = f"/incentives/scorecards/leadership?month={month}"
    return post_form(client, BATCHES, {"month": month}, token_from=page)


@pytest.mark.parametrize(
    ("status", "heard_from", "state"),
    [
        (JobStatus.RUNNING, dt.timedelta(seconds=5), "running"),
        (JobStatus.QUEUED, dt.timedelta(0), "waiting to start"),
    ],
)
def test_a_second_start_for_a_month_shows_the_batch_already_going(
    app: Flask,
    client,
    seed,
    leader: User,
    dispatched: list[int],
    status: JobStatus,
    heard_from: dt.timedelta,
    state: str,
) -> None:
    going = stored_batch(seed, MARCH, status, leader, heard_from)
    response = start(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BATCHES}/{going}")
    assert batch_ids(app, MARCH) == [going]
    assert dispatched == []
    with app.app_context():
        at = format_datetime(STARTED_AT)
    page = " ".join(text(client.get(response.headers["Location"])).split())
    assert (
        f"A batch for March 2024 is already {state}, started by Helen Carter at {at}. "
        "Here is its progress; it was not started a second time."
    ) in page


@pytest.mark.parametrize(
    ("month", "status", "heard_from"),
    [
        (MARCH, JobStatus.DONE, dt.timedelta(minutes=1)),
        (MARCH, JobStatus.FAILED, dt.timedelta(minutes=1)),
        # Running, but its runner has not been heard from for a day: interrupted.
        (MARCH, JobStatus.RUNNING, dt.timedelta(days=1)),
        # Another month's batch running is no reason to wait.
        (APRIL, JobStatus.RUNNING, dt.timedelta(seconds=5)),
    ],
    ids=["done", "failed", "interrupted", "other-month-running"],
)
def test_a_finished_interrupted_or_other_months_batch_makes_way_for_a_new_one(
    app: Flask,
    client,
    seed,
    leader: User,
    dispatched: list[int],
    month: str,
    status: JobStatus,
    heard_from: dt.timedelta,
) -> None:
    old = stored_batch(seed, month, status, leader, heard_from)
    response = start(client)
    assert response.status_code == 302
    [new] = [i for i in batch_ids(app, MARCH) if i != old]
    assert response.headers["Location"].endswith(f"{BATCHES}/{new}")
    assert dispatched == [new]
    assert "already" not in text(client.get(response.headers["Location"]))
    # ... and the new batch, waiting to start, is the one a second start shows.
    again = start(client)
    assert again.headers["Location"].endswith(f"{BATCHES}/{new}")
    assert [i for i in batch_ids(app, MARCH) if i != old] == [new]
    assert dispatched == [new]


# --- two starts at the same moment, on separate connections ----------------------------


def test_two_starts_at_the_same_moment_make_one_batch(
    race_app: Flask, dispatched: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with race_app.app_context():
        leaders = [make_user(Role.LEADERSHIP), make_user(Role.LEADERSHIP)]
        db.session.commit()
        leader_ids = [user.get_id() for user in leaders]

    # Each request, once it has looked for a batch and found none, waits (up to 3 s)
    # for the other to get as far before storing its job. Without a lock both get
    # there and store one each; with it, the second is still waiting for the lock.
    both_looked = threading.Barrier(2)
    enqueue = jobs.enqueue

    def enqueue_when_both_looked(*args, **kwargs) -> Job:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait(timeout=3)
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(jobs, "enqueue", enqueue_when_both_looked)

    clients = []
    for user_id in leader_ids:
        client = race_app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        clients.append((client, csrf_token(client, "/")))
    go = threading.Barrier(len(clients))
    responses: list = []

    def post(client, token: str) -> None:
        go.wait(timeout=10)
        responses.append(
            client.post(BATCHES, data={"csrf_token": token, "month": MARCH})
        )

    threads = [threading.Thread(target=post, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    [only] = batch_ids(race_app, MARCH)
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"{BATCHES}/{only}"}
    assert dispatched == [only]
