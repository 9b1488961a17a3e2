"""Two supervisors approving the same request at the same moment make exactly one grant.

These tests need real, separate database connections, so they build their own app on
their own database (a temp SQLite file, or a scratch PostgreSQL database created and
dropped here) instead of the suite's single rolled-back connection.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from core.access import Role
from core.db import db
from core.errors import Conflict
from core.people import User
from tests.conftest import make_test_app, requires_postgres
from tests.factories import make_team, make_user
from tests.training.factories import load_small, make_authority, make_request, play
from training import operations
from training.models import Grant, SignoffApproval, SignoffRequest


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
                grant = operations.approve_signoff(
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
