"""Incentives test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incentives import month_cache
from incentives.scoring import queries as scoring_queries


@pytest.fixture(autouse=True)
def _forget_cached_metrics() -> Iterator[None]:
    """Each test's database is rolled back, so ids repeat: start with no kept figures."""
    month_cache.forget()
    scoring_queries.forget_cached_scores()
    yield
    month_cache.forget()
    scoring_queries.forget_cached_scores()
