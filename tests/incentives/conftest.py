"""Incentives test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incentives import queries, scoring_queries


@pytest.fixture(autouse=True)
def _forget_cached_metrics() -> Iterator[None]:
    """Each test's database is rolled back, so ids repeat: start with no kept figures."""
    queries._ORGANISATION_CACHE.clear()
    scoring_queries.forget_cached_scores()
    yield
    queries._ORGANISATION_CACHE.clear()
    scoring_queries.forget_cached_scores()
