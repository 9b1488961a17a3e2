"""Incentives commands: ``tickets import``, ``scores compute|close|reopen``, ``plans load|list``
and ``scorecards render|send``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import jobs, mail
from core.db import db
from core.errors import Conflict, InvalidInput
from core.tabular import csv_text
from incentives import (
    delivery,
    metrics,
    operations,
    plans,
    queries,
    scorecard_pdfs,
    scoring_operations,
    scoring_queries,
)
from incentives.importing import Source
from incentives.operations import ImportOutcome

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


scores_cli = AppGroup("scores", help="Month metrics and scores per rep; month close.")


def _month(value: str) -> str:
    try:
        return metrics.parse_month(value)
    except metrics.InvalidMonth as e:
        raise click.BadParameter(str(e), param_hint="--month") from e


@scores_cli.command("compute")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
)
def scores_compute(month: str, output: str) -> None:
    """Print each rep's metrics and score for MONTH: score, eligible, payout and reason.

    Tickets count in the month they were solved. A closed month prints the figures kept
    at close; an open one is scored now with the plan in force.
    """
    month = _month(month)
    scores = scoring_queries.month_scores(month)
    header, rows = scoring_queries.export_rows(scores)
    if output == "csv":
        click.echo(csv_text(header, rows), nl=False)
        return
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h)
        for i, h in enumerate(header)
    ]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    click.echo(
        f"\n{len(rows)} rep(s); {month} in {queries.org_timezone().key}; "
        f"durations in {queries.get_clock().label}."
    )
    if scores.is_closed:
        click.echo(
            f"Closed: the figures kept at close, scored with {scores.plan_label}."
        )
    elif scores.plan:
        click.echo(f"Open: scored now with {scores.plan_label}.")
    else:
        click.echo("No plan in force: metrics only.")


@scores_cli.command("close")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option("--note", default="", help="A note kept with the close.")
@click.option(
    "--with-open-disputes",
    is_flag=True,
    help="Close even though disputes are open (they no longer change the month).",
)
def scores_close(month: str, note: str, with_open_disputes: bool) -> None:
    """Close MONTH: freeze the plan version, every rep's score and the tickets used."""
    month = _month(month)
    try:
        close = scoring_operations.close_month(
            month, by="cli", note=note, allow_open_disputes=with_open_disputes
        )
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    click.secho(
        f"{metrics.month_label(month)} closed with {close.plan_version.label}: "
        f"{close.ticket_count} tickets, fingerprint {close.ticket_fingerprint[:16]}.",
        fg="green",
    )


@scores_cli.command("reopen")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option("--reason", required=True, help="Why it is reopened (audited).")
def scores_reopen(month: str, reason: str) -> None:
    """Reopen a closed MONTH: it is scored live again until closed anew."""
    month = _month(month)
    try:
        scoring_operations.reopen_month(month, by="cli", reason=reason)
    except InvalidInput as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    click.secho(f"{metrics.month_label(month)} reopened.", fg="yellow")


plans_cli = AppGroup("plans", help="Incentive plans.")


@plans_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plans_load(file: Path) -> None:
    """Load a plan from a YAML FILE (a plan of the same name is changed)."""
    try:
        version, outcome = scoring_operations.import_plan_yaml(
            file.read_text(encoding="utf-8-sig", errors="replace"), by="cli"
        )
    except InvalidInput as e:
        db.session.rollback()
        for problem in plans.PlanInvalid(e.errors).problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"{file.name} was not loaded.") from e
    db.session.commit()
    click.secho(
        {
            "created": f"{version.label} loaded.",
            "updated": f"{version.label} changed.",
            "new_version": f"{version.label} loaded as a new version (closed months "
            "keep the one before).",
            "unchanged": f"{version.label} is unchanged.",
        }[outcome],
        fg="green",
    )


@plans_cli.command("list")
def plans_list() -> None:
    """Every plan and its current version; * marks the plan in force."""
    locked = scoring_queries.locked_version_ids()
    for record in scoring_queries.list_plans():
        version = record.current
        click.echo(
            f"{'*' if record.is_active else ' '} {record.name} v{version.version}"
            f"{' (frozen)' if version.id in locked else ''}"
        )


scorecards_cli = AppGroup("scorecards", help="Scorecard PDFs: render and e-mail.")


@scorecards_cli.command("render")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (made if missing).",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes laying out PDFs (default: one per core).",
)
def scorecards_render(month: str, out: Path, workers: int | None) -> None:
    """Write one PDF per rep (reps/), one per team (teams/) and leadership.pdf."""
    jobs.command_yields_to_requests()
    month = _month(month)
    report = scorecard_pdfs.render_month(
        month, out, workers=workers, progress=_echo_progress()
    )
    click.secho(
        f"\nWrote {len(report.files)} PDFs to {out}: {report.reps} reps, "
        f"{report.teams} teams and the leadership pack, in {report.seconds:.1f} s.",
        fg="green",
    )


def _echo_progress() -> scorecard_pdfs.Progress:
    def progress(
        done: int, total: int | None = None, message: str | None = None
    ) -> None:
        if total:
            click.echo(f"\r{done}/{total} {message or ''}".ljust(60), nl=False)

    return progress


@scorecards_cli.command("send")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option("--dry-run", is_flag=True, help="List who would get what; send nothing.")
@click.option(
    "--open",
    "include_open",
    is_flag=True,
    help="Send even though the month is not closed (figures may still change).",
)
def scorecards_send(month: str, dry_run: bool, include_open: bool) -> None:
    """E-mail each leader the leadership pack and each supervisor their teams' scorecards."""
    jobs.command_yields_to_requests()
    month = _month(month)
    plan = delivery.plan_delivery(month)
    if not plan.closed and not include_open and not dry_run:
        raise click.ClickException(
            f"{metrics.month_label(month)} is not closed, so its figures may still "
            f"change. Close it first (scores close --month {month}), or pass --open."
        )
    for parcel in plan.parcels:
        click.echo(f"{parcel.to}: {parcel.subject} ({len(parcel.files)} PDF)")
    if dry_run:
        click.secho(f"Dry run: {len(plan.parcels)} message(s) not sent.", fg="yellow")
        return
    if not plan.parcels:
        click.echo(
            "Nobody to send to: no active leader or supervisor of a scored team."
        )
        return
    try:
        _plan, sent = delivery.send_month(month, current_app.config)
    except mail.MailError as e:
        raise click.ClickException(str(e)) from e
    click.secho(f"Sent {sent} message(s).", fg="green")


COMMANDS: list[click.Command] = [tickets_cli, scores_cli, plans_cli, scorecards_cli]
