"""Training commands: ``scenarios load FILE|DIR``, ``authorities expiring`` and
``authorities recertify``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import mail
from core.db import db, utcnow
from core.people import User
from core.words import counted
from training import (
    assignment_operations,
    authority_queries,
    notice_operations,
    operations,
    queries,
)
from training.assignment_operations import org_date
from training.authority import format_amount
from training.scenarios import ScenarioError

scenarios_cli = AppGroup("scenarios", help="Training scenarios (YAML).")


@scenarios_cli.command("load")
@click.argument("path", type=click.Path(path_type=Path))
def scenarios_load(path: Path) -> None:
    """Load a scenario file, or every .yaml file in a folder.

    All or nothing: if any file has a problem, every problem is listed and nothing is
    loaded. Changed content becomes a new version; attempts keep the version they used.
    """
    try:
        scenarios = operations.read_scenario_files(path)
    except ScenarioError as e:
        click.secho(
            f"Nothing was loaded: {counted(len(e.errors), 'problem')}.",
            fg="red",
            err=True,
        )
        for message in e.errors:
            click.echo(f"  {message}", err=True)
        raise click.ClickException("fix the scenario file(s) and load again") from e
    report = operations.load_scenarios(scenarios, by="cli")
    db.session.commit()
    click.secho(
        f"{len(report.added)} new, {counted(len(report.updated), 'new version')}, "
        f"{len(report.unchanged)} unchanged.",
        fg="green",
    )
    for label, keys in (("new", report.added), ("new version", report.updated)):
        for key in keys:
            click.echo(f"  {label}: {key}")


@scenarios_cli.command("install")
def scenarios_install() -> None:
    """Load the shipped scenarios and the default authority catalogue (idempotent)."""
    report, added = operations.install_shipped_content(by="cli")
    db.session.commit()
    click.secho(
        f"Scenarios: {len(report.added)} new, "
        f"{counted(len(report.updated), 'new version')}, "
        f"{len(report.unchanged)} unchanged. Authorities added: "
        f"{', '.join(added) or 'none'}.",
        fg="green",
    )


@scenarios_cli.command("list")
def scenarios_list() -> None:
    """List the current version of every scenario."""
    for version in queries.list_current_scenarios():
        click.echo(
            f"{version.key:<32} v{version.version:<3} {version.channel:<7} "
            f"pass {version.pass_mark}%  {version.title}"
        )


authorities_cli = AppGroup("authorities", help="The authority register.")


@authorities_cli.command("expiring")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="Show grants expiring within this many days.",
)
def authorities_expiring(days: int) -> None:
    """Grants in force that expire soon, soonest first (for re-certification)."""
    rows = authority_queries.list_expiring_grants(
        utcnow(), within=dt.timedelta(days=days)
    )
    if not rows:
        click.echo(f"No grant expires within {days} days.")
        return
    click.echo(
        f"{counted(len(rows), 'grant')} expire{'s' if len(rows) == 1 else ''} "
        f"within {counted(days, 'day')}:"
    )
    for row in rows:
        grant = row.grant
        click.echo(
            f"  {grant.expires_at:%Y-%m-%d}  {row.days_left:>3} days  "
            f"{grant.rep.email:<32} {grant.authority.code:<24} "
            f"{format_amount(grant.limit, grant.unit)}"
        )


@authorities_cli.command("recertify")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 365),
    help="Assign for grants expiring within this many days.",
)
def authorities_recertify(days: int) -> None:
    """Give reps whose grants expire soon the authority's scenarios to pass again, due on
    the day the grant ends, and tell them. Run it daily; nothing is assigned twice."""
    made = assignment_operations.assign_recertification(
        at=utcnow(), within=dt.timedelta(days=days), today=org_date(utcnow())
    )
    db.session.commit()
    by_rep: dict[int, list[assignment_operations.Recertification]] = {}
    for item in made:
        by_rep.setdefault(item.assignment.rep_id, []).append(item)
    sent = 0
    titles = queries.scenario_titles()
    for items in by_rep.values():
        rep = items[0].assignment.rep
        lines = [
            f"- {titles.get(i.assignment.scenario_key or '', i.assignment.scenario_key)}"
            f" (for {i.authority_name}, which expires {i.assignment.due_on:%d %b %Y})"
            for i in items
        ]
        sent += mail.send_if_configured(
            current_app.config,
            to=rep.email,
            subject="Training to keep your authority",
            body=f"Hello {rep.name},\n\nTo keep your authority, pass these scenarios "
            "again before it expires (they are on My training):\n\n"
            + "\n".join(lines)
            + "\n",
        )
    click.echo(
        f"{counted(len(made), 'scenario')} assigned to {counted(len(by_rep), 'rep')} "
        f"for recertification; {counted(sent, 'e-mail')} sent."
    )


notices_cli = AppGroup("notices", help="Training notices and their e-mail digest.")


@notices_cli.command("send")
def notices_send() -> None:
    """Raise today's training notices (due soon, overdue, sign-offs decided, authority
    about to expire) and e-mail each person a digest of theirs. Run it daily; nobody is
    told twice of the same thing."""
    now = utcnow()
    made = notice_operations.raise_notices(at=now, today=org_date(now))
    digests = notice_operations.digests(now)
    db.session.commit()
    sent = 0
    for user_id, notices in digests.items():
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            continue
        lines = [f"- {n.text}" for n in notices]
        sent += mail.send_if_configured(
            current_app.config,
            to=user.email,
            subject=f"Your training: {counted(len(notices), 'notice')}",
            body=f"Hello {user.name},\n\n"
            + "\n".join(lines)
            + "\n\nAll of them are under Training > Notices, where you can also choose "
            "which kinds come by e-mail.\n",
        )
    click.echo(
        f"{counted(len(made), 'new notice')}; {counted(sent, 'digest')} e-mailed."
    )


COMMANDS: list[click.Command] = [scenarios_cli, authorities_cli, notices_cli]
