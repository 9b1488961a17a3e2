"""Plan arithmetic under any input: a plan or its own error, and scores that stay in bounds.

Plans come from a form, a YAML upload and stored versions; all go through
:func:`incentives.scoring.plans.parse_plan`. Properties: any data gives a :class:`Plan` or
:class:`PlanInvalid` naming its problems; a plan survives being stored and read back; and
for any valid plan and any month of metrics, credit stays between 0 and the cap, the
effective weights share out 100, the score stays within what the caps allow, the payout is
whole cents between 0 and the plan's cap, and a rep who is not eligible is paid nothing.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.hostile.strategies import mutated, yaml_texts

plans = pytest.importorskip("incentives.scoring.plans")
rep_scores = pytest.importorskip("incentives.scoring.rep_scores")

VALID = {
    "name": "Service quality",
    "currency": "USD",
    "target_bonus": 300,
    "team_target_bonus": {"Phone & Email": 350},
    "csat_prior_strength": 20,
    "eligibility": {"min_solved": 40, "min_rated": 10},
    "metrics": {
        "csat": {
            "weight": 40,
            "threshold": 80,
            "target": 92,
            "stretch": 97,
            "cap": 130,
        },
        "reopen_rate": {"weight": 20, "threshold": 10, "target": 4},
        "first_response_median_min": {"weight": 20, "threshold": 240, "target": 60},
        "nps": {"weight": 20, "threshold": 0, "target": 40, "stretch": 70, "cap": 150},
    },
    "payout": {
        "tiers": [{"score": 50, "percent": 50}, {"score": 80, "percent": 100}],
        "cap": 450,
    },
}


def _outcome(data: Any) -> Any:
    try:
        plan = plans.parse_plan(data)
    except plans.PlanInvalid as e:
        _readable(e.problems)
        return None
    _round_trip(plan)
    return plan


def _readable(problems: list[str]) -> None:
    assert problems
    assert all(isinstance(p, str) and p.strip() for p in problems)


def _round_trip(plan: Any) -> None:
    again = plans.parse_plan(plans.plan_to_data(plan))
    assert plans.content_hash(again) == plans.content_hash(plan)
    assert plans.parse_plan_yaml(plans.plan_to_yaml(plan)) == again
    assert sum(t.weight for t in plan.terms) == 100


def test_the_example_plan_is_valid() -> None:
    plan = _outcome(VALID)
    assert plan is not None
    assert next(t.metric for t in plan.terms) == "csat"


@given(mutated(VALID))
@example({**VALID, "target_bonus": "1e400"})
@example({**VALID, "metrics": {"csat": [1, 2]}})
@example({**VALID, "payout": {"tiers": [{"score": 50, "percent": 50, "amount": 1}]}})
@example({**VALID, 1: "one", None: "none"})
def test_any_plan_data_gives_a_plan_or_names_its_problems(data: Any) -> None:
    _outcome(data)


@given(mutated(VALID).map(lambda d: yaml.safe_dump(d, sort_keys=False)) | yaml_texts())
def test_any_plan_text_gives_a_plan_or_names_its_problems(text: str) -> None:
    try:
        plan = plans.parse_plan_yaml(text)
    except plans.PlanInvalid as e:
        _readable(e.problems)
        return
    _round_trip(plan)


@pytest.mark.parametrize(
    "text",
    ["name: x\ncurrency: 2024-13-45", "name: !!timestamp soon", "[" * 1000],
    ids=["bad-date", "tagged", "deep"],
)
def test_plan_yaml_that_pyyaml_cannot_build_is_a_plan_error(text: str) -> None:
    with pytest.raises(plans.PlanInvalid, match="not valid YAML"):
        plans.parse_plan_yaml(text)


# --- scoring ------------------------------------------------------------------------------


def _value(spec: Any) -> st.SearchStrategy[float | None]:
    """A month value of the metric (as stored: rates as fractions), or none at all."""
    low, high = spec.minimum / spec.scale, spec.maximum / spec.scale
    return st.none() | st.floats(min_value=low, max_value=high) | st.just(low)


@st.composite
def valid_plans(draw: Any) -> Any:
    chosen = draw(
        st.lists(st.sampled_from(sorted(plans.SCORED_METRICS)), min_size=1, unique=True)
    )
    cuts = sorted(draw(st.lists(st.integers(1, 99), unique=True, max_size=len(chosen))))
    cuts = [c for c in cuts if 0 < c < 100][: len(chosen) - 1]
    chosen = chosen[: len(cuts) + 1]
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    metrics = {}
    for key, weight in zip(chosen, weights, strict=True):
        spec = plans.SCORED_METRICS[key]
        points = sorted(
            draw(
                st.lists(
                    st.integers(int(spec.minimum), int(spec.maximum)),
                    min_size=3,
                    max_size=3,
                    unique=True,
                )
            )
        )
        if spec.direction is plans.Direction.LOWER:
            points.reverse()
        term = {"weight": weight, "threshold": points[0], "target": points[1]}
        if draw(st.booleans()):
            term |= {"stretch": points[2], "cap": draw(st.integers(100, 300))}
        metrics[key] = term
    scores = sorted(
        draw(st.lists(st.integers(0, 300), min_size=1, max_size=4, unique=True))
    )
    pays = sorted(
        draw(st.lists(st.integers(0, 1000), min_size=len(scores), max_size=len(scores)))
    )
    kind = draw(st.sampled_from(["percent", "amount"]))
    data = {
        "name": "Drawn plan",
        "currency": "EUR",
        "target_bonus": draw(st.integers(0, 1_000_000)),
        "csat_prior_strength": draw(st.integers(5, 1000)),
        "eligibility": {
            "min_solved": draw(st.integers(0, 50)),
            "min_rated": draw(st.integers(0, 20)),
        },
        "metrics": metrics,
        "payout": {
            "tiers": [{"score": s, kind: p} for s, p in zip(scores, pays, strict=True)]
        },
    }
    if draw(st.booleans()):
        data["payout"]["cap"] = draw(st.integers(0, 1_000_000))
    return plans.parse_plan(data)


@st.composite
def months(draw: Any) -> Any:
    rated = draw(st.integers(0, 500))
    return rep_scores.RepMonth(
        rep_id=1,
        team_id=draw(st.none() | st.integers(1, 3)),
        tickets_solved=draw(st.integers(0, 500)),
        rated=rated,
        satisfied=draw(st.integers(0, rated)),
        values={s.column: draw(_value(s)) for s in plans.SCORED_METRICS.values()},
    )


@given(valid_plans(), months(), st.none() | st.floats(0, 1))
def test_any_month_scores_within_the_plan_s_bounds(
    plan: Any, month: Any, org: Any
) -> None:
    score = rep_scores.score_rep(month, plan, org_csat=org)
    top = max((t.cap or 100) for t in plan.terms)
    for line in score.lines:
        if line.attainment is None:
            assert line.contribution == 0
            continue
        assert 0 <= line.attainment <= (line.cap or 100) / 100 + 1e-9
        assert math.isfinite(line.contribution)
    shared = [
        line.effective_weight for line in score.lines if line.attainment is not None
    ]
    if score.score is None:
        assert not shared
    else:
        assert sum(shared) == pytest.approx(100)
        assert -1e-9 <= score.score <= top + 1e-9
    assert score.payout >= 0
    assert score.payout == score.payout.quantize(Decimal("0.01"))
    if plan.payout_cap is not None:
        assert score.payout <= plan.payout_cap
    if not score.eligible:
        assert score.payout == 0
        assert score.reasons


@given(valid_plans(), st.data())
def test_doing_better_on_a_metric_never_earns_less_credit(plan: Any, data: Any) -> None:
    term = data.draw(st.sampled_from(plan.terms))
    spec = term.spec
    a, b = sorted(
        data.draw(
            st.lists(st.floats(spec.minimum, spec.maximum), min_size=2, max_size=2)
        )
    )
    worse, better = (a, b) if spec.direction is plans.Direction.HIGHER else (b, a)
    assert (
        rep_scores.attainment(term, better) >= rep_scores.attainment(term, worse) - 1e-9
    )


@given(
    # (1 + k m) / (1 + k) < (95 + k m) / (100 + k) holds while m < (94k - 5) / 99k,
    # which is 93.9% at the smallest strength a plan allows.
    st.floats(0.0, 0.939),
    st.floats(plans.MIN_PRIOR_STRENGTH, 1000),
)
def test_one_glowing_rating_never_beats_ninety_five_of_a_hundred(
    org: float, strength: float
) -> None:
    one = rep_scores.bayesian_csat(1, 1, org, strength)
    many = rep_scores.bayesian_csat(95, 100, org, strength)
    assume(one is not None and many is not None)
    assert one < many
