"""Branching scenarios: the YAML format, its validation, the engine, scoring and attempt limits.

PURE: plain data in, plain data out; no Flask, no database. A scenario is a set of nodes.
A node shows what the customer says; its choices lead to other nodes, each with points and
feedback. A node with ``end:`` instead of choices is an ending. See ``docs/training.md``
("Writing a scenario") and ``training/scenarios/refund-limits.yaml`` for a commented example.

Scoring: the points of the choices taken, as a percentage of the best score the scenario
allows. Choices that lead back into a loop may not award points, so repeating a loop never
raises a score; the best score is then the longest path through the loop-free map.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from core import untrusted_yaml
from training.placeholders import placeholder_errors


class Channel(enum.StrEnum):
    """Where the customer is talking to us."""

    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"
    REVIEW = "review"


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"


#: The metrics a scenario may say it coaches (``coaches:``); incentives offers supervisors
#: the scenarios tagged for a metric a rep is below threshold on.
METRIC_TAGS = frozenset(
    {
        "csat",
        "nps",
        "first_response",
        "resolution_time",
        "timely_resolution",
        "reopen_rate",
        "public_review_follow_up",
    }
)

#: A review rubric's category a scenario coaches: ``qa:`` and the category's key.
QA_TAG = re.compile(r"qa:[A-Za-z0-9_-]{1,40}")


def is_coaching_tag(tag: str) -> bool:
    """A metric tag (``csat``) or a review category (``qa:empathy``): reps failing it in
    quality reviews are offered the scenario (``quality.coaching``)."""
    return tag in METRIC_TAGS or QA_TAG.fullmatch(tag) is not None


#: An attempt that runs this many decisions without reaching an ending is failed.
MAX_STEPS = 100
#: The most points one choice may award or take away (an attempt's total is stored).
MAX_CHOICE_POINTS = 1000
#: The longest wait after a failed attempt: a year.
MAX_COOLDOWN_HOURS = 24 * 365
#: The longest title and node name (as stored).
MAX_TITLE = 200
MAX_NODE_KEY = 80
#: Attempts count against ``attempts_allowed`` over this many days.
ATTEMPT_WINDOW = dt.timedelta(days=30)

_TOP_KEYS = {
    "key",
    "title",
    "summary",
    "channel",
    "pass_mark",
    "attempts_allowed",
    "cooldown_hours",
    "certifies",
    "coaches",
    "start",
    "nodes",
}
_NODE_KEYS = {"customer", "channel", "choices", "end", "success", "note"}
_CHOICE_KEYS = {"text", "points", "feedback", "next"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``errors`` names each problem and its node."""

    def __init__(self, errors: Sequence[str], source: str = "") -> None:
        self.errors = list(errors)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(self.errors))


@dataclass(frozen=True)
class Choice:
    text: str
    points: int
    feedback: str
    next: str


@dataclass(frozen=True)
class Node:
    key: str
    customer: str
    channel: Channel
    choices: tuple[Choice, ...] = ()
    #: The ending's description; ``None`` for a node that asks for a decision.
    end: str | None = None
    #: An ending the customer would call a success; a fail ending never passes.
    success: bool = True
    #: A line of context shown above the customer's words (e.g. "Two days later...").
    note: str = ""

    @property
    def is_end(self) -> bool:
        return self.end is not None


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    summary: str
    channel: Channel
    pass_mark: int
    attempts_allowed: int | None
    cooldown_hours: int
    certifies: tuple[str, ...]
    coaches: tuple[str, ...]
    start: str
    nodes: Mapping[str, Node]
    #: The canonical data the scenario was built from (stored, hashed).
    data: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def best_score(self) -> int:
        return best_score(self)

    @property
    def content_hash(self) -> str:
        return content_hash(self.data)

    def node(self, key: str) -> Node:
        return self.nodes[key]


@dataclass(frozen=True)
class Step:
    """The result of one decision."""

    choice: Choice
    node: Node
    points: int
    feedback: str

    @property
    def finished(self) -> bool:
        return self.node.is_end


@dataclass(frozen=True)
class Score:
    points: int
    best: int
    percent: int
    passed: bool


@dataclass(frozen=True)
class AttemptFact:
    """What the attempt rules need to know about one earlier attempt."""

    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: AttemptStatus


@dataclass(frozen=True)
class Gate:
    """May a rep start an attempt now, and if not, why and from when."""

    allowed: bool
    reason: str = ""
    opens_at: dt.datetime | None = None


# --- parsing and validation ---------------------------------------------------------------


def parse_scenario(text: str, source: str = "") -> Scenario:
    """Read a scenario from YAML text, validating it completely.

    :param text: the YAML document.
    :param source: a file name, used in error messages.
    :raises ScenarioError: every problem found, each naming its node.
    :return: the scenario.
    """
    try:
        data = untrusted_yaml.load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        why = f": {e.problem}" if getattr(e, "problem", None) else ""
        raise ScenarioError([f"not valid YAML{where}{why}"], source) from e
    return scenario_from_data(data, source)


def scenario_from_data(data: Any, source: str = "") -> Scenario:
    """Build a scenario from already-loaded data (YAML or stored JSON).

    :raises ScenarioError: every problem found.
    """
    errors = validate(data)
    if errors:
        raise ScenarioError(errors, source)
    canonical = _canonical(data)
    default_channel = Channel(canonical["channel"])
    nodes = {
        key: Node(
            key=key,
            customer=node.get("customer", ""),
            channel=Channel(node.get("channel", default_channel)),
            choices=tuple(Choice(**choice) for choice in node.get("choices", [])),
            end=node.get("end"),
            success=node.get("success", True),
            note=node.get("note", ""),
        )
        for key, node in canonical["nodes"].items()
    }
    return Scenario(
        key=canonical["key"],
        title=canonical["title"],
        summary=canonical["summary"],
        channel=default_channel,
        pass_mark=canonical["pass_mark"],
        attempts_allowed=canonical["attempts_allowed"],
        cooldown_hours=canonical["cooldown_hours"],
        certifies=tuple(canonical["certifies"]),
        coaches=tuple(canonical["coaches"]),
        start=canonical["start"],
        nodes=nodes,
        data=canonical,
    )


def _canonical(data: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario with defaults filled in, so equal content hashes equally."""
    nodes = {}
    for key, node in data["nodes"].items():
        item: dict[str, Any] = {"customer": str(node.get("customer") or "").strip()}
        for optional in ("channel", "note"):
            if node.get(optional):
                item[optional] = str(node[optional]).strip()
        if "end" in node:
            item["end"] = str(node["end"]).strip()
            item["success"] = bool(node.get("success", True))
        else:
            item["choices"] = [
                {
                    "text": str(c["text"]).strip(),
                    "points": int(c.get("points", 0)),
                    "feedback": str(c["feedback"]).strip(),
                    "next": str(c["next"]),
                }
                for c in node["choices"]
            ]
        nodes[str(key)] = item
    return {
        "key": str(data["key"]),
        "title": str(data["title"]).strip(),
        "summary": str(data.get("summary") or "").strip(),
        "channel": str(data["channel"]),
        "pass_mark": int(data["pass_mark"]),
        "attempts_allowed": data.get("attempts_allowed"),
        "cooldown_hours": int(data.get("cooldown_hours") or 0),
        "certifies": sorted(str(c) for c in data.get("certifies") or []),
        "coaches": sorted(str(c) for c in data.get("coaches") or []),
        "start": str(data["start"]),
        "nodes": nodes,
    }


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical data: the same content always gives the same version."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_channel(value: Any) -> bool:
    return isinstance(value, str) and value in set(Channel)


def _unknown(fields: Mapping[Any, Any], known: set[str]) -> str:
    """The fields not in ``known``, listed for a message ("" when there are none).

    YAML keys may be numbers, dates or ``null`` as well as text.
    """
    return ", ".join(sorted(str(k) for k in fields if k not in known))


def _check_top(data: Mapping[str, Any]) -> list[str]:
    errors = []
    unknown = _unknown(data, _TOP_KEYS)
    if unknown:
        errors.append(f"unknown field(s) {unknown}")
    key = data.get("key")
    if not isinstance(key, str) or not key.replace("-", "").replace("_", "").isalnum():
        errors.append("key: give a slug of letters, digits, '-' or '_'")
    elif len(key) > 80:
        errors.append("key: at most 80 characters")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        errors.append("title: required")
    elif len(data["title"].strip()) > MAX_TITLE:
        errors.append(f"title: at most {MAX_TITLE} characters")
    if not _is_channel(data.get("channel")):
        errors.append(f"channel: one of {', '.join(Channel)}")
    pass_mark = data.get("pass_mark")
    if not _is_int(pass_mark) or not 1 <= pass_mark <= 100:
        errors.append("pass_mark: a whole percentage from 1 to 100")
    allowed = data.get("attempts_allowed")
    if allowed is not None and (not _is_int(allowed) or allowed < 1):
        errors.append("attempts_allowed: a whole number of at least 1, or leave it out")
    cooldown = data.get("cooldown_hours", 0)
    if cooldown is not None and (
        not _is_int(cooldown) or not 0 <= cooldown <= MAX_COOLDOWN_HOURS
    ):
        errors.append(
            f"cooldown_hours: a whole number of hours from 0 to {MAX_COOLDOWN_HOURS}"
        )
    for name in ("certifies", "coaches"):
        items = data.get(name) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            errors.append(f"{name}: a list of codes")
    coaches = data.get("coaches")
    unknown_tags = sorted(
        t
        for t in (coaches if isinstance(coaches, list) else ())
        if isinstance(t, str) and not is_coaching_tag(t)
    )
    if unknown_tags:
        errors.append(
            f"coaches: unknown metric(s) {', '.join(unknown_tags)} "
            f"(use {', '.join(sorted(METRIC_TAGS))}, or qa: and a review rubric's "
            "category key such as qa:empathy)"
        )
    return errors


def _check_node(key: str, node: Any, nodes: Mapping[str, Any]) -> list[str]:
    where = f"node {key!r}"
    if not isinstance(node, dict):
        return [f"{where}: must be a mapping with customer and choices (or end)"]
    errors = []
    if len(key) > MAX_NODE_KEY:
        errors.append(
            f"{where}: a node's name may be at most {MAX_NODE_KEY} characters"
        )
    unknown = _unknown(node, _NODE_KEYS)
    if unknown:
        errors.append(f"{where}: unknown field(s) {unknown}")
    if node.get("channel") is not None and not _is_channel(node["channel"]):
        errors.append(f"{where}: channel must be one of {', '.join(Channel)}")
    has_end, choices = "end" in node, node.get("choices")
    if has_end and choices:
        errors.append(f"{where}: has both choices and an end; an ending has no choices")
    elif not has_end and not choices:
        errors.append(f"{where}: has neither choices nor an end")
    if has_end:
        if not isinstance(node["end"], str) or not node["end"].strip():
            errors.append(f"{where}: end must describe the outcome")
        return errors
    if not isinstance(node.get("customer"), str) or not node["customer"].strip():
        errors.append(f"{where}: customer (what the customer says) is required")
    if not isinstance(choices, list):
        return [*errors, f"{where}: choices must be a list"]
    for n, choice in enumerate(choices, start=1):
        at = f"{where}, choice {n}"
        if not isinstance(choice, dict):
            errors.append(f"{at}: must be a mapping with text, points, feedback, next")
            continue
        unknown = _unknown(choice, _CHOICE_KEYS)
        if unknown:
            errors.append(f"{at}: unknown field(s) {unknown}")
        for name in ("text", "feedback"):
            if not isinstance(choice.get(name), str) or not choice[name].strip():
                errors.append(f"{at}: {name} is required")
        points = choice.get("points", 0)
        if not _is_int(points) or abs(points) > MAX_CHOICE_POINTS:
            errors.append(
                f"{at}: points must be a whole number from {-MAX_CHOICE_POINTS} "
                f"to {MAX_CHOICE_POINTS}"
            )
        target = choice.get("next")
        if not isinstance(target, str) or not target:
            errors.append(f"{at}: next (the node it leads to) is required")
        elif target not in nodes:
            errors.append(f"{at}: leads to {target!r}, which does not exist")
    return errors


def validate(data: Any) -> list[str]:
    """Every problem with a scenario's data, each naming its node; empty when it is usable.

    Checks the fields, then the map: links to missing nodes, nodes that cannot be reached
    from the start, no ending at all, nodes (loops) from which no ending can be reached,
    and loops that would award points each time round.
    """
    if not isinstance(data, dict):
        return ["a scenario must be a mapping of fields (key, title, nodes...)"]
    errors = _check_top(data)
    nodes = data.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        return [*errors, "nodes: at least one node is required"]
    nodes = {str(k): v for k, v in nodes.items()}
    for key, node in nodes.items():
        errors.extend(_check_node(key, node, nodes))
        if isinstance(node, dict):
            errors.extend(placeholder_errors(key, node))
    start = data.get("start")
    if not isinstance(start, str) or start not in nodes:
        errors.append(f"start: {start!r} is not a node")
    if errors:
        return errors
    edges = {k: [c["next"] for c in n.get("choices", [])] for k, n in nodes.items()}
    endings = {k for k, n in nodes.items() if "end" in n}
    if not endings:
        return ["the scenario has no ending: give at least one node an end"]
    reachable = _reachable(edges, [start])
    errors.extend(
        f"node {key!r}: cannot be reached from the start ({start!r})"
        for key in nodes
        if key not in reachable
    )
    reverse: dict[str, list[str]] = {k: [] for k in nodes}
    for key, targets in edges.items():
        for target in targets:
            reverse[target].append(key)
    can_finish = _reachable(reverse, endings)
    errors.extend(
        f"node {key!r}: a loop with no way out (no choice from here reaches an ending)"
        for key in nodes
        if key in reachable and key not in can_finish
    )
    component = _components(edges)
    for key, node in nodes.items():
        for n, choice in enumerate(node.get("choices", []), start=1):
            if component[key] == component[choice["next"]] and choice.get("points", 0):
                errors.append(
                    f"node {key!r}, choice {n}: leads back into a loop, so it may not "
                    "award points (they could be collected again and again)"
                )
    if not any(nodes[e].get("success", True) for e in endings & reachable):
        errors.append("the scenario has no successful ending: no one could pass it")
    return errors


def _reachable(edges: Mapping[str, Iterable[str]], starts: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        stack.extend(edges.get(key, ()))
    return seen


def _components(edges: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan), iteratively: node -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: dict[str, int] = {}
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            key, i = work.pop()
            if i == 0:
                index[key] = low[key] = counter
                counter += 1
                stack.append(key)
                on_stack.add(key)
            targets = edges[key]
            if i < len(targets):
                work.append((key, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[key] = min(low[key], index[target])
                continue
            if low[key] == index[key]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    result[member] = index[key]
                    if member == key:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[key])
    return result


# --- the engine ---------------------------------------------------------------------------


def best_score(scenario: Scenario) -> int:
    """The most points any play-through can collect (at least 1, so percentages work).

    Choices inside a loop award nothing (see :func:`validate`), so this is the longest
    path through the map with each loop collapsed into one step.
    """
    edges = {k: [c.next for c in n.choices] for k, n in scenario.nodes.items()}
    component = _components(edges)
    members: dict[int, list[str]] = {}
    for key, number in component.items():
        members.setdefault(number, []).append(key)

    def leaving(number: int) -> list[Choice]:
        return [
            choice
            for key in members[number]
            for choice in scenario.nodes[key].choices
            if component[choice.next] != number
        ]

    # Depth-first over the loop-free map of components, without recursion: a scenario
    # may be thousands of decisions deep.
    best: dict[int, int] = {}
    stack = [component[scenario.start]]
    while stack:
        number = stack[-1]
        if number in best:
            stack.pop()
            continue
        pending = [
            component[c.next] for c in leaving(number) if component[c.next] not in best
        ]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        best[number] = max(
            (c.points + best[component[c.next]] for c in leaving(number)), default=0
        )
    return max(best[component[scenario.start]], 1)


def decisions_to_end(scenario: Scenario, key: str) -> int:
    """The fewest decisions from node ``key`` to any ending (0 at an ending)."""
    distance = {key: 0}
    frontier = [key]
    while frontier:
        following = []
        for current in frontier:
            node = scenario.nodes[current]
            if node.is_end:
                return distance[current]
            for choice in node.choices:
                if choice.next not in distance:
                    distance[choice.next] = distance[current] + 1
                    following.append(choice.next)
        frontier = following
    raise ValueError(f"no ending reachable from {key!r}")


def depth_range(scenario: Scenario) -> tuple[int, int]:
    """(fewest, most) decisions on a loop-free play-through from start to a success."""
    lengths: list[int] = []

    def walk(key: str, depth: int, seen: frozenset[str]) -> None:
        node = scenario.nodes[key]
        if node.is_end:
            if node.success:
                lengths.append(depth)
            return
        for choice in node.choices:
            if choice.next not in seen:
                walk(choice.next, depth + 1, seen | {choice.next})

    walk(scenario.start, 0, frozenset({scenario.start}))
    return min(lengths), max(lengths)


def choose(scenario: Scenario, node_key: str, choice_index: int) -> Step:
    """Take choice number ``choice_index`` (from 0) at node ``node_key``.

    :raises ValueError: the node is an ending or the choice does not exist (misuse).
    :return: the choice, the node it leads to, its points and feedback.
    """
    node = scenario.nodes[node_key]
    if node.is_end:
        raise ValueError(f"node {node_key!r} is an ending; there is nothing to choose")
    if not 0 <= choice_index < len(node.choices):
        raise ValueError(f"node {node_key!r} has no choice {choice_index}")
    choice = node.choices[choice_index]
    return Step(
        choice=choice,
        node=scenario.nodes[choice.next],
        points=choice.points,
        feedback=choice.feedback,
    )


def score(scenario: Scenario, points: int, ending: Node | None) -> Score:
    """Score a play-through: points as a share of the best, and whether it passes.

    It passes when it reached a successful ending and scored at least the pass mark.
    """
    best = best_score(scenario)
    percent = max(0, min(100, round(100 * points / best)))
    passed = (
        ending is not None
        and ending.is_end
        and ending.success
        and percent >= scenario.pass_mark
    )
    return Score(points=points, best=best, percent=percent, passed=passed)


# --- attempts -----------------------------------------------------------------------------


def attempt_gate(
    history: Sequence[AttemptFact],
    *,
    attempts_allowed: int | None,
    cooldown_hours: int,
    at: dt.datetime,
) -> Gate:
    """May a rep start a new attempt at ``at``?

    ``attempts_allowed`` attempts may start within any :data:`ATTEMPT_WINDOW`; after a
    failed attempt the rep waits ``cooldown_hours`` before the next. An attempt still in
    progress is resumed, not restarted.

    :param history: the rep's attempts on this scenario (any order).
    :return: allowed, or the reason and when it opens.
    """
    if any(a.status is AttemptStatus.IN_PROGRESS for a in history):
        return Gate(False, "You have an attempt in progress; carry on with it.")
    finished = sorted(
        (a for a in history if a.finished_at is not None), key=lambda a: a.finished_at
    )
    if finished and finished[-1].status is AttemptStatus.FAILED and cooldown_hours:
        opens = finished[-1].finished_at + dt.timedelta(hours=cooldown_hours)
        if at < opens:
            return Gate(
                False,
                f"Take a break: after a failed attempt you can try again in "
                f"{cooldown_hours} hour{'s' if cooldown_hours != 1 else ''}.",
                opens,
            )
    if attempts_allowed is not None:
        recent = sorted(
            a.started_at for a in history if a.started_at > at - ATTEMPT_WINDOW
        )
        if len(recent) >= attempts_allowed:
            opens = recent[len(recent) - attempts_allowed] + ATTEMPT_WINDOW
            return Gate(
                False,
                f"You have used all {attempts_allowed} attempts allowed in "
                f"{ATTEMPT_WINDOW.days} days.",
                opens,
            )
    return Gate(True)
