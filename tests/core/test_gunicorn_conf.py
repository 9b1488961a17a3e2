"""Starting production with several workers and no REDIS_URL warns that each worker
counts the rate limits alone."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.config import unshared_limits_warning

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.mark.parametrize(
    ("workers", "redis_url", "warns"),
    [
        (3, None, True),
        (2, "", True),
        (1, None, False),
        (3, "redis://redis.internal:6379/0", False),
    ],
)
def test_several_workers_without_redis_get_a_warning(
    workers: int, redis_url: str | None, warns: bool
) -> None:
    warning = unshared_limits_warning(workers, redis_url)
    assert (warning is not None) == warns
    if warning:
        assert f"each of the {workers} web workers" in warning
        assert "Set REDIS_URL" in warning


@pytest.mark.parametrize(
    ("workers", "redis_url", "warns"),
    [(3, None, True), (1, None, False), (3, "redis://127.0.0.1:6379/0", False)],
)
def test_gunicorn_logs_the_warning_as_it_starts(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    workers: int,
    redis_url: str | None,
    warns: bool,
) -> None:
    if redis_url:
        monkeypatch.setenv("REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    settings = runpy.run_path(str(CONF))
    # gunicorn's Arbiter as the hook sees it: the worker count after the command line.
    server = SimpleNamespace(
        cfg=SimpleNamespace(workers=workers), log=logging.getLogger("gunicorn.error")
    )
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        settings["on_starting"](server)
    assert ("REDIS_URL is not set" in caplog.text) == warns
