"""The rubric rules: reading YAML with line-numbered errors, and the review maths (weights,
not applicable, critical fails) and a rep's month, as tables."""

from __future__ import annotations

import pytest

from quality.rubrics import (
    NOT_APPLICABLE,
    Category,
    ChannelGroup,
    Rubric,
    RubricInvalid,
    Scale,
    content_hash,
    month_score,
    month_score_of,
    parse_rubric_yaml,
    rubric_from_data,
    rubric_to_data,
    rubric_to_yaml,
    score_review,
)

NA = NOT_APPLICABLE

RUBRIC = Rubric(
    name="Live",
    channel_group=ChannelGroup.LIVE,
    categories=(
        Category("empathy", "Empathy", 20, Scale.FIVE, allow_na=False),
        Category("ownership", "Ownership", 30, Scale.THREE, allow_na=True),
        Category("resolution", "Resolution", 50, Scale.BINARY, allow_na=True),
        Category("policy", "Policy and authority", 0, Scale.BINARY, critical=True),
    ),
)


@pytest.mark.parametrize(
    ("ratings", "score", "failed"),
    [
        # every category at its best: 100
        ({"empathy": 5, "ownership": 3, "resolution": 1, "policy": 1}, 100.0, ()),
        # every category at its lowest bar the critical one: 0
        ({"empathy": 1, "ownership": 1, "resolution": 0, "policy": 1}, 0.0, ()),
        # empathy 3 of 5 is half: 20*0.5 + 30 + 50 = 90
        ({"empathy": 3, "ownership": 3, "resolution": 1, "policy": 1}, 90.0, ()),
        # ownership 2 of 3 is half: 20 + 15 + 0 = 35
        ({"empathy": 5, "ownership": 2, "resolution": 0, "policy": 1}, 35.0, ()),
        # not applicable drops resolution's 50: (20*0.5 + 30) / 50 = 80
        ({"empathy": 3, "ownership": 3, "resolution": NA, "policy": 1}, 80.0, ()),
        # two categories not applicable: only empathy's weight is left: 3 of 5 = 50
        ({"empathy": 3, "ownership": NA, "resolution": NA, "policy": 1}, 50.0, ()),
        # a critical category failed zeroes the review, whatever the rest
        (
            {"empathy": 5, "ownership": 3, "resolution": 1, "policy": 0},
            0.0,
            ("policy",),
        ),
        # a critical category with weight 0 passed changes nothing
        ({"empathy": 4, "ownership": 3, "resolution": 1, "policy": 1}, 95.0, ()),
    ],
)
def test_review_score_weighs_the_categories_that_apply(ratings, score, failed) -> None:
    result = score_review(RUBRIC, ratings)
    assert result.score == score
    assert result.critical_failed == failed
    assert result.missing == ()
    assert result.invalid == ()


def test_a_review_with_unrated_categories_names_them() -> None:
    result = score_review(RUBRIC, {"empathy": 5, "ownership": None})
    assert result.missing == ("ownership", "resolution", "policy")
    assert result.score == 100.0  # the score so far, shown on a draft


@pytest.mark.parametrize(
    ("ratings", "invalid"),
    [
        ({"empathy": NA}, ("empathy",)),  # N/A not allowed there
        ({"empathy": 6}, ("empathy",)),  # off the 1-5 scale
        ({"ownership": 0}, ("ownership",)),  # 1-3 starts at 1
        ({"resolution": 2}, ("resolution",)),  # binary is 0 or 1
        ({"resolution": True}, ("resolution",)),  # a yes is not a rating
        ({"tone": 3}, ("tone",)),  # no such category
    ],
)
def test_ratings_off_the_scale_are_invalid(ratings, invalid) -> None:
    assert score_review(RUBRIC, ratings).invalid == invalid


def test_nothing_applicable_has_no_score() -> None:
    rubric = Rubric(
        "Only optional",
        ChannelGroup.PUBLIC,
        (Category("tone", "Tone", 10, Scale.FIVE, allow_na=True),),
    )
    assert score_review(rubric, {"tone": NA}).score is None


@pytest.mark.parametrize(
    ("scores", "score", "reviews", "small"),
    [
        ([], None, 0, True),
        ([None], None, 0, True),
        ([80.0], 80.0, 1, True),
        ([80.0, 90.0], 85.0, 2, True),
        ([80.0, 90.0, 100.0], 90.0, 3, False),
        ([0.0, 100.0, 50.0, None], 50.0, 3, False),
        ([70.0, 75.0, 77.5, 80.0], 75.6, 4, False),
    ],
)
def test_month_score_is_the_mean_with_a_small_sample_warning(
    scores, score, reviews, small
) -> None:
    result = month_score(scores)
    assert (result.score, result.reviews, result.small_sample) == (
        score,
        reviews,
        small,
    )


def test_month_score_counts_reviews_in_words() -> None:
    assert month_score([90.0]).reviews_text == "1 review"
    assert month_score([90.0, 80.0]).reviews_text == "2 reviews"


GOOD = """\
name: Written conversations
channel_group: written
description: E-mail and web form replies.
categories:
  - key: empathy
    label: Empathy
    weight: 30
    scale: 1-5
  - key: resolution
    label: Resolution
    weight: 70
    scale: binary
    allow_na: true
  - key: policy
    label: Policy and authority use
    weight: 0
    scale: binary
    critical: true
"""


def test_a_rubric_reads_from_yaml_and_back() -> None:
    rubric = parse_rubric_yaml(GOOD)
    assert rubric.channel_group is ChannelGroup.WRITTEN
    assert [c.key for c in rubric.categories] == ["empathy", "resolution", "policy"]
    assert rubric.category("policy").critical
    assert rubric.category("resolution").allow_na
    assert parse_rubric_yaml(rubric_to_yaml(rubric)) == rubric
    assert rubric_from_data(rubric_to_data(rubric)) == rubric
    assert content_hash(parse_rubric_yaml(rubric_to_yaml(rubric))) == content_hash(
        rubric
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    weight: 70", "    weight: 170"), "line 11: categories[2].weight:"),
        (("    scale: 1-5", "    scale: 1-10"), "line 8: categories[1].scale: one of"),
        (
            ("  - key: policy", "  - key: empathy"),
            "line 14: categories[3].key: 'empathy'",
        ),
        (
            ("    critical: true", "    critical: maybe"),
            "line 18: categories[3].critical",
        ),
        (
            ("channel_group: written", "channel_group: fax"),
            "line 2: channel_group: one of",
        ),
        (
            ("    label: Empathy", "    colour: red"),
            "line 6: categories[1].colour: unknown",
        ),
        (("name: Written conversations", "name: ''"), "line 1: name: required"),
        (("channel_group: written", "channel_group: [written]"), "line 2: channel_gr"),
        (("    scale: 1-5", "    scale: [1, 5]"), "line 8: categories[1].scale: one"),
    ],
)
def test_problems_name_their_line(change, message) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(RubricInvalid) as caught:
        parse_rubric_yaml(text)
    assert any(e.startswith(message) for e in caught.value.errors), caught.value.errors


def test_every_problem_is_listed_at_once() -> None:
    text = GOOD.replace("weight: 30", "weight: -1").replace("scale: binary", "scale: x")
    with pytest.raises(RubricInvalid) as caught:
        parse_rubric_yaml(text)
    assert len(caught.value.errors) == 3  # one weight and two scales


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "line 2: this is not valid YAML"),
        ("- a list\n", "a rubric is a set of fields"),
        ("name: X\nchannel_group: live\ncategories: []\n", "line 3: categories: list"),
        ("a: &a [*a]\n", "this is not valid YAML"),
    ],
)
def test_files_that_are_not_rubrics_are_refused(text, message) -> None:
    with pytest.raises(RubricInvalid) as caught:
        parse_rubric_yaml(text)
    assert any(message in e for e in caught.value.errors), caught.value.errors


def test_a_rubric_needs_some_weight() -> None:
    with pytest.raises(RubricInvalid, match="at least one category a weight"):
        parse_rubric_yaml(
            GOOD.replace("weight: 30", "weight: 0").replace("weight: 70", "weight: 0")
        )


def test_a_category_about_authority_is_said_so_and_kept() -> None:
    text = GOOD.replace(
        "    critical: true", "    critical: true\n    concerns_authority: true"
    )
    rubric = parse_rubric_yaml(text)
    assert rubric.category("policy").concerns_authority
    assert not rubric.category("empathy").concerns_authority
    assert parse_rubric_yaml(rubric_to_yaml(rubric)) == rubric
    # Left unset, it is not written out: older rubrics keep their content hash.
    plain = parse_rubric_yaml(GOOD)
    assert "concerns_authority" not in rubric_to_yaml(plain)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                "    critical: true",
                "    critical: true\n    concerns_authority: yes please",
            ),
            "line 19: categories[3].concerns_authority: true or false",
        ),
        (
            ("    allow_na: true", "    allow_na: true\n    concerns_authority: true"),
            "line 14: categories[2].concerns_authority: only on a critical category",
        ),
    ],
)
def test_concerns_authority_is_checked_with_its_line(change, message) -> None:
    with pytest.raises(RubricInvalid) as caught:
        parse_rubric_yaml(GOOD.replace(*change))
    assert any(e.startswith(message) for e in caught.value.errors), caught.value.errors


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], (None, 0, True)),
        ([None, None], (None, 0, True)),
        ([80.0], (80.0, 1, True)),
        ([100.0, 100.0, 0.0], (66.7, 3, False)),
        ([82.5, None, 70.0, 91.1], (81.2, 3, False)),
    ],
)
def test_a_month_s_score_from_a_sum_is_the_score_from_its_reviews(
    scores: list[float | None], expected: tuple
) -> None:
    """The database sums a month's reviews; the mean is the same either way."""
    counted = [s for s in scores if s is not None]
    from_list = month_score(scores)
    from_sum = month_score_of(sum(counted), len(counted))
    assert from_list == from_sum
    assert (from_sum.score, from_sum.reviews, from_sum.small_sample) == expected
