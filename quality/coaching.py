"""What a rep's reviews of a month say to coach: categories failed twice, and critical
failures that concern the rep's authority.

PURE: plain data in, plain data out; no Flask, no database.

- A rating **fails** when it is below half its scale (:data:`FAIL_SHARE`): "not met" on a
  binary category, 1 of 3, 1 or 2 of 5. The middle of a scale (2 of 3, 3 of 5) is not a
  fail; "not applicable" never is.
- A category failed in :data:`TIMES` or more of a rep's counted reviews of one month is a
  **coaching need**: the training scenarios whose ``coaches:`` list names the category's
  tag (:func:`coaching_tag`, ``qa:empathy``) are offered, as those tagged ``csat`` are for a
  rep under the CSAT threshold two months running. Categories are matched by key across
  rubrics (empathy on a call and in an e-mail is one skill).
- A **critical** category that ``concerns_authority`` in its rubric, rated at its lowest
  point (the fail that zeroes the review), suggests a supervisor review of the rep's
  grant: one is enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quality.rubrics import NOT_APPLICABLE, Category, Rubric

#: A rating below this share of its scale fails.
FAIL_SHARE = 0.5
#: Fails of one category in a rep's month that make it a coaching need.
TIMES = 2
#: Training scenarios name a category they coach as this prefix and its key.
TAG_PREFIX = "qa:"


def coaching_tag(key: str) -> str:
    """The tag a training scenario lists under ``coaches:`` for a rubric category."""
    return f"{TAG_PREFIX}{key}"


def is_failed(category: Category, rating: Any) -> bool:
    """Is ``rating`` a fail of ``category`` (below half its scale)? Not applicable, not
    rated and ratings off the scale are not fails."""
    if rating is None or rating == NOT_APPLICABLE or isinstance(rating, bool):
        return False
    if not isinstance(rating, int) or rating not in category.scale.points:
        return False
    return category.scale.share(rating) < FAIL_SHARE


def is_authority_fail(category: Category, rating: Any) -> bool:
    """A critical category concerning authority, rated at its lowest point."""
    return (
        category.critical
        and category.concerns_authority
        and not isinstance(rating, bool)
        and rating == category.scale.points[0]
    )


@dataclass(frozen=True)
class RatedReview:
    """A counted review of the month, as the rules need it."""

    review_id: int
    ticket: str
    rubric: Rubric
    ratings: Mapping[str, Any]


@dataclass(frozen=True)
class CategoryNeed:
    """A category failed often enough in the month to coach."""

    key: str
    label: str
    failures: int
    #: Of this many counted reviews that rated the category.
    rated: int

    @property
    def tag(self) -> str:
        return coaching_tag(self.key)

    @property
    def why(self) -> str:
        return f"failed in {self.failures} of {self.rated} reviews"


@dataclass(frozen=True)
class GrantFlag:
    """A review where the rep failed a critical category about their authority."""

    review_id: int
    ticket: str
    key: str
    label: str


def category_needs(
    reviews: Iterable[RatedReview], *, times: int = TIMES
) -> list[CategoryNeed]:
    """Categories failed in at least ``times`` of these reviews, the most failed first."""
    failures: dict[str, int] = {}
    rated: dict[str, int] = {}
    labels: dict[str, str] = {}
    for review in reviews:
        for category in review.rubric.categories:
            rating = review.ratings.get(category.key)
            if rating is None or rating == NOT_APPLICABLE:
                continue
            labels.setdefault(category.key, category.label)
            rated[category.key] = rated.get(category.key, 0) + 1
            if is_failed(category, rating):
                failures[category.key] = failures.get(category.key, 0) + 1
    needs = [
        CategoryNeed(key, labels[key], count, rated[key])
        for key, count in failures.items()
        if count >= times
    ]
    return sorted(needs, key=lambda n: (-n.failures, n.label))


def grant_flags(reviews: Iterable[RatedReview]) -> list[GrantFlag]:
    """Each failed critical category that concerns authority, in review order."""
    return [
        GrantFlag(review.review_id, review.ticket, category.key, category.label)
        for review in reviews
        for category in review.rubric.categories
        if is_authority_fail(category, review.ratings.get(category.key))
    ]


@dataclass(frozen=True)
class RepCoaching:
    """What one rep's month of reviews suggests."""

    rep_id: int
    needs: tuple[CategoryNeed, ...] = ()
    flags: tuple[GrantFlag, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.needs or self.flags)


def rep_coaching(rep_id: int, reviews: Sequence[RatedReview]) -> RepCoaching:
    return RepCoaching(
        rep_id, tuple(category_needs(reviews)), tuple(grant_flags(reviews))
    )
