"""Payout rules against hand-worked figures: working days, proration, adjustments' amounts,
a payout line, the export's columns and who may change a rep's pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.access import Role, Viewer
from incentives.scoring import payouts, plans, rep_scores
from incentives.scoring.payouts import Proration, WorkDates
from incentives.scoring.rep_scores import Person, RepMonth

MARCH = "2024-03"  # 1 March 2024 is a Friday: 21 weekdays
PLAN = plans.parse_plan(
    {
        "name": "Rules plan",
        "currency": "USD",
        "target_bonus": 200,
        "csat_prior_strength": 5,
        "eligibility": {"min_solved": 1, "min_rated": 0},
        "metrics": {"timely_rate": {"weight": 100, "threshold": 50, "target": 100}},
        "payout": {"tiers": [{"score": 10, "percent": 50}]},
    }
)


def d(day: int, month: int = 3) -> dt.date:
    return dt.date(2024, month, day)


def test_working_days_are_weekdays_less_holidays() -> None:
    days = payouts.working_days(MARCH)
    assert len(days) == 21
    assert days[0] == d(1)
    assert days[-1] == d(29)
    assert len(payouts.working_days(MARCH, [d(29), d(30)])) == 20  # 30th is a Saturday


@pytest.mark.parametrize(
    ("dates", "paid", "note"),
    [
        (WorkDates(), 21, ""),
        (WorkDates(started_on=d(11)), 15, "started 11 March 2024"),
        (WorkDates(left_on=d(8)), 6, "left 8 March 2024"),
        (WorkDates(leaves=((d(18), d(24)),)), 16, "5 working days of leave"),
        # Leave before the start is not taken off twice.
        (
            WorkDates(started_on=d(11), leaves=((d(4), d(12)),)),
            13,
            "started 11 March 2024, 2 working days of leave",
        ),
        (WorkDates(started_on=d(1, 1), left_on=d(30, 6)), 21, ""),
        (WorkDates(left_on=d(20, 2)), 0, "left 20 February 2024"),
    ],
)
def test_proration_counts_the_working_days_a_rep_was_here(dates, paid, note) -> None:
    share = payouts.proration(MARCH, dates)
    assert (share.paid_days, share.working_days, share.note) == (paid, 21, note)


def test_the_factor_is_shown_to_four_places_and_paid_exactly() -> None:
    share = Proration(15, 21, "started 11 March 2024")
    assert share.factor == Decimal("0.7143")
    assert share.text == (
        "15 of 21 working days (× 0.7143): started 11 March 2024"  # noqa: RUF001
    )
    # 100 x 15 / 21 = 71.428..., not 100 x 0.7143 = 71.43 by luck: 200 x 15/21 = 142.857
    assert payouts.prorate(Decimal("100.00"), share) == Decimal("71.43")
    assert payouts.prorate(Decimal("200.00"), share) == Decimal("142.86")
    assert payouts.prorate(Decimal("200.00"), Proration(21, 21)) == Decimal("200.00")
    assert Proration(21, 21).text == "Whole month"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "as a number"),
        ("ten", "as a number"),
        ("NaN", "as a number"),
        ("Infinity", "as a number"),
        ("0", "zero changes nothing"),
        ("1.005", "to the cent"),
        ("100001", "within 100,000"),
    ],
)
def test_a_bad_amount_is_refused_with_a_message(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        payouts.check_amount(text)


def test_a_good_amount_is_kept_to_the_cent() -> None:
    assert payouts.check_amount(" -25.5 ") == Decimal("-25.50")
    assert payouts.check_amount("1,250") == Decimal("1250.00")
    with pytest.raises(ValueError, match="reason for the adjustment"):
        payouts.adjustment_reason("  ")


def _line(adjustments: tuple[Decimal, ...] = (), share: Proration | None = None):
    score = rep_scores.score_rep(
        RepMonth(7, 3, tickets_solved=4, values={"timely_rate": 0.75}),
        PLAN,
        org_csat=None,
    )
    assert score.payout == Decimal("100.00")  # 50 points: 50% of 200
    person = Person(7, "Ann Example", "ann@example.com", 3, "Desk")
    return payouts.payout_line(person, score, share or Proration(15, 21), adjustments)


def test_a_payout_line_prorates_then_adds_adjustments() -> None:
    line = _line((Decimal("25.00"), Decimal("-5.00")))
    assert (line.base, line.prorated, line.adjustments, line.final) == (
        Decimal("100.00"),
        Decimal("71.43"),
        Decimal("20.00"),
        Decimal("91.43"),
    )
    assert line.points == (("timely_rate", "Solved in time", 50.0),)
    assert payouts.line_from_data(payouts.line_to_data(line)) == line
    assert _line((Decimal("-500.00"),)).final == Decimal("0.00")


def test_the_export_has_every_column_payroll_needs() -> None:
    header, rows = payouts.export_table(
        [_line((Decimal("25.00"),))],
        month=MARCH,
        plan_label="Rules plan v1",
        currency="USD",
        metric_keys=[("timely_rate", "Solved in time")],
        closed=True,
        approved=False,
    )
    assert dict(zip(header, rows[0], strict=True)) == {
        "month": MARCH,
        "email": "ann@example.com",
        "name": "Ann Example",
        "team": "Desk",
        "plan_version": "Rules plan v1",
        "closed": "yes",
        "approved": "no",
        "score": 50.0,
        "eligible": "yes",
        "points_timely_rate": "50.00",
        "target_bonus": "200.00",
        "base_payout": "100.00",
        "paid_days": 15,
        "working_days": 21,
        "proration_factor": "0.7143",
        "adjustments": "25.00",
        "final_payout": "96.43",
        "currency": "USD",
    }


def test_dates_in_the_wrong_order_are_refused() -> None:
    assert payouts.check_dates(WorkDates(d(10), d(9))) == {
        "left_on": ["The leaving day comes before the start."]
    }
    assert "last_day" in payouts.check_dates(WorkDates(leaves=((d(9), d(8)),)))
    assert payouts.check_dates(WorkDates(d(9), d(9))) == {}


def test_admins_and_the_reps_own_supervisors_keep_their_pay() -> None:
    def viewer(*roles: Role, teams: frozenset[int] = frozenset()) -> Viewer:
        return Viewer(1, frozenset(roles), teams)

    assert payouts.may_keep_pay(viewer(Role.ADMIN), 7, 3)
    assert payouts.may_keep_pay(viewer(Role.SUPERVISOR, teams=frozenset({3})), 7, 3)
    assert not payouts.may_keep_pay(viewer(Role.SUPERVISOR, teams=frozenset({4})), 7, 3)
    assert not payouts.may_keep_pay(viewer(Role.LEADERSHIP), 7, 3)
    assert not payouts.may_keep_pay(viewer(Role.REP), 7, 3)
    assert not payouts.may_keep_pay(viewer(Role.ADMIN), 1, 3)  # never their own
