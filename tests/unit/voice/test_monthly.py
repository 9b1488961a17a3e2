"""The month's "What the front line told us": figures as the month ended, top problems
by tickets, what was fixed."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from voice.monthly import (
    DepartmentFacts,
    FixedFacts,
    ProblemFacts,
    as_of,
    front_line_month,
    top_ids,
    top_problems,
)
from voice.workflow import ProblemStatus

END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
NOV = dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)


def frame(rows: list[tuple[int, str, dt.datetime, float | None, float | None]]):
    """(department id, status, created, acknowledged hours after, closed hours after)."""

    def after(created: dt.datetime, hours: float | None) -> pd.Timestamp:
        return (
            pd.NaT
            if hours is None
            else pd.Timestamp(created + dt.timedelta(hours=hours))
        )

    return pd.DataFrame(
        {
            "department_id": [r[0] for r in rows],
            "status": [r[1] for r in rows],
            "created_at": [pd.Timestamp(r[2]) for r in rows],
            "acknowledged_at": [after(r[2], r[3]) for r in rows],
            "closed_at": [after(r[2], r[4]) for r in rows],
        }
    ).astype(
        {
            c: "datetime64[ns, UTC]"
            for c in ("created_at", "acknowledged_at", "closed_at")
        }
    )


def test_moves_after_the_month_ended_do_not_count() -> None:
    late = NOV + dt.timedelta(days=19)  # 29 November, 09:00
    cut = as_of(
        frame([(1, "fixed", late, 60.0, 80.0), (2, "fixed", NOV, 2.0, 100.0)]), END
    )
    # Acknowledged on 1 December: new again when November ended.
    assert cut["status"].tolist() == ["new", "fixed"]
    assert cut["acknowledged_at"].isna().tolist() == [True, False]
    assert cut["closed_at"].isna().tolist() == [True, False]


def test_a_department_is_measured_by_reaction_and_worded() -> None:
    month = front_line_month(
        month="2026-11",
        month_label="November 2026",
        end=END,
        under_way=False,
        frame=frame(
            [
                (1, "fixed", NOV, 2.0, 48.0),
                (1, "acknowledged", NOV, 10.0, None),
                (1, "new", NOV, None, None),
                (2, "new", NOV + dt.timedelta(days=20), None, None),
            ]
        ),
        departments=[
            DepartmentFacts(1, "Logistics", 8),
            DepartmentFacts(2, "Billing", 24),
            DepartmentFacts(3, "Legal", 24),
        ],
        problems=[],
        fixed=[],
    )
    assert month.reports_text == "4 reports"
    assert month.as_of == "as November ended"
    logistics, billing = month.departments  # Legal had no report: not listed
    assert (logistics.name, logistics.reports, logistics.target) == (
        "Logistics",
        3,
        "8 h",
    )
    assert logistics.acknowledge == "6 h"  # median of 2 h and 10 h
    # 2 h within 8 h; 10 h late; the new one is past its target too.
    assert logistics.within_target == "1 of 3 (33%)"
    assert logistics.fix == "2 days"
    # Billing's report was filed on 30 November, 9:00: within its 24 h at the month's end.
    assert (billing.acknowledge, billing.within_target, billing.fix) == ("—", "—", "—")


def test_top_problems_rank_by_tickets_then_plus_ones() -> None:
    def p(rid: int, tickets: int, supports: int) -> ProblemFacts:
        return ProblemFacts(
            rid, f"P{rid}", "Logistics", ProblemStatus.NEW, tickets, supports
        )

    top = top_problems([p(1, 1, 0), p(2, 3, 0), p(3, 1, 2), p(4, 0, 0)], count=3)
    assert [t.report_id for t in top] == [2, 3, 1]
    assert top[0].tickets == "3 tickets"
    assert top[1].supports == "2 +1s"
    assert top[2].tickets == "1 ticket"
    assert top[2].supports == ""


def test_fixed_reports_latest_first_with_how_long_they_took() -> None:
    month = front_line_month(
        month="2026-11",
        month_label="November 2026",
        end=END,
        under_way=True,
        frame=frame([]),
        departments=[],
        problems=[],
        fixed=[
            FixedFacts(1, "Old", "Billing", NOV - dt.timedelta(days=30), NOV),
            FixedFacts(2, "New", "Billing", NOV, NOV + dt.timedelta(days=1)),
        ],
    )
    assert [(f.report_id, f.took) for f in month.fixed] == [
        (2, "1 day"),
        (1, "30 days"),
    ]
    assert month.fixed_total == 2
    assert month.as_of == "so far"
    assert not month.is_empty


def test_only_the_reports_the_section_names_are_read() -> None:
    tickets = {1: 1, 2: 3, 3: 1, 5: 1}
    supports = {3: 2, 4: 1}
    assert top_ids(tickets, supports, count=3) == [2, 3, 1]
    assert top_ids({}, {}) == []
