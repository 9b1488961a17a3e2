"""Fixtures shared by every test: the app, database isolation, clients and logins.

The unit tests (``tests/unit/``) and the repository checks at the top of ``tests/`` never
build the app: nothing here imports it until a test asks for it, and the autouse fixtures
below step aside for them.

The schema is built once per session. Each test runs inside an outer transaction that is
rolled back afterwards, while the code under test may still commit and roll back: with
``join_transaction_mode="create_savepoint"`` its commits become savepoints (see
docs/style.md, "Database isolation"). Data that a module's tests only read can be built once
for the module (``module_seed``); each test then runs in a savepoint of the module's
transaction. Tests run on SQLite, or on PostgreSQL when ``FRONTLINE_TEST_DATABASE_URL`` is
set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import workers

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from core.people import User

TESTS = Path(__file__).resolve().parent
# Under pytest-xdist, each worker's own database and Redis database (tests/workers.py).
TEST_DATABASE_URL = workers.database_url(os.environ.get("FRONTLINE_TEST_DATABASE_URL"))
TEST_REDIS_URL = workers.redis_url(os.environ.get("FRONTLINE_TEST_REDIS_URL"))


def pytest_sessionstart(session: pytest.Session) -> None:
    workers.create_database(TEST_DATABASE_URL)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return workers.make_scheduler(config, log)


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": "frontline.test",
    "SMTP_HOST": None,
    # Background jobs run as soon as the request commits, in the test's transaction.
    "JOBS_BACKEND": "eager",
    # Scorecard batches lay out PDFs in the test process.
    "SCORECARD_WORKERS": 0,
}


def make_test_app(database_url: str, **overrides: object) -> Flask:
    from app import create_app

    return create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'frontline-test.db'}"


def needs_no_app(request: pytest.FixtureRequest) -> bool:
    """Unit tests and the repository checks beside this file run without the app."""
    path = request.node.path
    return path.parent == TESTS or path.is_relative_to(TESTS / "unit")


@pytest.fixture(scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords with argon2id at its lowest cost: a test proves what a password does,
    not how long guessing it takes. Production keeps argon2-cffi's defaults."""
    from argon2 import PasswordHasher

    from core import people

    previous = people.use_password_hasher(
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    yield
    people.use_password_hasher(previous)


@pytest.fixture(scope="session")
def app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    cheap_password_hashing: None,
) -> Iterator[Flask]:
    from core.db import db

    app = make_test_app(
        database_url, FRONTLINE_STORAGE_DIR=str(tmp_path_factory.mktemp("storage"))
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        for engine in db.engines.values():
            engine.dispose()


Opened = list[tuple[Any, Any, Any, Any]]


def _begin_isolation(app: Flask) -> Opened:
    """Swap each engine of ``db.engines`` for a connection in an outer transaction, or,
    when a module's shared data already holds one, open a savepoint inside it."""
    import sqlalchemy as sa

    from core.db import db

    with app.app_context():
        engines = db.engines
        db.session.configure(join_transaction_mode="create_savepoint")
    opened: Opened = []
    for key, bind in list(engines.items()):
        if isinstance(bind, sa.Connection):
            opened.append((key, None, bind, bind.begin_nested()))
            continue
        connection = bind.connect()
        opened.append((key, bind, connection, connection.begin()))
        engines[key] = connection
    return opened


def _end_isolation(app: Flask, opened: Opened) -> None:
    from core.db import db

    with app.app_context():
        engines = db.engines
    for key, engine, connection, transaction in reversed(opened):
        if transaction.is_active:
            transaction.rollback()
        if engine is not None:
            connection.close()
            engines[key] = engine


@pytest.fixture(autouse=True)
def _isolate_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test in an outer transaction that is rolled back; app commits become savepoints."""
    if needs_no_app(request):
        yield
        return
    from core.extensions import limiter

    app = request.getfixturevalue("app")
    opened = _begin_isolation(app)
    limiter.reset()
    yield
    _end_isolation(app, opened)


@pytest.fixture(autouse=True)
def login_pauses(request: pytest.FixtureRequest) -> list[float]:
    """The pauses logins asked for (core.login_throttle), recorded instead of slept."""
    pauses: list[float] = []
    if needs_no_app(request):
        return pauses
    from core import login_throttle

    request.getfixturevalue("monkeypatch").setattr(
        login_throttle, "pause", pauses.append
    )
    return pauses


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """An app context for database tests of operations and queries (not for client tests)."""
    from core.db import db

    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client: FlaskClient):
    """Log ``client`` in as a user, the way Flask-Login stores it in the session."""

    def login(user: User) -> FlaskClient:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return login


@contextmanager
def _scratch_postgres() -> Iterator[str]:
    """A PostgreSQL database created for one test and dropped after it."""
    import uuid

    import sqlalchemy as sa

    name = f"frontline_scratch_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(TEST_DATABASE_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        admin.dispose()


@pytest.fixture
def scratch_database_url(tmp_path) -> Iterator[str]:
    """A brand-new empty database outside the test isolation, for tests that need real
    commits or several connections: a file on SQLite, a scratch database on PostgreSQL."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with _scratch_postgres() as url:
        yield url


@pytest.fixture
def race_app(scratch_database_url: str) -> Iterator[Flask]:
    """An app on a scratch database whose commits are real, for races between requests."""
    from core.db import db

    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def scratch_postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database; the test is skipped without FRONTLINE_TEST_DATABASE_URL."""
    if not TEST_DATABASE_URL:
        pytest.skip("set FRONTLINE_TEST_DATABASE_URL to run on PostgreSQL")
    with _scratch_postgres() as url:
        yield url


def requires_postgres() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason="set FRONTLINE_TEST_DATABASE_URL to run on PostgreSQL",
    )


def requires_redis() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not TEST_REDIS_URL, reason="set FRONTLINE_TEST_REDIS_URL to run against Redis"
    )


def _seeding(app: Flask) -> Callable[[], AbstractContextManager[None]]:
    from core.db import db

    @contextmanager
    def seeding() -> Iterator[None]:
        with app.app_context():
            yield
            db.session.commit()
            for obj in list(db.session.identity_map.values()):
                db.session.refresh(obj)
            db.session.expunge_all()

    return seeding


@pytest.fixture
def seed(app: Flask) -> Callable[[], AbstractContextManager[None]]:
    """Create records for HTTP tests, committed so that requests see them.

    ``with seed(): user = make_user(...)``. On leaving the block everything is committed
    (inside the test's outer transaction) and the objects stay readable, detached.
    """
    return _seeding(app)


@pytest.fixture(scope="module")
def module_seed(app: Flask) -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """Like ``seed``, for records a whole module's tests share and only read.

    The records are built once, in a transaction the module holds open; each of its tests
    then runs in a savepoint of that transaction, rolled back afterwards, so what one test
    changes the next never sees. Everything is rolled back when the module is done.
    """
    opened = _begin_isolation(app)
    yield _seeding(app)
    _end_isolation(app, opened)
