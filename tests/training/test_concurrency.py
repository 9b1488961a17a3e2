"""Two supervisors approving the same request at the same moment make exactly one grant.

These tests need real, separate database connections, so they build their own app on
their own database (a temp SQLite file, or a scratch PostgreSQL database created and
dropped here) instead of the suite's single rolled-back connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from markupsafe import escape
from werkzeug.test import TestResponse

from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict
from core.people import User
from tests.conftest import make_test_app, requires_postgres
from tests.factories import make_team, make_user
from tests.helpers import csrf_token
from tests.training.factories import (
    load_small,
    make_authority,
    make_grant,
    make_request,
    play,
)
from training import authority_operations, authority_queries, operations, queries
from training.models import (
    Assignment,
    Attempt,
    Authority,
    Curriculum,
    Grant,
    GrantRevocation,
    SignoffApproval,
    SignoffRequest,
)
from training.scenarios import parse_scenario


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'race.db'}"


def _prepare(app: Flask, limit: int) -> tuple[int, list[int]]:
    """A rep with a pending request and two supervisors of their team; all committed."""
    with app.app_context():
        db.create_all()
        team = make_team("Race team")
        supervisors = [make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)]
        team.supervisors = supervisors
        rep = make_user(Role.REP, team=team)
        load_small()
        play(rep, [0, 0])
        request = make_request(rep, make_authority(), limit)
        db.session.commit()
        return request.id, [s.id for s in supervisors]


def _race(app: Flask, request_id: int, supervisor_ids: list[int]) -> list[str]:
    """Both supervisors load the request, wait for each other, then approve at once."""
    barrier = threading.Barrier(len(supervisor_ids))
    outcomes: list[str] = []

    def approve(supervisor_id: int) -> None:
        with app.app_context():
            supervisor = db.session.get(User, supervisor_id)
            request = db.session.get(SignoffRequest, request_id)
            _ = (request.approvals, request.rep.team_id, supervisor.viewer())
            barrier.wait(timeout=10)
            try:
                grant = authority_operations.approve_signoff(
                    request, by=supervisor, limit=request.limit
                )
                db.session.commit()
                outcomes.append("granted" if grant else "approved")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in supervisor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def _check_one_grant(url: str, limit: int) -> list[str]:
    app = make_test_app(url)
    try:
        request_id, supervisors = _prepare(app, limit)
        outcomes = _race(app, request_id, supervisors)
        with app.app_context():
            grants = db.session.scalar(sa.select(sa.func.count()).select_from(Grant))
            approvals = db.session.scalar(
                sa.select(sa.func.count()).select_from(SignoffApproval)
            )
            request = db.session.get(SignoffRequest, request_id)
            assert (request.approval_count, approvals) == (1, 1)
            assert grants == (1 if request.status == "approved" else 0)
            db.session.remove()
        return outcomes
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.mark.parametrize("limit", [100, 400], ids=["one-approval", "two-person"])
def test_simultaneous_approvals_make_one_grant_on_sqlite(sqlite_url, limit) -> None:
    outcomes = _check_one_grant(sqlite_url, limit)
    expected = "granted" if limit == 100 else "approved"
    assert outcomes == sorted([expected, "conflict"])


@requires_postgres()
@pytest.mark.postgres
@pytest.mark.parametrize("limit", [100, 400], ids=["one-approval", "two-person"])
def test_simultaneous_approvals_make_one_grant_on_postgres(
    scratch_postgres_url, limit
) -> None:
    outcomes = _check_one_grant(scratch_postgres_url, limit)
    expected = "granted" if limit == 100 else "approved"
    assert outcomes == sorted([expected, "conflict"])


# --- the same post twice at once, over HTTP -----------------------------------------------
#
# Two tabs (or a double click) send the same one-time action at the same moment. Each
# post runs in its own thread with its own connection. A hook makes both wait for each
# other at the point where the first would have written, so that without a guard both
# would have read the same state. Where a guard makes the second wait for the first (a
# row lock on PostgreSQL, SQLite's one writer at a time), the first goes on alone after a
# short wait. Either way: no 500, one record, and the second post is redirected to it
# or told it is done.


#: A scenario with a question that can come back: asking again leads to the same node
#: with the same points, so only the number of answers tells two answers apart.
LOOP = """
key: loop
title: A question that comes back
channel: phone
pass_mark: 50
start: ask
nodes:
  ask:
    customer: Can you say that again?
    choices:
      - {text: Say it again, points: 0, feedback: Patient, next: ask}
      - {text: Put it in writing, points: 10, feedback: Clear, next: done}
  done:
    end: Understood.
"""


@dataclass
class WebWorld:
    app: Flask
    ids: dict[str, int]


@pytest.fixture
def web_world(scratch_database_url: str, request) -> Iterator[WebWorld]:
    """Two supervisors of a rep who passed the small scenario 3 hours ago, a grant, a
    request for one approval and one for two, and (unless the test starts one) an
    attempt in progress."""
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        team = make_team("Race team")
        sup1, sup2 = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
        admin = make_user(Role.ADMIN)
        team.supervisors = [sup1, sup2]
        rep = make_user(Role.REP, team=team)
        load_small()
        operations.load_scenarios([parse_scenario(LOOP)], by="test")
        play(rep, [0, 0], at=utcnow() - dt.timedelta(hours=3))
        loop = operations.start_attempt(rep, "loop")
        refund = make_authority()
        make_authority("replacement")
        make_authority("goodwill_credit")
        grant = make_grant(rep, refund, sup1, limit=100)
        single = make_request(rep, refund, 100)
        double = make_request(
            rep, authority_queries.get_authority_by_code("replacement"), 400
        )
        starts = request.node.callspec.params.get("action") == "start an attempt"
        attempt = None if starts else operations.start_attempt(rep, "small")
        db.session.commit()
        ids = {
            "sup1": sup1.id,
            "sup2": sup2.id,
            "admin": admin.id,
            "rep": rep.id,
            "grant": grant.id,
            "single": single.id,
            "double": double.id,
            "attempt": attempt.id if attempt else 0,
            "loop": loop.id,
        }
    try:
        yield WebWorld(app, ids)
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def _meet_here(monkeypatch, module: Any, name: str, barrier: threading.Barrier) -> None:
    """Make ``module.name`` wait (briefly) for the other post before it goes on."""
    original = getattr(module, name)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return result

    monkeypatch.setattr(module, name, waiting)


@dataclass(frozen=True)
class DoublePost:
    """One action posted twice at once: by whom, where, what, and where to meet."""

    who: tuple[str, str]
    page: str
    url: str
    data: dict[str, str]
    meet: tuple[Any, str]


DUE = (dt.date.today() + dt.timedelta(days=7)).isoformat()

DOUBLE_POSTS = {
    "sign-off request": DoublePost(
        ("rep", "rep"),
        "/training/authorities/goodwill_credit/request",
        "/training/authorities/goodwill_credit/request",
        {"rep_id": "{rep}", "limit": "50"},
        (authority_queries, "get_pending_request"),
    ),
    "assign": DoublePost(
        ("sup1", "sup1"),
        "/training/assignments/new",
        "/training/assignments/new",
        {"target": "s:small", "who": "rep:{rep}", "due_on": DUE},
        (queries, "open_assignments"),
    ),
    "start an attempt": DoublePost(
        ("rep", "rep"),
        "/training/scenarios/small",
        "/training/scenarios/small/attempts",
        {},
        (queries, "get_open_attempt"),
    ),
    "answer": DoublePost(
        ("rep", "rep"),
        "/training/attempts/{attempt}",
        "/training/attempts/{attempt}/answer",
        {"choice": "0", "step": "0"},
        (operations, "check_answerable"),
    ),
    "answer a question that comes back": DoublePost(
        ("rep", "rep"),
        "/training/attempts/{loop}",
        "/training/attempts/{loop}/answer",
        {"choice": "0", "step": "0"},
        (operations, "check_answerable"),
    ),
    "approve, two supervisors": DoublePost(
        ("sup1", "sup2"),
        "/training/signoffs/{single}",
        "/training/signoffs/{single}/approve",
        {"limit": "100"},
        (authority_operations, "_check_pending"),
    ),
    "approve twice, one supervisor": DoublePost(
        ("sup1", "sup1"),
        "/training/signoffs/{double}",
        "/training/signoffs/{double}/approve",
        {"limit": "400"},
        (authority_operations, "_check_pending"),
    ),
    "approve and decline": DoublePost(
        ("sup1", "sup2"),
        "/training/signoffs/{single}",
        "/training/signoffs/{single}/{action}",
        {"limit": "100", "reason": "Not yet."},
        (authority_operations, "_check_pending"),
    ),
    "revoke": DoublePost(
        ("sup1", "sup2"),
        "/training/grants/{grant}",
        "/training/grants/{grant}/revoke",
        {"reason": "Under review."},
        (authority_operations, "can_supervise_rep"),
    ),
}


def _post_twice(
    world: WebWorld, post: DoublePost, monkeypatch
) -> list[tuple[TestResponse, list[str]]]:
    """Both responses, each with the messages flashed to its tab."""
    barrier = threading.Barrier(2)
    _meet_here(monkeypatch, *post.meet, barrier)
    responses: list[TestResponse] = []
    flashes: list[list[str]] = []
    with world.app.app_context():
        users = {
            who: db.session.get(User, world.ids[who]).get_id() for who in set(post.who)
        }
    actions = iter(["approve", "decline"])

    def send(who: str) -> None:
        client = world.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = users[who], True
        token = csrf_token(client, post.page.format(**world.ids))
        url = post.url.format(**world.ids, action=next(actions))
        data = {k: v.format(**world.ids) for k, v in post.data.items()}
        responses.append(client.post(url, data={"csrf_token": token, **data}))
        with client.session_transaction() as session:
            flashes.append([message for _kind, message in session.get("_flashes", [])])

    threads = [threading.Thread(target=send, args=(who,)) for who in post.who]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == 2
    return list(zip(responses, flashes, strict=True))


def _count(world: WebWorld, model: Any, *where: Any) -> int:
    with world.app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(*where)
        )
        db.session.remove()
        return count


@pytest.mark.parametrize("action", list(DOUBLE_POSTS))
def test_the_same_post_twice_at_once_makes_one_record_and_no_error(
    web_world: WebWorld, monkeypatch, action: str
) -> None:
    post = DOUBLE_POSTS[action]
    answered = _post_twice(web_world, post, monkeypatch)
    responses = [response for response, _flashes in answered]
    assert sorted(r.status_code for r in responses) == [302, 302], [
        (r.status_code, r.get_data(as_text=True)[:300]) for r in responses
    ]
    ids = web_world.ids
    if action == "sign-off request":
        pending = SignoffRequest.status == "pending"
        assert _count(web_world, SignoffRequest, pending) == 3
        # One post made the request; the other is shown it.
        with web_world.app.app_context():
            made = db.session.scalar(sa.select(sa.func.max(SignoffRequest.id)))
            db.session.remove()
        assert sorted(r.location for r in responses) == [
            "/training/signoffs",
            f"/training/signoffs/{made}",
        ]
    elif action == "assign":
        assert _count(web_world, Assignment, Assignment.scenario_key == "small") == 1
    elif action == "start an attempt":
        open_attempts = Attempt.status == "in_progress", Attempt.id != ids["loop"]
        assert _count(web_world, Attempt, *open_attempts) == 1
        assert len({r.location for r in responses}) == 1
    elif action.startswith("answer"):
        attempt_id = ids["loop" if "comes back" in action else "attempt"]
        with web_world.app.app_context():
            assert len(db.session.get(Attempt, attempt_id).path) == 1
            db.session.remove()
        # One tab recorded the answer; the other was told so, not recorded over it.
        told = [flashes for _response, flashes in answered if flashes]
        assert told == [
            ["That question was already answered; here is where you are now."]
        ]
    elif action.startswith("approve"):
        request_id = ids["double" if "one supervisor" in action else "single"]
        approvals = _count(
            web_world, SignoffApproval, SignoffApproval.request_id == request_id
        )
        grants = _count(web_world, Grant, Grant.request_id == request_id)
        with web_world.app.app_context():
            status = db.session.get(SignoffRequest, request_id).status
            db.session.remove()
        if action == "approve and decline":
            assert (status, approvals, grants) in {
                ("approved", 1, 1),
                ("declined", 0, 0),
            }
        elif action == "approve twice, one supervisor":
            assert (status, approvals, grants) == ("pending", 1, 0)
        else:
            assert (status, approvals, grants) == ("approved", 1, 1)
    elif action == "revoke":
        assert _count(web_world, GrantRevocation) == 1
    for response in responses:
        assert response.location.startswith("/training/")


NEW_RECORDS = {
    "curriculum": (
        DoublePost(
            ("sup1", "sup2"),
            "/training/curricula/new",
            "/training/curricula/new",
            {"name": "Basics", "steps-0": "small"},
            (operations, "check_keys"),
        ),
        Curriculum,
        "There is already a curriculum with that name.",
    ),
    "authority": (
        DoublePost(
            ("admin", "admin"),
            "/training/authorities/new",
            "/training/authorities/new",
            {
                "code": "courier_upgrade",
                "name": "Courier upgrade",
                "unit": "USD",
                "max_limit": "40",
                "validity_days": "365",
                "is_active": "y",
            },
            (queries, "scenario_titles"),
        ),
        Authority,
        "Another authority already uses this code.",
    ),
}


@pytest.mark.parametrize("action", list(NEW_RECORDS))
def test_two_records_of_one_name_at_once_make_one_and_a_message(
    web_world: WebWorld, monkeypatch, action: str
) -> None:
    """Both posts checked that the name was free before either saved it."""
    post, model, message = NEW_RECORDS[action]
    before = _count(web_world, model)
    answered = _post_twice(web_world, post, monkeypatch)
    statuses = sorted(response.status_code for response, _flashes in answered)
    assert statuses == [302, 400]
    refused = next(r for r, _flashes in answered if r.status_code == 400)
    assert escape(message) in refused.get_data(as_text=True)
    assert _count(web_world, model) == before + 1
