"""Two supervisors deciding one dispute at the same moment, with opposite decisions: one
decision is kept whole, the other supervisor is told it was already decided.

Runs the real app on a database of its own (a file on SQLite, a scratch database on
PostgreSQL when ``FRONTLINE_TEST_DATABASE_URL`` is set), one browser session per
supervisor, the posts released together.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import User
from incentives.scoring import operations as scoring_operations
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.models import TicketDispute
from incentives.tickets.models import Ticket
from tests.factories import make_user
from tests.helpers import logged_in_tabs, post_each, text
from tests.incentives import scoring_world

#: Disputes raced one after another, so the two posts really overlap at least once.
ROUNDS = 3


def _world(app: Flask) -> dict[str, object]:
    """Scoring's small organisation, a second supervisor of Desk, and Ann's disputes of
    A1 to A3; committed."""
    with app.app_context():
        world = scoring_world.build()
        sue = make_user(Role.SUPERVISOR, name="Sue Second", email="sue@example.com")
        world.desk.supervisors.append(sue)
        disputes = [
            scoring_operations.file_dispute(
                db.session.get(Ticket, world.tickets[key]),
                by=world.ann,
                reason="Cat handled it",
            ).id
            for key in ("A1", "A2", "A3")[:ROUNDS]
        ]
        db.session.commit()
        ids = {
            "sam": world.sam.get_id(),
            "sue": sue.get_id(),
            "bob": world.bob.id,
            "disputes": disputes,
        }
        db.session.remove()
        return ids


def test_opposite_decisions_at_once_keep_one_whole_decision(race_app) -> None:
    world = _world(race_app)
    sam = logged_in_tabs(race_app, world["sam"], 1)[0]
    sue = logged_in_tabs(race_app, world["sue"], 1)[0]
    for dispute_id in world["disputes"]:
        url = f"/incentives/disputes/{dispute_id}"
        statuses = post_each(
            [
                (sam, {"decision": "exclude"}),
                (sue, {"decision": "decline", "note": "You replied twice on it"}),
            ],
            url + "/decide",
        )
        assert statuses == [302, 302]
        with race_app.app_context():
            dispute = db.session.get(TicketDispute, dispute_id)
            winner = dispute.decided_by.name
            if dispute.status is DisputeStatus.ACCEPTED:
                assert winner == "Sam Supervisor"
                assert dispute.resolution is Resolution.EXCLUDE
                assert dispute.decision_note == ""
            else:
                assert winner == "Sue Second"
                assert dispute.status is DisputeStatus.DECLINED
                assert dispute.resolution is None
                assert dispute.decision_note == "You replied twice on it"
            events = db.session.scalars(
                sa.select(AuditEvent.actor_id).where(
                    AuditEvent.action == "dispute.decide",
                    AuditEvent.subject_id == str(dispute_id),
                )
            ).all()
            assert events == [dispute.decided_by_id]
            db.session.remove()
        # The one who lost sees why on the page their post led back to.
        pages = [text(client.get(url)) for client, _ in (sam, sue)]
        told = [p for p in pages if "This dispute was already decided by" in p]
        assert len(told) == 1
        assert re.search(
            rf"already decided by {winner}: (accepted|declined)\.", told[0]
        )


def test_a_reassignment_and_a_decline_at_once_never_mix(race_app) -> None:
    world = _world(race_app)
    sam = logged_in_tabs(race_app, world["sam"], 1)[0]
    sue = logged_in_tabs(race_app, world["sue"], 1)[0]
    dispute_id = world["disputes"][0]
    statuses = post_each(
        [
            (sam, {"decision": "reassign", "reassign_to": str(world["bob"])}),
            (sue, {"decision": "decline", "note": "You replied twice on it"}),
        ],
        f"/incentives/disputes/{dispute_id}/decide",
    )
    assert statuses == [302, 302]
    with race_app.app_context():
        dispute = db.session.get(TicketDispute, dispute_id)
        if dispute.status is DisputeStatus.DECLINED:
            assert (dispute.resolution, dispute.reassigned_to_id) == (None, None)
        else:
            assert dispute.resolution is Resolution.REASSIGN
            assert dispute.reassigned_to_id == world["bob"]
            assert db.session.get(User, world["bob"]).name == "Bob Example"
        db.session.remove()
