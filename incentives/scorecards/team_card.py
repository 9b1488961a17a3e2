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
    Summary,
    average_score,
    distribution,
    final_payout,
    score_chart,
    short_month,
    status_text,
    summary_of,
    team_members,
)
from incentives.scoring import plans
from incentives.scoring.rep_scores import MonthScores, brief_reason, rank
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
    )


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
