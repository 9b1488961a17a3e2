"""Reopening a month keeps its plan version unless the closer picks another, sees each
rep's score and payout under it, and confirms; the month is then scored, and closed
again, with the chosen version."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plan_operations, reopen_queries
from incentives.scoring import queries as scoring_queries
from incentives.scoring.models import MonthClose
from tests.helpers import post_form, text
from tests.incentives import scoring_world


@pytest.fixture
def world(app_ctx) -> scoring_world.World:
    world = scoring_world.build()
    plan_operations.schedule_version(
        world.version, effective_from="2024-01", team_ids=[], by=world.admin
    )
    scoring_operations.close_month("2024-03", by=world.admin)
    return world


def _richer(world):
    """The plan changed after March closed: v2 pays twice the target bonus."""
    changed, outcome = scoring_operations.save_plan(
        world.version.plan, scoring_world.plan_data(target_bonus=400), by="test"
    )
    assert outcome == "new_version"
    return changed


def test_a_reopened_month_keeps_its_version_unless_another_is_picked(world) -> None:
    _richer(world)
    scoring_operations.reopen_month("2024-03", by=world.admin, reason="Late export")
    march = scoring_queries.month_scores("2024-03")
    assert march.plan_version_id == world.version.id
    assert march.scores[world.ann.id].payout == Decimal("100.00")
    closed = scoring_operations.close_month("2024-03", by=world.admin)
    assert closed.plan_version_id == world.version.id


def test_the_closer_sees_each_reps_difference_before_picking_another_version(
    world,
) -> None:
    changed = _richer(world)
    preview = reopen_queries.preview_version_change("2024-03", changed)
    rows = {r.rep_id: r for r in preview.rows}
    ann = rows[world.ann.id]
    assert (ann.old_payout, ann.new_payout) == (Decimal("100.00"), Decimal("200.00"))
    assert ann.old_score == ann.new_score  # same figures, same weights
    assert ann.payout_change == Decimal("100.00")
    assert (preview.old_label, preview.new_label) == ("Desk plan v1", "Desk plan v2")
    assert preview.new_total - preview.old_total == sum(
        (r.payout_change for r in preview.rows), start=Decimal(0)
    )
    # Nothing written: the month is still closed with v1.
    assert scoring_queries.get_close("2024-03").reopened_at is None
    assert scoring_queries.month_scores("2024-03").plan_version_id == world.version.id


def test_another_version_needs_confirming_then_scores_and_closes_the_month(
    world,
) -> None:
    changed = _richer(world)
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.reopen_month(
            "2024-03", by=world.admin, reason="Wrong plan", plan_version=changed.id
        )
    assert caught.value.errors["plan_version"] == [
        "See each rep's score and payout with Desk plan v2, then confirm."
    ]
    assert scoring_queries.get_close("2024-03").reopened_at is None

    scoring_operations.reopen_month(
        "2024-03",
        by=world.admin,
        reason="Wrong plan",
        plan_version=str(changed.id),
        confirmed=True,
    )
    march = scoring_queries.month_scores("2024-03")
    assert march.plan_version_id == changed.id
    assert march.scores[world.ann.id].payout == Decimal("200.00")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "month.reopen")
    )
    assert event.summary == (
        "March 2024 reopened: Wrong plan. To be scored with Desk plan v2 instead of "
        "Desk plan v1 (payouts as closed 100.00 USD, with Desk plan v2 200.00 USD)"
    )
    assert event.data["plan_version_id"] == changed.id
    assert event.data["closed_with_plan_version_id"] == world.version.id
    ann_score = march.scores[world.ann.id].score
    assert event.data["reps_changed"] == [
        {
            "rep_id": world.ann.id,
            "score": [ann_score, ann_score],
            "payout": ["100.00", "200.00"],
        }
    ]
    again = scoring_operations.close_month("2024-03", by=world.admin)
    assert again.plan_version_id == changed.id
    first = db.session.scalars(
        select(MonthClose).where(MonthClose.month == "2024-03").order_by(MonthClose.id)
    ).first()
    assert first.reopen_plan_version_id == changed.id
    # Closed anew, reopened plainly: it keeps the version of its last close.
    scoring_operations.reopen_month("2024-03", by=world.admin, reason="Check")
    assert scoring_queries.month_scores("2024-03").plan_version_id == changed.id


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("999999", "There is no plan version 999999: choose one from the list."),
        ("abc", "There is no plan version abc: choose one from the list."),
        (
            "99999999999999999999",
            "There is no plan version 99999999999999999999: choose one from the list.",
        ),
    ],
)
def test_a_version_that_does_not_exist_is_refused_and_nothing_changes(
    world, choice, message
) -> None:
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.reopen_month(
            "2024-03",
            by=world.admin,
            reason="Late export",
            plan_version=choice,
            confirmed=True,
        )
    assert caught.value.errors["plan_version"] == [message]
    assert scoring_queries.get_close("2024-03").reopened_at is None


def test_a_team_version_or_a_later_one_cannot_score_the_reopened_month(world) -> None:
    team, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Desk pilot"), by="test"
    )
    plan_operations.schedule_version(
        team, effective_from="2024-02", team_ids=[world.desk.id], by=world.admin
    )
    later, _ = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Next year"), by="test"
    )
    plan_operations.schedule_version(
        later, effective_from="2024-06", team_ids=[], by=world.admin
    )
    for version, message in (
        (
            team,
            "Desk pilot v1 applies only to named teams: choose a version for the whole "
            "organisation.",
        ),
        (
            later,
            "Next year v1 is in force only from June 2024: it cannot score March 2024.",
        ),
    ):
        with pytest.raises(InvalidInput) as caught:
            scoring_operations.reopen_month(
                "2024-03",
                by=world.admin,
                reason="Late export",
                plan_version=version.id,
                confirmed=True,
            )
        assert caught.value.errors["plan_version"] == [message]
    assert scoring_queries.get_close("2024-03").reopened_at is None


def test_the_reopen_form_shows_the_differences_and_reopens_once_confirmed(
    world, client, login_as
) -> None:
    changed = _richer(world)
    db.session.commit()
    login_as(world.admin)
    page = "/incentives/months/2024-03/close"
    assert "Desk plan v2" in text(client.get(page))  # offered on the form
    url = "/incentives/months/2024-03/reopen"
    data = {"reason": "Wrong plan", "plan_version": str(changed.id)}
    shown = post_form(client, url, data, token_from=page)
    assert shown.status_code == 200
    body = text(shown)
    assert "Reopen March 2024 with Desk plan v2?" in body
    assert "1 of 3 reps would change." in body
    assert "Payouts as closed 100.00 USD; with Desk plan v2 200.00 USD." in body
    assert "+100.00" in body
    assert scoring_queries.get_close("2024-03").reopened_at is None  # not yet

    response = post_form(client, url, {**data, "confirm": "yes"}, token_from=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert scoring_queries.get_close("2024-03") is None
    assert scoring_queries.month_scores("2024-03").plan_version_id == changed.id
    history = text(client.get(page))
    assert "(to be scored with Desk plan v2)" in history


def test_the_reopen_form_says_why_a_pick_is_refused(world, client, login_as) -> None:
    db.session.commit()
    login_as(world.admin)
    page = "/incentives/months/2024-03/close"
    url = "/incentives/months/2024-03/reopen"
    response = post_form(
        client,
        url,
        {"reason": "Late export", "plan_version": "424242", "confirm": "yes"},
        token_from=page,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "There is no plan version 424242: choose one from the list." in text(
        response
    )
    db.session.expire_all()
    assert scoring_queries.get_close("2024-03") is not None


def test_scores_reopen_shows_the_differences_and_needs_confirming(
    world, runner
) -> None:
    changed = _richer(world)
    db.session.commit()
    args = ["scores", "reopen", "--month", "2024-03", "--reason", "Wrong plan"]
    refused = runner.invoke(
        args=[*args, "--plan-version", str(changed.id)], input="n\n"
    )
    assert refused.exit_code == 1
    assert "Ann Example\tDesk\t100.00\t200.00\t+100.00" in refused.output
    assert "Payouts as closed 100.00 USD; with Desk plan v2 200.00 USD." in (
        refused.output
    )
    assert "Nothing changed." in refused.output
    db.session.expire_all()
    assert scoring_queries.get_close("2024-03") is not None
    missing = runner.invoke(args=[*args, "--plan-version", "31337", "--yes"])
    assert "There is no plan version 31337: choose one from the list." in (
        missing.output
    )
    done = runner.invoke(args=[*args, "--plan-version", str(changed.id), "--yes"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert scoring_queries.month_scores("2024-03").plan_version_id == changed.id
