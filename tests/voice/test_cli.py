"""``problems escalate`` and the voice demo."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

import voice.demo
from core.audit import AuditEvent
from core.db import db, utcnow
from core.people import User
from core.templating import org_timezone
from tests.voice.factories import make_voice_world, report
from voice.ideas import IdeaStatus, month_bounds
from voice.models import (
    Department,
    Idea,
    PolicyComment,
    PolicyReview,
    PolicyVote,
    ProblemReport,
    RotaRow,
)
from voice.policies import Outcome
from voice.upward_queries import adopted_ideas, month_policies_and_ideas
from voice.workflow import ProblemStatus


def test_escalate_tells_the_owner_and_says_so(
    app: Flask, runner, seed, monkeypatch
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    with seed():
        w = make_voice_world()
        late = report(w.logistics, w.rep)
        late.created_at = utcnow() - dt.timedelta(hours=9)
        report(w.logistics, w.rep)  # just filed: not late
    result = runner.invoke(
        args=["problems", "escalate", "--link", "https://f.example/voice/problems/"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 report escalated; 1 e-mail sent."
    assert [m["To"] for m in sent] == ["sam@example.com"]
    assert f"https://f.example/voice/problems/{late.id}" in sent[0].get_content()
    again = runner.invoke(args=["problems", "escalate"])
    assert again.output.strip() == "0 reports escalated; 0 e-mails sent."
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(
                    AuditEvent.action == "voice.problem.escalate"
                )
            )
            == 1
        )


def test_the_demo_has_departments_with_rotas_and_reports_in_every_state(
    app: Flask, runner, monkeypatch
) -> None:
    # Only the people and this module's step: other modules' demo data is theirs to test.
    monkeypatch.setitem(app.extensions, "frontline.demo", [voice.demo.build])
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert (
        "Voice: 5 departments with rotas, 36 problem reports in every state."
        in first.output
    )
    with app.app_context():
        states = dict(
            db.session.execute(
                select(ProblemReport.status, func.count()).group_by(
                    ProblemReport.status
                )
            ).all()
        )
        assert set(states) == set(ProblemStatus)
        assert sum(states.values()) == 36
        oldest = db.session.scalar(select(func.min(ProblemReport.created_at)))
        assert utcnow() - oldest > dt.timedelta(days=100)
        assert db.session.scalar(select(func.count()).select_from(Department)) == 5
        assert db.session.scalar(select(func.count()).select_from(RotaRow)) >= 5
    assert "Voice: 10 ideas in every state." in first.output
    with app.app_context():
        outcomes = db.session.scalars(
            select(PolicyReview.outcome).order_by(PolicyReview.id)
        ).all()
        assert outcomes == [None, Outcome.ADOPTED, Outcome.DROPPED]
        assert db.session.scalar(select(func.count()).select_from(PolicyVote)) == 18
        assert db.session.scalar(select(func.count()).select_from(PolicyComment)) == 9
        idea_states = set(db.session.scalars(select(Idea.status)))
        assert idea_states == set(IdeaStatus)
        tz = org_timezone()
        last_month = (
            utcnow().astimezone(tz).replace(day=1) - dt.timedelta(days=1)
        ).strftime("%Y-%m")
        decided = month_policies_and_ideas(db.session, last_month)
        amara = db.session.scalar(
            select(User.id).where(User.email == "amara.nwosu@example.com")
        )
        start, end = month_bounds(last_month, tz)
        credited = adopted_ideas([amara], start, end)
        assert [i.title for i in credited[amara]] == [
            "Say the refund date on the phone, not only by e-mail"
        ]
        assert "Amara Nwosu" in [i.author for i in decided.ideas]
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "Problem reports already there; left as they were." in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProblemReport)) == 36
        assert db.session.scalar(select(func.count()).select_from(PolicyReview)) == 3
        assert db.session.scalar(select(func.count()).select_from(Idea)) == 10


def test_departments_load_creates_and_updates_all_or_nothing(
    app: Flask, runner, seed, tmp_path
) -> None:
    with seed():
        make_voice_world()
    good = tmp_path / "departments.yaml"
    good.write_text(
        "departments:\n"
        "  - name: Logistics\n"
        "    owner: sam@example.com\n"
        "    deputies: [nadia@example.com, bo@example.com]\n"
        "    ack_target_hours: 4\n"
        "    rota: ['Mon-Fri 07:00-19:00 | Sam Patel | +44 20 7946 0101']\n"
        "  - name: Legal\n"
        "    owner: lead@example.com\n"
    )
    result = runner.invoke(args=["departments", "load", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 new, 1 updated: Legal, Logistics." in result.output
    with app.app_context():
        logistics = db.session.scalar(
            select(Department).where(Department.name == "Logistics")
        )
        assert logistics.ack_target_hours == 4
        assert len(logistics.member_ids) == 3
        assert [e.line() for e in logistics.rota_entries()] == [
            "Mon-Fri 07:00-19:00 | Sam Patel | +44 20 7946 0101"
        ]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "departments:\n"
        "  - name: Marketing\n"
        "  - name: Billing\n"
        "    owner: nobody@example.com\n"
    )
    result = runner.invoke(args=["departments", "load", str(bad)])
    assert result.exit_code != 0
    assert "Nothing was saved: 1 problem." in result.output
    assert (
        "Department 2 (Billing): nobody logs in as nobody@example.com." in result.output
    )
    with app.app_context():
        names = set(db.session.scalars(select(Department.name)))
        assert names == {"Logistics", "Billing", "Legal"}
