"""Aptitude assessments as plain rules: the YAML format, scoring and percentiles (item
statistics are :mod:`recruiting.item_statistics`).

An assessment is a situational-judgement test. Each item is a customer situation with
options; every option is keyed with points per competency (negative points allowed).

Two item types:

* ``single`` — pick the best response. The item adds the chosen option's points.
* ``most_least`` — four responses; pick the most and the least effective. The item adds the
  points of the "most" choice and subtracts the points of the "least" choice, so naming the
  worst response as least effective earns credit too.

A competency's score is the raw points scaled to 0-100 between the lowest and the highest
total the test allows for that competency. An unanswered item (or half of a most/least
item) counts as its lowest possible contribution, so skipping never beats answering.

Nothing here touches Flask or the database: the module takes and returns plain data.
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from core import untrusted_yaml


class Competency(enum.StrEnum):
    """What an assessment measures; every option is keyed with points on these."""

    EMPATHY = "empathy"
    OWNERSHIP = "ownership"
    COMMUNICATION = "communication"
    COMPOSURE = "composure"
    JUDGEMENT = "judgement"

    @property
    def label(self) -> str:
        return COMPETENCY_LABELS[self]

    @property
    def meaning(self) -> str:
        return COMPETENCY_MEANINGS[self]

    @property
    def short(self) -> str:
        """A few letters, distinct for each competency, for dense tables."""
        return COMPETENCY_SHORT[self]


COMPETENCIES: tuple[Competency, ...] = tuple(Competency)

COMPETENCY_LABELS = {
    Competency.EMPATHY: "Empathy",
    Competency.OWNERSHIP: "Ownership",
    Competency.COMMUNICATION: "Communication",
    Competency.COMPOSURE: "Composure",
    Competency.JUDGEMENT: "Judgement",
}

COMPETENCY_SHORT = {
    Competency.EMPATHY: "Emp",
    Competency.OWNERSHIP: "Own",
    Competency.COMMUNICATION: "Comm",
    Competency.COMPOSURE: "Comp",
    Competency.JUDGEMENT: "Judg",
}

COMPETENCY_MEANINGS = {
    Competency.EMPATHY: "Notices how the customer feels and answers the person, not the ticket.",
    Competency.OWNERSHIP: "Treats the problem as theirs and works it through to a fix.",
    Competency.COMMUNICATION: "Speaks in the brand's voice: clear, warm, honest, never scripted.",
    Competency.COMPOSURE: "Stays steady and positive under pressure or hostility.",
    Competency.JUDGEMENT: "Uses the authority they hold well: policy, limits, when to escalate.",
}

#: What an interviewer's 1-5 rating means, per competency (shown on the scorecard form).
INTERVIEW_LEVELS: dict[Competency, tuple[str, str, str, str, str]] = {
    Competency.EMPATHY: (
        "Talks about customers as tickets or problems; no sign of noticing feelings.",
        "Acknowledges feelings when prompted, in generic words.",
        "Names the customer's feeling and adjusts tone without being asked.",
        "Reads what is unsaid and shapes the whole answer around the person.",
        "Turns an upset customer into a loyal one in the stories told, with specifics.",
    ),
    Competency.OWNERSHIP: (
        "Passes problems on; 'not my department'.",
        "Solves the easy part and hands off the rest.",
        "Follows a problem through to a fix and checks it held.",
        "Fixes the cause as well as the case; closes loops with other teams.",
        "Spots patterns across cases and changes how the team works.",
    ),
    Competency.COMMUNICATION: (
        "Unclear or careless; would embarrass the brand in public.",
        "Correct but stiff; leans on scripts.",
        "Clear and warm; explains next steps and times.",
        "Adapts register to channel and customer; writes replies people share.",
        "A natural voice of the brand; could coach others on tone.",
    ),
    Competency.COMPOSURE: (
        "Gets defensive or rattled when challenged.",
        "Stays polite but visibly strained under pressure.",
        "Calm with hostility; keeps the conversation on the fix.",
        "De-escalates hard conversations and recovers quickly afterwards.",
        "Steady in the worst moments and lifts the people around them.",
    ),
    Competency.JUDGEMENT: (
        "Breaks policy carelessly or hides behind it entirely.",
        "Follows rules literally, even when the outcome is poor.",
        "Uses their authority sensibly and escalates when it runs out.",
        "Weighs cost, customer and precedent; explains the decision well.",
        "Knows when to bend a rule, says why, and is right.",
    ),
}


class ItemType(enum.StrEnum):
    SINGLE = "single"
    MOST_LEAST = "most_least"

    @property
    def label(self) -> str:
        return (
            "Best response" if self is ItemType.SINGLE else "Most and least effective"
        )


#: Points an option may carry for one competency.
MIN_POINTS, MAX_POINTS = -5, 5
MOST_LEAST_OPTIONS = 4
MIN_ITEMS = 1
MAX_TIME_LIMIT_MINUTES = 240
_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
#: The longest assessment and item keys, option keys and titles (as stored).
MAX_KEY = 80
MAX_OPTION_KEY = 40
MAX_TITLE = 200


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    #: Points per competency; competencies not named score 0.
    points: Mapping[Competency, int] = field(default_factory=dict)

    def points_for(self, competency: Competency) -> int:
        return self.points.get(competency, 0)


@dataclass(frozen=True)
class Item:
    key: str
    type: ItemType
    situation: str
    question: str
    options: tuple[Option, ...]
    channel: str = ""
    theme: str = ""
    customer_says: str = ""

    def option(self, key: str | None) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class AssessmentSpec:
    """A whole assessment as authored, validated."""

    key: str
    title: str
    items: tuple[Item, ...]
    time_limit_minutes: int
    description: str = ""
    instructions: str = ""

    def item(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)


class AssessmentInvalid(ValueError):
    """An assessment file breaks the format; ``problems`` names each item and problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# --- reading and writing the format -----------------------------------------------------


def parse_assessment(text: str) -> AssessmentSpec:
    """Read an assessment from YAML text.

    :raises AssessmentInvalid: the YAML does not parse or breaks the format; every problem
        found is listed, each naming the item (by number and key) it concerns.
    """
    try:
        data = untrusted_yaml.load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        why = f": {e.problem}" if getattr(e, "problem", None) else ""
        raise AssessmentInvalid([f"The file is not valid YAML{where}{why}."]) from e
    return spec_from_data(data)


def spec_from_data(data: Any) -> AssessmentSpec:
    """Validate plain data (parsed YAML, or a stored copy) into an :class:`AssessmentSpec`.

    :raises AssessmentInvalid: with every problem found.
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise AssessmentInvalid(
            ["The file must be a mapping with 'key', 'title' and 'items'."]
        )
    _unknown_fields(
        data,
        {"key", "title", "description", "instructions", "time_limit_minutes", "items"},
        "The assessment",
        problems,
    )
    key = _text(data.get("key"), "The assessment's 'key'", problems)
    if key and not set(key) <= _KEY_CHARS:
        problems.append("The assessment's 'key' may use only a-z, 0-9, '-' and '_'.")
    elif len(key) > MAX_KEY:
        problems.append(f"The assessment's 'key' may be at most {MAX_KEY} characters.")
    title = _text(data.get("title"), "The assessment's 'title'", problems)
    if len(title) > MAX_TITLE:
        problems.append(
            f"The assessment's 'title' may be at most {MAX_TITLE} characters."
        )
    limit = data.get("time_limit_minutes")
    if (
        not isinstance(limit, int)
        or isinstance(limit, bool)
        or not (1 <= limit <= MAX_TIME_LIMIT_MINUTES)
    ):
        problems.append(
            f"'time_limit_minutes' must be a whole number from 1 to {MAX_TIME_LIMIT_MINUTES}."
        )
        limit = 0
    raw_items = data.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or len(raw_items) < MIN_ITEMS:
        problems.append("'items' must be a list with at least one item.")
        raw_items = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_items, start=1):
        item = _item(raw, number, problems)
        if item is None:
            continue
        if item.key in seen:
            problems.append(
                f"Item {number} ({item.key}): the key is used by another item."
            )
        seen.add(item.key)
        items.append(item)
    if items and not problems:
        for competency in COMPETENCIES:
            low, high = _test_bounds(items)[competency]
            if low == high:
                problems.append(
                    f"No item measures '{competency}': give some option points for it."
                )
    if problems:
        raise AssessmentInvalid(problems)
    return AssessmentSpec(
        key=key,
        title=title,
        items=tuple(items),
        time_limit_minutes=limit,
        description=_optional_text(data.get("description")),
        instructions=_optional_text(data.get("instructions")),
    )


def _item(raw: Any, number: int, problems: list[str]) -> Item | None:
    if not isinstance(raw, Mapping):
        problems.append(
            f"Item {number}: must be a mapping with 'key', 'type' and 'options'."
        )
        return None
    key = raw.get("key")
    name = (
        f"Item {number} ({key})" if isinstance(key, str) and key else f"Item {number}"
    )
    before = len(problems)
    _unknown_fields(
        raw,
        {
            "key",
            "type",
            "channel",
            "theme",
            "situation",
            "customer_says",
            "question",
            "options",
        },
        name,
        problems,
    )
    key = _text(key, f"{name}: 'key'", problems)
    if key and not set(key) <= _KEY_CHARS:
        problems.append(f"{name}: the key may use only a-z, 0-9, '-' and '_'.")
    elif len(key) > MAX_KEY:
        problems.append(f"{name}: the key may be at most {MAX_KEY} characters.")
    try:
        item_type = ItemType(raw.get("type"))
    except ValueError:
        problems.append(f"{name}: 'type' must be 'single' or 'most_least'.")
        item_type = None
    situation = _text(raw.get("situation"), f"{name}: 'situation'", problems)
    question = _text(raw.get("question"), f"{name}: 'question'", problems)
    raw_options = raw.get("options")
    options: list[Option] = []
    if not isinstance(raw_options, list):
        problems.append(f"{name}: 'options' must be a list.")
        raw_options = []
    for index, raw_option in enumerate(raw_options, start=1):
        option = _option(raw_option, f"{name}, option {index}", problems)
        if option is not None:
            options.append(option)
    keys = [o.key for o in options]
    if len(set(keys)) != len(keys):
        problems.append(f"{name}: two options share a key.")
    if item_type is ItemType.SINGLE and len(raw_options) < 2:
        problems.append(f"{name}: a 'single' item needs at least 2 options.")
    if item_type is ItemType.MOST_LEAST and len(raw_options) != MOST_LEAST_OPTIONS:
        problems.append(
            f"{name}: a 'most_least' item needs exactly {MOST_LEAST_OPTIONS} options "
            f"(it has {len(raw_options)})."
        )
    if (
        len(problems) == before
        and options
        and all(o.points == options[0].points for o in options)
    ):
        problems.append(
            f"{name}: every option carries the same points, so it measures nothing."
        )
    if len(problems) > before or item_type is None:
        return None
    return Item(
        key=key,
        type=item_type,
        situation=situation,
        question=question,
        options=tuple(options),
        channel=_optional_text(raw.get("channel")),
        theme=_optional_text(raw.get("theme")),
        customer_says=_optional_text(raw.get("customer_says")),
    )


def _option(raw: Any, name: str, problems: list[str]) -> Option | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{name}: must be a mapping with 'key', 'text' and 'points'.")
        return None
    before = len(problems)
    _unknown_fields(raw, {"key", "text", "points"}, name, problems)
    key = raw.get("key")
    key = key if isinstance(key, str) else str(key) if isinstance(key, int) else None
    key = _text(key, f"{name}: 'key'", problems)
    if len(key) > MAX_OPTION_KEY:
        problems.append(f"{name}: the key may be at most {MAX_OPTION_KEY} characters.")
    text = _text(raw.get("text"), f"{name}: 'text'", problems)
    raw_points = raw.get("points") or {}
    points: dict[Competency, int] = {}
    if not isinstance(raw_points, Mapping):
        problems.append(f"{name}: 'points' must map competencies to whole numbers.")
        raw_points = {}
    for competency_name, value in raw_points.items():
        try:
            competency = Competency(competency_name)
        except ValueError:
            problems.append(
                f"{name}: unknown competency '{competency_name}' "
                f"(use {', '.join(COMPETENCIES)})."
            )
            continue
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not (MIN_POINTS <= value <= MAX_POINTS)
        ):
            problems.append(
                f"{name}: points for '{competency}' must be a whole number "
                f"from {MIN_POINTS} to {MAX_POINTS}."
            )
            continue
        if value:
            points[competency] = value
    if len(problems) > before:
        return None
    return Option(
        key=key, text=text, points={c: points[c] for c in COMPETENCIES if c in points}
    )


def _text(value: Any, what: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{what} is missing or empty.")
        return ""
    return value.strip()


def _optional_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _unknown_fields(
    data: Mapping[str, Any], known: set[str], name: str, problems: list[str]
) -> None:
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        problems.append(
            f"{name}: unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}."
        )


def spec_to_data(spec: AssessmentSpec) -> dict[str, Any]:
    """The canonical plain-data form: what is stored, hashed and read back."""
    return {
        "key": spec.key,
        "title": spec.title,
        "description": spec.description,
        "instructions": spec.instructions,
        "time_limit_minutes": spec.time_limit_minutes,
        "items": [
            {
                "key": item.key,
                "type": str(item.type),
                "channel": item.channel,
                "theme": item.theme,
                "situation": item.situation,
                "customer_says": item.customer_says,
                "question": item.question,
                "options": [
                    {
                        "key": option.key,
                        "text": option.text,
                        "points": {str(c): v for c, v in option.points.items()},
                    }
                    for option in item.options
                ],
            }
            for item in spec.items
        ],
    }


def content_hash(spec: AssessmentSpec) -> str:
    """SHA-256 of the normalized content: comments, layout and key order do not count."""
    canonical = json.dumps(spec_to_data(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- answers and scores -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A candidate's answer to one item: ``best`` (the choice, or "most effective") and
    ``worst`` ("least effective", for most/least items only)."""

    best: str | None = None
    worst: str | None = None


def check_answer(item: Item, best: str | None, worst: str | None) -> str | None:
    """Why this answer cannot be saved for ``item``, or ``None`` when it can.

    A most/least answer may be half given (saved as the candidate clicks).
    """
    if best is not None and item.option(best) is None:
        return "That choice is not one of this question's options."
    if item.type is ItemType.SINGLE:
        if worst is not None:
            return "This question takes one choice."
        if best is None:
            return "Choose a response."
        return None
    if worst is not None and item.option(worst) is None:
        return "That choice is not one of this question's options."
    if best is None and worst is None:
        return "Choose the most and the least effective responses."
    if best is not None and best == worst:
        return "The most and the least effective responses must be different."
    return None


def is_complete(item: Item, answer: Answer | None) -> bool:
    """True when ``answer`` fully answers ``item``."""
    if answer is None or answer.best is None:
        return False
    return item.type is ItemType.SINGLE or answer.worst is not None


def item_bounds(item: Item) -> dict[Competency, tuple[int, int]]:
    """The lowest and highest raw points ``item`` can add, per competency."""
    bounds = {}
    for competency in COMPETENCIES:
        values = [o.points_for(competency) for o in item.options]
        low, high = min(values), max(values)
        if item.type is ItemType.MOST_LEAST:
            low, high = low - high, high - low
        bounds[competency] = (low, high)
    return bounds


def item_points(item: Item, answer: Answer | None) -> dict[Competency, int]:
    """Raw points ``answer`` earns on ``item``; missing choices count at their lowest."""
    answer = answer or Answer()
    best, worst = item.option(answer.best), item.option(answer.worst)
    points = {}
    for competency in COMPETENCIES:
        values = [o.points_for(competency) for o in item.options]
        gained = best.points_for(competency) if best else min(values)
        if item.type is ItemType.MOST_LEAST:
            gained -= worst.points_for(competency) if worst else max(values)
        points[competency] = gained
    return points


def _test_bounds(items: Iterable[Item]) -> dict[Competency, tuple[int, int]]:
    totals = dict.fromkeys(COMPETENCIES, (0, 0))
    for item in items:
        for competency, (low, high) in item_bounds(item).items():
            total_low, total_high = totals[competency]
            totals[competency] = (total_low + low, total_high + high)
    return totals


@dataclass(frozen=True)
class Scores:
    """A result: 0-100 per competency and their plain mean."""

    by_competency: Mapping[Competency, float]

    @property
    def overall(self) -> float:
        return round(sum(self.by_competency.values()) / len(self.by_competency), 1)


def score_answers(spec: AssessmentSpec, answers: Mapping[str, Answer]) -> Scores:
    """Score a candidate's answers: 0-100 per competency (one decimal).

    :param answers: by item key; items missing from it count as unanswered.
    """
    bounds = _test_bounds(spec.items)
    raw = dict.fromkeys(COMPETENCIES, 0)
    for item in spec.items:
        for competency, points in item_points(item, answers.get(item.key)).items():
            raw[competency] += points
    return Scores(
        {
            c: round(100 * (raw[c] - bounds[c][0]) / (bounds[c][1] - bounds[c][0]), 1)
            for c in COMPETENCIES
        }
    )


def check_weights(weights: Mapping[str, Any]) -> dict[str, str]:
    """Problems with an opening's competency weights, by competency (empty when fine).

    Weights are whole numbers from 0 to 10 and at least one must be above 0.
    """
    problems = {}
    for competency in COMPETENCIES:
        value = weights.get(competency, 0)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 0 <= value <= 10
        ):
            problems[str(competency)] = "Use a whole number from 0 to 10."
    if not problems and not any(weights.get(c, 0) for c in COMPETENCIES):
        problems[""] = "Give at least one competency a weight above 0."
    return problems


def weighted_total(
    scores: Mapping[Competency, float], weights: Mapping[Competency, int]
) -> float:
    """The competency scores averaged by ``weights`` (0-100, one decimal).

    :raises ValueError: every weight is 0.
    """
    total_weight = sum(weights.get(c, 0) for c in COMPETENCIES)
    if total_weight <= 0:
        raise ValueError("at least one weight must be above 0")
    value = sum(scores[c] * weights.get(c, 0) for c in COMPETENCIES) / total_weight
    return round(value, 1)


def percentile(value: float, population: Sequence[float]) -> float:
    """Percentile rank of ``value`` within ``population`` (which must be sorted).

    The share of results below ``value`` plus half of those equal to it, as 0-100 (the
    "mid-rank" definition: a lone result is at 50, the best of four at 87.5).

    :raises ValueError: the population is empty.
    """
    if not population:
        raise ValueError("no results to compare with")
    below = bisect.bisect_left(population, value)
    equal = bisect.bisect_right(population, value) - below
    return round(100 * (below + equal / 2) / len(population), 1)


def option_order(item: Item, seed: str) -> list[Option]:
    """The item's options in an order fixed for one invitation (``seed``), so that
    neighbours cannot share "the answer is the second one" and a reload keeps the order."""
    options = list(item.options)
    random.Random(f"{seed}:{item.key}").shuffle(options)  # noqa: S311 (not security)
    return options
