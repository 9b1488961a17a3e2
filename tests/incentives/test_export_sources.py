"""Each helpdesk's shipped example export imports under its own source name, with no
mapping, all at once and only once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.db import db
from incentives.tickets import operations
from incentives.tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("app_ctx")

EXPORTS = Path(__file__).parent / "data" / "exports"
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)

#: example file -> (its source, tickets in it, of them without an agent, not solved)
EXAMPLES = {
    "zendesk": ("zendesk", 12, 12, 2),
    "servicenow": ("servicenow", 12, 3, 3),
    "servicenow_event_log": ("servicenow", 4, 1, 1),
    "salesforce": ("salesforce", 12, 0, 3),
    "intercom": ("intercom", 12, 2, 2),
    "freshdesk": ("freshdesk", 12, 1, 2),
    "helpscout": ("helpscout", 24, 4, 5),
    "gorgias": ("gorgias", 24, 4, 4),
}


def import_example(name: str, source: str, tz: str = "UTC", **kw):
    return operations.import_ticket_file(
        (EXPORTS / f"{name}.csv").read_bytes(),
        filename=f"{name}.csv",
        file_format=source,
        by="test",
        via="cli",
        tz=ZoneInfo(tz),
        now=NOW,
        **kw,
    )


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_export_imports_under_its_own_source_once(name) -> None:
    source, tickets, unassigned, unsolved = EXAMPLES[name]
    first = import_example(name, source)
    assert not first.rejected, first.report
    assert (first.source, first.inserted) == (source, tickets)
    assert (first.unassigned, first.unsolved) == (unassigned, unsolved)
    db.session.commit()
    stored = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.source == source)
    )
    assert stored == tickets
    again = import_example(name, source)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, tickets)


def test_an_event_log_imports_each_incident_once_in_its_last_state() -> None:
    outcome = import_example("servicenow_event_log", "servicenow")
    assert outcome.rows == 12
    assert any("event log (12 rows for 4 tickets)" in n for n in outcome.notes)
    db.session.commit()
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "INC0000045"))
    # the update with the highest sys_mod_count, not the last line of the file
    assert ticket.solved_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2024, 2, 29, 11, 29, tzinfo=dt.UTC
    )


def test_a_helpscout_export_keeps_its_ratings_and_utc_times() -> None:
    outcome = import_example("helpscout", "helpscout", tz="Europe/Paris")
    assert not outcome.rejected, outcome.report
    assert any("Great counts as satisfied" in n for n in outcome.notes)
    db.session.commit()
    tickets = {
        t.external_id: t
        for t in db.session.scalars(select(Ticket).where(Ticket.source == "helpscout"))
    }
    first = tickets["2391938101"]
    # written with Z: UTC, not the Paris time given for times without a zone
    assert first.created_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2024, 3, 4, 9, 12, tzinfo=dt.UTC
    )
    assert first.solved_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2024, 3, 4, 15, 40, tzinfo=dt.UTC
    )
    assert (first.channel, first.satisfied, first.group_name) == ("email", 1, "Support")
    assert tickets["2391938115"].satisfied == 0  # Okay
    assert tickets["2391938122"].satisfied is None  # not rated
    assert sorted(t.channel for t in tickets.values()).count("phone") == 4


def test_a_gorgias_export_reads_its_channels_and_scores() -> None:
    outcome = import_example("gorgias", "gorgias")
    assert not outcome.rejected, outcome.report
    db.session.commit()
    tickets = {
        t.external_id: t
        for t in db.session.scalars(select(Ticket).where(Ticket.source == "gorgias"))
    }
    assert len(tickets) == 24
    messenger = tickets["48213007"]
    assert (messenger.channel, messenger.priority, messenger.satisfied) == (
        "chat",
        "high",
        0,
    )
    assert messenger.first_response_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2024, 3, 5, 8, 25, tzinfo=dt.UTC
    )
    assert tickets["48213025"].channel == "review"
    assert tickets["48213016"].priority == "urgent"
    assert sum(t.satisfied == 1 for t in tickets.values()) == 9
    assert sum(t.satisfied is None for t in tickets.values()) == 10
