"""The voice module's commands: ``problems escalate`` and ``departments load FILE``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import mail
from core.db import db, utcnow
from core.errors import InvalidInput
from voice import operations
from voice.department_files import DepartmentFileError, read_departments

problems_cli = AppGroup("problems", help="Problem reports from the front line.")


@problems_cli.command("escalate")
@click.option(
    "--link",
    default="",
    help="The problems page's address for the e-mails, like https://frontline.example.com/voice/problems/",
)
def problems_escalate(link: str) -> None:
    """Escalate new reports past their department's target: to its owner, then (past
    twice the target) to leadership. Run it every hour; each level is told once."""
    notices = operations.escalate(at=utcnow(), link=link)
    db.session.commit()
    sent = 0
    for notice in notices:
        for to in notice.to:
            sent += mail.send_if_configured(
                current_app.config, to=to, subject=notice.subject, body=notice.body
            )
    click.echo(
        f"{len(notices)} report{'' if len(notices) == 1 else 's'} escalated; "
        f"{sent} e-mail{'' if sent == 1 else 's'} sent."
    )
    if notices and not mail.is_configured(current_app.config):
        click.echo(
            "E-mail is not set up (SMTP_HOST); the escalations are in the audit trail."
        )
        for notice in notices:
            click.echo(f"  {notice.subject} -> {', '.join(notice.to) or 'nobody'}")


departments_cli = AppGroup("departments", help="Departments the front line reaches.")


@departments_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def departments_load(path: Path) -> None:
    """Create or update departments (owner, deputies, members, rota) from a YAML file.

    All or nothing: if any department has a problem, every problem is listed and nothing
    is saved. Departments are matched by name; people by their Frontline e-mail.
    """
    try:
        specs = read_departments(path.read_text(encoding="utf-8-sig"))
        added, updated = operations.load_departments(specs, by="cli")
    except (DepartmentFileError, InvalidInput, UnicodeDecodeError) as e:
        db.session.rollback()
        if isinstance(e, DepartmentFileError):
            messages = e.errors
        elif isinstance(e, InvalidInput):
            messages = [m for msgs in e.errors.values() for m in msgs]
        else:
            messages = ["The file is not UTF-8 text."]
        click.secho(
            f"Nothing was saved: {len(messages)} problem"
            f"{'' if len(messages) == 1 else 's'}.",
            fg="red",
            err=True,
        )
        for message in messages:
            click.echo(f"  {message}", err=True)
        raise click.ClickException("fix the file and load it again") from e
    db.session.commit()
    click.secho(
        f"{len(added)} new, {len(updated)} updated: {', '.join(added + updated)}.",
        fg="green",
    )


COMMANDS = [problems_cli, departments_cli]
