"""Incentives' dashboard panels: a rep's month so far and their scores, a supervisor's
teams, the organisation's month and last month's close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from core.access import Role
from core.people import User
from core.shell import Panel, PanelProvider
from incentives import month_cache
from incentives.scorecards import queries as scorecard_queries
from incentives.scorecards.cards import summarise
from incentives.scoring import dispute_queries, payout_queries, plan_queries
from incentives.scoring import queries as scoring_queries
from incentives.scoring.rep_scores import MonthScores, RepScore
from incentives.scoring.tables import money, score_text
from incentives.tickets import agent_queries, metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.views import METRIC_TABLE
from incentives.views import ORG_ROLES


def rep_panel(user: User) -> Panel | None:
    if not user.has_role(Role.REP):
        return None
    month = ticket_queries.current_month()
    return Panel(
        "Your month so far",
        "incentives/_panel_rep.html",
        {
            "month": month,
            "rep_id": user.id,
            "summary": month_cache.rep_summary(user.id, month),
            "columns": METRIC_TABLE,
        },
        order=20,
    )


def team_panel(user: User) -> Panel | None:
    if not user.has_role(Role.SUPERVISOR) or not user.supervised_teams:
        return None
    month = ticket_queries.current_month()
    teams = month_cache.team_summary([t.id for t in user.supervised_teams], month)
    return Panel(
        "Team metrics this month",
        "incentives/_panel_team.html",
        {"month": month, "teams": ticket_queries.metric_records(teams)},
        order=25,
    )


def organisation_panel(user: User) -> Panel | None:
    if not user.has_role(*ORG_ROLES):
        return None
    month = ticket_queries.current_month()
    return Panel(
        "Organisation this month",
        "incentives/_panel_organisation.html",
        {
            "month": month,
            "summary": month_cache.organisation_summary(month),
            "unknown_agents": agent_queries.count_unknown_agents(),
            "last_import": ticket_queries.last_import(),
            "is_admin": user.has_role(Role.ADMIN),
        },
        order=5,  # first: the month at a glance, across the whole width
        wide=True,
    )


_Found = TypeVar("_Found")


def _unless_updating(month: str, get: Callable[[bool], _Found | None]) -> _Found | None:
    """What a dashboard panel shows of ``month``: ``get(False)`` (without reading the
    month's tickets), else ``get(True)``, unless a background job is computing the month's
    figures (just after an import): then ``None``, and the panel says the month is being
    updated. A dashboard never waits for a month to be scored from its tickets; its
    scorecard pages still score it at once."""
    found = get(False)
    if found is None and month not in month_cache.months_being_computed():
        found = get(True)
    return found


def _scores_unless_updating(month: str) -> MonthScores | None:
    return _unless_updating(
        month,
        lambda read_tickets: (
            scoring_queries.month_scores(month)
            if read_tickets
            else scoring_queries.month_scores_at_hand(month)
        ),
    )


def scorecard_panel(user: User) -> Panel | None:
    """A rep's last closed month and the month so far, with their payouts; a month whose
    figures are being computed says so (:func:`_unless_updating`)."""
    if not user.has_role(Role.REP):
        return None
    current = ticket_queries.current_month()
    updating = []
    found: dict[str, tuple[RepScore, str, bool]] = {}
    for month in (metrics.shift_month(current, -1), current):
        score = _unless_updating(
            month,
            lambda read_tickets, month=month: scoring_queries.rep_month_score(
                month, user.id, read_tickets=read_tickets
            ),
        )
        if score is None:
            updating.append(month)
        elif score.score is not None:
            found[month] = (score.score, score.currency, score.is_closed)
    # The payout paid, as on the payouts page: prorated, adjusted, as approved.
    finals = payout_queries.rep_finals(
        user.id, {month: score for month, (score, _c, _closed) in found.items()}
    )
    # The payout, or why there is none: "12 tickets solved, under the 60 needed."
    months = [
        (
            month,
            score_text(score.score),
            money(finals[month], currency)
            if score.eligible or finals[month]
            else "not eligible",
            closed,
            None if score.eligible or finals[month] else " ".join(score.reasons),
        )
        for month, (score, currency, closed) in found.items()
    ]
    # Tickets a decided dispute gave this rep, in months still open: they may dispute them.
    given = [
        d
        for d in dispute_queries.tickets_given_to(user.id)
        if scoring_queries.get_close(d.month) is None
    ]
    paid_on = plan_queries.plan_paid_on(user)
    unread = (
        paid_on is not None and plan_queries.acknowledgement(user.id, paid_on) is None
    )
    if not months and not updating and not given and not unread:
        return None
    open_disputes = sum(
        1
        for d in scoring_queries.list_disputes(user.viewer(), rep_id=user.id)
        if d.is_open
    )
    return Panel(
        "Your scores",
        "incentives/_panel_scorecard.html",
        {
            "rep_id": user.id,
            "months": months,
            "updating": updating,
            "open_disputes": open_disputes,
            "given": given,
            "unread_plan": paid_on.label if unread and paid_on else None,
        },
        order=21,
    )


def team_scores_panel(user: User) -> Panel | None:
    """A supervisor's teams last month, disputes to decide and reps to coach."""
    if not user.has_role(Role.SUPERVISOR) or not user.supervised_teams:
        return None
    month = metrics.shift_month(ticket_queries.current_month(), -1)
    scores = _scores_unless_updating(month)
    viewer = user.viewer()
    teams = []
    coaching = None
    if scores is not None:
        by_team: dict[int | None, list[Any]] = {}
        for rep_id, score in scores.scores.items():
            by_team.setdefault(scores.people[rep_id].team_id, []).append(score)
        for team in user.supervised_teams:
            summary = summarise(by_team.get(team.id, []), scores.currency)
            teams.append(
                (team.id, team.name, summary.average, summary.eligible, summary.reps)
            )
        coaching = scorecard_queries.count_to_coach(
            scorecard_queries.rep_ids_in_teams(viewer.supervised_team_ids), month
        )
    return Panel(
        "Team scorecards",
        "incentives/_panel_team_scores.html",
        {
            "month": month,
            "teams": teams,
            "updating": [(team.id, team.name) for team in user.supervised_teams]
            if scores is None
            else [],
            "open_disputes": sum(
                1 for d in scoring_queries.list_disputes(viewer) if d.rep_id != user.id
            ),
            "coaching": coaching,
        },
        order=26,
    )


def close_panel(user: User) -> Panel | None:
    """Last month's close, average and payouts, for leadership and admins."""
    if not user.has_role(*ORG_ROLES):
        return None
    month = metrics.shift_month(ticket_queries.current_month(), -1)
    scores = _scores_unless_updating(month)
    summary = (
        summarise(list(scores.scores.values()), scores.currency)
        if scores is not None
        else None
    )
    # The total of the payouts page: prorated, adjusted, as approved once approved.
    paid = payout_queries.payouts_of([scores])[month] if scores is not None else None
    return Panel(
        "Scores and month close",
        "incentives/_panel_close.html",
        {
            "month": month,
            # A closed month's scores are always at hand.
            "closed": scores is not None and scores.is_closed,
            "updating": scores is None,
            "average": summary.average if summary else "…",
            "payout": money(paid.total, paid.currency) if paid else "…",
            # The month's own, as its pack counts them; others' are said apart.
            "open_disputes": (in_month := scoring_queries.count_open_disputes(month)),
            "open_elsewhere": scoring_queries.count_open_disputes() - in_month,
            "is_admin": user.has_role(Role.ADMIN),
            "approved": paid.is_approved if paid else False,
            "is_leader": user.has_role(Role.LEADERSHIP),
        },
        order=31,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [
    rep_panel,
    scorecard_panel,
    team_panel,
    team_scores_panel,
    organisation_panel,
    close_panel,
]
