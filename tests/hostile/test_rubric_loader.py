"""The rubric loader: any text or damaged rubric gives a rubric or its own clear error.

Properties: ``parse_rubric_yaml`` returns a valid rubric or raises :class:`RubricInvalid`
naming at least one readable problem, never another exception; what loads scores any
ratings on its scales without failing, and reads back from its data to the same rubric.
No app, no database.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from quality.rubrics import (
    NOT_APPLICABLE,
    Rubric,
    RubricInvalid,
    parse_rubric_yaml,
    rubric_from_data,
    rubric_to_data,
    score_review,
)
from tests.hostile.strategies import mutated, yaml_texts

ROOT = Path(__file__).resolve().parents[2]
RUBRIC_TEXT = (ROOT / "quality/shipped/live.yaml").read_text()
RUBRIC_DATA = yaml.safe_load(RUBRIC_TEXT)


def _readable(problems: list[str]) -> None:
    assert problems, "an error must name at least one problem"
    for problem in problems:
        assert isinstance(problem, str)
        assert problem.strip()
        assert "Traceback" not in problem


def _outcome(text: str) -> Rubric | None:
    try:
        rubric = parse_rubric_yaml(text)
    except RubricInvalid as e:
        problems = e.errors
    else:
        problems = None
    if problems is not None:
        _readable(problems)
        return None
    assert rubric_from_data(rubric_to_data(rubric)) == rubric
    best = {c.key: c.scale.points[-1] for c in rubric.categories}
    worst = {
        c.key: NOT_APPLICABLE if c.allow_na else c.scale.points[0]
        for c in rubric.categories
    }
    for ratings in (best, worst):
        result = score_review(rubric, ratings)
        assert result.score is None or 0 <= result.score <= 100
    return rubric


@given(yaml_texts())
@example("name: x\nchannel_group: live\ncategories: [{key: a, weight: 2024-13-45}]")
@example("[" * 5000)
@example("a: &a [*a, *a]\nname: *a")
@example("categories:\n  - 1: a\n    key: b")
def test_any_text_loads_as_a_rubric_or_names_its_problems(text: str) -> None:
    _outcome(text)


@given(mutated(RUBRIC_DATA))
def test_a_damaged_rubric_loads_or_names_its_problems(data: object) -> None:
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, TypeError, ValueError):
        return
    _outcome(text)


@given(
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(), st.none()))
)
def test_any_ratings_score_or_are_named_invalid(ratings: dict) -> None:
    rubric = parse_rubric_yaml(RUBRIC_TEXT)
    result = score_review(rubric, ratings)
    assert result.score is None or 0 <= result.score <= 100
    assert set(result.invalid) | set(result.missing) | set(ratings) >= set(
        result.invalid
    )
