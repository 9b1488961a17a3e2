"""Templates compiled before a web worker serves: every one of them compiles; what the
worker loaded is kept out of full garbage collections; and its threads hand the
interpreter over often."""

from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]


def _templates_on_disk() -> set[str]:
    folder = ROOT / "templates"
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_worker_compiles_every_template_before_serving(tmp_path: Path) -> None:
    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert len(app.jinja_env.cache) == 0
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    before = sys.getswitchinterval()
    try:
        hooks["post_worker_init"](SimpleNamespace(wsgi=app))
        frozen = gc.get_freeze_count()
        switch_interval = sys.getswitchinterval()
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
        sys.setswitchinterval(before)
    assert frozen > 10_000
    assert switch_interval == hooks["switch_interval"] < before
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert compiled == _templates_on_disk()
    assert len(compiled) > 100
