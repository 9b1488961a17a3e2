"""Recruiting endpoints of the JSON API (token auth, under /api/v1).

Tokens acting as admin or hiring manager add candidates and make test links; leadership
tokens read. A token never rates a test, so in a blind opening it gets no candidate's
identity (name, e-mail, phone, source) until the candidate is hired, as for a reviewer
who has not rated (``recruiting.identity``); the call that adds a candidate answers with
what it sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.access import Role
from core.api import api_actor, api_blueprint, token_required
from core.db import db
from core.errors import InvalidInput
from core.input_checks import MAX_ID
from core.params import int_arg
from recruiting import (
    candidate_queries,
    identity,
    invitation_operations,
    operations,
    queries,
)
from recruiting.importing import check_email
from recruiting.models import Candidate, Invitation, Opening
from recruiting.pipeline import Stage

bp = api_blueprint("recruiting_api", __name__)

WRITERS = (Role.ADMIN, Role.HIRING_MANAGER)
READERS = (*WRITERS, Role.LEADERSHIP)
MAX_PER_PAGE = 200


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object (Content-Type: application/json).")
    return body


def _int(value: Any, name: str, *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput({name: ["Send a whole number."]})
    if abs(value) > MAX_ID:
        # No record has such an id, and the database could not even compare it.
        raise InvalidInput({name: [f"Send a whole number up to {MAX_ID}."]})
    return value


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput({name: ["Send a string."]})
    return value


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _opening_json(opening: Opening) -> dict[str, Any]:
    return {
        "id": opening.id,
        "title": opening.title,
        "status": str(opening.status),
        "team": {"id": opening.team_id, "name": opening.team.name},
        "channels": list(opening.channels),
        "assessment": {
            "id": opening.assessment_id,
            "key": opening.assessment.key,
            "version": opening.assessment.version,
            "title": opening.assessment.title,
        },
        "weights": {str(c): w for c, w in opening.weight_map.items()},
        "blind_review": opening.blind_review,
    }


def _candidate_json(
    candidate: Candidate,
    result: queries.ResultView | None = None,
    *,
    as_added: bool = False,
    visible: set[int] | None = None,
) -> dict[str, Any]:
    """A candidate as the calling token may see them; ``as_added`` for the answer to the
    call that added them (it sent the details itself).

    :param visible: ids of candidates whose identity the token may see, among those this
        one may name as a possible duplicate (read here when not given).
    """
    person = identity.person(
        candidate, blind=candidate.opening.blind_review, has_seen=as_added
    )
    if visible is None:
        visible = identity.visible_ids(
            identity.TOKEN_VIEWER, [candidate.duplicate_of_id]
        )
    return {
        "id": candidate.id,
        "opening_id": candidate.opening_id,
        "name": person.name or None,
        "email": person.email,
        "phone": person.phone,
        "source": person.source,
        "identity_hidden": person.hidden,
        "stage": str(candidate.stage),
        "created_at": _iso(candidate.created_at),
        "stage_changed_at": _iso(candidate.stage_changed_at),
        "duplicate_of": identity.duplicate_link(
            person, candidate.duplicate_of_id, visible
        ),
        "erased": candidate.is_erased,
        "hired_user_id": candidate.hired_user_id,
        "result": None
        if result is None
        else {
            "assessment_id": result.assessment_id,
            "assessment_version": result.version,
            "scores": {str(c): v for c, v in result.scores.items()},
            "weighted_total": result.total,
            "percentile": result.percentile,
            "answered": result.answered,
            "item_count": result.item_count,
            "timed_out": result.timed_out,
            "submitted_at": _iso(result.submitted_at),
        },
    }


@bp.route("/openings")
@token_required(*READERS)
def opening_list() -> Any:
    return jsonify(
        {"openings": [_opening_json(s.opening) for s in queries.list_openings()]}
    )


@bp.route("/candidates")
@token_required(*READERS)
def candidate_list() -> Any:
    opening_id = int_arg("opening")
    if opening_id is None:
        raise InvalidInput({"opening": ["Say which opening: ?opening=ID."]})
    stage = request.args.get("stage")
    if stage is not None and stage not in set(Stage):
        raise InvalidInput({"stage": [f"Use one of {', '.join(Stage)}."]})
    page = int_arg("page", 1)
    per_page = int_arg("per_page", 50, high=MAX_PER_PAGE)
    opening = db.get_or_404(Opening, opening_id)
    listed = candidate_queries.opening_candidates(
        opening, stage=Stage(stage) if stage else None, page=page, per_page=per_page
    )
    visible = identity.visible_ids(
        identity.TOKEN_VIEWER, [c.duplicate_of_id for c, _ in listed.items]
    )
    return jsonify(
        {
            "opening": _opening_json(opening),
            "page": listed.page,
            "per_page": listed.per_page,
            "total": listed.total,
            "candidates": [
                _candidate_json(c, r, visible=visible) for c, r in listed.items
            ],
        }
    )


@bp.route("/candidates", methods=["POST"])
@token_required(*WRITERS)
def candidate_create() -> Any:
    body = _body()
    opening_id = _int(body.get("opening_id"), "opening_id", required=True)
    opening = db.session.get(Opening, opening_id)
    if opening is None:
        raise InvalidInput({"opening_id": ["No opening has this id."]})
    consent = _text(body, "consent_on")
    try:
        consent_on = dt.date.fromisoformat(consent) if consent else None
    except ValueError as e:
        raise InvalidInput({"consent_on": ["Use a date like 2026-03-31."]}) from e
    data = operations.CandidateInput(
        name=_text(body, "name") or "",
        email=_text(body, "email") or "",
        phone=_text(body, "phone"),
        source=_text(body, "source"),
        notes=_text(body, "notes"),
        consent_on=consent_on,
    )
    existing = _existing(opening.id, data.email)
    if existing is not None:
        return jsonify(_candidate_json(existing)), 200
    try:
        candidate = operations.add_candidate(
            opening, data, by=api_actor(), how="Added through the API"
        )
        db.session.commit()
    except IntegrityError:
        # The same candidate posted twice at once: the other request created them.
        db.session.rollback()
        existing = _existing(opening.id, data.email)
        if existing is None:
            raise
        return jsonify(_candidate_json(existing)), 200
    response = jsonify(_candidate_json(candidate, as_added=True))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "recruiting.candidate_detail", candidate_id=candidate.id
    )
    return response


def _existing(opening_id: int, email: str) -> Candidate | None:
    normalized = check_email(email) if email else None
    if normalized is None:
        return None
    return db.session.scalar(
        select(Candidate).where(
            Candidate.opening_id == opening_id, Candidate.email == normalized
        )
    )


@bp.route("/candidates/<int:candidate_id>/invitations", methods=["POST"])
@token_required(*WRITERS)
def invitation_create(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    body = request.get_json(silent=True)
    if body is None and request.get_data():  # a body was sent, but it is not JSON
        abort(400, "Send a JSON object, or nothing.")
    body = body or {}
    if not isinstance(body, dict):
        abort(400, "Send a JSON object, or nothing.")
    days = _int(body.get("days"), "days")
    limit = _int(body.get("time_limit_minutes"), "time_limit_minutes")
    replace = body.get("replace", False)
    if not isinstance(replace, bool):
        raise InvalidInput({"replace": ["Send true or false."]})
    try:
        invitation, token = invitation_operations.create_invitation(
            candidate,
            by=api_actor(),
            days=invitation_operations.DEFAULT_LINK_DAYS if days is None else days,
            time_limit_minutes=limit,
            replace=replace,
        )
    except invitation_operations.LinkAlreadyOpen as e:
        db.session.rollback()
        working = e.invitation
        return jsonify(
            {
                "error": {
                    "status": 409,
                    "message": "This candidate already has a test link that works; "
                    'send "replace": true to stop it and make a new one.',
                    "invitation": {
                        "id": working.id,
                        "expires_at": _iso(working.expires_at),
                        "started_at": _iso(working.started_at),
                    },
                }
            }
        ), 409
    db.session.commit()
    return jsonify(_invitation_json(invitation, token)), 201


def _invitation_json(invitation: Invitation, token: str) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "candidate_id": invitation.candidate_id,
        "url": url_for("recruiting.take", token=token, _external=True),
        "expires_at": _iso(invitation.expires_at),
        "time_limit_minutes": invitation.time_limit_minutes,
        "assessment_id": invitation.assessment_id,
    }
