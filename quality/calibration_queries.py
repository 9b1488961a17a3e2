"""Reads for calibration: the sessions a person may open, their ratings as the blind rule
lets each person see them, the results once closed, and each reviewer's drift over time.

Every read of another reviewer's ratings goes through :func:`visible_ratings`, which asks
``quality.calibration.may_see_rating``: while a session is open, nobody but the reviewer
sees a rating.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from core.access import Role, Viewer
from core.db import db
from core.people import User, UserRole
from incentives.tickets.queries import TicketFacts, solved_ticket_facts, ticket_facts
from quality import calibration as rules
from quality.calibration import Drift, GridRow, SessionAgreement, SessionState
from quality.models import (
    QaCalibration,
    QaCalibrationRating,
    QaCalibrationReviewer,
    QaRubricVersion,
)
from quality.queries import helpdesk_url
from quality.rubrics import Category

#: Roles that may be a session's reviewers, and that create sessions.
REVIEWER_ROLES = (Role.SUPERVISOR, Role.ADMIN)
#: Who leads a supervisor: their calibration history (drift) is shown to these roles.
LEAD_ROLES = (Role.LEADERSHIP, Role.ADMIN)


def _sessions() -> Any:
    return select(QaCalibration).options(
        joinedload(QaCalibration.rubric_version).joinedload(QaRubricVersion.rubric),
        selectinload(QaCalibration.tickets),
        selectinload(QaCalibration.reviewers).joinedload(QaCalibrationReviewer.user),
        joinedload(QaCalibration.created_by),
    )


def can_view(viewer: Viewer, session: QaCalibration) -> bool:
    """Leadership and admins open every session; a supervisor those they created or
    review in. (What each sees of the ratings is :func:`visible_ratings`.)"""
    if viewer.has_any(LEAD_ROLES):
        return True
    return viewer.user_id == session.created_by_id or viewer.user_id in set(
        session.reviewer_ids
    )


def list_sessions(viewer: Viewer) -> list[QaCalibration]:
    """The sessions ``viewer`` may open, open ones first, the latest first."""
    query = _sessions()
    if not viewer.has_any(LEAD_ROLES):
        mine = select(QaCalibrationReviewer.calibration_id).where(
            QaCalibrationReviewer.user_id == viewer.user_id
        )
        query = query.where(
            (QaCalibration.created_by_id == viewer.user_id) | QaCalibration.id.in_(mine)
        )
    found = db.session.scalars(query.order_by(QaCalibration.id.desc())).unique()
    return sorted(found, key=lambda s: s.state is SessionState.CLOSED)


def get_session(session_id: int) -> QaCalibration | None:
    return db.session.scalars(_sessions().where(QaCalibration.id == session_id)).first()


def reviewer_choices() -> list[tuple[int, str]]:
    """Active supervisors and admins, who may review in a session."""
    users = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(REVIEWER_ROLES), User.is_active.is_(True))
        .order_by(User.name, User.id)
    ).unique()
    seen: dict[int, str] = {}
    for user in users:
        seen.setdefault(user.id, user.name)
    return list(seen.items())


def month_tickets(month: str, channel_group: str) -> list[TicketFacts]:
    """Tickets solved in ``month`` in ``channel_group``, credited to a rep."""
    return [f for f in solved_ticket_facts(month) if f.channel_group == channel_group]


def ticket_labels(session: QaCalibration) -> dict[int, str]:
    """Each ticket's id in its helpdesk (``#id`` when no longer stored), by ticket id."""
    facts = ticket_facts(session.ticket_ids)
    return {
        t: facts[t].external_id if t in facts else f"#{t}" for t in session.ticket_ids
    }


# --- ratings ------------------------------------------------------------------------------


def own_ratings(session: QaCalibration, user_id: int) -> dict[int, QaCalibrationRating]:
    """The user's own ratings in the session (drafts too), by ticket id."""
    rows = db.session.scalars(
        select(QaCalibrationRating).where(
            QaCalibrationRating.calibration_id == session.id,
            QaCalibrationRating.reviewer_id == user_id,
        )
    )
    return {r.ticket_id: r for r in rows}


def own_rating(
    session: QaCalibration, ticket_id: int, user_id: int
) -> QaCalibrationRating | None:
    return own_ratings(session, user_id).get(ticket_id)


def progress(session: QaCalibration) -> dict[int, int]:
    """How many tickets each reviewer has submitted (counts only, never the ratings)."""
    counts: dict[int, int] = dict.fromkeys(session.reviewer_ids, 0)
    rows = db.session.scalars(
        select(QaCalibrationRating.reviewer_id).where(
            QaCalibrationRating.calibration_id == session.id,
            QaCalibrationRating.submitted_at.is_not(None),
        )
    )
    for reviewer_id in rows:
        counts[reviewer_id] = counts.get(reviewer_id, 0) + 1
    return counts


def visible_ratings(
    session: QaCalibration, viewer_id: int
) -> dict[int, dict[int, dict[str, Any]]]:
    """The submitted ratings ``viewer_id`` may see, ``{reviewer: {ticket: ratings}}``:
    their own while the session is open, everyone's once it is closed."""
    rows = db.session.scalars(
        select(QaCalibrationRating).where(
            QaCalibrationRating.calibration_id == session.id,
            QaCalibrationRating.submitted_at.is_not(None),
        )
    )
    found: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        if rules.may_see_rating(session.state, viewer_id, row.reviewer_id):
            found[row.reviewer_id][row.ticket_id] = dict(row.ratings)
    return dict(found)


def visible_comments(
    session: QaCalibration, viewer_id: int
) -> dict[tuple[int, int], QaCalibrationRating]:
    """The submitted ratings' rows (comments and notes) ``viewer_id`` may read, by
    (ticket, reviewer); the same blind rule."""
    rows = db.session.scalars(
        select(QaCalibrationRating).where(
            QaCalibrationRating.calibration_id == session.id,
            QaCalibrationRating.submitted_at.is_not(None),
        )
    )
    return {
        (r.ticket_id, r.reviewer_id): r
        for r in rows
        if rules.may_see_rating(session.state, viewer_id, r.reviewer_id)
    }


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """A closed session's results, as its page shows them."""

    agreement: SessionAgreement
    grids: list[tuple[Category, list[GridRow]]]
    drifts: dict[int, Drift]


def results(session: QaCalibration, viewer_id: int) -> Results | None:
    """Agreement, the grid and each reviewer's drift; ``None`` while the session is
    open (the figures would tell one reviewer about the others' ratings)."""
    if session.state is not SessionState.CLOSED:
        return None
    rubric = session.rubric_version.rules
    ratings = visible_ratings(session, viewer_id)
    tickets, reviewers = session.ticket_ids, session.reviewer_ids
    return Results(
        rules.agreement(rubric, ratings, ticket_ids=tickets, reviewer_ids=reviewers),
        [
            (c, rules.grid(c, ratings, ticket_ids=tickets, reviewer_ids=reviewers))
            for c in rubric.categories
        ],
        {r: rules.drift(rubric, ratings, r) for r in reviewers},
    )


# --- drift over time ----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    session: QaCalibration
    drift: Drift
    categories: tuple[Category, ...]


def _history(user_id: int | None) -> dict[int, list[HistoryPoint]]:
    """Each reviewer's drift in the closed sessions they reviewed in (only ``user_id``'s
    when given), the oldest session first: one read of the sessions, one of ratings."""
    query = _sessions().where(QaCalibration.state == SessionState.CLOSED)
    if user_id is not None:
        query = query.where(
            QaCalibration.id.in_(
                select(QaCalibrationReviewer.calibration_id).where(
                    QaCalibrationReviewer.user_id == user_id
                )
            )
        )
    sessions = list(
        db.session.scalars(
            query.order_by(QaCalibration.closed_at, QaCalibration.id)
        ).unique()
    )
    ratings: dict[int, dict[int, dict[int, dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    states = {s.id: s.state for s in sessions}
    for start in range(0, len(sessions), 500):
        batch = [s.id for s in sessions[start : start + 500]]
        rows = db.session.scalars(
            select(QaCalibrationRating).where(
                QaCalibrationRating.calibration_id.in_(batch),
                QaCalibrationRating.submitted_at.is_not(None),
            )
        )
        for row in rows:
            # Closed sessions only, so everyone may see them; the rule is asked anyway.
            if rules.may_see_rating(states[row.calibration_id], -1, row.reviewer_id):
                ratings[row.calibration_id][row.reviewer_id][row.ticket_id] = dict(
                    row.ratings
                )
    found: dict[int, list[HistoryPoint]] = defaultdict(list)
    for session in sessions:
        rubric = session.rubric_version.rules
        for reviewer in session.reviewer_ids:
            if user_id is not None and reviewer != user_id:
                continue
            found[reviewer].append(
                HistoryPoint(
                    session,
                    rules.drift(rubric, ratings[session.id], reviewer),
                    rubric.categories,
                )
            )
    return found


def reviewer_history(user_id: int) -> list[HistoryPoint]:
    """The user's drift in each closed session they reviewed in, the oldest first."""
    return _history(user_id).get(user_id, [])


def reviewers_with_history() -> list[tuple[User, list[HistoryPoint]]]:
    """Everyone who reviewed in a closed session, with their history, by name."""
    history = _history(None)
    if not history:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(list(history))))
    return [(u, history[u.id]) for u in sorted(users, key=lambda u: (u.name, u.id))]


def may_see_history(viewer: Viewer, user_id: int) -> bool:
    """A reviewer's drift is shown to their lead (leadership and admins) and to them."""
    return viewer.has_any(LEAD_ROLES) or viewer.user_id == user_id


def to_score_count(user_id: int) -> int:
    """Tickets of open sessions the user has still to submit."""
    sessions = db.session.scalars(
        _sessions()
        .join(
            QaCalibrationReviewer,
            QaCalibrationReviewer.calibration_id == QaCalibration.id,
        )
        .where(
            QaCalibrationReviewer.user_id == user_id,
            QaCalibration.state == SessionState.OPEN,
        )
    ).unique()
    total = 0
    for session in sessions:
        done = progress(session).get(user_id, 0)
        total += max(0, len(session.ticket_ids) - done)
    return total


def ticket_and_link(ticket_id: int) -> tuple[TicketFacts | None, str | None]:
    """A session ticket's facts and its address in the helpdesk."""
    facts = ticket_facts([ticket_id]).get(ticket_id)
    if facts is None:
        return None, None
    return facts, helpdesk_url(facts.source, facts.external_id)
