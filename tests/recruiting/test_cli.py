"""Recruiting commands: loading assessments, purging old candidates, and the demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

import recruiting.demo
from core import settings
from core.access import Role
from core.db import db, utcnow
from core.people import User
from recruiting import personal_data_operations
from recruiting.models import Assessment, AssessmentResult, Candidate, Opening
from recruiting.pipeline import Stage
from tests.factories import make_user
from tests.recruiting.factories import DEFAULT_YAML, make_candidate, make_opening

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "recruiting/assessments/default.yaml"
)


def _versions(app: Flask) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(select(Assessment.version).order_by(Assessment.version))
        )


def test_loading_the_same_file_twice_adds_one_version(app, runner, tmp_path) -> None:
    first = runner.invoke(args=["assessments", "load", str(DEFAULT_FILE)])
    assert first.exit_code == 0, first.output
    assert (
        "Loaded frontline-service-judgement v1: Service judgement (14 items"
        in first.output
    )
    again = runner.invoke(args=["assessments", "load", str(DEFAULT_FILE)])
    assert (
        "Unchanged: frontline-service-judgement is already loaded as v1."
        in again.output
    )
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        DEFAULT_YAML.replace("time_limit_minutes: 25", "time_limit_minutes: 30")
    )
    third = runner.invoke(args=["assessments", "load", str(changed)])
    assert "v2" in third.output
    assert _versions(app) == [1, 2]
    listing = runner.invoke(args=["assessments", "list"])
    assert listing.output.count("frontline-service-judgement") == 2


def test_a_bad_file_exits_non_zero_and_names_each_problem(
    app, runner, tmp_path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEFAULT_YAML.replace(
            "{empathy: 2, ownership: 3, judgement: 3, communication: 1}", "{empathy: 9}"
        )
    )
    result = runner.invoke(args=["assessments", "load", str(bad)])
    assert result.exit_code != 0
    assert "was not loaded" in result.output
    assert (
        "Item 1 (refund-within-authority), option 1: points for 'empathy'"
        in result.output
    )
    assert _versions(app) == []
    missing = runner.invoke(args=["assessments", "load", str(tmp_path / "none.yaml")])
    assert missing.exit_code != 0


def test_purge_uses_the_retention_setting(app, runner, seed) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager)
        old = make_candidate(opening, manager, name="Olive Old", stage=Stage.REJECTED)
        old.closed_at = utcnow() - dt.timedelta(days=100)
        fresh = make_candidate(opening, manager, name="Fay Fresh", stage=Stage.REJECTED)
        settings.set_setting(personal_data_operations.RETENTION_KEY, 6, by="test")
    dry = runner.invoke(args=["candidates", "purge", "--dry-run"])
    assert "0 candidates" in dry.output
    with app.app_context():
        settings.set_setting(personal_data_operations.RETENTION_KEY, 3, by="test")
        db.session.commit()
    dry = runner.invoke(args=["candidates", "purge", "--dry-run"])
    assert (
        "1 candidate rejected or withdrawn more than 3 months ago would be erased"
        in dry.output
    )
    with app.app_context():
        assert db.session.get(Candidate, old.id).name == "Olive Old"
    result = runner.invoke(args=["candidates", "purge"])
    assert result.exit_code == 0
    assert "Erased the personal data of 1 candidate rejected" in result.output
    with app.app_context():
        assert db.session.get(Candidate, old.id).is_erased
        assert not db.session.get(Candidate, fresh.id).is_erased


def test_the_demo_fills_every_stage_and_links_earlier_hires(
    app: Flask, runner, monkeypatch
) -> None:
    # Only the people and this module's step: other modules' demo data is theirs to test.
    monkeypatch.setitem(app.extensions, "frontline.demo", [recruiting.demo.build])
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Recruiting: 35 candidates in 2 openings, 8 earlier hires" in first.output
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(Candidate.stage, func.count()).group_by(Candidate.stage)
            ).all()
        )
        total = sum(counts.values())
        results = db.session.scalar(select(func.count()).select_from(AssessmentResult))
        hired = db.session.scalars(
            select(Candidate).where(Candidate.hired_user_id.is_not(None))
        ).all()
        duplicates = db.session.scalar(
            select(func.count()).where(Candidate.duplicate_of_id.is_not(None))
        )
        overall = db.session.scalars(select(AssessmentResult.overall)).all()
        now = utcnow()
        for candidate in hired:
            assert Role.REP in db.session.get(User, candidate.hired_user_id).roles
            assert (
                dt.timedelta(days=200)
                < now - candidate.hired_at
                < dt.timedelta(days=280)
            )
            assert candidate.result is not None
    assert set(counts) == set(Stage)
    assert 38 <= total <= 45
    assert results > total / 2
    assert duplicates >= 2
    assert len(hired) == 8
    assert max(overall) - min(overall) > 30  # results spread out
    # Running it again adds nothing.
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Candidate)) == total
        assert db.session.scalar(select(func.count()).select_from(Opening)) == 2
