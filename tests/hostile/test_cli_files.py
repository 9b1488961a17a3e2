"""The commands that load files answer a broken file with a message and a non-zero exit.

Files that are not UTF-8, YAML that PyYAML cannot build, and empty files: never a
traceback, never a half-done load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

LATIN1 = "key: caf\xe9\ntitle: Caf\xe9\n".encode("latin-1")
BAD_DATE = b"key: 2024-13-45\ntitle: x\n"
DEEP = b"[" * 1000


@pytest.mark.parametrize(
    "content", [LATIN1, BAD_DATE, DEEP, b""], ids=["latin-1", "date", "deep", "empty"]
)
@pytest.mark.parametrize(
    "command",
    [
        ["scenarios", "load", "{file}"],
        ["assessments", "load", "{file}"],
        ["plans", "load", "{file}"],
        ["tickets", "import", "{csv}", "--source", "mapped", "--mapping", "{file}"],
    ],
    ids=["scenarios", "assessments", "plans", "mapping"],
)
def test_a_broken_file_is_a_message_and_a_non_zero_exit(
    runner, tmp_path: Path, command: list[str], content: bytes
) -> None:
    file = tmp_path / "broken.yaml"
    file.write_bytes(content)
    csv = tmp_path / "tickets.csv"
    csv.write_text("Conversation ID,Created At\n1,2024-03-01 08:00\n")
    args = [a.format(file=file, csv=csv) for a in command]
    result = runner.invoke(args=args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.output.strip()
