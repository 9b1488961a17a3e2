"""The command line: demo data, users and API tokens."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from core.demo import PEOPLE
from core.people import (
    ApiToken,
    Team,
    User,
    get_user_by_email,
    hash_token,
    verify_password,
)
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import close_review_queries, payout_queries
from incentives.scoring import queries as scoring_queries
from incentives.tickets import metrics, queries


def test_demo_builds_the_organisation_and_is_idempotent(app: Flask, runner) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "alex.morgan@example.com" in first.output
    assert "frontline-demo" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "(0 new)" in second.output
    assert "(password unchanged)" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == len(PEOPLE)
        assert db.session.scalar(select(func.count()).select_from(Team)) == 2
        reps = [u for u in db.session.scalars(select(User)) if Role.REP in u.roles]
        assert len(reps) == 12
        assert {
            len([r for r in reps if r.team_id == t.id])
            for t in db.session.scalars(select(Team))
        } == {6}
        for team in db.session.scalars(select(Team)):
            assert len(team.supervisors) == 1
        by_role = {
            role: [u for u in db.session.scalars(select(User)) if role in u.roles]
            for role in Role
        }
        assert (
            len(by_role[Role.ADMIN]),
            len(by_role[Role.HIRING_MANAGER]),
            len(by_role[Role.SUPERVISOR]),
            len(by_role[Role.LEADERSHIP]),
        ) == (1, 2, 2, 1)
        # Payouts in every state: approved with an adjustment and a prorated rep; closed
        # and waiting for approval.
        current = queries.current_month()
        approved = payout_queries.month_payouts(metrics.shift_month(current, -2))
        waiting = payout_queries.month_payouts(metrics.shift_month(current, -1))
        assert approved.status == "final"
        assert any(line.adjustment_count for line in approved.lines)
        assert any(line.paid_days < line.working_days for line in approved.lines)
        assert waiting.is_closed
        assert waiting.status == "draft"
        reclosed = close_review_queries.list_changes(metrics.shift_month(current, -3))
        assert any(change.changed for change in reclosed)
        # A dated organisation version, and a team plan scoring its team's reps in the
        # last closed month (kept by its close) and the open one.
        house = scoring_queries.get_active_version()
        assert house.effective_from == metrics.shift_month(current, -5)
        for month in (metrics.shift_month(current, -1), current):
            scores = scoring_queries.month_scores(month)
            team_plans = {label for _, label in scores.rep_plans.values()}
            assert team_plans == {"Phone & Email pilot v1"}, month
            assert len(scores.rep_plans) == 6
            # The pilot judges e-mail on its own bar: its reps' credit is per channel.
            split = [
                line.parts
                for rep_id in scores.rep_plans
                for line in scores.scores[rep_id].lines
                if line.parts
            ]
            assert any(
                {p.group for p in parts} == {"live", "written"} for parts in split
            )
        # A rep has turned their scorecard e-mails off; the others get theirs.
        from incentives.scorecards import delivery

        assert not delivery.wants_mail(
            db.session.scalar(
                select(User.id).where(User.email == "lucia.fernandez@example.com")
            )
        )
        # Payouts are shown against a budget in the leadership pack.
        pack = scorecard_queries.leadership_pack(metrics.shift_month(current, -1))
        assert pack.budget == "2,500.00 USD a month"
        assert "of the budget" in pack.headline
        assert pack.plan_changes  # the team pilot started two months back
        older = scoring_queries.month_scores(metrics.shift_month(current, -3))
        assert older.rep_plans == {}


def test_demo_password_option_resets_demo_logins(app: Flask, runner) -> None:
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo", "--password", "another passphrase"])
    assert result.exit_code == 0
    with app.app_context():
        user = get_user_by_email("grace.lee@example.com")
        assert verify_password(user.password_hash, "another passphrase")


def test_demo_refuses_a_short_password(runner) -> None:
    result = runner.invoke(args=["demo", "--password", "short"])
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_users_create(app: Flask, runner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Lee.Lead@example.com",
            "--role",
            "leadership",
            "--role",
            "admin",
            "--password",
            "leader passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = get_user_by_email("lee.lead@example.com")
        assert user.roles == {Role.LEADERSHIP, Role.ADMIN}
        assert user.name == "Lee Lead"
        assert verify_password(user.password_hash, "leader passphrase")


def test_users_create_prints_a_generated_password(runner) -> None:
    result = runner.invoke(args=["users", "create", "x@example.com", "--role", "rep"])
    assert result.exit_code == 0
    assert "Password (shown once):" in result.output


def test_users_create_refuses_bad_input(runner) -> None:
    assert (
        runner.invoke(
            args=["users", "create", "x@example.com", "--role", "boss"]
        ).exit_code
        == 2
    )
    runner.invoke(args=["users", "create", "dup@example.com", "--role", "rep"])
    result = runner.invoke(args=["users", "create", "DUP@example.com", "--role", "rep"])
    assert result.exit_code == 1
    assert "already has an account" in result.output


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("rep", "A token cannot act as rep: it is not one person"),
        ("boss", "'boss' is not a role; choose one of admin, hiring_manager"),
    ],
)
def test_api_tokens_create_refuses_roles_a_token_cannot_act_with(
    app: Flask, runner, role: str, message: str
) -> None:
    result = runner.invoke(args=["api-tokens", "create", "Help centre", "--role", role])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_api_tokens_create_prints_the_token_once(app: Flask, runner) -> None:
    result = runner.invoke(
        args=["api-tokens", "create", "Zendesk", "--role", "hiring_manager"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.rsplit(": ", 1)[1].strip()
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Zendesk"))
        assert token.token_hash == hash_token(secret)
        assert token.role == Role.HIRING_MANAGER
