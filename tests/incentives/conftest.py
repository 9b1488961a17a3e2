"""Incentives test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incentives.scoring import queries as scoring_queries
from incentives.tickets import month_metrics


@pytest.fixture(autouse=True)
def _forget_cached_metrics() -> Iterator[None]:
    """Each test's database is rolled back, so ids repeat: start with no kept figures."""
    month_metrics._ORGANISATION_CACHE.clear()
    scoring_queries.forget_cached_scores()
    yield
    month_metrics._ORGANISATION_CACHE.clear()
    scoring_queries.forget_cached_scores()
