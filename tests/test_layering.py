"""The code keeps its shape: one commit per request at the boundary; rules free of Flask.

The rules modules are listed in ``core/layout.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from core.layout import FORBIDDEN_IN_RULES, RULES_MODULES, module_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "recruiting", "training", "incentives"]
#: Modules that may commit: the request and command boundaries
#: (docs/style.md, "One commit per request").
BOUNDARIES = {"views.py", "api.py", "cli.py", "admin.py", "auth.py"}
#: What a rules module may not import by name (besides any ``models``).
FORBIDDEN_IMPORTS = ("flask", "flask_sqlalchemy", "sqlalchemy", "core.db")


def python_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]


def commits(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_boundaries_commit(path: Path) -> None:
    # A module's pages split by topic are faces too: ``recruiting/take_views.py``.
    if path.name in BOUNDARIES or path.name.endswith("_views.py"):
        return
    allowed = {
        "core/api.py",  # the throttled last-used stamp, before the view runs
        "core/jobs.py",  # a background job is a boundary: it records its own progress
    }
    if str(path.relative_to(ROOT)) in allowed:
        return
    assert commits(path) == [], (
        f"{path.relative_to(ROOT)} commits; only views/api/cli may"
    )


@pytest.mark.parametrize("rel", RULES_MODULES)
def test_rules_modules_do_not_import_flask_or_the_database(rel: str) -> None:
    path = ROOT / rel
    assert path.exists(), f"{rel} is listed as a rules module but does not exist"
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN_IMPORTS), f"{rel} imports {name}"
            assert not name.endswith(".models"), f"{rel} imports {name}"


#: Imports one module in a fresh interpreter and prints which forbidden modules it loaded,
#: and which of ours it loaded on the way (to find the import that brought them in).
_IMPORT_ALONE = """
import importlib, sys
importlib.import_module(sys.argv[1])
forbidden = sys.argv[2:]
print(" ".join(n for n in forbidden if n in sys.modules))
print(" ".join(sorted(n for n in sys.modules if n.split(".")[0] in {"core", "recruiting",
    "training", "incentives"})))
"""


@pytest.mark.parametrize("rel", RULES_MODULES)
def test_rules_modules_stay_pure_through_everything_they_import(rel: str) -> None:
    """Imported alone in a fresh interpreter, a rules module loads neither Flask, Werkzeug
    nor the SQLAlchemy ORM, however indirectly."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALONE, module_name(rel), *FORBIDDEN_IN_RULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    forbidden, ours = result.stdout.splitlines()
    assert forbidden == "", f"{rel} loads {forbidden} (through one of: {ours})"


def test_the_rules_list_names_modules_that_exist_once_each() -> None:
    assert len(set(RULES_MODULES)) == len(RULES_MODULES)
    for rel in RULES_MODULES:
        assert (ROOT / rel).is_file(), f"core/layout.py lists {rel}: no such file"


def test_package_init_files_hold_only_a_docstring() -> None:
    for pkg in PACKAGES:
        inits = [ROOT / pkg / "__init__.py", *(ROOT / pkg).glob("*/__init__.py")]
        for init in inits:
            tree = ast.parse(init.read_text())
            assert len(tree.body) == 1, init
            assert isinstance(tree.body[0], ast.Expr), init


def test_every_package_folder_has_an_init_file() -> None:
    """A folder of modules without ``__init__.py`` would import as a namespace package
    here and be left out of an installed wheel."""
    for pkg in PACKAGES:
        for folder in (ROOT / pkg).iterdir():
            if folder.is_dir() and any(folder.glob("*.py")):
                assert (folder / "__init__.py").exists(), folder
