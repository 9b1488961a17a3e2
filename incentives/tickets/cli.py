"""Ticket commands: ``tickets import`` and ``tickets sync``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from core import jobs
from core.db import db
from core.errors import Conflict, InvalidInput
from incentives.tickets import helpdesk_api, operations, queries, sync
from incentives.tickets.operations import ImportOutcome
from incentives.tickets.sources import Source

tickets_cli = AppGroup(
    "tickets", help="Import tickets from helpdesk exports or sync them from their APIs."
)


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


@tickets_cli.command("sync")
@click.option(
    "--source", required=True, type=click.Choice(sync.SOURCES), help="The helpdesk."
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    metavar="DATE",
    help="Fetch tickets changed since then (the organisation's time zone) instead of "
    "where the last sync stopped; needed the first time.",
)
@click.option("--dry-run", is_flag=True, help="Fetch, check and count; write nothing.")
@click.option(
    "--max-wait",
    type=click.FloatRange(0, 86400),
    default=helpdesk_api.MAX_WAIT_SECONDS,
    show_default=True,
    help="Seconds the sync may spend in all waiting out the helpdesk's rate limits.",
)
def tickets_sync(
    source: str, since: dt.datetime | None, dry_run: bool, max_wait: float
) -> None:
    """Import the tickets changed in Zendesk or Freshdesk since the last sync.

    Credentials come from the environment (ZENDESK_SUBDOMAIN, ZENDESK_EMAIL,
    ZENDESK_API_TOKEN; FRESHDESK_DOMAIN, FRESHDESK_API_KEY). The tickets are checked and
    imported as that helpdesk's export: any bad ticket rejects the run whole.
    """
    jobs.command_yields_to_requests()
    tz = queries.org_timezone()
    start = since.replace(tzinfo=tz) if since is not None else None
    if start is not None and start > dt.datetime.now(dt.UTC):
        raise click.BadParameter("must be in the past", param_hint="--since")
    try:
        connection = helpdesk_api.connection_from_env(source, os.environ)
        outcome = sync.sync_tickets(
            connection, since=start, by="cli", tz=tz, dry_run=dry_run, max_wait=max_wait
        )
    except helpdesk_api.SyncError as e:
        raise click.ClickException(e.message) from e
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    imported = outcome.imported
    if dry_run or (imported is not None and imported.dry_run):
        db.session.rollback()
    else:
        db.session.commit()
    tickets = "ticket" if outcome.fetched == 1 else "tickets"
    pages = "page" if outcome.pages == 1 else "pages"
    waited = (
        f", after waiting {outcome.waited_s:g} s for its rate limit"
        if outcome.waited_s
        else ""
    )
    click.echo(
        f"{outcome.vendor}: {outcome.fetched} {tickets} changed since "
        f"{outcome.started_from} ({outcome.pages} {pages}{waited})."
    )
    for reason, count in sorted(outcome.left_out.items()):
        click.echo(f"  {count} left out: {reason}.")
    if imported is None:
        click.echo("Nothing to import.")
    else:
        _report(imported)
        if imported.warm_up is not None and jobs.backend() == "thread":
            click.echo("Computing the month metrics of the months imported...")
            jobs.wait(imported.warm_up.id)
    if outcome.rejected:
        raise click.ClickException(
            f"The {outcome.vendor} sync was rejected; nothing was imported and the "
            "next sync starts from the same place."
        )
    if dry_run:
        click.echo(
            "Dry run: nothing was written; the next sync starts from the same place."
        )
    elif outcome.cursor_moved:
        click.echo("The next sync starts where this one ended.")


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


COMMANDS: list[click.Command] = [tickets_cli]
