"""Monthly scores: a rep's month against a plan, and a month's scores together.

PURE: plain data in, plain data out; no Flask, no database. Pages, PDFs, the CSV export
and month close all score with :func:`score_rep`; the plan comes from
:mod:`incentives.scoring.plans`.

**Small samples must not win.** CSAT is scored as a Bayesian average
``(satisfied + k * org mean) / (rated + k)``, with ``k`` from the plan: a rep's few ratings
are blended with the organisation's mean, so 1 satisfied rating out of 1 scores close to
the mean, well under 95 out of 100 (whenever the organisation's own CSAT is below 94%;
above that, 95 out of 100 is itself below average). ``k`` is at least 5.

**Volume is shown, never rewarded**: tickets solved (and the number of ratings) can gate
eligibility but can never carry weight.

**A month's score** is the sum of each metric's contribution: its credit times its weight,
as points out of 100. A metric with no value for the rep that month (no public reviews, no
NPS answers) earns nothing and costs nothing: its weight is shared among the metrics that
have a value, and the line says so. Eligibility gates (minimum tickets solved, minimum
rated tickets) decide whether the score pays; the reason is given when it does not. The
payout is the highest tier the score reaches, as an amount or a percentage of the rep's
target bonus (the plan's, or their team's override), never above the plan's cap.

:class:`MonthScores` holds every rep's score of a month with where it came from (a close,
or scored live): what ``incentives.scoring.queries.month_scores`` returns and every page,
PDF, export and e-mail reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from incentives.scoring.plans import (
    CENT,
    SCORED_METRICS,
    Direction,
    MetricTerm,
    Plan,
    Tier,
    format_metric,
    plain_number,
)
from incentives.tickets.metrics import ChannelGroup
from incentives.tickets.months import closed_label


def bayesian_csat(
    satisfied: float, rated: float, prior_mean: float | None, strength: float
) -> float | None:
    """``(satisfied + k * prior_mean) / (rated + k)`` as a fraction.

    :param prior_mean: the organisation's CSAT for the month (0-1); ``None`` when nobody
        was rated, and then the rep's own ratings stand alone.
    :return: ``None`` when there is nothing to go on.
    """
    if prior_mean is None or (isinstance(prior_mean, float) and math.isnan(prior_mean)):
        return satisfied / rated if rated else None
    if rated + strength <= 0:
        return None
    return (satisfied + strength * prior_mean) / (rated + strength)


def attainment(term: MetricTerm, value: float) -> float:
    """Credit for ``value`` as a fraction of full credit (0 to ``cap``/100).

    0 at or below the threshold, 1 at the target, linear in between; above the target
    it rises linearly to the cap at the stretch value, or stays 1 without a stretch.
    "Below" means worse: for lower-is-better metrics, a larger number.
    """
    sign = 1.0 if term.spec.direction is Direction.HIGHER else -1.0
    v, threshold, target = sign * value, sign * term.threshold, sign * term.target
    if v <= threshold:
        return 0.0
    if v <= target:
        return (v - threshold) / (target - threshold)
    if term.stretch is None or term.cap is None:
        return 1.0
    stretch, top = sign * term.stretch, term.cap / 100.0
    if v >= stretch:
        return top
    return 1.0 + (v - target) / (stretch - target) * (top - 1.0)


def missed_threshold_text(direction: Direction) -> str:
    """How a value worse than its threshold is marked: "below threshold" for a metric
    where more is better, "over threshold" where less is (times, reopen rate), so a
    value above its threshold is never said to be below it."""
    return "below threshold" if direction is Direction.HIGHER else "over threshold"


def is_below_threshold(term: MetricTerm, value: float) -> bool:
    """Worse than the threshold (no credit, and a coaching signal)."""
    if term.spec.direction is Direction.HIGHER:
        return value < term.threshold
    return value > term.threshold


@dataclass(frozen=True)
class ChannelPart:
    """A metric's step for a rep's tickets of one channel group, under a plan with other
    values for some groups: the group's value, against its threshold and target."""

    group: str
    label: str
    value: float
    threshold: float
    target: float
    stretch: float | None
    cap: float | None
    #: What the credit is blended by: tickets (ratings for CSAT, answers for NPS,
    #: reviews for reviews answered).
    count: int
    attainment: float
    below_threshold: bool


@dataclass(frozen=True)
class MetricLine:
    """One metric's step in a rep's score: value, credit, weight, contribution."""

    metric: str
    label: str
    unit: str
    direction: Direction
    #: The value scored, in display units (CSAT: the Bayesian average); None: no value.
    value: float | None
    #: The plain value (CSAT: satisfied / rated), for reference.
    raw: float | None
    threshold: float
    target: float
    stretch: float | None
    cap: float | None
    weight: int
    #: The weight after sharing out the weight of metrics with no value.
    effective_weight: float
    #: Credit as a fraction of full credit; None when there is no value.
    attainment: float | None
    #: Points out of 100 this metric adds to the score.
    contribution: float
    below_threshold: bool
    note: str = ""
    #: The steps per channel group, when the plan sets values per group (else empty).
    parts: tuple[ChannelPart, ...] = ()


@dataclass(frozen=True)
class RepScore:
    """A rep's month under a plan: every step, the score, eligibility and payout."""

    rep_id: int
    team_id: int | None
    lines: tuple[MetricLine, ...]
    score: float | None
    eligible: bool
    reasons: tuple[str, ...]
    tier: Tier | None
    target_bonus: Decimal
    payout: Decimal
    payout_note: str
    tickets_solved: int
    rated: int
    csat_prior: float | None = None

    @property
    def reason(self) -> str:
        """Every reason, each a sentence of its own."""
        return " ".join(self.reasons)

    @property
    def below_threshold(self) -> frozenset[str]:
        return frozenset(line.metric for line in self.lines if line.below_threshold)


@dataclass(frozen=True)
class RepMonth:
    """A rep's month metrics as scoring reads them (``metrics.rep_metrics`` columns)."""

    rep_id: int
    team_id: int | None
    tickets_solved: int = 0
    rated: int = 0
    satisfied: int = 0
    values: Mapping[str, float | None] = field(default_factory=dict)
    #: The same per channel group (``metrics.ChannelGroup`` value), where they are known.
    channels: Mapping[str, RepMonth] = field(default_factory=dict)
    nps_responses: int = 0
    review_tickets: int = 0
    #: Quality reviews counted in the month (the QA score is their mean).
    qa_reviews: int = 0

    @classmethod
    def from_row(
        cls,
        rep_id: int,
        team_id: int | None,
        row: Mapping[str, Any],
        channel_rows: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> RepMonth:
        """From a row of month metrics (NaN and NA read as no value), and the rep's rows
        per channel group (``metrics.rep_channel_metrics``) where known."""
        values = {
            spec.column: _value(row.get(spec.column))
            for spec in SCORED_METRICS.values()
        }
        return cls(
            rep_id=int(rep_id),
            team_id=None if _value(team_id) is None else int(team_id),  # type: ignore[arg-type]
            tickets_solved=int(_value(row.get("tickets_solved")) or 0),
            rated=int(_value(row.get("rated")) or 0),
            satisfied=int(_value(row.get("satisfied")) or 0),
            values=values,
            channels={
                str(group): cls.from_row(rep_id, team_id, group_row)
                for group, group_row in (channel_rows or {}).items()
            },
            nps_responses=int(_value(row.get("nps_responses")) or 0),
            review_tickets=int(_value(row.get("review_tickets")) or 0),
            qa_reviews=int(_value(row.get("qa_reviews")) or 0),
        )

    def count_for(self, metric: str) -> int:
        """What a metric's credit is blended by across channel groups."""
        if metric == "csat":
            return self.rated
        if metric == "nps":
            return self.nps_responses
        if metric == "review_followup_rate":
            return self.review_tickets
        if metric == "qa":
            return self.qa_reviews
        return self.tickets_solved


def _value(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def shortfalls(
    score: float | None, solved: int, rated: int, plan: Plan
) -> list[tuple[str, str]]:
    """The eligibility gates a month misses: (a sentence, a few words for a table) each."""
    missed = []
    if score is None:
        missed.append(
            ("No rewarded metric has a value this month.", "no metric has a value")
        )
    if solved < plan.min_solved:
        tickets = "ticket" if solved == 1 else "tickets"
        missed.append(
            (
                f"{solved} {tickets} solved, under the {plan.min_solved} needed.",
                f"{solved}/{plan.min_solved} solved",
            )
        )
    if rated < plan.min_rated:
        tickets = "ticket" if rated == 1 else "tickets"
        missed.append(
            (
                f"{rated} rated {tickets}, under the {plan.min_rated} needed.",
                f"{rated}/{plan.min_rated} rated",
            )
        )
    return missed


def brief_reason(score: RepScore, plan: Plan) -> str:
    """Why ``score`` is not eligible, in a few words for a table: "12/60 solved, 4/15 rated"."""
    briefs = [
        brief
        for _sentence, brief in shortfalls(
            score.score, score.tickets_solved, score.rated, plan
        )
    ]
    return ", ".join(briefs) if briefs else score.reason


def score_rep(month: RepMonth, plan: Plan, *, org_csat: float | None) -> RepScore:
    """Score one rep's month under ``plan``, every step kept.

    :param org_csat: the organisation's CSAT for the month (0-1), the Bayesian prior.
    """
    raw_lines: list[tuple[MetricTerm, float | None, float | None, str]] = []
    for term in plan.terms:
        value, raw_shown, note = _scored_value(term, month, plan, org_csat)
        raw_lines.append((term, value, raw_shown, note))

    weighed = sum(term.weight for term, value, _, _ in raw_lines if value is not None)
    lines = []
    for term, value, raw, note in raw_lines:
        if value is None:
            lines.append(
                MetricLine(
                    term.metric,
                    term.spec.label,
                    term.spec.unit,
                    term.spec.direction,
                    None,
                    raw,
                    term.threshold,
                    term.target,
                    term.stretch,
                    term.cap,
                    term.weight,
                    0.0,
                    None,
                    0.0,
                    False,
                    note
                    or "No value this month: its weight is shared among the others.",
                )
            )
            continue
        parts = _channel_parts(term, month, plan, org_csat)
        if parts:
            counted = sum(part.count for part in parts)
            credit = sum(part.attainment * part.count for part in parts) / counted
            below = any(part.below_threshold for part in parts)
            said = parts_text(parts, term.spec.unit, term.metric)
            note = f"{note} {said}" if note else said
        else:
            credit = attainment(term, value)
            below = is_below_threshold(term, value)
        share = term.weight / weighed * 100 if weighed else 0.0
        lines.append(
            MetricLine(
                term.metric,
                term.spec.label,
                term.spec.unit,
                term.spec.direction,
                value,
                raw,
                term.threshold,
                term.target,
                term.stretch,
                term.cap,
                term.weight,
                share,
                credit,
                credit * share,
                below,
                note,
                parts,
            )
        )
    score = sum(line.contribution for line in lines) if weighed else None

    reasons = [
        sentence
        for sentence, _brief in shortfalls(
            score, month.tickets_solved, month.rated, plan
        )
    ]
    eligible = not reasons
    bonus = plan.bonus_for(month.team_id)
    tier, payout, payout_note = payout_for(score if eligible else None, plan, bonus)
    if not eligible:
        payout_note = "Not eligible this month."
    return RepScore(
        rep_id=month.rep_id,
        team_id=month.team_id,
        lines=tuple(lines),
        score=score,
        eligible=eligible,
        reasons=tuple(reasons),
        tier=tier,
        target_bonus=bonus,
        payout=payout,
        payout_note=payout_note,
        tickets_solved=month.tickets_solved,
        rated=month.rated,
        csat_prior=org_csat,
    )


def _scored_value(
    term: MetricTerm, month: RepMonth, plan: Plan, org_csat: float | None
) -> tuple[float | None, float | None, str]:
    """A metric's value as scored (CSAT: Bayesian), its plain value, and a note."""
    spec = term.spec
    raw = month.values.get(spec.column)
    raw_shown = None if raw is None else raw * spec.scale
    if spec.key == "qa":
        return _qa_value(raw_shown, month.qa_reviews, plan.qa_min_reviews)
    if spec.key != "csat":
        return raw_shown, raw_shown, ""
    # A rep who solved nothing has no CSAT at all, not the organisation's.
    blended = (
        bayesian_csat(month.satisfied, month.rated, org_csat, plan.csat_prior_strength)
        if month.tickets_solved
        else None
    )
    value = None if blended is None else blended * spec.scale
    note = ""
    if value is not None and org_csat is not None:
        note = (
            f"({month.satisfied} satisfied + {plain_number(plan.csat_prior_strength)} × "  # noqa: RUF001
            f"{org_csat * 100:.1f}% organisation) / ({month.rated} rated + "
            f"{plain_number(plan.csat_prior_strength)})"
        )
    return value, raw_shown, note


def _qa_value(
    score: float | None, reviews: int, minimum: int
) -> tuple[float | None, float | None, str]:
    """The QA score as scored: no value under the plan's minimum of counted reviews (a
    small sample neither wins nor loses), its weight shared as for any metric without one."""
    if score is None or reviews >= minimum:
        return score, score, ""
    counted = "1 review" if reviews == 1 else f"{reviews} reviews"
    return (
        None,
        score,
        f"{counted} this month, under the {minimum} the plan needs: "
        "its weight is shared among the others.",
    )


def parts_text(parts: tuple[ChannelPart, ...], unit: str, metric: str) -> str:
    """A line's steps per channel group in words: "Phone and chat: 4 min (threshold
    15 min, target 5 min), 100% credit on 10 tickets; ... Credit blended by tickets." """
    counted = {"csat": "rating", "nps": "answer", "review_followup_rate": "review"}
    noun = counted.get(metric, "ticket")
    said = []
    for part in parts:
        things = noun if part.count == 1 else f"{noun}s"
        said.append(
            f"{part.label}: {format_metric(unit, part.value)} (threshold "
            f"{format_metric(unit, part.threshold)}, target "
            f"{format_metric(unit, part.target)}), {part.attainment * 100:.0f}% credit "
            f"on {part.count} {things}"
        )
    return "; ".join(said) + f". Credit blended by {noun}s."


def _channel_parts(
    term: MetricTerm, month: RepMonth, plan: Plan, org_csat: float | None
) -> tuple[ChannelPart, ...]:
    """A term with values per channel group, scored group by group (empty for a term
    without them, or figures without channel groups)."""
    if not term.channel_groups or not month.channels:
        return ()
    parts = []
    for group in (g.value for g in ChannelGroup):
        group_month = month.channels.get(group)
        if group_month is None:
            continue
        value, _raw, _note = _scored_value(term, group_month, plan, org_csat)
        count = group_month.count_for(term.metric)
        if value is None or count <= 0:
            continue
        own = term.for_group(group)
        parts.append(
            ChannelPart(
                group,
                ChannelGroup(group).label,
                value,
                own.threshold,
                own.target,
                own.stretch,
                own.cap,
                count,
                attainment(own, value),
                is_below_threshold(own, value),
            )
        )
    return tuple(parts)


def payout_for(
    score: float | None, plan: Plan, target_bonus: Decimal
) -> tuple[Tier | None, Decimal, str]:
    """The tier a score reaches, the payout and how it was worked out.

    :return: (tier or None, payout rounded to cents, explanation).
    """
    if score is None:
        return None, Decimal("0.00"), "No score."
    reached = [t for t in plan.tiers if score >= t.min_score - 1e-9]
    if not reached:
        first = plan.tiers[0].min_score if plan.tiers else 0
        return (
            None,
            Decimal("0.00"),
            f"Below the first tier ({plain_number(first)} points).",
        )
    tier = reached[-1]
    if tier.percent is not None:
        amount = (target_bonus * tier.percent / 100).quantize(CENT, ROUND_HALF_UP)
        note = (
            f"{plain_number(tier.min_score)}+ points: {plain_number(float(tier.percent))}% of "
            f"{target_bonus:,.2f} {plan.currency}"
        )
    else:
        amount = (tier.amount or Decimal(0)).quantize(CENT)
        note = f"{plain_number(tier.min_score)}+ points: {amount:,.2f} {plan.currency}"
    if plan.payout_cap is not None and amount > plan.payout_cap:
        amount = plan.payout_cap.quantize(CENT)
        note += f", capped at {amount:,.2f} {plan.currency}"
    return tier, amount, note + "."


def coaching_needs(this_month: RepScore, last_month: RepScore | None) -> list[str]:
    """Metrics below threshold in both months (in plan order): a rep to coach on them."""
    if last_month is None:
        return []
    both = this_month.below_threshold & last_month.below_threshold
    return [line.metric for line in this_month.lines if line.metric in both]


def rank(scores: Mapping[int, float | None]) -> dict[int, int]:
    """Competition ranking by score, best first (ties share a rank: 1, 2, 2, 4).

    Reps with no score are left out.
    """
    ordered = sorted(
        ((rep, s) for rep, s in scores.items() if s is not None),
        key=lambda item: -item[1],  # type: ignore[operator]
    )
    ranks: dict[int, int] = {}
    for position, (rep, value) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        if previous is not None and abs(previous[1] - value) < 1e-9:  # type: ignore[operator]
            ranks[rep] = ranks[previous[0]]
        else:
            ranks[rep] = position
    return ranks


# --- a month of scores -------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A scored rep as the month knew them (names at close for a closed month)."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    is_active: bool = True


@dataclass(frozen=True)
class CloseInfo:
    """A month's close, as pages mention it."""

    id: int
    closed_at: dt.datetime
    closed_by: str
    note: str
    ticket_fingerprint: str
    ticket_count: int
    open_disputes: int
    #: The day it was closed, in the organisation's time zone.
    closed_on: dt.date | None = None

    @property
    def label(self) -> str:
        """ "Closed on 3 June 2026 by Helen Carter", as every surface says it."""
        return closed_label(self.closed_on or self.closed_at.date(), self.closed_by)


@dataclass
class MonthScores:
    """Every rep's score for a month and where it came from. Never changed once built:
    workers share it."""

    month: str
    close: CloseInfo | None
    plan_version_id: int | None
    plan_label: str
    plan: Plan | None
    org_csat: float | None
    scores: dict[int, RepScore] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    #: rep id -> month metrics (``metrics.METRIC_COLUMNS``; None for no value).
    metrics: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The organisation's month metrics, and each team's by id (with ``team_name``).
    organisation: dict[str, Any] = field(default_factory=dict)
    teams: dict[int, dict[str, Any]] = field(default_factory=dict)
    ticket_count: int = 0
    #: The team versions that beat the organisation's this month: team id -> (version
    #: id, label, plan).
    team_plans: dict[int, tuple[int, str, Plan]] = field(default_factory=dict)
    #: Reps scored by a version other than the organisation's: rep id -> (version id,
    #: label).
    rep_plans: dict[int, tuple[int, str]] = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.close is not None

    def plan_for_team(self, team_id: int | None) -> tuple[int | None, str, Plan | None]:
        """The version that scores a rep of ``team_id``: (id, label, plan)."""
        if team_id is not None and team_id in self.team_plans:
            return self.team_plans[team_id]
        return self.plan_version_id, self.plan_label, self.plan

    def version_id_for(self, rep_id: int) -> int | None:
        """The id of the version that scored ``rep_id``."""
        found = self.rep_plans.get(rep_id)
        return found[0] if found else self.plan_version_id

    def plan_label_for(self, rep_id: int) -> str:
        found = self.rep_plans.get(rep_id)
        return found[1] if found else self.plan_label

    @property
    def currency(self) -> str:
        return self.plan.currency if self.plan else ""

    def team_scores(self, team_id: int | None) -> dict[int, float | None]:
        return {
            rep_id: score.score
            for rep_id, score in self.scores.items()
            if self.people[rep_id].team_id == team_id
        }

    def scored(self) -> list[float]:
        return [s.score for s in self.scores.values() if s.score is not None]
