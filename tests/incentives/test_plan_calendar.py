"""Plans in force by date: the version that scores a month for a team, and the overlaps
that are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput
from incentives.scoring import operations as scoring_operations
from incentives.scoring import payout_queries, plan_operations, plan_queries
from incentives.scoring import queries as scoring_queries
from incentives.scoring.models import MonthScore
from incentives.scoring.plan_calendar import DatedVersion, in_force, overlap_problems
from tests.factories import make_api_token
from tests.helpers import post_form, text
from tests.incentives import scoring_world

ORG_V1 = DatedVersion(1, 1, "House v1", None)
ORG_V2 = DatedVersion(2, 1, "House v2", "2024-04")
PHONE = DatedVersion(3, 2, "Phone v1", "2024-03", frozenset({7}))


@pytest.mark.parametrize(
    ("month", "team", "expected"),
    [
        ("2024-01", 7, ORG_V1),  # before the team plan: the organisation's
        ("2024-03", 7, PHONE),  # the team's own plan beats the organisation's
        ("2024-05", 7, PHONE),  # ... and stays until a later team version
        ("2024-03", 8, ORG_V1),  # other teams keep the organisation's
        ("2024-04", 8, ORG_V2),  # the organisation's next version from its month on
        ("2024-04", None, ORG_V2),  # a rep with no team: the organisation's
    ],
)
def test_the_version_in_force_for_a_month_and_team(month, team, expected) -> None:
    assert in_force([ORG_V1, ORG_V2, PHONE], month, team) == expected


def test_no_version_before_the_first_one_starts() -> None:
    assert in_force([ORG_V2, PHONE], "2024-02", 7) is None


def test_two_plans_starting_the_same_month_for_the_same_people_are_refused() -> None:
    other_org = DatedVersion(9, 5, "Pilot v1", "2024-04")
    assert overlap_problems([ORG_V1, ORG_V2, PHONE], other_org) == [
        "House v2 already applies to the whole organisation from 2024-04. Choose "
        "another month, or name the teams this plan is for."
    ]
    other_phone = DatedVersion(9, 5, "Pilot v1", "2024-03", frozenset({7, 8}))
    assert overlap_problems([ORG_V1, ORG_V2, PHONE], other_phone, {7: "Phone"}) == [
        "Phone v1 already applies to Phone from 2024-03. Choose another month, or "
        "leave those teams out."
    ]
    # A later version of one plan takes over; another month or team does not clash.
    assert overlap_problems([ORG_V2], DatedVersion(9, 1, "House v3", "2024-04")) == []
    assert overlap_problems([PHONE], DatedVersion(9, 5, "X", "2024-03", {8})) == []


# --- on the database ----------------------------------------------------------------------


@pytest.fixture
def world(app_ctx) -> scoring_world.World:
    return scoring_world.build()


def test_an_unscheduled_plan_in_force_applies_from_the_start(world) -> None:
    assert plan_queries.version_in_force("2024-03", world.desk.id) == world.version
    assert plan_queries.version_in_force("1999-01", None) == world.version


def test_a_team_plan_scheduled_from_a_month_takes_over_for_that_team(world) -> None:
    pilot, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Desk pilot", target_bonus=300), by="test"
    )
    plan_operations.schedule_version(
        pilot, effective_from="2024-03", team_ids=[world.desk.id], by=world.admin
    )
    assert plan_queries.version_in_force("2024-02", world.desk.id) == world.version
    assert plan_queries.version_in_force("2024-03", world.desk.id) == pilot
    assert plan_queries.version_in_force("2024-03", world.other.id) == world.version
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "plan.schedule")
    )
    assert event.summary == "Desk pilot v1 in force from 2024-03 for Desk"


def test_an_overlapping_schedule_is_refused_and_nothing_changes(world) -> None:
    plan_operations.schedule_version(
        world.version, effective_from="2024-01", team_ids=[], by=world.admin
    )
    pilot, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Pilot"), by="test"
    )
    with pytest.raises(InvalidInput) as caught:
        plan_operations.schedule_version(
            pilot, effective_from="2024-01", team_ids=[], by=world.admin
        )
    assert caught.value.errors["effective_from"] == [
        "Desk plan v1 already applies to the whole organisation from 2024-01. Choose "
        "another month, or name the teams this plan is for."
    ]
    assert pilot.effective_from is None
    for bad, field in (("March", "effective_from"), ("2024-13", "effective_from")):
        with pytest.raises(InvalidInput) as caught:
            plan_operations.schedule_version(
                pilot, effective_from=bad, team_ids=[], by=world.admin
            )
        assert field in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        plan_operations.schedule_version(
            pilot, effective_from="2024-02", team_ids=[999999], by=world.admin
        )
    assert caught.value.errors["teams"] == ["Choose teams that exist."]


def test_an_admin_schedules_a_version_on_its_page_and_sees_overlaps_refused(
    world, client, login_as
) -> None:
    pilot, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Pilot"), by="test"
    )
    plan_operations.schedule_version(
        world.version, effective_from="2024-01", team_ids=[], by=world.admin
    )
    db.session.commit()
    login_as(world.admin)
    page = f"/incentives/plans/{pilot.plan_id}"
    url = f"{page}/versions/{pilot.id}/schedule"
    response = post_form(client, url, {"effective_from": "2024-01"}, token_from=page)
    assert response.status_code == 200
    assert "Desk plan v1 already applies to the whole organisation from 2024-01" in (
        text(response)
    )
    response = post_form(client, url, {"effective_from": "2024-03"}, token_from=page)
    assert response.status_code == 302
    shown = text(client.get(response.headers["Location"]))
    assert "is in force from March 2024, for the whole organisation" in shown
    assert plan_queries.version_in_force("2024-02", None) == world.version
    assert plan_queries.version_in_force("2024-03", None).id == pilot.id


def test_a_month_is_scored_by_its_version_and_a_reopened_month_keeps_its_own(
    world,
) -> None:
    """March is scored by the plan in force from March; February by the one before.
    Closed, then the plan changed, then reopened: March keeps the version it was closed
    with."""
    pilot, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Pilot", target_bonus=400), by="test"
    )
    plan_operations.schedule_version(
        world.version, effective_from="2024-01", team_ids=[], by=world.admin
    )
    plan_operations.schedule_version(
        pilot, effective_from="2024-03", team_ids=[], by=world.admin
    )
    march = scoring_queries.month_scores("2024-03")
    assert march.plan_version_id == pilot.id
    assert march.scores[world.ann.id].payout == Decimal("200.00")  # 50% of 400
    assert scoring_queries.month_scores("2024-02").plan_version_id == world.version.id

    close = scoring_operations.close_month("2024-03", by=world.admin)
    assert close.plan_version_id == pilot.id
    changed, outcome = scoring_operations.save_plan(
        pilot.plan, scoring_world.plan_data(name="Pilot", target_bonus=100), by="test"
    )
    assert outcome == "new_version"
    plan_operations.schedule_version(
        changed, effective_from="2024-03", team_ids=[], by=world.admin
    )
    scoring_operations.reopen_month("2024-03", by=world.admin, reason="Late export")
    again = scoring_queries.month_scores("2024-03")
    assert again.plan_version_id == pilot.id
    assert again.scores[world.ann.id].payout == Decimal("200.00")
    assert scoring_queries.month_scores("2024-04").plan_version_id == changed.id


def test_an_organisation_version_changed_after_a_close_scores_from_its_month(
    world,
) -> None:
    plan_operations.schedule_version(
        world.version, effective_from="2024-02", team_ids=[], by=world.admin
    )
    scoring_operations.close_month("2024-02", by=world.admin)
    changed, outcome = scoring_operations.save_plan(
        world.version.plan, scoring_world.plan_data(target_bonus=100), by="test"
    )
    assert outcome == "new_version"
    assert (changed.effective_from, changed.team_ids) == ("2024-02", [])
    march = scoring_queries.month_scores("2024-03")
    assert march.plan_version_id == changed.id
    assert march.scores[world.ann.id].payout == Decimal("50.00")  # 50% of 100
    # The closed month keeps the version it was closed with.
    assert scoring_queries.month_scores("2024-02").plan_version_id == world.version.id


# --- team plans score their teams' reps -----------------------------------------------------


def _desk_pilot(world, target_bonus: int = 400):
    pilot, _ = scoring_operations.save_plan(
        None,
        scoring_world.plan_data(name="Desk pilot", target_bonus=target_bonus),
        by="test",
    )
    plan_operations.schedule_version(
        pilot, effective_from="2024-03", team_ids=[world.desk.id], by=world.admin
    )
    return pilot


def test_a_team_version_in_another_currency_is_refused(world) -> None:
    euro, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Euro desk", currency="EUR"), by="test"
    )
    with pytest.raises(InvalidInput) as caught:
        plan_operations.schedule_version(
            euro, effective_from="2024-03", team_ids=[world.desk.id], by=world.admin
        )
    assert caught.value.errors["effective_from"] == [
        "Euro desk v1 pays in EUR, the organisation's plan in USD (Desk plan v1): a "
        "month's payouts are in one currency. Give this plan USD."
    ]
    assert euro.effective_from is None
    assert not euro.team_ids
    # In the organisation's currency it is taken.
    _desk_pilot(world)


def test_a_team_plan_scores_its_teams_reps_and_the_rest_keep_the_organisations(
    world,
) -> None:
    pilot = _desk_pilot(world)
    march = scoring_queries.month_scores("2024-03")
    assert march.plan_version_id == world.version.id  # the organisation's
    assert march.scores[world.ann.id].payout == Decimal("200.00")  # 50% of 400
    assert march.rep_plans[world.ann.id] == (pilot.id, "Desk pilot v1")
    assert march.version_id_for(world.cat.id) == world.version.id
    assert world.cat.id not in march.rep_plans
    # Before the team plan starts, Desk is scored by the organisation's plan.
    february = scoring_queries.month_scores("2024-02")
    assert february.rep_plans == {}


def test_scores_kept_for_a_month_follow_a_change_to_a_team_version(world) -> None:
    pilot = _desk_pilot(world)
    assert scoring_queries.month_scores("2024-03").scores[world.ann.id].payout == (
        Decimal("200.00")
    )
    changed, outcome = scoring_operations.save_plan(
        pilot.plan,
        scoring_world.plan_data(name="Desk pilot", target_bonus=100),
        by="test",
    )
    assert (outcome, changed.id) == ("updated", pilot.id)  # no close used it yet
    assert scoring_queries.month_scores("2024-03").scores[world.ann.id].payout == (
        Decimal("50.00")
    )


def test_a_close_records_which_version_scored_each_rep_and_keeps_it(world) -> None:
    pilot = _desk_pilot(world)
    close = scoring_operations.close_month("2024-03", by=world.admin)
    assert close.plan_version_id == world.version.id
    by_rep = dict(
        db.session.execute(
            select(MonthScore.rep_id, MonthScore.plan_version_id).where(
                MonthScore.close_id == close.id
            )
        ).all()
    )
    assert by_rep[world.ann.id] == pilot.id
    assert by_rep[world.bob.id] == pilot.id
    assert by_rep[world.cat.id] == world.version.id
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "month.close")
    )
    assert event.summary.startswith(
        "March 2024 closed with Desk plan v1, Desk pilot v1 for its teams: 3 reps"
    )
    assert event.data["team_plan_version_ids"] == [pilot.id]
    # Both versions list the month as closed with them (the team's through its reps).
    assert scoring_queries.months_using(pilot.id) == ["2024-03"]
    assert scoring_queries.months_using(world.version.id) == ["2024-03"]
    scoring_queries.forget_cached_scores()
    closed = scoring_queries.month_scores("2024-03")
    assert closed.rep_plans == {
        world.ann.id: (pilot.id, "Desk pilot v1"),
        world.bob.id: (pilot.id, "Desk pilot v1"),
    }
    assert closed.scores[world.ann.id].payout == Decimal("200.00")
    # A closed month names the team's version as the open month did (team scorecards).
    assert closed.plan_for_team(world.desk.id)[1] == "Desk pilot v1"
    assert closed.plan_for_team(world.other.id)[1] == "Desk plan v1"

    # The team version is now frozen; the change takes over from March for Desk, but
    # the reopened month keeps the version that scored Desk at close.
    changed, outcome = scoring_operations.save_plan(
        pilot.plan,
        scoring_world.plan_data(name="Desk pilot", target_bonus=100),
        by="test",
    )
    assert outcome == "new_version"
    assert plan_queries.version_in_force("2024-04", world.desk.id) == changed
    scoring_operations.reopen_month("2024-03", by=world.admin, reason="Late export")
    again = scoring_queries.month_scores("2024-03")
    assert again.rep_plans[world.ann.id] == (pilot.id, "Desk pilot v1")
    assert again.scores[world.ann.id].payout == Decimal("200.00")
    assert scoring_queries.month_scores("2024-04").rep_plans[world.ann.id][0] == (
        changed.id
    )


def test_the_scores_page_says_which_version_scored_a_rep(
    world, client, login_as
) -> None:
    _desk_pilot(world)
    db.session.commit()
    login_as(world.admin)
    shown = text(client.get("/incentives/scores?month=2024-03"))
    assert "some teams' reps by their team's plan: Desk pilot v1" in shown
    assert shown.count("scored with Desk pilot v1") == 2  # Ann and Bob, not Cat
    february = text(client.get("/incentives/scores?month=2024-02"))
    assert "scored with" not in february


def test_a_new_version_takes_over_the_month_and_teams_of_the_one_it_replaces(
    world,
) -> None:
    """A team plan from March is closed with, then changed: the change is a new version
    in force from March for the same team, so it (not the older dated version) scores
    the team's open months, while the organisation keeps its own plan."""
    pilot, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Desk pilot", target_bonus=400), by="test"
    )
    plan_operations.schedule_version(
        pilot, effective_from="2024-03", team_ids=[world.desk.id], by=world.admin
    )
    scoring_operations.close_month("2024-03", by=world.admin)
    changed, outcome = scoring_operations.save_plan(
        pilot.plan,
        scoring_world.plan_data(name="Desk pilot", target_bonus=100),
        by="test",
    )
    assert outcome == "new_version"
    assert changed.id != pilot.id
    assert (changed.effective_from, changed.team_ids) == ("2024-03", [world.desk.id])
    assert plan_queries.version_in_force("2024-04", world.desk.id) == changed
    assert plan_queries.version_in_force("2024-04", world.other.id) == world.version
    assert plan_queries.version_in_force("2024-02", world.desk.id) == world.version
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "plan.update")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    assert event.summary == (
        "Plan 'Desk pilot' v2 made (v1 is frozen: closed months used it), in force "
        "from 2024-03 like v1"
    )


def test_scorecards_and_the_payout_csv_name_the_version_that_scored_each_rep(
    world, client, login_as
) -> None:
    _desk_pilot(world)
    header, rows = payout_queries.export_table(payout_queries.month_payouts("2024-03"))
    by_email = {row[1]: row[header.index("plan_version")] for row in rows}
    assert by_email["ann@example.com"] == "Desk pilot v1"
    assert by_email["cat@example.com"] == "Desk plan v1"
    token = make_api_token(Role.LEADERSHIP)
    db.session.commit()
    body = client.get(
        "/api/v1/payouts/2024-03", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert body["plan_version"] == "Desk plan v1"
    by_rep = {r["email"]: r["plan_version"] for r in body["reps"]}
    assert by_rep["ann@example.com"] == "Desk pilot v1"
    assert by_rep["cat@example.com"] == "Desk plan v1"
    login_as(world.admin)
    ann = text(client.get(f"/incentives/scorecards/reps/{world.ann.id}?month=2024-03"))
    assert "Desk pilot v1" in ann
    cat = text(client.get(f"/incentives/scorecards/reps/{world.cat.id}?month=2024-03"))
    assert "Desk plan v1" in cat
    assert "Desk pilot" not in cat
    desk = text(
        client.get(f"/incentives/scorecards/teams/{world.desk.id}?month=2024-03")
    )
    assert "Desk pilot v1" in desk


def test_a_rep_reads_the_plan_their_team_is_paid_on(world) -> None:
    pilot = _desk_pilot(world)
    assert plan_queries.plan_paid_on(world.ann).id == pilot.id
    assert plan_queries.plan_paid_on(world.cat).id == world.version.id
    assert plan_queries.plan_paid_on(world.sam) is None  # not a rep
