"""Plain factory functions for tests: keyword overrides, ``flush()``, never ``commit()``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from core.access import Role
from core.db import db
from core.people import ApiToken, Team, User, UserRole, hash_password, hash_token

_seq = itertools.count(1)


def make_team(name: str | None = None, *, supervisors: Iterable[User] = ()) -> Team:
    team = Team(name=name or f"Team {next(_seq)}", supervisors=list(supervisors))
    db.session.add(team)
    db.session.flush()
    return team


def make_user(
    *roles: Role,
    email: str | None = None,
    name: str | None = None,
    team: Team | None = None,
    password: str | None = None,
    is_active: bool = True,
) -> User:
    """A user holding ``roles`` (a rep when none are given)."""
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.com",
        name=name or f"Test User {n}",
        team=team,
        password_hash=hash_password(password) if password else None,
        is_active=is_active,
        role_rows=[UserRole(role=role) for role in (roles or (Role.REP,))],
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_api_token(
    role: Role, *, secret: str | None = None, name: str = "test token"
) -> str:
    """Store a token acting as ``role`` and return its secret."""
    secret = secret or f"fl_test_{role}_{next(_seq)}"
    db.session.add(
        ApiToken(
            name=name,
            role=role,
            token_hash=hash_token(secret),
            token_prefix=secret[:10],
        )
    )
    db.session.flush()
    return secret
