"""A month's payouts as they are paid: the scored payout, prorated for the working days a
rep was with us, plus manual adjustments.

PURE: plain data in, plain data out; no Flask, no database. The payouts page, its CSV, the
API and the approval all build their lines with :func:`payout_line`.

**Proration.** A rep who started, left or was on leave during the month is paid for the
working days they were there: Monday to Friday, less the organisation's holidays. The
factor is *paid days / working days*; the payout the score earns (a share of the target
bonus, or a tier's amount, within the plan's cap) is multiplied by it and rounded to the
cent, half up. A rep with no dates on record is paid for the whole month (factor 1).

**Adjustments** are added after proration, in the plan's currency; the final payout is
never below zero.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.access import Role, Viewer, can_supervise_rep
from incentives.scoring.disputes import check_reason
from incentives.scoring.plans import CENT
from incentives.scoring.rep_scores import MonthScores, Person, RepScore
from incentives.tickets import metrics

#: The largest adjustment, either way, in the plan's currency.
MAX_ADJUSTMENT = Decimal("100000")
ZERO = Decimal("0.00")


# --- proration ----------------------------------------------------------------------------


def working_days(month: str, holidays: Iterable[dt.date] = ()) -> list[dt.date]:
    """Monday to Friday of ``month``, less ``holidays``."""
    year, number = (int(part) for part in metrics.parse_month(month).split("-"))
    off = set(holidays)
    days = (
        dt.date(year, number, day)
        for day in range(1, calendar.monthrange(year, number)[1] + 1)
    )
    return [day for day in days if day.weekday() < 5 and day not in off]


@dataclass(frozen=True)
class WorkDates:
    """What pay knows of a rep's presence: start, leaving day, leave (inclusive)."""

    started_on: dt.date | None = None
    left_on: dt.date | None = None
    leaves: tuple[tuple[dt.date, dt.date], ...] = ()


@dataclass(frozen=True)
class Proration:
    """Paid days out of the month's working days, and why."""

    paid_days: int
    working_days: int
    note: str = ""

    @property
    def is_full(self) -> bool:
        return self.paid_days >= self.working_days

    @property
    def factor(self) -> Decimal:
        """The factor shown (four places); :func:`prorate` uses the exact fraction."""
        if not self.working_days or self.is_full:
            return Decimal("1.0000")
        return (Decimal(self.paid_days) / Decimal(self.working_days)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        )

    @property
    def text(self) -> str:
        if self.is_full:
            return "Whole month"
        days = "day" if self.working_days == 1 else "days"
        return (
            f"{self.paid_days} of {self.working_days} working {days} "
            f"(× {self.factor}){': ' + self.note if self.note else ''}"  # noqa: RUF001
        )


FULL = Proration(1, 1)


def whole_month(month: str, holidays: Iterable[dt.date] = ()) -> Proration:
    """Every working day of ``month`` paid."""
    days = len(working_days(month, holidays))
    return Proration(days, days) if days else FULL


def proration(
    month: str, dates: WorkDates, holidays: Iterable[dt.date] = ()
) -> Proration:
    """How much of ``month`` a rep is paid for."""
    days = working_days(month, holidays)
    if not days:
        return FULL
    on_leave: set[dt.date] = set()
    for first, last in dates.leaves:
        on_leave.update(d for d in days if first <= d <= last)
    paid = [
        d
        for d in days
        if (dates.started_on is None or d >= dates.started_on)
        and (dates.left_on is None or d <= dates.left_on)
        and d not in on_leave
    ]
    reasons = []
    if dates.started_on is not None and dates.started_on > days[0]:
        reasons.append(f"started {_day(dates.started_on)}")
    if dates.left_on is not None and dates.left_on < days[-1]:
        reasons.append(f"left {_day(dates.left_on)}")
    leave_days = len(
        [
            d
            for d in on_leave
            if (dates.started_on is None or d >= dates.started_on)
            and (dates.left_on is None or d <= dates.left_on)
        ]
    )
    if leave_days:
        reasons.append(
            f"{leave_days} working day{'s' if leave_days != 1 else ''} of leave"
        )
    return Proration(len(paid), len(days), ", ".join(reasons))


def _day(day: dt.date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def prorate(amount: Decimal, share: Proration) -> Decimal:
    """``amount`` for the days paid, to the cent (half up)."""
    if share.is_full or not share.working_days:
        return Decimal(amount).quantize(CENT)
    exact = Decimal(amount) * share.paid_days / share.working_days
    return exact.quantize(CENT, ROUND_HALF_UP)


def check_dates(dates: WorkDates) -> dict[str, list[str]]:
    """Problems with a rep's dates, by field (empty: fine)."""
    problems: dict[str, list[str]] = {}
    if dates.started_on and dates.left_on and dates.left_on < dates.started_on:
        problems["left_on"] = ["The leaving day comes before the start."]
    for first, last in dates.leaves:
        if last < first:
            problems["last_day"] = ["The last day of leave comes before the first."]
        elif (last - first).days > 366:
            problems["last_day"] = ["Record leave of at most a year at a time."]
    return problems


def may_keep_pay(viewer: Viewer, rep_id: int, rep_team_id: int | None) -> bool:
    """May ``viewer`` change this rep's pay (working dates, leave, adjustments)? An admin,
    or a supervisor of the rep's team (never their own)."""
    if viewer.user_id == rep_id:
        return False
    return Role.ADMIN in viewer.roles or can_supervise_rep(viewer, rep_id, rep_team_id)


# --- adjustments --------------------------------------------------------------------------


def check_amount(text: Any) -> Decimal:
    """An adjustment's amount: a number of cents at most, not zero, within the limit.

    :raises ValueError: with the message to show.
    """
    raw = str(text if text is not None else "").strip().replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError("Give the amount as a number, e.g. 50 or -25.50.") from None
    if not amount.is_finite():
        raise ValueError("Give the amount as a number, e.g. 50 or -25.50.")
    if amount != amount.quantize(CENT):
        raise ValueError("Give the amount to the cent at most.")
    if amount == 0:
        raise ValueError("An adjustment of zero changes nothing.")
    if abs(amount) > MAX_ADJUSTMENT:
        raise ValueError(f"Keep an adjustment within {MAX_ADJUSTMENT:,.0f} either way.")
    return amount.quantize(CENT)


def adjustment_reason(text: str | None) -> str:
    """:raises ValueError: no reason, or too long."""
    return check_reason(text, what="reason for the adjustment")


# --- a payout line ------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutLine:
    """One rep's pay for a month, every step kept."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    score: float | None
    eligible: bool
    #: (metric, label, points out of 100) in plan order.
    points: tuple[tuple[str, str, float], ...]
    target_bonus: Decimal
    #: What the score earns for a whole month.
    base: Decimal
    paid_days: int
    working_days: int
    proration_note: str
    prorated: Decimal
    adjustments: Decimal
    adjustment_count: int
    final: Decimal

    @property
    def share(self) -> Proration:
        return Proration(self.paid_days, self.working_days, self.proration_note)


def payout_line(
    person: Person,
    score: RepScore,
    share: Proration,
    adjustments: Sequence[Decimal] = (),
) -> PayoutLine:
    """A rep's line: base payout, prorated, plus adjustments (never below zero)."""
    prorated, added, final = final_payout(score.payout, share, adjustments)
    return PayoutLine(
        rep_id=person.rep_id,
        name=person.name,
        email=person.email,
        team_id=person.team_id,
        team_name=person.team_name,
        score=score.score,
        eligible=score.eligible,
        points=tuple(
            (line.metric, line.label, round(line.contribution, 2))
            for line in score.lines
        ),
        target_bonus=score.target_bonus,
        base=score.payout,
        paid_days=share.paid_days,
        working_days=share.working_days,
        proration_note=share.note,
        prorated=prorated,
        adjustments=added,
        adjustment_count=len(adjustments),
        final=final,
    )


def final_payout(
    base: Decimal, share: Proration, adjustments: Sequence[Decimal] = ()
) -> tuple[Decimal, Decimal, Decimal]:
    """(prorated, adjustments, final) of a base payout: every payout line's arithmetic."""
    prorated = prorate(base, share)
    added = sum(adjustments, start=ZERO)
    return prorated, added, max(prorated + added, ZERO)


def month_lines(
    scores: MonthScores,
    shares: Mapping[int, Proration],
    adjustments: Mapping[int, Sequence[Decimal]],
    *,
    whole: Proration = FULL,
) -> list[PayoutLine]:
    """Every scored rep's line, by team then name; ``whole`` is the share of a rep with
    no dates on record (the month's working days, all paid)."""
    lines = [
        payout_line(
            scores.people[rep_id],
            score,
            shares.get(rep_id, whole),
            adjustments.get(rep_id, ()),
        )
        for rep_id, score in scores.scores.items()
    ]
    return sorted(
        lines, key=lambda line: (line.team_name.casefold(), line.name.casefold())
    )


def total(lines: Iterable[PayoutLine]) -> Decimal:
    return sum((line.final for line in lines), start=ZERO)


def line_to_data(line: PayoutLine) -> dict[str, Any]:
    """A line as JSON-ready data (what an approval keeps)."""
    return {
        "rep_id": line.rep_id,
        "name": line.name,
        "email": line.email,
        "team_id": line.team_id,
        "team_name": line.team_name,
        "score": line.score,
        "eligible": line.eligible,
        "points": [list(p) for p in line.points],
        "target_bonus": str(line.target_bonus),
        "base": str(line.base),
        "paid_days": line.paid_days,
        "working_days": line.working_days,
        "proration_note": line.proration_note,
        "prorated": str(line.prorated),
        "adjustments": str(line.adjustments),
        "adjustment_count": line.adjustment_count,
        "final": str(line.final),
    }


def line_from_data(data: Mapping[str, Any]) -> PayoutLine:
    return PayoutLine(
        rep_id=int(data["rep_id"]),
        name=data["name"],
        email=data["email"],
        team_id=data.get("team_id"),
        team_name=data.get("team_name", ""),
        score=data.get("score"),
        eligible=bool(data.get("eligible")),
        points=tuple((m, label, float(p)) for m, label, p in data.get("points", [])),
        target_bonus=Decimal(data["target_bonus"]),
        base=Decimal(data["base"]),
        paid_days=int(data["paid_days"]),
        working_days=int(data["working_days"]),
        proration_note=data.get("proration_note", ""),
        prorated=Decimal(data["prorated"]),
        adjustments=Decimal(data["adjustments"]),
        adjustment_count=int(data.get("adjustment_count", 0)),
        final=Decimal(data["final"]),
    )


# --- the export ---------------------------------------------------------------------------


def export_table(
    lines: Sequence[PayoutLine],
    *,
    month: str,
    plan_label: str,
    currency: str,
    metric_keys: Sequence[tuple[str, str]],
    closed: bool,
    approved: bool,
    rep_plan_labels: Mapping[int, str] | None = None,
) -> tuple[list[str], list[list[object]]]:
    """The payout CSV: one row per rep with the plan version, closed and approved flags,
    points per metric (``metric_keys``: (metric, label) in plan order), base payout,
    proration, adjustments and the final payout.

    :param rep_plan_labels: reps scored by another version than ``plan_label`` (their
        team's), by rep id.
    """
    header = [
        "month",
        "email",
        "name",
        "team",
        "plan_version",
        "closed",
        "approved",
        "score",
        "eligible",
        *[f"points_{key}" for key, _label in metric_keys],
        "target_bonus",
        "base_payout",
        "paid_days",
        "working_days",
        "proration_factor",
        "adjustments",
        "final_payout",
        "currency",
    ]
    rows: list[list[object]] = []
    for line in sorted(lines, key=lambda line: line.email):
        points = {key: value for key, _label, value in line.points}
        rows.append(
            [
                month,
                line.email,
                line.name,
                line.team_name,
                (rep_plan_labels or {}).get(line.rep_id, plan_label),
                "yes" if closed else "no",
                "yes" if approved else "no",
                "" if line.score is None else round(line.score, 2),
                "yes" if line.eligible else "no",
                *[
                    "" if points.get(key) is None else f"{points[key]:.2f}"
                    for key, _label in metric_keys
                ],
                f"{line.target_bonus:.2f}",
                f"{line.base:.2f}",
                line.paid_days,
                line.working_days,
                str(line.share.factor),
                f"{line.adjustments:.2f}",
                f"{line.final:.2f}",
                currency,
            ]
        )
    return header, rows
