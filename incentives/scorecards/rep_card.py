"""The rep scorecard: a rep's month against the plan, with six months of trends.

PURE: no Flask, no database. ``incentives.scorecards.queries.rep_scorecard`` gathers the
inputs; the web page and the PDF render the :class:`RepCard` built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core import charts
from incentives.scorecards import next_steps
from incentives.scorecards.cards import (
    AuthorityHeld,
    CoachingOffer,
    DisputeCounts,
    IdeaCredit,
    QaTrend,
    TrainingFacts,
    final_payout,
    qa_text,
    qa_trend,
    score_chart,
    short_month,
    status_text,
)
from incentives.scorecards.next_steps import Needed, Pace, WhatIf, WhatIfChoice
from incentives.scoring import plans, rep_scores
from incentives.scoring.plans import Direction
from incentives.scoring.rep_scores import (
    MetricLine,
    MonthScores,
    Person,
    RepScore,
    missed_threshold_text,
)
from incentives.scoring.tables import money, score_text
from incentives.tickets import metrics
from voice.monthly import RepReports

#: A metric's six-month trend: the line, then its reference lines' names (in px).
SPARK_WIDTH, SPARK_LABELS = 138, 72
#: The score chart's width (px): narrow enough that its labels stay legible on a phone.
SCORE_WIDTH = 380


def _ordinal(n: int) -> str:
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


@dataclass(frozen=True)
class LineView:
    """One metric on a scorecard: against threshold and target, and what it adds."""

    metric: str
    label: str
    value: str
    raw: str
    threshold: str
    target: str
    stretch: str
    attainment: str
    weight: str
    contribution: str
    below: bool
    missing: bool
    note: str
    trend: Markup
    #: How a value worse than its threshold is marked ("below" or "over threshold").
    missed: str = "below threshold"
    #: The clock a duration was measured on ("business hours"); "" for other metrics.
    clock: str = ""


@dataclass(frozen=True)
class MonthRow:
    month: str
    label: str
    score: str
    payout: str
    eligible: bool
    closed: bool


@dataclass(frozen=True)
class RepCard:
    """Everything the rep scorecard shows, on the web and in print."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    month: str
    month_label: str
    is_closed: bool
    status: str
    plan_label: str
    currency: str
    has_score: bool
    score: float | None
    score_text: str
    eligible: bool
    reasons: tuple[str, ...]
    payout: Decimal
    payout_text: str
    payout_note: str
    target_bonus: str
    rank: str
    tickets_solved: int
    rated: int
    prior: str
    lines: tuple[LineView, ...]
    score_chart: Markup
    months: tuple[MonthRow, ...]
    authorities: tuple[AuthorityHeld, ...]
    training: TrainingFacts
    disputes: DisputeCounts
    coaching: tuple[CoachingOffer, ...]
    generated: str
    #: What to do next: the next tier in a sentence, and each metric's value for it.
    next_tier: str = ""
    needs: tuple[Needed, ...] = ()
    #: The month so far and its projection (an open month only).
    pace: Pace | None = None
    #: The metrics the web page's what-if can move, and the what-if asked for.
    what_if_choices: tuple[WhatIfChoice, ...] = ()
    what_if: WhatIf | None = None
    #: The rep's ideas adopted in the month: recognition only, never a score or pay.
    ideas_adopted: tuple[IdeaCredit, ...] = ()
    #: The problems the rep reported in the month and what became of them: recognition
    #: only, never part of the score or the payout.
    problem_reports: RepReports | None = None
    #: The QA score of the last six months (``None``: no review counted in any).
    qa: QaTrend | None = None


def _guides(line: MetricLine) -> list[charts.Guide]:
    """The trend's reference lines, each labelled with its name and value."""
    fmt = plans.format_metric
    guides: list[charts.Guide] = [
        (line.threshold, f"threshold {fmt(line.unit, line.threshold)}", "threshold"),
        (line.target, f"target {fmt(line.unit, line.target)}", "target"),
    ]
    if line.stretch is not None:
        guides.append(
            (line.stretch, f"stretch {fmt(line.unit, line.stretch)}", "stretch")
        )
    return guides


#: The scored metrics that are durations, and the column naming the clock of each.
DURATION_CLOCKS = {
    "first_response_median_min": "first_response_clock",
    "resolution_median_h": "resolution_clock",
}


def _line_view(
    line: MetricLine, history: Sequence[float | None], figures: Mapping[str, object]
) -> LineView:
    fmt = plans.format_metric
    values = [v for v in history if v is not None] + [line.threshold, line.target]
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 or 1.0
    spec = plans.SCORED_METRICS[line.metric]
    low, high = max(spec.minimum, low - pad), min(spec.maximum, high + pad)
    if line.direction is Direction.LOWER:
        low, high = high, low  # better is up on the trend, as for every other metric
    raw = ""
    if line.metric == "csat" and line.raw is not None:
        raw = f"{fmt('%', line.raw)} as rated"
    elif line.metric == "csat" and line.value is not None:
        raw = "no ratings: the organisation's mean"
    elif line.metric == "qa" and line.raw is not None:
        raw = qa_text(line.raw, int(figures.get("qa_reviews") or 0))  # type: ignore[call-overload]
    return LineView(
        metric=line.metric,
        label=line.label,
        value=fmt(line.unit, line.value),
        raw=raw,
        threshold=fmt(line.unit, line.threshold),
        target=fmt(line.unit, line.target),
        stretch=""
        if line.stretch is None
        else f"{fmt(line.unit, line.stretch)} → {line.cap:g}%",
        attainment="—" if line.attainment is None else f"{line.attainment * 100:.0f}%",
        weight=(
            f"{line.weight}"
            if line.value is None or abs(line.effective_weight - line.weight) < 0.05
            else f"{line.effective_weight:.1f}"
        ),
        contribution="—" if line.value is None else f"{line.contribution:.1f}",
        below=line.below_threshold,
        missed=missed_threshold_text(line.direction),
        missing=line.value is None,
        note=line.note,
        clock=metrics.clock_words(figures.get(DURATION_CLOCKS.get(line.metric, ""))),
        trend=charts.sparkline(
            list(history),
            minimum=low,
            maximum=high,
            guides=_guides(line),
            width=SPARK_WIDTH,
            label_width=SPARK_LABELS,
            label=f"{line.label}, six months",
        ),
    )


def _metric_history(
    metric: str, rep_id: int, history: Sequence[MonthScores]
) -> list[float | None]:
    values: list[float | None] = []
    for month in history:
        score = month.scores.get(rep_id)
        line = (
            next((ln for ln in score.lines if ln.metric == metric), None)
            if score
            else None
        )
        values.append(line.value if line is not None else None)
    return values


def _payout_note(score: RepScore | None, paid: Decimal, currency: str) -> str:
    """Why the payout is what it is; a payout other than the base says so."""
    if score is None:
        return ""
    if paid == score.payout:
        return score.payout_note
    return (
        f"Base payout {money(score.payout, currency)} ({score.payout_note.rstrip('.')}),"
        " prorated by working days and adjusted."
    )


def _of(
    finals: Mapping[str, Mapping[int, Decimal]] | None, month: str
) -> Mapping[int, Decimal] | None:
    return None if finals is None else finals.get(month, {})


def rep_card(
    rep_id: int,
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    person: Person | None = None,
    authorities: Sequence[AuthorityHeld] = (),
    training: TrainingFacts | None = None,
    disputes: DisputeCounts | None = None,
    coaching: Sequence[CoachingOffer] = (),
    finals: Mapping[str, Mapping[int, Decimal]] | None = None,
    generated_at: dt.datetime,
    what_if: tuple[str, str] | None = None,
    ideas_adopted: Sequence[IdeaCredit] = (),
    problem_reports: RepReports | None = None,
) -> RepCard:
    """A rep's scorecard for the last month of ``history`` (oldest first).

    :param person: who the rep is, when the month has no score for them.
    :param finals: month -> rep id -> final payout (``payout_queries.finals_of``): the
        payout shown, as on the payouts page.
    :param what_if: (metric, value as typed) to re-score the month with, the other
        metrics held (:func:`next_steps.what_if`).
    :param ideas_adopted: the rep's ideas adopted in the month, shown as recognition;
        they change no score and no payout.
    :param problem_reports: the problems the rep reported in the month
        (``voice.queries.reports_of_month``); shown, never scored.
    """
    current = history[-1]
    score = current.scores.get(rep_id)
    person = current.people.get(rep_id, person)
    if person is None:
        raise ValueError(f"rep {rep_id} is not in {current.month}")
    plan = current.plan
    currency = plan.currency if plan else ""
    if score is not None:
        rank_map = rep_scores.rank(current.team_scores(person.team_id))
        scored_in_team = sum(
            1 for v in current.team_scores(person.team_id).values() if v is not None
        )
        rank = (
            f"{_ordinal(rank_map[rep_id])} of {scored_in_team} in "
            f"{person.team_name or 'no team'}"
            if rep_id in rank_map
            else "—"
        )
        figures = current.metrics.get(rep_id, {})
        lines = tuple(
            _line_view(line, _metric_history(line.metric, rep_id, history), figures)
            for line in score.lines
        )
    else:
        rank, lines = "—", ()
    prior = ""
    if plan is not None and current.org_csat is not None:
        prior = (
            f"CSAT is blended with the organisation's {current.org_csat * 100:.1f}% "
            f"as if {plan.csat_prior_strength:g} more ratings"
        )
    paid = final_payout(score, _of(finals, current.month)) if score else Decimal("0.00")
    own_plan = current.plan_for_team(person.team_id)[2]
    headline, needs, pace = "", (), None
    if score is not None and own_plan is not None:
        headline, needs = next_steps.next_tier_needs(score, own_plan)
        if not current.is_closed:
            pace = next_steps.pace(
                score, own_plan, current.month, generated_at.astimezone(tz).date()
            )
    points = []
    rows = []
    for month in history:
        s = month.scores.get(rep_id)
        points.append((short_month(month.month), s.score if s else None))
        rows.append(
            MonthRow(
                month.month,
                metrics.month_label(month.month),
                score_text(s.score) if s else "—",
                money(final_payout(s, _of(finals, month.month)), month.currency)
                if s and s.score is not None
                else "—",
                bool(s and s.eligible),
                month.is_closed,
            )
        )
    return RepCard(
        problem_reports=problem_reports,
        rep_id=rep_id,
        name=person.name,
        email=person.email,
        team_id=person.team_id,
        team_name=person.team_name or "No team",
        month=current.month,
        month_label=metrics.month_label(current.month),
        is_closed=current.is_closed,
        status=status_text(current, tz),
        plan_label=current.plan_label_for(rep_id) or "No plan in force",
        currency=currency,
        has_score=score is not None,
        score=score.score if score else None,
        score_text=score_text(score.score) if score else "—",
        eligible=bool(score and score.eligible),
        reasons=score.reasons if score else ("No plan in force for this month.",),
        payout=paid,
        payout_text=money(paid, currency) if score else "—",
        payout_note=_payout_note(score, paid, currency),
        target_bonus=money(score.target_bonus, currency) if score else "—",
        rank=rank,
        tickets_solved=score.tickets_solved if score else 0,
        rated=score.rated if score else 0,
        prior=prior,
        lines=lines,
        score_chart=score_chart(
            points, own_plan, f"{person.name}'s score by month", width=SCORE_WIDTH
        ),
        months=tuple(rows),
        authorities=tuple(authorities),
        training=training or TrainingFacts(),
        disputes=disputes or DisputeCounts(),
        coaching=tuple(coaching),
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
        next_tier=headline,
        needs=needs,
        pace=pace,
        what_if_choices=next_steps.choices(score),
        what_if=None
        if what_if is None
        else next_steps.what_if(score, own_plan, *what_if),
        ideas_adopted=tuple(ideas_adopted),
        qa=qa_trend(
            [(m.month, m.metrics.get(rep_id)) for m in history],
            f"{person.name}'s QA score, six months",
            compact=True,
        ),
    )
