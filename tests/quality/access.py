"""Access rules for the quality endpoints.

Reps see reviews of their own tickets (once submitted), acknowledge and dispute them;
supervisors review the reps of teams they lead and decide disputes about others' reviews;
leadership sees everything; admins edit rubrics and decide disputes. Calibration: the
supervisor who set a session up (and reviews in it) scores and closes it; admins close
any; leadership and admins read every session and every reviewer's drift; reps never.
"""

from __future__ import annotations

import datetime as dt

from core.access import Role
from core.db import db
from core.people import User, UserRole
from quality import calibration_operations
from quality.reviews import ReviewState
from tests.access import Access, World, roles
from tests.quality.records import import_tickets, load_rubrics, make_review, ticket

QUALITY = roles(Role.REP, Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
OVERSIGHT = roles(Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
DECIDERS = roles(Role.SUPERVISOR, Role.ADMIN)
ADMIN = roles(Role.ADMIN)
REP = roles(Role.REP)
SUPERVISOR = roles(Role.SUPERVISOR)
LEADS = roles(Role.LEADERSHIP, Role.ADMIN)
API_READERS = roles(Role.LEADERSHIP, Role.ADMIN)
API_WRITERS = roles(Role.SUPERVISOR, Role.ADMIN)


def populate(world: World) -> None:
    """Rubrics; a draft and a submitted review of ``world.rep`` by the supervisor, and a
    disputed one by another supervisor (so the world's supervisor may decide it)."""
    load_rubrics()
    rep, supervisor = world.rep, world.users[Role.SUPERVISOR]
    other = User(
        email="qa.second@example.com",
        name="Second reviewer",
        role_rows=[UserRole(role=Role.SUPERVISOR)],
    )
    db.session.add(other)
    ids = import_tickets(
        [ticket(f"Q-{n}", rep.email, f"2024-03-0{n}T10:00:00Z") for n in (1, 2, 3)],
        source="qa-matrix",
    )
    draft = make_review(ids["Q-1"], rep=rep, reviewer=supervisor)
    submitted = make_review(
        ids["Q-2"], rep=rep, reviewer=supervisor, state=ReviewState.SUBMITTED
    )
    disputed = make_review(
        ids["Q-3"], rep=rep, reviewer=other, state=ReviewState.DISPUTED
    )
    session = calibration_operations.create_session(
        name="Matrix round",
        channel_group="live",
        month="2024-03",
        ticket_refs=["Q-1", "Q-2"],
        random_count=None,
        reviewer_ids=[supervisor.id, other.id],
        due_on=dt.date(2099, 1, 31),
        by=supervisor,
        today=dt.date(2024, 1, 1),
    )
    world.extra.update(
        qa_calibration=session.id,
        qa_calibration_ticket=ids["Q-1"],
        qa_draft=draft.id,
        qa_submitted=submitted.id,
        qa_disputed=disputed.id,
        qa_rubric=draft.rubric_version.rubric_id,
    )


def _review(key: str, action: str = "") -> object:
    return lambda w: f"/quality/reviews/{w.extra[key]}{action}"


def _calibration(action: str = "") -> object:
    return lambda w: f"/quality/calibration/{w.extra['qa_calibration']}{action}"


def _ticket_path(action: str = "") -> object:
    return lambda w: (
        f"/quality/calibration/{w.extra['qa_calibration']}"
        f"/tickets/{w.extra['qa_calibration_ticket']}{action}"
    )


MATRIX: dict[str, Access] = {
    "quality.home": Access(QUALITY, "/quality/"),
    "quality.rubric_list": Access(OVERSIGHT, "/quality/rubrics"),
    "quality.rubric_detail": Access(
        OVERSIGHT, lambda w: f"/quality/rubrics/{w.extra['qa_rubric']}"
    ),
    "quality.rubric_new": Access(ADMIN, "/quality/rubrics/new"),
    "quality.rubric_edit": Access(
        ADMIN, lambda w: f"/quality/rubrics/{w.extra['qa_rubric']}/edit"
    ),
    "quality.link_save": Access(
        ADMIN,
        "/quality/links",
        method="POST",
        data={"source": "zendesk", "url_pattern": "https://x.example/t/{id}"},
    ),
    "quality.queue": Access(OVERSIGHT, "/quality/queue"),
    "quality.review_list": Access(OVERSIGHT, "/quality/reviews?month=2024-03"),
    "quality.review_detail": Access(QUALITY, _review("qa_submitted")),
    "quality.coaching": Access(OVERSIGHT, "/quality/coaching?month=2024-03"),
    # Only the assigned reviewer keeps a draft or submits it.
    "quality.review_save": Access(
        SUPERVISOR,
        _review("qa_draft", "/save"),
        method="POST",
        data={"rating_empathy": "4", "note": "So far so good"},
    ),
    "quality.review_submit": Access(
        SUPERVISOR, _review("qa_draft", "/submit"), method="POST", data={"note": ""}
    ),
    "quality.mine": Access(REP, "/quality/mine"),
    "quality.review_acknowledge": Access(
        REP, _review("qa_submitted", "/acknowledge"), method="POST"
    ),
    "quality.review_dispute": Access(
        REP,
        _review("qa_submitted", "/dispute"),
        method="POST",
        data={"reason": "The customer asked for it"},
    ),
    "quality.dispute_list": Access(DECIDERS, "/quality/disputes"),
    "quality.review_decide": Access(
        DECIDERS,
        _review("qa_disputed", "/decide"),
        method="POST",
        data={"decision": "upheld", "note": "Read it all"},
    ),
    "quality.calibration_list": Access(OVERSIGHT, "/quality/calibration"),
    "quality.calibration_new": Access(DECIDERS, "/quality/calibration/new"),
    "quality.calibration_detail": Access(OVERSIGHT, _calibration()),
    "quality.calibration_ticket": Access(OVERSIGHT, _ticket_path()),
    # Only the session's reviewers score its tickets (the admin is not one of them).
    "quality.calibration_save": Access(
        SUPERVISOR, _ticket_path("/save"), method="POST", data={"rating_empathy": "4"}
    ),
    "quality.calibration_submit": Access(
        SUPERVISOR, _ticket_path("/submit"), method="POST", data={"note": ""}
    ),
    # The creator (the supervisor) or an admin.
    "quality.calibration_close": Access(
        DECIDERS, _calibration("/close"), method="POST"
    ),
    "quality.calibration_history": Access(LEADS, "/quality/calibration/history"),
    # The supervisor's own drift; leadership and admins, who lead them.
    "quality.calibration_reviewer": Access(
        OVERSIGHT,
        lambda w: f"/quality/calibration/reviewers/{w.users[Role.SUPERVISOR].id}",
    ),
    "quality_api.review_list": Access(
        API_READERS, "/api/v1/qa/reviews?month=2024-03", api=True
    ),
    # The ticket has a review already: refused with 409, never for the token's role.
    "quality_api.review_create": Access(
        API_WRITERS,
        "/api/v1/qa/reviews",
        method="POST",
        data=lambda w: {
            "source": "qa-matrix",
            "ticket": "Q-2",
            "reviewer": w.users[Role.SUPERVISOR].email,
            "ratings": {"empathy": 4},
        },
        api=True,
    ),
}
