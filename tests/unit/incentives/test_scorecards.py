"""Scorecard contexts from plain data: the rep, team and leadership cards that the page and
the PDF both render; ticket attribution after disputes; the charts they draw with."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core import charts
from incentives.scorecards import cards, leadership, rep_card, team_card
from incentives.scorecards.cards import (
    AuthorityHeld,
    CoachingOffer,
    IdeaCredit,
    ScenarioOffer,
    TrainingFacts,
)
from incentives.scoring import disputes, plans, rep_scores, tables
from incentives.scoring.rep_scores import CloseInfo, MonthScores, Person

UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 10, 9, 30, tzinfo=dt.UTC)
PLAN = plans.parse_plan(
    {
        "name": "Card plan",
        "currency": "EUR",
        "target_bonus": 100,
        "csat_prior_strength": 5,
        "metrics": {
            "timely_rate": {"weight": 60, "threshold": 50, "target": 100},
            "reopen_rate": {"weight": 40, "threshold": 10, "target": 0},
        },
        "payout": {"tiers": [{"score": 50, "percent": 100}]},
    }
)
PEOPLE = {
    1: Person(1, "Ann <Lead>", "ann@example.com", 10, "Desk"),
    2: Person(2, "Bob", "bob@example.com", 10, "Desk"),
    3: Person(3, "Cat", "cat@example.com", 20, "Other"),
}


def scored(month: str, timely: dict[int, float], closed: bool = False) -> MonthScores:
    """A month where each rep has the timely rate given and no reopens."""
    scores = {
        rep: rep_scores.score_rep(
            rep_scores.RepMonth(
                rep,
                PEOPLE[rep].team_id,
                tickets_solved=10,
                values={"timely_rate": value, "reopen_rate": 0.0},
            ),
            PLAN,
            org_csat=None,
        )
        for rep, value in timely.items()
    }
    return MonthScores(
        month=month,
        close=CloseInfo(1, NOW, "Alex", "", "abc", 30, 0) if closed else None,
        plan_version_id=1,
        plan_label="Card plan v1",
        plan=PLAN,
        org_csat=None,
        scores=scores,
        people={rep: PEOPLE[rep] for rep in timely},
        metrics={rep: {} for rep in timely},
        organisation={"tickets_solved": 30, "timely_rate": 0.8},
        teams={10: {"team_name": "Desk", "tickets_solved": 20}},
    )


HISTORY = [
    scored("2024-02", {1: 0.6, 2: 0.9, 3: 0.7}, closed=True),
    scored("2024-03", {1: 0.8, 2: 0.7, 3: 0.75}),
]


def test_a_rep_card_shows_each_step_and_the_rank_in_team() -> None:
    card = rep_card.rep_card(
        1,
        HISTORY,
        tz=UTC,
        authorities=[AuthorityHeld("Refund", "200 USD", "01 Jan 2025")],
        training=TrainingFacts(
            passed=(("Lost parcel", "02 Mar 2024"),), passed_in_month=1
        ),
        coaching=[
            CoachingOffer("timely_rate", "Solved in time", (ScenarioOffer("s", "S"),))
        ],
        generated_at=NOW,
    )
    # timely 80%: (80 - 50) / 50 = 60% credit x 60 = 36; no reopens: 40. Score 76.
    assert card.score_text == "76.0"
    assert card.payout_text == "100.00 EUR"
    assert card.rank == "1st of 2 in Desk"
    assert card.status.startswith("Open")
    timely = card.lines[0]
    assert (timely.value, timely.threshold, timely.target) == ("80%", "50%", "100%")
    assert (timely.attainment, timely.weight, timely.contribution) == (
        "60%",
        "60",
        "36.0",
    )
    assert [row.score for row in card.months] == ["52.0", "76.0"]
    assert [row.closed for row in card.months] == [True, False]
    assert card.generated == "10 Apr 2024, 09:30"


def test_adopted_ideas_are_recognition_and_change_no_score_or_payout() -> None:
    plain = rep_card.rep_card(1, HISTORY, tz=UTC, generated_at=NOW)
    credited = rep_card.rep_card(
        1,
        HISTORY,
        tz=UTC,
        generated_at=NOW,
        ideas_adopted=[IdeaCredit("Tracking links in texts", "02 Apr 2024")],
    )
    assert credited.ideas_adopted == (
        IdeaCredit("Tracking links in texts", "02 Apr 2024"),
    )
    assert plain.ideas_adopted == ()
    assert dataclasses.replace(credited, ideas_adopted=()) == plain


def test_names_in_charts_are_escaped() -> None:
    card = rep_card.rep_card(1, HISTORY, tz=UTC, generated_at=NOW)
    assert "Ann &lt;Lead&gt;" in str(card.score_chart)
    assert "<Lead>" not in str(card.score_chart)


def test_a_rep_with_no_score_still_gets_a_card_that_says_why() -> None:
    card = rep_card.rep_card(
        9, HISTORY, tz=UTC, person=Person(9, "New", "n@x", 10, "Desk"), generated_at=NOW
    )
    assert not card.has_score
    assert card.score_text == "—"
    assert card.lines == ()


def test_a_team_card_ranks_its_reps_and_leaves_others_out() -> None:
    card = team_card.team_card(10, "Desk", HISTORY, tz=UTC, generated_at=NOW)
    assert [row.name for row in card.rows] == ["Ann <Lead>", "Bob"]
    assert [row.rank for row in card.rows] == [1, 2]
    assert card.columns == ("Solved in time", "Reopened")
    assert card.rows[1].values == (("70%", False), ("0%", False))
    # Ann 76, Bob (70 - 50)/50 x 60 + 40 = 64
    assert card.summary.average == "70.0"
    assert card.summary.payout == "200.00 EUR"


def test_the_leadership_pack_finds_the_top_movers() -> None:
    pack = leadership.leadership_pack(HISTORY, tz=UTC, generated_at=NOW)
    # February: Ann 52, Bob 88, Cat 64; March: Ann 76, Bob 64, Cat 70.
    assert [(m.name, m.change) for m in pack.movers_up] == [
        ("Ann <Lead>", "+24.0"),
        ("Cat", "+6.0"),
    ]
    assert [(m.name, m.change) for m in pack.movers_down] == [("Bob", "-24.0")]
    assert pack.summary.reps == 3
    assert pack.previous_average == "68.0"
    assert pack.change == "+2.0"
    assert dict(pack.organisation)["Timely"] == "80%"


def test_the_distribution_counts_scores_by_band() -> None:
    svg = str(cards.distribution([10, 45, 47, 99, 100, 120], "Scores"))
    assert "&lt;40: 1" in svg
    assert "40s: 2" in svg
    assert "90s: 1" in svg
    assert "100+: 2" in svg


def test_score_cells_for_the_csv() -> None:
    score = HISTORY[1].scores[1]
    # The base payout, then the final one (prorated and adjusted) beside it.
    assert tables.score_cells(score, "EUR", Decimal("62.50")) == [
        76.0,
        "yes",
        "100.00",
        "62.50",
        "EUR",
        "",
    ]
    assert tables.score_cells(None, "", None) == [
        "",
        "",
        "",
        "",
        "",
        "No plan in force.",
    ]


def test_score_rows_keep_to_the_reps_a_viewer_may_see() -> None:
    rows = tables.score_rows(
        HISTORY[1], frozenset({2, 3}), {2: Decimal("80.00"), 3: Decimal("0.00")}
    )
    assert [(r.name, r.rank) for r in rows] == [("Bob", 2), ("Cat", 1)]
    assert (rows[0].base_payout, rows[0].payout) == ("100.00 EUR", "80.00 EUR")


# --- disputes change attribution ------------------------------------------------------------


def test_accepted_disputes_exclude_or_reassign_tickets() -> None:
    tickets = pd.DataFrame(
        {
            "ticket_pk": [1, 2, 3],
            "rep_id": pd.array([5, 5, 6], dtype="Int64"),
            "team_id": pd.array([1, 1, 2], dtype="Int64"),
        }
    )
    changed = disputes.apply_attribution(tickets, {1: (None, None), 2: (6, 2)})
    assert changed["rep_id"].tolist() == [pd.NA, 6, 6]
    assert changed["team_id"].tolist() == [pd.NA, 2, 2]
    assert tickets["rep_id"].tolist() == [5, 5, 6]  # the input is left alone


@pytest.mark.parametrize(
    ("text", "ok"),
    [("", False), ("  okay ", True), ("x" * 501, False), ("Not mine", True)],
)
def test_a_reason_is_required_and_kept_short(text: str, ok: bool) -> None:
    if ok:
        assert disputes.check_reason(text) == text.strip()
    else:
        with pytest.raises(ValueError, match="reason"):
            disputes.check_reason(text)


# --- charts ---------------------------------------------------------------------------------


def test_a_line_chart_breaks_at_missing_months_and_marks_guides() -> None:
    svg = str(
        charts.line_chart(
            [("Jan", 10.0), ("Feb", None), ("Mar", 30.0), ("Apr", 40.0)],
            minimum=0,
            maximum=100,
            guides=[(50, "Target <b>", "target")],
        )
    )
    assert svg.count("<polyline") == 1  # Jan stands alone; Mar-Apr is one segment
    assert "Jan 10, Feb —, Mar 30, Apr 40" in svg  # every value in the chart's label
    assert svg.count("<circle") == 3
    assert "Target &lt;b&gt;" in svg
    assert 'stroke="#1f8a4c"' in svg


def test_a_diverging_bar_starts_at_zero() -> None:
    svg = str(charts.diverging(-0.5, width=100))
    assert 'x="25" y="3" width="25"' in svg
    svg = str(charts.diverging(0.5, width=100))
    assert 'x="50" y="3" width="25"' in svg


def test_labelled_bars_write_their_values() -> None:
    svg = str(charts.labelled_bars([("Desk", 58.66)], value_format="{:.1f}"))
    assert ">58.7</text>" in svg
    assert 'font-size="10"' in svg


def test_tick_values_are_round() -> None:
    assert charts._ticks(0, 100) == [0, 25, 50, 75, 100]
    assert charts._ticks(-100, 100) == [-100, -50, 0, 50, 100]


def test_money_and_month_labels() -> None:
    assert tables.money(Decimal("1234.5"), "USD") == "1,234.50 USD"
    assert cards.short_month("2024-03") == "Mar 24"


def test_cards_show_the_final_payout_given_and_say_when_it_is_not_the_base() -> None:
    finals = {"2024-02": {1: Decimal("10.00")}, "2024-03": {1: Decimal("62.50")}}
    card = rep_card.rep_card(1, HISTORY, tz=UTC, finals=finals, generated_at=NOW)
    assert card.payout == Decimal("62.50")
    assert card.payout_text == "62.50 EUR"
    assert card.payout_note.startswith("Base payout 100.00 EUR")
    assert [row.payout for row in card.months][-1] == "62.50 EUR"
    team = team_card.team_card(
        10,
        "Desk",
        HISTORY,
        tz=UTC,
        finals={1: Decimal("62.50"), 2: Decimal("125.00")},
        generated_at=NOW,
    )
    assert [row.payout for row in team.rows] == ["62.50 EUR", "125.00 EUR"]
    assert team.summary.payout == "187.50 EUR"
    pack = leadership.leadership_pack(
        HISTORY, tz=UTC, finals={1: Decimal("62.50")}, generated_at=NOW
    )
    # Reps left out of the payouts are paid nothing.
    assert pack.summary.payout == "62.50 EUR"


def test_the_leadership_pack_lists_only_real_movers() -> None:
    # Cat moved +6.0, Ann +24.0, Bob -24.0: with a 10-point bar only Ann and Bob move.
    up, down = leadership.movers(HISTORY[1], HISTORY[0], min_points=10.0)
    assert [m.name for m in up] == ["Ann <Lead>"]
    assert [m.name for m in down] == ["Bob"]
    # Never more than the count each way.
    up, _down = leadership.movers(HISTORY[1], HISTORY[0], count=1, min_points=0.1)
    assert [m.name for m in up] == ["Ann <Lead>"]
    # A change under the bar is not movement.
    assert leadership.movers(HISTORY[1], HISTORY[1]) == ([], [])


def test_the_leadership_pack_tells_the_month_in_a_headline_with_the_budget() -> None:
    pack = leadership.leadership_pack(
        HISTORY,
        tz=UTC,
        finals={1: Decimal("100.00"), 2: Decimal("100.00")},
        month_finals={"2024-02": {2: Decimal("100.00")}},
        budget=Decimal("400"),
        generated_at=NOW,
    )
    assert pack.headline == (
        "March 2024: average score 70.0 (+2.0 on the month before); 3 of 3 reps "
        "eligible; payouts 200.00 EUR, 50% of the budget. Solved in time 80.0% "
        "(no change)."
    )
    assert pack.budget == "400.00 EUR a month"
    assert pack.trend_months == 2
    assert [t.title for t in pack.service_trends][1] == "Solved in time"
    assert "Budget" in pack.payout_chart
    assert "200" in pack.payout_chart
    assert "100" in pack.payout_chart
    assert pack.plan_changes == ()
    assert pack.compared_across_plans == ""


def test_months_scored_under_different_plans_are_flagged_where_compared() -> None:
    february = dataclasses.replace(
        HISTORY[0], plan_version_id=7, plan_label="Card plan v0"
    )
    pack = leadership.leadership_pack([february, HISTORY[1]], tz=UTC, generated_at=NOW)
    assert pack.plan_changes == (
        "Plan changed in March 2024: Card plan v0 to Card plan v1.",
    )
    assert pack.compared_across_plans.startswith(
        "Scored under another plan than February 2024 (Card plan v0, now Card plan v1)"
    )
    assert pack.headline.endswith("The plan changed since the month before.")


def test_validity_figures_need_enough_reps() -> None:
    from incentives.scorecards import validity

    few = validity.Validity(
        (validity.Predictor("total", "Test total", 0.5, 0.1, 0.8, "moderate"),),
        8,
        0,
        3,
        validity.caution(8),
    )
    assert not leadership.leadership_pack(
        HISTORY, tz=UTC, validity=few, generated_at=NOW
    ).validity_shown
    enough = dataclasses.replace(few, n=leadership.VALIDITY_TABLE_FROM)
    assert leadership.leadership_pack(
        HISTORY, tz=UTC, validity=enough, generated_at=NOW
    ).validity_shown


def test_the_team_card_names_reps_near_a_payout_tier() -> None:
    # Timely credit x 60 + 40 for no reopens: 56.67% -> 48.0, 59.17% -> 51.0, 90% -> 88.
    month = scored("2024-03", {1: 0.56667, 2: 0.59167, 3: 0.9})
    near = team_card.near_tiers(month, [1, 2, 3])
    assert [(n.name, n.words) for n in near] == [
        ("Bob", "only 1.0 points over the 50 tier: a small slip loses it"),
        ("Ann <Lead>", "2.0 points under the 50 tier, which pays 100.00 EUR"),
    ]


def test_coaching_notes_say_why_and_how_the_metric_moved() -> None:
    offer = CoachingOffer(
        "timely_rate",
        "Solved in time",
        (ScenarioOffer("s", "Slow replies", assigned=True), ScenarioOffer("t", "Tidy")),
    )
    row = team_card.TeamRow(
        1, "Ann <Lead>", 76.0, "76.0", 1, True, "", "", (), "+24.0", (offer,)
    )
    (note,) = team_card.coaching_notes(HISTORY, [row])
    assert note.why == "80% (threshold 50%) this month, 60% (threshold 50%) last month"
    assert note.effect == "+20.0 pts since last month (better)"
    assert note.assigned == ("Slow replies",)
    assert note.offered == ("Tidy",)


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ([10, 11, 12], [10, 18, 26]),  # crowded: pushed down, each 8 apart
        ([28, 29, 29.5], [14, 22, 30]),  # at the bottom: pushed back up inside
        ([5, 20], [5, 20]),  # already apart: left alone
        ([20, 5], [20, 5]),  # any order in, same order out
        ([0], [3]),  # above the top: moved inside
    ],
)
def test_chart_labels_are_spread_apart_within_the_chart(positions, expected) -> None:
    assert charts.spread(positions, 8, 3, 30) == pytest.approx(expected)


def test_a_trend_names_its_reference_lines_in_their_colours() -> None:
    svg = str(
        charts.sparkline(
            [50, 60, 70],
            minimum=40,
            maximum=100,
            guides=[(50, "threshold 50%", "threshold"), (51, "target <51%>", "target")],
            width=140,
            label_width=70,
        )
    )
    assert "threshold 50%</text>" in svg
    assert "target &lt;51%&gt;</text>" in svg
    ys = [float(y) for y in re.findall(r'<text[^>]* y="([\d.]+)"', svg)]
    assert abs(ys[0] - ys[1]) >= 8  # close lines, labels kept apart
    assert 'x2="70"' in svg  # the lines stop where the names begin


def test_a_rep_card_labels_its_trend_lines_with_their_values() -> None:
    card = rep_card.rep_card(1, HISTORY, tz=UTC, generated_at=NOW)
    trend = str(card.lines[0].trend)
    assert "threshold 50%" in trend
    assert "target 100%" in trend
    assert 'class="chart-axis"' in str(card.score_chart)  # axis values on the chart
