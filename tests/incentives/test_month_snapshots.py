"""The organisation's month metrics, stored in the database for every worker and host.

A worker's own kept figures are forgotten here (``month_cache.forget()``) to play
another worker, or a worker restarted, that reads what the first one stored.
"""

from __future__ import annotations

import json
import logging
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from core.access import Role
from core.db import db
from core.jobs import Job, JobStatus
from incentives import month_cache
from incentives.tickets import agent_operations, month_metrics, operations, queries
from incentives.tickets.clock import Clock
from incentives.tickets.metrics import SlaTarget
from incentives.tickets.models import MonthMetricsSnapshot, TicketAgent
from tests.factories import make_team, make_user
from tests.incentives import tickets

UTC = ZoneInfo("UTC")
MARCH = "2024-03"
WHOLE = queries.Scope(None, None, organisation=True)


def ticket(ticket_id: str, agent: str, solved: str | None, **extra) -> dict:
    """A ticket answered five minutes after it came in, unless ``first=`` says otherwise."""
    first = extra.pop("first", "2024-03-04T09:05:00Z")
    return tickets.ticket(ticket_id, agent, solved, first_response_at=first, **extra)


TICKETS = [
    ticket("1", "ana@example.com", "2024-03-04T10:00:00Z", csat="good", group="Live"),
    ticket("2", "ana@example.com", "2024-03-31T23:59:59Z", csat="bad", nps=9),
    ticket("3", "ana@example.com", "2024-04-01T00:00:00Z", group="Live"),
    ticket("4", "bo@example.com", "2024-03-10T10:00:00Z", reopens=1, group="Live"),
    ticket("5", "cy@example.com", "2024-03-10T12:00:00Z", channel="review"),
    ticket("6", "", "2024-03-11T12:00:00Z", group="Live"),
    ticket("7", "stranger@example.com", "2024-03-11T12:00:00Z"),
    ticket("8", "ana@example.com", None),
]


def build_org() -> dict:
    chat, phone = make_team("Chat"), make_team("Phone")
    make_team("Empty")
    ana = make_user(Role.REP, email="ana@example.com", name="Ana", team=chat)
    bo = make_user(Role.REP, email="bo@example.com", name="Bo", team=chat)
    cy = make_user(Role.REP, email="cy@example.com", name="Cy", team=phone)
    make_user(Role.REP, email="idle@example.com", name="Idle", team=phone)
    make_user(Role.REP, email="gone@example.com", name="Gone", is_active=False)
    sup = make_user(Role.SUPERVISOR, name="Sup")
    admin = make_user(Role.ADMIN, name="Admin")
    lead = make_user(Role.LEADERSHIP, name="Lead")
    chat.supervisors = [sup]
    operations.import_ticket_records(TICKETS, source="test", by="test", tz=UTC)
    return {
        "chat": chat,
        "ana": ana,
        "bo": bo,
        "cy": cy,
        "sup": sup,
        "admin": admin,
        "lead": lead,
    }


@pytest.fixture
def org(app_ctx) -> dict:
    return build_org()


def snapshots() -> list[tuple[str, str]]:
    return [
        (row.month, row.inputs_version)
        for row in db.session.scalars(
            select(MonthMetricsSnapshot).order_by(MonthMetricsSnapshot.id)
        )
    ]


def assert_same(
    left: month_metrics.MonthMetrics, right: month_metrics.MonthMetrics
) -> None:
    assert (left.month, left.clock, left.unattributed) == (
        right.month,
        right.clock,
        right.unattributed,
    )
    pd.testing.assert_frame_equal(left.reps, right.reps)
    pd.testing.assert_frame_equal(left.teams, right.teams)
    if right.groups is None:
        assert left.groups is None
    else:
        pd.testing.assert_frame_equal(left.groups, right.groups)
    if right.organisation is None:
        assert left.organisation is None
    else:
        pd.testing.assert_series_equal(left.organisation, right.organisation)


def no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("computed, not read from the stored figures")

    monkeypatch.setattr(month_cache, "compute", refuse)


@pytest.mark.parametrize("hours", [False, True], ids=["calendar", "business"])
@pytest.mark.parametrize("month", [MARCH, "2024-04", "2023-01"])
def test_stored_figures_read_back_identical(org, hours: bool, month: str) -> None:
    if hours:
        operations.save_opening_hours(
            {d: (9 * 60, 17 * 60) for d in range(5)}, {}, by=org["admin"]
        )
    fresh = month_metrics.compute(month, WHOLE, None)
    assert fresh.clock is (Clock.BUSINESS if hours else Clock.CALENDAR)
    data = json.loads(json.dumps(fresh.to_data(), allow_nan=False))
    back = month_metrics.MonthMetrics.from_data(data)
    assert_same(back, fresh)
    # What the pages, the API and the downloads make of them is the same too.
    assert queries.metric_records(back.reps) == queries.metric_records(fresh.reps)
    assert queries.export_rows(back.reps) == queries.export_rows(fresh.reps)
    assert back.has_tickets == fresh.has_tickets


def test_figures_are_stored_once_and_read_by_another_worker(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = month_cache.figures_for(MARCH, WHOLE)
    assert snapshots() == [(MARCH, month_cache.figures_version())]
    month_cache.forget()  # another worker
    no_computing(monkeypatch)
    again = month_cache.figures_for(MARCH, WHOLE)
    assert_same(again, first)
    assert len(snapshots()) == 1


def test_a_supervisor_and_a_rep_get_their_slice_of_the_stored_figures(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    sup_scope = queries.scope_for(org["sup"].viewer())
    ana_scope = queries.scope_for(org["ana"].viewer())
    expected = {
        "sup": month_metrics.compute(MARCH, sup_scope, None),
        "ana": month_metrics.compute(MARCH, ana_scope, None),
    }
    month_cache.figures_for(MARCH, WHOLE)
    month_cache.forget()
    no_computing(monkeypatch)
    for who, scope in (("sup", sup_scope), ("ana", ana_scope)):
        result = month_cache.figures_for(MARCH, scope)
        columns = list(expected[who].reps.columns)
        pd.testing.assert_frame_equal(
            result.reps[columns].sort_index(),
            expected[who].reps.sort_index(),
            check_dtype=False,
        )
        pd.testing.assert_frame_equal(
            result.teams[list(expected[who].teams.columns)].sort_index(),
            expected[who].teams.sort_index(),
            check_dtype=False,
        )
        assert result.organisation is None
        assert result.groups is None
    ana = month_cache.figures_for(MARCH, ana_scope)
    assert list(ana.reps.index) == [org["ana"].id]  # never anyone else
    assert ana.teams.empty
    team = month_cache.figures_for(MARCH, sup_scope, team_id=org["chat"].id)
    assert set(team.reps.index) == {org["ana"].id, org["bo"].id}


def test_without_stored_figures_a_supervisor_computes_only_their_team(org) -> None:
    scope = queries.scope_for(org["sup"].viewer())
    result = month_cache.figures_for(MARCH, scope)
    assert set(result.reps.index) == {org["ana"].id, org["bo"].id}
    assert snapshots() == []  # only leadership's view computes the whole organisation


def test_a_new_import_replaces_the_month_s_stored_figures(org) -> None:
    before = month_cache.figures_for(MARCH, WHOLE)
    old_version = month_cache.figures_version()
    operations.import_ticket_records(
        [ticket("9", "bo@example.com", "2024-03-20T10:00:00Z")],
        source="test",
        by="test",
        tz=UTC,
    )
    month_cache.forget()
    after = month_cache.figures_for(MARCH, WHOLE)
    assert month_cache.figures_version() != old_version
    assert after.reps.loc[org["bo"].id, "tickets_solved"] == (
        before.reps.loc[org["bo"].id, "tickets_solved"] + 1
    )
    assert snapshots() == [(MARCH, month_cache.figures_version())]


def test_changed_settings_are_not_served_old_figures(org) -> None:
    before = month_cache.figures_for(MARCH, WHOLE)
    assert before.unattributed == 2
    stranger = db.session.scalar(
        select(TicketAgent).where(TicketAgent.key == "stranger@example.com")
    )
    agent_operations.map_agent(stranger, rep=org["cy"], by=org["admin"])
    month_cache.forget()
    mapped = month_cache.figures_for(MARCH, WHOLE)
    assert mapped.unattributed == 1
    operations.save_sla_targets(
        {("chat", "normal"): SlaTarget(1, 0.01)}, by=org["admin"]
    )
    month_cache.forget()
    stricter = month_cache.figures_for(MARCH, WHOLE)
    assert (
        stricter.reps.loc[org["ana"].id, "timely_rate"]
        < (mapped.reps.loc[org["ana"].id, "timely_rate"])
    )
    assert snapshots() == [(MARCH, month_cache.figures_version())]


def test_figures_another_worker_stored_meanwhile_are_kept(
    org, caplog: pytest.LogCaptureFixture
) -> None:
    """Two workers computing the same month at once: the second store gives way."""
    version = month_cache.figures_version()
    db.session.add(
        MonthMetricsSnapshot(month=MARCH, inputs_version=version, data={"format": 0})
    )
    db.session.flush()
    with caplog.at_level(logging.INFO, logger="incentives.month_cache"):
        result = month_cache.figures_for(MARCH, WHOLE)  # unreadable: computed again
    assert result.organisation["tickets_solved"] == 6
    assert "stored by another worker" in caplog.text
    assert db.session.scalar(select(func.count(MonthMetricsSnapshot.id))) == 1


def test_a_store_that_fails_is_logged_and_the_figures_still_shown(
    org, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self):
        raise ValueError("columns of dtype period are not supported")

    monkeypatch.setattr(month_metrics.MonthMetrics, "to_data", broken)
    with caplog.at_level(logging.ERROR, logger="incentives.month_cache"):
        result = month_cache.figures_for(MARCH, WHOLE)
    assert result.organisation["tickets_solved"] == 6
    assert "could not be stored" in caplog.text
    assert snapshots() == []


def test_the_leadership_page_stores_the_figures_on_a_get_and_reads_them_back(
    app, seed, client, login_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    with seed():
        people = build_org()
    with app.app_context():
        # The import's months and the dashboards' two were computed when it was
        # committed; play the first view of a month nobody computed ahead.
        assert len(snapshots()) == 4
        db.session.execute(delete(MonthMetricsSnapshot))
        db.session.commit()
    month_cache.forget()
    login_as(people["lead"])
    first = client.get(f"/incentives/metrics?month={MARCH}")
    assert first.status_code == 200
    with app.app_context():
        assert len(snapshots()) == 1
    month_cache.forget()
    no_computing(monkeypatch)
    again = client.get(f"/incentives/metrics?month={MARCH}")
    assert again.status_code == 200
    for rep in ("ana", "bo", "cy"):
        assert f"/incentives/reps/{people[rep].id}/tickets" in again.get_data(True)
    login_as(people["sup"])
    team = client.get(f"/incentives/metrics?month={MARCH}").get_data(as_text=True)
    assert f"/incentives/reps/{people['bo'].id}/tickets" in team
    assert f"/incentives/reps/{people['cy'].id}/tickets" not in team


def test_an_import_computes_its_months_in_the_background(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.session.commit()
    outcome = operations.import_ticket_records(
        [
            ticket("10", "bo@example.com", "2024-03-21T10:00:00Z"),
            ticket("11", "bo@example.com", "2024-05-02T10:00:00Z"),
        ],
        source="test",
        by="test",
        tz=UTC,
    )
    job = outcome.warm_up
    assert job is not None
    # Its months, and this month and the last, which dashboards show (every import
    # changes the inputs of every month).
    shown = operations.months_on_dashboards()
    assert job.params["args"] == [sorted({"2024-05", MARCH, *shown}, reverse=True)]
    db.session.commit()  # the job runs (eagerly in tests) once the import is committed
    job = db.session.get(Job, job.id)
    assert job.status is JobStatus.DONE, job.error
    assert set(job.result["computed"]) == {"2024-05", MARCH, *shown}
    version = month_cache.figures_version()
    assert {(m, version) for m in ("2024-05", MARCH, *shown)} <= set(snapshots())
    month_cache.forget()
    no_computing(monkeypatch)
    result = month_cache.figures_for(MARCH, queries.scope_for(org["sup"].viewer()))
    assert result.reps.loc[org["bo"].id, "tickets_solved"] == 2


def test_a_ticket_solved_again_later_warms_the_month_it_left(org) -> None:
    db.session.commit()
    outcome = operations.import_ticket_records(
        [
            ticket(
                "4", "bo@example.com", "2024-05-10T10:00:00Z", reopens=1, group="Live"
            )
        ],
        source="test",
        by="test",
        tz=UTC,
    )
    assert outcome.updated == 1
    shown = operations.months_on_dashboards()
    assert outcome.warm_up.params["args"] == [
        sorted({"2024-05", MARCH, *shown}, reverse=True)
    ]


def test_settings_changes_compute_recent_months_in_one_job(org) -> None:
    stranger = db.session.scalar(
        select(TicketAgent).where(TicketAgent.key == "stranger@example.com")
    )
    agent_operations.map_agent(stranger, rep=org["cy"], by=org["admin"])
    operations.save_sla_targets(
        {("chat", "normal"): SlaTarget(1, 0.01)}, by=org["admin"]
    )
    jobs_waiting = db.session.scalars(
        select(Job).where(Job.kind == operations.WARM_UP_KIND)
    ).all()
    assert len(jobs_waiting) == 1
    assert "2024-04" in jobs_waiting[0].params["args"][0]  # the newest with tickets
    db.session.commit()
    assert db.session.get(Job, jobs_waiting[0].id).status is JobStatus.DONE
    assert ("2024-04", month_cache.figures_version()) in snapshots()


def test_the_import_command_waits_for_its_months(org, runner, tmp_path) -> None:
    db.session.commit()
    path = tmp_path / "tickets.csv"
    path.write_text(
        "ticket_id,channel,agent_email,priority,created_at,first_response_at,solved_at,"
        "reopens,csat,nps,tags\n"
        "C-1,chat,ana@example.com,normal,2024-03-05T09:00:00Z,2024-03-05T09:01:00Z,"
        "2024-03-05T10:00:00Z,0,good,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        args=["tickets", "import", str(path), "--source", "frontline"]
    )
    assert result.exit_code == 0, result.output
    assert (MARCH, month_cache.figures_version()) in snapshots()


def test_figures_kept_here_but_not_stored_are_stored_by_the_next_warm_up(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as failing:
        failing.setattr(month_cache, "_write_snapshot", lambda *_args, **_kw: False)
        month_cache.figures_for(MARCH, WHOLE)
    assert snapshots() == []
    no_computing(monkeypatch)
    assert month_cache.warm(MARCH) is False  # stored, not computed again
    assert snapshots() == [(MARCH, month_cache.figures_version())]
    assert month_cache.warm(MARCH) is False


def test_figures_computed_after_a_write_go_with_that_transaction(org) -> None:
    """A transaction that has written stores the figures it computed beside its own
    writes: kept if it commits, gone if it is rolled back (they might hold its writes)."""
    forget_all()
    make_user(Role.REP, email="new@example.com", name="New", team=org["chat"])
    month_cache.figures_for(MARCH, WHOLE)
    assert snapshots() == [(MARCH, month_cache.figures_version())]
    db.session.rollback()
    assert snapshots() == []


def test_a_request_that_only_reads_stores_its_figures_once_it_has_ended(
    app, org
) -> None:
    forget_all()
    with app.test_request_context(f"/incentives/metrics?month={MARCH}"):
        month_cache.figures_for(MARCH, WHOLE)
        assert snapshots() == []  # the request's transaction stays a pure read
        version = month_cache.figures_version()
        db.session.rollback()  # the request ends
        assert snapshots() == [(MARCH, version)]


def forget_all() -> None:
    """Commit the world, then forget the figures its import's job computed ahead."""
    db.session.commit()
    db.session.execute(delete(MonthMetricsSnapshot))
    db.session.commit()
    month_cache.forget()
