"""Training notices: what a rep is told about their training, and when.

Work due within three days, work overdue, a sign-off decided, a grant about to expire.
Each notice has a key that names its occasion, so the daily run that raises them tells a
person once per occasion however often it runs.

PURE: plain data in, plain data out; no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

#: Work due within this many days is "due soon".
DUE_SOON_DAYS = 3
#: A grant expiring within this many days is "expiring".
EXPIRING_DAYS = 14


class NoticeKind(enum.StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SIGNOFF_DECIDED = "signoff_decided"
    GRANT_EXPIRING = "grant_expiring"

    @property
    def label(self) -> str:
        return {
            "due_soon": "Training due soon",
            "overdue": "Training overdue",
            "signoff_decided": "A sign-off decided",
            "grant_expiring": "Authority about to expire",
        }[self.value]


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person, once: ``key`` names the occasion."""

    user_id: int
    kind: NoticeKind
    key: str
    text: str
    link: str


@dataclass(frozen=True)
class WorkFact:
    """An assignment not done yet."""

    assignment_id: int
    rep_id: int
    name: str
    due_on: dt.date
    link: str


@dataclass(frozen=True)
class DecisionFact:
    """A sign-off request decided (approved or declined) for a rep."""

    request_id: int
    rep_id: int
    authority: str
    approved: bool
    reason: str
    link: str


@dataclass(frozen=True)
class ExpiryFact:
    """A grant in force and when it ends."""

    grant_id: int
    rep_id: int
    authority: str
    expires_on: dt.date
    link: str


def _days(n: int) -> str:
    return "today" if n == 0 else ("tomorrow" if n == 1 else f"in {n} days")


def notices_for(
    today: dt.date,
    *,
    work: Iterable[WorkFact] = (),
    decisions: Iterable[DecisionFact] = (),
    expiring: Iterable[ExpiryFact] = (),
) -> list[Notice]:
    """The notices today's facts call for. Work due soon is told once per due date (a
    moved due date is told again); overdue work once; each decision once; an expiring
    grant once."""
    found: list[Notice] = []
    for w in work:
        left = (w.due_on - today).days
        if left < 0:
            found.append(
                Notice(
                    w.rep_id,
                    NoticeKind.OVERDUE,
                    f"overdue:{w.assignment_id}",
                    f"{w.name} was due {w.due_on:%d %b %Y} and is not done yet.",
                    w.link,
                )
            )
        elif left <= DUE_SOON_DAYS:
            found.append(
                Notice(
                    w.rep_id,
                    NoticeKind.DUE_SOON,
                    f"due:{w.assignment_id}:{w.due_on.isoformat()}",
                    f"{w.name} is due {_days(left)} ({w.due_on:%d %b %Y}).",
                    w.link,
                )
            )
    for d in decisions:
        text = (
            f"Your sign-off for {d.authority} was approved."
            if d.approved
            else f"Your sign-off for {d.authority} was declined: {d.reason}"
        )
        found.append(
            Notice(
                d.rep_id,
                NoticeKind.SIGNOFF_DECIDED,
                f"signoff:{d.request_id}",
                text,
                d.link,
            )
        )
    for g in expiring:
        left = (g.expires_on - today).days
        if 0 <= left <= EXPIRING_DAYS:
            found.append(
                Notice(
                    g.rep_id,
                    NoticeKind.GRANT_EXPIRING,
                    f"expiring:{g.grant_id}",
                    f"Your {g.authority} authority ends {_days(left)} "
                    f"({g.expires_on:%d %b %Y}).",
                    g.link,
                )
            )
    return found
