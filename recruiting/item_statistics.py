"""How an assessment's items behave across results: option frequencies and discrimination.

PURE: plain data in, plain data out; no Flask, no database. The assessment page shows them
so that an author can spot an item that does not separate strong and weak candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recruiting.assessment import Answer, AssessmentSpec, Item, item_bounds, item_points

#: Below this many results, discrimination is not shown (it would be noise).
MIN_RESULTS_FOR_DISCRIMINATION = 20
#: Items separating high and low scorers less than this are worth a look.
WEAK_DISCRIMINATION = 0.2
UPPER_LOWER_SHARE = 0.27


@dataclass(frozen=True)
class OptionCount:
    key: str
    text: str
    #: How often chosen (as "most effective" for most/least items).
    chosen: int
    #: How often chosen as "least effective" (most/least items only).
    chosen_least: int = 0


@dataclass(frozen=True)
class ItemStatistics:
    """How an item behaves across results on one assessment version."""

    item_key: str
    results: int
    options: tuple[OptionCount, ...]
    #: Mean item score as a share of its range, 0-100; ``None`` without results.
    mean_percent: float | None
    #: Upper-lower 27% index, -1 to 1; ``None`` with too few results.
    discrimination: float | None

    @property
    def is_weak(self) -> bool:
        return (
            self.discrimination is not None
            and self.discrimination < WEAK_DISCRIMINATION
        )


def _item_total(item: Item, answer: Answer | None) -> int:
    return sum(item_points(item, answer).values())


def item_statistics(
    spec: AssessmentSpec, results: Sequence[Mapping[str, Answer]]
) -> list[ItemStatistics]:
    """Option frequencies and discrimination for every item of ``spec``.

    Discrimination is the upper-lower index: candidates are ranked by their score on the
    *other* items (so the item does not vote for itself); the mean item score of the top
    27% minus that of the bottom 27%, divided by the item's range. Near 1 the item
    separates strong and weak candidates well; near 0 or negative it does not.

    :param results: each submitted test's answers, by item key.
    """
    # An item has only a handful of possible answers: work out each one's total once.
    known: dict[tuple[str, str | None, str | None], int] = {}

    def total(item: Item, answer: Answer | None) -> int:
        key = (
            (item.key, answer.best, answer.worst) if answer else (item.key, None, None)
        )
        if key not in known:
            known[key] = _item_total(item, answer)
        return known[key]

    totals = [{i.key: total(i, r.get(i.key)) for i in spec.items} for r in results]
    grand = [sum(t.values()) for t in totals]
    group = max(1, round(len(results) * UPPER_LOWER_SHARE))
    stats = []
    for item in spec.items:
        bounds = item_bounds(item)
        low = sum(b[0] for b in bounds.values())
        span = sum(b[1] for b in bounds.values()) - low
        counts = {o.key: [0, 0] for o in item.options}
        for answers in results:
            answer = answers.get(item.key)
            if answer and answer.best in counts:
                counts[answer.best][0] += 1
            if answer and answer.worst in counts:
                counts[answer.worst][1] += 1
        own = [t[item.key] for t in totals]
        mean = None
        discrimination = None
        if results and span:
            mean = round(100 * (sum(own) / len(own) - low) / span, 1)
        if len(results) >= MIN_RESULTS_FOR_DISCRIMINATION and span:
            order = sorted(range(len(results)), key=lambda i: grand[i] - own[i])
            lower = [own[i] for i in order[:group]]
            upper = [own[i] for i in order[-group:]]
            discrimination = round((sum(upper) / group - sum(lower) / group) / span, 2)
        stats.append(
            ItemStatistics(
                item_key=item.key,
                results=len(results),
                options=tuple(
                    OptionCount(o.key, o.text, counts[o.key][0], counts[o.key][1])
                    for o in item.options
                ),
                mean_percent=mean,
                discrimination=discrimination,
            )
        )
    return stats
