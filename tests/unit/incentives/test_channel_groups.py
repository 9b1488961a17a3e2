"""Thresholds and targets per channel group: a plan may score a rep's e-mail tickets
against e-mail values and their phone tickets against phone values, blending the credit
by their tickets in each; read, written back and kept with a closed month's scores."""

from __future__ import annotations

import pandas as pd
import pytest

from incentives.scoring import plans, rep_scores, score_data
from incentives.scoring.plans import PlanInvalid
from incentives.scoring.rep_scores import RepMonth
from incentives.tickets import metrics

FIRST_REPLY = {
    "weight": 100,
    "threshold": 15,
    "target": 5,
    "channel_groups": {"written": {"threshold": 480, "target": 120}},
}
BASE = {
    "name": "By channel",
    "currency": "USD",
    "target_bonus": "100",
    "csat_prior_strength": 5,
    "metrics": {"first_response_median_min": FIRST_REPLY},
    "payout": {"tiers": [{"score": 50, "percent": 100}]},
}


def plan(first_reply: dict | None = None) -> plans.Plan:
    return plans.parse_plan(
        {**BASE, "metrics": {"first_response_median_min": first_reply or FIRST_REPLY}}
    )


def group(minutes: float, solved: int) -> RepMonth:
    return RepMonth(
        1, 7, tickets_solved=solved, values={"first_response_median_min": minutes}
    )


def test_a_plan_reads_and_writes_values_per_channel_group() -> None:
    read = plan()
    term = read.term("first_response_median_min")
    assert term is not None
    assert [(g.group, g.threshold, g.target) for g in term.channel_groups] == [
        ("written", 480.0, 120.0)
    ]
    assert term.for_group("written").threshold == 480.0
    assert term.for_group("live").threshold == 15.0
    again = plans.parse_plan_yaml(plans.plan_to_yaml(read))
    assert again == read
    assert plans.content_hash(again) == plans.content_hash(read)


def test_a_plan_without_channel_groups_keeps_its_stored_shape_and_hash() -> None:
    plain = {k: v for k, v in FIRST_REPLY.items() if k != "channel_groups"}
    data = plans.plan_to_data(plan(plain))
    assert "channel_groups" not in data["metrics"]["first_response_median_min"]


@pytest.mark.parametrize(
    ("groups", "field", "message"),
    [
        (
            {"voice": {"threshold": 10, "target": 5}},
            "metrics.first_response_median_min.channel_groups.voice",
            "Unknown channel group. Use one of: live (Phone and chat)",
        ),
        (
            {"written": {"threshold": 100, "target": 200}},
            "metrics.first_response_median_min.channel_groups.written.target",
            "The target must be below the threshold",
        ),
        (
            {"written": {"threshold": 100}},
            "metrics.first_response_median_min.channel_groups.written.target",
            "Enter a number.",
        ),
        (
            {"written": {"threshold": 100, "target": 50, "bonus": 1}},
            "metrics.first_response_median_min.channel_groups.written.bonus",
            "Unknown field.",
        ),
        (
            ["written"],
            "metrics.first_response_median_min.channel_groups",
            "Give each channel group its threshold and target.",
        ),
    ],
)
def test_bad_channel_groups_are_refused_by_field(
    groups: object, field: str, message: str
) -> None:
    with pytest.raises(PlanInvalid) as refused:
        plan({**FIRST_REPLY, "channel_groups": groups})
    assert any(message in m for m in refused.value.errors[field])
    assert all(p.startswith("First reply (") for p in refused.value.problems)


def test_email_tickets_are_not_failed_by_the_phone_target() -> None:
    # 300 minutes by e-mail: far over the phone threshold (15), but between the written
    # threshold (480) and target (120): (480 - 300) / (480 - 120) = 0.5 credit.
    # 4 minutes on the phone: past the phone target, full credit.
    # Blended by tickets: (0.5 * 30 + 1.0 * 10) / 40 = 0.625.
    month = RepMonth(
        1,
        7,
        tickets_solved=40,
        values={"first_response_median_min": 200.0},
        channels={"written": group(300, 30), "live": group(4, 10)},
    )
    score = rep_scores.score_rep(month, plan(), org_csat=None)
    (line,) = score.lines
    assert [(p.group, p.attainment, p.count) for p in line.parts] == [
        ("live", 1.0, 10),
        ("written", 0.5, 30),
    ]
    assert line.attainment == pytest.approx(0.625)
    assert score.score == pytest.approx(62.5)
    assert not line.below_threshold
    assert line.parts[1].label == "E-mail and web"


def test_a_group_over_its_threshold_is_a_coaching_signal() -> None:
    month = RepMonth(
        1,
        7,
        tickets_solved=20,
        values={"first_response_median_min": 100.0},
        channels={"written": group(100, 10), "live": group(30, 10)},
    )
    score = rep_scores.score_rep(month, plan(), org_csat=None)
    assert score.below_threshold == {"first_response_median_min"}
    assert score.score == pytest.approx(50.0)


def test_figures_without_channel_groups_score_on_the_metrics_own_values() -> None:
    month = RepMonth(
        1, 7, tickets_solved=20, values={"first_response_median_min": 10.0}
    )
    (line,) = rep_scores.score_rep(month, plan(), org_csat=None).lines
    assert line.parts == ()
    assert line.attainment == pytest.approx(0.5)


def test_parts_are_kept_with_a_closed_months_score() -> None:
    month = RepMonth(
        1,
        7,
        tickets_solved=40,
        values={"first_response_median_min": 200.0},
        channels={"written": group(300, 30), "live": group(4, 10)},
    )
    score = rep_scores.score_rep(month, plan(), org_csat=None)
    assert score_data.score_from_data(score_data.score_to_data(score)) == score


def test_month_figures_are_split_by_channel_group_per_rep() -> None:
    measures = pd.DataFrame(
        {
            "rep_id": pd.array([1, 1, 1, 2, None], dtype="Int64"),
            "channel": ["email", "phone", "chat", "web", "email"],
            "first_response_min": [300.0, 4.0, 6.0, 60.0, 1.0],
            "resolution_h": [1.0, 1.0, 1.0, 1.0, 1.0],
            "first_response_clock_code": [0.0] * 5,
            "resolution_clock_code": [0.0] * 5,
            **{
                column: [0.0] * 5
                for column in (
                    "timely",
                    "rated",
                    "is_satisfied",
                    "nps_given",
                    "promoter",
                    "detractor",
                    "reopened",
                    "is_review",
                    "review_followed_up",
                )
            },
        }
    )
    split = metrics.rep_channel_metrics(measures).set_index(["rep_id", "channel_group"])
    assert split.loc[(1, "live"), "tickets_solved"] == 2
    assert split.loc[(1, "live"), "first_response_median_min"] == 5.0
    assert split.loc[(1, "written"), "first_response_median_min"] == 300.0
    assert split.loc[(2, "written"), "tickets_solved"] == 1
    assert len(split) == 3  # the unattributed ticket counts for no rep
