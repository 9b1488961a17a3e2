"""On SQLite, concurrent writers wait their turn instead of failing with "database is locked".

Several processes (as gunicorn workers would be) post failed logins at once: each request
reads the account, checks the password, then writes an audit event.
"""

from __future__ import annotations

import multiprocessing

import pytest

from core import accounts
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from tests.conftest import TEST_DATABASE_URL, make_test_app
from tests.helpers import csrf_token

pytestmark = pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="about SQLite's locking; PostgreSQL has row locks"
)

WORKERS, ATTEMPTS = 4, 15


def _worker(database_url: str, worker: int, results) -> None:
    app = make_test_app(
        database_url,
        LOGIN_RATE_LIMIT="10000 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="10000 per minute",
        TESTING=False,
    )
    client = app.test_client()
    token = csrf_token(client)
    statuses = [
        client.post(
            "/auth/login",
            data={
                "csrf_token": token,
                "email": "busy@example.com",
                "password": "wrong one!",
            },
            environ_base={"REMOTE_ADDR": f"10.1.0.{worker}"},
        ).status_code
        for _ in range(ATTEMPTS)
    ]
    results.put(statuses)


def test_concurrent_workers_that_read_then_write_all_succeed(
    scratch_database_url: str,
) -> None:
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        accounts.create_user(
            accounts.UserInput("busy@example.com", "Busy", frozenset({Role.REP})),
            by="test",
            password="the right passphrase",
        )
        db.session.commit()
        db.engine.dispose()  # no connection may cross the fork

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(scratch_database_url, n, results))
        for n in range(WORKERS)
    ]
    for process in workers:
        process.start()
    statuses = [status for _ in workers for status in results.get(timeout=120)]
    for process in workers:
        process.join(timeout=30)

    assert statuses == [200] * (WORKERS * ATTEMPTS), sorted(set(statuses))
    with app.app_context():
        failed = db.session.scalar(
            db.select(db.func.count()).where(AuditEvent.action == "auth.login_failed")
        )
        assert failed == WORKERS * ATTEMPTS
        db.engine.dispose()
