"""Payouts in the JSON API (token auth, under /api/v1): ``GET /payouts/<month>`` returns a
month's payout lines as the payouts page and its export show them. The route joins the
incentives API blueprint (``incentives.tickets.api.bp``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from core.access import Role
from core.api import token_required
from core.params import month_value
from incentives.scoring import payout_queries
from incentives.tickets.api import bp

READERS = (Role.ADMIN, Role.LEADERSHIP)


@bp.route("/payouts/<month>")
@token_required(*READERS)
def payout_month(month: str) -> Any:
    month = payout_queries.check_month(month_value(month))
    result = payout_queries.month_payouts(month)
    approval = result.approval
    close = result.scores.close
    return jsonify(
        {
            "month": month,
            "status": result.status,
            "plan_version": result.scores.plan_label or None,
            "currency": result.currency,
            "closed": result.is_closed,
            "closed_at": close.closed_at.isoformat() if close else None,
            "closed_by": close.closed_by if close else None,
            "approved": result.is_approved,
            "approved_at": approval.approved_at.isoformat() if approval else None,
            "approved_by": approval.by_name if approval else None,
            "total": f"{result.total:.2f}",
            "reps": [
                {
                    "rep_id": line.rep_id,
                    "email": line.email,
                    "name": line.name,
                    "team": line.team_name or None,
                    "plan_version": result.scores.plan_label_for(line.rep_id) or None,
                    "score": None if line.score is None else round(line.score, 2),
                    "eligible": line.eligible,
                    "points": {key: points for key, _label, points in line.points},
                    "target_bonus": f"{line.target_bonus:.2f}",
                    "base_payout": f"{line.base:.2f}",
                    "paid_days": line.paid_days,
                    "working_days": line.working_days,
                    "proration_factor": str(line.share.factor),
                    "adjustments": f"{line.adjustments:.2f}",
                    "final_payout": f"{line.final:.2f}",
                }
                for line in result.lines
            ],
        }
    )
