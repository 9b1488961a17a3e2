"""Quality commands and demo data: loading rubrics, drawing a month's sample (twice adds
nothing), helpdesk links, and the demo's reviews in every state, built once."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

import quality.demo
import quality.queries
from core.access import Role
from core.db import db
from core.demo import DemoResult
from incentives.tickets.queries import current_month
from quality.models import QaHelpdeskLink, QaReview, QaRubricVersion
from quality.reviews import ReviewState
from tests.factories import make_team, make_user
from tests.quality.records import SHIPPED, import_tickets, load_rubrics, ticket


def _count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_rubrics_load_then_unchanged_then_a_clear_refusal(app, runner, tmp_path):
    path = tmp_path / "written.yaml"
    path.write_text((SHIPPED / "written.yaml").read_text())
    first = runner.invoke(args=["qa", "rubrics", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert "Written replies v1: created." in first.output
    again = runner.invoke(args=["qa", "rubrics", "load", str(path)])
    assert "Written replies v1: unchanged." in again.output
    path.write_text(
        path.read_text().replace("weight: 20", "weight: 200").replace("1-5", "1-7", 1)
    )
    bad = runner.invoke(args=["qa", "rubrics", "load", str(path)])
    assert bad.exit_code != 0
    assert "Nothing was loaded: 2 problems." in bad.output
    assert "line 8: categories[1].weight: a whole number from 0 to 100" in bad.output
    assert "line 13: categories[2].scale: one of binary, 1-3, 1-5" in bad.output
    assert _count(app, QaRubricVersion) == 1


def test_sample_a_month_twice_adds_nothing(app, runner, seed):
    with seed():
        load_rubrics()
        supervisor = make_user(Role.SUPERVISOR)
        rep = make_user(Role.REP, team=make_team(supervisors=[supervisor]))
        import_tickets(
            [ticket(f"S-{n}", rep.email, f"2024-05-{n:02d}T10:00:00Z") for n in (1, 2)]
        )
    first = runner.invoke(args=["qa", "sample", "--month", "2024-05"])
    assert first.exit_code == 0, first.output
    assert "2024-05: 2 tickets of 1 rep were sampled; 0 reps were sampled before." in (
        first.output
    )
    second = runner.invoke(args=["qa", "sample", "--month", "2024-05"])
    assert (
        "0 tickets of 0 reps were sampled; 1 rep was sampled before." in second.output
    )
    assert _count(app, QaReview) == 2
    bad = runner.invoke(args=["qa", "sample", "--month", "2024-13"])
    assert bad.exit_code != 0
    assert "YYYY-MM" in bad.output


def test_a_dry_run_samples_nothing(app, runner, seed):
    with seed():
        load_rubrics()
        supervisor = make_user(Role.SUPERVISOR)
        rep = make_user(Role.REP, team=make_team(supervisors=[supervisor]))
        import_tickets([ticket("D-1", rep.email, "2024-05-03T10:00:00Z")])
    result = runner.invoke(args=["qa", "sample", "--month", "2024-05", "--dry-run"])
    assert "1 ticket of 1 rep would be sampled" in result.output
    assert _count(app, QaReview) == 0


def test_helpdesk_links_need_an_address_with_the_ticket_id(app, runner):
    bad = runner.invoke(args=["qa", "links", "set", "zendesk", "https://x.example"])
    assert bad.exit_code != 0
    assert "{id}" in bad.output
    good = runner.invoke(
        args=["qa", "links", "set", "zendesk", "https://x.example/t/{id}"]
    )
    assert good.exit_code == 0, good.output
    assert _count(app, QaHelpdeskLink) == 1


def test_demo_reviews_cover_every_state_and_are_built_once(app, seed):
    with seed():
        admin = make_user(Role.ADMIN, email="alex.morgan@example.com")
        supervisor = make_user(Role.SUPERVISOR)
        team = make_team(supervisors=[supervisor])
        reps = [make_user(Role.REP, team=team) for _ in range(2)]
        months = [quality.demo.shift(current_month(), -back) for back in (1, 2, 3)]
        import_tickets(
            [
                ticket(f"{m}-{rep.id}-{n}", rep.email, f"{m}-{n + 9:02d}T10:00:00Z")
                for m in months
                for rep in reps
                for n in range(1, 7)
            ]
        )
    with app.app_context():
        result = DemoResult(users={admin.email: admin})
        quality.demo.build(result)
        db.session.commit()
        states = {
            (month, state.value)
            for month, state in db.session.execute(
                select(QaReview.month, QaReview.state).distinct()
            )
        }
        assert {s for _, s in states} == {s.value for s in ReviewState}
        assert (months[0], "draft") in states
        assert (months[0], "disputed") in states
        assert (months[2], "decided") in states
        assert not any(s == "draft" for m, s in states if m != months[0])
        assert len({m for m, _ in states}) == 3
        count = db.session.scalar(select(func.count()).select_from(QaReview))
        assert count == 30
        # One rep of the latest month to coach: empathy failed twice, and a critical
        # category about authority failed, so both suggestions show.
        rows = quality.queries.coaching_rows(admin.viewer(), months[0], dt.date.today())
        assert any(
            "empathy" in {n.key for n in r.coaching.needs}
            and "policy" in {f.key for f in r.coaching.flags}
            for r in rows
        ), rows
        again = DemoResult(users={admin.email: admin})
        quality.demo.build(again)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(QaReview)) == count
        assert "Quality reviews already there; left as they were." in again.notes
