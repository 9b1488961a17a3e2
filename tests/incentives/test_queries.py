"""Reads: who sees whose figures, the month's tables, drill-downs and exports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select

from core.access import Role
from core.db import db
from incentives import month_cache
from incentives.tickets import agent_operations, month_metrics, operations, queries
from incentives.tickets.models import TicketAgent
from tests.factories import make_team, make_user
from tests.incentives.tickets import ticket

pytestmark = pytest.mark.usefixtures("app_ctx")

UTC = ZoneInfo("UTC")


@pytest.fixture
def org():
    chat, phone = make_team("Chat"), make_team("Phone")
    ana = make_user(Role.REP, email="ana@example.com", name="Ana", team=chat)
    bo = make_user(Role.REP, email="bo@example.com", name="Bo", team=chat)
    cy = make_user(Role.REP, email="cy@example.com", name="Cy", team=phone)
    sup = make_user(Role.SUPERVISOR, name="Sup")
    chat.supervisors = [sup]
    operations.import_ticket_records(
        [
            ticket(
                "1",
                "ana@example.com",
                "2024-03-04T10:00:00Z",
                csat="good",
                group="Live",
            ),
            ticket(
                "2", "ana@example.com", "2024-03-31T23:59:59Z", csat="bad", group="Live"
            ),
            ticket("3", "ana@example.com", "2024-04-01T00:00:00Z", group="Live"),
            ticket(
                "4", "bo@example.com", "2024-03-10T10:00:00Z", reopens=1, group="Live"
            ),
            ticket("5", "cy@example.com", "2024-03-10T12:00:00Z", channel="phone"),
            ticket("6", "", "2024-03-11T12:00:00Z", group="Live"),
            ticket("7", "stranger@example.com", "2024-03-11T12:00:00Z"),
            ticket("8", "ana@example.com", None),
            ticket(
                "9",
                "ana@example.com",
                "2024-01-15T10:00:00Z",
                created="2024-01-15T09:00:00Z",
            ),
        ],
        source="test",
        by="test",
        tz=UTC,
    )
    return {"chat": chat, "phone": phone, "ana": ana, "bo": bo, "cy": cy, "sup": sup}


def test_scopes(org) -> None:
    admin = make_user(Role.ADMIN)
    assert queries.scope_for(admin.viewer()) == queries.Scope(None, None, True)
    ana_scope = queries.scope_for(org["ana"].viewer())
    assert ana_scope.rep_ids == {org["ana"].id}
    assert not ana_scope.organisation
    sup_scope = queries.scope_for(org["sup"].viewer())
    assert sup_scope.rep_ids == {org["ana"].id, org["bo"].id}
    assert sup_scope.team_ids == {org["chat"].id}
    hiring = make_user(Role.HIRING_MANAGER)
    assert queries.scope_for(hiring.viewer()).rep_ids == frozenset()


def test_the_organisation_sees_every_rep_team_group_and_the_unattributed(org) -> None:
    result = month_cache.figures_for("2024-03", queries.Scope(None, None, True))
    reps = result.reps
    assert reps.loc[org["ana"].id, "tickets_solved"] == 2  # 23:59:59 on 31 March counts
    assert reps.loc[org["ana"].id, "csat_raw"] == 0.5
    assert reps.loc[org["bo"].id, "reopen_rate"] == 1
    assert reps.loc[org["cy"].id, "team_name"] == "Phone"
    assert set(result.teams["team_name"]) == {"Chat", "Phone"}
    assert result.teams.loc[org["chat"].id, "tickets_solved"] == 3
    assert result.unattributed == 2  # nobody assigned, and an unknown agent
    assert result.organisation["tickets_solved"] == 6
    assert set(result.groups.index) == {"Live", "(no group)"}


def test_a_rep_sees_only_their_own_row(org) -> None:
    result = month_cache.figures_for("2024-03", queries.scope_for(org["ana"].viewer()))
    assert list(result.reps.index) == [org["ana"].id]
    assert result.organisation is None
    assert result.groups is None
    assert result.teams.empty


def test_a_supervisor_sees_their_team_only_and_cannot_filter_to_another(org) -> None:
    scope = queries.scope_for(org["sup"].viewer())
    result = month_cache.figures_for("2024-03", scope, team_id=org["phone"].id)
    assert set(result.reps.index) == {org["ana"].id, org["bo"].id}
    assert list(result.teams.index) == [org["chat"].id]
    assert result.organisation is None


def test_a_team_filter_narrows_the_organisation_view(org) -> None:
    result = month_cache.figures_for(
        "2024-03", queries.Scope(None, None, True), team_id=org["phone"].id
    )
    assert list(result.reps.index) == [org["cy"].id]
    assert result.organisation["tickets_solved"] == 6


def test_drilldowns_list_the_tickets_behind_each_number(org) -> None:
    ana = org["ana"].id
    assert set(month_metrics.ticket_rows("2024-03", rep_id=ana)["external_id"]) == {
        "1",
        "2",
    }
    rated = month_metrics.ticket_rows("2024-03", rep_id=ana, metric="csat_raw")
    assert list(rated["external_id"]) == ["2", "1"]  # newest solve first
    assert month_metrics.ticket_rows(
        "2024-03", rep_id=ana, metric="review_followup_rate"
    ).empty
    unattributed = month_metrics.ticket_rows("2024-03", rep_id=None)
    assert set(unattributed["external_id"]) == {"6", "7"}
    assert set(unattributed["agent_label"].fillna("-")) == {"-", "stranger@example.com"}


def test_months_with_tickets_run_from_first_to_last_solve(org) -> None:
    assert queries.months_with_tickets() == ["2024-04", "2024-03", "2024-02", "2024-01"]


def test_rep_and_team_summaries(org) -> None:
    assert month_cache.rep_summary(org["bo"].id, "2024-03")["tickets_solved"] == 1
    assert month_cache.rep_summary(org["bo"].id, "2024-05")["tickets_solved"] == 0
    teams = month_cache.team_summary([org["chat"].id], "2024-03")
    assert teams.loc[org["chat"].id, "team_name"] == "Chat"
    summary = month_cache.organisation_summary("2024-03")
    assert summary["unattributed"] == 2


def test_export_rows_one_per_rep_with_fractions(org) -> None:
    result = month_cache.figures_for("2024-03", queries.Scope(None, None, True))
    header, rows = queries.export_rows(result.reps)
    assert header[:9] == [
        "rep_email",
        "rep_name",
        "team",
        "tickets_solved",
        "first_response_median_min",
        "resolution_median_h",
        "timely_rate",
        "csat_raw",
        "rated",
    ]
    by_email = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_email) == {"ana@example.com", "bo@example.com", "cy@example.com"}
    ana = by_email["ana@example.com"]
    assert (ana["tickets_solved"], ana["csat_raw"], ana["rated"]) == (2, 0.5, 2)
    assert by_email["cy@example.com"]["csat_raw"] == ""


def test_a_rep_with_no_tickets_still_gets_a_row_and_a_deactivated_one_only_with_tickets() -> (
    None
):
    team = make_team("T")
    make_user(Role.REP, email="idle@example.com", name="Idle", team=team)
    gone = make_user(
        Role.REP, email="gone@example.com", name="Gone", team=team, is_active=False
    )
    result = month_cache.figures_for("2024-03", queries.Scope(None, None, True))
    assert list(result.reps["email"]) == ["idle@example.com"]
    operations.import_ticket_records(
        [ticket("g1", "gone@example.com", "2024-03-05T10:00:00Z")],
        source="t",
        by="t",
        tz=UTC,
    )
    result = month_cache.figures_for("2024-03", queries.Scope(None, None, True))
    assert result.reps.loc[gone.id, "tickets_solved"] == 1
    assert result.reps.loc[gone.id, "is_active"] == False  # noqa: E712 (numpy bool)


def test_current_month_is_in_the_organisation_zone(app) -> None:
    assert queries.current_month() == dt.datetime.now(dt.UTC).strftime("%Y-%m")


def test_kept_organisation_figures_match_a_fresh_computation_for_every_scope(
    org,
) -> None:
    whole = queries.Scope(None, None, True)
    scopes = [
        whole,
        queries.scope_for(org["sup"].viewer()),
        queries.scope_for(org["ana"].viewer()),
    ]
    cold = [month_metrics.compute("2024-03", scope, None) for scope in scopes]
    month_cache.figures_for("2024-03", whole)  # keeps the organisation's figures
    assert len(month_cache.kept_figure_keys()) == 1
    for scope, fresh in zip(scopes, cold, strict=True):
        kept = month_cache.figures_for("2024-03", scope)
        columns = list(fresh.reps.columns)
        pd.testing.assert_frame_equal(
            kept.reps[columns].sort_index(), fresh.reps.sort_index(), check_dtype=False
        )
        pd.testing.assert_frame_equal(
            kept.teams[list(fresh.teams.columns)].sort_index(),
            fresh.teams.sort_index(),
            check_dtype=False,
        )
    team = month_cache.figures_for("2024-03", whole, team_id=org["phone"].id)
    assert list(team.reps.index) == [org["cy"].id]
    assert list(team.teams.index) == [org["phone"].id]


def test_kept_figures_are_not_used_once_their_inputs_change(org) -> None:
    whole = queries.Scope(None, None, True)
    before = month_cache.figures_for("2024-03", whole)
    assert before.unattributed == 2
    admin = make_user(Role.ADMIN)
    stranger = db.session.scalar(
        select(TicketAgent).where(TicketAgent.key == "stranger@example.com")
    )
    agent_operations.map_agent(stranger, rep=org["cy"], by=admin)
    after = month_cache.figures_for("2024-03", whole)
    assert after.unattributed == 1
    assert after.reps.loc[org["cy"].id, "tickets_solved"] == 2


def test_summaries_cut_from_the_organisation_s_figures_match_those_computed_alone(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    month = "2024-03"
    reps = [org[name].id for name in ("ana", "bo", "cy")]
    teams = [org["chat"].id, org["phone"].id]
    month_cache.organisation_summary(month)  # computed and kept
    assert (month, month_cache.figures_version()) in month_cache.kept_figure_keys()
    cut = {rep_id: month_cache.rep_summary(rep_id, month) for rep_id in reps}
    cut_teams = month_cache.team_summary(teams, month)

    monkeypatch.setattr(month_cache, "figures_at_hand", lambda *args, **kwargs: None)
    for rep_id in reps:
        alone = month_cache.rep_summary(rep_id, month)
        pd.testing.assert_series_equal(
            cut[rep_id][alone.index], alone, check_dtype=False, check_names=False
        )
    alone_teams = month_cache.team_summary(teams, month)
    pd.testing.assert_frame_equal(
        cut_teams.loc[alone_teams.index, alone_teams.columns],
        alone_teams,
        check_dtype=False,
    )
    assert cut[org["bo"].id]["tickets_solved"] == 1


def test_a_page_works_out_the_inputs_fingerprint_once(
    org, client, login_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = month_cache._figures_version

    def counted() -> str:
        calls.append("called")
        return original()

    monkeypatch.setattr(month_cache, "_figures_version", counted)
    month_cache.figures_version()
    month_cache.figures_version()
    assert len(calls) == 2  # outside a request: every time

    calls.clear()
    response = login_as(org["ana"]).get("/")
    assert response.status_code == 200
    assert "Your month so far" in response.get_data(as_text=True)
    assert len(calls) == 1
