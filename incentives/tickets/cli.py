"""Ticket commands: ``tickets import``, ``tickets mapping suggest``, ``tickets sync``,
``agents map`` and ``metrics show``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask.cli import AppGroup

from core import jobs
from core.db import db
from core.errors import Conflict, ImportRejected, InvalidInput
from core.tabular import csv_text, text_table
from incentives import month_cache
from incentives.tickets import (
    agent_operations,
    helpdesk_api,
    metrics,
    operations,
    queries,
    sync,
)
from incentives.tickets.mapping import SOURCE_NAME_RE
from incentives.tickets.mapping_suggest import SAMPLE_BYTES, SuggestError, suggest
from incentives.tickets.month_metrics import MonthMetrics, sla_note
from incentives.tickets.months import InvalidMonth, Month
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
@click.option(
    "--timezone",
    "zone",
    metavar="ZONE",
    help="The zone of this file's times that carry none (e.g. America/New_York); "
    "the organisation's by default.",
)
def tickets_import(
    file: Path, file_format: str, mapping: Path | None, dry_run: bool, zone: str | None
) -> None:
    """Import FILE. A file with any bad row is rejected whole, with a report."""
    jobs.command_yields_to_requests()
    if mapping is not None and file_format != Source.MAPPED:
        raise click.BadParameter(
            "only used with --source mapped", param_hint="--mapping"
        )
    tz = queries.org_timezone()
    if zone is not None:
        try:
            tz = ZoneInfo(zone.strip())
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise click.BadParameter(
                f"{zone!r} is not a time zone; use a name such as Europe/Berlin or "
                "America/New_York.",
                param_hint="--timezone",
            ) from e
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
            tz=tz,
            tz_given=zone is not None,
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


@tickets_cli.group("mapping")
def mapping_cli() -> None:
    """Column mappings for exports no built-in source reads."""


@mapping_cli.command("suggest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    "name",
    default="mytool",
    show_default=True,
    help="The source name the mapping keeps tickets under (lower case).",
)
def mapping_suggest(file: Path, name: str) -> None:
    """Print a starting column mapping for FILE, from its header and first rows.

    Save it (``> mytool.yaml``), check each line, then import with
    ``tickets import FILE --source mapped --mapping mytool.yaml``.
    """
    if not SOURCE_NAME_RE.match(name) or name in {s.value for s in Source}:
        raise click.UsageError(
            "--source: a name of your own in lower case letters, digits, - or _ "
            "(not a built-in source)"
        )
    try:
        with file.open("rb") as handle:
            data = handle.read(SAMPLE_BYTES)
        click.echo(
            suggest(data, source=name, cut=file.stat().st_size > len(data)), nl=False
        )
    except SuggestError as e:
        raise click.ClickException(f"{file.name}: {e}") from e


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
        outcome = agent_operations.map_agents_from_file(
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
    if outcome.warm_up is not None and jobs.backend() == "thread":
        # A job in a thread of this command would stop when it exits: see it through.
        jobs.wait(outcome.warm_up.id)
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


metrics_cli = AppGroup("metrics", help="A month's figures, as every page shows them.")

#: What ``metrics show --by`` reads at each level, and how a table's last line counts it.
LEVELS = {
    "organisation": ("organisation", "organisation"),
    "team": ("team", "teams"),
    "group": ("helpdesk group", "helpdesk groups"),
    "rep": ("rep", "reps"),
}


@metrics_cli.command("show")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option(
    "--by",
    type=click.Choice(list(LEVELS)),
    default="organisation",
    show_default=True,
    help="One row for the organisation, or one per team, helpdesk group or rep.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
)
def metrics_show(month: str, by: str, output: str) -> None:
    """Print MONTH's figures: solved, first reply, resolution, timely, CSAT, NPS, reopened,
    reviews answered, and the clock each duration was measured on.

    The same figures as the metrics page, its CSV and the API: a closed month's as it was
    closed, an open month's with accepted disputes applied. Rates are fractions (0-1).
    """
    try:
        asked = Month.parse(month)
    except InvalidMonth as e:
        raise click.BadParameter(str(e), param_hint="--month") from e
    figures = month_cache.month_figures(asked)
    if figures.closed_on is None and not figures.has_tickets:
        raise click.BadParameter(_no_figures(asked), param_hint="--month")
    header, rows = _level_rows(figures, by)
    if output == "csv":
        click.echo(csv_text(header, rows), nl=False)
        return
    click.echo(text_table(header, rows))
    one, many = LEVELS[by]
    organisation = figures.organisation
    clocks = (
        metrics.durations_words(
            organisation.get("first_response_clock"),
            organisation.get("resolution_clock"),
        )
        if organisation is not None
        else ""
    )
    click.echo(
        f"\n{len(rows)} {one if len(rows) == 1 else many}; {metrics.month_label(asked)} "
        f"in {queries.org_timezone().key}; rates are fractions (0-1)."
        + (f" {clocks}" if clocks else "")
    )
    if figures.sla_recorded:
        click.echo(sla_note(figures.sla_recorded))
    click.echo(
        f"{figures.closed_label}: the figures kept at close."
        if figures.closed_on is not None
        else "Open: the figures as they stand now."
    )


def _level_rows(figures: MonthMetrics, by: str) -> tuple[list[str], list[list[object]]]:
    closed = figures.closed_label
    if by == "organisation":
        if figures.organisation is None:
            raise click.ClickException("This month's figures hold no organisation row.")
        return queries.level_export_rows(
            figures.organisation.to_frame().T,
            level=by,
            closed=closed,
            unattributed=figures.unattributed,
        )
    if by == "group" and figures.groups is None:
        raise click.ClickException(
            f"{metrics.month_label(figures.month)} was closed before helpdesk groups were "
            "kept with a close: show it --by team, rep or organisation."
        )
    table = {"team": figures.teams, "group": figures.groups, "rep": figures.reps}[by]
    return queries.level_export_rows(table, level=by, closed=closed)  # type: ignore[arg-type]


def _no_figures(month: Month) -> str:
    months = queries.months_with_tickets()
    known = (
        f"months with tickets: {months[-1]} to {months[0]}"
        if months
        else "no ticket has been imported yet"
    )
    return f"no ticket was solved in {metrics.month_label(month)} ({known})."


COMMANDS: list[click.Command] = [tickets_cli, agents_cli, metrics_cli]
