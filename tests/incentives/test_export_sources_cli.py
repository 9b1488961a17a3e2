"""``tickets import --source X`` with each helpdesk's shipped example export."""

from __future__ import annotations

from pathlib import Path

import pytest

EXPORTS = Path(__file__).parent / "data" / "exports"


@pytest.mark.parametrize(
    ("name", "source", "rows"),
    [
        ("zendesk", "zendesk", 12),
        ("freshdesk", "freshdesk", 12),
        ("servicenow", "servicenow", 12),
        ("servicenow_event_log", "servicenow", 12),
        ("salesforce", "salesforce", 12),
        ("intercom", "intercom", 12),
        ("helpscout", "helpscout", 24),
        ("gorgias", "gorgias", 24),
    ],
)
def test_each_example_imports_from_the_command_line(runner, name, source, rows) -> None:
    path = str(EXPORTS / f"{name}.csv")
    result = runner.invoke(args=["tickets", "import", path, "--source", source])
    assert result.exit_code == 0, result.output
    assert f"Imported {name}.csv as {source}: {rows} rows" in result.output


def test_the_report_tells_the_zendesk_scale_and_the_event_log(runner) -> None:
    zendesk = runner.invoke(
        args=["tickets", "import", str(EXPORTS / "zendesk.csv"), "--source", "zendesk"]
    )
    assert (
        "Note: Satisfaction Score is read as a 1-5 score: 4 and 5 count as satisfied"
        in zendesk.output
    )
    assert "Note: The file has no assignee column" in zendesk.output
    log = runner.invoke(
        args=[
            "tickets",
            "import",
            str(EXPORTS / "servicenow_event_log.csv"),
            "--source",
            "servicenow",
            "--dry-run",
        ]
    )
    assert "Note: The file is an event log (12 rows for 4 tickets)" in log.output
    assert "4 new, 0 updated, 0 unchanged" in log.output


def test_a_file_given_the_wrong_source_says_which_to_use(runner) -> None:
    result = runner.invoke(
        args=[
            "tickets",
            "import",
            str(EXPORTS / "servicenow.csv"),
            "--source",
            "zendesk",
        ]
    )
    assert result.exit_code == 1
    assert (
        "this looks like a ServiceNow export: choose ServiceNow as the source "
        "(--source servicenow)" in result.output
    )


@pytest.mark.parametrize(
    ("name", "given", "looks_like", "source"),
    [
        ("gorgias", "zendesk", "Gorgias", "gorgias"),
        ("helpscout", "zendesk", "Help Scout", "helpscout"),
    ],
)
def test_a_gorgias_or_helpscout_file_given_as_zendesk_is_told_its_source(
    runner, name, given, looks_like, source
) -> None:
    result = runner.invoke(
        args=["tickets", "import", str(EXPORTS / f"{name}.csv"), "--source", given]
    )
    assert result.exit_code == 1
    assert (
        f"this looks like a {looks_like} export: choose {looks_like} as the source "
        f"(--source {source})" in result.output
    )


def test_the_report_tells_how_helpscout_and_gorgias_ratings_are_read(runner) -> None:
    helpscout = runner.invoke(
        args=[
            "tickets",
            "import",
            str(EXPORTS / "helpscout.csv"),
            "--source",
            "helpscout",
            "--dry-run",
        ]
    )
    assert helpscout.exit_code == 0, helpscout.output
    assert "24 new, 0 updated, 0 unchanged" in helpscout.output
    assert "Note: Happiness ratings: Great counts as satisfied" in helpscout.output
    assert "Note: First Response Time is not read" in helpscout.output
    gorgias = runner.invoke(
        args=[
            "tickets",
            "import",
            str(EXPORTS / "gorgias.csv"),
            "--source",
            "gorgias",
            "--dry-run",
        ]
    )
    assert gorgias.exit_code == 0, gorgias.output
    assert "Note: Satisfaction survey scores: 4 and 5 count as satisfied" in (
        gorgias.output
    )
