"""``metrics show``: a month's figures from the command line, read from the one truth
(``month_cache.month_figures``) at each level, as a table or CSV; closed months as closed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.access import Role
from incentives import month_cache
from incentives.tickets import queries
from tests.factories import make_team, make_user
from tests.helpers import text

DATA = Path(__file__).parent / "data"
MONTH = "2024-03"
PLAN = """
name: Desk plan
currency: USD
target_bonus: 100
csat_prior_strength: 10
metrics:
  timely_rate: {weight: 100, threshold: 50, target: 90}
payout:
  tiers: [{score: 50, percent: 100}]
"""


@pytest.fixture
def imported(seed, runner):
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
        admin = make_user(Role.ADMIN, name="Ada Admin")
    result = runner.invoke(
        args=[
            "tickets",
            "import",
            str(DATA / "frontline_tickets.csv"),
            "--source",
            "frontline",
        ]
    )
    assert result.exit_code == 0, result.output
    return {"admin": admin}


def show(runner, *args: str) -> tuple[int, str]:
    result = runner.invoke(args=["metrics", "show", "--month", MONTH, *args])
    return result.exit_code, result.output


def csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_by_rep_the_csv_is_the_metrics_pages_csv(
    imported, runner, client, login_as
) -> None:
    code, output = show(runner, "--by", "rep", "--format", "csv")
    assert code == 0, output
    page_csv = text(
        login_as(imported["admin"]).get(f"/incentives/metrics.csv?month={MONTH}")
    )
    assert csv_rows(output) == csv_rows(page_csv.removeprefix("\ufeff"))
    julia = next(
        r for r in csv_rows(output) if r["rep_email"] == "julia.kowalska@example.com"
    )
    assert julia["tickets_solved"] == "2"
    assert julia["first_response_clock"] == "calendar"
    assert julia["closed"] == ""


@pytest.mark.parametrize(
    ("by", "name_column", "frame", "index_name"),
    [
        ("team", "team", "teams", "team_name"),
        ("group", "group", "groups", "group_name"),
    ],
)
def test_teams_and_groups_read_the_month_figures(
    imported, runner, app, by, name_column, frame, index_name
) -> None:
    code, output = show(runner, "--by", by, "--format", "csv")
    assert code == 0, output
    rows = {r[name_column]: r for r in csv_rows(output)}
    with app.app_context():
        figures = month_cache.month_figures(MONTH)
        expected = queries.metric_records(getattr(figures, frame))
    assert len(rows) == len(expected)
    assert len(rows) == (4 if by == "group" else 1)  # three desks and "(no group)"
    for record in expected:
        row = rows[record[index_name]]
        assert int(row["tickets_solved"]) == record["tickets_solved"]
        assert row["resolution_clock"] == (record["resolution_clock"] or "")
        median = record["first_response_median_min"]
        assert row["first_response_median_min"] == (
            "" if median is None else str(round(median, 1))
        )


def test_the_organisation_row_counts_every_ticket_and_the_unattributed(
    imported, runner, app
) -> None:
    code, output = show(runner, "--format", "csv")
    assert code == 0, output
    (row,) = csv_rows(output)
    with app.app_context():
        figures = month_cache.month_figures(MONTH)
    assert row["organisation"] == "Organisation"
    assert int(row["tickets_solved"]) == figures.organisation["tickets_solved"] == 4
    assert int(row["unattributed"]) == figures.unattributed == 1
    assert row["closed"] == ""


def test_the_table_names_the_clocks_and_that_the_month_is_open(
    imported, runner
) -> None:
    code, output = show(runner, "--by", "team")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split()[:3] == [
        "team",
        "tickets_solved",
        "first_response_median_min",
    ]
    assert lines[1].startswith("Phone ")
    assert (
        "1 team; March 2024 in UTC; rates are fractions (0-1). "
        "First reply and resolution in calendar time." in output
    )
    assert "Open: the figures as they stand now." in output


def test_a_closed_month_shows_its_close_not_later_imports(
    imported, runner, tmp_path
) -> None:
    before = csv_rows(show(runner, "--format", "csv")[1])
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    loaded = runner.invoke(args=["plans", "load", str(plan)])
    assert loaded.exit_code == 0, loaded.output
    closed = runner.invoke(
        args=["scores", "close", "--month", MONTH, "--with-open-disputes"]
    )
    assert closed.exit_code == 0, closed.output
    path = tmp_path / "late.csv"
    path.write_text((DATA / "frontline_tickets.csv").read_text().replace("PE-", "L-"))
    late = runner.invoke(args=["tickets", "import", str(path), "--source", "frontline"])
    assert late.exit_code == 0, late.output
    code, output = show(runner, "--format", "csv")
    assert code == 0, output
    (row,) = csv_rows(output)
    assert row["tickets_solved"] == before[0]["tickets_solved"]  # as closed
    assert row["closed"].startswith("Closed on ")
    assert row["closed"].endswith(" by cli")
    table = show(runner)[1]
    assert f"{row['closed']}: the figures kept at close." in table


@pytest.mark.parametrize("month", ["2024-13", "03/2024", "soon"])
def test_a_bad_month_is_a_usage_error(runner, month) -> None:
    result = runner.invoke(args=["metrics", "show", "--month", month])
    assert result.exit_code == 2
    assert "Invalid value for --month" in result.output
    assert "YYYY-MM" in result.output or "no such month" in result.output


def test_a_month_without_tickets_says_which_months_have_them(imported, runner) -> None:
    result = runner.invoke(args=["metrics", "show", "--month", "2023-07"])
    assert result.exit_code == 2
    assert (
        "no ticket was solved in July 2023 (months with tickets: 2024-03 to 2024-03)"
        in result.output
    )


def test_with_no_ticket_at_all_it_says_so(runner) -> None:
    result = runner.invoke(args=["metrics", "show", "--month", MONTH])
    assert result.exit_code == 2
    assert "no ticket has been imported yet" in result.output


def test_a_level_that_does_not_exist_is_refused(runner) -> None:
    result = runner.invoke(
        args=["metrics", "show", "--month", MONTH, "--by", "channel"]
    )
    assert result.exit_code == 2
    assert "'channel' is not one of" in result.output
