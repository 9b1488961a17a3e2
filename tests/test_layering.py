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
    "recruiting/importing.py",
    "recruiting/item_statistics.py",
    "recruiting/pipeline.py",
    "training/scenarios.py",
    "training/authority.py",
    "training/assignments.py",
    # incentives/tickets: reading exports, the clock, month metrics
    "incentives/tickets/cells.py",
    "incentives/tickets/clock.py",
    "incentives/tickets/columnar.py",
    "incentives/tickets/importing.py",
    "incentives/tickets/mapping.py",
    "incentives/tickets/metrics.py",
    "incentives/tickets/months.py",
    "incentives/tickets/normalising.py",
    "incentives/tickets/sources.py",
    # incentives/scoring: plans, a rep's month against them, disputes, score tables
    "incentives/scoring/disputes.py",
    "incentives/scoring/payouts.py",
    "incentives/scoring/plan_calendar.py",
    "incentives/scoring/plan_words.py",
    "incentives/scoring/plans.py",
    "incentives/scoring/rep_scores.py",
    "incentives/scoring/tables.py",
    # incentives/scorecards: the cards as plain data, validity, laying out PDFs
    "incentives/scorecards/cards.py",
    "incentives/scorecards/leadership.py",
    "incentives/scorecards/pdf_batch.py",
    "incentives/scorecards/rep_card.py",
    "incentives/scorecards/team_card.py",
    "incentives/scorecards/validity.py",
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


@pytest.mark.parametrize("rel", sorted(RULES))
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
            assert not name.startswith(FORBIDDEN_IN_RULES), f"{rel} imports {name}"
            assert not name.endswith(".models"), f"{rel} imports {name}"


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
