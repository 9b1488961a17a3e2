"""Quality commands: ``qa rubrics load FILE``, ``qa sample --month YYYY-MM`` and
``qa links set SOURCE URL``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import db
from core.errors import InvalidInput
from quality import operations
from quality.sampling import SamplePlan

qa_cli = AppGroup(
    "qa", help="Quality reviews: rubrics, monthly samples, helpdesk links."
)
rubrics_cli = AppGroup("rubrics", help="Review rubrics (YAML), one per channel group.")
links_cli = AppGroup("links", help="Where each source's tickets open in the helpdesk.")
qa_cli.add_command(rubrics_cli)
qa_cli.add_command(links_cli)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _fail(error: InvalidInput, what: str) -> click.ClickException:
    for messages in error.errors.values():
        for message in messages:
            click.echo(f"  {message}", err=True)
    return click.ClickException(what)


@rubrics_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rubrics_load(path: Path) -> None:
    """Load a rubric from a YAML file: it becomes its channel group's rubric.

    A version that submitted reviews used stays as it is: a change then makes the next
    version. Every problem is listed with its line, and nothing is loaded.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{path.name} is not UTF-8 text") from e
    try:
        version, outcome = operations.import_rubric_yaml(text, by="cli")
    except InvalidInput as e:
        count = sum(len(m) for m in e.errors.values())
        click.secho(
            f"Nothing was loaded: {_plural(count, 'problem', 'problems')}.",
            fg="red",
            err=True,
        )
        raise _fail(e, f"fix {path.name} and load it again") from e
    db.session.commit()
    words = {
        "created": "created",
        "new_version": "made (the last version is kept for the reviews that used it)",
        "updated": "changed",
        "unchanged": "unchanged",
    }
    click.secho(f"{version.label}: {words[outcome]}.", fg="green")


def _is_month(text: str) -> bool:
    year, _, number = text.partition("-")
    return (
        len(year) == 4
        and year.isdigit()
        and len(number) == 2
        and number.isdigit()
        and 1 <= int(number) <= 12
    )


@qa_cli.command("sample")
@click.option("--month", required=True, help="The month to sample, YYYY-MM.")
@click.option("--random", "random_per_rep", default=3, show_default=True, type=int)
@click.option("--targeted", "targeted_per_rep", default=2, show_default=True, type=int)
@click.option(
    "--dry-run", is_flag=True, help="Say what would be sampled; keep nothing."
)
def sample(
    month: str, random_per_rep: int, targeted_per_rep: int, dry_run: bool
) -> None:
    """Draw a month's sample for every rep: targeted tickets (a refund above their
    authority, a low rating, reopened, public, slow, not rated), then random ones.

    Running it again for the same month adds nothing for reps already sampled.
    """
    if not _is_month(month):
        raise click.BadParameter("give the month as YYYY-MM", param_hint="--month")
    if not (0 <= random_per_rep <= 50 and 0 <= targeted_per_rep <= 50):
        raise click.BadParameter("between 0 and 50 tickets per rep")
    outcome = operations.sample_month(
        month,
        by="cli",
        plan=SamplePlan(
            random_per_rep=random_per_rep, targeted_per_rep=targeted_per_rep
        ),
    )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be" if dry_run else "were"
    click.secho(
        f"{month}: {_plural(outcome.created, 'ticket', 'tickets')} of "
        f"{_plural(outcome.reps, 'rep', 'reps')} {verb} sampled; "
        f"{_plural(outcome.already, 'rep was', 'reps were')} sampled before.",
        fg="green",
    )
    if outcome.no_rubric:
        click.echo(
            "  No rubric for "
            + ", ".join(outcome.no_rubric)
            + ": those tickets are left out."
        )
    if outcome.no_reviewer:
        click.echo(
            "  Nobody supervises the team of " + ", ".join(outcome.no_reviewer) + "."
        )


@links_cli.command("set")
@click.argument("source")
@click.argument("url_pattern")
def links_set(source: str, url_pattern: str) -> None:
    """Open SOURCE's tickets at URL_PATTERN, where {id} is the helpdesk's ticket id."""
    try:
        operations.set_helpdesk_link(source, url_pattern, by="cli")
    except InvalidInput as e:
        raise _fail(e, "not set") from e
    db.session.commit()
    click.secho(f"Tickets from {source} open at {url_pattern}.", fg="green")


COMMANDS = [qa_cli]
