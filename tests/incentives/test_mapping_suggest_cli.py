"""``tickets mapping suggest FILE``: a mapping printed from the header, that imports the
file as it stands."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.db import db
from incentives.tickets.models import Ticket

EXPORTS = Path(__file__).parent / "data" / "exports"


def test_a_suggested_mapping_saved_as_printed_imports_the_file(
    app, runner, tmp_path: Path
) -> None:
    export = EXPORTS / "salesforce.csv"
    suggested = runner.invoke(
        args=["tickets", "mapping", "suggest", str(export), "--source", "crm"]
    )
    assert suggested.exit_code == 0, suggested.output
    assert "source: crm" in suggested.output
    mapping = tmp_path / "crm.yaml"
    mapping.write_text(suggested.output)
    imported = runner.invoke(
        args=[
            "tickets",
            "import",
            str(export),
            "--source",
            "mapped",
            "--mapping",
            str(mapping),
        ]
    )
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        sources = db.session.execute(
            select(Ticket.source, func.count()).group_by(Ticket.source)
        ).all()
    assert sources == [("crm", 12)]


def test_a_built_in_name_or_a_file_without_a_header_is_refused(
    runner, tmp_path: Path
) -> None:
    export = EXPORTS / "zendesk.csv"
    taken = runner.invoke(
        args=["tickets", "mapping", "suggest", str(export), "--source", "zendesk"]
    )
    assert taken.exit_code == 2
    assert "not a built-in source" in taken.output
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n\n")
    refused = runner.invoke(args=["tickets", "mapping", "suggest", str(blank)])
    assert refused.exit_code == 1
    assert "blank.csv: the file's first line is blank: it needs a header row" in (
        refused.output
    )
