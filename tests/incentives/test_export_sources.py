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

#: source -> (tickets in its example, of them without an agent, of them not solved)
EXAMPLES = {
    "zendesk": (12, 12, 2),
}


def import_example(source: str, **kw):
    return operations.import_ticket_file(
        (EXPORTS / f"{source}.csv").read_bytes(),
        filename=f"{source}.csv",
        file_format=source,
        by="test",
        via="cli",
        tz=ZoneInfo("UTC"),
        now=NOW,
        **kw,
    )


@pytest.mark.parametrize("source", sorted(EXAMPLES))
def test_each_example_export_imports_under_its_own_source_once(source) -> None:
    tickets, unassigned, unsolved = EXAMPLES[source]
    first = import_example(source)
    assert not first.rejected, first.report
    assert (first.source, first.inserted) == (source, tickets)
    assert (first.unassigned, first.unsolved) == (unassigned, unsolved)
    db.session.commit()
    stored = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.source == source)
    )
    assert stored == tickets
    again = import_example(source)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, tickets)
