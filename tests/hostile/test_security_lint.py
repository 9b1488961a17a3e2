"""The security lint stays on and reviewed.

CI runs ``ruff check`` with the ``S`` (bandit) rules. A finding may be silenced with
``# noqa: S...`` only with a reason a reviewer can check, written on the same line or on
a comment line just above it. Tests may skip the rules that make no sense there (asserts,
made-up passwords, subprocesses of our own tools) and only those.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ["app.py", "gunicorn.conf.py", "core", "recruiting", "training", "incentives"]
ALSO = ["tests", "bench", "migrations"]
NOQA = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)(?P<rest>.*)$")
#: What a reason looks like after the codes: "(why)", "- why", "# why" or ": why".
REASON = re.compile(r"^\s*(?:\(.{3,}\)|[-:#—]\s*\S.{2,})")
#: The S rules tests may ignore file-wide, each for a reason that holds for every test.
TEST_IGNORES = {
    "S101",  # assert is how pytest checks
    "S105",  # made-up passwords and tokens
    "S106",
    "S107",
    "S311",  # random test data, not secrets
    "S603",  # subprocesses of our own tools (gunicorn, pdftotext)
    "S607",
}


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in CODE + ALSO:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts]


def test_ruff_runs_the_security_rules() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"][
        "lint"
    ]
    assert "S" in config["select"]
    assert not any(code.startswith("S") for code in config.get("ignore", []))
    for pattern, ignored in config.get("per-file-ignores", {}).items():
        security = {code for code in ignored if code.startswith("S")}
        if pattern.startswith("tests"):
            assert security <= TEST_IGNORES, (pattern, security - TEST_IGNORES)
        elif pattern.startswith("bench"):
            assert security <= {"S101", "S311"}, (pattern, security)
        else:
            assert not security, f"{pattern} turns security rules off: {security}"


def test_every_silenced_security_finding_says_why() -> None:
    unexplained = []
    for path in _python_files():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            match = NOQA.search(line)
            if not match:
                continue
            codes = [c.strip() for c in match.group("codes").split(",")]
            if not any(c.startswith("S") for c in codes):
                continue
            above = lines[number - 2].strip() if number > 1 else ""
            if REASON.match(match.group("rest")) or above.startswith("#"):
                continue
            unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "noqa without a reason:\n" + "\n".join(unexplained)
