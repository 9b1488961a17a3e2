"""Review rubrics: the YAML format, its validation with line numbers, and the scores.

PURE: plain data in, plain data out; no Flask, no database. A rubric judges the tickets of
one channel group (``live``: phone and chat, ``written``: e-mail and web, ``public``: social
and review sites). Its categories carry a weight, a rating scale (``binary``: failed or
met; ``1-3``; ``1-5``), whether "not applicable" may be chosen, and whether the category is
critical. See ``docs/quality.md`` for the format.

A review's score (:func:`score_review`): each rating as a share of its scale (the lowest
rating is 0, the highest 1), weighted by the category's weight, over the weights of the
categories that apply: "not applicable" drops a category's weight. A critical category
rated at the lowest point of its scale makes the whole review 0. A rep's month
(:func:`month_score`) is the mean of the month's counted reviews, with their number and a
small-sample warning, as CSAT has.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from core import untrusted_yaml


class ChannelGroup(enum.StrEnum):
    """The channel groups a rubric may judge (incentives groups channels the same way)."""

    LIVE = "live"
    WRITTEN = "written"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return {
            ChannelGroup.LIVE: "Phone and chat",
            ChannelGroup.WRITTEN: "E-mail and web",
            ChannelGroup.PUBLIC: "Social and reviews",
        }[self]


class Scale(enum.StrEnum):
    """How a category is rated."""

    BINARY = "binary"
    THREE = "1-3"
    FIVE = "1-5"

    @property
    def points(self) -> tuple[int, ...]:
        """The ratings allowed, lowest first (``binary``: 0 failed, 1 met)."""
        return {
            Scale.BINARY: (0, 1),
            Scale.THREE: (1, 2, 3),
            Scale.FIVE: (1, 2, 3, 4, 5),
        }[self]

    def share(self, rating: int) -> float:
        """A rating as a share of the scale: the lowest is 0, the highest 1."""
        low, high = self.points[0], self.points[-1]
        return (rating - low) / (high - low)

    def rating_label(self, rating: int) -> str:
        if self is Scale.BINARY:
            return "Met" if rating else "Not met"
        return f"{rating} of {self.points[-1]}"


#: The most categories a rubric may have, and the longest texts.
MAX_CATEGORIES = 20
MAX_NAME = 120
MAX_GUIDANCE = 1000
MAX_WEIGHT = 100
#: Fewer counted reviews than this in a month: the month's QA score is marked as a small
#: sample (as a rep's CSAT on few ratings is).
MIN_REVIEWS = 3

_TOP_KEYS = {"name", "channel_group", "description", "categories"}
_CATEGORY_KEYS = {
    "key",
    "label",
    "weight",
    "scale",
    "critical",
    "allow_na",
    "concerns_authority",
    "guidance",
}


@dataclass(frozen=True)
class Category:
    """One thing a review judges."""

    key: str
    label: str
    weight: int
    scale: Scale
    critical: bool = False
    allow_na: bool = False
    guidance: str = ""
    #: The rep's use of their authority (refunds, credits, exceptions) is judged here: a
    #: critical fail suggests a supervisor review of the rep's grant (quality.coaching).
    concerns_authority: bool = False


@dataclass(frozen=True)
class Rubric:
    """A rubric for one channel group, validated."""

    name: str
    channel_group: ChannelGroup
    categories: tuple[Category, ...]
    description: str = ""

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


class RubricInvalid(ValueError):
    """A rubric with problems: every one, each with its line when the YAML gave one."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


# --- reading ------------------------------------------------------------------------------


def parse_rubric_yaml(text: str) -> Rubric:
    """Read a rubric from YAML text, validating it completely.

    :raises RubricInvalid: not YAML, or every problem found, each starting with the line
        it is on (``line 7: categories[2].weight: ...``).
    :return: the rubric.
    """
    try:
        data = untrusted_yaml.load(text)  # never a crash: see core/untrusted_yaml.py
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        why = f" ({e.problem})" if getattr(e, "problem", None) else ""
        raise RubricInvalid([f"{where}this is not valid YAML{why}"]) from e
    lines = _line_map(text)
    problems = check_rubric(data)
    if problems:
        raise RubricInvalid(
            [_with_line(path, message, lines) for path, message in problems]
        )
    return rubric_from_data(data)


def rubric_from_data(data: Any) -> Rubric:
    """A rubric from loaded data (YAML or a stored definition).

    :raises RubricInvalid: every problem found, each naming its field.
    """
    problems = check_rubric(data)
    if problems:
        raise RubricInvalid(
            [_with_line(path, message, {}) for path, message in problems]
        )
    return Rubric(
        name=str(data["name"]).strip(),
        channel_group=ChannelGroup(data["channel_group"]),
        description=str(data.get("description") or "").strip(),
        categories=tuple(
            Category(
                key=str(c["key"]),
                label=str(c["label"]).strip(),
                weight=int(c["weight"]),
                scale=Scale(str(c["scale"])),
                critical=bool(c.get("critical", False)),
                allow_na=bool(c.get("allow_na", False)),
                guidance=str(c.get("guidance") or "").strip(),
                concerns_authority=bool(c.get("concerns_authority", False)),
            )
            for c in data["categories"]
        ),
    )


def rubric_to_data(rubric: Rubric) -> dict[str, Any]:
    """The rubric as plain data: what is stored, hashed and written out as YAML."""
    return {
        "name": rubric.name,
        "channel_group": rubric.channel_group.value,
        "description": rubric.description,
        "categories": [
            {
                "key": c.key,
                "label": c.label,
                "weight": c.weight,
                "scale": c.scale.value,
                "critical": c.critical,
                "allow_na": c.allow_na,
                "guidance": c.guidance,
                # Only when set, so rubrics without it keep their content hash.
                **({"concerns_authority": True} if c.concerns_authority else {}),
            }
            for c in rubric.categories
        ],
    }


def rubric_to_yaml(rubric: Rubric) -> str:
    """The rubric as YAML text, as the edit page shows it."""
    return yaml.safe_dump(rubric_to_data(rubric), sort_keys=False, allow_unicode=True)


def content_hash(rubric: Rubric) -> str:
    """SHA-256 of the rubric's data: the same content always gives the same hash."""
    blob = json.dumps(rubric_to_data(rubric), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_slug(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 40
        and value.replace("_", "").replace("-", "").isalnum()
        and value.isascii()
    )


def check_rubric(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Every problem of a rubric's data, as (path, message); empty when it is valid.

    A path is the keys and indexes leading to the value (``("categories", 2, "weight")``).
    """
    if not isinstance(data, Mapping):
        return [((), "a rubric is a set of fields (name, channel_group, categories)")]
    problems: list[tuple[tuple[Any, ...], str]] = []
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        problems.append(((unknown[0],), f"unknown field(s) {', '.join(unknown)}"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append((("name",), "required"))
    elif len(name.strip()) > MAX_NAME:
        problems.append((("name",), f"at most {MAX_NAME} characters"))
    group = data.get("channel_group")
    if not isinstance(group, str) or group not in set(ChannelGroup):
        problems.append(
            (("channel_group",), f"one of {', '.join(g.value for g in ChannelGroup)}")
        )
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append((("description",), "text, or leave it out"))
    categories = data.get("categories")
    if not isinstance(categories, list) or not categories:
        problems.append((("categories",), "list at least one category"))
        return problems
    if len(categories) > MAX_CATEGORIES:
        problems.append((("categories",), f"at most {MAX_CATEGORIES} categories"))
    seen: set[str] = set()
    for index, category in enumerate(categories):
        problems.extend(_check_category(index, category, seen))
    if not problems and not any(c.get("weight") for c in categories):
        problems.append((("categories",), "give at least one category a weight"))
    return problems


def _check_category(
    index: int, category: Any, seen: set[str]
) -> list[tuple[tuple[Any, ...], str]]:
    at = ("categories", index)
    if not isinstance(category, Mapping):
        return [(at, "a category is a set of fields (key, label, weight, scale)")]
    problems = []
    unknown = sorted(str(k) for k in category if k not in _CATEGORY_KEYS)
    if unknown:
        problems.append(((*at, unknown[0]), f"unknown field(s) {', '.join(unknown)}"))
    key = category.get("key")
    if not _is_slug(key):
        problems.append(((*at, "key"), "a short name of letters, digits, '-' or '_'"))
    elif key in seen:
        problems.append(((*at, "key"), f"'{key}' is used by another category"))
    else:
        seen.add(key)
    label = category.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(((*at, "label"), "required"))
    elif len(label.strip()) > MAX_NAME:
        problems.append(((*at, "label"), f"at most {MAX_NAME} characters"))
    weight = category.get("weight")
    if not _is_int(weight) or not 0 <= weight <= MAX_WEIGHT:
        problems.append(((*at, "weight"), f"a whole number from 0 to {MAX_WEIGHT}"))
    scale = category.get("scale")
    if not isinstance(scale, str) or scale not in set(Scale):
        problems.append(((*at, "scale"), "one of binary, 1-3, 1-5"))
    for flag in ("critical", "allow_na", "concerns_authority"):
        if flag in category and not isinstance(category[flag], bool):
            problems.append(((*at, flag), "true or false"))
    if (
        category.get("concerns_authority") is True
        and category.get("critical") is not True
    ):
        problems.append(
            (
                (*at, "concerns_authority"),
                "only on a critical category (its fail suggests a review of the "
                "rep's grant)",
            )
        )
    guidance = category.get("guidance")
    if guidance is not None and (
        not isinstance(guidance, str) or len(guidance) > MAX_GUIDANCE
    ):
        problems.append(
            ((*at, "guidance"), f"text of at most {MAX_GUIDANCE} characters")
        )
    return problems


def _path_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _with_line(
    path: tuple[Any, ...], message: str, lines: Mapping[tuple[Any, ...], int]
) -> str:
    """``line 7: categories[2].weight: message`` (categories counted from 1)."""
    line = None
    for cut in range(len(path), -1, -1):
        line = lines.get(path[:cut])
        if line is not None:
            break
    where = f"line {line}: " if line is not None else ""
    field = _path_text(path)
    return f"{where}{field}: {message}" if field else f"{where}{message}"


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """The line (from 1) each key and list item starts on, by path.

    Called only after ``untrusted_yaml.load`` accepted the text, so composing it again is
    bounded; aliases are not followed.
    """
    lines: dict[tuple[Any, ...], int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)

    def walk(node: yaml.Node, path: tuple[Any, ...], depth: int) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if depth > untrusted_yaml.MAX_DEPTH:
            return
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, key.value)
                lines[child] = key.start_mark.line + 1
                walk(value, child, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index), depth + 1)

    if root is not None:
        walk(root, (), 0)
    return lines


# --- scores -------------------------------------------------------------------------------

#: A rating left as "not applicable".
NOT_APPLICABLE = "na"


@dataclass(frozen=True)
class ReviewScore:
    """A review's score: 0-100 (``None`` when nothing applies), and why."""

    score: float | None
    critical_failed: tuple[str, ...] = ()
    #: The categories not rated yet (a review cannot be submitted with any).
    missing: tuple[str, ...] = ()
    #: Ratings that are not on the category's scale, or N/A where not allowed.
    invalid: tuple[str, ...] = ()


def rating_problems(rubric: Rubric, ratings: Mapping[str, Any]) -> dict[str, str]:
    """Ratings that cannot be kept, by category key: off the scale, N/A where it is not
    allowed, or a category the rubric does not have."""
    problems = {}
    for key, value in ratings.items():
        category = rubric.category(key)
        if category is None:
            problems[key] = "This rubric has no such category."
        elif value == NOT_APPLICABLE:
            if not category.allow_na:
                problems[key] = f"{category.label} cannot be marked not applicable."
        elif value is not None and (
            not _is_int(value) or value not in category.scale.points
        ):
            problems[key] = f"Rate {category.label} on its scale."
    return problems


def score_review(rubric: Rubric, ratings: Mapping[str, Any]) -> ReviewScore:
    """Score one review's ratings against ``rubric``.

    :param ratings: category key to a rating on its scale, ``"na"`` (not applicable), or
        ``None``/absent (not rated yet).
    :return: the weighted score over the categories that apply; 0 when a critical category
        is rated at its lowest; ``None`` when no weight applies; what is missing or invalid.
    """
    invalid = tuple(sorted(rating_problems(rubric, ratings)))
    missing = []
    failed = []
    earned = 0.0
    possible = 0
    for category in rubric.categories:
        value = ratings.get(category.key)
        if value is None:
            missing.append(category.key)
            continue
        if category.key in invalid or value == NOT_APPLICABLE:
            continue
        if category.critical and value == category.scale.points[0]:
            failed.append(category.key)
        earned += category.weight * category.scale.share(value)
        possible += category.weight
    if failed:
        score: float | None = 0.0
    elif possible:
        score = round(100 * earned / possible, 1)
    else:
        score = None
    return ReviewScore(score, tuple(failed), tuple(missing), invalid)


@dataclass(frozen=True)
class MonthScore:
    """A rep's QA score for a month: the mean of counted reviews' scores."""

    score: float | None
    reviews: int
    #: Fewer than :data:`MIN_REVIEWS` reviews: read the score with care.
    small_sample: bool

    @property
    def reviews_text(self) -> str:
        return f"{self.reviews} review" + ("" if self.reviews == 1 else "s")


def month_score(
    scores: Iterable[float | None], *, minimum: int = MIN_REVIEWS
) -> MonthScore:
    """A rep-month's QA score from its counted reviews' scores (``None``: nothing applied,
    not counted).

    :param minimum: fewer reviews than this is a small sample.
    """
    counted = [s for s in scores if s is not None]
    return month_score_of(sum(counted), len(counted), minimum=minimum)


def month_score_of(
    total: float, count: int, *, minimum: int = MIN_REVIEWS
) -> MonthScore:
    """A QA score from the sum of ``count`` counted reviews' scores (as a database sums
    them): their mean to one decimal."""
    if not count:
        return MonthScore(None, 0, True)
    return MonthScore(round(total / count, 1), count, count < minimum)
