"""Training notices: what today's facts call for, each named by its occasion."""

from __future__ import annotations

import datetime as dt

import pytest

from training.notices import (
    DecisionFact,
    ExpiryFact,
    NoticeKind,
    WorkFact,
    notices_for,
)

TODAY = dt.date(2026, 12, 8)


def work(days: int) -> WorkFact:
    return WorkFact(7, 1, "Basics", TODAY + dt.timedelta(days=days), "/training/")


@pytest.mark.parametrize(
    ("days", "kind", "key", "text"),
    [
        (0, NoticeKind.DUE_SOON, "due:7:2026-12-08", "Basics is due today (08 Dec 2026)."),
        (1, NoticeKind.DUE_SOON, "due:7:2026-12-09", "Basics is due tomorrow (09 Dec 2026)."),
        (3, NoticeKind.DUE_SOON, "due:7:2026-12-11", "Basics is due in 3 days (11 Dec 2026)."),
        (-1, NoticeKind.OVERDUE, "overdue:7", "Basics was due 07 Dec 2026 and is not done yet."),
    ],
)  # fmt: skip
def test_work_due_soon_or_overdue_is_told(days, kind, key, text) -> None:
    (notice,) = notices_for(TODAY, work=[work(days)])
    assert (notice.kind, notice.key, notice.text, notice.user_id) == (
        kind,
        key,
        text,
        1,
    )


def test_work_due_later_is_not_told_yet() -> None:
    assert notices_for(TODAY, work=[work(4)]) == []


def test_a_decision_and_an_expiring_grant_are_told_with_what_matters() -> None:
    found = notices_for(
        TODAY,
        decisions=[
            DecisionFact(3, 1, "Refund", True, "", "/training/signoffs/3"),
            DecisionFact(4, 1, "Replacement", False, "Shadow first.", "/x"),
        ],
        expiring=[
            ExpiryFact(9, 1, "Refund", TODAY + dt.timedelta(days=14), "/g/9"),
            ExpiryFact(10, 1, "Goodwill credit", TODAY + dt.timedelta(days=15), "/g"),
            ExpiryFact(11, 1, "Replacement", TODAY - dt.timedelta(days=1), "/g"),
        ],
    )
    assert [(n.key, n.text) for n in found] == [
        ("signoff:3", "Your sign-off for Refund was approved."),
        ("signoff:4", "Your sign-off for Replacement was declined: Shadow first."),
        ("expiring:9", "Your Refund authority ends in 14 days (22 Dec 2026)."),
    ]
