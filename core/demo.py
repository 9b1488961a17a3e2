"""The demo organisation: people and teams, then each module's demo data.

Every step is idempotent: running ``flask --app app demo`` again finds what exists and adds
only what is missing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import select

from core import accounts
from core.access import Role
from core.db import db
from core.people import Team, User, get_user_by_email

DEFAULT_PASSWORD = "frontline-demo"  # noqa: S105 (the documented demo login)
ACTOR = "demo"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    email: str
    roles: frozenset[Role]
    team: str | None = None


TEAMS = {
    "Chat & Social": "Live chat, Instagram, X and public review sites.",
    "Phone & Email": "Inbound calls, e-mail and callbacks.",
}


def _person(name: str, *roles: Role, team: str | None = None) -> DemoPerson:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    email = ".".join(ascii_name.lower().split()) + "@example.com"
    return DemoPerson(name, email, frozenset(roles), team)


CHAT, PHONE = "Chat & Social", "Phone & Email"

PEOPLE = [
    _person("Alex Morgan", Role.ADMIN),
    _person("Priya Shah", Role.HIRING_MANAGER),
    _person("Daniel Okafor", Role.HIRING_MANAGER),
    _person("Grace Lee", Role.SUPERVISOR, team=CHAT),
    _person("Marco Rossi", Role.SUPERVISOR, team=PHONE),
    _person("Helen Carter", Role.LEADERSHIP),
    *[
        _person(name, Role.REP, team=CHAT)
        for name in (
            "Amara Nwosu",
            "Ben Fischer",
            "Chloé Martin",
            "Diego Alvarez",
            "Emma Lindqvist",
            "Farah Haddad",
        )
    ],
    *[
        _person(name, Role.REP, team=PHONE)
        for name in (
            "George Papadopoulos",
            "Hana Suzuki",
            "Isaac Mensah",
            "Julia Kowalska",
            "Kofi Asante",
            "Lucía Fernández",
        )
    ],
]

SUPERVISORS = {CHAT: "grace.lee@example.com", PHONE: "marco.rossi@example.com"}


@dataclass
class DemoResult:
    """The people the demo made or found, and what each step reported."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    password_set: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def by_role(self, role: Role) -> list[User]:
        return [u for u in self.users.values() if role in u.roles]


DemoStep = Callable[[DemoResult], None]


def register_step(app: Flask, step: DemoStep) -> None:
    """Add a module's demo step; steps run in registration order after the people exist."""
    app.extensions.setdefault("frontline.demo", []).append(step)


def build(password: str | None) -> DemoResult:
    """Create (or find) the demo organisation and run every module's demo step.

    :param password: a password for every demo login; when ``None``, new users get
        :data:`DEFAULT_PASSWORD` and existing users keep theirs.
    """
    result = DemoResult()
    for name, description in TEAMS.items():
        team = db.session.scalar(select(Team).where(Team.name == name))
        if team is None:
            team = accounts.save_team(
                None, name=name, description=description, supervisor_ids=[], by=ACTOR
            )
        result.teams[name] = team
    for person in PEOPLE:
        user = get_user_by_email(person.email)
        if user is None:
            team = result.teams[person.team] if person.team else None
            user = accounts.create_user(
                accounts.UserInput(
                    person.email, person.name, person.roles, team.id if team else None
                ),
                by=ACTOR,
                password=password or DEFAULT_PASSWORD,
            )
            result.created.append(user.email)
            result.password_set.add(user.email)
        elif password:
            accounts.set_password(user, password, by=ACTOR)
            result.password_set.add(user.email)
        result.users[user.email] = user
    for team_name, email in SUPERVISORS.items():
        team, supervisor = result.teams[team_name], result.users[email]
        if supervisor not in team.supervisors:
            accounts.save_team(
                team,
                name=team.name,
                description=team.description,
                supervisor_ids=[*(u.id for u in team.supervisors), supervisor.id],
                by=ACTOR,
            )
    db.session.flush()
    for step in current_app.extensions.get("frontline.demo", []):
        step(result)
    return result
