"""The leadership pack: the month in one headline, service-metric trends over a year,
payouts against the budget, teams side by side, movers, training and authority coverage,
and hiring-test validity.

Months compared under different plans say so wherever they are compared (the score
change, movers, trends): scores under another plan are not like for like. Movers are reps
whose score moved by at least :data:`MOVER_MIN_POINTS`, at most :data:`MOVERS_EACH_WAY`
each way. Validity figures are shown from :data:`VALIDITY_TABLE_FROM` reps on; below,
one sentence says how many there are so far.

PURE: no Flask, no database. ``incentives.scorecards.queries.leadership_pack`` gathers the
inputs; the web page and the PDF render the :class:`LeadershipPack` built here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core import charts
from incentives.scorecards.cards import (
    CoverageRow,
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
from incentives.scorecards.validity import Validity
from incentives.scoring.rep_scores import MonthScores
from incentives.scoring.tables import money, score_text
from incentives.tickets import metrics
from voice.monthly import FrontLineMonth

if TYPE_CHECKING:  # a read of voice's, passed in; never imported here at run time
    from voice.upward_queries import MonthPoliciesAndIdeas


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
class Trend:
    """A service metric over the pack's months, as a chart with its latest value."""

    title: str
    latest: str
    change: str
    chart: Markup


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
    #: The month in one sentence.
    headline: str
    service_trends: tuple[Trend, ...]
    payout_chart: Markup
    #: "2,650.00 USD a month", or "" with no budget set.
    budget: str
    #: "92% of the budget", or "".
    budget_use: str
    #: "Plan changed in March 2024: Desk plan v1 to Desk plan v2", each month of the
    #: trends whose plan differs from the month before.
    plan_changes: tuple[str, ...]
    #: Set when this month and the one before were scored under different plans.
    compared_across_plans: str
    #: Whether the validity table is shown (enough reps), else only its caution.
    validity_shown: bool
    #: How many months the trends cover (fewer than a year before a year of data).
    trend_months: int
    mover_min_points: float
    validity_from: int
    #: Which clock the organisation's first-reply and resolution figures used.
    clocks: str = ""
    #: "What the front line told us": the month's problem reports (:mod:`voice.monthly`).
    front_line: FrontLineMonth | None = None
    #: Its policy changes decided and ideas triaged in the month
    #: (``voice.upward_queries.month_policies_and_ideas``).
    upward: MonthPoliciesAndIdeas | None = None


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


#: The organisation setting that holds the monthly payout budget (0: none).
PAYOUT_BUDGET_SETTING = "incentives_payout_budget"
#: Months the service trends and the payouts chart cover.
TREND_MONTHS = 12
#: A rep is a mover when their score changed by at least this many points.
MOVER_MIN_POINTS = 5.0
MOVERS_EACH_WAY = 5
#: Reps the hiring-test validity needs before the pack shows its figures.
VALIDITY_TABLE_FROM = 10
#: The service metrics the pack follows over the year: (column, title, unit, format).
SERVICE_TRENDS = [
    ("csat_raw", "CSAT", 100.0, "{:.1f}%"),
    ("timely_rate", "Solved in time", 100.0, "{:.1f}%"),
    ("first_response_median_min", "First reply", 1.0, "{:.0f} min"),
]


def plan_key(month: MonthScores) -> tuple[Any, ...]:
    """What scored a month: the organisation's version and every other version that
    scored some of its reps (a team's)."""
    others = {vid for vid, _label in month.rep_plans.values()}
    others |= {vid for vid, _l, _p in month.team_plans.values()}
    return (month.plan_version_id, tuple(sorted(others)))


def plan_label_of(month: MonthScores) -> str:
    label = month.plan_label or "no plan"
    teams = {lbl for _v, lbl in month.rep_plans.values()}
    teams |= {lbl for _v, lbl, _p in month.team_plans.values()}
    if teams:
        label += " (for some teams: " + ", ".join(sorted(teams)) + ")"
    return label


def plan_changes(history: Sequence[MonthScores]) -> list[str]:
    """Each month whose plan differs from the month before, in words."""
    said = []
    for before, month in itertools.pairwise(history):
        if plan_key(before) != plan_key(month):
            said.append(
                f"Plan changed in {metrics.month_label(month.month)}: "
                f"{plan_label_of(before)} to {plan_label_of(month)}."
            )
    return said


def movers(
    current: MonthScores,
    previous: MonthScores | None,
    count: int = MOVERS_EACH_WAY,
    min_points: float = MOVER_MIN_POINTS,
) -> tuple[list[Mover], list[Mover]]:
    """The reps whose score rose and fell most since the month before: a change of at
    least ``min_points``, at most ``count`` each way."""
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

    ups = sorted(
        (c for c in changes if c[0] >= min_points), key=lambda c: (-c[0], c[1])
    )
    downs = sorted(
        (c for c in changes if c[0] <= -min_points), key=lambda c: (c[0], c[1])
    )
    return [mover(*c) for c in ups[:count]], [mover(*c) for c in downs[:count]]


def leadership_pack(
    history: Sequence[MonthScores],
    *,
    tz: ZoneInfo,
    coverage: Sequence[CoverageRow] = (),
    assignments: tuple[int, int, int] = (0, 0, 0),
    validity: Validity | None = None,
    open_disputes: int = 0,
    finals: Mapping[int, Decimal] | None = None,
    generated_at: dt.datetime,
    month_finals: Mapping[str, Mapping[int, Decimal]] | None = None,
    budget: Decimal | None = None,
    front_line: FrontLineMonth | None = None,
    upward: MonthPoliciesAndIdeas | None = None,
) -> LeadershipPack:
    """The organisation's month for leadership: summary, distribution, movers, teams side
    by side, training and authority coverage, and hiring-test validity.

    :param history: the months of the trends, oldest first, ending with the pack's.
    :param assignments: (done, all, overdue) training assignments of active reps.
    :param finals: rep id -> final payout of the month (``payout_queries.finals_of``):
        the payouts shown, as on the payouts page.
    :param month_finals: the same for every month of ``history``, for the payouts chart.
    :param budget: the monthly payout budget (settings), ``None`` for none.
    :param front_line: the month's problem reports (``voice.queries.front_line_month``).
    :param upward: the month's policy changes decided and ideas triaged.
    """
    current = history[-1]
    previous = history[-2] if len(history) > 1 else None
    currency = current.currency
    scores = list(current.scores.values())
    summary = summary_of(scores, currency, len(current.people), finals)
    now_avg = average_score(current, None)
    before_avg = average_score(previous, None) if previous else None
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
            current.scores[r]
            for r in team_members(current, team_id)
            if r in current.scores
        ]
        team_lines.append(
            TeamLine(
                team_id,
                str(values.get("team_name", "")),
                summary_of(members, currency, len(members), finals),
                tuple(_metric_text(c, values.get(c)) for c, _label in ORG_METRICS),
            )
        )
    team_averages = [
        (line.name, average_score(current, team_members(current, line.team_id)))
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
    paid = _paid(history, month_finals, finals)
    across = ""
    if previous is not None and plan_key(previous) != plan_key(current):
        across = (
            f"Scored under another plan than {metrics.month_label(previous.month)} "
            f"({plan_label_of(previous)}, now {plan_label_of(current)}): score changes "
            "are not like for like."
        )
    trends = _service_trends(history)
    budget_use = ""
    if budget and current.month in paid:
        budget_use = f"{paid[current.month] / budget * 100:.0f}% of the budget"
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
            [(short_month(m.month), average_score(m, None)) for m in history],
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
        headline=headline(
            current,
            summary,
            change,
            trends,
            budget_use,
            across,
        ),
        service_trends=tuple(trends),
        payout_chart=_payout_chart(history, paid, budget, currency),
        budget="" if not budget else f"{money(budget, currency)} a month",
        budget_use=budget_use,
        plan_changes=tuple(plan_changes(history)),
        compared_across_plans=across,
        trend_months=len(history),
        mover_min_points=MOVER_MIN_POINTS,
        validity_from=VALIDITY_TABLE_FROM,
        validity_shown=validity is not None
        and validity.has_figures
        and validity.n >= VALIDITY_TABLE_FROM,
        clocks=metrics.durations_words(
            current.organisation.get("first_response_clock"),
            current.organisation.get("resolution_clock"),
        ),
        front_line=front_line,
        upward=upward,
    )


def _paid(
    history: Sequence[MonthScores],
    month_finals: Mapping[str, Mapping[int, Decimal]] | None,
    finals: Mapping[int, Decimal] | None,
) -> dict[str, Decimal]:
    """Month -> payouts in all (final payouts where given, else the scores' payouts)."""
    paid = {}
    for month in history:
        these = (month_finals or {}).get(month.month)
        if these is None and month is history[-1]:
            these = finals
        paid[month.month] = sum(
            (final_payout(s, these) for s in month.scores.values()), Decimal("0.00")
        )
    return paid


def _service_trends(history: Sequence[MonthScores]) -> list[Trend]:
    trends = []
    for column, title, scale, fmt in SERVICE_TRENDS:
        points = []
        for month in history:
            value = month.organisation.get(column)
            number = None if value is None else float(value)
            if number is not None and number != number:  # NaN: no value
                number = None
            points.append(
                (short_month(month.month), None if number is None else number * scale)
            )
        known = [v for _m, v in points if v is not None]
        latest = points[-1][1] if points else None
        before = points[-2][1] if len(points) > 1 else None
        change = ""
        if latest is not None and before is not None:
            delta = round(latest - before, 1)
            unit = " pts" if scale == 100.0 else " min"
            change = "no change" if delta == 0 else f"{delta:+.1f}{unit}"
        low = min(known) if known else 0.0
        high = max(known) if known else 1.0
        pad = (high - low) * 0.2 or max(1.0, abs(high) * 0.1)
        trends.append(
            Trend(
                title,
                "—" if latest is None else fmt.format(latest),
                change,
                charts.line_chart(
                    points,
                    minimum=max(0.0, low - pad),
                    maximum=min(100.0, high + pad) if scale == 100.0 else high + pad,
                    width=340,
                    height=130,
                    label=f"{title}, {len(points)} months",
                    value_format="{:.0f}",
                ),
            )
        )
    return trends


def _payout_chart(
    history: Sequence[MonthScores],
    paid: Mapping[str, Decimal],
    budget: Decimal | None,
    currency: str,
) -> Markup:
    points = [(short_month(m.month), float(paid.get(m.month, 0))) for m in history]
    top = max([float(budget or 0), *(v for _m, v in points), 1.0])
    guides: list[charts.Guide] = []
    if budget:
        guides.append((float(budget), "Budget", "target"))
    return charts.line_chart(
        points,
        minimum=0.0,
        maximum=top * 1.15,
        guides=guides,
        width=560,
        height=150,
        label=f"Payouts by month, {currency}"
        + (f", against a budget of {budget:,.0f}" if budget else ""),
        value_format="{:,.0f}",
    )


def headline(
    current: MonthScores,
    summary: Summary,
    change: str,
    trends: Sequence[Trend],
    budget_use: str,
    across: str,
) -> str:
    """The month in one sentence or two, for the top of the pack."""
    label = metrics.month_label(current.month)
    if not current.scores:
        return f"{label}: no rep was scored."
    parts = [f"average score {summary.average}"]
    if change != "—":
        parts[0] += f" ({change} on the month before)"
    parts.append(f"{summary.eligible} of {summary.reps} reps eligible")
    pay = f"payouts {summary.payout}"
    if budget_use:
        pay += f", {budget_use}"
    parts.append(pay)
    service = [
        f"{t.title} {t.latest}" + (f" ({t.change})" if t.change else "")
        for t in trends
        if t.latest != "—"
    ]
    text = f"{label}: " + "; ".join(parts) + "."
    if service:
        text += " " + ", ".join(service) + "."
    if across:
        text += " The plan changed since the month before."
    return text
