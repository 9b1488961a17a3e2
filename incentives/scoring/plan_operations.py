"""Writes about reading plans: a rep acknowledges the plan version they are paid on."""

from __future__ import annotations

from core import audit
from core.db import db
from core.errors import Conflict, NotAllowed
from core.people import User
from incentives.scoring import plan_queries
from incentives.scoring.models import PlanAcknowledgement, PlanVersion


def acknowledge_plan(
    version: PlanVersion, *, by: User, content_hash: str
) -> PlanAcknowledgement:
    """``by`` says they read ``version`` as it read when their page showed it.

    :param content_hash: the version's hash on the page the rep read; if the plan changed
        since, they are asked to read it again.
    :raises NotAllowed: ``by`` is not paid on this version.
    :raises Conflict: the plan changed since the page was shown, or it was already
        acknowledged.
    """
    paid_on = plan_queries.plan_paid_on(by)
    if paid_on is None or paid_on.id != version.id:
        raise NotAllowed("You can acknowledge only the plan you are paid on.")
    if content_hash != version.content_hash:
        raise Conflict(
            f"{version.label} changed while you were reading it: read it again, then "
            "acknowledge it."
        )
    existing = plan_queries.acknowledgement(by.id, version)
    if existing is not None:
        raise Conflict(f"You already acknowledged {version.label}.")
    record = PlanAcknowledgement(
        plan_version_id=version.id, user_id=by.id, content_hash=version.content_hash
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        by,
        "plan.acknowledge",
        version,
        summary=f"Acknowledged {version.label}",
        data={"plan_version_id": version.id, "content_hash": version.content_hash},
    )
    return record
