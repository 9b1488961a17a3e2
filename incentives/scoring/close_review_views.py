"""The change log of months closed anew: per rep, the old and new score and payout, as a
page and a CSV. Routes join the ``incentives`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import render_template

from core.auth import current_viewer, role_required
from core.downloads import csv_response
from core.params import month_value
from incentives.scoring import close_review_queries, queries
from incentives.tickets import queries as ticket_queries
from incentives.views import METRIC_ROLES, ORG_ROLES, bp


@bp.route("/months/<month>/changes")
@role_required(*METRIC_ROLES)
def month_changes(month: str) -> Any:
    month = month_value(month)
    scope = ticket_queries.scope_for(current_viewer())
    changes = [
        c
        for c in close_review_queries.list_changes(month)
        if scope.rep_ids is None or c.rep_id in scope.rep_ids
    ]
    closes = {c.id: c for c in queries.close_history(month)}
    groups: dict[int, list[Any]] = {}
    for change in changes:
        groups.setdefault(change.close_id, []).append(change)
    return render_template(
        "incentives/month_changes.html",
        month=month,
        groups=[(closes[close_id], rows) for close_id, rows in groups.items()],
        closes=closes,
        sees_all=scope.rep_ids is None,
    )


@bp.route("/months/<month>/changes.csv")
@role_required(*ORG_ROLES)
def month_changes_export(month: str) -> Any:
    month = month_value(month)
    header, rows = close_review_queries.change_rows(
        close_review_queries.list_changes(month)
    )
    return csv_response(f"reclose-changes-{month}.csv", header, rows)
