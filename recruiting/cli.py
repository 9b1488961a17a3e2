"""Recruiting commands: ``assessments load FILE``, ``assessments list`` and
``candidates purge``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import db
from core.words import counted
from recruiting import operations, personal_data_operations, queries
from recruiting.assessment import AssessmentInvalid

assessments_cli = AppGroup("assessments", help="Load and list aptitude assessments.")


@assessments_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def assessments_load(file: Path) -> None:
    """Load an assessment from a YAML FILE; a changed file becomes a new version."""
    try:
        outcome = operations.load_assessment(file.read_text(encoding="utf-8"), by="cli")
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{file} is not UTF-8 text.") from e
    except AssessmentInvalid as e:
        problems = "\n".join(f"  - {p}" for p in e.problems)
        raise click.ClickException(f"{file} was not loaded:\n{problems}") from e
    db.session.commit()
    loaded = outcome.assessment
    if not outcome.created:
        click.echo(f"Unchanged: {loaded.key} is already loaded as v{loaded.version}.")
        return
    click.secho(
        f"Loaded {loaded.key} v{loaded.version}: {loaded.title} "
        f"({loaded.item_count} items, {loaded.time_limit_minutes} minutes).",
        fg="green",
    )
    for opening in outcome.moved_openings:
        click.echo(f"  Opening {opening.title!r} now sends v{loaded.version}.")


@assessments_cli.command("list")
def assessments_list() -> None:
    """List every loaded assessment version."""
    assessments = queries.list_assessments()
    if not assessments:
        click.echo("No assessment loaded yet.")
    for a in assessments:
        click.echo(
            f"{a.key:<32} v{a.version:<3} {a.item_count:>3} items  "
            f"{a.loaded_at:%Y-%m-%d}  {a.title}"
        )


candidates_cli = AppGroup("candidates", help="Candidate data housekeeping.")


@candidates_cli.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Say how many would be erased; change nothing."
)
def candidates_purge(dry_run: bool) -> None:
    """Erase the personal data of candidates rejected or withdrawn longer ago than the
    retention period (Admin > Settings); anonymous scores stay."""
    months = personal_data_operations.retention_months()
    erased = personal_data_operations.purge_candidates(months=months, by="cli")
    if dry_run:
        db.session.rollback()
        click.echo(
            f"{counted(len(erased), 'candidate')} rejected or withdrawn more than "
            f"{counted(months, 'month')} ago would be erased (dry run: nothing changed)."
        )
        return
    db.session.commit()
    click.secho(
        f"Erased the personal data of {counted(len(erased), 'candidate')} rejected or "
        f"withdrawn more than {counted(months, 'month')} ago.",
        fg="green",
    )


COMMANDS: list[click.Command] = [assessments_cli, candidates_cli]
