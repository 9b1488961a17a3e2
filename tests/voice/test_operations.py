"""Voice writes: departments and rotas, reports and their tickets, "+1"s, moves,
escalation; bad input is refused with a clear message and nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from tests.voice.factories import import_tickets, make_voice_world, report
from voice import operations, queries
from voice.models import (
    Department,
    ProblemReport,
    ProblemTicket,
    RotaRow,
    StatusChange,
    VoiceRecordIsAppendOnly,
)
from voice.workflow import Escalation, ProblemStatus

pytestmark = pytest.mark.usefixtures("app_ctx")


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_department_keeps_its_members_and_rota_and_says_who_answers() -> None:
    w = make_voice_world()
    assert w.logistics.member_ids == {w.owner.id, w.deputy.id}
    assert [e.line() for e in w.logistics.rota_entries()] == [
        "Every day 00:00-24:00 | Sam Patel | +44 20 7946 0101"
    ]
    reach = queries.reach_now([w.logistics], utcnow(), queries_tz())
    assert reach[0].answer is not None
    assert reach[0].answer.entry.name == "Sam Patel"
    assert "voice.department.save" in actions()


def queries_tz():  # type: ignore[no-untyped-def]
    from core.templating import org_timezone

    return org_timezone()


def test_a_bad_rota_or_a_taken_name_changes_nothing() -> None:
    w = make_voice_world()
    rows = count(RotaRow)
    with pytest.raises(InvalidInput) as caught:
        operations.save_department(
            w.logistics,
            operations.DepartmentInput(
                name="Billing",
                owner_id=w.owner.id,
                ack_target_hours=0,
                rota_text="Mon-Fri 09:00-18:00 | Sam | 1\nMon-Fri 9 to 5 Sam",
            ),
            by="test",
        )
    assert caught.value.errors == {
        "name": ["There is already a department called Billing."],
        "ack_target_hours": ["Use a number of hours from 1 to 720."],
        "rota": [
            "Line 2: write days and hours, the name and how to reach them, apart by |, "
            "like Mon-Fri 09:00-18:00 | Sam Patel | +44 20 7946 0000."
        ],
    }
    assert count(RotaRow) == rows


def test_a_report_keeps_known_and_unknown_tickets_and_warns_of_the_unknown() -> None:
    w = make_voice_world()
    import_tickets("48213", "48290")
    filed = operations.report_problem(
        operations.ReportInput(
            title="Crushed parcels",
            story="Box split in the rain.",
            category="shipping",
            severity="high",
            department_id=w.logistics.id,
            tickets_text="48213, #48290 NOPE-1 48213",
        ),
        by=w.rep,
    )
    assert [(t.external_id, t.known) for t in filed.report.tickets] == [
        ("48213", True),
        ("48290", True),
        ("NOPE-1", False),
    ]
    assert filed.warnings == [
        "Ticket NOPE-1 is not among the imported tickets; it is kept as text."
    ]
    assert filed.report.status == ProblemStatus.NEW
    assert [h.to_status for h in filed.report.history] == [ProblemStatus.NEW]
    assert actions()[-1] == "voice.problem.report"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"story": "   "},
            "story",
            "Tell the customer's story: what happened to them, in your words.",
        ),
        (
            {"department_id": 99999},
            "department_id",
            "Choose the department the problem needs from the list.",
        ),
        (
            {"department_id": None},
            "department_id",
            "Choose the department the problem needs from the list.",
        ),
        ({"category": "weather"}, "category", "Choose a category from the list."),
        (
            {"tickets_text": "x" * 70},
            "tickets",
            "A ticket id has at most 64 characters: xxxxxxxxxxxxxxxxxxxx... is longer.",
        ),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_written(
    changes: dict, field: str, message: str
) -> None:
    w = make_voice_world()
    data = {
        "title": "Crushed parcels",
        "story": "Box split.",
        "category": "shipping",
        "severity": "high",
        "department_id": w.logistics.id,
        "tickets_text": "",
        **changes,
    }
    before = (count(ProblemReport), count(ProblemTicket), count(AuditEvent))
    with pytest.raises(InvalidInput) as caught:
        operations.report_problem(operations.ReportInput(**data), by=w.rep)
    assert caught.value.errors == {field: [message]}
    assert (count(ProblemReport), count(ProblemTicket), count(AuditEvent)) == before


def test_a_closed_department_takes_no_reports() -> None:
    w = make_voice_world()
    w.billing.active = False
    with pytest.raises(InvalidInput) as caught:
        report(w.billing, w.rep)
    assert "department_id" in caught.value.errors


def test_the_workflow_to_fixed_with_times_and_history() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    t0 = r.created_at
    step = operations.move_problem(
        r, "acknowledged", by=w.owner, at=t0 + dt.timedelta(hours=2)
    )
    assert step.subject() == f"Your problem report #{r.id}: acknowledged"
    operations.move_problem(
        r, "in_progress", by=w.deputy, at=t0 + dt.timedelta(hours=5)
    )
    operations.move_problem(r, "fixed", by=w.owner, at=t0 + dt.timedelta(days=2))
    assert r.status == ProblemStatus.FIXED
    assert r.acknowledged_at == t0 + dt.timedelta(hours=2)
    assert r.closed_at == t0 + dt.timedelta(days=2)
    assert [h.to_status.value for h in r.history] == [
        "new",
        "acknowledged",
        "in_progress",
        "fixed",
    ]
    figures = queries.department_reaction(w.logistics, t0 + dt.timedelta(days=3))
    assert (figures.hours_to_acknowledge, figures.days_to_fix) == (2.0, 2.0)
    assert (figures.within_target, figures.judged, figures.open) == (1, 1, 0)
    assert actions().count("voice.problem.status") == 3


@pytest.mark.parametrize(
    ("moves", "target", "kwargs", "errors"),
    [
        (
            [],
            "fixed",
            {},
            {
                "": [
                    "A report that is new cannot be moved to fixed; it can be moved "
                    "to acknowledged, won't fix, duplicate."
                ]
            },
        ),
        (
            ["acknowledged"],
            "wont_fix",
            {"reason": " "},
            {
                "reason": [
                    "Say why it will not be fixed: the reporter reads the reason."
                ]
            },
        ),
        (
            [],
            "duplicate",
            {},
            {"duplicate_of": ["Give the number of the report this repeats."]},
        ),
        (
            [],
            "duplicate",
            {"duplicate_of": 987654},
            {"duplicate_of": ["There is no report number 987654."]},
        ),
        ([], "reopened", {}, {"status": ["Choose what happens next from the list."]}),
    ],
)
def test_moves_out_of_order_are_refused_and_nothing_changes(
    moves: list[str], target: str, kwargs: dict, errors: dict
) -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    for move in moves:
        operations.move_problem(r, move, by=w.owner)
    history = count(StatusChange)
    status = r.status
    with pytest.raises(InvalidInput) as caught:
        operations.move_problem(r, target, by=w.owner, **kwargs)
    assert caught.value.errors == errors
    assert count(StatusChange) == history
    assert r.status == status


def test_wont_fix_keeps_the_reason_and_duplicate_the_original() -> None:
    w = make_voice_world()
    first, second, third = (report(w.logistics, w.rep) for _ in range(3))
    operations.move_problem(first, "wont_fix", reason="It is how it works.", by=w.owner)
    operations.move_problem(second, "duplicate", duplicate_of=first.id, by=w.owner)
    assert (first.reason, first.status) == (
        "It is how it works.",
        ProblemStatus.WONT_FIX,
    )
    assert first.acknowledged_at == first.closed_at  # closed straight from new
    assert second.duplicate_of_id == first.id
    step = operations.move_problem(
        third, "duplicate", duplicate_of=first.id, by=w.owner
    )
    assert f"It repeats report #{first.id}" in step.body("Ana", "http://x")


def test_only_the_departments_members_move_its_reports() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    for outsider in (w.billing_owner, w.leader, w.admin, w.rep, w.supervisor):
        with pytest.raises(NotAllowed):
            operations.move_problem(r, "acknowledged", by=outsider)
    assert r.status == ProblemStatus.NEW


def test_only_the_reporter_edits_an_open_report() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    data = operations.ReportInput(
        "New title", "New story", "policy", "low", w.billing.id, "T-9"
    )
    for other in (w.other_rep, w.supervisor, w.owner):
        with pytest.raises(NotAllowed):
            operations.edit_problem(r, data, by=other)
    operations.edit_problem(r, data, by=w.rep)
    assert (r.title, r.department_id, [t.external_id for t in r.tickets]) == (
        "New title",
        w.billing.id,
        ["T-9"],
    )
    operations.move_problem(r, "acknowledged", by=w.billing_owner)
    with pytest.raises(InvalidInput) as caught:
        operations.edit_problem(
            r,
            operations.ReportInput("t", "s", "policy", "low", w.logistics.id),
            by=w.rep,
        )
    assert caught.value.errors == {
        "department_id": ["Billing has acknowledged the report; it stays with them."]
    }
    operations.move_problem(r, "fixed", by=w.billing_owner)
    with pytest.raises(NotAllowed):
        operations.edit_problem(r, data, by=w.rep)


def test_a_plus_one_adds_tickets_once_per_person() -> None:
    w = make_voice_world()
    import_tickets("500")
    r = report(w.logistics, w.rep, tickets="100")
    filed = operations.support_problem(
        r, tickets_text="100 500 600", note="Me too", by=w.other_rep
    )
    assert [(t.external_id, t.known) for t in r.tickets] == [
        ("100", False),
        ("500", True),
        ("600", False),
    ]
    assert filed.warnings == [
        "Ticket 600 is not among the imported tickets; it is kept as text."
    ]
    assert [s.user_id for s in r.supports] == [w.other_rep.id]
    with pytest.raises(Conflict):
        operations.support_problem(r, tickets_text="500", note="", by=w.other_rep)
    operations.support_problem(r, tickets_text="700", note="", by=w.other_rep)
    assert len(r.supports) == 1
    assert len(r.tickets) == 4
    with pytest.raises(NotAllowed):
        operations.support_problem(r, tickets_text="", note="", by=w.rep)  # one's own


def test_similar_open_reports_are_suggested() -> None:
    w = make_voice_world()
    crushed = report(w.logistics, w.rep)
    report(
        w.billing,
        w.rep,
        title="Double charge",
        story="Card charged twice after a decline.",
    )
    closed = report(w.logistics, w.rep)
    operations.move_problem(closed, "wont_fix", reason="no", by=w.owner)
    found = queries.similar_open("crushed parcel, Leeds, rain")
    assert [r.id for r in found] == [crushed.id]


def test_escalation_tells_the_owner_then_leadership_once_each() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    t0 = r.created_at
    assert operations.escalate(at=t0 + dt.timedelta(hours=7)) == []
    notices = operations.escalate(at=t0 + dt.timedelta(hours=9), link="http://x/")
    assert [n.to for n in notices] == [("sam@example.com",)]
    assert (
        notices[0].subject
        == f"Unacknowledged for 9 hours: problem #{r.id} for Logistics"
    )
    assert operations.escalate(at=t0 + dt.timedelta(hours=10)) == []
    notices = operations.escalate(at=t0 + dt.timedelta(hours=17))
    assert [n.to for n in notices] == [("lead@example.com",)]
    assert r.escalation == Escalation.LEADERSHIP
    assert operations.escalate(at=t0 + dt.timedelta(days=9)) == []
    assert actions().count("voice.problem.escalate") == 2
    acknowledged = report(w.logistics, w.rep)
    operations.move_problem(acknowledged, "acknowledged", by=w.owner)
    assert operations.escalate(at=utcnow() + dt.timedelta(days=30)) == []


def test_the_status_history_is_append_only() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    change = r.history[0]
    change.reason = "rewritten"
    with pytest.raises(VoiceRecordIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_a_department_with_reports_is_kept() -> None:
    w = make_voice_world()
    report(w.logistics, w.rep)
    assert db.session.get(Department, w.logistics.id) is not None


def test_the_kept_figures_follow_every_new_report_and_move() -> None:
    w = make_voice_world()
    r = report(w.logistics, w.rep)
    at = r.created_at + dt.timedelta(days=1)
    assert queries.department_reaction(w.logistics, at).new == 1
    operations.move_problem(r, "acknowledged", by=w.owner, at=r.created_at)
    assert queries.department_reaction(w.logistics, at).new == 0
    operations.move_problem(r, "fixed", by=w.owner, at=r.created_at)
    assert queries.department_reaction(w.logistics, at).fixed == 1
    report(w.logistics, w.other_rep)
    assert queries.department_reaction(w.logistics, at).reports == 2
    assert queries.department_reaction(w.billing, at).reports == 0
