"""Training endpoints of the JSON API (token auth, under /api/v1): the authority register.

Helpdesk tools ask before a rep acts: "may this rep refund 120 USD?" The answer comes from
``training.authority.decide``, the same function the register pages use. Tokens acting as
supervisor, leadership or admin may call these; rep and hiring-manager tokens may not,
because a token is not tied to one person and the register shows every rep.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, jsonify, request

from core.access import Role
from core.api import api_blueprint, token_required
from core.db import utcnow
from core.errors import InvalidInput
from training import queries
from training.authority import current_grant, decide, grant_state

bp = api_blueprint("training_api", __name__)

#: Token roles that may read the authority register.
REGISTER_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)


def _amount(raw: str | None) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation as e:
        raise InvalidInput({"amount": ["Give the amount as a number."]}) from e
    if not amount.is_finite() or amount < 0:
        raise InvalidInput({"amount": ["Give an amount of zero or more."]})
    return amount


@bp.route("/authority-check")
@token_required(*REGISTER_ROLES)
def authority_check() -> Any:
    email = (request.args.get("rep") or "").strip()
    code = (request.args.get("authority") or "").strip()
    missing = {
        name: ["Required."]
        for name, value in (("rep", email), ("authority", code))
        if not value
    }
    if missing:
        raise InvalidInput(missing)
    amount = _amount(request.args.get("amount"))
    found = queries.check_facts(email, code)
    if found is None:
        abort(404, f"No rep with the e-mail {email}.")
    active, facts = found
    if not facts and queries.get_authority_by_code(code) is None:
        abort(404, f"No authority with the code {code}.")
    decision = decide(facts, code, amount, utcnow(), holder_active=active)
    return jsonify(decision.as_dict())


@bp.route("/reps/<email>/authorities")
@token_required(*REGISTER_ROLES)
def rep_authorities(email: str) -> Any:
    rep = queries.get_rep_by_email(email)
    if rep is None:
        abort(404, f"No rep with the e-mail {email}.")
    now = utcnow()
    facts = queries.grant_facts(rep.id)
    authorities = []
    for authority in queries.list_authorities(active_only=True):
        decision = decide(facts, authority.code, None, now, holder_active=rep.is_active)
        grant = current_grant(facts, authority.code)
        authorities.append(
            {
                "code": authority.code,
                "name": authority.name,
                "state": str(grant_state(grant, grant, now)) if grant else "none",
                "granted_at": grant.granted_at.isoformat() if grant else None,
                **decision.as_dict(),
            }
        )
    return jsonify({"rep": rep.email, "name": rep.name, "authorities": authorities})
