"""Scoring commands: ``scores compute|close|reopen`` and ``plans load|list``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core import jobs
from core.db import db
from core.errors import Conflict, InvalidInput
from core.tabular import csv_text, text_table
from core.words import counted
from incentives.scoring import (
    month_plans,
    operations,
    payout_queries,
    plans,
    queries,
    reopen_queries,
)
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.months import Month

scores_cli = AppGroup("scores", help="Month metrics and scores per rep; month close.")


def month_option(value: str) -> str:
    try:
        return str(Month.parse(value))
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
    """Print each rep's metrics and score for MONTH: score, eligible, base and final
    payout, and reason.

    Tickets count in the month they were solved. A closed month prints the figures kept
    at close; an open one is scored now with the plan in force.
    """
    asked = Month.parse(month_option(month))
    scores = queries.month_scores(asked)
    header, rows = queries.export_rows(
        scores, payout_queries.payouts_of([scores])[scores.month].finals
    )
    if output == "csv":
        click.echo(csv_text(header, rows), nl=False)
        return
    click.echo(text_table(header, rows))
    clocks = metrics.durations_words(
        scores.organisation.get("first_response_clock"),
        scores.organisation.get("resolution_clock"),
    )
    click.echo(
        f"\n{counted(len(rows), 'rep')}; {asked} in {ticket_queries.org_timezone().key}."
        + (f" {clocks}" if clocks else "")
    )
    if scores.is_closed:
        click.echo(
            f"{scores.close.label}: the figures kept at close, scored with "  # type: ignore[union-attr]
            f"{scores.plan_label}."
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
    month = month_option(month)
    try:
        close = operations.close_month(
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
    # Work the close started here (the reps' scorecard e-mails) ends with this command.
    jobs.wait_all()


@scores_cli.command("reopen")
@click.option("--month", required=True, help="The month, as YYYY-MM.")
@click.option("--reason", required=True, help="Why it is reopened (audited).")
@click.option(
    "--plan-version",
    default="",
    help="Score it with this plan version (id) instead of the one it was closed with: "
    "each rep's difference is shown first.",
)
@click.option("--yes", is_flag=True, help="Confirm the other plan version unasked.")
def scores_reopen(month: str, reason: str, plan_version: str, yes: bool) -> None:
    """Reopen a closed MONTH: it is scored live again until closed anew."""
    month = month_option(month)
    confirmed = False
    try:
        chosen = month_plans.version_for_reopening(month, plan_version)
        close = queries.get_close(month)
        if chosen is not None and close is not None:
            preview = reopen_queries.preview_version_change(month, chosen)
            click.echo(
                f"rep\tteam\tpayout as closed\tpayout with {chosen.label}\tchange"
            )
            for r in preview.rows:
                click.echo(
                    f"{r.name}\t{r.team_name}\t{r.old_payout:,.2f}\t"
                    f"{r.new_payout:,.2f}\t{r.payout_change:+,.2f}"
                )
            click.echo(
                f"Payouts as closed {preview.old_total:,.2f} {preview.old_currency}; "
                f"with {chosen.label} {preview.new_total:,.2f} {preview.new_currency}."
            )
            confirmed = yes or click.confirm(
                f"Reopen {metrics.month_label(month)} with {chosen.label}?"
            )
            if not confirmed:
                raise click.ClickException("Nothing changed.")
        operations.reopen_month(
            month,
            by="cli",
            reason=reason,
            plan_version=plan_version,
            confirmed=confirmed,
        )
    except ValueError as e:
        raise click.ClickException(str(e)) from e
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
        version, outcome = operations.import_plan_yaml(
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
    locked = queries.locked_version_ids()
    for record in queries.list_plans():
        version = record.current
        click.echo(
            f"{'*' if record.is_active else ' '} {record.name} v{version.version}"
            f"{' (frozen)' if version.id in locked else ''}"
        )


COMMANDS: list[click.Command] = [scores_cli, plans_cli]
