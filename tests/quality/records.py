"""Records for the quality tests: shipped rubrics loaded, tickets imported for reps, and
reviews brought to a state through the operations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import db
from incentives.tickets import operations as ticket_operations
from incentives.tickets.models import Ticket
from quality import operations, queries
from quality.models import QaReview
from quality.reviews import ReviewState

SHIPPED = Path(__file__).resolve().parents[2] / "quality" / "shipped"


def load_rubrics() -> None:
    for path in sorted(SHIPPED.glob("*.yaml")):
        operations.import_rubric_yaml(path.read_text(), by="test")


def import_tickets(records: list[dict], *, source: str = "qa") -> dict[str, int]:
    """Import ticket records (Frontline's fields) and return their ids by ticket id."""
    outcome = ticket_operations.import_ticket_records(
        records, source=source, by="test", tz=ZoneInfo("UTC")
    )
    assert outcome.record is not None
    assert not outcome.record.is_rejected
    rows = db.session.execute(
        select(Ticket.external_id, Ticket.id).where(Ticket.source == source)
    )
    return {external_id: ticket_id for external_id, ticket_id in rows}


def ticket(ticket_id: str, agent: str, solved: str, **extra) -> dict:
    """A chat ticket created an hour before ``solved`` (an ISO time), any field as given."""
    return {
        "ticket_id": ticket_id,
        "channel": extra.pop("channel", "chat"),
        "agent_email": agent,
        "created_at": extra.pop("created", solved.replace("T10", "T09")),
        "solved_at": solved,
        **extra,
    }


def best_ratings(review: QaReview) -> dict[str, object]:
    """Every category at the top of its scale."""
    return {c.key: c.scale.points[-1] for c in review.rubric_version.rules.categories}


def make_review(
    ticket_id: int,
    *,
    rep,
    reviewer,
    state: ReviewState = ReviewState.DRAFT,
    month: str = "2024-03",
) -> QaReview:
    """A review of ``ticket_id`` by ``reviewer``, brought to ``state`` as people would."""
    version = queries.current_versions()["live"]
    review = QaReview(
        ticket_id=ticket_id,
        rep_id=rep.id,
        reviewer_id=reviewer.id,
        month=month,
        reason="random",
        rubric_version_id=version.id,
        due_on=dt.date(2024, 4, 14),
    )
    db.session.add(review)
    db.session.flush()
    if state is ReviewState.DRAFT:
        return review
    operations.submit_review(
        review, ratings=best_ratings(review), comments={}, note="Good", by=reviewer
    )
    if state is ReviewState.ACKNOWLEDGED:
        operations.acknowledge_review(review, by=rep)
    if state is ReviewState.DISPUTED:
        operations.dispute_review(review, reason="Not my ticket", by=rep)
    return review
