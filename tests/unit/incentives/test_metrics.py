"""Month metrics against values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from incentives.tickets import metrics
from incentives.tickets.clock import WeeklyHours
from incentives.tickets.metrics import (
    METRIC_COLUMNS,
    SlaTarget,
    format_value,
    group_metrics,
    measure_tickets,
    month_bounds,
    organisation_metrics,
    rep_metrics,
    summarise,
    team_metrics,
)

UTC = ZoneInfo("UTC")
SYDNEY = ZoneInfo("Australia/Sydney")
BERLIN = ZoneInfo("Europe/Berlin")


def tickets(*rows: dict) -> pd.DataFrame:
    """Tickets with sensible defaults: rep 1 of team 10, chat, normal, solved in March."""
    defaults = {
        "rep_id": 1,
        "team_id": 10,
        "group_name": "Live chat",
        "channel": "chat",
        "priority": "normal",
        "created_at": "2024-03-04 09:00",
        "first_response_at": None,
        "solved_at": "2024-03-04 10:00",
        "first_response_min_calendar": np.nan,
        "first_response_min_business": np.nan,
        "resolution_min_calendar": np.nan,
        "resolution_min_business": np.nan,
        "reopens": 0.0,
        "satisfied": np.nan,
        "nps": np.nan,
        "sla_met": np.nan,
    }
    records = [{**defaults, **row} for row in rows]
    frame = pd.DataFrame(records, columns=list(defaults))
    frame.insert(0, "ticket_pk", np.arange(1, len(frame) + 1, dtype="int64"))
    for column in ("created_at", "first_response_at", "solved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(
            "datetime64[us, UTC]"
        )
    for column in ("rep_id", "team_id"):
        frame[column] = frame[column].astype("Int64")
    for column in metrics.TICKET_COLUMNS:
        if metrics.TICKET_COLUMNS[column] == "float64":
            frame[column] = frame[column].astype("float64")
    frame["group_name"] = frame["group_name"].astype(object)
    return frame


def measured(frame: pd.DataFrame, month: str = "2024-03", tz: ZoneInfo = UTC, **kw):
    return measure_tickets(frame, month=month, tz=tz, **kw)


def test_the_metrics_of_one_rep_worked_out_by_hand() -> None:
    frame = tickets(
        # chat normal: target 10 min reply, 8 h solve
        {
            "first_response_at": "2024-03-04 09:04",
            "solved_at": "2024-03-04 10:00",
            "satisfied": 1.0,
            "nps": 10.0,
        },
        {
            "first_response_at": "2024-03-05 09:10",
            "created_at": "2024-03-05 09:00",
            "solved_at": "2024-03-05 19:00",
            "satisfied": 0.0,
            "nps": 3.0,
            "reopens": 1.0,
        },
        {
            "first_response_at": "2024-03-06 09:30",
            "created_at": "2024-03-06 09:00",
            "solved_at": "2024-03-06 11:00",
            "satisfied": 1.0,
            "nps": 8.0,
        },
        {"created_at": "2024-03-07 09:00", "solved_at": "2024-03-07 09:30"},
    )
    row = rep_metrics(measured(frame)).loc[1]
    assert row["tickets_solved"] == 4
    # first replies 4, 10, 30 minutes (one unknown): median 10
    assert row["first_response_median_min"] == 10
    # resolutions 1 h, 10 h, 2 h, 0.5 h: median (1 + 2) / 2
    assert row["resolution_median_h"] == 1.5
    # within 8 h: three of four
    assert row["timely_rate"] == 0.75
    # two satisfied of three rated
    assert row["csat_raw"] == pytest.approx(2 / 3)
    assert row["rated"] == 3
    # one promoter (10), one detractor (3), one passive (8): (1 - 1) / 3
    assert row["nps"] == 0
    assert row["nps_responses"] == 3
    assert row["reopen_rate"] == 0.25
    assert row["first_response_clock"] == "calendar"


def test_an_empty_month_gives_zero_counts_and_no_rates() -> None:
    frame = tickets({"solved_at": "2024-02-10 10:00"})
    m = measured(frame)
    assert m.empty
    reps = rep_metrics(m, rep_ids=[1, 2])
    assert list(reps.index) == [1, 2]
    assert (reps["tickets_solved"] == 0).all()
    assert reps["first_response_median_min"].isna().all()
    assert reps["csat_raw"].isna().all()
    org = organisation_metrics(m)
    assert org["tickets_solved"] == 0
    assert np.isnan(org["timely_rate"])
    assert list(reps.columns) == METRIC_COLUMNS


def test_no_tickets_at_all() -> None:
    frame = tickets()
    org = organisation_metrics(measured(frame))
    assert org["tickets_solved"] == 0
    assert rep_metrics(measured(frame)).empty


def test_one_rated_ticket() -> None:
    row = rep_metrics(measured(tickets({"satisfied": 1.0}))).loc[1]
    assert row["csat_raw"] == 1.0
    assert row["rated"] == 1


def test_offered_but_unanswered_surveys_are_not_ratings() -> None:
    row = rep_metrics(measured(tickets({"satisfied": np.nan}, {"satisfied": 0.0}))).loc[
        1
    ]
    assert row["rated"] == 1
    assert row["csat_raw"] == 0.0


def test_tied_medians_take_the_middle_of_the_two() -> None:
    frame = tickets(
        {"first_response_at": "2024-03-04 09:10"},
        {"first_response_at": "2024-03-04 09:10"},
        {"first_response_at": "2024-03-04 09:20"},
        {"first_response_at": "2024-03-04 09:30"},
    )
    assert rep_metrics(measured(frame)).loc[1, "first_response_median_min"] == 15


def test_a_ticket_solved_just_before_midnight_at_month_end_counts_in_that_month_locally() -> (
    None
):
    # 31 March 23:30 in Berlin is 21:30 UTC; 00:30 on 1 April in Berlin is still March in UTC.
    frame = tickets(
        {"created_at": "2024-03-31 20:00", "solved_at": "2024-03-31 21:30"},
        {"created_at": "2024-03-31 20:00", "solved_at": "2024-03-31 22:30"},
    )
    assert (
        organisation_metrics(measured(frame, "2024-03", BERLIN))["tickets_solved"] == 1
    )
    assert (
        organisation_metrics(measured(frame, "2024-04", BERLIN))["tickets_solved"] == 1
    )
    assert organisation_metrics(measured(frame, "2024-03", UTC))["tickets_solved"] == 2


def test_month_boundaries_across_time_zones() -> None:
    start, end = month_bounds("2024-03", SYDNEY)
    # Sydney is UTC+11 on 1 March and UTC+11 until 7 April (DST ends then)
    assert start == dt.datetime(2024, 2, 29, 13, tzinfo=dt.UTC)
    assert end == dt.datetime(2024, 3, 31, 13, tzinfo=dt.UTC)
    frame = tickets({"solved_at": "2024-02-29 13:30"})  # 1 March 00:30 in Sydney
    assert (
        organisation_metrics(measured(frame, "2024-03", SYDNEY))["tickets_solved"] == 1
    )
    assert organisation_metrics(measured(frame, "2024-02", UTC))["tickets_solved"] == 1


def test_a_reopen_is_charged_to_the_rep_who_solved_the_ticket() -> None:
    frame = tickets(
        {"rep_id": 1, "reopens": 0.0},
        {
            "rep_id": 2,
            "reopens": 3.0,
        },  # first handled by someone, reopened, solved by 2
        {"rep_id": 2, "reopens": 0.0},
    )
    reps = rep_metrics(measured(frame))
    assert reps.loc[1, "reopen_rate"] == 0
    assert reps.loc[2, "reopen_rate"] == 0.5
    assert reps.loc[2, "reopened"] == 1


def test_unknown_reopens_are_left_out_of_the_rate() -> None:
    frame = tickets({"reopens": np.nan}, {"reopens": 1.0})
    assert rep_metrics(measured(frame)).loc[1, "reopen_rate"] == 1.0


def test_timely_uses_the_target_of_each_channel_and_priority() -> None:
    targets = {
        ("email", "urgent"): SlaTarget(30, 2),
        ("email", "low"): SlaTarget(600, 48),
    }
    frame = tickets(
        {
            "channel": "email",
            "priority": "urgent",
            "solved_at": "2024-03-04 12:00",
        },  # 3 h > 2
        {
            "channel": "email",
            "priority": "low",
            "solved_at": "2024-03-05 12:00",
        },  # 27 h < 48
    )
    m = measured(frame, targets=targets)
    assert list(m["timely"]) == [0.0, 1.0]
    assert rep_metrics(m).loc[1, "timely_rate"] == 0.5


def test_default_targets_cover_every_channel_and_priority() -> None:
    assert len(metrics.DEFAULT_SLA_TARGETS) == len(metrics.Channel) * len(
        metrics.Priority
    )
    frame = tickets({"channel": "review", "priority": "urgent"})
    m = measured(frame)
    assert m.iloc[0]["resolution_target_h"] == 24


def test_public_review_follow_up_within_target_and_unanswered_reviews_count_as_missed() -> (
    None
):
    frame = tickets(
        # review normal: reply within 720 minutes
        {"channel": "review", "first_response_at": "2024-03-04 12:00"},  # 3 h: answered
        {"channel": "review", "first_response_at": "2024-03-05 12:00"},  # 27 h: late
        {"channel": "review"},  # never answered
        {"channel": "chat", "first_response_at": "2024-03-04 09:01"},
    )
    row = rep_metrics(measured(frame)).loc[1]
    assert row["review_tickets"] == 3
    assert row["review_followup_rate"] == pytest.approx(1 / 3)


def test_business_hours_measure_only_opening_time() -> None:
    office = WeeklyHours.from_mapping({day: (9 * 60, 17 * 60) for day in range(5)})
    frame = tickets(
        # Friday 16:00 to Monday 10:00: 2 business hours, 66 calendar hours
        {
            "created_at": "2024-03-08 16:00",
            "first_response_at": "2024-03-11 09:30",
            "solved_at": "2024-03-11 10:00",
        },
    )
    m = measured(frame, hours=office)
    assert m.iloc[0]["resolution_h"] == 2
    assert m.iloc[0]["first_response_min"] == 90
    assert m.iloc[0]["resolution_clock"] == "business"
    assert measured(frame).iloc[0]["resolution_h"] == 66


def test_exported_durations_fill_in_for_missing_timestamps_and_keep_their_clock() -> (
    None
):
    frame = tickets(
        {"solved_at": "2024-03-04 10:00", "first_response_min_calendar": 12.0},
        {"solved_at": "2024-03-04 10:00", "first_response_min_business": 7.0},
    )
    calendar = measured(frame)
    assert list(calendar["first_response_min"]) == [12, 7]
    assert list(calendar["first_response_clock"]) == ["calendar", "business"]
    assert rep_metrics(calendar).loc[1, "first_response_clock"] == "mixed"
    office = WeeklyHours.from_mapping({day: (0, 1440) for day in range(7)})
    business = measured(frame, hours=office)
    assert list(business["first_response_clock"]) == ["calendar", "business"]


def test_timestamps_win_over_exported_durations() -> None:
    frame = tickets(
        {"first_response_at": "2024-03-04 09:05", "first_response_min_calendar": 99.0}
    )
    assert measured(frame).iloc[0]["first_response_min"] == 5


def test_unattributed_tickets_count_for_group_and_organisation_only() -> None:
    frame = tickets(
        {"rep_id": 1, "group_name": "Billing"},
        {"rep_id": None, "team_id": None, "group_name": "Billing"},
        {"rep_id": None, "team_id": None, "group_name": None},
    )
    m = measured(frame)
    assert rep_metrics(m)["tickets_solved"].sum() == 1
    assert team_metrics(m).loc[10, "tickets_solved"] == 1
    groups = group_metrics(m)
    assert groups.loc["Billing", "tickets_solved"] == 2
    assert groups.loc[metrics.NO_GROUP, "tickets_solved"] == 1
    assert organisation_metrics(m)["tickets_solved"] == 3


def test_team_metrics_pool_the_team_s_tickets() -> None:
    frame = tickets(
        {"rep_id": 1, "team_id": 10, "satisfied": 1.0},
        {"rep_id": 2, "team_id": 10, "satisfied": 0.0},
        {"rep_id": 3, "team_id": 20, "satisfied": 1.0},
    )
    teams = team_metrics(measured(frame), team_ids=[10, 20, 30])
    assert teams.loc[10, "csat_raw"] == 0.5
    assert teams.loc[20, "csat_raw"] == 1.0
    assert teams.loc[30, "tickets_solved"] == 0


def test_summarise_matches_a_plain_groupby() -> None:
    rng = np.random.default_rng(7)
    n = 500
    frame = tickets(*[{} for _ in range(n)])
    frame["rep_id"] = pd.array(rng.integers(1, 6, n), dtype="Int64")
    frame["first_response_at"] = frame["created_at"] + pd.to_timedelta(
        rng.integers(1, 300, n), unit="m"
    )
    m = measured(frame)
    ours = summarise(m, "rep_id")["first_response_median_min"]
    plain = (
        (frame["first_response_at"] - frame["created_at"])
        .dt.total_seconds()
        .div(60)
        .groupby(frame["rep_id"])
        .median()
    )
    pd.testing.assert_series_equal(
        ours, plain, check_names=False, check_index_type=False
    )


def test_sorting_puts_blanks_last_and_keeps_name_order_for_ties() -> None:
    table = pd.DataFrame(
        {"name": ["Cleo", "Abe", "Bea", "Dan"], "csat_raw": [0.9, 0.9, np.nan, 0.5]}
    )
    ordered = metrics.sort_rows(table, "csat_raw", descending=True)
    assert list(ordered["name"]) == ["Abe", "Cleo", "Dan", "Bea"]
    assert list(metrics.sort_rows(table, "nonsense", False)["name"]) == [
        "Abe",
        "Bea",
        "Cleo",
        "Dan",
    ]


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("tickets_solved", 1234, "1,234"),
        ("first_response_median_min", 4.25, "4.2 min"),
        ("first_response_median_min", 42.0, "42 min"),
        ("first_response_median_min", 150.0, "2.5 h"),
        ("resolution_median_h", 0.5, "30 min"),
        ("resolution_median_h", 72.0, "3.0 d"),
        ("timely_rate", 0.876, "88%"),
        ("csat_raw", 1.0, "100%"),
        ("nps", 23.4, "+23"),
        ("nps", -5.0, "-5"),
        ("nps", 0.2, "0"),
        ("timely_rate", np.nan, "—"),
        ("nps", None, "—"),
    ],
)
def test_format_value(column: str, value, shown: str) -> None:
    assert format_value(column, value) == shown


@pytest.mark.parametrize(
    ("month", "by", "expected"),
    [("2024-01", -1, "2023-12"), ("2024-12", 1, "2025-01"), ("2024-05", 0, "2024-05")],
)
def test_shift_month(month: str, by: int, expected: str) -> None:
    assert metrics.shift_month(month, by) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-13",
        "2024-3",
        "March",
        "",
        "1900-01",
        "9999-12",
        "\u0662\u0660\u0662\u0664-03",
    ],
)
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(metrics.InvalidMonth):
        metrics.parse_month(text)
