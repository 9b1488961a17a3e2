"""Command-line tools: demo data, users, API tokens, backup and restore."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core import accounts, backup, jobs, passwords
from core import demo as demo_data
from core.access import Role
from core.db import db
from core.errors import InvalidInput
from core.people import TOKEN_ROLES, retired_token_role_message

ROLE_NAMES = [role.value for role in Role]
TOKEN_ROLE_NAMES = [role.value for role in TOKEN_ROLES]


@click.command("demo")
@with_appcontext
@click.option(
    "--password",
    help="Password for every demo login (default: frontline-demo "
    "for new users; existing users keep theirs).",
)
def demo_command(password: str | None) -> None:
    """Create realistic demo data. Safe to run again: it only adds what is missing."""
    found = passwords.problems(password) if password is not None else []
    if found:
        raise click.BadParameter(" ".join(found), param_hint="--password")
    try:
        result = demo_data.build(password)
    except InvalidInput as e:  # the password is one demo person's e-mail or name
        raise click.ClickException(_messages(e)) from e
    db.session.commit()
    click.secho(
        f"Demo organisation ready: {len(result.users)} people in {len(result.teams)} teams "
        f"({len(result.created)} new).",
        fg="green",
    )
    for note in result.notes:
        click.echo(f"  {note}")
    shown = password or demo_data.DEFAULT_PASSWORD
    click.echo("\nLog in as:")
    width = max(len(u.email) for u in result.users.values())
    for user in sorted(result.users.values(), key=lambda u: (_rank(u), u.name)):
        secret = shown if user.email in result.password_set else "(password unchanged)"
        click.echo(
            f"  {', '.join(user.role_labels):<16} {user.email:<{width}}  {secret}"
        )


def _messages(error: InvalidInput) -> str:
    return " ".join(m for messages in error.errors.values() for m in messages)


def _rank(user: object) -> int:
    roles = user.roles  # type: ignore[attr-defined]
    return next(i for i, role in enumerate(Role) if role in roles)


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="A role to give; repeat for several.",
)
@click.option("--name", help="Full name (default: taken from the e-mail).")
@click.option(
    "--password", help="Initial password (default: a random one, printed once)."
)
def users_create(
    email: str, roles: tuple[str, ...], name: str | None, password: str | None
) -> None:
    """Create a user who can log in at once."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    display_name = name or email.split("@")[0].replace(".", " ").title()
    try:
        user = accounts.create_user(
            accounts.UserInput(email, display_name, frozenset(Role(r) for r in roles)),
            by="cli",
            password=password,
        )
    except InvalidInput as e:
        raise click.ClickException(_messages(e)) from e
    db.session.commit()
    click.secho(f"Created {user.email} ({', '.join(user.role_labels)}).", fg="green")
    if generated:
        click.echo(f"Password (shown once): {password}")


api_tokens_cli = AppGroup("api-tokens", help="Manage API tokens.")


def _token_role(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A role a token may act with; rep gets the reason it is not offered."""
    if value in TOKEN_ROLE_NAMES:
        return value
    if value in ROLE_NAMES:
        raise click.BadParameter(retired_token_role_message(Role(value)))
    raise click.BadParameter(
        f"{value!r} is not a role; choose one of {', '.join(TOKEN_ROLE_NAMES)}."
    )


@api_tokens_cli.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    metavar="[" + "|".join(TOKEN_ROLE_NAMES) + "]",
    callback=_token_role,
    help="The role the token acts with (a token is not one person, so not rep).",
)
def api_tokens_create(name: str, role: str) -> None:
    """Create an API token and print it once; only its hash is kept."""
    if not name.strip():
        raise click.BadParameter("give the token a name", param_hint="NAME")
    token, secret = accounts.create_api_token(name, Role(role), by="cli")
    db.session.commit()
    click.secho(f"API token {token.name!r} acting as {role} created.", fg="green")
    click.echo(f"Token (shown once, keep it safe): {secret}")


@click.command("backup")
@with_appcontext
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the backup file.",
)
def backup_command(out: Path) -> None:
    """Take a consistent backup of the database, safe while people are working."""
    jobs.command_yields_to_requests()
    try:
        backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from e
    click.secho(f"Backup written to {out} ({out.stat().st_size:,} bytes).", fg="green")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's contents with a backup. Stop the app and workers first."""
    if not yes:
        click.confirm(
            "This replaces everything in the database with the backup. Continue?",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from e
    click.secho(
        f"Restored from {source}. Run `flask --app app db upgrade` next.", fg="green"
    )


COMMANDS = [demo_command, users_cli, api_tokens_cli, backup_command, restore_command]
