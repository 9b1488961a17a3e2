"""Whether a rep has completed a curriculum: each of its scenarios passed, and when.

PURE: plain data in, plain data out; no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Pass:
    """A rep's latest pass of a scenario."""

    key: str
    at: dt.datetime
    percent: int
    version: int


@dataclass(frozen=True)
class Completion:
    """A curriculum's scenarios in order, each with its pass or ``None``."""

    steps: tuple[tuple[str, Pass | None], ...]

    @property
    def passed(self) -> int:
        return sum(1 for _key, done in self.steps if done is not None)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return bool(self.steps) and self.passed == self.total

    @property
    def completed_at(self) -> dt.datetime | None:
        """When the last of its scenarios was passed; ``None`` until all are."""
        if not self.complete:
            return None
        return max(done.at for _key, done in self.steps if done is not None)


def completion(keys: Sequence[str], passes: Mapping[str, Pass]) -> Completion:
    """How far a rep with ``passes`` (scenario key -> latest pass) is through ``keys``."""
    return Completion(tuple((key, passes.get(key)) for key in keys))
