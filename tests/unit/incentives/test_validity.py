"""Hiring-test validity: ranks, Spearman's rho against hand-worked cases, and the caution."""

from __future__ import annotations

import pytest

from incentives.scorecards import validity
from incentives.scorecards.validity import HiredRep


@pytest.mark.parametrize(
    ("values", "ranks"),
    [
        ([10, 30, 20], [1, 3, 2]),
        ([5, 5, 1], [2.5, 2.5, 1]),  # ties share the mean of their ranks
        ([7, 7, 7], [2, 2, 2]),
        ([], []),
    ],
)
def test_ranks_share_ties(values: list[float], ranks: list[float]) -> None:
    assert validity.ranks(values) == ranks


@pytest.mark.parametrize(
    ("x", "y", "rho"),
    [
        ([1, 2, 3, 4, 5], [2, 4, 6, 8, 10], 1.0),  # same order
        ([1, 2, 3, 4, 5], [50, 40, 30, 20, 10], -1.0),  # reversed
        ([1, 2, 3, 4, 5], [1, 10, 100, 1000, 10000], 1.0),  # any rising curve
        # d = rank differences 0, 0, -1, 1, 0: rho = 1 - 6 x 2 / (5 x 24) = 0.9
        ([1, 2, 3, 4, 5], [10, 20, 40, 30, 50], 0.9),
        # ties: x ranks 1.5, 1.5, 3, 4; y ranks 1, 2, 3, 4 -> Pearson of ranks
        ([1, 1, 2, 3], [1, 2, 3, 4], 0.9486832980505138),
    ],
)
def test_spearman_against_hand_worked_cases(
    x: list[float], y: list[float], rho: float
) -> None:
    assert validity.spearman(x, y) == pytest.approx(rho)


@pytest.mark.parametrize(
    ("x", "y"),
    [([1, 2], [1, 2]), ([1, 1, 1], [1, 2, 3]), ([1, 2, 3], [1, 2])],
)
def test_spearman_says_nothing_when_it_cannot(x: list[float], y: list[float]) -> None:
    assert validity.spearman(x, y) is None


def test_the_likely_range_narrows_with_more_reps() -> None:
    low_small, high_small = validity.likely_range(0.5, 8)
    low_big, high_big = validity.likely_range(0.5, 200)
    assert low_small < low_big < 0.5 < high_big < high_small
    assert validity.likely_range(0.5, 3) is None
    assert validity.likely_range(1.0, 10)[1] == pytest.approx(1.0)


def test_validity_uses_only_reps_with_enough_scored_months() -> None:
    reps = [
        HiredRep(1, {"empathy": 90, "judgement": 40}, 70, [80, 82, 78]),
        HiredRep(2, {"empathy": 60, "judgement": 50}, 60, [60, 58, 62, 60]),
        HiredRep(3, {"empathy": 40, "judgement": 60}, 50, [40, 45, 50]),
        HiredRep(4, {"empathy": 10, "judgement": 99}, 99, [100, 100]),  # too new
    ]
    result = validity.hiring_test_validity(
        reps, [("empathy", "Empathy"), ("judgement", "Judgement")]
    )
    assert result.n == 3
    assert result.too_new == 1
    by_key = {p.key: p for p in result.predictors}
    assert list(by_key) == ["empathy", "judgement", "total"]
    assert by_key["empathy"].rho == pytest.approx(1.0)
    assert by_key["judgement"].rho == pytest.approx(-1.0)
    assert by_key["total"].rho == pytest.approx(1.0)
    assert by_key["empathy"].low is None  # three reps: no range
    assert "too few" not in result.caution
    assert "Based on only 3 reps" in result.caution


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "Only 0 reps hired through Frontline have 3 or more scored months"),
        (1, "Only 1 rep hired through Frontline has 3"),
        (8, "not as evidence"),
        (12, "enough to see a direction, not to be sure"),
        (40, "Based on 40 reps."),
    ],
)
def test_the_caution_says_plainly_what_n_allows(n: int, words: str) -> None:
    assert words in validity.caution(n)


@pytest.mark.parametrize(
    ("rho", "words"),
    [
        (None, "cannot say"),
        (0.05, "no real link"),
        (0.2, "weak, higher test, higher score"),
        (-0.4, "moderate, higher test, lower score"),
        (0.7, "strong"),
    ],
)
def test_strength_in_words(rho: float | None, words: str) -> None:
    assert validity.strength(rho).startswith(words)


def test_no_hires_gives_no_figures_and_says_so() -> None:
    result = validity.hiring_test_validity([], [("empathy", "Empathy")])
    assert not result.has_figures
    assert result.n == 0
    assert all(p.rho is None for p in result.predictors)
    assert "too few to say anything yet" in result.caution
