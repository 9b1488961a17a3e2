"""Assessment rules: the YAML format, scoring against hand-computed cases, percentiles and
item statistics. No app, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from recruiting import assessment as a
from recruiting import item_statistics
from recruiting.assessment import Answer, Competency

E, OWN, C, P, J = (
    Competency.EMPATHY,
    Competency.OWNERSHIP,
    Competency.COMMUNICATION,
    Competency.COMPOSURE,
    Competency.JUDGEMENT,
)

DEFAULT_FILE = (
    Path(__file__).resolve().parents[3] / "recruiting/assessments/default.yaml"
)

# A small test whose bounds are easy to work out by hand.
#   single "s1": a = E+2 O+1, b = E-1, c = J+1
#   most_least "m1": w = C+2 P+1, x = C-1, y = P+2 J+2, z = 0 (O 0)
# Per competency, single bounds are [min, max] of the options; most/least bounds are
# [min - max, max - min]:
#   E: s1 [-1, 2]            m1 [0, 0]          -> test [-1, 2]
#   OWN: s1 [0, 1]             m1 [0, 0]          -> [0, 1]
#   C: s1 [0, 0]             m1 [-1-2, 2+1]     -> [-3, 3]
#   P: s1 [0, 0]             m1 [0-2, 2-0]      -> [-2, 2]
#   J: s1 [0, 1]             m1 [0-2, 2-0]      -> [-2, 3]
SMALL = """
key: small
title: Small test
time_limit_minutes: 10
items:
  - key: s1
    type: single
    situation: A situation.
    question: What do you do?
    options:
      - {key: a, text: First, points: {empathy: 2, ownership: 1}}
      - {key: b, text: Second, points: {empathy: -1}}
      - {key: c, text: Third, points: {judgement: 1}}
  - key: m1
    type: most_least
    situation: Another situation.
    question: Most and least effective?
    options:
      - {key: w, text: W, points: {communication: 2, composure: 1}}
      - {key: x, text: X, points: {communication: -1}}
      - {key: y, text: Y, points: {composure: 2, judgement: 2}}
      - {key: z, text: Z, points: {}}
"""


@pytest.fixture(scope="module")
def small() -> a.AssessmentSpec:
    return a.parse_assessment(SMALL)


def test_the_shipped_default_assessment_loads_with_at_least_twelve_items() -> None:
    spec = a.parse_assessment(DEFAULT_FILE.read_text())
    assert len(spec.items) >= 12
    assert {i.type for i in spec.items} == set(a.ItemType)
    themes = {i.theme for i in spec.items}
    for theme in (
        "refund without approval",
        "negative public review",
        "lost order",
        "angry caller",
        "engineering escalation",
        "social-media complaint",
        "first contact with a new customer",
        "a mistake as an opportunity",
        "knowing the brand",
        "going off-script well",
    ):
        assert theme in themes


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # Nothing answered: every competency at its lowest.
        ({}, {E: 0.0, OWN: 0.0, C: 0.0, P: 0.0, J: 0.0}),
        # s1=a, m1 most=y least=x: E 2 | O 1 | C 0-(-1)=1 | P 2-0=2 | J 2-0=2
        #   E (2+1)/3=100, O 100, C (1+3)/6=66.7, P (2+2)/4=100, J (2+2)/5=80
        (
            {"s1": Answer("a"), "m1": Answer("y", "x")},
            {E: 100.0, OWN: 100.0, C: 66.7, P: 100.0, J: 80.0},
        ),
        # s1=b, m1 most=x least=w: E -1 | O 0 | C -1-2=-3 | P 0-1=-1 | J 0
        #   E 0, O 0, C 0, P (-1+2)/4=25, J (0+2)/5=40
        (
            {"s1": Answer("b"), "m1": Answer("x", "w")},
            {E: 0.0, OWN: 0.0, C: 0.0, P: 25.0, J: 40.0},
        ),
        # Half a most/least answer: the missing "least" counts at its lowest (-max).
        # s1=c (J 1), m1 most=w: C 2-2=0, P 1-2=-1, J 0-2=-2 -> J -1
        #   E (0+1)/3=33.3, O 0/1=0, C (0+3)/6=50, P (-1+2)/4=25, J (-1+2)/5=20
        (
            {"s1": Answer("c"), "m1": Answer("w", None)},
            {E: 33.3, OWN: 0.0, C: 50.0, P: 25.0, J: 20.0},
        ),
    ],
)
def test_scores_match_hand_computed_cases(small, answers, expected) -> None:
    scores = a.score_answers(small, answers)
    assert dict(scores.by_competency) == expected


def test_overall_is_the_plain_mean_of_the_five_scores(small) -> None:
    scores = a.score_answers(small, {"s1": Answer("a"), "m1": Answer("y", "x")})
    assert scores.overall == round((100 + 100 + 66.7 + 100 + 80) / 5, 1)


def test_skipping_never_beats_answering(small) -> None:
    skipped = a.score_answers(small, {})
    for option in ("a", "b", "c"):
        answered = a.score_answers(small, {"s1": Answer(option)})
        for competency in a.COMPETENCIES:
            assert (
                answered.by_competency[competency] >= skipped.by_competency[competency]
            )


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({E: 1, OWN: 1, C: 1, P: 1, J: 1}, 60.0),
        ({E: 2, OWN: 0, C: 0, P: 0, J: 1}, round((2 * 80 + 50) / 3, 1)),
        ({E: 0, OWN: 0, C: 0, P: 0, J: 3}, 50.0),
        ({E: 5, OWN: 0, C: 0, P: 1, J: 0}, round((5 * 80 + 20) / 6, 1)),
    ],
)
def test_weighted_total(weights, expected) -> None:
    scores = {E: 80.0, OWN: 70.0, C: 80.0, P: 20.0, J: 50.0}
    assert a.weighted_total(scores, weights) == expected


def test_weighted_total_needs_a_weight() -> None:
    with pytest.raises(ValueError, match="weight"):
        a.weighted_total(dict.fromkeys(a.COMPETENCIES, 50.0), {})


@pytest.mark.parametrize(
    ("weights", "problems"),
    [
        ({E: 1, OWN: 1, C: 1, P: 1, J: 1}, {}),
        (
            {E: 0, OWN: 0, C: 0, P: 0, J: 0},
            {"": "Give at least one competency a weight above 0."},
        ),
        ({E: 11, OWN: 1}, {"empathy": "Use a whole number from 0 to 10."}),
        ({E: -1, OWN: 1}, {"empathy": "Use a whole number from 0 to 10."}),
        ({E: 2, OWN: "3"}, {"ownership": "Use a whole number from 0 to 10."}),
    ],
)
def test_check_weights(weights, problems) -> None:
    assert a.check_weights(weights) == problems


@pytest.mark.parametrize(
    ("value", "population", "expected"),
    [
        (50.0, [50.0], 50.0),  # alone: in the middle
        (90.0, [10.0, 20.0, 30.0, 90.0], 87.5),  # best of four: (3 + 0.5) / 4
        (10.0, [10.0, 20.0, 30.0, 90.0], 12.5),  # worst of four
        (20.0, [10.0, 20.0, 20.0, 30.0], 50.0),  # a tie: (1 + 2/2) / 4
        (25.0, [10.0, 20.0, 30.0, 40.0], 50.0),  # not itself in the population
        (99.0, [10.0, 20.0], 100.0),
    ],
)
def test_percentile_is_the_mid_rank(value, population, expected) -> None:
    assert a.percentile(value, population) == expected


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no results"):
        a.percentile(50.0, [])


@pytest.mark.parametrize(
    ("item_key", "best", "worst", "problem"),
    [
        ("s1", "a", None, None),
        ("s1", None, None, "Choose a response."),
        ("s1", "q", None, "That choice is not one of this question's options."),
        ("s1", "a", "b", "This question takes one choice."),
        ("m1", "w", "x", None),
        ("m1", "w", None, None),  # half given: saved as the candidate clicks
        ("m1", None, "x", None),
        (
            "m1",
            "w",
            "w",
            "The most and the least effective responses must be different.",
        ),
        ("m1", None, None, "Choose the most and the least effective responses."),
        ("m1", "w", "q", "That choice is not one of this question's options."),
    ],
)
def test_check_answer(small, item_key, best, worst, problem) -> None:
    assert a.check_answer(small.item(item_key), best, worst) == problem


def test_is_complete(small) -> None:
    s1, m1 = small.item("s1"), small.item("m1")
    assert a.is_complete(s1, Answer("a"))
    assert not a.is_complete(s1, None)
    assert not a.is_complete(m1, Answer("w"))
    assert a.is_complete(m1, Answer("w", "x"))


# --- the format's validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key: [unclosed", "not valid YAML (line 1"),
        ("- just a list", "must be a mapping"),
        (SMALL.replace("key: small", "key: Small Test"), "may use only a-z"),
        (SMALL.replace("time_limit_minutes: 10", "time_limit_minutes: 0"), "1 to 240"),
        (
            SMALL.replace("{empathy: 2, ownership: 1}", "{empathyy: 2}"),
            "Item 1 (s1), option 1: unknown competency 'empathyy'",
        ),
        (
            SMALL.replace("{empathy: -1}", "{empathy: -9}"),
            "Item 1 (s1), option 2: points for 'empathy' must be a whole number from -5 to 5",
        ),
        (
            SMALL.replace("      - {key: z, text: Z, points: {}}\n", ""),
            "Item 2 (m1): a 'most_least' item needs exactly 4 options (it has 3)",
        ),
        (
            SMALL.replace("type: single", "type: multiple"),
            "Item 1 (s1): 'type' must be",
        ),
        (
            SMALL.replace("key: m1", "key: s1"),
            "Item 2 (s1): the key is used by another item",
        ),
        (
            SMALL.replace("    situation: A situation.\n", ""),
            "Item 1 (s1): 'situation' is missing or empty",
        ),
        (
            SMALL.replace("{key: b, text: Second", "{key: a, text: Second"),
            "two options share",
        ),
        (
            SMALL.replace("question: What do you do?", "questoin: x"),
            "unknown field questoin",
        ),
        (
            SMALL.replace(
                "{communication: 2, composure: 1}", "{communication: 2}"
            ).replace("{composure: 2, judgement: 2}", "{judgement: 2}"),
            "No item measures 'composure'",
        ),
    ],
)
def test_bad_files_name_the_item_and_the_problem(text, message) -> None:
    with pytest.raises(a.AssessmentInvalid) as caught:
        a.parse_assessment(text)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    text = SMALL.replace("{empathy: -1}", "{empathy: 9}").replace(
        "type: most_least", "type: nope"
    )
    with pytest.raises(a.AssessmentInvalid) as caught:
        a.parse_assessment(text)
    assert len(caught.value.problems) == 2


def test_the_hash_ignores_comments_layout_and_key_order(small) -> None:
    reordered = "# a comment\n" + SMALL.replace(
        "{key: a, text: First, points: {empathy: 2, ownership: 1}}",
        "{text: First, key: a, points: {ownership: 1, empathy: 2}}",
    )
    assert a.content_hash(a.parse_assessment(reordered)) == a.content_hash(small)
    changed = SMALL.replace("text: First", "text: First and reworded")
    assert a.content_hash(a.parse_assessment(changed)) != a.content_hash(small)


def test_stored_form_reads_back_to_the_same_assessment(small) -> None:
    assert a.spec_from_data(a.spec_to_data(small)) == small


def test_option_order_is_fixed_per_seed_and_keeps_every_option(small) -> None:
    item = small.item("m1")
    first = [o.key for o in a.option_order(item, "invitation-1")]
    assert first == [o.key for o in a.option_order(item, "invitation-1")]
    assert sorted(first) == ["w", "x", "y", "z"]
    orders = {tuple(o.key for o in a.option_order(item, f"inv-{n}")) for n in range(20)}
    assert len(orders) > 1


# --- item statistics --------------------------------------------------------------------


def test_option_frequencies(small) -> None:
    results = [
        {"s1": Answer("a"), "m1": Answer("y", "x")},
        {"s1": Answer("a"), "m1": Answer("w", "x")},
        {"s1": Answer("b")},
    ]
    stats = {s.item_key: s for s in item_statistics.item_statistics(small, results)}
    assert [(o.key, o.chosen) for o in stats["s1"].options] == [
        ("a", 2),
        ("b", 1),
        ("c", 0),
    ]
    assert [(o.key, o.chosen, o.chosen_least) for o in stats["m1"].options] == [
        ("w", 1, 0),
        ("x", 0, 2),
        ("y", 1, 0),
        ("z", 0, 0),
    ]
    assert stats["s1"].results == 3
    assert stats["s1"].discrimination is None  # too few results to say


def test_discrimination_upper_lower(small) -> None:
    # s1's item total (points summed over competencies): a=3, b=-1, c=1. Its range is the
    # sum of the per-competency bounds: low -1 (E) and high 2 (E) + 1 (O) + 1 (J) = 4, so
    # the span is 5. Candidates are ranked on the rest of the test, m1:
    # most=y least=x gives 1 + 2 + 2 = 5 (strong); most=x least=y gives -1 - 2 - 2 = -5.
    strong = {"s1": Answer("a"), "m1": Answer("y", "x")}
    weak = {"s1": Answer("b"), "m1": Answer("x", "y")}
    results = [strong] * 10 + [weak] * 10
    stats = {s.item_key: s for s in item_statistics.item_statistics(small, results)}
    # Groups of round(20 * 0.27) = 5: upper all "a" (3), lower all "b" (-1): (3 - -1) / 5
    assert stats["s1"].discrimination == 0.8
    assert not stats["s1"].is_weak
    # Reversed: strong candidates pick the worse option on s1.
    flipped = [{**strong, "s1": Answer("b")}] * 10 + [{**weak, "s1": Answer("a")}] * 10
    stats = {s.item_key: s for s in item_statistics.item_statistics(small, flipped)}
    assert stats["s1"].discrimination == -0.8
    assert stats["s1"].is_weak


def test_mean_percent_of_an_item(small) -> None:
    # s1: low -1, span 5; answers a (3) and b (-1): mean 1 -> (1 - -1) / 5 = 40%
    stats = item_statistics.item_statistics(
        small, [{"s1": Answer("a")}, {"s1": Answer("b")}]
    )
    assert stats[0].mean_percent == 40.0
    assert item_statistics.item_statistics(small, [])[0].mean_percent is None
