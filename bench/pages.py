"""What the page benchmarks share: an app on a disposable database, one timed GET, and the
95th percentile of a run's timings."""

from __future__ import annotations

import statistics
import time
from typing import Any

from flask import Flask

from app import create_app


def bench_app(url: str) -> Flask:
    """The app on ``url`` as the benchmarks run it: test mode, limits kept in memory."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def timed(client: Any, url: str, headers: dict[str, str] | None = None) -> float:
    """One GET of ``url`` in milliseconds; it must answer 200."""
    started = time.perf_counter()
    response = client.get(url, headers=headers or {})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def p95(samples: list[float]) -> float:
    """The 95th percentile of ``samples`` (the value 95% of them do not exceed)."""
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def summary(name: str, samples: list[float], width: int = 40) -> tuple[str, float]:
    """A line of the median and the 95th percentile of ``samples`` (ms), and the p95."""
    p95_ms = p95(sorted(samples))
    return (
        f"{name:<{width}} p50 {statistics.median(samples):7.1f} ms   p95 {p95_ms:7.1f} ms",
        p95_ms,
    )
