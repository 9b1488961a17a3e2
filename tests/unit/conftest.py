"""Unit tests: the rules modules (core/layout.py) tested with plain inputs, no app, no
database. ``make test-fast`` runs this folder alone, in seconds."""

from __future__ import annotations

import pytest

#: Fixtures that build the app or touch a database.
APP_FIXTURES = frozenset(
    {"app", "app_ctx", "client", "runner", "seed", "module_seed", "login_as"}
    | {"database_url", "scratch_database_url", "scratch_postgres_url"}
)


@pytest.fixture(autouse=True)
def _no_app(request: pytest.FixtureRequest) -> None:
    used = sorted(APP_FIXTURES & set(request.fixturenames))
    assert not used, (
        f"a unit test uses {', '.join(used)}: it belongs beside the app's tests, "
        "outside tests/unit/"
    )
