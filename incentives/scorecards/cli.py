"""Scorecard commands: ``scorecards render|send``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import jobs, mail
from core.words import counted
from incentives.scorecards import delivery, pdfs
from incentives.scoring.cli import month_option
from incentives.tickets import metrics

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
    month = month_option(month)
    report = pdfs.render_month(month, out, workers=workers, progress=_echo_progress())
    click.secho(
        f"\nWrote {len(report.files)} PDFs to {out}: {report.reps} reps, "
        f"{report.teams} teams and the leadership pack, in {report.seconds:.1f} s.",
        fg="green",
    )


def _echo_progress() -> pdfs.Progress:
    def progress(
        done: int, total: int | None = None, message: str | None = None
    ) -> None:
        # From the first second: the reading and scoring steps say what they do too.
        shown = f"{done}/{total} {message or ''}" if total else (message or "")
        click.echo(f"\r{shown}".ljust(72), nl=False)

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
    month = month_option(month)
    plan = delivery.plan_delivery(month)
    if not plan.closed and not include_open and not dry_run:
        raise click.ClickException(
            f"{metrics.month_label(month)} is not closed, so its figures may still "
            f"change. Close it first (scores close --month {month}), or pass --open."
        )
    for parcel in plan.parcels:
        click.echo(f"{parcel.to}: {parcel.subject} ({len(parcel.files)} PDF)")
    if dry_run:
        click.secho(
            f"Dry run: {counted(len(plan.parcels), 'message')} not sent.", fg="yellow"
        )
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
    click.secho(f"Sent {counted(sent, 'message')}.", fg="green")


COMMANDS: list[click.Command] = [scorecards_cli]
