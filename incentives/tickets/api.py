"""Incentives endpoints of the JSON API (token auth, under /api/v1).

``POST /tickets`` takes a batch of tickets in Frontline's CSV fields and imports it through
the same operation as a file: every ticket checked first, all-or-nothing, idempotent by
(source, ticket id), recorded in the import history. ``GET /metrics/<month>`` returns the
month's metrics.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from core.access import Role
from core.api import api_actor, api_blueprint, token_required
from core.db import db
from core.errors import InvalidInput
from core.params import month_value
from core.words import counted
from incentives import month_cache
from incentives.tickets import operations, queries
from incentives.tickets.month_metrics import FIGURE_COLUMNS
from incentives.tickets.months import Month

bp = api_blueprint("incentives_api", __name__)

IMPORTERS = (Role.ADMIN,)
READERS = (Role.ADMIN, Role.LEADERSHIP)
#: The most tickets one call may send; larger exports go in several batches.
MAX_BATCH = 10_000


@bp.route("/tickets", methods=["POST"])
@token_required(*IMPORTERS)
def ticket_import() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object (Content-Type: application/json).")
    tickets = body.get("tickets")
    if not isinstance(tickets, list) or not tickets:
        raise InvalidInput({"tickets": ["Send a non-empty list of tickets."]})
    if len(tickets) > MAX_BATCH:
        raise InvalidInput(
            {"tickets": [f"Send at most {MAX_BATCH:,} tickets per call."]}
        )
    source = body.get("source", "frontline")
    dry_run = body.get("dry_run", False)
    if not isinstance(source, str):
        raise InvalidInput({"source": ["Send the source as a string."]})
    if not isinstance(dry_run, bool):
        raise InvalidInput({"dry_run": ["Send true or false."]})
    outcome = operations.import_ticket_records(
        tickets,
        source=source,
        by=api_actor(),
        tz=queries.org_timezone(),
        dry_run=dry_run,
    )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    result = outcome.as_dict()
    if outcome.rejected:
        report = outcome.report
        return jsonify(
            {
                "error": {
                    "status": 400,
                    "message": f"{counted(report.total if report else 0, 'problem')}; "
                    "nothing was imported",
                    "rows": result["errors"],
                    "more": result["more_errors"],
                },
                "import": result,
            }
        ), 400
    return jsonify(result), 201 if outcome.inserted and not dry_run else 200


@bp.route("/metrics/<month>")
@token_required(*READERS)
def metric_month(month: str) -> Any:
    asked = Month.parse(month_value(month))
    result = month_cache.month_figures(asked)
    reps = result.reps.sort_values("email")
    return jsonify(
        {
            "month": str(asked),
            "timezone": queries.org_timezone().key,
            "clock": result.clock.value,
            "closed": None
            if result.closed_on is None
            else {"on": result.closed_on.isoformat(), "by": result.closed_by},
            "organisation": queries.metric_records(
                result.organisation.to_frame().T  # type: ignore[union-attr]
            )[0],
            "unattributed": result.unattributed,
            "reps": [
                {
                    "rep_id": r["rep_id"],
                    "email": r["email"],
                    "name": r["name"],
                    "team": r["team_name"],
                    **_metrics_of(r),
                }
                for r in queries.metric_records(reps)
            ],
            "teams": [
                {"team_id": r["team_id"], "team": r["team_name"], **_metrics_of(r)}
                for r in queries.metric_records(result.teams)
            ],
            "groups": [
                {"group": r["group_name"], **_metrics_of(r)}
                for r in (
                    []
                    if result.groups is None
                    else queries.metric_records(result.groups)
                )
            ],
        }
    )


def _metrics_of(record: dict[str, Any]) -> dict[str, Any]:
    return {column: record.get(column) for column in FIGURE_COLUMNS}
