"""Plan rules, table-driven against hand-worked figures: parsing, credit, the Bayesian CSAT,
eligibility gates, tiers, caps, ranks and the coaching signal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.scoring import plans, rep_scores, score_data
from incentives.scoring.plans import MetricTerm, PlanInvalid, Tier
from incentives.scoring.rep_scores import RepMonth

BASE = {
    "name": "Test plan",
    "currency": "usd",
    "target_bonus": "200",
    "csat_prior_strength": 5,
    "eligibility": {"min_solved": 2, "min_rated": 3},
    "metrics": {
        "csat": {"weight": 60, "threshold": 80, "target": 95},
        "timely_rate": {"weight": 40, "threshold": 50, "target": 100},
    },
    "payout": {"tiers": [{"score": 15, "percent": 50}, {"score": 80, "percent": 100}]},
}


def plan(**changes: object) -> plans.Plan:
    return plans.parse_plan({**BASE, **changes})


def month(rep_id: int = 1, **values: float | None) -> RepMonth:
    """A rep's month: counts as keywords, metric values (fractions) by column."""
    counts = {
        key: int(values.pop(key))  # type: ignore[arg-type]
        for key in ("tickets_solved", "rated", "satisfied")
        if key in values
    }
    return RepMonth(rep_id=rep_id, team_id=7, values=values, **counts)


# --- parsing ------------------------------------------------------------------------------


def test_a_good_plan_is_read_with_its_units_and_defaults() -> None:
    read = plan()
    assert read.currency == "USD"
    assert read.target_bonus == Decimal("200.00")
    assert [t.metric for t in read.terms] == ["csat", "timely_rate"]
    assert read.tiers[1] == Tier(80.0, Decimal("100"), None)
    assert read.payout_cap is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Give the plan a name."),
        ({"currency": "dollars"}, "currency", "three-letter currency"),
        ({"csat_prior_strength": 2}, "csat_prior_strength", "from 5 to 1000"),
        (
            {"metrics": {"tickets_solved": {"weight": 100}}},
            "metrics.tickets_solved",
            "Volume is shown, never rewarded",
        ),
        (
            {"metrics": {"speed": {"weight": 100, "threshold": 1, "target": 2}}},
            "metrics.speed",
            "Unknown metric",
        ),
        (
            {
                "metrics": {
                    "csat": {"weight": 60, "threshold": 80, "target": 95},
                    "timely_rate": {"weight": 30, "threshold": 50, "target": 100},
                }
            },
            "metrics",
            "add up to 90; they must add up to 100",
        ),
        (
            {"metrics": {"csat": {"weight": 100, "threshold": 90, "target": 80}}},
            "metrics.csat.target",
            "must be above the threshold",
        ),
        (
            {"metrics": {"reopen_rate": {"weight": 100, "threshold": 2, "target": 5}}},
            "metrics.reopen_rate.target",
            "must be below the threshold",
        ),
        (
            {
                "metrics": {
                    "csat": {
                        "weight": 100,
                        "threshold": 80,
                        "target": 90,
                        "stretch": 95,
                    }
                }
            },
            "metrics.csat.cap",
            "or neither",
        ),
        (
            {
                "metrics": {
                    "csat": {
                        "weight": 100,
                        "threshold": 80,
                        "target": 90,
                        "stretch": 85,
                        "cap": 120,
                    }
                }
            },
            "metrics.csat.stretch",
            "stretch must be above the target",
        ),
        (
            {"metrics": {"csat": {"weight": 100, "threshold": 80, "target": 120}}},
            "metrics.csat.target",
            "from 0 to 100",
        ),
        (
            {"payout": {"tiers": [{"score": 50, "percent": 50, "amount": 10}]}},
            "payout.tiers.1",
            "either a percent",
        ),
        (
            {
                "payout": {
                    "tiers": [
                        {"score": 80, "percent": 100},
                        {"score": 50, "percent": 50},
                    ]
                }
            },
            "payout.tiers",
            "from the lowest score up",
        ),
        (
            {
                "payout": {
                    "tiers": [
                        {"score": 50, "percent": 100},
                        {"score": 80, "percent": 50},
                    ]
                }
            },
            "payout.tiers",
            "must not pay less",
        ),
        (
            {
                "payout": {
                    "tiers": [{"score": 50, "percent": 10}, {"score": 80, "amount": 50}]
                }
            },
            "payout.tiers",
            "for every tier",
        ),
        ({"payout": {"tiers": []}}, "payout.tiers", "at least one payout tier"),
        ({"bonus": 3}, "bonus", "Unknown field"),
    ],
)
def test_a_bad_plan_names_each_problem_on_its_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(PlanInvalid) as caught:
        plan(**changes)
    assert field in caught.value.errors, caught.value.errors
    assert any(message in m for m in caught.value.errors[field])


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PlanInvalid) as caught:
        plans.parse_plan({"currency": "x", "metrics": {"volume": {"weight": 1}}})
    assert {"name", "currency", "target_bonus", "metrics.volume"} <= set(
        caught.value.errors
    )
    assert any(p.startswith("volume:") for p in caught.value.problems)


def test_yaml_that_is_not_yaml_says_where() -> None:
    with pytest.raises(PlanInvalid, match="not valid YAML"):
        plans.parse_plan_yaml("name: [unclosed\n")


def test_a_plan_survives_its_round_trip_through_yaml() -> None:
    read = plan(
        team_target_bonus={"Phone": 250},
        metrics={
            "csat": {
                "weight": 60,
                "threshold": 80,
                "target": 95,
                "stretch": 98,
                "cap": 120,
            },
            "reopen_rate": {"weight": 40, "threshold": 10, "target": 4},
        },
        payout={"tiers": [{"score": 50, "amount": 100}], "cap": 300},
    )
    again = plans.parse_plan_yaml(plans.plan_to_yaml(read))
    assert again == read
    assert plans.content_hash(again) == plans.content_hash(read)


def test_a_team_override_applies_once_tied_to_its_team() -> None:
    read = plan(team_target_bonus={"Phone": 250})
    assert read.bonus_for(3) == Decimal("200.00")  # no id yet: the plan's
    tied = plans.with_team_ids(read, {"Phone": 3})
    assert tied.bonus_for(3) == Decimal("250.00")
    assert tied.bonus_for(4) == Decimal("200.00")


# --- credit -------------------------------------------------------------------------------

CSAT = MetricTerm("csat", 100, threshold=80, target=90, stretch=95, cap=150)
TIMELY = MetricTerm("timely_rate", 100, threshold=50, target=100)
REOPEN = MetricTerm("reopen_rate", 100, threshold=10, target=4, stretch=2, cap=120)
RESOLUTION = MetricTerm("resolution_median_h", 100, threshold=24, target=8)


@pytest.mark.parametrize(
    ("term", "value", "credit"),
    [
        (TIMELY, 40, 0.0),  # below the threshold: nothing
        (TIMELY, 50, 0.0),  # at the threshold: still nothing
        (TIMELY, 75, 0.5),  # halfway: half
        (TIMELY, 100, 1.0),  # at the target: full
        (CSAT, 85, 0.5),
        (CSAT, 90, 1.0),
        (CSAT, 92.5, 1.25),  # halfway to the stretch: halfway to the cap
        (CSAT, 95, 1.5),  # at the stretch: the cap
        (CSAT, 99, 1.5),  # beyond the stretch: still the cap
        (REOPEN, 12, 0.0),  # lower is better: above the threshold earns nothing
        (REOPEN, 7, 0.5),
        (REOPEN, 4, 1.0),
        (REOPEN, 3, 1.1),
        (REOPEN, 1, 1.2),
        (RESOLUTION, 16, 0.5),
        (RESOLUTION, 6, 1.0),  # no stretch: full credit, no more
    ],
)
def test_credit_is_linear_between_threshold_target_and_stretch(
    term: MetricTerm, value: float, credit: float
) -> None:
    assert rep_scores.attainment(term, value) == pytest.approx(credit)


@pytest.mark.parametrize(
    ("term", "value", "below"),
    [
        (TIMELY, 49.9, True),
        (TIMELY, 50, False),
        (REOPEN, 10.5, True),
        (REOPEN, 10, False),
    ],
)
def test_below_threshold_means_worse_than_it(
    term: MetricTerm, value: float, below: bool
) -> None:
    assert rep_scores.is_below_threshold(term, value) is below


# --- the Bayesian CSAT --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfied", "rated", "prior", "k", "expected"),
    [
        (1, 1, 0.85, 20, (1 + 17) / 21),
        (95, 100, 0.85, 20, (95 + 17) / 120),
        (0, 0, 0.85, 20, 0.85),  # no ratings: the organisation's mean
        (3, 4, None, 20, 0.75),  # nobody rated anywhere: the rep's own
        (0, 0, None, 20, None),
    ],
)
def test_bayesian_csat(
    satisfied: int, rated: int, prior: float | None, k: float, expected: float | None
) -> None:
    assert rep_scores.bayesian_csat(satisfied, rated, prior, k) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("prior", [0.5, 0.7, 0.85, 0.9, 0.935])
@pytest.mark.parametrize("k", [plans.MIN_PRIOR_STRENGTH, 10, 20, 50])
def test_small_sample_csat_never_beats_large_sample(prior: float, k: float) -> None:
    one_of_one = rep_scores.bayesian_csat(1, 1, prior, k)
    ninety_five_of_hundred = rep_scores.bayesian_csat(95, 100, prior, k)
    assert one_of_one < ninety_five_of_hundred


def test_raw_csat_would_let_one_rating_win() -> None:
    # What the blend prevents: 1/1 is 100% raw, above 95/100.
    assert rep_scores.bayesian_csat(1, 1, None, 20) > rep_scores.bayesian_csat(
        95, 100, None, 20
    )


def test_a_scorecard_line_shows_how_csat_was_blended() -> None:
    score = rep_scores.score_rep(
        month(tickets_solved=5, rated=3, satisfied=2, csat_raw=2 / 3, timely_rate=0.75),
        plan(),
        org_csat=0.8,
    )
    csat = score.lines[0]
    assert csat.value == pytest.approx(75.0)  # (2 + 5 x 0.8) / (3 + 5)
    assert csat.raw == pytest.approx(66.667, abs=1e-3)
    assert "(2 satisfied + 5 × 80.0% organisation) / (3 rated + 5)" in csat.note  # noqa: RUF001


# --- a rep's month ------------------------------------------------------------------------


def test_a_month_scored_step_by_step() -> None:
    # CSAT (2 + 5 x 0.8) / (3 + 5) = 75%: below 80, no credit. Timely 75%: half credit,
    # 0.5 x 40 = 20 points. Score 20, eligible, first tier (15+): 50% of 200 = 100.
    score = rep_scores.score_rep(
        month(tickets_solved=4, rated=3, satisfied=2, csat_raw=2 / 3, timely_rate=0.75),
        plan(),
        org_csat=0.8,
    )
    csat, timely = score.lines
    assert (csat.attainment, csat.contribution, csat.below_threshold) == (
        0.0,
        0.0,
        True,
    )
    assert timely.value == pytest.approx(75.0)
    assert timely.attainment == pytest.approx(0.5)
    assert timely.contribution == pytest.approx(20.0)
    assert score.score == pytest.approx(20.0)
    assert score.eligible
    assert score.payout == Decimal("100.00")
    assert score.payout_note == "15+ points: 50% of 200.00 USD."


def test_gates_say_why_a_month_does_not_pay() -> None:
    score = rep_scores.score_rep(
        month(tickets_solved=1, rated=2, satisfied=2, csat_raw=1.0, timely_rate=1.0),
        plan(),
        org_csat=0.8,
    )
    assert score.score == pytest.approx(
        (((2 + 4) / 7 * 100 - 80) / 15) * 60 + 40
    )  # shown even so
    assert not score.eligible
    assert score.reasons == (
        "1 ticket solved, under the 2 needed.",
        "2 rated tickets, under the 3 needed.",
    )
    assert score.reason == (
        "1 ticket solved, under the 2 needed. 2 rated tickets, under the 3 needed."
    )
    assert rep_scores.brief_reason(score, plan()) == "1/2 solved, 2/3 rated"
    assert score.payout == Decimal("0.00")
    assert score.payout_note == "Not eligible this month."


def test_a_metric_with_no_value_shares_its_weight() -> None:
    both = plan(
        eligibility={"min_solved": 0, "min_rated": 0},
        metrics={
            "timely_rate": {"weight": 75, "threshold": 50, "target": 100},
            "review_followup_rate": {"weight": 25, "threshold": 50, "target": 90},
        },
    )
    score = rep_scores.score_rep(
        month(tickets_solved=10, timely_rate=0.75, review_followup_rate=None),
        both,
        org_csat=None,
    )
    timely, reviews = score.lines
    assert reviews.value is None
    assert reviews.contribution == 0.0
    assert "weight is shared" in reviews.note
    assert timely.effective_weight == pytest.approx(100.0)
    assert score.score == pytest.approx(50.0)  # half credit on all the weight left


def test_no_value_at_all_is_no_score_and_no_pay() -> None:
    score = rep_scores.score_rep(
        month(tickets_solved=0),
        plan(
            metrics={"timely_rate": {"weight": 100, "threshold": 50, "target": 100}},
            eligibility={},
        ),
        org_csat=None,
    )
    assert score.score is None
    assert not score.eligible
    assert score.reasons == ("No rewarded metric has a value this month.",)


@pytest.mark.parametrize(
    ("score", "tiers", "cap", "bonus", "payout"),
    [
        (10, [(15, "50", None), (80, "100", None)], None, "200", "0.00"),
        (15, [(15, "50", None), (80, "100", None)], None, "200", "100.00"),
        (79.99, [(15, "50", None), (80, "100", None)], None, "200", "100.00"),
        (80, [(15, "50", None), (80, "100", None)], None, "200", "200.00"),
        (95, [(15, "50", None), (80, "150", None)], "250", "200", "250.00"),  # capped
        (95, [(50, None, "80"), (90, None, "120.5")], None, "999", "120.50"),  # amounts
        (60, [(50, "33.3", None)], None, "100", "33.30"),
    ],
)
def test_tiers_and_caps(
    score: float,
    tiers: list[tuple[float, str | None, str | None]],
    cap: str | None,
    bonus: str,
    payout: str,
) -> None:
    read = plan(
        payout={
            "tiers": [
                {"score": s, **({"percent": p} if p else {"amount": a})}
                for s, p, a in tiers
            ],
            **({"cap": cap} if cap else {}),
        }
    )
    _tier, amount, _note = rep_scores.payout_for(score, read, Decimal(bonus))
    assert amount == Decimal(payout)


def test_a_capped_payout_says_so() -> None:
    read = plan(payout={"tiers": [{"score": 10, "percent": 200}], "cap": 300})
    _tier, amount, note = rep_scores.payout_for(50, read, Decimal("200"))
    assert amount == Decimal("300.00")
    assert note == "10+ points: 200% of 200.00 USD, capped at 300.00 USD."


def test_a_team_override_sets_the_bonus_the_percent_applies_to() -> None:
    read = plans.with_team_ids(plan(team_target_bonus={"Phone": 300}), {"Phone": 7})
    score = rep_scores.score_rep(
        month(tickets_solved=4, rated=3, satisfied=2, csat_raw=2 / 3, timely_rate=0.75),
        read,
        org_csat=0.8,
    )
    assert score.target_bonus == Decimal("300.00")
    assert score.payout == Decimal("150.00")


# --- ranks, coaching, stored scores ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "ranks"),
    [
        ({1: 50.0, 2: 70.0, 3: 60.0}, {2: 1, 3: 2, 1: 3}),
        ({1: 70.0, 2: 70.0, 3: 60.0, 4: 10.0}, {1: 1, 2: 1, 3: 3, 4: 4}),
        ({1: None, 2: 10.0}, {2: 1}),
        ({}, {}),
    ],
)
def test_rank_in_team_shares_ties(
    scores: dict[int, float | None], ranks: dict[int, int]
) -> None:
    assert rep_scores.rank(scores) == ranks


def _scored(csat: float, timely: float) -> rep_scores.RepScore:
    return rep_scores.score_rep(
        month(
            tickets_solved=10,
            rated=10,
            satisfied=round(csat * 10),
            csat_raw=csat,
            timely_rate=timely,
        ),
        plan(csat_prior_strength=5),
        org_csat=csat,
    )


def test_coaching_is_offered_after_two_months_under_a_threshold() -> None:
    low_csat = _scored(0.5, 0.9)
    assert rep_scores.coaching_needs(low_csat, _scored(0.6, 0.3)) == ["csat"]
    assert rep_scores.coaching_needs(low_csat, _scored(0.99, 0.9)) == []
    assert rep_scores.coaching_needs(low_csat, None) == []
    assert rep_scores.coaching_needs(_scored(0.5, 0.3), _scored(0.5, 0.3)) == [
        "csat",
        "timely_rate",
    ]


def test_a_stored_score_reads_back_as_it_was() -> None:
    score = rep_scores.score_rep(
        month(tickets_solved=4, rated=3, satisfied=2, csat_raw=2 / 3, timely_rate=0.75),
        plan(),
        org_csat=0.8,
    )
    assert score_data.score_from_data(score_data.score_to_data(score)) == score


@pytest.mark.parametrize(
    ("unit", "value", "text"),
    [
        ("%", 92.0, "92%"),
        ("%", 92.45, "92.5%"),
        ("pts", 35.2, "+35"),
        ("pts", -0.2, "0"),
        ("min", 4.25, "4.2 min"),
        ("min", 14.4, "14 min"),
        ("h", 6.45, "6.5 h"),
        ("%", None, "—"),
    ],
)
def test_values_read_as_people_read_them(
    unit: str, value: float | None, text: str
) -> None:
    assert plans.format_metric(unit, value) == text
