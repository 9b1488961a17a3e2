"""The production gunicorn settings (``gunicorn.conf.py``), read as gunicorn reads them."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_workers_hand_the_interpreter_lock_over_every_millisecond() -> None:
    settings = runpy.run_path(str(CONFIG))
    assert settings["worker_class"] == "gthread"
    before = sys.getswitchinterval()
    try:
        settings["post_worker_init"](None)
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def test_the_switch_interval_can_be_set_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("FRONTLINE_SWITCH_INTERVAL", "0.002")
    assert runpy.run_path(str(CONFIG))["switch_interval"] == pytest.approx(0.002)
