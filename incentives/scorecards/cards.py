"""What every scorecard shares: the facts gathered from training and disputes, month and
status texts, the score chart, score summaries and their distribution.

PURE: no Flask, no database. ``incentives.scorecards.queries`` gathers the month's scores
(:class:`~incentives.scoring.rep_scores.MonthScores`) and the facts from training and
recruiting into the plain inputs below; the builders (:mod:`.rep_card`, :mod:`.team_card`,
:mod:`.leadership`) turn them into ready-to-show contexts (texts formatted, charts drawn by
``core.charts``). The web page and the PDF of a scorecard render the **same** context with
the same partial template, so they cannot disagree.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core import charts
from incentives.scoring.plans import Plan
from incentives.scoring.rep_scores import MonthScores, RepScore
from incentives.scoring.tables import money, score_text
from incentives.tickets import metrics

# --- the inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityHeld:
    name: str
    limit: str
    until: str


@dataclass(frozen=True)
class TrainingFacts:
    """What a rep has done in training: scenarios passed, work open and overdue."""

    passed: tuple[tuple[str, str], ...] = ()  # (title, passed on), newest first
    passed_in_month: int = 0
    open_assignments: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class IdeaCredit:
    """An idea of the rep's adopted in the month: recognition, never pay."""

    title: str
    adopted_on: str


@dataclass(frozen=True)
class DisputeCounts:
    open: int = 0
    accepted: int = 0
    declined: int = 0

    @property
    def total(self) -> int:
        return self.open + self.accepted + self.declined


@dataclass(frozen=True)
class ScenarioOffer:
    key: str
    title: str
    #: Already assigned and not yet done.
    assigned: bool = False


@dataclass(frozen=True)
class CoachingOffer:
    """A metric a rep was under threshold on two months running, and what coaches it."""

    metric: str
    label: str
    scenarios: tuple[ScenarioOffer, ...]


@dataclass(frozen=True)
class CoverageRow:
    """An authority, how many active reps hold it, of how many."""

    name: str
    holders: int
    reps: int


# --- formatting ---------------------------------------------------------------------------


def short_month(month: str) -> str:
    """``2025-03`` as ``Mar 25``."""
    label = metrics.month_label(month)
    name, year = label.split(" ")
    return f"{name[:3]} {year[2:]}"


def status_text(scores: MonthScores, tz: ZoneInfo) -> str:
    if scores.close is not None:
        return f"{scores.close.label}: final figures"
    return "Open: figures may still change until the month is closed"


# --- charts and summaries -----------------------------------------------------------------


def score_chart(
    points: Sequence[tuple[str, float | None]],
    plan: Plan | None,
    label: str,
    *,
    values: bool = True,
    width: int = 520,
) -> Markup:
    """Scores over months, with the plan's first and full-pay tiers as guides.

    :param values: write each score above its point, with axis values.
    :param width: in px; narrower charts scale up on a phone, their labels with them.
    """
    guides: list[charts.Guide] = []
    if plan is not None and plan.tiers:
        first = plan.tiers[0]
        guides.append((first.min_score, f"Pays from {first.min_score:g}", "threshold"))
        full = next(
            (
                t
                for t in plan.tiers
                if (t.percent is not None and t.percent >= 100) and t is not first
            ),
            None,
        )
        if full is not None:
            guides.append((full.min_score, f"Full at {full.min_score:g}", "target"))
    scored = [v for _m, v in points if v is not None]
    top = max([100.0, *scored, *(g[0] for g in guides)])
    return charts.line_chart(
        points,
        minimum=0,
        maximum=top + (10 if top > 100 else 0),
        guides=guides,
        label=label,
        value_format="{:.0f}",
        ticks=2 if values else 0,
        values=values,
        width=width,
    )


@dataclass(frozen=True)
class Summary:
    scored: int
    eligible: int
    average: str
    median: str
    payout: str
    reps: int


def summarise(
    scores: Sequence[RepScore],
    currency: str,
    finals: Mapping[int, Decimal] | None = None,
) -> Summary:
    """Scored, eligible, average, median and payouts of some reps' month."""
    return summary_of(scores, currency, len(scores), finals)


def final_payout(score: RepScore, finals: Mapping[int, Decimal] | None) -> Decimal:
    """A rep's final payout (``finals``: rep id -> final payout of the month, as
    ``payout_queries.payouts_of`` works it out). Without ``finals``, the score's payout
    for a whole month with no adjustment."""
    if finals is None:
        return score.payout
    return finals.get(score.rep_id, Decimal("0.00"))


def summary_of(
    scores: Sequence[RepScore],
    currency: str,
    reps: int,
    finals: Mapping[int, Decimal] | None = None,
) -> Summary:
    values = [s.score for s in scores if s.score is not None]
    return Summary(
        scored=len(values),
        eligible=sum(1 for s in scores if s.eligible),
        average=score_text(statistics.fmean(values)) if values else "—",
        median=score_text(statistics.median(values)) if values else "—",
        payout=money(
            sum((final_payout(s, finals) for s in scores), Decimal("0.00")), currency
        ),
        reps=reps,
    )


BINS = [(0, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 100)]


def distribution(values: Sequence[float], label: str) -> Markup:
    """How many scores fall in each band (under 40, 40s ... 90s, 100 and above)."""
    bins = []
    for low, high in BINS:
        name = f"<{high}" if low == 0 else f"{low}s"
        bins.append((name, float(sum(1 for v in values if low <= v < high))))
    bins.append(("100+", float(sum(1 for v in values if v >= 100))))
    return charts.histogram(bins, width=300, height=130, label=label)


def average_score(month: MonthScores, rep_ids: set[int] | None) -> float | None:
    values = [
        s.score
        for rep_id, s in month.scores.items()
        if s.score is not None and (rep_ids is None or rep_id in rep_ids)
    ]
    return statistics.fmean(values) if values else None


def team_members(month: MonthScores, team_id: int) -> set[int]:
    return {r for r, p in month.people.items() if p.team_id == team_id}


@dataclass(frozen=True)
class QaTrend:
    """A QA score over months (a rep's or a team's), from the month figures."""

    #: The last month's score and reviews ("82.5 on 4 reviews"), or "No reviews counted".
    now: str
    chart: Markup


def qa_text(score: float | None, reviews: int) -> str:
    if score is None or not reviews:
        return "No reviews counted"
    counted = "1 review" if reviews == 1 else f"{reviews:,} reviews"
    return f"{score:.1f} on {counted}"


def qa_trend(
    points: Sequence[tuple[str, Mapping[str, object] | None]],
    label: str,
    *,
    compact: bool = False,
) -> QaTrend | None:
    """The QA score by month (``points``: month, figures holding ``qa_score`` and
    ``qa_reviews``); ``None`` when no month has a score.

    :param compact: a small trend line (beside the months on a rep's scorecard) rather
        than a chart with the months named.
    """
    values = [(m, _qa_of(f)[0]) for m, f in points]
    if all(v is None for _m, v in values):
        return None
    score, reviews = _qa_of(points[-1][1])
    if compact:
        chart = charts.sparkline(
            [v for _m, v in values],
            minimum=0,
            maximum=100,
            guides=[(100.0, "100", "target"), (50.0, "50", "threshold")],
            width=210,
            height=40,
            label=label,
            label_width=24,
        )
    else:
        chart = charts.line_chart(
            [(short_month(m), v) for m, v in values],
            minimum=0,
            maximum=100,
            label=label,
            value_format="{:.0f}",
            ticks=2,
            height=110,
        )
    return QaTrend(qa_text(score, reviews), chart)


def _qa_of(figures: Mapping[str, object] | None) -> tuple[float | None, int]:
    if not figures:
        return None, 0
    score, reviews = figures.get("qa_score"), figures.get("qa_reviews")
    if score is None or (isinstance(score, float) and score != score):
        return None, int(reviews or 0)  # type: ignore[call-overload]
    return float(score), int(reviews or 0)  # type: ignore[arg-type, call-overload]
