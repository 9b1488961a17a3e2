"""Everyone sees the plan: leadership every plan, a supervisor the one their teams are paid
on, a rep theirs in plain words, acknowledged with the version; only admins change plans."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import Conflict, NotAllowed
from incentives import panels
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plan_operations, plan_queries, plan_words
from incentives.scoring.models import PlanAcknowledgement
from tests.factories import make_user
from tests.helpers import post_form, text
from tests.incentives import scoring_world

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def world() -> scoring_world.World:
    return scoring_world.build()


@pytest.fixture
def log_in(login_as):
    """Log the test client in as someone else; the app context these tests share would
    otherwise keep the previous user for the next request."""

    def switch(user):
        g.pop("_login_user", None)
        return login_as(user)

    return switch


def other_plan():
    version, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Pilot plan"), by="test"
    )
    return version


# --- plain words --------------------------------------------------------------------------


def test_the_plan_reads_as_sentences_with_the_reps_own_numbers(world) -> None:
    words = plan_words.describe(world.version.rules, world.desk.id)
    assert words.metrics == (
        "CSAT (satisfied ratings, as a Bayesian average with the organisation's mean) is "
        "worth 60 points. Higher is better: at 80% or less you earn none of them, at 95% "
        "or more you earn all 60, and in between a share in proportion.",
        "Solved in time (share of tickets solved within the SLA target for their channel) "
        "is worth 40 points. Higher is better: at 50% or less you earn none of them, at "
        "100% or more you earn all 40, and in between a share in proportion.",
    )
    assert words.eligibility == (
        "You qualify for a payout in a month when you have at least 2 solved tickets and "
        "3 of them rated by customers."
    )
    assert words.payout == (
        "Your target bonus is 200.00 USD a month. Your score is the sum of the points "
        "above, out of 100.",
        "Below 15 points, the month pays nothing.",
        "With 15 points or more, you are paid 50% of your target bonus, 100.00 USD.",
        "With 80 points or more, you are paid 100% of your target bonus, 200.00 USD.",
    )
    assert "as if you had 5 more ratings" in words.fine_print[0]


def test_lower_is_better_stretch_team_bonus_and_cap_in_words(world) -> None:
    plan = scoring_operations.check_plan(
        {
            **scoring_world.PLAN,
            "metrics": {
                "first_response_median_min": {
                    "weight": 100,
                    "threshold": 60,
                    "target": 15,
                    "stretch": 5,
                    "cap": 120,
                }
            },
            "team_target_bonus": {"Desk": 300},
            "payout": {"tiers": [{"score": 50, "amount": 150}], "cap": 250},
        }
    )
    words = plan_words.describe(plan, world.desk.id)
    assert words.metrics == (
        "First reply (median minutes to the first reply) is worth 100 points. Lower is "
        "better: at 60 min or more you earn none of them, at 15 min or less you earn all "
        "100, and in between a share in proportion. Beyond the target it keeps counting: "
        "at 5.0 min (below the target) you earn 120% of them, 120 points.",
    )
    assert words.payout[0].startswith("Your target bonus is 300.00 USD a month.")
    assert words.payout[2] == "With 50 points or more, you are paid 150.00 USD."
    assert words.payout[-1] == "No month pays more than 250.00 USD."
    other = plan_words.describe(plan, world.other.id)
    assert other.payout[0].startswith("Your target bonus is 200.00 USD a month.")
    assert not any("CSAT" in s for s in other.fine_print)


# --- who reads which plan -----------------------------------------------------------------


def test_leadership_reads_every_plan_and_a_supervisor_the_one_in_force(
    world, client, log_in
) -> None:
    pilot = other_plan()
    db.session.commit()
    in_force = f"/incentives/plans/{world.version.plan_id}"
    pilot_url = f"/incentives/plans/{pilot.plan_id}"
    log_in(world.leader)
    listing = text(client.get("/incentives/plans"))
    assert "Desk plan" in listing
    assert "Pilot plan" in listing
    assert "New plan" not in listing
    page = client.get(pilot_url)
    assert page.status_code == 200
    assert "Change" not in text(page)
    assert "Put in force" not in text(page)
    assert client.get(pilot_url + f"/versions/{pilot.id}.yaml").status_code == 200
    assert client.get(pilot_url + "/edit").status_code == 403

    log_in(world.sam)
    listing = text(client.get("/incentives/plans"))
    assert "Desk plan" in listing
    assert "Pilot plan" not in listing
    assert client.get(in_force).status_code == 200
    assert client.get(pilot_url).status_code == 403
    assert client.get(pilot_url + f"/versions/{pilot.id}.yaml").status_code == 403

    log_in(world.ann)
    assert client.get("/incentives/plans").status_code == 403
    assert client.get(in_force).status_code == 403


def test_a_rep_reads_and_acknowledges_the_plan_they_are_paid_on(
    world, client, log_in
) -> None:
    db.session.commit()
    log_in(world.ann)
    page = text(client.get("/incentives/my-plan"))
    assert "Your plan: Desk plan" in page
    assert "at 80% or less you earn none of them" in page
    assert "I have read this plan" in page
    response = post_form(
        client,
        "/incentives/my-plan/acknowledge",
        {"version_id": world.version.id, "content_hash": world.version.content_hash},
        token_from="/incentives/my-plan",
    )
    assert response.status_code == 302
    page = text(client.get("/incentives/my-plan"))
    assert "Thank you: you acknowledged Desk plan v1." in page
    assert "You acknowledged this version on" in page
    assert "I have read this plan" not in page
    ack = db.session.scalar(select(PlanAcknowledgement))
    assert (ack.user_id, ack.plan_version_id, ack.content_hash) == (
        world.ann.id,
        world.version.id,
        world.version.content_hash,
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "plan.acknowledge")
    )
    assert event.actor_id == world.ann.id
    assert event.summary == "Acknowledged Desk plan v1"

    # Sam sees who has and who has not; Cat (another team) is not his to see.
    log_in(world.sam)
    page = text(client.get(f"/incentives/plans/{world.version.plan_id}"))
    assert "1 of 2 reps acknowledged v1; 1 has not yet." in page
    rows = plan_queries.acknowledgement_rows(world.sam.viewer(), world.version)
    assert [(r.name, r.acknowledged_at is not None) for r in rows] == [
        ("Bob Example", False),
        ("Ann Example", True),
    ]
    everyone = plan_queries.acknowledgement_rows(world.leader.viewer(), world.version)
    assert {r.name for r in everyone} == {"Ann Example", "Bob Example", "Cat Example"}


def test_a_changed_plan_asks_again_and_a_stale_page_is_refused(world) -> None:
    version = world.version
    plan_operations.acknowledge_plan(
        version, by=world.ann, content_hash=version.content_hash
    )
    with pytest.raises(Conflict, match="already acknowledged"):
        plan_operations.acknowledge_plan(
            version, by=world.ann, content_hash=version.content_hash
        )
    old_hash = version.content_hash
    changed, outcome = scoring_operations.save_plan(
        None, scoring_world.plan_data(target_bonus=300), by="test"
    )
    assert outcome == "updated"  # no month closed with it: changed in place
    assert plan_queries.acknowledgement(world.ann.id, changed) is None
    assert panels.scorecard_panel(world.ann).context["unread_plan"] == "Desk plan v1"
    with pytest.raises(Conflict, match="changed while you were reading it"):
        plan_operations.acknowledge_plan(changed, by=world.ann, content_hash=old_hash)
    plan_operations.acknowledge_plan(
        changed, by=world.ann, content_hash=changed.content_hash
    )
    assert panels.scorecard_panel(world.ann).context["unread_plan"] is None


def test_only_the_plan_in_force_is_acknowledged_and_only_by_a_rep(world) -> None:
    pilot = other_plan()
    with pytest.raises(NotAllowed):
        plan_operations.acknowledge_plan(
            pilot, by=world.ann, content_hash=pilot.content_hash
        )
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(NotAllowed):
        plan_operations.acknowledge_plan(
            world.version, by=supervisor, content_hash=world.version.content_hash
        )
