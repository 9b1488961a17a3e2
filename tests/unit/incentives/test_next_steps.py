"""What a rep can do next, from the plan's own maths: the value each metric needs for the
next tier, the month-to-date pace and its projection, and the what-if."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from incentives.scorecards import next_steps
from incentives.scoring import plans, rep_scores

PLAN = plans.parse_plan(
    {
        "name": "Next plan",
        "currency": "EUR",
        "target_bonus": 200,
        "csat_prior_strength": 5,
        "eligibility": {"min_solved": 40, "min_rated": 10},
        "metrics": {
            "timely_rate": {
                "weight": 60,
                "threshold": 50,
                "target": 90,
                "stretch": 100,
                "cap": 120,
            },
            "first_response_median_min": {"weight": 40, "threshold": 40, "target": 10},
        },
        "payout": {
            "tiers": [{"score": 50, "percent": 50}, {"score": 80, "percent": 100}]
        },
    }
)


def score(timely: float, first: float, solved: int = 50, rated: int = 20):
    return rep_scores.score_rep(
        rep_scores.RepMonth(
            1,
            None,
            tickets_solved=solved,
            rated=rated,
            values={"timely_rate": timely / 100, "first_response_median_min": first},
        ),
        PLAN,
        org_csat=None,
    )


@pytest.mark.parametrize(
    ("timely", "first", "tier", "needs"),
    [
        # 70% -> 0.5 x 60 = 30; 25 min -> 0.5 x 40 = 20: 50 points, next tier 80.
        # Timely alone: (80 - 20) / 60 = 1.0 credit -> 90%; first reply alone needs 1.25
        # credit, over its most (no stretch).
        (70, 25, 80, {"timely_rate": "90%", "first_response_median_min": None}),
        # 40% (no credit) and 10 min (40 points): below the first tier (50).
        # Timely: 10 / 60 credit -> 50 + 40/6 = 56.7% (shown rounded up).
        (40, 10, 50, {"timely_rate": "56.7%", "first_response_median_min": None}),
        # 95% (1.1 credit: 66) + 16 min (0.8 x 40 = 32): 98 points, top tier reached.
        (95, 16, None, {}),
        # 80% (0.75 x 60 = 45) + 40 min (none): 45; timely alone: 50 / 60 credit -> 83.4%;
        # first reply alone to 50 points:
        # 5 / 40 credit -> 40 - 30/8 = 36.25 min, shown 36 min (rounded towards better).
        (80, 40, 50, {"timely_rate": "83.4%", "first_response_median_min": "36 min"}),
    ],
)
def test_the_value_each_metric_needs_for_the_next_tier(timely, first, tier, needs):
    found = score(timely, first)
    headline, lines = next_steps.next_tier_needs(found, PLAN)
    if tier is None:
        assert "top tier" in headline
        assert lines == ()
        return
    assert f"the {tier}-point tier" in headline
    got = {line.metric: (line.needed if line.reachable else None) for line in lines}
    assert got == needs
    for line in lines:
        if not line.reachable:
            assert "cannot reach it alone" in line.text
            continue
        # Reaching the shown value is enough, by the plan's own score.
        value = float(line.needed.split("%")[0].split(" ")[0])
        moved = next_steps.rescore(found, PLAN, line.metric, value)
        assert moved is not None
        assert moved.score >= tier - 1e-9


def test_the_next_tier_says_what_it_pays_and_that_eligibility_comes_first() -> None:
    headline, _lines = next_steps.next_tier_needs(score(70, 25, solved=12), PLAN)
    assert headline.startswith(
        "Next: the 80-point tier, 30 points away, pays 200.00 EUR."
    )
    assert "once the month is eligible" in headline


def test_a_what_if_rescores_with_the_others_held() -> None:
    found = score(70, 25)
    moved = next_steps.rescore(found, PLAN, "timely_rate", 100)
    assert moved is not None
    assert moved.attainment == pytest.approx(1.2)  # the stretch's cap
    assert moved.score == pytest.approx(72 + 20)
    assert moved.payout == Decimal("200.00")
    # The score as scored with the same values agrees.
    assert next_steps.rescore(found, PLAN, "timely_rate", 70).score == pytest.approx(
        found.score
    )
    assert next_steps.rescore(found, PLAN, "csat", 90) is None  # not in the plan


def test_a_metric_scored_per_channel_group_is_not_moved_alone() -> None:
    found = score(70, 25)
    line = found.lines[0]
    part = rep_scores.ChannelPart(
        "email", "E-mail", 70, 50, 90, None, None, 5, 0.5, False
    )
    blended = dataclasses.replace(
        found, lines=(dataclasses.replace(line, parts=(part,)), *found.lines[1:])
    )
    assert next_steps.rescore(blended, PLAN, "timely_rate", 90) is None
    _headline, lines = next_steps.next_tier_needs(blended, PLAN)
    assert "scored per channel group" in lines[0].text


@pytest.mark.parametrize(
    ("count", "elapsed", "days", "expected"),
    [(12, 10, 31, 37), (0, 5, 30, 0), (40, 31, 31, 40), (1, 1, 28, 28), (7, 0, 30, 7)],
)
def test_a_pace_projects_to_the_month_end(count, elapsed, days, expected):
    assert next_steps.projected(count, elapsed, days) == expected


@pytest.mark.parametrize(
    ("today", "elapsed"),
    [
        (dt.date(2026, 11, 30), None),
        (dt.date(2026, 12, 1), 1),
        (dt.date(2026, 12, 10), 10),
        (dt.date(2027, 1, 5), 31),
    ],
)
def test_days_gone_in_a_month(today, elapsed):
    assert next_steps.days_elapsed("2026-12", today) == elapsed


def test_the_pace_of_a_rep_not_yet_eligible_is_a_labelled_projection() -> None:
    found = score(70, 25, solved=12, rated=10)
    pace = next_steps.pace(found, PLAN, "2026-12", dt.date(2026, 12, 10))
    assert pace is not None
    assert pace.lines == (
        "Day 10 of 31.",
        "12 of 40 solved so far; projection: at this pace 37 by month end (3 short).",
        "10 of 10 rated so far: enough.",
        "Projection: if the month ends at today's score of 50.0, it pays 100.00 EUR, "
        "once eligible.",
    )
    ended = next_steps.pace(found, PLAN, "2026-12", dt.date(2027, 1, 2))
    assert ended is not None
    assert "12 of 40 solved so far: 28 short." in ended.lines
    assert not any("projection" in line.lower() for line in ended.lines)
    assert next_steps.pace(found, PLAN, "2026-12", dt.date(2026, 11, 2)) is None
