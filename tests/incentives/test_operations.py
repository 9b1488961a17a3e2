"""Imports, agents and settings against the database: all-or-nothing, idempotent, audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from core import accounts
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput
from incentives import month_cache
from incentives.tickets import (
    agent_operations,
    agent_queries,
    bulk,
    operations,
    queries,
)
from incentives.tickets.clock import Clock
from incentives.tickets.metrics import SlaTarget
from incentives.tickets.models import (
    AgentMatch,
    ImportStatus,
    SlaTargetSetting,
    Ticket,
    TicketAgent,
    TicketImport,
)
from tests.factories import make_team, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")

DATA = Path(__file__).parent / "data"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)


def import_file(name: str, file_format: str = "frontline", **kw):
    return operations.import_ticket_file(
        (DATA / name).read_bytes(),
        filename=name,
        file_format=file_format,
        by=kw.pop("by", "test"),
        via="cli",
        tz=UTC,
        now=NOW,
        **kw,
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def reps():
    team = make_team("Phone & Email")
    return {
        "julia": make_user(
            Role.REP,
            email="julia.kowalska@example.com",
            name="Julia Kowalska",
            team=team,
        ),
        "kofi": make_user(
            Role.REP, email="kofi.asante@example.com", name="Kofi Asante", team=team
        ),
    }


def test_a_good_file_is_imported_recorded_and_audited(reps) -> None:
    outcome = import_file("frontline_tickets.csv")
    assert outcome.status == "imported"
    assert (outcome.rows, outcome.inserted, outcome.updated, outcome.unchanged) == (
        5,
        5,
        0,
        0,
    )
    assert outcome.unassigned == 1
    assert outcome.unknown_agents == []
    assert count(Ticket) == 5
    record = outcome.record
    assert record.status is ImportStatus.IMPORTED
    assert record.sha256 == operations.importing.sha256(
        (DATA / "frontline_tickets.csv").read_bytes()
    )
    assert (record.inserted, record.unassigned, record.actor_label, record.via) == (
        5,
        1,
        "test",
        "cli",
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tickets.import")
    )
    assert event.subject_id == str(record.id)
    assert event.data["inserted"] == 5
    # agents named by a rep's login e-mail are linked to the rep
    agents = {a.key: a for a in db.session.scalars(select(TicketAgent))}
    assert agents["julia.kowalska@example.com"].rep_id == reps["julia"].id
    assert agents["julia.kowalska@example.com"].match is AgentMatch.EMAIL


def test_tickets_written_in_bulk_read_back_as_aware_utc_through_the_orm(reps) -> None:
    import_file("frontline_tickets.csv")
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "PE-2"))
    assert ticket.created_at == dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert ticket.solved_at == dt.datetime(2024, 3, 1, 8, 20, tzinfo=dt.UTC)
    assert ticket.channel == "phone"
    assert ticket.satisfied is False
    assert ticket.nps == 6
    assert ticket.reopens == 1
    assert ticket.agent.rep_id == reps["julia"].id
    # ORM-bound datetimes compare with bulk-written ones (same stored format)
    march = db.session.scalar(
        select(func.count()).where(
            Ticket.solved_at >= dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
            Ticket.solved_at < dt.datetime(2024, 3, 1, 8, 20, tzinfo=dt.UTC),
        )
    )
    assert march == 0


@pytest.mark.parametrize("share", [0, 1000], ids=["looked-up", "whole-index"])
def test_importing_the_same_file_again_changes_nothing(
    reps, monkeypatch, share
) -> None:
    monkeypatch.setattr(queries, "WHOLE_INDEX_SHARE", share)
    monkeypatch.setattr(queries, "IN_BATCH", 2)
    monkeypatch.setattr(queries, "ARRAY_BATCH", 2)
    import_file("frontline_tickets.csv")
    first_ids = set(db.session.scalars(select(Ticket.id)))
    again = import_file("frontline_tickets.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert set(db.session.scalars(select(Ticket.id))) == first_ids
    assert count(TicketImport) == 2


@pytest.mark.parametrize("share", [0, 1000], ids=["looked-up", "whole-index"])
def test_a_changed_ticket_is_updated_in_place(reps, monkeypatch, share) -> None:
    """Found either way: a file small next to what its source has stored looks its
    tickets up, in batches; a large one reads the source's whole key index."""
    monkeypatch.setattr(queries, "WHOLE_INDEX_SHARE", share)
    monkeypatch.setattr(queries, "IN_BATCH", 2)
    monkeypatch.setattr(queries, "ARRAY_BATCH", 2)
    first = import_file("frontline_tickets.csv")
    text = (DATA / "frontline_tickets.csv").read_text()
    changed = text.replace(
        "PE-3,web,,low,2024-03-03 12:00:00,,2024-03-05 12:00:00,,,,,",
        "PE-3,web,kofi.asante@example.com,low,2024-03-03 12:00:00,,2024-03-05 12:00:00,,bad,,,",
    )
    assert changed != text
    outcome = operations.import_ticket_file(
        changed.encode(),
        filename="again.csv",
        file_format="frontline",
        by="test",
        via="cli",
        tz=UTC,
        now=NOW,
    )
    assert (outcome.inserted, outcome.updated, outcome.unchanged) == (0, 1, 4)
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "PE-3"))
    db.session.refresh(ticket)
    assert ticket.satisfied is False
    assert ticket.agent.rep_id == reps["kofi"].id
    assert ticket.import_id == outcome.record.id
    untouched = db.session.scalar(select(Ticket).where(Ticket.external_id == "PE-1"))
    assert untouched.import_id == first.record.id


def test_a_rejected_file_writes_no_ticket_and_no_agent_but_is_recorded(reps) -> None:
    import_file("frontline_tickets.csv")
    before = (count(Ticket), count(TicketAgent))
    outcome = import_file("frontline_bad_rows.csv")
    assert outcome.rejected
    assert outcome.report.total == 9
    assert (count(Ticket), count(TicketAgent)) == before
    record = outcome.record
    assert record.status is ImportStatus.REJECTED
    assert record.error_count == 9
    assert {e["row"] for e in record.errors} == {4, 5, 6, 7, 8, 9}
    assert record.report.total == 9
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "tickets.import_rejected")
        )
        == 1
    )


def test_a_dry_run_counts_and_writes_nothing(reps) -> None:
    import_file("frontline_tickets.csv")
    before = (count(Ticket), count(TicketAgent), count(TicketImport))
    text = (DATA / "frontline_tickets.csv").read_text() + (
        "PE-6,chat,new.person@example.com,normal,2024-03-20T10:00:00Z,,,0,,,,\n"
    )
    outcome = operations.import_ticket_file(
        text.encode(),
        filename="more.csv",
        file_format="frontline",
        by="test",
        via="cli",
        tz=UTC,
        now=NOW,
        dry_run=True,
    )
    assert outcome.dry_run
    assert (outcome.inserted, outcome.updated, outcome.unchanged) == (1, 0, 5)
    assert outcome.unknown_agents == ["new.person@example.com"]
    assert outcome.record is None
    assert (count(Ticket), count(TicketAgent), count(TicketImport)) == before


def test_a_dry_run_of_a_bad_file_reports_without_recording() -> None:
    outcome = import_file("frontline_bad_rows.csv", dry_run=True)
    assert outcome.rejected
    assert outcome.record is None
    assert count(TicketImport) == 0


def test_zendesk_names_are_unknown_until_mapped_and_mapping_applies_to_past_tickets() -> (
    None
):
    team = make_team("Chat")
    amara = make_user(
        Role.REP, email="amara.nwosu@example.com", name="Amara Nwosu", team=team
    )
    admin = make_user(Role.ADMIN)
    outcome = import_file("zendesk_export.csv", "zendesk")
    assert outcome.unknown_agents == [
        "Amara Nwosu",
        "Ben Fischer",
        "Sam Taylor (contractor)",
    ]
    scope = queries.Scope(None, None, organisation=True)
    before = month_cache.figures_for("2024-03", scope)
    assert before.reps.loc[amara.id, "tickets_solved"] == 0
    agent = db.session.scalar(
        select(TicketAgent).where(TicketAgent.key == "amara nwosu")
    )
    agent_operations.map_agent(agent, rep=amara, by=admin)
    after = month_cache.figures_for("2024-03", scope)
    # 1001 and 1004 were solved in March (both assigned to "Amara Nwosu" in two spellings)
    assert after.reps.loc[amara.id, "tickets_solved"] == 2
    assert after.unattributed == before.unattributed - 2
    assert agent_queries.count_unknown_agents() == 2
    # a later import of the same agent goes straight to the rep
    again = import_file("zendesk_export.csv", "zendesk")
    assert "Amara Nwosu" not in again.unknown_agents
    agent_operations.unmap_agent(agent, by=admin)
    assert agent.rep_id is None
    assert agent.match is None
    assert (
        month_cache.figures_for("2024-03", scope).reps.loc[amara.id, "tickets_solved"]
        == 0
    )


def test_an_agent_can_be_marked_as_not_a_rep() -> None:
    admin = make_user(Role.ADMIN)
    import_file("zendesk_export.csv", "zendesk")
    bot = db.session.scalar(select(TicketAgent).where(TicketAgent.key == "ben fischer"))
    agent_operations.map_agent(bot, rep=None, by=admin, not_a_rep=True)
    assert bot.match is AgentMatch.NOT_A_REP
    assert "Ben Fischer" not in [
        r.agent.label for r in agent_queries.list_agents(unknown=True)
    ]
    assert "Ben Fischer" in [
        r.agent.label for r in agent_queries.list_agents(unknown=False)
    ]
    with pytest.raises(InvalidInput):
        agent_operations.map_agent(bot, rep=None, by=admin)


def test_someone_who_becomes_a_rep_is_credited_with_tickets_already_under_their_email() -> (
    None
):
    import_file("frontline_tickets.csv")
    agent = db.session.scalar(
        select(TicketAgent).where(TicketAgent.key == "kofi.asante@example.com")
    )
    assert agent.is_unknown
    kofi = accounts.create_user(
        accounts.UserInput(
            "Kofi.Asante@example.com", "Kofi Asante", frozenset({Role.REP})
        ),
        by="test",
    )
    assert agent.rep_id == kofi.id
    assert agent.match is AgentMatch.EMAIL


def test_a_mapped_export_imports_through_its_mapping() -> None:
    outcome = import_file(
        "helpscout_export.csv",
        "mapped",
        mapping_text=(DATA / "helpscout_mapping.yaml").read_text(),
    )
    assert (outcome.source, outcome.inserted) == ("helpscout-us", 4)
    assert set(db.session.scalars(select(Ticket.source))) == {"helpscout-us"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [(None, "Give the column mapping"), ("source: x\n", "Mapping file: columns")],
)
def test_a_missing_or_bad_mapping_is_refused_before_reading(mapping, message) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_file("helpscout_export.csv", "mapped", mapping_text=mapping)
    assert message in " ".join(caught.value.errors["mapping"])
    assert count(TicketImport) == 0


def test_api_records_update_tickets_first_imported_from_a_file() -> None:
    import_file("zendesk_export.csv", "zendesk")
    outcome = operations.import_ticket_records(
        [
            {
                "ticket_id": "1002",
                "channel": "social",
                "agent_email": "Ben Fischer",
                "priority": "high",
                "created_at": "2024-03-05T21:10:00Z",
                "solved_at": "2024-03-06T08:00:00Z",
                "reopens": 0,
            }
        ],
        source="zendesk",
        by="api:sync",
        tz=UTC,
        now=NOW,
    )
    assert (outcome.inserted, outcome.updated) == (0, 1)
    assert outcome.record.file_format == "api"
    assert outcome.record.sha256 == operations.importing.sha256(
        json.dumps(
            [
                {
                    "ticket_id": "1002",
                    "channel": "social",
                    "agent_email": "Ben Fischer",
                    "priority": "high",
                    "created_at": "2024-03-05T21:10:00Z",
                    "solved_at": "2024-03-06T08:00:00Z",
                    "reopens": 0,
                }
            ],
            sort_keys=True,
        ).encode()
    )
    solved = db.session.scalar(
        select(Ticket.solved_at).where(Ticket.external_id == "1002")
    )
    assert solved == dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.UTC)


def test_an_api_source_name_must_be_a_simple_word() -> None:
    with pytest.raises(InvalidInput):
        operations.import_ticket_records([{}], source="Zendesk EU!", by="t", tz=UTC)


def test_a_large_load_rebuilds_the_indexes_and_keeps_them(reps, monkeypatch) -> None:
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        threads = connection.exec_driver_sql("PRAGMA threads").scalar()
    import_file("frontline_tickets.csv")
    if sqlite:  # the build's helper threads are allowed for the build only
        assert db.session.connection().exec_driver_sql("PRAGMA threads").scalar() == (
            threads
        )
    inspector = sa.inspect(db.session.connection())
    names = {i["name"] for i in inspector.get_indexes("tickets")}
    assert {
        "uq_tickets_source_external_id",
        "ix_tickets_solved_at",
        "ix_tickets_agent_id_solved_at",
    } <= names
    keys = {fk["referred_table"] for fk in inspector.get_foreign_keys("tickets")}
    assert keys == {"ticket_agents", "ticket_imports"}
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "PE-1"))
    duplicate = {
        c.key: getattr(ticket, c.key) for c in Ticket.__table__.columns if c.key != "id"
    }
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(Ticket), [duplicate])


def test_sla_targets_are_saved_audited_and_checked() -> None:
    admin = make_user(Role.ADMIN)
    targets = queries.get_sla_targets()
    targets[("email", "urgent")] = SlaTarget(45, 6)
    assert operations.save_sla_targets(targets, by=admin) == 1
    assert queries.get_sla_targets()[("email", "urgent")] == SlaTarget(45, 6)
    assert count(SlaTargetSetting) == 1
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tickets.sla_targets")
    )
    assert event.data["after"] == {"email/urgent": "45 min / 6 h"}
    assert operations.save_sla_targets(targets, by=admin) == 0
    targets[("chat", "low")] = SlaTarget(0, 2)
    with pytest.raises(InvalidInput):
        operations.save_sla_targets(targets, by=admin)


def test_opening_hours_switch_metrics_to_the_business_clock() -> None:
    admin = make_user(Role.ADMIN)
    assert queries.get_clock() is Clock.CALENDAR
    operations.save_opening_hours(
        {d: (9 * 60, 17 * 60) for d in range(5)},
        {dt.date(2024, 12, 25): "Christmas Day"},
        by=admin,
    )
    hours = queries.get_opening_hours()
    assert hours.days[0] == (540, 1020)
    assert hours.days[5] is None
    assert dt.date(2024, 12, 25) in hours.holidays
    assert queries.get_clock() is Clock.BUSINESS
    operations.save_opening_hours({}, {}, by=admin)
    assert queries.get_opening_hours() is None
    with pytest.raises(InvalidInput):
        operations.save_opening_hours({0: (600, 500)}, {}, by=admin)


# --- warnings that save a month ------------------------------------------------------------


def test_an_import_warns_of_tickets_without_a_solve_time_or_an_agent_and_new_agents(
    reps,
) -> None:
    dry = import_file("frontline_tickets.csv", dry_run=True)
    outcome = import_file("frontline_tickets.csv")
    expected = [
        "1 ticket has no solve time: it counts in no month's figures until an import "
        "gives it one.",
        "1 ticket has no agent: it counts for the group and the organisation, not for "
        "any rep.",
        "2 agents appear for the first time: Julia.Kowalska@example.com, "
        "kofi.asante@example.com. All were linked to reps by e-mail.",
    ]
    assert dry.warnings == expected
    assert outcome.warnings == expected
    assert (outcome.unsolved, outcome.unassigned) == (1, 1)
    assert outcome.record.notes[:3] == expected
    assert outcome.as_dict()["warnings"] == expected
    assert outcome.as_dict()["new_agents"] == [
        "Julia.Kowalska@example.com",
        "kofi.asante@example.com",
    ]


def test_the_same_file_imported_again_is_named_and_its_agents_are_not_new(
    reps,
) -> None:
    first = import_file("frontline_tickets.csv")
    again = import_file("frontline_tickets.csv", dry_run=True)
    on = f"{first.record.created_at:%d %b %Y}".lstrip("0")
    assert again.warnings[0] == (
        f"This same file was imported before (import {first.record.id}, {on}): "
        "importing it again changes only what was changed here since."
    )
    assert again.new_agents == []
    assert not any("first time" in w for w in again.warnings)


def test_a_rejected_file_is_not_an_earlier_import_of_the_same_file() -> None:
    assert import_file("frontline_bad_rows.csv").rejected
    again = import_file("frontline_bad_rows.csv", dry_run=True)
    assert again.rejected
    assert again.warnings == []


def test_new_agents_that_match_no_rep_are_named_with_the_way_to_link_them() -> None:
    outcome = import_file("zendesk_export.csv", "zendesk")
    warning = next(w for w in outcome.warnings if "first time" in w)
    assert warning == (
        "3 agents appear for the first time: Amara Nwosu, Ben Fischer, Sam Taylor "
        "(contractor). 3 of them are not linked to a rep yet: link them on "
        "Incentives > Agents, or their tickets count for no rep."
    )
