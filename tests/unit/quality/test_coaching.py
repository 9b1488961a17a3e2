"""What a month of reviews says to coach: fails below half the scale, a category failed
twice, and a critical fail about authority, as tables."""

from __future__ import annotations

import pytest

from quality.coaching import (
    CategoryNeed,
    GrantFlag,
    RatedReview,
    category_needs,
    coaching_tag,
    grant_flags,
    is_failed,
    rep_coaching,
)
from quality.rubrics import NOT_APPLICABLE, Category, ChannelGroup, Rubric, Scale

NA = NOT_APPLICABLE
EMPATHY = Category("empathy", "Empathy", 20, Scale.FIVE)
OWNERSHIP = Category("ownership", "Ownership", 30, Scale.THREE, allow_na=True)
GREETING = Category("greeting", "Greeting", 10, Scale.BINARY)
POLICY = Category(
    "policy", "Policy", 0, Scale.BINARY, critical=True, concerns_authority=True
)
PRIVACY = Category("privacy", "Privacy", 0, Scale.BINARY, critical=True)
LIVE = Rubric(
    "Live", ChannelGroup.LIVE, (EMPATHY, OWNERSHIP, GREETING, POLICY, PRIVACY)
)
WRITTEN = Rubric("Written", ChannelGroup.WRITTEN, (EMPATHY, OWNERSHIP))


@pytest.mark.parametrize(
    ("category", "rating", "failed"),
    [
        (EMPATHY, 1, True),
        (EMPATHY, 2, True),  # a quarter of the scale
        (EMPATHY, 3, False),  # the middle is not a fail
        (EMPATHY, 5, False),
        (OWNERSHIP, 1, True),
        (OWNERSHIP, 2, False),
        (GREETING, 0, True),
        (GREETING, 1, False),
        (OWNERSHIP, NA, False),
        (EMPATHY, None, False),
        (EMPATHY, 0, False),  # off the scale: not a rating at all
        (GREETING, False, False),
    ],
)
def test_a_fail_is_below_half_the_scale(category, rating, failed) -> None:
    assert is_failed(category, rating) is failed


def review(n: int, rubric: Rubric = LIVE, **ratings) -> RatedReview:
    return RatedReview(n, f"T-{n}", rubric, ratings)


@pytest.mark.parametrize(
    ("reviews", "needs"),
    [
        # once is not enough
        ([review(1, empathy=1), review(2, empathy=4)], []),
        # twice is, across rubrics (empathy on a call and in an e-mail is one skill)
        (
            [review(1, empathy=2), review(2, WRITTEN, empathy=1), review(3, empathy=5)],
            [CategoryNeed("empathy", "Empathy", 2, 3)],
        ),
        # not applicable is neither a fail nor rated
        (
            [review(1, ownership=1), review(2, ownership=NA), review(3, ownership=1)],
            [CategoryNeed("ownership", "Ownership", 2, 2)],
        ),
        # the most failed first
        (
            [
                review(1, empathy=1, greeting=0),
                review(2, empathy=1, greeting=0),
                review(3, empathy=1),
            ],
            [
                CategoryNeed("empathy", "Empathy", 3, 3),
                CategoryNeed("greeting", "Greeting", 2, 2),
            ],
        ),
        ([], []),
    ],
)
def test_a_category_failed_twice_is_a_need(reviews, needs) -> None:
    assert category_needs(reviews) == needs


def test_a_need_names_its_scenario_tag_and_why() -> None:
    need = CategoryNeed("empathy", "Empathy", 2, 5)
    assert need.tag == coaching_tag("empathy") == "qa:empathy"
    assert need.why == "failed in 2 of 5 reviews"


@pytest.mark.parametrize(
    ("reviews", "flags"),
    [
        # one critical fail about authority is enough
        ([review(1, policy=0)], [GrantFlag(1, "T-1", "policy", "Policy")]),
        # passed: nothing
        ([review(1, policy=1)], []),
        # a critical fail that is not about authority zeroes the review, no grant review
        ([review(1, privacy=0)], []),
        # each failing review is named
        (
            [review(1, policy=0), review(2, policy=1), review(3, policy=0)],
            [
                GrantFlag(1, "T-1", "policy", "Policy"),
                GrantFlag(3, "T-3", "policy", "Policy"),
            ],
        ),
    ],
)
def test_a_failed_critical_category_about_authority_flags_the_grant(
    reviews, flags
) -> None:
    assert grant_flags(reviews) == flags


def test_a_rep_with_nothing_to_coach_is_falsy() -> None:
    assert not rep_coaching(7, [review(1, empathy=5, policy=1)])
    both = rep_coaching(7, [review(1, empathy=1, policy=0), review(2, empathy=2)])
    assert both
    assert both.needs[0].key == "empathy"
    assert both.flags[0].review_id == 1
