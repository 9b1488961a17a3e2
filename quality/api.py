"""Quality endpoints of the JSON API (token auth, under /api/v1): reviews read a page at a
time, and reviews done in another tool sent in.

A token is not one person (``core.people.TOKEN_ROLES``), so the page rules that hang on who
is asking are kept as they apply to a role: leadership and admin tokens read every review,
as leadership does on the pages; a rep never holds a token, so reps read their reviews on
the pages. A review sent in names its reviewer, who must be someone the review page would
let review the rep (a supervisor of the rep's team, never the rep); it is checked as the
page checks a submit and submitted at once. The comments and notes written for the rep are
for people and are not answered to tokens.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from core.access import Role, Viewer
from core.api import api_actor, api_blueprint, current_token, token_required
from core.db import db
from core.errors import InvalidInput
from core.params import int_arg, month_value, text_arg
from core.people import get_user_by_email
from incentives.tickets.queries import ticket_facts, ticket_facts_by_helpdesk_id
from quality import operations, queries
from quality.models import QaReview

bp = api_blueprint("quality_api", __name__)

#: Token roles that read reviews: those who see every review on the pages.
READERS = (Role.LEADERSHIP, Role.ADMIN)
#: Token roles that send in reviews done elsewhere.
WRITERS = (Role.SUPERVISOR, Role.ADMIN)
MAX_PER_PAGE = 200
#: The longest e-mail, source and helpdesk ticket id there can be (their columns).
MAX_EMAIL = 254
MAX_SOURCE = 32
MAX_TICKET = 64
MAX_NOTE = 5000
MAX_COMMENT = 2000


def _token_viewer() -> Viewer:
    """The page rules' viewer for the calling token: its role, and nobody's records."""
    return Viewer(user_id=0, roles=frozenset({current_token().role}))


@bp.route("/qa/reviews")
@token_required(*READERS)
def review_list() -> Any:
    email = text_arg("rep", MAX_EMAIL)
    given = request.args.get("month")
    month = month_value(given) if given is not None else None
    page = int_arg("page", 1)
    per_page = int_arg("per_page", 50, high=MAX_PER_PAGE)
    rep_id = None
    if email:
        rep = get_user_by_email(email)
        if rep is None or Role.REP not in rep.roles:
            abort(404, f"No rep with the e-mail {email}.")
        rep_id = rep.id
    listed = queries.review_page(
        _token_viewer(),
        rep_id=rep_id,
        month=month,
        page=page or 1,
        per_page=per_page or 50,
    )
    facts = ticket_facts([r.ticket_id for r in listed.items])
    return jsonify(
        {
            "page": listed.page,
            "per_page": listed.per_page,
            "total": listed.total,
            "reviews": [_review_json(r, facts.get(r.ticket_id)) for r in listed.items],
        }
    )


@bp.route("/qa/reviews", methods=["POST"])
@token_required(*WRITERS)
def review_create() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object (Content-Type: application/json).")
    problems: dict[str, list[str]] = {}
    source = _text(body, "source", MAX_SOURCE, problems)
    ticket = _text(body, "ticket", MAX_TICKET, problems)
    email = _text(body, "reviewer", MAX_EMAIL, problems)
    note = _text(body, "note", MAX_NOTE, problems, required=False)
    ratings = body.get("ratings")
    if not isinstance(ratings, dict) or not ratings:
        problems["ratings"] = [
            'Send each category\'s rating by its key: {"empathy": 4, "tone": "na"}.'
        ]
    else:
        for key, value in ratings.items():
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole and value != "na":
                problems[f"ratings.{key}"] = [
                    'Send a whole number on the category\'s scale, or "na".'
                ]
    comments = body.get("comments", {})
    if not isinstance(comments, dict) or not all(
        isinstance(v, str) and len(v) <= MAX_COMMENT for v in comments.values()
    ):
        problems["comments"] = [
            f"Send comments as texts of at most {MAX_COMMENT} characters by category "
            "key, or leave them out."
        ]
    if problems:
        raise InvalidInput(problems)
    facts = ticket_facts_by_helpdesk_id(source, ticket)
    if facts is None:
        raise InvalidInput({"ticket": [f"No ticket {ticket} from {source} is stored."]})
    reviewer = get_user_by_email(email)
    if reviewer is None:
        raise InvalidInput({"reviewer": [f"Nobody has the e-mail {email}."]})
    review = operations.record_outside_review(
        facts,
        reviewer=reviewer,
        ratings=ratings,  # type: ignore[arg-type]
        comments=comments,
        note=note,
        by=api_actor(),
    )
    db.session.commit()
    return jsonify(_review_json(review, facts)), 201


def _text(
    body: dict[str, Any],
    name: str,
    longest: int,
    problems: dict[str, list[str]],
    *,
    required: bool = True,
) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems[name] = ["Required, as text."]
        return ""
    if len(value) > longest:
        problems[name] = [f"At most {longest} characters."]
        return ""
    return value.strip()


def _review_json(review: QaReview, facts: Any) -> dict[str, Any]:
    """A review as the API answers it: no comment or note (those are for people)."""
    rubric = review.rubric_version.rules
    return {
        "id": review.id,
        "ticket": {
            "source": facts.source if facts else None,
            "id": facts.external_id if facts else None,
            "channel": facts.channel if facts else None,
        },
        "rep": {"email": review.rep.email, "name": review.rep.name},
        "reviewer": {"email": review.reviewer.email, "name": review.reviewer.name},
        "month": review.month,
        "reason": review.reason,
        "rubric": {
            "name": review.rubric_version.rubric.name,
            "channel_group": rubric.channel_group.value,
            "version": review.rubric_version.version,
        },
        "ratings": [
            {
                "category": c.key,
                "label": c.label,
                "scale": c.scale.value,
                "rating": review.ratings.get(c.key),
            }
            for c in rubric.categories
        ],
        "score": review.score,
        "critical_failed": review.critical_failed,
        "state": review.state.value,
        "decision": review.decision.value if review.decision else None,
        "submitted_at": _when(review.submitted_at),
        "acknowledged_at": _when(review.acknowledged_at),
    }


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
