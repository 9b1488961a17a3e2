"""Hiring-test validity: does the aptitude test predict how reps later score?

PURE: no Flask, no database, no scipy. For reps hired through Frontline (a recruiting
candidate linked to their account) with enough scored months, each assessment competency
and the test's total are set against the rep's average monthly score with Spearman's rank
correlation: rank both lists (ties share the mean rank), then take Pearson's correlation of
the ranks. A rough 95% range comes from Fisher's z (``atanh(rho) ± 1.96 / sqrt(n - 3)``).
With few reps the figure can swing widely, so the answer says how many reps it rests on
and, when that is few, says plainly how far to trust it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Scored months a rep needs before their average counts.
MIN_MONTHS = 3
#: Below this many reps no correlation is given at all.
MIN_REPS = 3
#: Below this many reps the result carries a caution.
CAUTION_BELOW = 30


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, smallest first; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    position = 0
    while position < len(order):
        end = position
        while (
            end + 1 < len(order) and values[order[end + 1]] == values[order[position]]
        ):
            end += 1
        mean_rank = (position + end) / 2 + 1
        for index in order[position : end + 1]:
            result[index] = mean_rank
        position = end + 1
    return result


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's correlation; ``None`` when either side does not vary."""
    n = len(x)
    if n != len(y) or n < 2:
        return None
    mean_x, mean_y = sum(x) / n, sum(y) / n
    dx = [v - mean_x for v in x]
    dy = [v - mean_y for v in y]
    sxx, syy = sum(v * v for v in dx), sum(v * v for v in dy)
    if sxx == 0 or syy == 0:
        return None
    return sum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation of two equally long lists (``None``: cannot say)."""
    if len(x) != len(y) or len(x) < MIN_REPS:
        return None
    return pearson(ranks(x), ranks(y))


def likely_range(rho: float, n: int) -> tuple[float, float] | None:
    """A rough 95% range for a correlation from ``n`` pairs (Fisher's z); None below 4."""
    if n < 4:
        return None
    clipped = max(min(rho, 0.999999), -0.999999)
    z, spread = math.atanh(clipped), 1.96 / math.sqrt(n - 3)
    return math.tanh(z - spread), math.tanh(z + spread)


def strength(rho: float | None) -> str:
    """A correlation in words."""
    if rho is None:
        return "cannot say"
    size = abs(rho)
    word = (
        "no real link"
        if size < 0.1
        else "weak"
        if size < 0.3
        else "moderate"
        if size < 0.5
        else "strong"
    )
    if size < 0.1:
        return word
    return f"{word}, {'higher test, higher score' if rho > 0 else 'higher test, lower score'}"


@dataclass(frozen=True)
class HiredRep:
    """A rep hired through Frontline: their test result and their monthly scores."""

    rep_id: int
    competencies: Mapping[str, float]
    total: float
    monthly_scores: Sequence[float]


@dataclass(frozen=True)
class Predictor:
    key: str
    label: str
    rho: float | None
    low: float | None
    high: float | None
    words: str


@dataclass(frozen=True)
class Validity:
    """How well each part of the test predicted later scores."""

    predictors: tuple[Predictor, ...]
    #: Reps the figures rest on (hired through Frontline, with enough scored months).
    n: int
    #: Hired through Frontline but with too few scored months yet.
    too_new: int
    min_months: int
    caution: str

    @property
    def has_figures(self) -> bool:
        return any(p.rho is not None for p in self.predictors)


def hiring_test_validity(
    reps: Sequence[HiredRep],
    competencies: Sequence[tuple[str, str]],
    *,
    min_months: int = MIN_MONTHS,
) -> Validity:
    """Spearman's rho of each competency and the total with the average monthly score.

    :param competencies: (key, label) pairs, in the order to show them.
    :param min_months: scored months a rep needs to count.
    """
    usable = [r for r in reps if len(r.monthly_scores) >= min_months]
    averages = [sum(r.monthly_scores) / len(r.monthly_scores) for r in usable]
    n = len(usable)
    predictors = []
    for key, label in [*competencies, ("total", "Test total")]:
        values = [
            float(r.total if key == "total" else r.competencies.get(key, 0.0))
            for r in usable
        ]
        rho = spearman(values, averages)
        band = likely_range(rho, n) if rho is not None else None
        predictors.append(
            Predictor(
                key,
                label,
                rho,
                band[0] if band else None,
                band[1] if band else None,
                strength(rho),
            )
        )
    return Validity(
        tuple(predictors), n, len(reps) - n, min_months, caution(n, min_months)
    )


def caution(n: int, min_months: int = MIN_MONTHS) -> str:
    """What ``n`` reps allow one to conclude, in plain words."""
    if n < MIN_REPS:
        return (
            f"Only {n} rep{'s' if n != 1 else ''} hired through Frontline "
            f"{'have' if n != 1 else 'has'} {min_months} or more scored months: too few "
            "to say anything yet."
        )
    if n < 10:
        return (
            f"Based on only {n} reps: with so few, one or two people can swing these "
            "figures a long way. Read them as a first hint, not as evidence, and do not "
            "change how you hire on them alone."
        )
    if n < CAUTION_BELOW:
        return (
            f"Based on {n} reps: enough to see a direction, not to be sure of its size. "
            "The likely range beside each figure shows how far it could be off."
        )
    return f"Based on {n} reps."
