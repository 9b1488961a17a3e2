"""The code keeps its shape: one commit per request at the boundary; rules free of Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "recruiting", "training", "incentives"]
#: Modules that may commit: the request and command boundaries
#: (docs/style.md, "One commit per request").
BOUNDARIES = {"views.py", "api.py", "cli.py", "admin.py", "auth.py"}
#: Pure rules modules: no Flask, no database, no models.
RULES = {
    "core/access.py",
    "core/passwords.py",
    "recruiting/assessment.py",
    "recruiting/pipeline.py",
    "training/scenarios.py",
    "training/authority.py",
    "training/assignments.py",
    "incentives/columnar.py",
    "incentives/importing.py",
    "incentives/metrics.py",
    "incentives/plans.py",
    "incentives/scorecards.py",
    "incentives/disputes.py",
    "incentives/validity.py",
}
FORBIDDEN_IN_RULES = ("flask", "flask_sqlalchemy", "sqlalchemy", "core.db")


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
    if path.name in BOUNDARIES:
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


@pytest.mark.parametrize("rel", sorted(RULES))
def test_rules_modules_do_not_import_flask_or_the_database(rel: str) -> None:
    path = ROOT / rel
    if not path.exists():
        pytest.skip(f"{rel} does not exist yet")
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN_IN_RULES), f"{rel} imports {name}"
            assert not name.endswith(".models"), f"{rel} imports {name}"


def test_package_init_files_hold_only_a_docstring() -> None:
    for pkg in PACKAGES:
        tree = ast.parse((ROOT / pkg / "__init__.py").read_text())
        assert len(tree.body) == 1, pkg
        assert isinstance(tree.body[0], ast.Expr), pkg
