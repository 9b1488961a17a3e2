"""The metrics a plan can reward: their labels, units, direction, where the month's
figures hold them, and how their values are written (``92%``, ``14 min``).

PURE: plain data; no Flask, no database. Plans (:mod:`incentives.scoring.plans`) are made
of these; pages, PDFs and plan words format values with :func:`format_metric`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Direction(enum.StrEnum):
    HIGHER = "higher"  # more is better (CSAT, timely rate...)
    LOWER = "lower"  # less is better (times, reopen rate)


@dataclass(frozen=True)
class MetricSpec:
    """A metric a plan can reward, in the units people read it in."""

    key: str
    label: str
    unit: str  # "%", "pts", "min", "h" or QA_UNIT
    direction: Direction
    #: The column of the month metrics it is read from.
    column: str
    #: Month metrics hold rates as fractions; plans and pages show percent.
    scale: float
    minimum: float
    maximum: float
    #: The tag training scenarios use in ``coaches:`` for this metric.
    coaching_tag: str
    help: str


#: The QA score's unit: a score out of 100, written plainly (``82.5``).
QA_UNIT = "0-100"

SCORED_METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec(
            "csat",
            "CSAT",
            "%",
            Direction.HIGHER,
            "csat_raw",
            100.0,
            0,
            100,
            "csat",
            "Satisfied ratings, as a Bayesian average with the organisation's mean.",
        ),
        MetricSpec(
            "timely_rate",
            "Solved in time",
            "%",
            Direction.HIGHER,
            "timely_rate",
            100.0,
            0,
            100,
            "timely_resolution",
            "Share of tickets solved within the SLA target for their channel.",
        ),
        MetricSpec(
            "first_response_median_min",
            "First reply",
            "min",
            Direction.LOWER,
            "first_response_median_min",
            1.0,
            0,
            60 * 24 * 30,
            "first_response",
            "Median minutes to the first reply.",
        ),
        MetricSpec(
            "resolution_median_h",
            "Resolution",
            "h",
            Direction.LOWER,
            "resolution_median_h",
            1.0,
            0,
            24 * 90,
            "resolution_time",
            "Median hours from creation to solve.",
        ),
        MetricSpec(
            "nps",
            "NPS",
            "pts",
            Direction.HIGHER,
            "nps",
            1.0,
            -100,
            100,
            "nps",
            "% promoters minus % detractors.",
        ),
        MetricSpec(
            "reopen_rate",
            "Reopened",
            "%",
            Direction.LOWER,
            "reopen_rate",
            100.0,
            0,
            100,
            "reopen_rate",
            "Share of solved tickets reopened.",
        ),
        MetricSpec(
            "review_followup_rate",
            "Reviews answered",
            "%",
            Direction.HIGHER,
            "review_followup_rate",
            100.0,
            0,
            100,
            "public_review_follow_up",
            "Public reviews answered within their first-reply target.",
        ),
        MetricSpec(
            "qa",
            "QA score",
            QA_UNIT,
            Direction.HIGHER,
            "qa_score",
            1.0,
            0,
            100,
            "qa",
            "The mean score of the month's counted quality reviews of your tickets.",
        ),
    )
}

#: Counts that may gate eligibility but never earn credit.
VOLUME_METRICS = frozenset(
    {"tickets_solved", "volume", "tickets", "rated", "nps_responses", "satisfied"}
)


def format_metric(unit: str, value: float | None) -> str:
    """A plan or metric value as people read it: ``92%``, ``+35``, ``14 min``, ``6.5 h``."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%" if not float(value).is_integer() else f"{value:.0f}%"
    if unit == "pts":
        return f"{value:+.0f}" if round(value) else "0"
    if unit == "min":
        return f"{value:.1f} min" if value < 10 else f"{value:.0f} min"
    if unit == "h":
        return f"{value:.1f} h"
    if unit == QA_UNIT:
        return f"{value:.1f}" if not float(value).is_integer() else f"{value:.0f}"
    return f"{value:g}"
