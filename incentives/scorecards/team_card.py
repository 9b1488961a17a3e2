"""The team scorecard: a team's reps side by side, with coaching offers.

PURE: no Flask, no database. ``incentives.scorecards.queries.team_scorecard`` gathers the
inputs; the web page and the PDF render the :class:`TeamCard` built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from incentives.scorecards.cards import (
    CoachingOffer,
    QaTrend,
    Summary,
    average_score,
    distribution,
    final_payout,
    qa_trend,
    score_chart,
    short_month,
    status_text,
    summary_of,
    team_members,
)
from incentives.scoring import plans
from incentives.scoring.rep_scores import (
    MetricLine,
    MonthScores,
    RepScore,
    brief_reason,
    payout_for,
    rank,
)
from incentives.scoring.tables import money, score_text
from incentives.tickets import metrics


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
class NearTier:
    """A rep close to a payout tier boundary: a few points under the next tier, or just
    over the one they reached (a small slip loses it)."""

    rep_id: int
    name: str
    score: str
    words: str


@dataclass(frozen=True)
class CoachingNote:
    """Why a rep is offered coaching on a metric, and how it moved since last month."""

    rep_id: int
    name: str
    label: str
    #: "74% this month, 70% last month; threshold 80%".
    why: str
    #: "+4 pts since last month", "no value last month" ...
    effect: str
    assigned: tuple[str, ...]
    offered: tuple[str, ...]


#: A rep this many points or fewer under the next tier is near it.
NEAR_NEXT_POINTS = 5.0
#: A rep this many points or fewer over the tier they reached could lose it.
NEAR_LOSS_POINTS = 2.0


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
    #: Which clock the team's first-reply and resolution figures used, in a sentence ("":
    #: the plan shows neither, or neither was measured).
    clocks: str = ""
    near_tiers: tuple[NearTier, ...] = ()
    coaching_notes: tuple[CoachingNote, ...] = ()
    #: The team's QA score over the months (the mean of its reps' counted reviews).
    qa: QaTrend | None = None


def team_card(
    team_id: int,
    team_name: str,
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    supervisors: Sequence[str] = (),
    coaching: Mapping[int, Sequence[CoachingOffer]] | None = None,
    open_disputes: int = 0,
    finals: Mapping[int, Decimal] | None = None,
    generated_at: dt.datetime,
) -> TeamCard:
    """A team's scorecard for the last month of ``history``: each rep side by side.

    :param finals: rep id -> final payout of the month (``payout_queries.finals_of``):
        the payouts shown, as on the payouts page.
    """
    current = history[-1]
    # The team's own plan version when one scores it this month, else the month's.
    _version_id, team_plan_label, plan = current.plan_for_team(team_id)
    currency = plan.currency if plan else ""
    members = [
        rep_id
        for rep_id, person in current.people.items()
        if person.team_id == team_id and rep_id in current.scores
    ]
    ranks = rank({r: current.scores[r].score for r in members})
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
                reason=brief_reason(score, plan) if plan else score.reason,
                payout=money(final_payout(score, finals), currency),
                values=values,
                change=change,
                coaching=tuple((coaching or {}).get(rep_id, ())),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    scores = [current.scores[r] for r in members]
    member_set = set(members)
    points = [
        (short_month(m.month), average_score(m, team_members(m, team_id) or member_set))
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
        plan_label=team_plan_label or "No plan in force",
        currency=currency,
        summary=summary_of(scores, currency, len(members), finals),
        columns=tuple(t.spec.label for t in terms),
        rows=tuple(rows),
        distribution=distribution(
            [s.score for s in scores if s.score is not None],
            f"{team_name}: scores by band",
        ),
        trend=score_chart(points, plan, f"{team_name}: average score by month"),
        open_disputes=open_disputes,
        generated=generated_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
        clocks=_clocks(current, members, {t.metric for t in terms}),
        near_tiers=tuple(near_tiers(current, members, finals)),
        coaching_notes=tuple(coaching_notes(history, [r for r in rows if r.coaching])),
        qa=qa_trend(
            [(m.month, m.teams.get(team_id)) for m in history],
            f"{team_name}: QA score by month",
        ),
    )


def near_tiers(
    current: MonthScores,
    members: Sequence[int],
    finals: Mapping[int, Decimal] | None = None,
) -> list[NearTier]:
    """Reps within :data:`NEAR_NEXT_POINTS` under their plan's next tier, or within
    :data:`NEAR_LOSS_POINTS` over the tier they reached, closest first."""
    found: list[tuple[float, NearTier]] = []
    for rep_id in members:
        score = current.scores[rep_id]
        plan = current.plan_for_team(score.team_id)[2]
        if plan is None or score.score is None or not score.eligible:
            continue
        reached = [t for t in plan.tiers if t.min_score <= score.score]
        ahead = [t for t in plan.tiers if t.min_score > score.score]
        name = current.people[rep_id].name
        if ahead and ahead[0].min_score - score.score <= NEAR_NEXT_POINTS:
            tier = ahead[0]
            gap = tier.min_score - score.score
            _t, pays, _note = payout_for(tier.min_score, plan, score.target_bonus)
            found.append(
                (
                    gap,
                    NearTier(
                        rep_id,
                        name,
                        score_text(score.score),
                        f"{gap:.1f} points under the {tier.min_score:g} tier, which "
                        f"pays {money(pays, plan.currency)}",
                    ),
                )
            )
        elif reached and score.score - reached[-1].min_score <= NEAR_LOSS_POINTS:
            tier = reached[-1]
            margin = score.score - tier.min_score
            found.append(
                (
                    margin,
                    NearTier(
                        rep_id,
                        name,
                        score_text(score.score),
                        f"only {margin:.1f} points over the {tier.min_score:g} tier: "
                        "a small slip loses it",
                    ),
                )
            )
    return [near for _distance, near in sorted(found, key=lambda f: (f[0], f[1].name))]


def coaching_notes(
    history: Sequence[MonthScores], rows: Sequence[TeamRow]
) -> list[CoachingNote]:
    """For each coaching offer of the team's reps: the values behind it (this month and
    last, against the threshold), how the metric moved, and what is assigned."""
    current = history[-1]
    previous = history[-2] if len(history) > 1 else None
    notes = []
    for row in rows:
        now = current.scores.get(row.rep_id)
        before = previous.scores.get(row.rep_id) if previous else None
        for offer in row.coaching:
            line = _line(now, offer.metric)
            earlier = _line(before, offer.metric)
            if line is None:
                continue
            unit = line.unit
            why = f"{_against(line)} this month, {_against(earlier)} last month"
            if earlier is None or earlier.value is None or line.value is None:
                effect = "no value last month to compare"
            else:
                delta = line.value - earlier.value
                better = delta > 0 if line.direction.value == "higher" else delta < 0
                step = {"%": " pts", "pts": " pts", "min": " min", "h": " h"}.get(
                    unit, ""
                )
                effect = (
                    "no change since last month"
                    if abs(delta) < 0.05
                    else f"{delta:+.1f}{step} since last month "
                    f"({'better' if better else 'worse'})"
                )
            notes.append(
                CoachingNote(
                    row.rep_id,
                    row.name,
                    offer.label,
                    why,
                    effect,
                    tuple(s.title for s in offer.scenarios if s.assigned),
                    tuple(s.title for s in offer.scenarios if not s.assigned),
                )
            )
    return notes


def _against(line: MetricLine | None) -> str:
    """A metric's value against its threshold: "74% (threshold 80%)", or per channel
    group where the plan sets values per group."""
    if line is None or line.value is None:
        return "no value"
    fmt = plans.format_metric
    if line.parts:
        return ", ".join(
            f"{part.label.lower()} {fmt(line.unit, part.value)} "
            f"(threshold {fmt(line.unit, part.threshold)})"
            for part in line.parts
        )
    return f"{fmt(line.unit, line.value)} (threshold {fmt(line.unit, line.threshold)})"


def _line(score: RepScore | None, metric: str) -> MetricLine | None:
    if score is None:
        return None
    return next((line for line in score.lines if line.metric == metric), None)


def _clocks(current: MonthScores, members: Sequence[int], shown: set[str]) -> str:
    """The clocks of the durations the card shows, over its reps' figures."""
    figures = [current.metrics.get(rep_id, {}) for rep_id in members]

    def clock(metric: str, column: str) -> str | None:
        if metric not in shown:
            return None
        return metrics.combined_clock(f.get(column) for f in figures)

    return metrics.durations_words(
        clock("first_response_median_min", "first_response_clock"),
        clock("resolution_median_h", "resolution_clock"),
    )
