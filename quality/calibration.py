"""Calibration: several reviewers score the same tickets blind, then compare.

PURE: plain data in, plain data out; no Flask, no database.

A session names a rubric version, its tickets and its reviewers (two or more). While it is
**open**, each reviewer sees only their own ratings: no page, CSV, dashboard or audit entry
shows anyone another reviewer's ratings (:func:`may_see_rating`). Once the session is
**closed**, everyone who may open it sees every submitted rating, the spread per ticket
and category (:func:`grid`), the agreement (:func:`agreement`: Krippendorff's alpha, with
the ``krippendorff`` package) and each reviewer's drift from the group (:func:`drift`).

Calibration ratings are kept apart from reviews: they never count in a rep's QA score and
the rep never sees them.

Ratings come as ``{reviewer_id: {ticket_id: {category_key: rating}}}``, each rating on its
category's scale or ``"na"``; only submitted ratings are given to these functions.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np

from quality.rubrics import NOT_APPLICABLE, Category, Rubric, Scale

#: Reviewers a session needs at least, and may have at most; tickets at most.
MIN_REVIEWERS = 2
MAX_REVIEWERS = 12
MAX_TICKETS = 30
#: A spread of at least this share of the scale is marked as a disagreement.
WIDE_SPREAD = 0.5

Ratings = Mapping[int, Mapping[int, Mapping[str, Any]]]


class SessionState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {SessionState.OPEN: "Open", SessionState.CLOSED: "Closed"}[self]


# --- who sees and does what ---------------------------------------------------------------


def may_see_rating(state: SessionState, viewer_id: int, reviewer_id: int) -> bool:
    """May ``viewer_id`` see a rating ``reviewer_id`` gave in a session in ``state``?

    The blind rule: one's own ratings always; anyone else's only once the session is
    closed (not when the viewer has submitted all of theirs: a late reviewer's ratings
    would then still be open to change after seeing the others').
    """
    return viewer_id == reviewer_id or state is SessionState.CLOSED


def setup_problems(
    *, reviewer_ids: Sequence[int], ticket_ids: Sequence[int]
) -> dict[str, str]:
    """What is wrong with a new session's reviewers and tickets, by field."""
    problems = {}
    reviewers = set(reviewer_ids)
    if len(reviewers) < MIN_REVIEWERS:
        problems["reviewers"] = f"Choose at least {MIN_REVIEWERS} reviewers."
    elif len(reviewers) > MAX_REVIEWERS:
        problems["reviewers"] = f"Choose at most {MAX_REVIEWERS} reviewers."
    if not ticket_ids:
        problems["tickets"] = "Choose at least one ticket."
    elif len(set(ticket_ids)) > MAX_TICKETS:
        problems["tickets"] = f"At most {MAX_TICKETS} tickets in a session."
    return problems


def rate_problem(
    state: SessionState, *, reviewer_ids: Iterable[int], user_id: int, submitted: bool
) -> str | None:
    """Why ``user_id`` may not change their rating of a ticket now, or ``None``."""
    if user_id not in set(reviewer_ids):
        return "Only the session's reviewers score its tickets."
    if state is SessionState.CLOSED:
        return "This calibration session is closed."
    if submitted:
        return "You have submitted this ticket's ratings; they are final."
    return None


def close_problem(
    state: SessionState, *, user_id: int, creator_id: int | None, is_admin: bool
) -> str | None:
    """Why ``user_id`` may not close the session, or ``None``."""
    if user_id != creator_id and not is_admin:
        return "Only the session's creator or an admin closes it."
    if state is SessionState.CLOSED:
        return "This calibration session is closed already."
    return None


def pick_random(ticket_ids: Sequence[int], count: int, *, seed: str) -> list[int]:
    """``count`` of ``ticket_ids`` at random (the same seed picks the same), in id order."""
    pool = sorted(set(ticket_ids))
    if count >= len(pool):
        return pool
    return sorted(random.Random(seed).sample(pool, count))  # noqa: S311 (not secret)


# --- agreement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Krippendorff's alpha for a category (or all of them), or why there is none."""

    alpha: float | None
    #: ``nominal`` or ``ordinal``.
    level: str
    #: Units (tickets, or ticket-categories overall) rated by at least two reviewers.
    units: int
    #: Why there is no alpha: ``None`` when there is one.
    reason: str | None = None

    @property
    def text(self) -> str:
        if self.alpha is None:
            return "not enough ratings"
        return f"{self.alpha:.3f}"

    @property
    def reading(self) -> str:
        """Krippendorff's own guide: 0.8 reliable, 0.667 the least for tentative use."""
        if self.alpha is None:
            return self.reason or "not enough ratings"
        if self.alpha >= 0.8:
            return "good agreement"
        if self.alpha >= 0.667:
            return "tentative agreement"
        return "low agreement"


def level_of(scale: Scale) -> str:
    """Nominal for met / not met, ordinal for 1-3 and 1-5."""
    return "nominal" if scale is Scale.BINARY else "ordinal"


def alpha(
    data: Sequence[Sequence[float | None]],
    *,
    level: str,
    domain: Sequence[float] | None = None,
) -> Agreement:
    """Krippendorff's alpha of reliability data: one row per reviewer, one column per
    unit, ``None`` where a reviewer gave no rating.

    "Not enough ratings" when no unit has two ratings or every paired rating is the same
    (alpha is undefined without variation).
    """
    columns = list(zip(*data, strict=True)) if data else []
    paired = [[v for v in column if v is not None] for column in columns]
    paired = [values for values in paired if len(values) >= 2]
    if not paired:
        return Agreement(None, level, 0, "fewer than 2 reviewers rated any ticket")
    if len({v for values in paired for v in values}) < 2:
        return Agreement(
            None, level, len(paired), "every reviewer gave the same rating"
        )
    matrix = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in data], dtype=float
    )
    value = krippendorff.alpha(
        reliability_data=matrix,
        level_of_measurement=level,
        value_domain=sorted(domain) if domain is not None else None,
    )
    if math.isnan(value):
        return Agreement(None, level, len(paired), "not enough variation")
    return Agreement(round(float(value), 4), level, len(paired))


def _value(category: Category, rating: Any) -> int | None:
    if rating is None or rating == NOT_APPLICABLE:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int):
        return None
    return rating if rating in category.scale.points else None


@dataclass(frozen=True)
class SessionAgreement:
    by_category: dict[str, Agreement]
    overall: Agreement


def agreement(
    rubric: Rubric,
    ratings: Ratings,
    *,
    ticket_ids: Sequence[int],
    reviewer_ids: Sequence[int],
) -> SessionAgreement:
    """Alpha per category (nominal for binary, ordinal for 1-3 and 1-5, the scale's
    points as the values) and overall: every ticket's category a unit, each rating as a
    share of its scale, ordinal. "Not applicable" is no rating."""
    by_category = {}
    overall_rows: list[list[float | None]] = [[] for _ in reviewer_ids]
    domain: set[float] = set()
    for category in rubric.categories:
        rows = []
        for index, reviewer in enumerate(reviewer_ids):
            given = ratings.get(reviewer, {})
            row = [
                _value(category, given.get(ticket, {}).get(category.key))
                for ticket in ticket_ids
            ]
            rows.append(row)
            shares = [None if v is None else category.scale.share(v) for v in row]
            overall_rows[index].extend(shares)
        domain.update(category.scale.share(p) for p in category.scale.points)
        by_category[category.key] = alpha(
            rows, level=level_of(category.scale), domain=category.scale.points
        )
    overall = alpha(overall_rows, level="ordinal", domain=sorted(domain))
    return SessionAgreement(by_category, overall)


# --- the grid -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    ticket_id: int
    #: Each reviewer's rating, in the order of the reviewers (``None``: not rated).
    cells: tuple[Any, ...]
    #: Highest minus lowest rating, as a share of the scale; ``None`` under 2 ratings.
    spread: float | None

    @property
    def wide(self) -> bool:
        return self.spread is not None and self.spread >= WIDE_SPREAD


def grid(
    category: Category,
    ratings: Ratings,
    *,
    ticket_ids: Sequence[int],
    reviewer_ids: Sequence[int],
) -> list[GridRow]:
    """One category's ratings: a row per ticket, a cell per reviewer, with the spread."""
    rows = []
    for ticket in ticket_ids:
        cells = tuple(
            ratings.get(reviewer, {}).get(ticket, {}).get(category.key)
            for reviewer in reviewer_ids
        )
        values = [v for v in (_value(category, c) for c in cells) if v is not None]
        spread = (
            category.scale.share(max(values)) - category.scale.share(min(values))
            if len(values) >= 2
            else None
        )
        rows.append(
            GridRow(ticket, cells, None if spread is None else round(spread, 4))
        )
    return rows


# --- drift --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A reviewer's ratings against the group's in one session, as shares of the scale
    (+0.25: a quarter of the scale more generous than the group)."""

    by_category: dict[str, float | None]

    @property
    def overall(self) -> float | None:
        """The mean of the categories' drifts (those with one)."""
        values = [v for v in self.by_category.values() if v is not None]
        return round(sum(values) / len(values), 4) if values else None


def drift(rubric: Rubric, ratings: Ratings, reviewer_id: int) -> Drift:
    """Per category: the reviewer's mean rating minus the group's mean (every reviewer,
    the reviewer too) on the tickets the reviewer rated, as a share of the scale.

    ``None`` for a category the reviewer did not rate, or no one else rated alongside.
    """
    own = ratings.get(reviewer_id, {})
    found: dict[str, float | None] = {}
    for category in rubric.categories:
        mine: list[float] = []
        group: list[float] = []
        others = 0
        for ticket, given in own.items():
            value = _value(category, given.get(category.key))
            if value is None:
                continue
            mine.append(category.scale.share(value))
            for reviewer, theirs in ratings.items():
                other = _value(category, theirs.get(ticket, {}).get(category.key))
                if other is None:
                    continue
                group.append(category.scale.share(other))
                others += reviewer != reviewer_id
        if not mine or not others:
            found[category.key] = None
        else:
            found[category.key] = round(
                sum(mine) / len(mine) - sum(group) / len(group), 4
            )
    return Drift(found)


def drift_text(value: float | None) -> str:
    """A drift as signed points of the scale: ``+12%``, ``-5%``, ``0%``, ``—``."""
    if value is None:
        return "—"
    percent = round(value * 100)
    return f"{percent:+d}%" if percent else "0%"
