"""Scenario rules: the YAML format, validation naming the node, engine, scoring, attempts."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from training.placeholders import fill_placeholders, placeholder_codes
from training.scenarios import (
    ATTEMPT_WINDOW,
    AttemptFact,
    AttemptStatus,
    ScenarioError,
    attempt_gate,
    best_score,
    choose,
    decisions_to_end,
    depth_range,
    parse_scenario,
    scenario_from_data,
    score,
    validate,
)

SHIPPED = Path(__file__).resolve().parents[3] / "training" / "scenarios"

BASE = {
    "key": "t",
    "title": "T",
    "channel": "chat",
    "pass_mark": 60,
    "start": "a",
    "nodes": {
        "a": {
            "customer": "Hello",
            "choices": [
                {"text": "Good", "points": 10, "feedback": "f", "next": "b"},
                {"text": "Bad", "points": 0, "feedback": "f", "next": "fail"},
            ],
        },
        "b": {
            "customer": "And?",
            "choices": [{"text": "Fine", "points": 5, "feedback": "f", "next": "win"}],
        },
        "win": {"end": "Happy customer"},
        "fail": {"end": "Lost customer", "success": False},
    },
}


def variant(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def test_the_base_scenario_is_valid() -> None:
    assert validate(BASE) == []


@pytest.mark.parametrize(
    ("tags", "unknown"),
    [
        (["csat", "qa:empathy", "qa:move_private"], ""),
        (["qa:"], "qa:"),
        (["qa:two words"], "qa:two words"),
        (["QA:empathy"], "QA:empathy"),
        (["empathy"], "empathy"),
    ],
)
def test_a_scenario_coaches_metrics_and_review_categories(tags, unknown) -> None:
    errors = validate(variant(lambda d: d.update(coaches=tags)))
    if unknown:
        assert errors
        assert errors[0].startswith(f"coaches: unknown metric(s) {unknown}")
    else:
        assert errors == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["nodes"]["b"]["choices"][0].update(next="nowhere"),
            "node 'b', choice 1: leads to 'nowhere', which does not exist",
        ),
        (
            lambda d: d["nodes"].update(orphan={"end": "never seen"}),
            "node 'orphan': cannot be reached from the start ('a')",
        ),
        (
            lambda d: d["nodes"].update(
                b={
                    "customer": "loop",
                    "choices": [
                        {"text": "x", "points": 0, "feedback": "f", "next": "c"}
                    ],
                },
                c={
                    "customer": "loop",
                    "choices": [
                        {"text": "y", "points": 0, "feedback": "f", "next": "b"}
                    ],
                },
            ),
            "node 'b': a loop with no way out",
        ),
        (
            lambda d: d["nodes"].update(
                b={
                    "customer": "x",
                    "choices": [
                        {"text": "x", "points": 0, "feedback": "f", "next": "c"},
                        {"text": "out", "points": 0, "feedback": "f", "next": "win"},
                    ],
                },
                c={
                    "customer": "y",
                    "choices": [
                        {"text": "y", "points": 3, "feedback": "f", "next": "b"}
                    ],
                },
            ),
            "node 'c', choice 1: leads back into a loop, so it may not award points",
        ),
        (
            lambda d: [
                d["nodes"].pop("win"),
                d["nodes"].pop("fail"),
                d["nodes"]["a"]["choices"][1].update(next="b"),
                d["nodes"]["b"]["choices"][0].update(next="a"),
            ],
            "the scenario has no ending",
        ),
        (
            lambda d: d["nodes"]["b"].update(end="both"),
            "node 'b': has both choices and an end",
        ),
        (
            lambda d: d["nodes"]["b"].pop("choices"),
            "node 'b': has neither choices nor an end",
        ),
        (
            lambda d: d["nodes"]["a"]["choices"][0].pop("feedback"),
            "node 'a', choice 1: feedback is required",
        ),
        (
            lambda d: d.update(pass_mark=0),
            "pass_mark: a whole percentage from 1 to 100",
        ),
        (lambda d: d.update(start="z"), "start: 'z' is not a node"),
        (lambda d: d.update(channel="fax"), "channel: one of"),
        (lambda d: d.update(coaches=["speed"]), "coaches: unknown metric(s) speed"),
        (lambda d: d.update(attempts_allowed=0), "attempts_allowed: a whole number"),
        (
            lambda d: d["nodes"]["win"].update(success=False),
            "the scenario has no successful ending",
        ),
    ],
    ids=[
        "missing-link",
        "unreachable",
        "loop-without-exit",
        "points-in-loop",
        "no-ending",
        "choices-and-end",
        "neither",
        "no-feedback",
        "pass-mark",
        "bad-start",
        "bad-channel",
        "unknown-metric",
        "attempts",
        "no-success",
    ],
)
def test_validation_names_the_problem_and_its_node(change, expected: str) -> None:
    errors = validate(variant(change))
    assert any(expected in e for e in errors), errors


def test_parse_raises_with_every_error_and_the_source() -> None:
    data = variant(lambda d: d.update(pass_mark=500, channel="fax"))
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(yaml.safe_dump(data), "broken.yaml")
    assert len(raised.value.errors) == 2
    assert str(raised.value).startswith("broken.yaml: ")


def test_invalid_yaml_says_where() -> None:
    with pytest.raises(ScenarioError, match="not valid YAML at line 2"):
        parse_scenario("key: a\n  bad: [", "x.yaml")


def test_a_loop_with_a_way_out_is_allowed_and_scores_nothing() -> None:
    data = variant(
        lambda d: d["nodes"].update(
            b={
                "customer": "again?",
                "choices": [
                    {"text": "ask again", "points": 0, "feedback": "f", "next": "b2"},
                    {"text": "fix", "points": 5, "feedback": "f", "next": "win"},
                ],
            },
            b2={
                "customer": "repeat",
                "choices": [
                    {"text": "back", "points": 0, "feedback": "f", "next": "b"}
                ],
            },
        )
    )
    scenario = scenario_from_data(data)
    assert best_score(scenario) == 15


def test_best_score_is_the_richest_path() -> None:
    assert best_score(scenario_from_data(BASE)) == 15


@pytest.mark.parametrize(
    ("points", "ending", "percent", "passed"),
    [
        (15, "win", 100, True),
        (9, "win", 60, True),  # exactly the pass mark
        (8, "win", 53, False),
        (15, "fail", 100, False),  # a failing ending never passes
        (-5, "fail", 0, False),
    ],
)
def test_scoring_against_the_pass_mark(points, ending, percent, passed) -> None:
    scenario = scenario_from_data(BASE)
    result = score(scenario, points, scenario.node(ending))
    assert (result.percent, result.passed) == (percent, passed)


def test_choose_returns_next_node_points_and_feedback() -> None:
    scenario = scenario_from_data(BASE)
    step = choose(scenario, "a", 0)
    assert (step.node.key, step.points, step.feedback, step.finished) == (
        "b",
        10,
        "f",
        False,
    )
    assert choose(scenario, "a", 1).finished


@pytest.mark.parametrize(("node", "index"), [("a", 5), ("a", -1), ("win", 0)])
def test_choose_refuses_what_does_not_exist(node, index) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        choose(scenario_from_data(BASE), node, index)


def test_content_hash_ignores_comments_and_layout() -> None:
    text = yaml.safe_dump(BASE)
    same = "# a comment\n" + yaml.safe_dump(BASE, default_flow_style=True)
    changed = yaml.safe_dump(variant(lambda d: d.update(title="Other")))
    assert parse_scenario(text).content_hash == parse_scenario(same).content_hash
    assert parse_scenario(text).content_hash != parse_scenario(changed).content_hash


def test_decisions_to_end_counts_the_shortest_way() -> None:
    scenario = scenario_from_data(BASE)
    assert decisions_to_end(scenario, "a") == 1
    assert decisions_to_end(scenario, "b") == 1
    assert decisions_to_end(scenario, "win") == 0


NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def fact(hours_ago: float, status: AttemptStatus, length: float = 0.1) -> AttemptFact:
    started = NOW - dt.timedelta(hours=hours_ago)
    finished = (
        None
        if status is AttemptStatus.IN_PROGRESS
        else started + dt.timedelta(hours=length)
    )
    return AttemptFact(started, finished, status)


FAILED, PASSED, OPEN = (
    AttemptStatus.FAILED,
    AttemptStatus.PASSED,
    AttemptStatus.IN_PROGRESS,
)


@pytest.mark.parametrize(
    ("history", "allowed", "cooldown", "expected", "reason"),
    [
        ([], 3, 4, True, ""),
        ([fact(1, FAILED)], 3, 4, False, "Take a break"),
        ([fact(5, FAILED)], 3, 4, True, ""),
        ([fact(1, PASSED)], 3, 4, True, ""),  # no cool-down after a pass
        ([fact(1, OPEN)], 3, 0, False, "in progress"),
        ([fact(100, FAILED), fact(50, FAILED), fact(10, FAILED)], 3, 4, False, "all 3"),
        ([fact(24 * 31, FAILED), fact(50, FAILED), fact(10, FAILED)], 3, 4, True, ""),
        ([fact(100, FAILED), fact(50, FAILED), fact(10, FAILED)], None, 0, True, ""),
    ],
    ids=[
        "first",
        "cooling-down",
        "cooled-down",
        "after-a-pass",
        "in-progress",
        "limit-used",
        "old-attempt-left-the-window",
        "no-limit",
    ],
)
def test_attempts_allowed_and_cool_down(history, allowed, cooldown, expected, reason):
    gate = attempt_gate(
        history, attempts_allowed=allowed, cooldown_hours=cooldown, at=NOW
    )
    assert gate.allowed is expected
    assert reason in gate.reason


def test_a_used_up_limit_says_when_the_next_attempt_opens() -> None:
    history = [fact(100, FAILED), fact(50, FAILED), fact(10, FAILED)]
    gate = attempt_gate(history, attempts_allowed=3, cooldown_hours=0, at=NOW)
    assert gate.opens_at == history[0].started_at + ATTEMPT_WINDOW


SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))


def test_at_least_eight_scenarios_ship() -> None:
    assert len(SHIPPED_FILES) >= 8


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_scenarios_are_valid_and_four_to_eight_decisions_deep(
    path: Path,
) -> None:
    scenario = parse_scenario(path.read_text(), path.name)
    fewest, most = depth_range(scenario)
    assert 4 <= fewest <= most <= 8, (fewest, most)
    assert scenario.key == path.stem
    branching = [n for n in scenario.nodes.values() if len(n.choices) >= 2]
    assert len(branching) >= 4, "real branching: several nodes offer a choice"
    assert any(not n.success for n in scenario.nodes.values() if n.is_end)


# --- placeholders: the rep's own limits in the scenario's words ----------------------------

LIMITED = {
    **BASE,
    "start": "s",
    "nodes": {
        "s": {
            "note": "You hold {refund.limit}.",
            "customer": "Refund me?",
            "choices": [
                {
                    "text": "Up to {refund.limit}, yes",
                    "points": 1,
                    "feedback": "Within {goodwill_credit.limit}",
                    "next": "e",
                }
            ],
        },
        "e": {"end": "Done within {refund.limit}."},
    },
}


def test_placeholders_name_the_authorities_they_use() -> None:
    assert placeholder_codes(scenario_from_data(LIMITED)) == {
        "refund",
        "goodwill_credit",
    }


@pytest.mark.parametrize(
    ("text", "limits", "expected"),
    [
        ("You hold {refund.limit}.", {"refund": "150 USD"}, "You hold 150 USD."),
        (
            "You hold {refund.limit}.",
            {"refund": "no refund authority"},
            "You hold no refund authority.",
        ),
        ("{a.limit} and {a.limit}", {"a": "level 1"}, "level 1 and level 1"),
        (
            "Unknown {other.limit} stays",
            {"refund": "1 USD"},
            "Unknown {other.limit} stays",
        ),
        ("No braces at all", {}, "No braces at all"),
    ],
)
def test_placeholders_are_filled_with_the_reps_limits(text, limits, expected) -> None:
    assert fill_placeholders(text, limits) == expected


@pytest.mark.parametrize(
    "text", ["{refund}", "{Refund.limit}", "{refund.max}", "{ refund.limit }", "{}"]
)
def test_a_brace_that_is_no_placeholder_is_refused_with_its_node(text) -> None:
    data = json.loads(json.dumps(LIMITED))
    data["nodes"]["s"]["customer"] = f"Say {text} please"
    errors = validate(data)
    assert errors == [
        f"node 's': {text} is not a placeholder; write {{CODE.limit}} for the rep's own "
        "limit of an authority, e.g. {refund.limit}"
    ]
