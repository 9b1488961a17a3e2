"""``tickets import`` and ``scores compute`` from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from incentives.tickets.models import Ticket, TicketImport
from tests.factories import make_team, make_user

DATA = Path(__file__).parent / "data"


@pytest.fixture
def reps(seed):
    with seed():
        team = make_team("Phone")
        make_user(
            Role.REP,
            email="julia.kowalska@example.com",
            name="Julia Kowalska",
            team=team,
        )
        make_user(
            Role.REP, email="kofi.asante@example.com", name="Kofi Asante", team=team
        )
        make_user(Role.REP, email="idle@example.com", name="Idle Rep", team=team)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_import_then_import_again(app, runner, reps) -> None:
    path = str(DATA / "frontline_tickets.csv")
    result = runner.invoke(args=["tickets", "import", path, "--source", "frontline"])
    assert result.exit_code == 0, result.output
    assert (
        "Imported frontline_tickets.csv as frontline: 5 rows — 5 new, 0 updated, 0 unchanged."
        in result.output
    )
    assert (
        "Warning: 1 ticket has no agent: it counts for the group and the "
        "organisation, not for any rep." in result.output
    )
    assert "Warning: 1 ticket has no solve time" in result.output
    again = runner.invoke(args=["tickets", "import", path, "--source", "frontline"])
    assert "0 new, 0 updated, 5 unchanged" in again.output
    assert count(app, Ticket) == 5


def test_a_rejected_file_exits_non_zero_with_the_report(app, runner) -> None:
    result = runner.invoke(
        args=[
            "tickets",
            "import",
            str(DATA / "frontline_bad_rows.csv"),
            "--source",
            "frontline",
        ]
    )
    assert result.exit_code == 1
    assert "9 problems found; nothing was imported." in result.output
    assert "row 8, ticket_id: 'B-1' ticket id already on row 2" in result.output
    assert count(app, Ticket) == 0
    assert count(app, TicketImport) == 1  # the rejection is recorded


def test_a_dry_run_writes_nothing(app, runner) -> None:
    result = runner.invoke(
        args=[
            "tickets",
            "import",
            str(DATA / "zendesk_export.csv"),
            "--source",
            "zendesk",
            "--dry-run",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Dry run, nothing written: would import zendesk_export.csv as zendesk: 5 rows"
        in result.output
    )
    assert (
        "3 agents are not linked to a rep: Amara Nwosu, Ben Fischer, Sam Taylor (contractor)"
        in result.output
    )
    assert count(app, Ticket) == 0
    assert count(app, TicketImport) == 0


def test_mapped_files_need_a_mapping_and_only_they_take_one(runner) -> None:
    export = str(DATA / "helpscout_export.csv")
    mapping = str(DATA / "helpscout_mapping.yaml")
    missing = runner.invoke(args=["tickets", "import", export, "--source", "mapped"])
    assert missing.exit_code == 1
    assert "Give the column mapping file" in missing.output
    wrong = runner.invoke(
        args=["tickets", "import", export, "--source", "zendesk", "--mapping", mapping]
    )
    assert wrong.exit_code == 2
    ok = runner.invoke(
        args=["tickets", "import", export, "--source", "mapped", "--mapping", mapping]
    )
    assert ok.exit_code == 0, ok.output
    assert "as helpscout-us: 4 rows — 4 new" in ok.output


def test_unknown_source_and_missing_file_are_usage_errors(runner, tmp_path) -> None:
    assert (
        runner.invoke(
            args=[
                "tickets",
                "import",
                str(tmp_path / "nope.csv"),
                "--source",
                "zendesk",
            ]
        ).exit_code
        == 2
    )
    path = str(DATA / "frontline_tickets.csv")
    assert (
        runner.invoke(args=["tickets", "import", path, "--source", "kayako"]).exit_code
        == 2
    )


def test_scores_compute_prints_one_csv_row_per_rep(runner, reps) -> None:
    runner.invoke(
        args=[
            "tickets",
            "import",
            str(DATA / "frontline_tickets.csv"),
            "--source",
            "frontline",
        ]
    )
    result = runner.invoke(
        args=["scores", "compute", "--month", "2024-03", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["rep_email"] for r in rows] == [
        "idle@example.com",
        "julia.kowalska@example.com",
        "kofi.asante@example.com",
    ]
    julia = rows[1]
    assert julia["tickets_solved"] == "2"
    # first replies 90 and 1 minutes; resolutions 24 h and 20 min
    assert julia["first_response_median_min"] == "45.5"
    assert julia["resolution_median_h"] == "12.17"
    assert julia["csat_raw"] == "0.5"
    assert julia["rated"] == "2"
    assert julia["nps"] == "0.0"  # a 10 and a 6
    assert julia["reopen_rate"] == "0.5"
    assert julia["timely_rate"] == "1.0"
    assert rows[0]["tickets_solved"] == "0"
    assert rows[0]["csat_raw"] == ""
    assert set(rows[0]) >= {
        "rep_email",
        "tickets_solved",
        "first_response_median_min",
        "resolution_median_h",
        "timely_rate",
        "csat_raw",
        "rated",
        "nps",
        "reopen_rate",
    }


def test_scores_compute_as_a_table_and_a_bad_month(runner, reps) -> None:
    table = runner.invoke(args=["scores", "compute", "--month", "2024-03"])
    assert table.exit_code == 0
    # No ticket solved: no duration was measured, so no clock is named.
    assert "3 reps; 2024-03 in UTC.\n" in table.output
    bad = runner.invoke(args=["scores", "compute", "--month", "03/2024"])
    assert bad.exit_code == 2
    assert "not a month written as YYYY-MM" in bad.output


def test_times_without_a_zone_are_read_in_the_zone_given_for_the_file(
    app, runner, tmp_path
) -> None:
    path = tmp_path / "naive.csv"
    path.write_text(
        "ticket_id,channel,created_at,solved_at\n"
        "N-1,email,2024-03-31 23:30:00,2024-04-01 00:30:00\n",
        encoding="utf-8",
    )
    own = runner.invoke(args=["tickets", "import", str(path), "--source", "frontline"])
    assert own.exit_code == 0, own.output
    assert "Times without a time zone" not in own.output  # the organisation's zone
    given = runner.invoke(
        args=[
            "tickets",
            "import",
            str(path),
            "--source",
            "frontline",
            "--timezone",
            "America/New_York",
        ]
    )
    assert given.exit_code == 0, given.output
    assert (
        "Times without a time zone were read as America/New_York (given for this file)."
        in given.output
    )
    with app.app_context():
        solved = db.session.scalar(select(Ticket.solved_at))
    # 00:30 in New York on 1 April is 04:30 UTC.
    assert (solved.month, solved.day, solved.hour, solved.minute) == (4, 1, 4, 30)
    bad = runner.invoke(
        args=[
            "tickets",
            "import",
            str(path),
            "--source",
            "frontline",
            "--timezone",
            "Mars/Base",
        ]
    )
    assert bad.exit_code == 2
    assert "'Mars/Base' is not a time zone" in bad.output
