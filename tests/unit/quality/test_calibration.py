"""Calibration rules: the blind rule, who rates and closes, random tickets, agreement
against Krippendorff's published example, the grid's spread and a reviewer's drift."""

from __future__ import annotations

import pytest

from quality import calibration as cal
from quality.calibration import SessionState
from quality.rubrics import Category, ChannelGroup, Rubric, Scale

OPEN, CLOSED = SessionState.OPEN, SessionState.CLOSED

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, values 1-5, with missing values. Published: nominal 0.743,
# ordinal 0.815 (and interval 0.849).
_ = None
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815)],
)
def test_alpha_matches_krippendorffs_worked_example(level, published):
    result = cal.alpha(KRIPPENDORFF_EXAMPLE, level=level, domain=[1, 2, 3, 4, 5])
    assert result.alpha == pytest.approx(published, abs=0.0005)
    # Units 12 (one value) does not pair; the other eleven do.
    assert result.units == 11


@pytest.mark.parametrize(
    ("data", "alpha", "reason"),
    [
        # Full agreement with variation between units: alpha is 1.
        ([[1, 2, 3], [1, 2, 3]], 1.0, None),
        # Nobody rated a unit alongside someone else.
        ([[1, _, _], [_, 2, _]], None, "fewer than 2 reviewers rated any ticket"),
        # Only one reviewer.
        ([[1, 2, 3]], None, "fewer than 2 reviewers rated any ticket"),
        # Everyone gave every ticket the same rating: no variation, alpha undefined.
        ([[3, 3], [3, 3]], None, "every reviewer gave the same rating"),
        ([], None, "fewer than 2 reviewers rated any ticket"),
    ],
)
def test_alpha_says_not_enough_ratings(data, alpha, reason):
    result = cal.alpha(data, level="ordinal", domain=[1, 2, 3])
    assert result.alpha == alpha
    assert result.reason == reason
    assert result.text == ("not enough ratings" if alpha is None else "1.000")


@pytest.mark.parametrize(
    ("value", "reading"),
    [
        (0.9, "good agreement"),
        (0.8, "good agreement"),
        (0.7, "tentative agreement"),
        (0.2, "low agreement"),
        (-0.3, "low agreement"),
    ],
)
def test_alpha_reading(value, reading):
    assert cal.Agreement(value, "ordinal", 4).reading == reading


RUBRIC = Rubric(
    name="Live",
    channel_group=ChannelGroup.LIVE,
    categories=(
        Category("greeting", "Greeting", 10, Scale.BINARY),
        Category("empathy", "Empathy", 20, Scale.FIVE, allow_na=True),
        Category("tone", "Tone", 10, Scale.THREE),
    ),
)


def test_agreement_per_category_uses_the_scales_level():
    ratings = {
        1: {
            10: {"greeting": 1, "empathy": 5, "tone": 3},
            11: {"greeting": 0, "empathy": 1, "tone": 1},
        },
        2: {
            10: {"greeting": 1, "empathy": 4, "tone": 3},
            11: {"greeting": 1, "empathy": 2, "tone": 1},
        },
    }
    result = cal.agreement(RUBRIC, ratings, ticket_ids=[10, 11], reviewer_ids=[1, 2])
    assert result.by_category["greeting"].level == "nominal"
    assert result.by_category["empathy"].level == "ordinal"
    assert result.by_category["tone"].alpha == 1.0
    assert result.by_category["empathy"].alpha is not None
    assert result.by_category["empathy"].alpha > 0.5
    # Overall: six ticket-categories, each rated by both reviewers.
    assert result.overall.units == 6
    assert result.overall.level == "ordinal"


def test_not_applicable_and_unrated_are_no_rating():
    ratings = {
        1: {10: {"greeting": 1, "empathy": "na"}},
        2: {10: {"greeting": 1, "empathy": 3}},
    }
    result = cal.agreement(RUBRIC, ratings, ticket_ids=[10], reviewer_ids=[1, 2])
    assert result.by_category["empathy"].alpha is None
    assert result.by_category["empathy"].units == 0
    assert (
        result.by_category["greeting"].reason == "every reviewer gave the same rating"
    )
    assert result.by_category["tone"].text == "not enough ratings"


@pytest.mark.parametrize(
    ("cells", "spread", "wide"),
    [
        ((5, 5, 5), 0.0, False),
        ((5, 4, 5), 0.25, False),
        ((5, 3, None), 0.5, True),
        ((1, 5, 3), 1.0, True),
        ((4, None, "na"), None, False),
    ],
)
def test_grid_spread_is_a_share_of_the_scale(cells, spread, wide):
    category = RUBRIC.categories[1]
    ratings = {
        reviewer: {10: {"empathy": value}}
        for reviewer, value in zip((1, 2, 3), cells, strict=True)
        if value is not None
    }
    (row,) = cal.grid(category, ratings, ticket_ids=[10], reviewer_ids=[1, 2, 3])
    assert row.cells == cells
    assert row.spread == spread
    assert row.wide is wide


@pytest.mark.parametrize(
    ("mine", "others", "expected"),
    [
        # Same as everyone: no drift.
        ([3, 3], [[3, 3], [3, 3]], 0.0),
        # 1-3 scale: rating 3 where the others gave 1 and 1; group mean (3+1+1)/3 of
        # the scale's shares (1, 0, 0) is 1/3; mine is 1: +2/3.
        ([3], [[1], [1]], 0.6667),
        # Stricter than the group.
        ([1, 1], [[2, 2], [2, 2]], -0.3333),
        # Nobody else rated those tickets: no drift to speak of.
        ([2], [[None], [None]], None),
    ],
)
def test_drift_is_own_mean_minus_group_mean_as_share(mine, others, expected):
    ratings: dict = {1: {}}
    for ticket, value in enumerate(mine):
        ratings[1][ticket] = {"tone": value}
    for reviewer, values in enumerate(others, start=2):
        ratings[reviewer] = {
            t: {"tone": v} for t, v in enumerate(values) if v is not None
        }
    result = cal.drift(RUBRIC, ratings, 1)
    assert result.by_category["tone"] == (
        None if expected is None else pytest.approx(expected, abs=0.0001)
    )
    assert result.by_category["greeting"] is None
    assert result.overall == (
        None if expected is None else pytest.approx(expected, abs=0.0001)
    )


def test_drift_overall_is_the_mean_of_categories():
    assert cal.Drift({"a": 0.2, "b": -0.1, "c": None}).overall == pytest.approx(0.05)
    assert cal.Drift({"a": None}).overall is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0.0, "0%"), (0.004, "0%"), (0.12, "+12%"), (-0.055, "-6%")],
)
def test_drift_text(value, text):
    assert cal.drift_text(value) == text


@pytest.mark.parametrize(
    ("state", "viewer", "reviewer", "sees"),
    [
        (OPEN, 1, 1, True),  # one's own, always
        (OPEN, 1, 2, False),  # another's, never while open
        (OPEN, 9, 2, False),  # not even the creator or an admin
        (CLOSED, 1, 2, True),
        (CLOSED, 9, 2, True),
    ],
)
def test_the_blind_rule(state, viewer, reviewer, sees):
    assert cal.may_see_rating(state, viewer, reviewer) is sees


@pytest.mark.parametrize(
    ("state", "user", "submitted", "problem"),
    [
        (OPEN, 1, False, None),
        (OPEN, 9, False, "Only the session's reviewers score its tickets."),
        (OPEN, 1, True, "You have submitted this ticket's ratings; they are final."),
        (CLOSED, 1, False, "This calibration session is closed."),
    ],
)
def test_rate_problem(state, user, submitted, problem):
    assert (
        cal.rate_problem(state, reviewer_ids=[1, 2], user_id=user, submitted=submitted)
        == problem
    )


@pytest.mark.parametrize(
    ("state", "user", "is_admin", "problem"),
    [
        (OPEN, 5, False, None),  # the creator
        (OPEN, 7, True, None),  # an admin
        (OPEN, 7, False, "Only the session's creator or an admin closes it."),
        (CLOSED, 5, False, "This calibration session is closed already."),
    ],
)
def test_close_problem(state, user, is_admin, problem):
    assert (
        cal.close_problem(state, user_id=user, creator_id=5, is_admin=is_admin)
        == problem
    )


@pytest.mark.parametrize(
    ("reviewers", "tickets", "problems"),
    [
        ([1, 2], [10], {}),
        ([1, 1], [10], {"reviewers": "Choose at least 2 reviewers."}),
        ([1, 2], [], {"tickets": "Choose at least one ticket."}),
        (list(range(13)), [10], {"reviewers": "Choose at most 12 reviewers."}),
        ([1, 2], list(range(31)), {"tickets": "At most 30 tickets in a session."}),
    ],
)
def test_setup_problems(reviewers, tickets, problems):
    assert cal.setup_problems(reviewer_ids=reviewers, ticket_ids=tickets) == problems


def test_pick_random_is_seeded_and_bounded():
    pool = list(range(100, 140))
    first = cal.pick_random(pool, 6, seed="2024-03:round 1")
    assert first == cal.pick_random(pool, 6, seed="2024-03:round 1")
    assert first == sorted(first)
    assert len(set(first)) == 6
    assert set(first) <= set(pool)
    assert first != cal.pick_random(pool, 6, seed="2024-03:round 2")
    assert cal.pick_random([3, 1, 3], 10, seed="x") == [1, 3]
