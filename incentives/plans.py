"""Incentive plans and monthly scores: the rules, written once.

PURE: plain data in, plain data out; no Flask, no database. The admin form, the YAML import
and the stored plan versions all go through :func:`parse_plan`; pages, PDFs, the CSV export
and month close all score with :func:`score_rep`.

**A plan** names the metrics that earn credit. Each has a weight (the weights add up to
100), a *threshold* (no credit below it), a *target* (full credit) and, optionally, a
*stretch* value where credit reaches a *cap* above 100%. Credit is linear in between and
flat beyond the stretch (or beyond the target when there is no stretch). For "lower is
better" metrics (times, the reopen rate) the threshold is the larger number.

Plan values are written as people read them: rates in percent (``80`` is 80%), NPS in
points, first reply in minutes, resolution in hours.

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
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import yaml

from core import untrusted_yaml


class Direction(enum.StrEnum):
    HIGHER = "higher"  # more is better (CSAT, timely rate...)
    LOWER = "lower"  # less is better (times, reopen rate)


@dataclass(frozen=True)
class MetricSpec:
    """A metric a plan can reward, in the units people read it in."""

    key: str
    label: str
    unit: str  # "%", "pts", "min" or "h"
    direction: Direction
    #: The column of the month metrics it is read from.
    column: str
    #: Month metrics hold rates as fractions; plans and pages show percent.
    scale: float
    minimum: float
    maximum: float
    #: The tag training scenarios use in ``coaches:`` for this metric.
    coaching_tag: str
    help: str


SCORED_METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec(
            "csat",
            "CSAT",
            "%",
            Direction.HIGHER,
            "csat_raw",
            100.0,
            0,
            100,
            "csat",
            "Satisfied ratings, as a Bayesian average with the organisation's mean.",
        ),
        MetricSpec(
            "timely_rate",
            "Solved in time",
            "%",
            Direction.HIGHER,
            "timely_rate",
            100.0,
            0,
            100,
            "timely_resolution",
            "Share of tickets solved within the SLA target for their channel.",
        ),
        MetricSpec(
            "first_response_median_min",
            "First reply",
            "min",
            Direction.LOWER,
            "first_response_median_min",
            1.0,
            0,
            60 * 24 * 30,
            "first_response",
            "Median minutes to the first reply.",
        ),
        MetricSpec(
            "resolution_median_h",
            "Resolution",
            "h",
            Direction.LOWER,
            "resolution_median_h",
            1.0,
            0,
            24 * 90,
            "resolution_time",
            "Median hours from creation to solve.",
        ),
        MetricSpec(
            "nps",
            "NPS",
            "pts",
            Direction.HIGHER,
            "nps",
            1.0,
            -100,
            100,
            "nps",
            "% promoters minus % detractors.",
        ),
        MetricSpec(
            "reopen_rate",
            "Reopened",
            "%",
            Direction.LOWER,
            "reopen_rate",
            100.0,
            0,
            100,
            "reopen_rate",
            "Share of solved tickets reopened.",
        ),
        MetricSpec(
            "review_followup_rate",
            "Reviews answered",
            "%",
            Direction.HIGHER,
            "review_followup_rate",
            100.0,
            0,
            100,
            "public_review_follow_up",
            "Public reviews answered within their first-reply target.",
        ),
    )
}

#: Counts that may gate eligibility but never earn credit.
VOLUME_METRICS = frozenset(
    {"tickets_solved", "volume", "tickets", "rated", "nps_responses", "satisfied"}
)

MAX_TIERS = 8
MIN_PRIOR_STRENGTH = 5
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CENT = Decimal("0.01")


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricTerm:
    """How one metric earns credit. Values in the metric's display unit."""

    metric: str
    weight: int
    threshold: float
    target: float
    stretch: float | None = None
    #: Credit at (and beyond) the stretch, in percent (e.g. 150); needs ``stretch``.
    cap: float | None = None

    @property
    def spec(self) -> MetricSpec:
        return SCORED_METRICS[self.metric]


@dataclass(frozen=True)
class Tier:
    """From ``min_score`` on, pay ``percent`` of the target bonus or a fixed ``amount``."""

    min_score: float
    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class TeamBonus:
    """A team's own target bonus; ``team_id`` is filled in when the plan is saved."""

    team: str
    amount: Decimal
    team_id: int | None = None


@dataclass(frozen=True)
class Plan:
    name: str
    currency: str
    #: Each rep's target bonus for a month, unless their team has its own.
    target_bonus: Decimal
    #: ``k`` in the Bayesian CSAT: how many ratings' worth of the organisation's mean.
    csat_prior_strength: float
    min_solved: int
    min_rated: int
    terms: tuple[MetricTerm, ...]
    tiers: tuple[Tier, ...]
    payout_cap: Decimal | None = None
    team_bonuses: tuple[TeamBonus, ...] = ()
    description: str = ""

    def bonus_for(self, team_id: int | None) -> Decimal:
        """The target bonus of a rep in ``team_id``: the team's override, or the plan's."""
        for bonus in self.team_bonuses:
            if bonus.team_id is not None and bonus.team_id == team_id:
                return bonus.amount
        return self.target_bonus

    def term(self, metric: str) -> MetricTerm | None:
        return next((t for t in self.terms if t.metric == metric), None)

    @property
    def tier_kind(self) -> str:
        return "percent" if any(t.percent is not None for t in self.tiers) else "amount"


class PlanInvalid(ValueError):
    """A plan that cannot be used; ``errors`` maps a field (``metrics.csat.target``) to
    its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {key: list(messages) for key, messages in errors.items()}
        super().__init__("; ".join(self.problems))

    @property
    def problems(self) -> list[str]:
        return [
            f"{_field_label(key)}: {message}" if key else message
            for key, messages in self.errors.items()
            for message in messages
        ]


def _field_label(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "metrics" and len(parts) >= 2:
        spec = SCORED_METRICS.get(parts[1])
        name = spec.label if spec else parts[1]
        return f"{name} {parts[2]}" if len(parts) > 2 else name
    if parts[0] == "team_target_bonus" and len(parts) > 1:
        return f"target bonus of {'.'.join(parts[1:])}"
    return key.replace("_", " ").replace(".", " ")


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


def _number(
    raw: Any,
    key: str,
    errors: _Errors,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
    required: bool = True,
) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.add(key, "Enter a number.")
        return None
    if isinstance(raw, bool):
        errors.add(key, "Enter a number.")
        return None
    try:
        text = str(raw).strip().rstrip("%").strip().replace(",", ".")
        value = float(text)
    except ValueError:
        errors.add(key, f"{raw!r} is not a number.")
        return None
    if not math.isfinite(value):
        errors.add(key, "Enter a finite number.")
        return None
    if whole and not value.is_integer():
        errors.add(key, "Enter a whole number.")
        return None
    if (minimum is not None and value < minimum) or (
        maximum is not None and value > maximum
    ):
        errors.add(key, f"Enter a number from {_plain(minimum)} to {_plain(maximum)}.")
        return None
    return value


def _money(
    raw: Any, key: str, errors: _Errors, *, required: bool = True
) -> Decimal | None:
    value = _number(raw, key, errors, minimum=0, maximum=1_000_000, required=required)
    if value is None:
        return None
    try:
        return Decimal(str(raw).strip().replace(",", ".")).quantize(CENT)
    except InvalidOperation:
        return Decimal(str(value)).quantize(CENT)


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def parse_plan(data: Any) -> Plan:
    """Check a plan given as plain data (parsed YAML, a form, a stored version).

    The shape (YAML)::

        name: Service quality
        currency: USD
        target_bonus: 300
        team_target_bonus: {Phone & Email: 350}
        csat_prior_strength: 20
        eligibility: {min_solved: 40, min_rated: 10}
        metrics:
          csat: {weight: 40, threshold: 80, target: 92, stretch: 97, cap: 130}
          reopen_rate: {weight: 20, threshold: 10, target: 4}
        payout:
          tiers: [{score: 50, percent: 50}, {score: 80, percent: 100}]
          cap: 450

    :return: the plan.
    :raises PlanInvalid: every problem found, by field.
    """
    errors = _Errors()
    if not isinstance(data, Mapping):
        raise PlanInvalid(
            {"": ["A plan is a set of fields (name, metrics, payout...)."]}
        )
    known = {
        "name",
        "description",
        "currency",
        "target_bonus",
        "team_target_bonus",
        "csat_prior_strength",
        "eligibility",
        "metrics",
        "payout",
    }
    for key in data:
        if key not in known:
            errors.add(str(key), "Unknown field.")

    name = str(data.get("name") or "").strip()
    if not name:
        errors.add("name", "Give the plan a name.")
    elif len(name) > 120:
        errors.add("name", "Use at most 120 characters.")
    description = str(data.get("description") or "").strip()
    if len(description) > 1000:
        errors.add("description", "Use at most 1000 characters.")
    currency = str(data.get("currency") or "").strip().upper()
    if not CURRENCY_RE.match(currency):
        errors.add("currency", "Use a three-letter currency code such as USD or EUR.")
    target_bonus = _money(data.get("target_bonus"), "target_bonus", errors)
    # At least 5 ratings' worth of the mean: with fewer, one glowing rating could still
    # outrank 95 satisfied out of 100 wherever the mean is near 90%.
    strength = _number(
        data.get("csat_prior_strength"),
        "csat_prior_strength",
        errors,
        minimum=MIN_PRIOR_STRENGTH,
        maximum=1000,
    )

    eligibility = data.get("eligibility") or {}
    if not isinstance(eligibility, Mapping):
        errors.add("eligibility", "Give min_solved and min_rated.")
        eligibility = {}
    for key in eligibility:
        if key not in ("min_solved", "min_rated"):
            errors.add(f"eligibility.{key}", "Unknown field.")
    min_solved = _number(
        eligibility.get("min_solved", 0),
        "eligibility.min_solved",
        errors,
        minimum=0,
        maximum=100_000,
        whole=True,
    )
    min_rated = _number(
        eligibility.get("min_rated", 0),
        "eligibility.min_rated",
        errors,
        minimum=0,
        maximum=100_000,
        whole=True,
    )

    terms = _terms(data.get("metrics"), errors)
    team_bonuses = _team_bonuses(data.get("team_target_bonus"), errors)
    tiers, payout_cap = _payout(data.get("payout"), errors)

    if errors.errors:
        raise PlanInvalid(errors.errors)
    return Plan(
        name=name,
        description=description,
        currency=currency,
        target_bonus=target_bonus,  # type: ignore[arg-type]
        csat_prior_strength=float(strength),  # type: ignore[arg-type]
        min_solved=int(min_solved),  # type: ignore[arg-type]
        min_rated=int(min_rated),  # type: ignore[arg-type]
        terms=tuple(terms),
        tiers=tuple(tiers),
        payout_cap=payout_cap,
        team_bonuses=tuple(team_bonuses),
    )


def _terms(raw: Any, errors: _Errors) -> list[MetricTerm]:
    if not isinstance(raw, Mapping) or not raw:
        errors.add("metrics", "Choose at least one metric to reward.")
        return []
    terms: list[MetricTerm] = []
    for metric, values in raw.items():
        key = f"metrics.{metric}"
        if metric in VOLUME_METRICS:
            errors.add(
                key,
                "Volume is shown, never rewarded: it cannot carry weight. "
                "Use eligibility.min_solved to require a minimum.",
            )
            continue
        spec = SCORED_METRICS.get(str(metric))
        if spec is None:
            errors.add(key, f"Unknown metric. Use one of: {', '.join(SCORED_METRICS)}.")
            continue
        if not isinstance(values, Mapping):
            errors.add(key, "Give weight, threshold and target.")
            continue
        for extra in values:
            if extra not in ("weight", "threshold", "target", "stretch", "cap"):
                errors.add(f"{key}.{extra}", "Unknown field.")
        weight = _number(
            values.get("weight"),
            f"{key}.weight",
            errors,
            minimum=1,
            maximum=100,
            whole=True,
        )
        bounds = {"minimum": spec.minimum, "maximum": spec.maximum}
        threshold = _number(
            values.get("threshold"), f"{key}.threshold", errors, **bounds
        )
        target = _number(values.get("target"), f"{key}.target", errors, **bounds)
        stretch = _number(
            values.get("stretch"), f"{key}.stretch", errors, required=False, **bounds
        )
        cap = _number(
            values.get("cap"),
            f"{key}.cap",
            errors,
            minimum=100,
            maximum=300,
            required=False,
        )
        better = "above" if spec.direction is Direction.HIGHER else "below"
        if threshold is not None and target is not None:
            if not _beyond(target, threshold, spec.direction):
                errors.add(
                    f"{key}.target",
                    f"The target must be {better} the threshold "
                    f"({'higher' if better == 'above' else 'lower'} is better here).",
                )
            elif stretch is not None and not _beyond(stretch, target, spec.direction):
                errors.add(
                    f"{key}.stretch", f"The stretch must be {better} the target."
                )
        if (stretch is None) != (cap is None):
            errors.add(
                f"{key}.cap" if cap is None else f"{key}.stretch",
                "Give both a stretch value and the cap (credit in % at the stretch), "
                "or neither.",
            )
        if weight is None or threshold is None or target is None:
            continue
        terms.append(
            MetricTerm(
                metric=spec.key,
                weight=int(weight),
                threshold=threshold,
                target=target,
                stretch=stretch if cap is not None else None,
                cap=cap if stretch is not None else None,
            )
        )
    total = sum(t.weight for t in terms)
    if terms and len(terms) == len(raw) and total != 100:
        errors.add(
            "metrics", f"The weights add up to {total}; they must add up to 100."
        )
    return sorted(terms, key=lambda t: list(SCORED_METRICS).index(t.metric))


def _beyond(value: float, other: float, direction: Direction) -> bool:
    return value > other if direction is Direction.HIGHER else value < other


def _team_bonuses(raw: Any, errors: _Errors) -> list[TeamBonus]:
    if raw in (None, {}, []):
        return []
    if not isinstance(raw, Mapping):
        errors.add("team_target_bonus", "Give a team name and its target bonus.")
        return []
    bonuses = []
    for team, amount in raw.items():
        value = _money(amount, f"team_target_bonus.{team}", errors)
        if value is not None:
            bonuses.append(TeamBonus(str(team).strip(), value))
    return sorted(bonuses, key=lambda b: b.team.casefold())


def _payout(raw: Any, errors: _Errors) -> tuple[list[Tier], Decimal | None]:
    if not isinstance(raw, Mapping):
        errors.add("payout.tiers", "Give at least one payout tier.")
        return [], None
    for key in raw:
        if key not in ("tiers", "cap"):
            errors.add(f"payout.{key}", "Unknown field.")
    cap = _money(raw.get("cap"), "payout.cap", errors, required=False)
    items = raw.get("tiers")
    if not isinstance(items, list) or not items:
        errors.add("payout.tiers", "Give at least one payout tier.")
        return [], cap
    if len(items) > MAX_TIERS:
        errors.add("payout.tiers", f"Use at most {MAX_TIERS} tiers.")
    tiers: list[Tier] = []
    for number, item in enumerate(items, start=1):
        key = f"payout.tiers.{number}"
        if not isinstance(item, Mapping):
            errors.add(key, "Give a score and a percent or an amount.")
            continue
        for extra in item:
            if extra not in ("score", "percent", "amount"):
                errors.add(key, f"Unknown field {extra!r}.")
        score = _number(item.get("score"), key, errors, minimum=0, maximum=300)
        has_percent = item.get("percent") is not None
        has_amount = item.get("amount") is not None
        if has_percent == has_amount:
            errors.add(key, "Give either a percent of the target bonus or an amount.")
            continue
        percent = amount = None
        if has_percent:
            value = _number(item["percent"], key, errors, minimum=0, maximum=1000)
            percent = Decimal(f"{value:g}") if value is not None else None
        else:
            amount = _money(item["amount"], key, errors)
        if score is None or (percent is None and amount is None):
            continue
        tiers.append(Tier(score, percent, amount))
    if tiers:
        kinds = {t.percent is None for t in tiers}
        if len(kinds) > 1:
            errors.add(
                "payout.tiers",
                "Use either percentages of the target bonus or amounts for every tier.",
            )
        scores = [t.min_score for t in tiers]
        if scores != sorted(scores) or len(set(scores)) != len(scores):
            errors.add("payout.tiers", "List the tiers from the lowest score up.")
        pays = [t.percent if t.percent is not None else t.amount for t in tiers]
        if len(kinds) == 1 and pays != sorted(pays):  # type: ignore[type-var]
            errors.add("payout.tiers", "A higher tier must not pay less than a lower.")
    return tiers, cap


def parse_plan_yaml(text: str) -> Plan:
    """A plan from its YAML text.

    :raises PlanInvalid: not YAML, or a plan with problems.
    """
    try:
        data = untrusted_yaml.load(text)  # never a crash: see core/untrusted_yaml.py
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PlanInvalid({"": [f"This is not valid YAML{where}."]}) from e
    return parse_plan(data)


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """The plan as plain data: what is stored, hashed and written out as YAML."""
    data: dict[str, Any] = {
        "name": plan.name,
        "currency": plan.currency,
        "target_bonus": _num(plan.target_bonus),
        "csat_prior_strength": _num(plan.csat_prior_strength),
        "eligibility": {"min_solved": plan.min_solved, "min_rated": plan.min_rated},
        "metrics": {
            t.metric: {
                "weight": t.weight,
                "threshold": _num(t.threshold),
                "target": _num(t.target),
                **(
                    {"stretch": _num(t.stretch), "cap": _num(t.cap)}
                    if t.stretch is not None
                    else {}
                ),
            }
            for t in plan.terms
        },
        "payout": {
            "tiers": [
                {"score": _num(t.min_score)}
                | (
                    {"percent": _num(t.percent)}
                    if t.percent is not None
                    else {"amount": _num(t.amount)}
                )
                for t in plan.tiers
            ],
            **({"cap": _num(plan.payout_cap)} if plan.payout_cap is not None else {}),
        },
    }
    if plan.description:
        data["description"] = plan.description
    if plan.team_bonuses:
        data["team_target_bonus"] = {b.team: _num(b.amount) for b in plan.team_bonuses}
    return data


def _num(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def plan_to_yaml(plan: Plan) -> str:
    return yaml.safe_dump(plan_to_data(plan), sort_keys=False, allow_unicode=True)


def content_hash(plan: Plan) -> str:
    """SHA-256 of the plan's content: an unchanged save makes no new version."""
    body = json.dumps(plan_to_data(plan), sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def with_team_ids(plan: Plan, team_ids: Mapping[str, int]) -> Plan:
    """The plan with each team override tied to its team's id (looked up by name)."""
    bonuses = tuple(
        TeamBonus(b.team, b.amount, team_ids.get(b.team)) for b in plan.team_bonuses
    )
    return dataclasses.replace(plan, team_bonuses=bonuses)


# --- scoring ------------------------------------------------------------------------------


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


def is_below_threshold(term: MetricTerm, value: float) -> bool:
    """Worse than the threshold (no credit, and a coaching signal)."""
    if term.spec.direction is Direction.HIGHER:
        return value < term.threshold
    return value > term.threshold


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

    @classmethod
    def from_row(
        cls, rep_id: int, team_id: int | None, row: Mapping[str, Any]
    ) -> RepMonth:
        """From a row of month metrics (NaN and NA read as no value)."""
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
        )


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
        spec = term.spec
        raw = month.values.get(spec.column)
        raw_shown = None if raw is None else raw * spec.scale
        note = ""
        if spec.key == "csat":
            # A rep who solved nothing has no CSAT at all, not the organisation's.
            blended = (
                bayesian_csat(
                    month.satisfied, month.rated, org_csat, plan.csat_prior_strength
                )
                if month.tickets_solved
                else None
            )
            value = None if blended is None else blended * spec.scale
            if value is not None and org_csat is not None:
                note = (
                    f"({month.satisfied} satisfied + {_plain(plan.csat_prior_strength)} × "  # noqa: RUF001
                    f"{org_csat * 100:.1f}% organisation) / ({month.rated} rated + "
                    f"{_plain(plan.csat_prior_strength)})"
                )
        else:
            value = raw_shown
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
                    "No value this month: its weight is shared among the others.",
                )
            )
            continue
        credit = attainment(term, value)
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
                is_below_threshold(term, value),
                note,
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
        return None, Decimal("0.00"), f"Below the first tier ({_plain(first)} points)."
    tier = reached[-1]
    if tier.percent is not None:
        amount = (target_bonus * tier.percent / 100).quantize(CENT, ROUND_HALF_UP)
        note = (
            f"{_plain(tier.min_score)}+ points: {_plain(float(tier.percent))}% of "
            f"{target_bonus:,.2f} {plan.currency}"
        )
    else:
        amount = (tier.amount or Decimal(0)).quantize(CENT)
        note = f"{_plain(tier.min_score)}+ points: {amount:,.2f} {plan.currency}"
    if plan.payout_cap is not None and amount > plan.payout_cap:
        amount = plan.payout_cap.quantize(CENT)
        note += f", capped at {amount:,.2f} {plan.currency}"
    return tier, amount, note + "."


def score_reps(
    months: Iterable[RepMonth], plan: Plan, *, org_csat: float | None
) -> list[RepScore]:
    return [score_rep(month, plan, org_csat=org_csat) for month in months]


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


# --- stored scores ------------------------------------------------------------------------


def score_to_data(score: RepScore) -> dict[str, Any]:
    """A score as JSON-ready data (what a closed month keeps)."""
    return {
        "rep_id": score.rep_id,
        "team_id": score.team_id,
        "score": score.score,
        "eligible": score.eligible,
        "reasons": list(score.reasons),
        "tier": None
        if score.tier is None
        else {
            "min_score": score.tier.min_score,
            "percent": None if score.tier.percent is None else str(score.tier.percent),
            "amount": None if score.tier.amount is None else str(score.tier.amount),
        },
        "target_bonus": str(score.target_bonus),
        "payout": str(score.payout),
        "payout_note": score.payout_note,
        "tickets_solved": score.tickets_solved,
        "rated": score.rated,
        "csat_prior": score.csat_prior,
        "lines": [
            {
                "metric": line.metric,
                "label": line.label,
                "unit": line.unit,
                "direction": line.direction.value,
                "value": line.value,
                "raw": line.raw,
                "threshold": line.threshold,
                "target": line.target,
                "stretch": line.stretch,
                "cap": line.cap,
                "weight": line.weight,
                "effective_weight": line.effective_weight,
                "attainment": line.attainment,
                "contribution": line.contribution,
                "below_threshold": line.below_threshold,
                "note": line.note,
            }
            for line in score.lines
        ],
    }


def score_from_data(data: Mapping[str, Any]) -> RepScore:
    """A score kept by :func:`score_to_data`, as it was."""
    tier = data.get("tier")
    return RepScore(
        rep_id=int(data["rep_id"]),
        team_id=data.get("team_id"),
        lines=tuple(
            MetricLine(
                metric=line["metric"],
                label=line["label"],
                unit=line["unit"],
                direction=Direction(line["direction"]),
                value=line["value"],
                raw=line["raw"],
                threshold=line["threshold"],
                target=line["target"],
                stretch=line["stretch"],
                cap=line["cap"],
                weight=line["weight"],
                effective_weight=line["effective_weight"],
                attainment=line["attainment"],
                contribution=line["contribution"],
                below_threshold=line["below_threshold"],
                note=line.get("note", ""),
            )
            for line in data.get("lines", [])
        ),
        score=data.get("score"),
        eligible=bool(data.get("eligible")),
        reasons=tuple(data.get("reasons", [])),
        tier=None
        if not tier
        else Tier(
            tier["min_score"],
            None if tier["percent"] is None else Decimal(tier["percent"]),
            None if tier["amount"] is None else Decimal(tier["amount"]),
        ),
        target_bonus=Decimal(data.get("target_bonus", "0")),
        payout=Decimal(data.get("payout", "0")),
        payout_note=data.get("payout_note", ""),
        tickets_solved=int(data.get("tickets_solved", 0)),
        rated=int(data.get("rated", 0)),
        csat_prior=data.get("csat_prior"),
    )


def format_metric(unit: str, value: float | None) -> str:
    """A plan or metric value as people read it: ``92%``, ``+35``, ``14 min``, ``6.5 h``."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%" if not float(value).is_integer() else f"{value:.0f}%"
    if unit == "pts":
        return f"{value:+.0f}" if round(value) else "0"
    if unit == "min":
        return f"{value:.1f} min" if value < 10 else f"{value:.0f} min"
    if unit == "h":
        return f"{value:.1f} h"
    return f"{value:g}"
