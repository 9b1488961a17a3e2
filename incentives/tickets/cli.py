"""Ticket commands: ``tickets import`` and ``agents map``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core import jobs
from core.db import db
from core.errors import Conflict, ImportRejected, InvalidInput
from incentives.tickets import operations, queries
from incentives.tickets.operations import ImportOutcome
from incentives.tickets.sources import Source

tickets_cli = AppGroup("tickets", help="Import tickets from helpdesk exports.")


@tickets_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    "file_format",
    required=True,
    type=click.Choice([s.value for s in Source]),
    help="The export's format; 'mapped' reads any tool through --mapping.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML column mapping (with --source mapped).",
)
@click.option("--dry-run", is_flag=True, help="Check and count only; write nothing.")
def tickets_import(
    file: Path, file_format: str, mapping: Path | None, dry_run: bool
) -> None:
    """Import FILE. A file with any bad row is rejected whole, with a report."""
    jobs.command_yields_to_requests()
    if mapping is not None and file_format != Source.MAPPED:
        raise click.BadParameter(
            "only used with --source mapped", param_hint="--mapping"
        )
    try:
        outcome = operations.import_ticket_file(
            file.read_bytes(),
            filename=file.name,
            file_format=file_format,
            mapping_text=mapping.read_text(encoding="utf-8-sig", errors="replace")
            if mapping
            else None,
            by="cli",
            via="cli",
            tz=queries.org_timezone(),
            dry_run=dry_run,
        )
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    if outcome.dry_run or dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    _report(outcome)
    if outcome.warm_up is not None and jobs.backend() == "thread":
        # A job in a thread of this command would stop when it exits: see it through.
        click.echo("Computing the month metrics of the months imported...")
        jobs.wait(outcome.warm_up.id)
    if outcome.rejected:
        raise click.ClickException(f"{file.name} was rejected; nothing was imported.")


def _report(outcome: ImportOutcome) -> None:
    for note in outcome.notes:
        click.echo(f"Note: {note}")
    if outcome.rejected:
        report = outcome.report
        assert report is not None  # noqa: S101 (a rejected outcome always has one)
        click.secho(
            f"{outcome.filename}: {report.total} problem(s) found; nothing was imported.",
            fg="red",
            err=True,
        )
        for error in report.shown:
            click.echo(f"  {error}", err=True)
        if report.more:
            click.echo(f"  ...and {report.more} more.", err=True)
        return
    verb = "Dry run, nothing written: would import" if outcome.dry_run else "Imported"
    click.secho(
        f"{verb} {outcome.filename} as {outcome.source}: {outcome.rows} rows — "
        f"{outcome.inserted} new, {outcome.updated} updated, {outcome.unchanged} unchanged.",
        fg="yellow" if outcome.dry_run else "green",
    )
    if outcome.unassigned:
        click.echo(f"  {outcome.unassigned} ticket(s) have no assignee.")
    if outcome.unknown_agents:
        shown = ", ".join(outcome.unknown_agents[:10])
        more = len(outcome.unknown_agents) - 10
        click.echo(
            f"  {len(outcome.unknown_agents)} agent(s) are not linked to a rep: {shown}"
            + (f" and {more} more" if more > 0 else "")
            + ". Map them on Incentives > Agents."
        )


agents_cli = AppGroup("agents", help="Link helpdesk agents to reps.")


@agents_cli.command("map")
@click.option(
    "--file",
    "file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with columns agent and rep_email (a rep's login e-mail or 'not a rep').",
)
@click.option("--dry-run", is_flag=True, help="Check and count only; change nothing.")
def agents_map(file: Path, dry_run: bool) -> None:
    """Link the agents listed in a CSV file to their reps, as the Agents page's upload
    does. A file with any bad row changes nothing; the same file twice changes nothing
    the second time."""
    try:
        outcome = operations.map_agents_from_file(
            file.read_bytes(), filename=file.name, by="cli", dry_run=dry_run
        )
    except ImportRejected as e:
        db.session.rollback()
        for error in e.row_errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(e.message) from e
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    agents = f"{outcome.rows} agent{'s' if outcome.rows != 1 else ''}"
    if dry_run:
        click.secho(
            f"Dry run, nothing changed: {file.name} lists {agents}; "
            f"{outcome.changed} would be mapped, {outcome.unchanged} already are.",
            fg="yellow",
        )
    else:
        click.secho(
            f"{file.name}: {agents} — {outcome.changed} mapped, "
            f"{outcome.unchanged} already as the file says.",
            fg="green",
        )


COMMANDS: list[click.Command] = [tickets_cli, agents_cli]
