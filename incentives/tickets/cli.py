"""Ticket commands: ``tickets import``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core import jobs
from core.db import db
from core.errors import Conflict, InvalidInput
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


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _report(outcome: ImportOutcome) -> None:
    """The same report as the upload page: problems, or counts, warnings and notes."""
    for note in outcome.notes:
        click.echo(f"Note: {note}")
    if outcome.rejected:
        report = outcome.report
        assert report is not None  # noqa: S101 (a rejected outcome always has one)
        click.secho(
            f"{outcome.filename}: {_plural(report.total, 'problem', 'problems')} "
            "found; nothing was imported.",
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
        f"{verb} {outcome.filename} as {outcome.source}: "
        f"{_plural(outcome.rows, 'row', 'rows')} — {outcome.inserted} new, "
        f"{outcome.updated} updated, {outcome.unchanged} unchanged.",
        fg="yellow" if outcome.dry_run else "green",
    )
    for warning in outcome.warnings:
        click.secho(f"Warning: {warning}", fg="yellow")
    if outcome.unknown_agents:
        shown = ", ".join(outcome.unknown_agents[:10])
        more = len(outcome.unknown_agents) - 10
        count = len(outcome.unknown_agents)
        click.echo(
            f"  {_plural(count, 'agent is', 'agents are')} not linked to a rep: {shown}"
            + (f" and {more} more" if more > 0 else "")
            + ". Map them on Incentives > Agents."
        )


COMMANDS: list[click.Command] = [tickets_cli]
