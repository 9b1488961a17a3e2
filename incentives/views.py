"""Incentives' pages: the one ``incentives`` blueprint, its navigation, settings, template
filters and what every page of the module shares.

The pages themselves live with their package and add their routes to :data:`bp`:
``incentives.tickets.views`` (metrics, tickets, imports, agents, SLA targets, hours),
``incentives.scoring.views`` (scores, month close, disputes, coaching, plans) and
``incentives.scorecards.views`` (scorecards, PDFs, batches); ``app.py`` imports them before
it registers the blueprint, so every endpoint stays ``incentives.<name>``. The dashboard
panels are ``incentives.panels``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from core.access import Role
from core.params import month_arg
from core.people import User
from core.settings import SettingSpec
from core.shell import NavItem
from incentives.scorecards.leadership import PAYOUT_BUDGET_SETTING
from incentives.scoring import plans
from incentives.scoring import queries as scoring_queries
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.metrics import Channel
from incentives.tickets.months import Month, existing_months
from incentives.tickets.sources import Source

bp = Blueprint("incentives", __name__, url_prefix="/incentives")

METRIC_ROLES = (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR, Role.REP)
ORG_ROLES = (Role.ADMIN, Role.LEADERSHIP)
#: Roles that read team scorecards (supervisors only their own teams').
SUPERVISING_ROLES = (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)
UPLOAD_LIMIT = "tickets_upload_max_mb"
PER_PAGE = 50

#: Main navigation entries for this module.
NAV: list[NavItem] = [
    NavItem(
        "Incentives",
        "incentives.metric_list",
        frozenset(METRIC_ROLES),
        active_prefix="incentives.",
    )
]
#: Organisation settings this module reads (shown on Admin > Settings).
SETTINGS: list[SettingSpec] = [
    SettingSpec(
        UPLOAD_LIMIT,
        "Largest ticket file uploaded in the app",
        "Bigger helpdesk exports are imported with the `tickets import` command.",
        default=50,
        minimum=1,
        maximum=64,
        unit="MB",
    ),
    SettingSpec(
        PAYOUT_BUDGET_SETTING,
        "Monthly payout budget",
        "What the organisation means to pay out in incentives a month, in the plan's "
        "currency; the leadership pack shows payouts against it. 0 for none.",
        default=0,
        minimum=0,
        maximum=100_000_000,
    ),
]


@bp.app_template_filter("metric_value")
def metric_value(value: Any, column: str) -> str:
    return metrics.format_value(column, value)


@bp.app_template_global("durations_words")
def durations_words(first_response_clock: Any, resolution_clock: Any) -> str:
    """Which clock first-reply and resolution figures were measured on, in a sentence."""
    return metrics.durations_words(first_response_clock, resolution_clock)


@bp.app_template_filter("channel_label")
def channel_label(value: str) -> str:
    return Channel(value).label if value in set(Channel) else str(value)


@bp.app_template_filter("source_label")
def source_label(value: str) -> str:
    """How a ticket file was read, in words ("Help Scout conversations export (CSV)")."""
    return Source(value).label if value in set(Source) else str(value)


@bp.app_template_filter("plan_value")
def plan_value(value: Any, unit: str) -> str:
    """A plan's number in its unit (``80%``, ``12 min``); plain for no unit."""
    if unit:
        return plans.format_metric(unit, float(value))
    return f"{float(value):g}"


@bp.app_template_filter("month_label")
def month_label(month: str) -> str:
    return metrics.month_label(month)


def me() -> User:
    """The signed-in user (the object, not the proxy)."""
    return current_user._get_current_object()


def chosen_month() -> str:
    """The month asked for (``?month=``), else the current one."""
    return month_arg(default=ticket_queries.current_month)


def month_asked() -> Month:
    """:func:`chosen_month` as a :class:`Month`: what the read path is given."""
    return Month.parse(chosen_month())


def scorecard_month() -> str:
    """The month asked for, else the last full month (the one a scorecard is usually for)."""
    return month_arg(
        default=lambda: metrics.shift_month(ticket_queries.current_month(), -1)
    )


def months_around(month: str) -> list[str]:
    """The months a picker offers, newest first: from the first month with tickets to the
    current one (never a later one), and the one shown when it is earlier."""
    first = ticket_queries.first_month()
    current = Month.parse(ticket_queries.current_month())
    shown = Month.parse(month)
    return [
        str(m)
        for m in existing_months(
            None if first is None else Month.parse(first),
            current,
            shown if shown <= current else None,
        )
    ]


def score_months(month: str) -> list[str]:
    """:func:`months_around` and every closed month: the months a score page offers."""
    current = ticket_queries.current_month()
    months = set(months_around(month)) | {
        m for m in scoring_queries.closes_in_force() if m <= current
    }
    return sorted(months, reverse=True)
