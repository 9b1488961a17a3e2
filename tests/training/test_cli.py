"""Training commands: loading scenarios (all or nothing) and grants about to expire."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

import training.demo
from core.access import Role
from core.db import db, utcnow
from tests.factories import make_team, make_user
from tests.training.factories import SMALL, load_small, make_authority, make_grant
from training.models import Attempt, Authority, Grant, ScenarioVersion


def test_scenarios_load_a_file_then_a_new_version(app: Flask, runner, tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    result = runner.invoke(args=["scenarios", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new, 0 new versions, 0 unchanged" in result.output
    again = runner.invoke(args=["scenarios", "load", str(path)])
    assert "0 new, 0 new versions, 1 unchanged" in again.output
    path.write_text(SMALL.replace("Sorted.", "All sorted."))
    changed = runner.invoke(args=["scenarios", "load", str(tmp_path)])
    assert "1 new version" in changed.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScenarioVersion)) == 2


def test_a_bad_file_loads_nothing_and_exits_non_zero(app: Flask, runner, tmp_path):
    (tmp_path / "a.yaml").write_text(SMALL)
    (tmp_path / "b.yaml").write_text(
        SMALL.replace("key: small", "key: other").replace("next: lost", "next: gone")
    )
    result = runner.invoke(args=["scenarios", "load", str(tmp_path)])
    assert result.exit_code != 0
    assert "b.yaml: node 'start', choice 3: leads to 'gone'" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScenarioVersion)) == 0


def test_a_missing_path_is_a_clear_error(runner, tmp_path) -> None:
    result = runner.invoke(args=["scenarios", "load", str(tmp_path / "nope.yaml")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_install_loads_the_shipped_content(app: Flask, runner) -> None:
    result = runner.invoke(args=["scenarios", "install"])
    assert result.exit_code == 0, result.output
    assert "Authorities added: refund, replacement" in result.output
    listing = runner.invoke(args=["scenarios", "list"])
    assert "refund-limits" in listing.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Authority)) == 5


def test_authorities_expiring_lists_grants_soonest_first(app: Flask, runner, seed):
    with seed():
        team = make_team()
        sup = make_user(Role.SUPERVISOR)
        team.supervisors = [sup]
        soon = make_user(Role.REP, team=team, email="soon@example.com")
        later = make_user(Role.REP, team=team, email="later@example.com")
        refund = make_authority(prerequisites=(), validity_days=100)
        now = utcnow()
        make_grant(soon, refund, sup, granted_at=now - dt.timedelta(days=95))
        make_grant(later, refund, sup, granted_at=now - dt.timedelta(days=80))
    result = runner.invoke(args=["authorities", "expiring"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "2 grants expire within 30 days:"
    assert "soon@example.com" in lines[1]
    assert "later@example.com" in lines[2]
    short = runner.invoke(args=["authorities", "expiring", "--days", "7"])
    assert "later@example.com" not in short.output


def test_nothing_expiring_says_so(runner) -> None:
    result = runner.invoke(args=["authorities", "expiring"])
    assert result.output.strip() == "No grant expires within 30 days."


def test_demo_adds_training_history_once(app: Flask, runner, monkeypatch) -> None:
    # Only this module's demo step runs after the people, to test it on its own.
    monkeypatch.setitem(app.extensions, "frontline.demo", [training.demo.build])
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        counts = (
            db.session.scalar(select(func.count()).select_from(Attempt)),
            db.session.scalar(select(func.count()).select_from(Grant)),
        )
        states = set(db.session.scalars(select(Attempt.status)))
        assert states == {"passed", "failed", "in_progress"}
    second = runner.invoke(args=["demo"])
    assert "Training history already there" in second.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Attempt)),
            db.session.scalar(select(func.count()).select_from(Grant)),
        ) == counts


def test_authorities_recertify_assigns_and_says_so(app: Flask, runner) -> None:
    with app.app_context():
        load_small()
        refund = make_authority()
        team = make_team()
        sup = make_user(Role.SUPERVISOR)
        team.supervisors = [sup]
        rep = make_user(Role.REP, team=team)
        make_grant(rep, refund, sup, granted_at=utcnow() - dt.timedelta(days=350))
        db.session.commit()
    result = runner.invoke(args=["authorities", "recertify"])
    assert result.exit_code == 0, result.output
    assert "1 scenario assigned to 1 rep for recertification; 0 e-mails sent." in (
        result.output
    )
    again = runner.invoke(args=["authorities", "recertify"])
    assert "0 scenarios assigned to 0 reps" in again.output
