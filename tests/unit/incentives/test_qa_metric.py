"""The QA score as a metric a plan weights: the plan's terms, the minimum of reviews, how
its weight is shared below it, the plan's words, and plans without it unchanged."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from incentives.scorecards.cards import qa_text, qa_trend
from incentives.scoring import plan_words, plans, rep_scores
from incentives.scoring.plan_metrics import QA_UNIT, format_metric
from incentives.scoring.rep_scores import RepMonth, score_rep
from incentives.scoring.tables import qa_cell

EXAMPLE = Path(__file__).resolve().parents[3] / "static/incentives/plan-example.yaml"

BASE = {
    "name": "With QA",
    "currency": "USD",
    "target_bonus": 200,
    "csat_prior_strength": 5,
    "metrics": {
        "timely_rate": {"weight": 60, "threshold": 50, "target": 100},
        "qa": {"weight": 40, "threshold": 60, "target": 90},
    },
    "payout": {"tiers": [{"score": 10, "percent": 50}, {"score": 80, "percent": 100}]},
}


def plan(**changes: object) -> plans.Plan:
    return plans.parse_plan({**BASE, **changes})


def month(qa_score: float | None, qa_reviews: int, timely: float = 0.75) -> RepMonth:
    """A rep who solved 10 tickets, 75% in time, with a QA score on some reviews."""
    return RepMonth.from_row(
        7,
        1,
        {
            "tickets_solved": 10,
            "timely_rate": timely,
            "qa_score": math.nan if qa_score is None else qa_score,
            "qa_reviews": qa_reviews,
        },
    )


# --- the plan -----------------------------------------------------------------------------


def test_a_plan_may_weight_the_qa_score_and_needs_3_reviews_unless_it_says() -> None:
    parsed = plan()
    term = parsed.term("qa")
    assert term is not None
    assert (term.weight, term.threshold, term.target) == (40, 60.0, 90.0)
    assert term.spec.label == "QA score"
    assert term.spec.direction is plans.Direction.HIGHER
    assert parsed.qa_min_reviews == plans.DEFAULT_QA_MIN_REVIEWS == 3
    assert plan(qa_min_reviews=5).qa_min_reviews == 5


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"qa_min_reviews": 0}, "qa_min_reviews", "Enter a number from 1 to 100."),
        ({"qa_min_reviews": 101}, "qa_min_reviews", "Enter a number from 1 to 100."),
        ({"qa_min_reviews": 2.5}, "qa_min_reviews", "Enter a whole number."),
        ({"qa_min_reviews": "many"}, "qa_min_reviews", "'many' is not a number."),
        (
            {
                "metrics": {
                    "timely_rate": BASE["metrics"]["timely_rate"] | {"weight": 100}
                },  # type: ignore[index]
                "qa_min_reviews": 3,
            },
            "qa_min_reviews",
            "Give it only to a plan that rewards the QA score.",
        ),
        (
            {
                "metrics": {
                    **BASE["metrics"],  # type: ignore[dict-item]
                    "qa": {"weight": 40, "threshold": 90, "target": 60},
                }
            },
            "metrics.qa.target",
            "The target must be above the threshold (higher is better here).",
        ),
        (
            {
                "metrics": {
                    **BASE["metrics"],  # type: ignore[dict-item]
                    "qa": {"weight": 40, "threshold": 60, "target": 120},
                }
            },
            "metrics.qa.target",
            "Enter a number from 0 to 100.",
        ),
        (
            {
                "metrics": {
                    **BASE["metrics"],  # type: ignore[dict-item]
                    "qa": {
                        "weight": 40,
                        "threshold": 60,
                        "target": 90,
                        "channel_groups": {"live": {"threshold": 50, "target": 80}},
                    },
                }
            },
            "metrics.qa.channel_groups",
            "The QA score has one value a month.",
        ),
    ],
)
def test_a_qa_term_with_a_problem_is_refused_on_its_field(
    changes: dict, field: str, message: str
) -> None:
    with pytest.raises(plans.PlanInvalid) as refused:
        plan(**changes)
    assert message in refused.value.errors[field]


def test_the_minimum_is_kept_with_a_qa_plan_and_read_back() -> None:
    data = plans.plan_to_data(plan(qa_min_reviews=4))
    assert data["qa_min_reviews"] == 4
    assert data["metrics"]["qa"] == {"weight": 40, "threshold": 60, "target": 90}
    again = plans.parse_plan(data)
    assert again == plan(qa_min_reviews=4)
    assert plans.content_hash(again) != plans.content_hash(plan(qa_min_reviews=3))


# --- plans without the QA score: as before --------------------------------------------------


def test_plans_without_the_qa_score_keep_their_content_and_hash() -> None:
    example = plans.parse_plan_yaml(EXAMPLE.read_text(encoding="utf-8"))
    assert "qa_min_reviews" not in plans.plan_to_data(example)
    # The hash each had before plans could weight the QA score.
    assert (
        plans.content_hash(example)
        == "1d6946ba5bae822fad018c4a7f471a8718f5183d3ceb5e945a22af110f7d3326"
    )


@pytest.mark.parametrize(
    ("row", "score", "eligible", "payout"),
    [
        (
            {"tickets_solved": 80, "rated": 20, "satisfied": 18, "csat_raw": 0.9,
             "timely_rate": 0.91, "reopen_rate": 0.03, "review_followup_rate": 0.7},
            67.33333333333337, True, "250.00",
        ),
        (
            {"tickets_solved": 70, "rated": 16, "satisfied": 12, "csat_raw": 0.75,
             "timely_rate": 0.97, "reopen_rate": 0.06, "review_followup_rate": None},
            47.49455337690633, True, "125.00",
        ),
        (
            {"tickets_solved": 10, "rated": 2, "satisfied": 2, "csat_raw": 1.0,
             "timely_rate": 0.5, "reopen_rate": 0.0, "review_followup_rate": 0.9},
            60.909090909090885, False, "0.00",
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("qa", [{}, {"qa_score": 95.0, "qa_reviews": 9}])
def test_a_plan_without_the_qa_score_scores_exactly_as_before_whatever_the_reviews(
    row: dict, score: float, eligible: bool, payout: str, qa: dict
) -> None:
    """The scores the example plan gave before the figures held QA scores."""
    example = plans.parse_plan_yaml(EXAMPLE.read_text(encoding="utf-8"))
    result = score_rep(RepMonth.from_row(1, None, row | qa), example, org_csat=0.86)
    assert result.score == score
    assert (result.eligible, str(result.payout)) == (eligible, payout)
    assert "qa" not in {line.metric for line in result.lines}


# --- scoring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qa_score", "reviews", "minimum", "value", "qa_weight", "score"),
    [
        # 75% in time is half the credit of timely (30 of 60 points).
        (75.0, 3, 3, 75.0, 40.0, 30.0 + 20.0),  # half way from 60 to 90: 20 of 40
        (90.0, 5, 3, 90.0, 40.0, 30.0 + 40.0),  # at the target: all 40
        (99.0, 5, 3, 99.0, 40.0, 30.0 + 40.0),  # no stretch: flat beyond the target
        (60.0, 4, 3, 60.0, 40.0, 30.0),  # at the threshold: none
        (40.0, 4, 3, 40.0, 40.0, 30.0),  # below it: none, and marked
        (0.0, 3, 3, 0.0, 40.0, 30.0),  # a critical fail's 0 counts as a score
        # Under the minimum: no value; timely carries the whole 100.
        (95.0, 2, 3, None, 0.0, 50.0),
        (95.0, 4, 5, None, 0.0, 50.0),
        (95.0, 1, 1, 95.0, 40.0, 70.0),
        # No review at all: the same, as for any metric with no value.
        (None, 0, 3, None, 0.0, 50.0),
    ],
)
def test_the_qa_score_counts_from_the_plan_s_minimum_of_reviews(
    qa_score: float | None,
    reviews: int,
    minimum: int,
    value: float | None,
    qa_weight: float,
    score: float,
) -> None:
    result = score_rep(
        month(qa_score, reviews), plan(qa_min_reviews=minimum), org_csat=None
    )
    qa = next(line for line in result.lines if line.metric == "qa")
    timely = next(line for line in result.lines if line.metric == "timely_rate")
    assert qa.value == value
    assert qa.raw == qa_score
    assert qa.effective_weight == pytest.approx(qa_weight)
    assert timely.effective_weight == pytest.approx(100.0 - qa_weight)
    assert result.score == pytest.approx(score)
    assert qa.below_threshold is (value is not None and value < 60)


def test_under_the_minimum_the_line_says_why_as_a_metric_with_no_value_does() -> None:
    few = score_rep(month(95.0, 2), plan(), org_csat=None)
    none = score_rep(month(None, 0), plan(), org_csat=None)
    few_qa = next(line for line in few.lines if line.metric == "qa")
    none_qa = next(line for line in none.lines if line.metric == "qa")
    assert few_qa.note == (
        "2 reviews this month, under the 3 the plan needs: its weight is shared "
        "among the others."
    )
    assert none_qa.note == "No value this month: its weight is shared among the others."
    one = score_rep(month(95.0, 1), plan(), org_csat=None)
    assert next(ln for ln in one.lines if ln.metric == "qa").note.startswith(
        "1 review this month"
    )
    # Either way: no credit, no points, and the score is the same.
    assert (few_qa.attainment, few_qa.contribution) == (None, 0.0)
    assert few.score == none.score


def test_a_month_of_only_the_qa_score_under_its_minimum_has_no_score() -> None:
    only = plan(metrics={"qa": {"weight": 100, "threshold": 60, "target": 90}})
    result = score_rep(month(80.0, 2), only, org_csat=None)
    assert result.score is None
    assert not result.eligible
    assert "No rewarded metric has a value this month." in result.reasons


def test_the_qa_reviews_are_what_the_metric_is_counted_by() -> None:
    assert month(80.0, 6).count_for("qa") == 6
    assert RepMonth.from_row(1, None, {"tickets_solved": 3}).qa_reviews == 0


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(82.5, "82.5"), (90.0, "90"), (0.0, "0"), (None, "—")],
)
def test_qa_values_are_written_plainly(value: float | None, text: str) -> None:
    assert format_metric(QA_UNIT, value) == text


def test_the_plan_in_words_says_how_the_qa_score_counts() -> None:
    words = plan_words.describe(plan(qa_min_reviews=4), None)
    assert any(
        "QA score" in sentence and "worth 40 points" in sentence
        for sentence in words.metrics
    )
    assert any("at least 4 reviews that month" in s for s in words.fine_print)
    one = plan_words.describe(plan(qa_min_reviews=1), None)
    assert any("at least 1 review that month" in s for s in one.fine_print)
    example = plans.parse_plan_yaml(EXAMPLE.read_text(encoding="utf-8"))
    assert not any("QA" in s for s in plan_words.describe(example, None).fine_print)


@pytest.mark.parametrize(
    ("figures", "cell", "text"),
    [
        ({"qa_score": 82.46, "qa_reviews": 4}, "82.5 · 4 reviews", "82.5 on 4 reviews"),
        ({"qa_score": 70.0, "qa_reviews": 1}, "70.0 · 1 review", "70.0 on 1 review"),
        ({"qa_score": None, "qa_reviews": 0}, "", "No reviews counted"),
        ({}, "", "No reviews counted"),
    ],
)
def test_a_month_s_qa_score_reads_with_its_reviews(
    figures: dict, cell: str, text: str
) -> None:
    assert qa_cell(figures) == cell
    assert qa_text(figures.get("qa_score"), figures.get("qa_reviews") or 0) == text


def test_a_qa_trend_is_drawn_only_when_a_month_has_a_score() -> None:
    months = ["2024-01", "2024-02", "2024-03"]
    assert qa_trend([(m, None) for m in months], "QA") is None
    assert (
        qa_trend([(m, {"qa_score": math.nan, "qa_reviews": 0}) for m in months], "QA")
        is None
    )
    trend = qa_trend(
        [
            ("2024-01", {"qa_score": 70.0, "qa_reviews": 3}),
            ("2024-02", None),
            ("2024-03", {"qa_score": 82.5, "qa_reviews": 4}),
        ],
        "Ann's QA score by month",
    )
    assert trend is not None
    assert trend.now == "82.5 on 4 reviews"
    assert "<svg" in trend.chart
    assert "Ann&#39;s QA score by month" in trend.chart
    compact = qa_trend(
        [("2024-03", {"qa_score": 50.0, "qa_reviews": 3})], "QA", compact=True
    )
    assert compact is not None
    assert "<svg" in compact.chart


def test_rep_scores_module_reads_qa_under_its_own_key() -> None:
    assert rep_scores.SCORED_METRICS["qa"].column == "qa_score"


def test_a_refused_minimum_is_named_in_plain_words() -> None:
    with pytest.raises(plans.PlanInvalid) as refused:
        plan(qa_min_reviews=0)
    assert refused.value.problems == [
        "QA score: reviews needed to count: Enter a number from 1 to 100."
    ]
