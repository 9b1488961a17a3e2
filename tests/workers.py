"""What each pytest-xdist worker keeps to itself when the suite runs in parallel.

``make test`` runs the suite in several processes (``-n auto --dist loadfile``): each test
file runs whole in one worker, so records built once per module stay in one process. Each
worker has its own:

- SQLite file: the session's temporary directory is already one per worker;
- PostgreSQL database: the given URL's database name plus the worker's id
  (``test`` becomes ``test_gw0``, ``test_gw1``), created when missing;
- Redis database: the given number plus the worker's number (``/0`` becomes ``/0`` and
  ``/1``), since some tests count and delete the rate limiter's keys.

The browser tests share one live server and one browser per worker, so they are kept
together in one worker. Without xdist (``-n 0``, or pytest run directly) nothing changes.
"""

from __future__ import annotations

import os

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BROWSER_TESTS = "tests/e2e/"


def worker_number() -> int | None:
    """0 for gw0, 1 for gw1...; None outside xdist."""
    return int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else None


def database_url(url: str | None) -> str | None:
    """The worker's own PostgreSQL database: the given database's name plus the worker id."""
    if not url or worker_number() is None:
        return url
    from sqlalchemy.engine import make_url

    given = make_url(url)
    return given.set(database=f"{given.database}_{WORKER}").render_as_string(
        hide_password=False
    )


def redis_url(url: str | None) -> str | None:
    """The worker's own Redis database: the given number plus the worker's number."""
    number = worker_number()
    if not url or number is None:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    given = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{given + number}"))


def create_database(url: str | None) -> None:
    """Create the worker's PostgreSQL database when it does not exist yet (the tests drop
    and rebuild its schema, as they do with the database given)."""
    if not url or worker_number() is None:
        return
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).scalar()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``, with every browser test in one worker: they share a live server
    and a browser that would otherwise be started in each worker."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserTestsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(BROWSER_TESTS):
                return BROWSER_TESTS
            return super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)
