"""Scorecard PDFs kept with the fingerprint of what they show, so that a month's batch
lays out again only the scorecards that changed, and a download of an unchanged one is
the kept file.

A scorecard's **fingerprint** is a SHA-256 over everything it shows (the card built by
``rep_card``/``team_card``/``leadership``, less the time it was made) and the version of
the templates that print it: a changed figure, plan version, name, chart or template
gives a new fingerprint. A team page and the leadership pack show their reps' figures, so
they change with them.

A scorecard kept through a re-close names the earlier close (the day and who closed);
its figures are those of the new close, or it would have been laid out again.

A month's kept PDFs live under ``FRONTLINE_STORAGE_DIR/scorecards/<month>/`` (shared by
web and RQ workers) as a batch names them, with a manifest ``kept.json`` of each file's
fingerprint. The manifest is written whole (a renamed temporary file); two writers at
once at worst forget an entry, and that scorecard is laid out again next time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from flask import current_app

from core import jobs
from incentives.scorecards import pdf_batch

MANIFEST = "kept.json"
#: The templates a scorecard PDF is printed with (their text is part of the version).
TEMPLATES = (
    "pdf/base.html",
    "pdf/rep_scorecard.html",
    "pdf/rep_scorecards.html",
    "pdf/team_scorecard.html",
    "pdf/leadership_pack.html",
    "incentives/_rep_card.html",
    "incentives/_team_card.html",
    "incentives/_leadership_pack.html",
    "voice/_front_line.html",
)


@functools.cache
def _template_version(folder: str) -> str:
    digest = hashlib.sha256()
    for name in TEMPLATES:
        path = Path(folder) / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def template_version() -> str:
    """A fingerprint of the templates that print scorecards (read once per process)."""
    return _template_version(str(Path(current_app.root_path) / "templates"))


def fingerprint(card: Any) -> str:
    """What ``card`` (a rep or team card, or the leadership pack) shows, as SHA-256.

    Left out: the time it was made, and which close of the month it names (whether the
    month is open or closed stays in). Closing a month again after one dispute names a
    new close on every scorecard; a scorecard whose figures the re-close did not change
    is kept, naming the close it was laid out under, when the month's figures were the
    same as now."""
    shown = dataclasses.replace(card, generated="", status="")
    return hashlib.sha256(
        f"{template_version()}\n{shown!r}".encode(), usedforsecurity=False
    ).hexdigest()


def month_folder(month: str) -> Path:
    """Where ``month``'s kept scorecards are."""
    return jobs.storage_dir("scorecards", str(month))


class Kept:
    """The manifest of a folder of kept scorecards: file (relative) -> fingerprint."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: dict[str, str] = {}
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            self.entries = {str(k): str(v) for k, v in data.items()}

    def current(self, relative: str, print_: str) -> Path | None:
        """The kept file for ``relative`` if it shows ``print_``, else ``None``."""
        path = self.folder / relative
        if self.entries.get(relative) == print_ and path.is_file():
            return path
        return None

    def record(self, relative: str, print_: str) -> None:
        self.entries[relative] = print_

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        pdf_batch.write_file(
            self.folder / MANIFEST,
            json.dumps(self.entries, sort_keys=True, indent=0).encode(),
        )
