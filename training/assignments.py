"""Assignments: how far a rep has got with what they were asked to do, and whether it is late.

PURE: plain data in, plain data out; no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

#: A pass made this long before an assignment still counts towards it (a rep who just
#: passed a scenario is not asked to play it again); older passes do not.
RECENT_PASS = dt.timedelta(days=90)


def counts_towards(passed_at: dt.datetime, assigned_at: dt.datetime) -> bool:
    """Does a pass made at ``passed_at`` count for work assigned at ``assigned_at``?"""
    return passed_at >= assigned_at - RECENT_PASS


class AssignmentState(enum.StrEnum):
    DONE = "done"
    OVERDUE = "overdue"
    DUE = "due"


@dataclass(frozen=True)
class Progress:
    """Scenarios passed out of those assigned, the state, and the next one to play."""

    done: int
    total: int
    state: AssignmentState
    next_key: str | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def progress(
    keys: Sequence[str], passed: Collection[str], due_on: dt.date, today: dt.date
) -> Progress:
    """Progress on an assignment of the scenarios ``keys`` (in curriculum order).

    :param passed: scenario keys the rep has passed in a way that counts
        (:func:`counts_towards`).
    :param due_on: the due date; work not done by the end of that day is overdue.
    :param today: today's date in the organisation's time zone.
    """
    remaining = [key for key in keys if key not in passed]
    done = len(keys) - len(remaining)
    if not remaining:
        state = AssignmentState.DONE
    elif today > due_on:
        state = AssignmentState.OVERDUE
    else:
        state = AssignmentState.DUE
    return Progress(done, len(keys), state, remaining[0] if remaining else None)
