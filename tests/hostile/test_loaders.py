"""The assessment and scenario loaders: any input gives a result or their own clear error.

Properties, for any text or parsed data: the loader returns a valid object, or raises its
documented error (:class:`AssessmentInvalid`, :class:`ScenarioError`) with at least one
readable problem; never another exception. What loads can be stored and read back to the
same thing. No app, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from recruiting import assessment
from recruiting.assessment import AssessmentInvalid
from recruiting.models import Assessment, CandidateAnswer
from tests.hostile.strategies import TRICKY_SCALARS, mutated, yaml_texts
from training import scenarios
from training.models import Attempt, ScenarioVersion
from training.scenarios import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
ASSESSMENT_TEXT = (ROOT / "recruiting/assessments/default.yaml").read_text()
ASSESSMENT_DATA = yaml.safe_load(ASSESSMENT_TEXT)
SCENARIO_FILES = sorted((ROOT / "training/scenarios").glob("*.yaml"))
SCENARIO_TEXT = (ROOT / "training/scenarios/refund-limits.yaml").read_text()
SCENARIO_DATA = yaml.safe_load(SCENARIO_TEXT)


def _dump(data: object) -> str | None:
    """The data as YAML text, or ``None`` when PyYAML cannot write it."""
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, TypeError, ValueError):
        return None


def _fits(model: type, **values: str) -> bool:
    """Each value fits its column (PostgreSQL refuses longer text; SQLite would not)."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    return all(len(v) <= columns[name].type.length for name, v in values.items())


def _readable(problems: list[str]) -> None:
    assert problems, "an error must name at least one problem"
    for problem in problems:
        assert isinstance(problem, str)
        assert problem.strip()
        assert "Traceback" not in problem


# --- assessments --------------------------------------------------------------------------


def _assessment_text_outcome(text: str) -> assessment.AssessmentSpec | None:
    try:
        spec = assessment.parse_assessment(text)
    except AssessmentInvalid as e:
        _readable(e.problems)
        return None
    _assessment_round_trip(spec)
    return spec


def _assessment_data_outcome(data: object) -> assessment.AssessmentSpec | None:
    try:
        spec = assessment.spec_from_data(data)
    except AssessmentInvalid as e:
        _readable(e.problems)
        return None
    _assessment_round_trip(spec)
    return spec


def _assessment_round_trip(spec: assessment.AssessmentSpec) -> None:
    assert _fits(Assessment, key=spec.key, title=spec.title)
    for item in spec.items:
        assert _fits(CandidateAnswer, item_key=item.key)
        assert all(_fits(CandidateAnswer, best=o.key) for o in item.options)
    stored = assessment.spec_to_data(spec)
    assert assessment.spec_from_data(stored) == spec
    assert len(assessment.content_hash(spec)) == 64
    # Every item can be scored with no answers at all (the time ran out).
    scores = assessment.score_answers(spec, {})
    assert all(0 <= v <= 100 for v in scores.by_competency.values())


@pytest.mark.parametrize("scalar", TRICKY_SCALARS)
def test_a_tricky_yaml_value_anywhere_in_an_assessment_is_a_clear_error(
    scalar: str,
) -> None:
    for text in (
        scalar,
        f"key: {scalar}",
        ASSESSMENT_TEXT.replace(
            "time_limit_minutes: 25", f"time_limit_minutes: {scalar}"
        ),
        ASSESSMENT_TEXT.replace("key: refund-within-authority", f"key: {scalar}", 1),
    ):
        _assessment_text_outcome(text)


@given(yaml_texts())
@example("key: 2024-13-45")
@example("[" * 5000)
@example("a: &a [*a, *a]\nkey: *a")
def test_any_text_loads_as_an_assessment_or_names_its_problems(text: str) -> None:
    _assessment_text_outcome(text)


@given(mutated(ASSESSMENT_DATA))
def test_a_damaged_assessment_loads_or_names_its_problems(data: object) -> None:
    _assessment_data_outcome(data)
    text = _dump(data)
    if text is not None:
        _assessment_text_outcome(text)


def test_the_shipped_assessment_survives_the_checks_unchanged() -> None:
    spec = _assessment_text_outcome(ASSESSMENT_TEXT)
    assert spec is not None
    assert len(spec.items) >= 10


@given(
    mutated(ASSESSMENT_DATA, max_changes=1),
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d", "w", "x", "y", "z", "nope", ""]),
        st.tuples(
            st.none() | st.sampled_from(["a", "b", "c", "d", "x"]),
            st.none() | st.sampled_from(["a", "b", "c", "d", "x"]),
        ),
        max_size=6,
    ),
)
def test_any_answers_to_a_loaded_assessment_score_within_bounds(
    data: object, raw: dict[str, tuple[str | None, str | None]]
) -> None:
    spec = _assessment_data_outcome(data)
    if spec is None:
        return
    keys = [item.key for item in spec.items]
    answers = {}
    for index, (best, worst) in enumerate(raw.values()):
        item = spec.items[index % len(keys)]
        if assessment.check_answer(item, best, worst) is None:
            answers[item.key] = assessment.Answer(best, worst)
    scores = assessment.score_answers(spec, answers)
    assert set(scores.by_competency) == set(assessment.COMPETENCIES)
    assert all(0 <= v <= 100 for v in scores.by_competency.values())


# --- scenarios ----------------------------------------------------------------------------


def _scenario_text_outcome(text: str) -> scenarios.Scenario | None:
    try:
        scenario = scenarios.parse_scenario(text, "hostile.yaml")
    except ScenarioError as e:
        _readable(e.errors)
        assert e.source == "hostile.yaml"  # noqa: PT017 - every outcome is checked, not one
        return None
    _scenario_plays(scenario)
    return scenario


def _scenario_data_outcome(data: object) -> scenarios.Scenario | None:
    try:
        scenario = scenarios.scenario_from_data(data)
    except ScenarioError as e:
        _readable(e.errors)
        return None
    _scenario_plays(scenario)
    return scenario


def _scenario_plays(scenario: scenarios.Scenario) -> None:
    """A loaded scenario is stored, read back, scored and played to an ending."""
    assert _fits(ScenarioVersion, key=scenario.key, title=scenario.title)
    assert all(_fits(Attempt, current_node=key) for key in scenario.nodes)
    again = scenarios.scenario_from_data(dict(scenario.data))
    assert again.content_hash == scenario.content_hash
    assert scenario.best_score >= 1
    # Always taking the first choice from the start ends, or gives up after MAX_STEPS.
    key, points = scenario.start, 0
    for _ in range(scenarios.MAX_STEPS):
        if scenario.node(key).is_end:
            break
        step = scenarios.choose(scenario, key, 0)
        key, points = step.node.key, points + step.points
    result = scenarios.score(scenario, points, scenario.node(key))
    assert result.percent <= 100
    # The attempt rules work with whatever limits the file set.
    at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    failed = scenarios.AttemptFact(at, at, scenarios.AttemptStatus.FAILED)
    gate = scenarios.attempt_gate(
        [failed] * 3,
        attempts_allowed=scenario.attempts_allowed,
        cooldown_hours=scenario.cooldown_hours,
        at=at,
    )
    assert gate.allowed or gate.reason


@pytest.mark.parametrize("scalar", TRICKY_SCALARS)
def test_a_tricky_yaml_value_anywhere_in_a_scenario_is_a_clear_error(
    scalar: str,
) -> None:
    for text in (
        scalar,
        f"key: {scalar}",
        SCENARIO_TEXT.replace("pass_mark: 70", f"pass_mark: {scalar}"),
        SCENARIO_TEXT.replace("channel: chat", f"channel: {scalar}", 1),
    ):
        _scenario_text_outcome(text)


@given(yaml_texts())
@example("key: 2024-13-45")
@example("{" * 5000)
@example("1: a\nkey: b")
@example("channel: [chat]")
@example("coaches: 5")
def test_any_text_loads_as_a_scenario_or_names_its_problems(text: str) -> None:
    _scenario_text_outcome(text)


@given(st.sampled_from(SCENARIO_FILES).flatmap(lambda p: mutated(_load(p))))
def test_a_damaged_scenario_loads_or_names_its_problems(data: object) -> None:
    _scenario_data_outcome(data)
    text = _dump(data)
    if text is not None:
        _scenario_text_outcome(text)


def _load(path: Path) -> object:
    return yaml.safe_load(path.read_text())


def test_a_long_chain_of_nodes_loads_and_scores() -> None:
    """A scenario thousands of decisions deep is valid; scoring it must not overflow."""
    length = 3000
    nodes = {
        f"n{i}": {
            "customer": f"Step {i}",
            "choices": [
                {"text": "On", "points": 1, "feedback": "Ok", "next": f"n{i + 1}"}
            ],
        }
        for i in range(length)
    }
    nodes[f"n{length}"] = {"end": "Done."}
    data = {**SCENARIO_DATA, "start": "n0", "nodes": nodes}
    scenario = _scenario_data_outcome(data)
    assert scenario is not None
    assert scenario.best_score == length


@pytest.mark.parametrize(
    ("where", "old", "new", "message"),
    [
        (
            "assessment key",
            "key: frontline-service-judgement",
            "key: " + "k" * 81,
            "80",
        ),
        ("assessment title", "title: Service judgement", "title: " + "T" * 201, "200"),
        ("item key", "key: refund-within-authority", "key: " + "i" * 81, "80"),
        ("option key", "- key: a\n", "- key: " + "o" * 41 + "\n", "40"),
    ],
)
def test_assessment_text_longer_than_its_column_is_refused(
    where: str, old: str, new: str, message: str
) -> None:
    text = ASSESSMENT_TEXT.replace(old, new, 1)
    assert text != ASSESSMENT_TEXT, where
    with pytest.raises(AssessmentInvalid, match=f"at most {message} characters"):
        assessment.parse_assessment(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "T" * 201}, "title: at most 200 characters"),
        ({"cooldown_hours": 10**20}, "cooldown_hours: a whole number of hours"),
        ({"channel": ["chat"]}, "channel: one of"),
        ({"coaches": 5}, "coaches: a list of codes"),
        ({1: "one", None: "none"}, "unknown field(s) 1, None"),
    ],
)
def test_scenario_values_a_column_or_the_clock_cannot_hold_are_refused(
    change: dict[object, object], message: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenarios.scenario_from_data({**SCENARIO_DATA, **change})
    assert any(message in e for e in caught.value.errors), caught.value.errors


def test_a_node_name_longer_than_its_column_is_refused() -> None:
    nodes = dict(SCENARIO_DATA["nodes"])
    nodes["n" * 81] = {"end": "Unreachable."}
    with pytest.raises(ScenarioError, match="at most 80 characters"):
        scenarios.scenario_from_data({**SCENARIO_DATA, "nodes": nodes})


def test_a_choice_worth_more_than_the_limit_is_refused() -> None:
    nodes = {k: dict(v) for k, v in SCENARIO_DATA["nodes"].items()}
    first = nodes[SCENARIO_DATA["start"]]
    first["choices"] = [
        {**first["choices"][0], "points": 10**12},
        *first["choices"][1:],
    ]
    with pytest.raises(ScenarioError, match="points must be a whole number from"):
        scenarios.scenario_from_data({**SCENARIO_DATA, "nodes": nodes})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("key: 2024-13-45", "cannot read the value '2024-13-45' as a date"),
        ("key: !!int abc", "as a whole number"),
        ("[" * 1000, "nested more than 64 levels deep"),
        ("a: &a [1, *a]", "the anchor 'a' refers to itself"),
    ],
)
def test_yaml_that_pyyaml_cannot_build_names_the_reason(text: str, reason: str) -> None:
    with pytest.raises(AssessmentInvalid, match=re.escape(reason)):
        assessment.parse_assessment(text)
    with pytest.raises(ScenarioError, match=re.escape(reason)):
        scenarios.parse_scenario(text)


def test_anchors_that_expand_into_a_billion_values_are_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    with pytest.raises(ScenarioError, match="expand to more than"):
        scenarios.parse_scenario("\n".join(lines))
