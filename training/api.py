"""Training endpoints of the JSON API (token auth, under /api/v1): the authority register.

Helpdesk tools ask before a rep acts: "may this rep refund 120 USD?" The answer comes from
``training.authority.decide``, the same function the register pages use. Tokens acting as
supervisor, leadership or admin may call these; rep and hiring-manager tokens may not,
because a token is not tied to one person and the register shows every rep.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify

from core.access import Role
from core.api import api_blueprint, token_required
from core.db import utcnow
from core.errors import InvalidInput
from core.params import amount_arg, text_arg
from core.templating import org_timezone
from training import authority_queries, queries
from training.authority import current_grant, decide, grant_state

bp = api_blueprint("training_api", __name__)

#: Token roles that may read the authority register.
REGISTER_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
#: The longest e-mail and authority code there can be (their columns' lengths).
MAX_EMAIL = 254
MAX_CODE = 40


@bp.route("/authority-check")
@token_required(*REGISTER_ROLES)
def authority_check() -> Any:
    email = text_arg("rep", MAX_EMAIL)
    code = text_arg("authority", MAX_CODE)
    missing = {
        name: ["Required."]
        for name, value in (("rep", email), ("authority", code))
        if not value
    }
    if missing:
        raise InvalidInput(missing)
    amount = amount_arg()
    found = authority_queries.check_facts(email, code)
    if found is None:
        abort(404, f"No rep with the e-mail {email}.")
    if found.authority_name is None:
        abort(404, f"No authority with the code {code}.")
    decision = decide(
        found.grants,
        code,
        amount,
        utcnow(),
        holder_active=found.active,
        name=found.authority_name,
        tz=org_timezone(),
    )
    return jsonify(decision.as_dict())


@bp.route("/reps/<email>/authorities")
@token_required(*REGISTER_ROLES)
def rep_authorities(email: str) -> Any:
    rep = queries.get_rep_by_email(email)
    if rep is None:
        abort(404, f"No rep with the e-mail {email}.")
    now = utcnow()
    tz = org_timezone()
    facts = authority_queries.grant_facts(rep.id)
    authorities = []
    for authority in authority_queries.list_authorities(active_only=True):
        decision = decide(
            facts,
            authority.code,
            None,
            now,
            holder_active=rep.is_active,
            name=authority.name,
            tz=tz,
        )
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
