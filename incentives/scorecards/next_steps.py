"""What a rep can do next: the value each metric needs for the next payout tier, the
month-to-date pace with its projection, and a what-if that moves one metric.

PURE: no Flask, no database. Everything is worked out with the plan's own maths in
:mod:`incentives.scoring.rep_scores` (``attainment`` for a metric's credit,
``payout_for`` for what a score pays) from a :class:`~rep_scores.RepScore` as scored:
a metric is moved with the others held, its credit times its effective weight replacing
its old points. A metric scored per channel group (a line with ``parts``) is blended from
several steps, so moving its overall value is not defined: it is left out and the card
says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from incentives.scoring.plan_metrics import QA_UNIT
from incentives.scoring.plans import (
    SCORED_METRICS,
    Direction,
    MetricTerm,
    Plan,
    Tier,
    format_metric,
    plain_number,
)
from incentives.scoring.rep_scores import MetricLine, RepScore, attainment, payout_for

#: How close a score must come to a tier's floor (as ``payout_for`` reads it).
EPSILON = 1e-9


def line_term(line: MetricLine) -> MetricTerm:
    """The plan's term as the line was scored (threshold, target, stretch and cap)."""
    return MetricTerm(
        line.metric, line.weight, line.threshold, line.target, line.stretch, line.cap
    )


def can_move(line: MetricLine) -> bool:
    """A line whose value can be moved alone: it has a value and a weight, and is not
    blended from channel-group steps."""
    return line.value is not None and line.effective_weight > 0 and not line.parts


def next_tier(plan: Plan, score: float | None) -> Tier | None:
    """The lowest tier above ``score`` (the first tier without a score)."""
    for tier in plan.tiers:
        if score is None or score < tier.min_score - EPSILON:
            return tier
    return None


def step(unit: str, value: float) -> float:
    """The smallest change a value is shown with (``format_metric``)."""
    if unit in ("%", "h", QA_UNIT):
        return 0.1
    if unit == "min":
        return 0.1 if value < 10 else 1.0
    if unit == "pts":
        return 1.0
    return 0.01


def _shown(unit: str, value: float, direction: Direction) -> float:
    """``value`` rounded to how it is shown, towards better, so reaching the shown value
    is enough."""
    size = step(unit, value)
    scaled = value / size
    # Drop float noise (92.30000001) before rounding towards better.
    scaled = round(scaled, 6)
    rounded = math.ceil(scaled) if direction is Direction.HIGHER else math.floor(scaled)
    return round(rounded * size, 6)


@dataclass(frozen=True)
class Rescored:
    """A score with one metric moved, the others held."""

    metric: str
    value: float
    attainment: float
    contribution: float
    score: float
    tier: Tier | None
    #: What the score pays (``payout_for``), eligible or not.
    payout: Decimal
    payout_note: str


def rescore(score: RepScore, plan: Plan, metric: str, value: float) -> Rescored | None:
    """``score`` with ``metric`` at ``value``: its credit by the plan's ``attainment``,
    times its effective weight, the other metrics' points held; what it pays by
    ``payout_for``. None when the metric cannot be moved alone (:func:`can_move`)."""
    line = next((ln for ln in score.lines if ln.metric == metric), None)
    if line is None or not can_move(line) or score.score is None:
        return None
    credit = attainment(line_term(line), value)
    points = credit * line.effective_weight
    others = sum(ln.contribution for ln in score.lines if ln.metric != metric)
    total = others + points
    tier, payout, note = payout_for(total, plan, score.target_bonus)
    return Rescored(metric, value, credit, points, total, tier, payout, note)


@dataclass(frozen=True)
class Needed:
    """What one metric must reach, the others held, for the next tier."""

    metric: str
    label: str
    now: str
    #: The value needed, as shown; "" when the metric alone cannot get there.
    needed: str
    reachable: bool
    #: The plain-words sentence.
    text: str


def _best(line: MetricLine) -> float:
    spec = SCORED_METRICS[line.metric]
    return spec.maximum if line.direction is Direction.HIGHER else spec.minimum


def value_for(
    score: RepScore, plan: Plan, line: MetricLine, target: float
) -> float | None:
    """The least improvement of ``line`` (as shown) that lifts the score to ``target``
    points, the other metrics held; None when even the best value cannot."""
    best = _best(line)
    found = rescore(score, plan, line.metric, best)
    if found is None or found.score < target - EPSILON:
        return None
    worse, better = float(line.value), best  # type: ignore[arg-type]
    for _ in range(80):  # bisect on the plan's own credit curve
        middle = (worse + better) / 2
        moved = rescore(score, plan, line.metric, middle)
        if moved is not None and moved.score >= target - EPSILON:
            better = middle
        else:
            worse = middle
    shown = _shown(line.unit, better, line.direction)
    moved = rescore(score, plan, line.metric, shown)
    if moved is None or moved.score < target - EPSILON:
        shown = better  # rounding fell short: the exact value
    return shown


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}".strip()


def tier_words(tier: Tier) -> str:
    return f"the {plain_number(tier.min_score)}-point tier"


def next_tier_needs(score: RepScore, plan: Plan) -> tuple[str, tuple[Needed, ...]]:
    """A headline and, per metric, the value that reaches the next tier alone.

    :return: ("" and nothing) without a score; a headline saying the top tier is reached
        when it is.
    """
    if score.score is None or not plan.tiers:
        return "", ()
    tier = next_tier(plan, score.score)
    if tier is None:
        return "You are in the top tier: keep every metric where it is.", ()
    _t, pays, _n = payout_for(tier.min_score, plan, score.target_bonus)
    gap = tier.min_score - score.score
    headline = (
        f"Next: {tier_words(tier)}, {plain_number(round(gap, 1))} points away, pays "
        f"{money(pays, plan.currency)}."
    )
    if not score.eligible:
        headline += " It pays once the month is eligible."
    found = []
    for line in score.lines:
        if line.value is None or line.effective_weight <= 0:
            continue
        now = format_metric(line.unit, line.value)
        if line.parts:
            found.append(
                Needed(
                    line.metric,
                    line.label,
                    now,
                    "",
                    False,
                    f"{line.label}: scored per channel group, so it is not solved "
                    "for alone; see its steps below.",
                )
            )
            continue
        value = value_for(score, plan, line, tier.min_score)
        if value is None:
            found.append(
                Needed(
                    line.metric,
                    line.label,
                    now,
                    "",
                    False,
                    f"{line.label}: cannot reach it alone, even at its best "
                    f"({format_metric(line.unit, _best(line))}).",
                )
            )
            continue
        needed = format_metric(line.unit, value)
        found.append(
            Needed(
                line.metric,
                line.label,
                now,
                needed,
                True,
                f"{line.label}: {now} now; {needed} would reach it, others held.",
            )
        )
    return headline, tuple(found)


# --- pace ---------------------------------------------------------------------------------


def month_days(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return calendar.monthrange(year, number)[1]


def days_elapsed(month: str, today: dt.date) -> int | None:
    """Days of ``month`` gone by ``today`` (today counted); None before it starts,
    the whole month once it is over."""
    year, number = (int(part) for part in month.split("-"))
    first = dt.date(year, number, 1)
    if today < first:
        return None
    return min(month_days(month), (today - first).days + 1)


def projected(count: int, elapsed: int, days: int) -> int:
    """``count`` so far, at the same pace to the month's end (rounded down)."""
    if elapsed <= 0:
        return count
    return math.floor(count * days / elapsed + EPSILON)


@dataclass(frozen=True)
class Pace:
    """Month-to-date figures of an open month and where they lead."""

    elapsed: int
    days: int
    #: Sentences, each marked as a projection where it is one.
    lines: tuple[str, ...]


def pace(score: RepScore, plan: Plan, month: str, today: dt.date) -> Pace | None:
    """The month so far: tickets solved and rated against the plan's minimums, each
    projected to the month's end at the same pace; what today's score would pay.

    None before the month starts."""
    elapsed = days_elapsed(month, today)
    if elapsed is None:
        return None
    days = month_days(month)
    over = elapsed >= days
    lines = [
        f"Day {elapsed} of {days}."
        if not over
        else "The month is over; these are its figures until it is closed."
    ]
    for count, minimum, what in (
        (score.tickets_solved, plan.min_solved, "solved"),
        (score.rated, plan.min_rated, "rated"),
    ):
        if minimum <= 0:
            continue
        so_far = f"{count} of {minimum} {what} so far"
        if over or count >= minimum:
            verdict = "enough" if count >= minimum else f"{minimum - count} short"
            lines.append(f"{so_far}: {verdict}.")
            continue
        end = projected(count, elapsed, days)
        verdict = "enough" if end >= minimum else f"{minimum - end} short"
        lines.append(
            f"{so_far}; projection: at this pace {end} by month end ({verdict})."
        )
    if score.score is not None:
        _t, pays, _n = payout_for(score.score, plan, score.target_bonus)
        if over:
            said = f"Its score of {score.score:.1f} pays {money(pays, plan.currency)}"
        else:
            said = (
                f"Projection: if the month ends at today's score of {score.score:.1f}, "
                f"it pays {money(pays, plan.currency)}"
            )
        lines.append(said + ("." if score.eligible else ", once eligible."))
    return Pace(elapsed, days, tuple(lines))


# --- the what-if on the web page ----------------------------------------------------------


@dataclass(frozen=True)
class WhatIfChoice:
    """A metric the what-if can move, with its value now (as typed in the form)."""

    metric: str
    label: str
    unit: str
    value: str


@dataclass(frozen=True)
class WhatIf:
    """The what-if asked for: the metric and value, and the score and payout they give
    (or why it could not be worked out)."""

    metric: str
    value: str
    error: str = ""
    text: str = ""
    score: str = ""
    payout: str = ""


def choices(score: RepScore | None) -> tuple[WhatIfChoice, ...]:
    """The metrics a what-if can move (:func:`can_move`)."""
    if score is None or score.score is None:
        return ()
    return tuple(
        WhatIfChoice(line.metric, line.label, line.unit, f"{round(line.value, 1):g}")
        for line in score.lines
        if can_move(line)
    )


def what_if(score: RepScore | None, plan: Plan | None, metric: str, raw: str) -> WhatIf:
    """Re-score ``score`` with ``metric`` at ``raw`` (text from the form), the other
    metrics held. Every problem comes back as a plain sentence in ``error``."""
    metric, raw = (metric or "").strip(), (raw or "").strip()
    if score is None or plan is None or score.score is None:
        return WhatIf(
            metric, raw, error="There is no score this month to try values on."
        )
    line = next((ln for ln in score.lines if ln.metric == metric), None)
    if line is None:
        return WhatIf(metric, raw, error="Choose one of the plan's metrics.")
    if line.parts:
        return WhatIf(
            metric,
            raw,
            error=f"{line.label} is scored per channel group, so it cannot be moved "
            "as one value here.",
        )
    if not can_move(line):
        return WhatIf(
            metric, raw, error=f"{line.label} has no value this month to move."
        )
    spec = SCORED_METRICS[metric]
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return WhatIf(metric, raw, error=f"Enter a number for {line.label}.")
    if not spec.minimum <= value <= spec.maximum:
        return WhatIf(
            metric,
            raw,
            error=f"Enter {line.label} from {format_metric(line.unit, spec.minimum)} "
            f"to {format_metric(line.unit, spec.maximum)}.",
        )
    moved = rescore(score, plan, metric, value)
    if moved is None:  # pragma: no cover - can_move was checked
        return WhatIf(metric, raw, error=f"{line.label} cannot be moved alone.")
    pays = money(moved.payout, plan.currency)
    text = (
        f"With {line.label} at {format_metric(line.unit, value)} "
        f"({moved.attainment * 100:.0f}% credit × {line.effective_weight:.1f} = "  # noqa: RUF001
        f"{moved.contribution:.1f} points) and the other metrics as they are, the score "
        f"would be {moved.score:.1f}: {moved.payout_note}"
    )
    if not score.eligible:
        text += " It would pay only once the month is eligible."
    return WhatIf(metric, raw, text=text, score=f"{moved.score:.1f}", payout=pays)
