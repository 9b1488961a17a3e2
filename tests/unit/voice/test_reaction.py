"""A department's reaction, measured: times to acknowledge and fix, within target, age."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from voice.reaction import empty_frame, measure

AT = dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)


def frame(rows: list[tuple[str, float, float | None, float | None]]) -> pd.DataFrame:
    """(status, created hours before AT, acknowledged hours after creation, closed
    hours after creation)."""

    def stamp(created: float, after: float | None) -> pd.Timestamp:
        if after is None:
            return pd.NaT
        return (
            pd.Timestamp(AT) - pd.Timedelta(hours=created) + pd.Timedelta(hours=after)
        )

    return pd.DataFrame(
        {
            "status": [r[0] for r in rows],
            "created_at": [pd.Timestamp(AT) - pd.Timedelta(hours=r[1]) for r in rows],
            "acknowledged_at": [stamp(r[1], r[2]) for r in rows],
            "closed_at": [stamp(r[1], r[3]) for r in rows],
        }
    ).astype(
        {
            c: "datetime64[ns, UTC]"
            for c in ("created_at", "acknowledged_at", "closed_at")
        }
    )


def test_figures() -> None:
    figures = measure(
        frame(
            [
                ("fixed", 200, 2, 48),  # acknowledged in 2 h, fixed in 2 days
                ("fixed", 300, 10, 96),  # late acknowledgement, fixed in 4 days
                ("wont_fix", 100, 4, 4),  # closed straight from new, in 4 h
                ("in_progress", 72, 6, None),
                ("new", 30, None, None),  # past the 8 h target
                ("new", 2, None, None),  # still within it: not judged yet
            ]
        ),
        target_hours=8,
        at=AT,
    )
    assert (figures.reports, figures.open, figures.new, figures.fixed) == (6, 3, 2, 2)
    assert figures.wont_fix == 1
    assert figures.duplicate == 0
    assert figures.hours_to_acknowledge == 5.0  # median of 2, 10, 4, 6
    assert figures.days_to_fix == 3.0
    assert (figures.within_target, figures.judged) == (3, 5)
    assert figures.within_target_share == pytest.approx(0.6)
    assert figures.oldest_open_days == 3.0
    assert figures.median_open_days == round(30 / 24, 1)


def test_nothing_reported_gives_no_figures() -> None:
    figures = measure(empty_frame(), target_hours=8, at=AT)
    assert figures.reports == 0
    assert figures.hours_to_acknowledge is None
    assert figures.days_to_fix is None
    assert figures.within_target_share is None
    assert figures.oldest_open_days is None
