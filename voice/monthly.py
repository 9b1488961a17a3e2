"""PURE: "What the front line told us" in a month, as leadership reads it.

The month's reports are those filed in it (in the organisation's time zone), as they
stood when the month ended (or now, for the month under way): a move made later does not
change a past month's figures. Each department's reaction is
:func:`voice.reaction.measure` over its reports of the month, the one place the figures
are worked out; this module only cuts the frame to the month and words the results.

The leadership pack (page and PDF), the dashboard panel and the API read the same
:class:`FrontLineMonth`, built by ``voice.queries.front_line_month``.

Tickets carry no customer id, so problems are ranked by the tickets they affected (and
then by "+1"s), never by customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from voice import reaction
from voice.workflow import STATUS_LABELS, ProblemStatus, counted

#: How many problems the section names, and how many fixed ones it lists.
TOP_PROBLEMS = 5
FIXED_LISTED = 10
#: Said wherever problems are ranked: tickets carry no customer id.
TICKETS_NOTE = (
    "Ranked by the helpdesk tickets they affected, then by +1s: tickets carry no "
    "customer id, so customers are not counted apart."
)


@dataclass(frozen=True)
class DepartmentFacts:
    department_id: int
    name: str
    target_hours: int


@dataclass(frozen=True)
class ProblemFacts:
    """A report of the month, with its tickets and "+1"s as the month ended."""

    report_id: int
    title: str
    department: str
    status: ProblemStatus
    tickets: int
    supports: int


@dataclass(frozen=True)
class FixedFacts:
    report_id: int
    title: str
    department: str
    created_at: dt.datetime
    closed_at: dt.datetime


@dataclass(frozen=True)
class DepartmentLine:
    """A department's reaction to the month's reports."""

    department_id: int
    name: str
    target: str  # "8 h"
    reports: int
    acknowledge: str  # median time to acknowledge, "5.5 h" or "—"
    within_target: str  # "3 of 4 (75%)" or "—"
    fix: str  # median time to fix, "2.1 days" or "—"
    fixed: int
    open: int
    figures: reaction.Reaction


@dataclass(frozen=True)
class TopProblem:
    report_id: int
    title: str
    department: str
    state: str
    tickets: str  # "3 tickets"
    supports: str  # "2 +1s" or ""


@dataclass(frozen=True)
class FixedLine:
    report_id: int
    title: str
    department: str
    took: str  # "3.2 days"


@dataclass(frozen=True)
class FrontLineMonth:
    """The section "What the front line told us" for one month."""

    month: str
    month_label: str
    #: "as November ended" or "so far" (the month under way).
    as_of: str
    reports: int
    reports_text: str  # "12 reports"
    departments: tuple[DepartmentLine, ...]
    top: tuple[TopProblem, ...]
    fixed: tuple[FixedLine, ...]
    fixed_total: int
    tickets_note: str = TICKETS_NOTE

    @property
    def is_empty(self) -> bool:
        return not self.reports and not self.fixed_total


def as_of(frame: pd.DataFrame, end: dt.datetime) -> pd.DataFrame:
    """``frame`` (:mod:`voice.reaction`'s columns) as it stood at ``end``: a report
    closed later is open again, and one acknowledged later is new again (whether it was
    acknowledged or in progress makes no difference to the figures)."""
    cut = pd.Timestamp(end)
    out = frame.copy()
    late_close = out["closed_at"].notna() & (out["closed_at"] > cut)
    late_ack = out["acknowledged_at"].notna() & (out["acknowledged_at"] > cut)
    out.loc[late_close, "closed_at"] = pd.NaT
    out.loc[late_close, "status"] = ProblemStatus.IN_PROGRESS.value
    out.loc[late_ack, "acknowledged_at"] = pd.NaT
    out.loc[late_ack, "status"] = ProblemStatus.NEW.value
    return out


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    return f"{hours:g} h"


def days_text(days: float | None) -> str:
    if days is None:
        return "—"
    return f"{days:g} day" + ("" if days == 1 else "s")


def share_text(figures: reaction.Reaction) -> str:
    share = figures.within_target_share
    if share is None:
        return "—"
    return f"{figures.within_target} of {figures.judged} ({share:.0%})"


def department_lines(
    frame: pd.DataFrame,
    departments: Sequence[DepartmentFacts],
    *,
    end: dt.datetime,
) -> list[DepartmentLine]:
    """Each department with reports in ``frame`` (the month's, with ``department_id``),
    measured at ``end`` by :func:`voice.reaction.measure`; busiest first."""
    cut = as_of(frame, end)
    lines = []
    for d in departments:
        own = cut[cut["department_id"] == d.department_id]
        if own.empty:
            continue
        figures = reaction.measure(own, target_hours=d.target_hours, at=end)
        lines.append(
            DepartmentLine(
                department_id=d.department_id,
                name=d.name,
                target=f"{d.target_hours} h",
                reports=figures.reports,
                acknowledge=hours_text(figures.hours_to_acknowledge),
                within_target=share_text(figures),
                fix=days_text(figures.days_to_fix),
                fixed=figures.fixed,
                open=figures.open,
                figures=figures,
            )
        )
    return sorted(lines, key=lambda line: (-line.reports, line.name))


def _rank(report_id: int, tickets: int, supports: int) -> tuple[int, int, int]:
    """The most tickets first, then the most "+1"s, then the oldest."""
    return (-tickets, -supports, report_id)


def top_ids(
    tickets: Mapping[int, int], supports: Mapping[int, int], count: int = TOP_PROBLEMS
) -> list[int]:
    """The reports :func:`top_problems` names, from their ticket and "+1" counts (report
    id -> count; a report with neither is not there), so only they need reading."""
    return sorted(
        set(tickets) | set(supports),
        key=lambda r: _rank(r, tickets.get(r, 0), supports.get(r, 0)),
    )[:count]


def top_problems(
    problems: Sequence[ProblemFacts], count: int = TOP_PROBLEMS
) -> list[TopProblem]:
    """The month's reports that affected the most tickets (then most "+1"s, then the
    oldest), at most ``count``; reports with no ticket and no "+1" are left out."""
    ranked = sorted(
        (p for p in problems if p.tickets or p.supports),
        key=lambda p: _rank(p.report_id, p.tickets, p.supports),
    )
    return [
        TopProblem(
            report_id=p.report_id,
            title=p.title,
            department=p.department,
            state=STATUS_LABELS[p.status],
            tickets=counted(p.tickets, "ticket"),
            supports=counted(p.supports, "+1") if p.supports else "",
        )
        for p in ranked[:count]
    ]


def fixed_lines(
    fixed: Sequence[FixedFacts], count: int = FIXED_LISTED
) -> list[FixedLine]:
    """Reports fixed in the month, the latest first, with how long each took."""
    latest = sorted(fixed, key=lambda f: (f.closed_at, f.report_id), reverse=True)
    return [
        FixedLine(
            report_id=f.report_id,
            title=f.title,
            department=f.department,
            took=days_text(
                round((f.closed_at - f.created_at).total_seconds() / 86400, 1)
            ),
        )
        for f in latest[:count]
    ]


def front_line_month(
    *,
    month: str,
    month_label: str,
    end: dt.datetime,
    under_way: bool,
    frame: pd.DataFrame,
    departments: Sequence[DepartmentFacts],
    problems: Sequence[ProblemFacts],
    fixed: Sequence[FixedFacts],
) -> FrontLineMonth:
    """The month's section.

    :param end: when the month ended, or now for the month under way.
    :param frame: the reports filed in the month (:mod:`voice.reaction`'s columns and
        ``department_id``).
    :param problems: those of the same reports the section may name (:func:`top_ids`),
        with their tickets and "+1"s at ``end``.
    :param fixed: the reports fixed in the month (filed in it or before).
    """
    return FrontLineMonth(
        month=month,
        month_label=month_label,
        as_of="so far" if under_way else f"as {month_label.split()[0]} ended",
        reports=len(frame),
        reports_text=counted(len(frame), "report"),
        departments=tuple(department_lines(frame, departments, end=end)),
        top=tuple(top_problems(problems)),
        fixed=tuple(fixed_lines(fixed)),
        fixed_total=len(fixed),
    )


# --- a rep's reports of the month, for their scorecard ------------------------------------

#: How many of a rep's reports their scorecard names; the rest are counted.
REP_REPORTS_LISTED = 5


@dataclass(frozen=True)
class RepReport:
    """A report a rep filed in the month and what became of it (today)."""

    report_id: int
    title: str
    department: str
    state: str  # "Fixed", "Won't fix"...


@dataclass(frozen=True)
class RepReports:
    """What a rep's scorecard shows of the problems they reported: recognition only,
    never part of the score or the payout."""

    total: int
    listed: tuple[RepReport, ...]
    summary: str  # "3 reports: 1 fixed, 2 open"

    @property
    def more(self) -> int:
        return self.total - len(self.listed)


def rep_reports(
    reports: Sequence[tuple[int, str, str, ProblemStatus]],
    count: int = REP_REPORTS_LISTED,
) -> RepReports:
    """``reports`` as (id, title, department, state), oldest first."""
    fixed = sum(1 for r in reports if r[3] == ProblemStatus.FIXED)
    still_open = sum(1 for r in reports if r[3].is_open)
    parts = [f"{fixed} fixed"] if fixed else []
    if still_open:
        parts.append(f"{still_open} open")
    others = len(reports) - fixed - still_open
    if others:
        parts.append(f"{others} closed otherwise")
    summary = counted(len(reports), "report") + (
        f": {', '.join(parts)}" if parts else ""
    )
    return RepReports(
        total=len(reports),
        listed=tuple(
            RepReport(rid, title, department, STATUS_LABELS[state])
            for rid, title, department, state in reports[:count]
        ),
        summary=summary,
    )
