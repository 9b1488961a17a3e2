"""The audit trail is append-only and records changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import audit
from core.audit import AuditEvent, AuditTrailIsAppendOnly, changed_values
from core.db import db
from tests.factories import make_user


def test_changed_values_keeps_only_differences() -> None:
    before = {"name": "A", "team_id": 1, "email": "a@x"}
    after = {"name": "B", "team_id": 1, "email": "a@x", "new": True}
    assert changed_values(before, after) == (
        {"name": "A", "new": None},
        {"name": "B", "new": True},
    )


@pytest.mark.usefixtures("app_ctx")
def test_record_names_actor_subject_and_change() -> None:
    actor, subject = make_user(), make_user()
    audit.record(
        actor,
        "user.update",
        subject,
        summary="Renamed",
        before={"name": "A"},
        after={"name": "B"},
    )
    db.session.flush()
    event = db.session.scalar(select(AuditEvent))
    assert (event.actor_id, event.actor_label) == (actor.id, actor.email)
    assert (event.subject_type, event.subject_id) == ("User", str(subject.id))
    assert event.changes == [("name", "A", "B")]
    assert event.at.tzinfo is not None


@pytest.mark.usefixtures("app_ctx")
def test_events_cannot_be_edited_or_deleted() -> None:
    audit.record("cli", "thing.happen", summary="first")
    db.session.commit()
    event = db.session.scalar(select(AuditEvent))
    event.summary = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent))
    db.session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
