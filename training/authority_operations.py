"""Writes for the authority side of training: the catalogue, sign-off requests, approvals,
declines and withdrawals, grants and their revocation.

Operations load, call the rules (:mod:`training.authority`), write, audit and flush; they
never commit. Grants, sign-offs and revocations are appended, never edited.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError

from core import audit
from core.access import Role, can_supervise_rep
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User, lock_people
from training import authority as rules
from training import authority_queries, queries
from training.models import (
    Authority,
    Grant,
    GrantRevocation,
    SignoffApproval,
    SignoffRequest,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthorityInput:
    code: str
    name: str
    description: str
    unit: str
    max_limit: Decimal
    two_person_limit: Decimal | None
    validity_days: int
    prerequisites: tuple[str, ...]
    is_active: bool = True


def _authority_snapshot(authority: Authority) -> dict[str, Any]:
    return {
        "code": authority.code,
        "name": authority.name,
        "unit": authority.unit,
        "max_limit": authority.max_limit,
        "two_person_limit": authority.two_person_limit,
        "validity_days": authority.validity_days,
        "prerequisites": list(authority.prerequisites or []),
        "is_active": authority.is_active,
    }


def save_authority(
    authority: Authority | None, data: AuthorityInput, *, by: audit.Actor
) -> Authority:
    """Create or change a catalogue entry (audited; grants already made keep their limit).

    :raises InvalidInput: a taken code, an unknown prerequisite, limits out of order.
    """
    errors: dict[str, list[str]] = {}
    clash = authority_queries.get_authority_by_code(data.code)
    if clash is not None and clash is not authority:
        errors["code"] = ["Another authority already uses this code."]
    if data.max_limit <= 0:
        errors["max_limit"] = ["The maximum must be above zero."]
    if data.two_person_limit is not None and not (
        0 <= data.two_person_limit < data.max_limit
    ):
        errors["two_person_limit"] = [
            "Set it below the maximum (or leave it empty for one supervisor always)."
        ]
    known = queries.scenario_titles()
    unknown = [k for k in data.prerequisites if k not in known]
    if unknown:
        errors["prerequisites"] = [
            f"Unknown scenario{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
        ]
    if errors:
        raise InvalidInput(errors)
    before = None
    if authority is None:
        authority = Authority()
        db.session.add(authority)
    else:
        before = _authority_snapshot(authority)
    authority.code, authority.name = data.code, data.name.strip()
    authority.description, authority.unit = data.description.strip(), data.unit.strip()
    authority.max_limit, authority.two_person_limit = (
        data.max_limit,
        data.two_person_limit,
    )
    authority.validity_days = data.validity_days
    authority.prerequisites = list(data.prerequisites)
    authority.is_active = data.is_active
    try:
        db.session.flush()
    except IntegrityError as e:
        # Added under the same code by someone else at the same moment.
        raise InvalidInput(
            {"code": ["Another authority already uses this code."]}
        ) from e
    audit.record(
        by,
        "authority.create" if before is None else "authority.update",
        authority,
        summary=f"{'Added' if before is None else 'Changed'} authority {authority.code}",
        before=before,
        after=_authority_snapshot(authority),
    )
    return authority


# --- sign-offs and grants -----------------------------------------------------------------


def prerequisite_status(
    rep: User, authority: Authority, at: dt.datetime
) -> list[rules.Prerequisite]:
    return rules.check_prerequisites(
        authority.prerequisites or [],
        queries.last_passes(rep.id),
        authority.validity_days,
        at,
    )


class SignoffAlreadyPending(Conflict):
    """A request for this rep and authority is already waiting; ``request_id`` is it."""

    def __init__(self, request: SignoffRequest) -> None:
        super().__init__(
            "A request for this authority is already waiting for a supervisor; "
            "here it is."
        )
        self.request_id = request.id


def request_signoff(
    rep: User,
    authority: Authority,
    *,
    limit: Decimal,
    note: str = "",
    by: User,
    at: dt.datetime | None = None,
    lower_confirmed: bool = False,
) -> SignoffRequest:
    """Ask for ``rep`` to hold ``authority`` at ``limit`` (by the rep or a supervisor).

    Asking for less than the rep holds now is refused unless ``lower_confirmed``: an
    approval replaces the grant held.

    :raises NotAllowed: ``by`` is neither the rep nor their supervisor; not a rep; the
        authority is retired.
    :raises SignoffAlreadyPending: a request for this rep and authority is waiting (a
        second submit, another tab, or someone else asked first).
    :raises InvalidInput: prerequisites missing or stale, limit out of range.
    """
    at = at or utcnow()
    if Role.REP not in rep.roles:
        raise NotAllowed("Only reps hold authority.")
    if by.id != rep.id and not can_supervise_rep(by.viewer(), rep.id, rep.team_id):
        raise NotAllowed("Only the rep or their supervisor can ask for a sign-off.")
    if not authority.is_active:
        raise NotAllowed("This authority is no longer offered.")
    lock_people([rep.id])
    pending = authority_queries.get_pending_request(rep.id, authority.id)
    if pending is not None:
        raise SignoffAlreadyPending(pending)
    problems = rules.request_problems(
        limit=limit,
        max_limit=authority.max_limit,
        prerequisites=prerequisite_status(rep, authority, at),
        unit=authority.unit,
        titles=queries.scenario_titles(),
        held=held.limit
        if (held := authority_queries.held_grant(rep.id, authority.code, at))
        else None,
        lower_confirmed=lower_confirmed,
    )
    if problems:
        raise InvalidInput(problems)
    request = SignoffRequest(
        rep_id=rep.id,
        authority_id=authority.id,
        limit=limit,
        note=note.strip(),
        requested_by_id=by.id,
        requested_at=at,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        by,
        "signoff.request",
        request,
        summary=f"{rep.email} asks for {authority.code} up to "
        f"{rules.format_amount(limit, authority.unit)}",
        data={"limit": limit, "authority": authority.code},
    )
    return request


_RACE = (
    "Another supervisor acted on this request at the same moment. "
    "Reload it to see where it stands."
)


def _claim(request: SignoffRequest, values: dict[str, Any]) -> None:
    """Move the request on only if nobody else has since it was read.

    The condition on ``approval_count`` and the status makes the database, not this
    process, decide between two supervisors acting at once: the second UPDATE matches
    no row (PostgreSQL re-checks it after the first commits; SQLite refuses the second
    writer), and the caller gets :class:`Conflict`.
    """
    try:
        result = db.session.execute(
            update(SignoffRequest)
            .where(
                SignoffRequest.id == request.id,
                SignoffRequest.status == rules.SignoffStatus.PENDING,
                SignoffRequest.approval_count == request.approval_count,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    except OperationalError as e:
        raise Conflict(_RACE) from e
    if result.rowcount != 1:
        raise Conflict(_RACE)


def _check_pending(request: SignoffRequest) -> None:
    if request.status != rules.SignoffStatus.PENDING:
        raise Conflict(f"This request is already {request.status}.")


def approve_signoff(
    request: SignoffRequest,
    *,
    by: User,
    limit: Decimal,
    at: dt.datetime | None = None,
) -> Grant | None:
    """Approve a request at ``limit``; make the grant once enough supervisors agree.

    Above the authority's two-person limit the first approval waits for a second,
    different supervisor; the grant carries the lower of the approved limits.

    :raises NotAllowed: self-approval, the requester approving, not the rep's supervisor.
    :raises InvalidInput: the limit is not above zero or exceeds the catalogue maximum.
    :raises Conflict: the request was decided, ``by`` approved it already, or another
        supervisor acted at once.
    :return: the grant, or ``None`` while a second approval is awaited.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id in {a.supervisor_id for a in request.approvals}:
        # A second click on Approve, or a second tab: already done.
        raise Conflict(
            "You have already approved this request; it waits for a second supervisor."
        )
    authority = request.authority
    problems = rules.approval_problems(
        approver_id=by.id,
        rep_id=request.rep_id,
        requester_id=request.requested_by_id,
        may_supervise=can_supervise_rep(
            by.viewer(), request.rep_id, request.rep.team_id
        ),
        prior_approver_ids=[a.supervisor_id for a in request.approvals],
        limit=limit,
        max_limit=authority.max_limit,
        unit=authority.unit,
    )
    if "" in problems:
        raise NotAllowed(" ".join(problems[""]))
    if problems:
        raise InvalidInput(problems)
    limits = [a.limit for a in request.approvals] + [limit]
    complete = rules.is_complete(limits, authority.two_person_limit)
    values: dict[str, Any] = {"approval_count": request.approval_count + 1}
    if complete:
        values.update(
            status=rules.SignoffStatus.APPROVED, decided_at=at, decided_by_id=by.id
        )
    _claim(request, values)
    db.session.add(
        SignoffApproval(
            request_id=request.id, supervisor_id=by.id, limit=limit, approved_at=at
        )
    )
    shown = rules.format_amount(limit, authority.unit)
    audit.record(
        by,
        "signoff.approve",
        request,
        summary=f"Approved {authority.code} for {request.rep.email} at {shown}"
        + ("" if complete else " (a second supervisor must approve)"),
        data={"limit": limit},
    )
    grant = None
    if complete:
        grant_limit = rules.granted_limit(limits)
        grant = Grant(
            rep_id=request.rep_id,
            authority_id=authority.id,
            limit=grant_limit,
            unit=authority.unit,
            granted_at=at,
            expires_at=rules.expires_at(at, authority.validity_days),
            request_id=request.id,
            granted_by_id=by.id,
        )
        db.session.add(grant)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise Conflict(_RACE) from e
    if grant is not None:
        audit.record(
            by,
            "grant.create",
            grant,
            summary=f"{request.rep.email} may use {authority.code} up to "
            f"{rules.format_amount(grant.limit, grant.unit)} until "
            f"{grant.expires_at:%Y-%m-%d}",
            data={"limit": grant.limit, "request": request.id},
        )
        logger.info("Grant %s made for user %s by %s", grant.id, request.rep_id, by.id)
    db.session.expire(request)
    return grant


def decline_signoff(
    request: SignoffRequest, *, by: User, reason: str, at: dt.datetime | None = None
) -> None:
    """Decline a request with a reason the rep will see.

    :raises NotAllowed: not the rep's supervisor, or declining one's own request.
    :raises InvalidInput: no reason.
    :raises Conflict: already decided, or another supervisor acted at once.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id == request.rep_id or not can_supervise_rep(
        by.viewer(), request.rep_id, request.rep.team_id
    ):
        raise NotAllowed("Only a supervisor of this rep's team can decline.")
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why, so the rep knows what to work on."]})
    _claim(
        request,
        {
            "status": rules.SignoffStatus.DECLINED,
            "decided_at": at,
            "decided_by_id": by.id,
            "decline_reason": reason.strip(),
        },
    )
    audit.record(
        by,
        "signoff.decline",
        request,
        summary=f"Declined {request.authority.code} for {request.rep.email}",
        data={"reason": reason.strip()},
    )
    db.session.flush()
    db.session.expire(request)


def withdraw_signoff(
    request: SignoffRequest, *, by: User, at: dt.datetime | None = None
) -> None:
    """The rep (or whoever asked) withdraws a pending request.

    :raises NotAllowed: someone else's request.
    :raises Conflict: already decided.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id not in (request.rep_id, request.requested_by_id):
        raise NotAllowed("Only the rep or whoever asked can withdraw this request.")
    _claim(
        request,
        {
            "status": rules.SignoffStatus.WITHDRAWN,
            "decided_at": at,
            "decided_by_id": by.id,
        },
    )
    audit.record(by, "signoff.withdraw", request, summary="Withdrew a sign-off request")
    db.session.flush()
    db.session.expire(request)


def revoke_grant(
    grant: Grant, *, by: User, reason: str, at: dt.datetime | None = None
) -> GrantRevocation:
    """Revoke a grant now; every check from this moment on says no.

    :raises NotAllowed: not a supervisor of the rep (or revoking one's own grant).
    :raises InvalidInput: no reason.
    :raises Conflict: already revoked.
    """
    at = at or utcnow()
    if not can_supervise_rep(by.viewer(), grant.rep_id, grant.rep.team_id):
        raise NotAllowed(
            "Only a supervisor of this rep's team can revoke their authority."
        )
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the authority is revoked."]})
    if grant.revocation is not None:
        raise Conflict("This grant was already revoked.")
    revocation = GrantRevocation(
        grant_id=grant.id, revoked_by_id=by.id, revoked_at=at, reason=reason.strip()
    )
    db.session.add(revocation)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise Conflict("This grant was already revoked.") from e
    audit.record(
        by,
        "grant.revoke",
        grant,
        summary=f"Revoked {grant.authority.code} of {grant.rep.email}",
        data={"reason": reason.strip()},
    )
    logger.info("Grant %s revoked by %s", grant.id, by.id)
    db.session.expire(grant)
    return revocation
