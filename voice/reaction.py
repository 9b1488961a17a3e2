"""PURE: how a department reacts to problem reports, measured.

Input is a DataFrame of one department's reports with the columns ``status`` (a
:class:`~voice.workflow.ProblemStatus` value), ``created_at``, ``acknowledged_at`` and
``closed_at`` (aware UTC timestamps; ``NaT`` when not yet). A report is acknowledged when
someone first moved it from new (to any state, so a report closed straight from new was
acknowledged then); it is fixed when it was closed as fixed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from voice.workflow import OPEN_STATUSES, ProblemStatus

COLUMNS = ("status", "created_at", "acknowledged_at", "closed_at")


@dataclass(frozen=True)
class Reaction:
    """A department's figures. Hours are medians; ``None`` when nothing to measure."""

    reports: int
    open: int
    new: int
    fixed: int
    wont_fix: int
    duplicate: int
    hours_to_acknowledge: float | None
    days_to_fix: float | None
    #: Reports acknowledged within the target (or still within it while new), among
    #: those acknowledged or past the target.
    within_target: int
    judged: int
    oldest_open_days: float | None
    median_open_days: float | None

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.judged if self.judged else None


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": pd.Series(dtype="object"),
            **{
                c: pd.Series(dtype="datetime64[ns, UTC]")
                for c in COLUMNS
                if c != "status"
            },
        }
    )


def measure(frame: pd.DataFrame, *, target_hours: int, at: dt.datetime) -> Reaction:
    """The figures of ``frame``'s reports at ``at`` against a target of ``target_hours``
    to acknowledge."""
    now = pd.Timestamp(at)
    status = frame["status"]
    open_mask = status.isin([s.value for s in OPEN_STATUSES])
    acknowledged = frame["acknowledged_at"].notna()
    waited = (frame["acknowledged_at"] - frame["created_at"])[acknowledged]
    fixed_mask = status == ProblemStatus.FIXED.value
    to_fix = (frame["closed_at"] - frame["created_at"])[fixed_mask]
    target = pd.Timedelta(hours=target_hours)
    on_time = int((waited <= target).sum())
    late_new = int(
        (
            (status == ProblemStatus.NEW.value) & (now - frame["created_at"] > target)
        ).sum()
    )
    ages = (now - frame["created_at"])[open_mask]
    return Reaction(
        reports=len(frame),
        open=int(open_mask.sum()),
        new=int((status == ProblemStatus.NEW.value).sum()),
        fixed=int(fixed_mask.sum()),
        wont_fix=int((status == ProblemStatus.WONT_FIX.value).sum()),
        duplicate=int((status == ProblemStatus.DUPLICATE.value).sum()),
        hours_to_acknowledge=_median(waited, 3600),
        days_to_fix=_median(to_fix, 86400),
        within_target=on_time,
        judged=int(acknowledged.sum()) + late_new,
        oldest_open_days=_days(ages.max()) if len(ages) else None,
        median_open_days=_median(ages, 86400),
    )


def _median(values: pd.Series, unit_seconds: int) -> float | None:
    if values.empty:
        return None
    return round(values.median().total_seconds() / unit_seconds, 1)


def _days(value: pd.Timedelta) -> float:
    return round(value.total_seconds() / 86400, 1)
