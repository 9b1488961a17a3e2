"""The voice module's commands: ``problems escalate``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core import mail
from core.db import db, utcnow
from voice import operations

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


COMMANDS = [problems_cli]
