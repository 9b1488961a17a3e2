"""``problems escalate`` and the voice demo."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

import voice.demo
from core.audit import AuditEvent
from core.db import db, utcnow
from tests.voice.factories import make_voice_world, report
from voice.models import Department, ProblemReport, RotaRow
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
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "Problem reports already there; left as they were." in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProblemReport)) == 36
