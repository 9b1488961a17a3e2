"""Disputes that hold: one decision per dispute whoever decides second, reassignment only
to reps the decider supervises, and the new rep told and free to dispute in turn."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.access import Role
from core.audit import AuditEvent
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import UserRole
from incentives import panels
from incentives.scoring import dispute_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.models import TicketDispute
from incentives.tickets.models import Ticket
from tests.factories import make_user
from tests.helpers import post_form, text
from tests.incentives import scoring_world

pytestmark = pytest.mark.usefixtures("app_ctx")

MARCH = "2024-03"


@pytest.fixture
def world() -> scoring_world.World:
    return scoring_world.build()


def a3_dispute(world) -> TicketDispute:
    a3 = db.session.get(Ticket, world.tickets["A3"])
    return scoring_operations.file_dispute(a3, by=world.ann, reason="Cat handled it")


def decisions(dispute_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.summary)
            .where(
                AuditEvent.action == "dispute.decide",
                AuditEvent.subject_id == str(dispute_id),
            )
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def log_in(login_as):
    """Log the test client in as someone else; the app context these tests share would
    otherwise keep the previous user for the next request."""

    def switch(user):
        g.pop("_login_user", None)
        return login_as(user)

    return switch


def second_supervisor(world):
    sue = make_user(Role.SUPERVISOR, name="Sue Second", email="sue@example.com")
    world.desk.supervisors.append(sue)
    db.session.flush()
    return sue


# --- one decision -------------------------------------------------------------------------


def test_a_decision_written_meanwhile_wins_and_the_late_one_is_refused(world) -> None:
    """The late supervisor's page still said "open": the conditional update finds the row
    decided and refuses, so the row never mixes a decline with an exclusion."""
    dispute = a3_dispute(world)
    sue = second_supervisor(world)
    # Sam's exclusion lands behind the session's back, as another request would.
    db.session.execute(
        update(TicketDispute)
        .where(TicketDispute.id == dispute.id)
        .values(
            status=DisputeStatus.ACCEPTED,
            resolution=Resolution.EXCLUDE,
            decided_at=utcnow(),
            decided_by_id=world.sam.id,
        )
        .execution_options(synchronize_session=False)
    )
    assert dispute.is_open  # what the late request still believes
    with pytest.raises(Conflict, match="already decided by Sam Supervisor: accepted"):
        scoring_operations.decide_dispute(
            dispute, by=sue, accept=False, note="You replied twice on it"
        )
    db.session.refresh(dispute)
    assert (dispute.status, dispute.resolution) == (
        DisputeStatus.ACCEPTED,
        Resolution.EXCLUDE,
    )
    assert dispute.decision_note == ""
    assert decisions(dispute.id) == []  # the refused decision left no trace


def test_every_decision_is_audited_with_its_outcome(world) -> None:
    dispute = a3_dispute(world)
    scoring_operations.decide_dispute(
        dispute,
        by=world.sam,
        accept=True,
        resolution=Resolution.REASSIGN,
        reassign_to=world.bob,
        note="Bob's notes",
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "dispute.decide")
    )
    assert event.actor_id == world.sam.id
    assert "reassigned to bob@example.com" in event.summary
    assert event.data["after"]["resolution"] == "reassign"
    assert event.data["after"]["reassigned_to_id"] == world.bob.id
    assert event.data["after"]["note"] == "Bob's notes"


def test_the_database_refuses_a_row_that_mixes_two_decisions(world) -> None:
    dispute = a3_dispute(world)
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            update(TicketDispute)
            .where(TicketDispute.id == dispute.id)
            .values(
                status=DisputeStatus.DECLINED,
                resolution=Resolution.EXCLUDE,
                decided_at=utcnow(),
            )
        )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            update(TicketDispute)
            .where(TicketDispute.id == dispute.id)
            .values(
                status=DisputeStatus.ACCEPTED,
                resolution=Resolution.EXCLUDE,
                reassigned_to_id=world.bob.id,
                decided_at=utcnow(),
            )
        )


def test_the_second_supervisor_on_the_page_is_told_it_was_already_decided(
    world, client, log_in
) -> None:
    dispute = a3_dispute(world)
    sue = second_supervisor(world)
    db.session.commit()
    url = f"/incentives/disputes/{dispute.id}"
    log_in(world.sam)
    response = post_form(
        client, url + "/decide", {"decision": "exclude"}, token_from=url
    )
    assert response.status_code == 302
    log_in(sue)
    response = post_form(
        client,
        url + "/decide",
        {"decision": "decline", "note": "You replied twice on it"},
        token_from="/",
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert "This dispute was already decided by Sam Supervisor: accepted." in page
    db.session.refresh(dispute)
    assert (dispute.status, dispute.resolution) == (
        DisputeStatus.ACCEPTED,
        Resolution.EXCLUDE,
    )
    assert len(decisions(dispute.id)) == 1


# --- reassignment -------------------------------------------------------------------------


def test_a_supervisor_reassigns_only_to_reps_of_their_teams(world) -> None:
    dispute = a3_dispute(world)
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.decide_dispute(
            dispute,
            by=world.sam,
            accept=True,
            resolution=Resolution.REASSIGN,
            reassign_to=world.cat,
        )
    assert caught.value.errors["reassign_to"] == [
        "You do not supervise Cat Example's team, so you cannot give them the ticket. "
        "Choose a rep of a team you supervise."
    ]
    assert db.session.get(TicketDispute, dispute.id).is_open
    offered = dispute_queries.reassign_choices(
        world.sam.viewer(), disputing_rep_id=world.ann.id
    )
    assert offered == [(world.bob.id, "Bob Example · Desk")]


def test_leadership_or_an_admin_who_supervises_may_give_it_to_any_rep(world) -> None:
    dispute = a3_dispute(world)
    world.sam.role_rows.append(UserRole(role=Role.LEADERSHIP))
    db.session.flush()
    offered = dispute_queries.reassign_choices(
        world.sam.viewer(), disputing_rep_id=world.ann.id
    )
    assert [name for _, name in offered] == [
        "Bob Example · Desk",
        "Cat Example · Other",
    ]
    scoring_operations.decide_dispute(
        dispute,
        by=world.sam,
        accept=True,
        resolution=Resolution.REASSIGN,
        reassign_to=world.cat,
    )
    assert scoring_queries.accepted_changes()[world.tickets["A3"]] == (
        world.cat.id,
        world.other.id,
    )


def test_the_form_offers_only_supervised_reps_and_the_server_refuses_others(
    world, client, log_in
) -> None:
    dispute = a3_dispute(world)
    db.session.commit()
    url = f"/incentives/disputes/{dispute.id}"
    log_in(world.sam)
    page = text(client.get(url))
    assert "Bob Example · Desk" in page
    assert "Cat Example" not in page
    response = post_form(
        client,
        url + "/decide",
        {"decision": "reassign", "reassign_to": str(world.cat.id)},
        token_from=url,
    )
    assert response.status_code == 200
    assert "You do not supervise Cat Example&#39;s team" in text(response)
    assert db.session.get(TicketDispute, dispute.id).is_open


def test_the_new_rep_is_told_and_may_dispute_the_ticket_in_turn(
    app, world, client, log_in, monkeypatch
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    dispute = a3_dispute(world)
    db.session.commit()
    url = f"/incentives/disputes/{dispute.id}"
    log_in(world.sam)
    response = post_form(
        client,
        url + "/decide",
        {"decision": "reassign", "reassign_to": str(world.bob.id)},
        token_from=url,
    )
    assert response.status_code == 302
    assert "Bob Example was told by e-mail." in text(client.get(url))
    assert [m["To"] for m in sent] == ["bob@example.com"]
    assert sent[0]["Subject"] == "Ticket A3 now counts for you"
    assert url in sent[0].get_content()

    # Bob sees it on his dashboard and on the dispute, and disputes it himself.
    panel = panels.scorecard_panel(world.bob)
    assert [d.id for d in panel.context["given"]] == [dispute.id]
    log_in(world.bob)
    page = text(client.get(url))
    assert "This ticket now counts for you" in page, page[page.find("<main") :][:3000]
    a3 = world.tickets["A3"]
    response = post_form(
        client,
        f"/incentives/tickets/{a3}/dispute",
        {"reason": "Cat answered it, not me"},
        token_from=url,
    )
    assert response.status_code == 302
    second = scoring_queries.get_open_dispute(a3)
    assert second.rep_id == world.bob.id
    # Ann gave it away: she may not dispute it again; Cat never had it.
    ticket = db.session.get(Ticket, a3)
    with pytest.raises(InvalidInput, match="already changed"):
        scoring_operations.file_dispute(ticket, by=world.ann, reason="Mine after all")
    with pytest.raises(NotAllowed):
        scoring_operations.file_dispute(ticket, by=world.cat, reason="Not mine")
    # Bob's supervisor excludes it: the latest decision is what counts.
    scoring_operations.decide_dispute(
        second, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
    )
    assert scoring_queries.accepted_changes()[a3] == (None, None)
    assert scoring_queries.month_scores(MARCH).scores[world.bob.id].tickets_solved == 2


def test_the_reassigned_reps_other_supervisor_sees_the_dispute(world) -> None:
    dispute = a3_dispute(world)
    world.sam.role_rows.append(UserRole(role=Role.LEADERSHIP))
    scoring_operations.decide_dispute(
        dispute,
        by=world.sam,
        accept=True,
        resolution=Resolution.REASSIGN,
        reassign_to=world.cat,
    )
    for who in (world.olga, world.cat):
        seen = scoring_queries.list_disputes(who.viewer(), status=None)
        assert [d.id for d in seen] == [dispute.id]
    assert scoring_queries.list_disputes(world.bob.viewer(), status=None) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketDispute)) == 1
