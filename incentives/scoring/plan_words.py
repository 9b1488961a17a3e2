"""A plan in plain words: what a rep reads before they acknowledge the plan they are paid on.

PURE: a :class:`~incentives.scoring.plans.Plan` in, sentences out; no Flask, no database.
Every number comes from the plan as :mod:`incentives.scoring.rep_scores` scores it, so the
words cannot drift from the maths.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from incentives.scoring.plans import (
    CENT,
    Direction,
    MetricTerm,
    Plan,
    format_metric,
    plain_number,
)


@dataclass(frozen=True)
class PlanWords:
    """The plan as sentences, in the order a rep reads them."""

    #: One paragraph per metric that earns points.
    metrics: tuple[str, ...]
    #: Who qualifies for a payout in a month.
    eligibility: str
    #: The target bonus, then what each score band pays, then the cap.
    payout: tuple[str, ...]
    #: How CSAT is blended and what happens to a metric with no value.
    fine_print: tuple[str, ...]


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def points(value: float) -> str:
    text = plain_number(value)
    return f"{text} point" if text == "1" else f"{text} points"


def tickets(count: int, what: str = "") -> str:
    noun = "ticket" if count == 1 else "tickets"
    return f"{count} {what + ' ' if what else ''}{noun}"


def term_sentence(term: MetricTerm) -> str:
    """How one metric earns its points, in words."""
    spec = term.spec
    unit = spec.unit
    threshold = format_metric(unit, term.threshold)
    target = format_metric(unit, term.target)
    about = spec.help.rstrip(".")
    about = about[0].lower() + about[1:]
    worth = f"{spec.label} ({about}) is worth {points(term.weight)}."
    if spec.direction is Direction.HIGHER:
        scale = (
            f" Higher is better: at {threshold} or less you earn none of them, at "
            f"{target} or more you earn all {plain_number(term.weight)}, and in between "
            "a share in proportion."
        )
    else:
        scale = (
            f" Lower is better: at {threshold} or more you earn none of them, at "
            f"{target} or less you earn all {plain_number(term.weight)}, and in between "
            "a share in proportion."
        )
    extra = ""
    if term.stretch is not None and term.cap is not None:
        top = term.weight * term.cap / 100
        better = "above" if spec.direction is Direction.HIGHER else "below"
        extra = (
            f" Beyond the target it keeps counting: at {format_metric(unit, term.stretch)}"
            f" ({better} the target) you earn {plain_number(term.cap)}% of them, "
            f"{points(top)}."
        )
    return worth + scale + extra + _groups_sentence(term)


def _groups_sentence(term: MetricTerm) -> str:
    """The channel groups a metric scores on other values, in words."""
    if not term.channel_groups:
        return ""
    unit = term.spec.unit
    said = []
    for own in term.channel_groups:
        words = (
            f"{own.label.lower()} tickets: none at {format_metric(unit, own.threshold)}, "
            f"all at {format_metric(unit, own.target)}"
        )
        if own.stretch is not None and own.cap is not None:
            words += f", {plain_number(own.cap)}% at {format_metric(unit, own.stretch)}"
        said.append(words)
    return (
        " Some channels have values of their own: "
        + "; ".join(said)
        + ". Your tickets in each are scored on its values, and the credit is "
        "blended by how many tickets you had in each."
    )


def _qa_sentence(minimum: int) -> str:
    reviews = "1 review" if minimum == 1 else f"{minimum} reviews"
    return (
        "Your QA score is the mean of the month's quality reviews of your tickets that "
        f"count (submitted, or upheld after a dispute). It counts when you have at least "
        f"{reviews} that month; with fewer, its points are shared among the others."
    )


def describe(plan: Plan, team_id: int | None) -> PlanWords:
    """The plan as a rep of ``team_id`` is paid on it."""
    bonus = plan.bonus_for(team_id)
    payout = [
        f"Your target bonus is {money(bonus, plan.currency)} a month. Your score is the "
        "sum of the points above, out of 100."
    ]
    if plan.tiers:
        first = plan.tiers[0].min_score
        payout.append(f"Below {points(first)}, the month pays nothing.")
    for tier in plan.tiers:
        if tier.percent is not None:
            amount = (bonus * tier.percent / 100).quantize(CENT, ROUND_HALF_UP)
            pays = (
                f"{plain_number(float(tier.percent))}% of your target bonus, "
                f"{money(amount, plan.currency)}"
            )
        else:
            pays = money((tier.amount or Decimal(0)).quantize(CENT), plan.currency)
        payout.append(f"With {points(tier.min_score)} or more, you are paid {pays}.")
    if plan.payout_cap is not None:
        payout.append(
            f"No month pays more than {money(plan.payout_cap, plan.currency)}."
        )
    needs = [tickets(plan.min_solved, "solved")] if plan.min_solved else []
    if plan.min_rated:
        needs.append(f"{plan.min_rated} of them rated by customers")
    eligibility = (
        f"You qualify for a payout in a month when you have at least {' and '.join(needs)}."
        if needs
        else "Every month with a score qualifies for a payout."
    )
    fine_print = [
        "A metric you have no value for in a month (no ratings, say) does not count "
        "against you: its points are shared among the others.",
    ]
    if plan.term("qa") is not None:
        fine_print.append(_qa_sentence(plan.qa_min_reviews))
    if plan.term("csat") is not None:
        k = plain_number(plan.csat_prior_strength)
        fine_print.insert(
            0,
            f"Your CSAT is blended with the organisation's: it counts as if you had {k} "
            "more ratings at the organisation's average, so a few ratings cannot swing "
            "it far either way.",
        )
    return PlanWords(
        metrics=tuple(term_sentence(t) for t in plan.terms),
        eligibility=eligibility,
        payout=tuple(payout),
        fine_print=tuple(fine_print),
    )
