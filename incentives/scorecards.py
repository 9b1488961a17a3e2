"""Scorecards: the rep scorecard, the team scorecard and the leadership pack, as plain data.

PURE: no Flask, no database. ``scorecard_queries`` gathers the month's scores and the facts
from training and recruiting into the plain inputs below; the builders here turn them into
ready-to-show contexts (texts formatted, charts drawn by ``core.charts``). The web page and
the PDF of a scorecard render the **same** context with the same partial template, so they
cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core import charts
from incentives import metrics, plans
from incentives.plans import Direction, MetricLine, Plan, RepScore
from incentives.validity import Validity

# --- the inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A scored rep as the month knew them (names at close for a closed month)."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    is_active: bool = True


@dataclass(frozen=True)
class CloseInfo:
    """A month's close, as pages mention it."""

    id: int
    closed_at: dt.datetime
    closed_by: str
    note: str
    ticket_fingerprint: str
    ticket_count: int
    open_disputes: int


@dataclass
class MonthScores:
    """Every rep's score for a month and where it came from. Never changed once built:
    workers share it."""

    month: str
    close: CloseInfo | None
    plan_version_id: int | None
    plan_label: str
    plan: Plan | None
    org_csat: float | None
    scores: dict[int, RepScore] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    #: rep id -> month metrics (``metrics.METRIC_COLUMNS``; None for no value).
    metrics: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The organisation's month metrics, and each team's by id (with ``team_name``).
    organisation: dict[str, Any] = field(default_factory=dict)
    teams: dict[int, dict[str, Any]] = field(default_factory=dict)
    ticket_count: int = 0

    @property
    def is_closed(self) -> bool:
        return self.close is not None

    @property
    def currency(self) -> str:
        return self.plan.currency if self.plan else ""

    def team_scores(self, team_id: int | None) -> dict[int, float | None]:
        return {
            rep_id: score.score
            for rep_id, score in self.scores.items()
            if self.people[rep_id].team_id == team_id
        }

    def scored(self) -> list[float]:
        return [s.score for s in self.scores.values() if s.score is not None]


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


def money(amount: Decimal | float | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f} {currency}".strip()


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.1f}"


def short_month(month: str) -> str:
    """``2025-03`` as ``Mar 25``."""
    label = metrics.month_label(month)
    name, year = label.split(" ")
    return f"{name[:3]} {year[2:]}"


def _date(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else value.astimezone(tz).strftime("%d %b %Y")


def _ordinal(n: int) -> str:
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def status_text(scores: MonthScores, tz: ZoneInfo) -> str:
    if scores.close is not None:
        return (
            f"Closed {_date(scores.close.closed_at, tz)} by {scores.close.closed_by}: "
            "final figures"
        )
    return "Open: figures may still change until the month is closed"


# --- the rep scorecard --------------------------------------------------------------------


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


def _guides(line: MetricLine) -> list[charts.Guide]:
    guides: list[charts.Guide] = [
        (line.threshold, "Threshold", "threshold"),
        (line.target, "Target", "target"),
    ]
    if line.stretch is not None:
        guides.append((line.stretch, "Stretch", "stretch"))
    return guides


def _line_view(line: MetricLine, history: Sequence[float | None]) -> LineView:
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
        missing=line.value is None,
        note=line.note,
        trend=charts.sparkline(
            list(history),
            minimum=low,
            maximum=high,
            guides=_guides(line),
            width=80,
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


def score_chart(
    points: Sequence[tuple[str, float | None]],
    plan: Plan | None,
    label: str,
    *,
    values: bool = True,
) -> Markup:
    """Scores over months, with the plan's first and full-pay tiers as guides.

    :param values: write each score above its point (the rep scorecard lists them in a
        table beside the chart instead).
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
    )


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
    generated_at: dt.datetime,
) -> RepCard:
    """A rep's scorecard for the last month of ``history`` (oldest first).

    :param person: who the rep is, when the month has no score for them.
    """
    current = history[-1]
    score = current.scores.get(rep_id)
    person = current.people.get(rep_id, person)
    if person is None:
        raise ValueError(f"rep {rep_id} is not in {current.month}")
    plan = current.plan
    currency = plan.currency if plan else ""
    if score is not None:
        rank_map = plans.rank(current.team_scores(person.team_id))
        scored_in_team = sum(
            1 for v in current.team_scores(person.team_id).values() if v is not None
        )
        rank = (
            f"{_ordinal(rank_map[rep_id])} of {scored_in_team} in "
            f"{person.team_name or 'no team'}"
            if rep_id in rank_map
            else "—"
        )
        lines = tuple(
            _line_view(line, _metric_history(line.metric, rep_id, history))
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
                money(s.payout, month.currency) if s and s.score is not None else "—",
                bool(s and s.eligible),
                month.is_closed,
            )
        )
    return RepCard(
        rep_id=rep_id,
        name=person.name,
        email=person.email,
        team_id=person.team_id,
        team_name=person.team_name or "No team",
        month=current.month,
        month_label=metrics.month_label(current.month),
        is_closed=current.is_closed,
        status=status_text(current, tz),
        plan_label=current.plan_label or "No plan in force",
        currency=currency,
        has_score=score is not None,
        score=score.score if score else None,
        score_text=score_text(score.score) if score else "—",
        eligible=bool(score and score.eligible),
        reasons=score.reasons if score else ("No plan in force for this month.",),
        payout=score.payout if score else Decimal("0.00"),
        payout_text=money(score.payout, currency) if score else "—",
        payout_note=score.payout_note if score else "",
        target_bonus=money(score.target_bonus, currency) if score else "—",
        rank=rank,
        tickets_solved=score.tickets_solved if score else 0,
        rated=score.rated if score else 0,
        prior=prior,
        lines=lines,
        score_chart=score_chart(
            points, plan, f"{person.name}'s score by month", values=False
        ),
        months=tuple(rows),
        authorities=tuple(authorities),
        training=training or TrainingFacts(),
        disputes=disputes or DisputeCounts(),
        coaching=tuple(coaching),
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
    )


# --- the team scorecard -------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    rep_id: int
    name: str
    score: float | None
    score_text: str
    rank: int | None
    eligible: bool
    #: Why not eligible, in a few words.
    reason: str
    payout: str
    #: (value text, below threshold) per plan metric.
    values: tuple[tuple[str, bool], ...]
    #: Score change since the month before ("+4.2"), or "—".
    change: str
    coaching: tuple[CoachingOffer, ...]


@dataclass(frozen=True)
class Summary:
    scored: int
    eligible: int
    average: str
    median: str
    payout: str
    reps: int


@dataclass(frozen=True)
class TeamCard:
    team_id: int
    name: str
    supervisors: str
    month: str
    month_label: str
    is_closed: bool
    status: str
    plan_label: str
    currency: str
    summary: Summary
    columns: tuple[str, ...]
    rows: tuple[TeamRow, ...]
    distribution: Markup
    trend: Markup
    open_disputes: int
    generated: str


def summarise(scores: Sequence[RepScore], currency: str) -> Summary:
    """Scored, eligible, average, median and payouts of some reps' month."""
    return _summary(scores, currency, len(scores))


def _summary(scores: Sequence[RepScore], currency: str, reps: int) -> Summary:
    values = [s.score for s in scores if s.score is not None]
    return Summary(
        scored=len(values),
        eligible=sum(1 for s in scores if s.eligible),
        average=score_text(statistics.fmean(values)) if values else "—",
        median=score_text(statistics.median(values)) if values else "—",
        payout=money(sum((s.payout for s in scores), Decimal("0.00")), currency),
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


def _average(month: MonthScores, rep_ids: set[int] | None) -> float | None:
    values = [
        s.score
        for rep_id, s in month.scores.items()
        if s.score is not None and (rep_ids is None or rep_id in rep_ids)
    ]
    return statistics.fmean(values) if values else None


def team_card(
    team_id: int,
    team_name: str,
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    supervisors: Sequence[str] = (),
    coaching: Mapping[int, Sequence[CoachingOffer]] | None = None,
    open_disputes: int = 0,
    generated_at: dt.datetime,
) -> TeamCard:
    """A team's scorecard for the last month of ``history``: each rep side by side."""
    current = history[-1]
    plan = current.plan
    currency = plan.currency if plan else ""
    members = [
        rep_id
        for rep_id, person in current.people.items()
        if person.team_id == team_id and rep_id in current.scores
    ]
    ranks = plans.rank({r: current.scores[r].score for r in members})
    terms = plan.terms if plan else ()
    rows = []
    for rep_id in members:
        score = current.scores[rep_id]
        by_metric = {line.metric: line for line in score.lines}
        values = tuple(
            (
                plans.format_metric(t.spec.unit, by_metric[t.metric].value)
                if t.metric in by_metric
                else "—",
                bool(t.metric in by_metric and by_metric[t.metric].below_threshold),
            )
            for t in terms
        )
        before = history[-2].scores.get(rep_id) if len(history) > 1 else None
        change = (
            f"{score.score - before.score:+.1f}"
            if score.score is not None
            and before is not None
            and before.score is not None
            else "—"
        )
        rows.append(
            TeamRow(
                rep_id=rep_id,
                name=current.people[rep_id].name,
                score=score.score,
                score_text=score_text(score.score),
                rank=ranks.get(rep_id),
                eligible=score.eligible,
                reason=plans.brief_reason(score, plan) if plan else score.reason,
                payout=money(score.payout, currency),
                values=values,
                change=change,
                coaching=tuple((coaching or {}).get(rep_id, ())),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    scores = [current.scores[r] for r in members]
    member_set = set(members)
    points = [
        (short_month(m.month), _average(m, _members(m, team_id) or member_set))
        for m in history
    ]
    return TeamCard(
        team_id=team_id,
        name=team_name,
        supervisors=", ".join(supervisors) or "—",
        month=current.month,
        month_label=metrics.month_label(current.month),
        is_closed=current.is_closed,
        status=status_text(current, tz),
        plan_label=current.plan_label or "No plan in force",
        currency=currency,
        summary=_summary(scores, currency, len(members)),
        columns=tuple(t.spec.label for t in terms),
        rows=tuple(rows),
        distribution=distribution(
            [s.score for s in scores if s.score is not None],
            f"{team_name}: scores by band",
        ),
        trend=score_chart(points, plan, f"{team_name}: average score by month"),
        open_disputes=open_disputes,
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
    )


def _members(month: MonthScores, team_id: int) -> set[int]:
    return {r for r, p in month.people.items() if p.team_id == team_id}


# --- the leadership pack ------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    rep_id: int
    name: str
    team: str
    before: str
    now: str
    change: str
    up: bool


@dataclass(frozen=True)
class TeamLine:
    team_id: int
    name: str
    summary: Summary
    values: tuple[str, ...]  # the organisation's month metrics for the team


@dataclass(frozen=True)
class ValidityRow:
    label: str
    rho: str
    band: str
    words: str
    bar: Markup


@dataclass(frozen=True)
class LeadershipPack:
    month: str
    month_label: str
    is_closed: bool
    status: str
    plan_label: str
    currency: str
    summary: Summary
    previous_average: str
    change: str
    organisation: tuple[tuple[str, str], ...]  # (metric label, value)
    distribution: Markup
    trend: Markup
    movers_up: tuple[Mover, ...]
    movers_down: tuple[Mover, ...]
    teams: tuple[TeamLine, ...]
    team_metric_labels: tuple[str, ...]
    team_chart: Markup
    coverage: tuple[CoverageRow, ...]
    coverage_chart: Markup
    assignments_done: str
    assignments_overdue: int
    validity: Validity | None
    validity_rows: tuple[ValidityRow, ...]
    open_disputes: int
    unattributed: int
    generated: str


#: Organisation metrics shown in the pack and the team comparison, with their columns.
ORG_METRICS = [
    ("tickets_solved", "Solved"),
    ("first_response_median_min", "First reply"),
    ("resolution_median_h", "Resolution"),
    ("timely_rate", "Timely"),
    ("csat_raw", "CSAT"),
    ("nps", "NPS"),
    ("reopen_rate", "Reopened"),
]


def _metric_text(column: str, value: Any) -> str:
    return metrics.format_value(column, float("nan") if value is None else value)


def movers(
    current: MonthScores, previous: MonthScores | None, count: int = 5
) -> tuple[list[Mover], list[Mover]]:
    """The reps whose score rose and fell most since the month before."""
    if previous is None:
        return [], []
    changes = []
    for rep_id, score in current.scores.items():
        before = previous.scores.get(rep_id)
        if score.score is None or before is None or before.score is None:
            continue
        changes.append((score.score - before.score, rep_id, before.score, score.score))
    person = current.people

    def mover(delta: float, rep_id: int, before: float, now: float) -> Mover:
        return Mover(
            rep_id,
            person[rep_id].name,
            person[rep_id].team_name or "No team",
            score_text(before),
            score_text(now),
            f"{delta:+.1f}",
            delta > 0,
        )

    ups = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1]))
    downs = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1]))
    return [mover(*c) for c in ups[:count]], [mover(*c) for c in downs[:count]]


def leadership_pack(
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    coverage: Sequence[CoverageRow] = (),
    assignments: tuple[int, int, int] = (0, 0, 0),
    validity: Validity | None = None,
    open_disputes: int = 0,
    generated_at: dt.datetime,
) -> LeadershipPack:
    """The organisation's month for leadership: summary, distribution, movers, teams side
    by side, training and authority coverage, and hiring-test validity.

    :param assignments: (done, all, overdue) training assignments of active reps.
    """
    current = history[-1]
    previous = history[-2] if len(history) > 1 else None
    currency = current.currency
    scores = list(current.scores.values())
    summary = _summary(scores, currency, len(current.people))
    now_avg = _average(current, None)
    before_avg = _average(previous, None) if previous else None
    change = (
        f"{now_avg - before_avg:+.1f}"
        if now_avg is not None and before_avg is not None
        else "—"
    )
    ups, downs = movers(current, previous)
    team_lines = []
    for team_id, values in sorted(
        current.teams.items(), key=lambda item: str(item[1].get("team_name", ""))
    ):
        members = [
            current.scores[r] for r in _members(current, team_id) if r in current.scores
        ]
        team_lines.append(
            TeamLine(
                team_id,
                str(values.get("team_name", "")),
                _summary(members, currency, len(members)),
                tuple(_metric_text(c, values.get(c)) for c, _label in ORG_METRICS),
            )
        )
    team_averages = [
        (line.name, _average(current, _members(current, line.team_id)))
        for line in team_lines
    ]
    validity_rows = ()
    if validity is not None:
        validity_rows = tuple(
            ValidityRow(
                p.label,
                "—" if p.rho is None else f"{p.rho:+.2f}",
                "—"
                if p.low is None or p.high is None
                else f"{p.low:+.2f} to {p.high:+.2f}",
                p.words,
                charts.diverging(p.rho, label=f"{p.label}: correlation"),
            )
            for p in validity.predictors
        )
    done, total, overdue = assignments
    return LeadershipPack(
        month=current.month,
        month_label=metrics.month_label(current.month),
        is_closed=current.is_closed,
        status=status_text(current, tz),
        plan_label=current.plan_label or "No plan in force",
        currency=currency,
        summary=summary,
        previous_average=score_text(before_avg),
        change=change,
        organisation=tuple(
            (label, _metric_text(column, current.organisation.get(column)))
            for column, label in ORG_METRICS
        ),
        distribution=distribution(
            [s.score for s in scores if s.score is not None],
            "Scores by band, whole organisation",
        ),
        trend=score_chart(
            [(short_month(m.month), _average(m, None)) for m in history],
            current.plan,
            "Average score by month",
        ),
        movers_up=tuple(ups),
        movers_down=tuple(downs),
        teams=tuple(team_lines),
        team_metric_labels=tuple(label for _c, label in ORG_METRICS),
        team_chart=charts.labelled_bars(
            team_averages,
            maximum=max([100.0, *(v or 0 for _n, v in team_averages)]),
            value_format="{:.1f}",
            label="Average score by team",
        ),
        coverage=tuple(coverage),
        coverage_chart=charts.labelled_bars(
            [
                (row.name, 100.0 * row.holders / row.reps if row.reps else 0.0)
                for row in coverage
            ],
            maximum=100,
            width=460,
            label_width=190,
            value_format="{:.0f}%",
            label="Share of active reps holding each authority",
        ),
        assignments_done=f"{100 * done / total:.0f}%" if total else "—",
        assignments_overdue=overdue,
        validity=validity,
        validity_rows=validity_rows,
        open_disputes=open_disputes,
        unattributed=int(current.organisation.get("unattributed") or 0),
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
    )


# --- tables -------------------------------------------------------------------------------

#: The columns ``scores compute --format csv`` adds after the metrics.
SCORE_COLUMNS = ["score", "eligible", "payout", "currency", "reason"]


def score_cells(score: RepScore | None, currency: str) -> list[object]:
    """A rep's score as CSV cells: score, eligible, payout, currency, reason."""
    if score is None:
        return ["", "", "", currency, "No plan in force."]
    return [
        "" if score.score is None else round(score.score, 2),
        "yes" if score.eligible else "no",
        f"{score.payout:.2f}",
        currency,
        score.reason,
    ]


@dataclass(frozen=True)
class ScoreRow:
    """A rep's line in a month's score list."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    score: float | None
    score_text: str
    rank: int | None
    eligible: bool
    reason: str
    payout: str
    tickets_solved: int
    below: tuple[str, ...]


def score_rows(scores: MonthScores, rep_ids: frozenset[int] | None) -> list[ScoreRow]:
    """Every scored rep the viewer may see (``rep_ids`` None: all), by team then rank."""
    ranks: dict[int, int] = {}
    for team_id in {p.team_id for p in scores.people.values()}:
        ranks.update(plans.rank(scores.team_scores(team_id)))
    rows = []
    for rep_id, score in scores.scores.items():
        if rep_ids is not None and rep_id not in rep_ids:
            continue
        person = scores.people[rep_id]
        rows.append(
            ScoreRow(
                rep_id,
                person.name,
                person.email,
                person.team_id,
                person.team_name or "No team",
                score.score,
                score_text(score.score),
                ranks.get(rep_id),
                score.eligible,
                score.reason,
                money(score.payout, scores.currency),
                score.tickets_solved,
                tuple(line.label for line in score.lines if line.below_threshold),
            )
        )
    rows.sort(
        key=lambda r: (r.team_name.casefold(), r.rank is None, r.rank or 0, r.name)
    )
    return rows
