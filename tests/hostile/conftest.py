"""Fixtures and the Hypothesis profile for the hostile-input tests.

The profile keeps property tests reproducible and quick enough for CI: examples are drawn
from a fixed seed (``derandomize``), nothing is written to a ``.hypothesis`` folder, and
there is no per-example deadline (the machine is shared). ``HYPOTHESIS_PROFILE=thorough``
explores ten times as many examples with fresh randomness, for a local hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from incentives import month_cache
from incentives.scoring import queries as scoring_queries

_COMMON = {
    "database": None,
    "deadline": None,
    # The database isolation fixture is autouse; the property tests that touch the
    # database open a savepoint per example themselves.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=600, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _forget_cached_metrics() -> Iterator[None]:
    """Each test's database is rolled back and ids repeat: keep no figures across tests."""
    month_cache.forget()
    scoring_queries.forget_cached_scores()
    yield
    month_cache.forget()
    scoring_queries.forget_cached_scores()
