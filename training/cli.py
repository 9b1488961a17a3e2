"""Training commands: ``scenarios load FILE|DIR`` and ``authorities expiring``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import db, utcnow
from core.words import counted
from training import authority_queries, operations, queries
from training.authority import format_amount
from training.scenarios import ScenarioError

scenarios_cli = AppGroup("scenarios", help="Training scenarios (YAML).")


@scenarios_cli.command("load")
@click.argument("path", type=click.Path(path_type=Path))
def scenarios_load(path: Path) -> None:
    """Load a scenario file, or every .yaml file in a folder.

    All or nothing: if any file has a problem, every problem is listed and nothing is
    loaded. Changed content becomes a new version; attempts keep the version they used.
    """
    try:
        scenarios = operations.read_scenario_files(path)
    except ScenarioError as e:
        click.secho(
            f"Nothing was loaded: {counted(len(e.errors), 'problem')}.",
            fg="red",
            err=True,
        )
        for message in e.errors:
            click.echo(f"  {message}", err=True)
        raise click.ClickException("fix the scenario file(s) and load again") from e
    report = operations.load_scenarios(scenarios, by="cli")
    db.session.commit()
    click.secho(
        f"{len(report.added)} new, {counted(len(report.updated), 'new version')}, "
        f"{len(report.unchanged)} unchanged.",
        fg="green",
    )
    for label, keys in (("new", report.added), ("new version", report.updated)):
        for key in keys:
            click.echo(f"  {label}: {key}")


@scenarios_cli.command("install")
def scenarios_install() -> None:
    """Load the shipped scenarios and the default authority catalogue (idempotent)."""
    report, added = operations.install_shipped_content(by="cli")
    db.session.commit()
    click.secho(
        f"Scenarios: {len(report.added)} new, "
        f"{counted(len(report.updated), 'new version')}, "
        f"{len(report.unchanged)} unchanged. Authorities added: "
        f"{', '.join(added) or 'none'}.",
        fg="green",
    )


@scenarios_cli.command("list")
def scenarios_list() -> None:
    """List the current version of every scenario."""
    for version in queries.list_current_scenarios():
        click.echo(
            f"{version.key:<32} v{version.version:<3} {version.channel:<7} "
            f"pass {version.pass_mark}%  {version.title}"
        )


authorities_cli = AppGroup("authorities", help="The authority register.")


@authorities_cli.command("expiring")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="Show grants expiring within this many days.",
)
def authorities_expiring(days: int) -> None:
    """Grants in force that expire soon, soonest first (for re-certification)."""
    rows = authority_queries.list_expiring_grants(
        utcnow(), within=dt.timedelta(days=days)
    )
    if not rows:
        click.echo(f"No grant expires within {days} days.")
        return
    click.echo(
        f"{counted(len(rows), 'grant')} expire{'s' if len(rows) == 1 else ''} "
        f"within {counted(days, 'day')}:"
    )
    for row in rows:
        grant = row.grant
        click.echo(
            f"  {grant.expires_at:%Y-%m-%d}  {row.days_left:>3} days  "
            f"{grant.rep.email:<32} {grant.authority.code:<24} "
            f"{format_amount(grant.limit, grant.unit)}"
        )


COMMANDS: list[click.Command] = [scenarios_cli, authorities_cli]
