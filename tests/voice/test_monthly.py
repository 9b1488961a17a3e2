"""Leadership sees what the front line told us each month: the pack (page and PDF) and
the dashboard read one month's figures, worked out by voice.reaction as the month ended;
a rep's scorecard lists their reports and what became of them, without touching scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from core.db import db
from incentives.scorecards import queries as scorecard_queries
from incentives.tickets import queries as ticket_queries
from tests.core.test_pdf import pdf_text
from tests.helpers import text
from tests.incentives import scoring_world
from voice import operations, queries, reaction
from voice.models import ProblemReport

MARCH = "2024-03"


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def world(module_seed):  # type: ignore[no-untyped-def]
    """The scoring world's March, and Logistics (target 8 h) with four March reports by
    Ann: one acknowledged in 2 h and fixed, one acknowledged in 20 h, one left new, one
    acknowledged only in April; and one February report fixed in March."""
    with module_seed():
        w = scoring_world.build()
        logistics = operations.save_department(
            None,
            operations.DepartmentInput(
                name="Logistics", owner_id=w.sam.id, ack_target_hours=8
            ),
            by="test",
        )

        def filed(title: str, when: dt.datetime, tickets: str = "") -> ProblemReport:
            return operations.report_problem(
                operations.ReportInput(
                    title=title,
                    story="The box arrived split.",
                    category="shipping",
                    severity="high",
                    department_id=logistics.id,
                    tickets_text=tickets,
                ),
                by=w.ann,
                at=when,
            ).report

        def move(report: ProblemReport, state: str, when: dt.datetime) -> None:
            operations.move_problem(report, state, by=w.sam, at=when)

        quick = filed("Crushed boxes from Leeds", at(4), "A1 A2 A3")
        move(quick, "acknowledged", at(4, 11))
        move(quick, "fixed", at(6, 9))
        slow = filed("Labels peel off in the rain", at(5), "A4")
        move(slow, "acknowledged", at(6, 5))
        filed("Courier rings once and leaves", at(20))
        late = filed("Lockers are always full", at(29))
        move(late, "acknowledged", dt.datetime(2024, 4, 2, tzinfo=dt.UTC))
        move(late, "fixed", dt.datetime(2024, 4, 3, tzinfo=dt.UTC))
        old = filed("February's problem", dt.datetime(2024, 2, 20, tzinfo=dt.UTC))
        move(old, "acknowledged", dt.datetime(2024, 2, 20, 10, tzinfo=dt.UTC))
        move(old, "fixed", at(10))
    w.logistics_id = logistics.id
    w.quick_id, w.late_id = quick.id, late.id
    return w


def test_the_month_is_measured_by_reaction_as_it_ended(app, world) -> None:
    with app.app_context():
        month = queries.front_line_month(
            MARCH, ticket_queries.org_timezone(), at(31, 23)
        )
        frame = queries.reaction_frame(world.logistics_id)
    (line,) = month.departments
    assert month.reports_text == "4 reports"
    assert month.as_of == "so far"  # "now" is 31 March, 23:00: March is under way
    # One place: the same figures as voice.reaction over the month's reports, cut there.
    march = frame[frame["created_at"] >= "2024-03-01"].copy()
    march.loc[
        march["acknowledged_at"] > at(31, 23), ["acknowledged_at", "closed_at"]
    ] = None
    march.loc[march["created_at"] == at(29), "status"] = "new"
    assert line.figures == reaction.measure(march, target_hours=8, at=at(31, 23))
    assert (line.reports, line.acknowledge, line.fix) == (4, "11 h", "2 days")
    # 2 h on time; 20 h late; the new one (20 March) past 8 h; the late one was new
    # and past its target when March ended.
    assert line.within_target == "1 of 4 (25%)"
    assert [t.title for t in month.top] == [
        "Crushed boxes from Leeds",
        "Labels peel off in the rain",
    ]
    assert month.top[0].tickets == "3 tickets"
    assert [f.title for f in month.fixed] == [
        "February's problem",
        "Crushed boxes from Leeds",
    ]


def test_a_past_month_reads_the_same_later(app, world) -> None:
    with app.app_context():
        tz = ticket_queries.org_timezone()
        then = queries.front_line_month(
            MARCH, tz, dt.datetime(2024, 4, 1, 0, 30, tzinfo=dt.UTC)
        )
        later = queries.front_line_month(
            MARCH, tz, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    assert later.as_of == "as March ended"
    # The tests' organisation is on UTC: March ended at 00:00 on 1 April.
    assert later.departments == then.departments
    assert later.departments[0].within_target == "1 of 4 (25%)"
    # The report fixed in April is not among March's fixes.
    assert world.late_id not in {f.report_id for f in later.fixed}


def test_the_pack_page_and_pdf_show_the_section(
    client, login_as, world, tmp_path: Path
) -> None:
    login_as(world.leader)
    page = text(client.get(f"/incentives/scorecards/leadership?month={MARCH}"))
    assert "What the front line told us" in page
    assert "4 reports filed in March 2024" in page
    assert (
        f'href="/voice/departments/{world.logistics_id}/reaction">Logistics</a>' in page
    )
    assert "1 of 4 (25%)" in page
    pdf = client.get(f"/incentives/scorecards/leadership.pdf?month={MARCH}")
    printed = pdf_text(pdf.data, tmp_path)
    assert "What the front line told us" in printed
    assert "#" + str(world.quick_id) + " Crushed boxes from Leeds" in printed


def test_a_reps_card_lists_their_reports_and_never_changes_the_score(
    app, client, login_as, world
) -> None:
    login_as(world.ann)
    page = text(client.get(f"/incentives/scorecards/reps/{world.ann.id}?month={MARCH}"))
    assert "Problems reported in March 2024" in page
    # What became of them, today: the late one was fixed in April.
    assert "4 reports: 2 fixed, 2 open." in page
    assert "Crushed boxes from Leeds</a> · Logistics: <b>Fixed</b>" in page
    with app.test_request_context():
        ann = db.session.get(type(world.ann), world.ann.id)
        card = scorecard_queries.rep_scorecard(ann, MARCH)
        db.session.execute(
            db.update(ProblemReport)
            .where(ProblemReport.reporter_id == ann.id)
            .values(reporter_id=world.bob.id)
        )
        without = scorecard_queries.rep_scorecard(ann, MARCH)
        db.session.rollback()
    assert card.problem_reports is not None
    assert without.problem_reports is None
    assert dataclasses.replace(card, problem_reports=None, generated="") == (
        dataclasses.replace(without, generated="")
    )


def test_leadership_sees_last_month_on_the_dashboard_and_reps_do_not(
    client, login_as, world
) -> None:
    login_as(world.leader)
    assert "What the front line told us" in text(client.get("/"))
    login_as(world.ann)
    assert "What the front line told us" not in text(client.get("/"))
