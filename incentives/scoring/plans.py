"""Incentive plans: the metrics that earn credit, how much, and what a score pays.

PURE: plain data in, plain data out; no Flask, no database. The metrics a plan can reward,
their units and how their values are written are :mod:`incentives.scoring.plan_metrics`
(re-exported here). The admin form, the YAML import
and the stored plan versions all go through :func:`parse_plan`; a month is scored against
a plan by :mod:`incentives.scoring.rep_scores`.

**A plan** names the metrics that earn credit. Each has a weight (the weights add up to
100), a *threshold* (no credit below it), a *target* (full credit) and, optionally, a
*stretch* value where credit reaches a *cap* above 100%. Credit is linear in between and
flat beyond the stretch (or beyond the target when there is no stretch). For "lower is
better" metrics (times, the reopen rate) the threshold is the larger number.

**Per channel group.** A metric may set other values for a channel group
(``metrics.ChannelGroup``: phone and chat, e-mail and web, social and reviews), so a
team that works e-mail is not failed by a chat target: a rep's tickets in that group are
scored against the group's values, the rest against the metric's own, and the credits
are blended by the rep's tickets in each (:func:`incentives.scoring.rep_scores.score_rep`).

Plan values are written as people read them: rates in percent (``80`` is 80%), NPS in
points, first reply in minutes, resolution in hours. The CSAT prior strength ``k`` (see
:mod:`incentives.scoring.rep_scores`) is at least 5; volume metrics can gate eligibility but
never carry weight.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from core import untrusted_yaml
from incentives.scoring.plan_metrics import SCORED_METRICS as SCORED_METRICS
from incentives.scoring.plan_metrics import VOLUME_METRICS as VOLUME_METRICS
from incentives.scoring.plan_metrics import Direction as Direction
from incentives.scoring.plan_metrics import MetricSpec as MetricSpec
from incentives.scoring.plan_metrics import format_metric as format_metric
from incentives.tickets.metrics import CHANNEL_GROUP_LABELS, ChannelGroup

MAX_TIERS = 8
MIN_PRIOR_STRENGTH = 5
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CENT = Decimal("0.01")
#: Reviews a rep needs in a month for a plan's QA score to count, unless the plan says
#: (fewer is a small sample on the Quality pages too).
DEFAULT_QA_MIN_REVIEWS = 3


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelTerm:
    """A metric's threshold and target (and stretch) for one channel group
    (``metrics.ChannelGroup``), instead of the metric's own."""

    group: str
    threshold: float
    target: float
    stretch: float | None = None
    cap: float | None = None

    @property
    def label(self) -> str:
        return CHANNEL_GROUP_LABELS[ChannelGroup(self.group)]


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
    #: Other values for some channel groups: a rep's tickets in such a group are scored
    #: against them, the rest against the values above (``rep_scores.score_rep``).
    channel_groups: tuple[ChannelTerm, ...] = ()

    @property
    def spec(self) -> MetricSpec:
        return SCORED_METRICS[self.metric]

    def for_group(self, group: str) -> MetricTerm:
        """The term as it scores tickets of channel group ``group``."""
        for own in self.channel_groups:
            if own.group == group:
                return dataclasses.replace(
                    self,
                    threshold=own.threshold,
                    target=own.target,
                    stretch=own.stretch,
                    cap=own.cap,
                    channel_groups=(),
                )
        return dataclasses.replace(self, channel_groups=())


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
    #: Counted reviews a rep needs for the QA score to be scored that month; with fewer
    #: it has no value and its weight is shared (``rep_scores.score_rep``).
    qa_min_reviews: int = DEFAULT_QA_MIN_REVIEWS

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
        if len(parts) == 3 and parts[2] == "channel_groups":
            return f"{name} (channel groups)"
        if len(parts) > 3 and parts[2] == "channel_groups":
            group = next(
                (g.label for g in ChannelGroup if g.value == parts[3]), parts[3]
            )
            return f"{name} ({group}) {' '.join(parts[4:])}".strip()
        return f"{name} {parts[2]}" if len(parts) > 2 else name
    if key == "qa_min_reviews":
        return "QA score: reviews needed to count"
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
        errors.add(
            key,
            f"Enter a number from {plain_number(minimum)} to {plain_number(maximum)}.",
        )
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


def plain_number(value: float | None) -> str:
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
          first_response_median_min:
            weight: 40
            threshold: 15
            target: 5
            channel_groups: {written: {threshold: 480, target: 120}}
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
        "qa_min_reviews",
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
    qa_min_reviews = _number(
        data.get("qa_min_reviews", DEFAULT_QA_MIN_REVIEWS),
        "qa_min_reviews",
        errors,
        minimum=1,
        maximum=100,
        whole=True,
    )
    if "qa_min_reviews" in data and not any(t.metric == "qa" for t in terms):
        errors.add(
            "qa_min_reviews", "Give it only to a plan that rewards the QA score."
        )
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
        qa_min_reviews=int(qa_min_reviews),  # type: ignore[arg-type]
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
            if extra not in (
                "weight",
                "threshold",
                "target",
                "stretch",
                "cap",
                "channel_groups",
            ):
                errors.add(f"{key}.{extra}", "Unknown field.")
        weight = _number(
            values.get("weight"),
            f"{key}.weight",
            errors,
            minimum=1,
            maximum=100,
            whole=True,
        )
        threshold, target, stretch, cap = _values(values, key, spec, errors)
        groups = _channel_terms(values.get("channel_groups"), key, spec, errors)
        if groups and spec.key == "qa":
            errors.add(f"{key}.channel_groups", "The QA score has one value a month.")
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
                channel_groups=tuple(groups),
            )
        )
    total = sum(t.weight for t in terms)
    if terms and len(terms) == len(raw) and total != 100:
        errors.add(
            "metrics", f"The weights add up to {total}; they must add up to 100."
        )
    return sorted(terms, key=lambda t: list(SCORED_METRICS).index(t.metric))


def _values(
    values: Mapping[str, Any], key: str, spec: MetricSpec, errors: _Errors
) -> tuple[float | None, float | None, float | None, float | None]:
    """A term's threshold, target, stretch and cap, checked against each other."""
    bounds = {"minimum": spec.minimum, "maximum": spec.maximum}
    threshold = _number(values.get("threshold"), f"{key}.threshold", errors, **bounds)
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
            errors.add(f"{key}.stretch", f"The stretch must be {better} the target.")
    if (stretch is None) != (cap is None):
        errors.add(
            f"{key}.cap" if cap is None else f"{key}.stretch",
            "Give both a stretch value and the cap (credit in % at the stretch), "
            "or neither.",
        )
    return threshold, target, stretch, cap


def _channel_terms(
    raw: Any, key: str, spec: MetricSpec, errors: _Errors
) -> list[ChannelTerm]:
    """The ``channel_groups`` of a metric: group -> threshold, target (stretch, cap)."""
    if raw in (None, {}):
        return []
    if not isinstance(raw, Mapping):
        errors.add(
            f"{key}.channel_groups",
            "Give each channel group its threshold and target.",
        )
        return []
    known = ", ".join(f"{g.value} ({g.label})" for g in ChannelGroup)
    terms = []
    for group, values in raw.items():
        group_key = f"{key}.channel_groups.{group}"
        if str(group) not in {g.value for g in ChannelGroup}:
            errors.add(group_key, f"Unknown channel group. Use one of: {known}.")
            continue
        if not isinstance(values, Mapping):
            errors.add(group_key, "Give a threshold and a target.")
            continue
        for extra in values:
            if extra not in ("threshold", "target", "stretch", "cap"):
                errors.add(f"{group_key}.{extra}", "Unknown field.")
        threshold, target, stretch, cap = _values(values, group_key, spec, errors)
        if threshold is None or target is None:
            continue
        terms.append(
            ChannelTerm(
                str(group),
                threshold,
                target,
                stretch if cap is not None else None,
                cap if stretch is not None else None,
            )
        )
    order = [g.value for g in ChannelGroup]
    return sorted(terms, key=lambda t: order.index(t.group))


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
                **_stretch_data(t),
                **(
                    {
                        "channel_groups": {
                            g.group: {
                                "threshold": _num(g.threshold),
                                "target": _num(g.target),
                                **_stretch_data(g),
                            }
                            for g in t.channel_groups
                        }
                    }
                    if t.channel_groups
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
    if plan.term("qa") is not None:  # plans without it keep their content and hash
        data["qa_min_reviews"] = plan.qa_min_reviews
    return data


def _stretch_data(term: MetricTerm | ChannelTerm) -> dict[str, Any]:
    if term.stretch is None:
        return {}
    return {"stretch": _num(term.stretch), "cap": _num(term.cap)}


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
