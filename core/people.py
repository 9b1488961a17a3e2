"""People: users, their roles and teams, API tokens, and password hashing (argon2id)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    Enum,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, joinedload, lazyload, mapped_column, relationship

from core.access import Role, Viewer
from core.db import db, enum_column, utcnow

# argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile.
_hasher = PasswordHasher()


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify passwords with ``hasher`` from now on; returns the one used before.

    Only the tests call this (argon2id at its lowest cost, so that a test making users with
    passwords does not spend its time hashing); the app always uses the defaults above.
    """
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash`` (False for no hash at all)."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def hash_token(token: str) -> str:
    """SHA-256 of a random bearer token; only this digest is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """A random bearer token with a readable prefix (``fl_api_...``)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def role_column() -> Enum:
    return enum_column(Role)


team_supervisors = Table(
    "team_supervisors",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    """A team of reps, led by one or more supervisors."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique display name, e.g. "Tier 1 — Chat".
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.name"
    )
    supervisors: Mapped[list[User]] = relationship(
        secondary=team_supervisors,
        back_populates="supervised_teams",
        order_by="User.name",
    )

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(role_column(), primary_key=True)


class User(db.Model):
    """A person who logs in: admin, hiring manager, supervisor, rep or leadership."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: argon2id hash; ``None`` until an invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Deactivated users cannot log in and their sessions end at once.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Bumped to end every session of this user (logout, password change, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    #: The team a rep (or supervisor) belongs to.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]

    team: Mapped[Team | None] = relationship(
        back_populates="members", foreign_keys=[team_id]
    )
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    supervised_teams: Mapped[list[Team]] = relationship(
        secondary=team_supervisors, back_populates="supervisors", lazy="selectin"
    )

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """Session identity: the id and the session version, so bumping it ends sessions."""
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def role_labels(self) -> list[str]:
        return [role.label for role in Role if role in self.roles]

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def viewer(self) -> Viewer:
        """The plain-data view of this user that ``core.access`` rules take."""
        return Viewer(
            user_id=self.id,
            roles=self.roles,
            supervised_team_ids=frozenset(team.id for team in self.supervised_teams),
        )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


#: The roles a new API token may act with. A token is not one person, so it cannot act
#: as a rep (a rep's endpoints would be their own records); tokens made as rep before
#: get a 403 that says so on every call (:data:`RETIRED_TOKEN_ROLES`).
TOKEN_ROLES = (Role.ADMIN, Role.HIRING_MANAGER, Role.SUPERVISOR, Role.LEADERSHIP)
RETIRED_TOKEN_ROLES = frozenset(Role) - frozenset(TOKEN_ROLES)


def token_role_names() -> str:
    """The roles a token may act with, in words: "admin, hiring manager, ... or leadership"."""
    labels = [role.label.lower() for role in TOKEN_ROLES]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def retired_token_role_message(role: Role) -> str:
    """Why no new token may act as ``role``, and what to choose instead."""
    return (
        f"A token cannot act as {role.label.lower()}: it is not one person, so it could "
        f"not read a {role.label.lower()}'s own records. Choose {token_role_names()}."
    )


class ApiToken(db.Model):
    """A bearer token for the JSON API, acting with one role; only its hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the token is for, e.g. "Zendesk nightly sync".
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64))
    #: The first characters of the token, to recognise it in lists.
    token_prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(role_column())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


#: Loader options for users listed by name beside other records: their roles and teams,
#: which the mapping loads with every user, are loaded only if something reads them.
NAMES_ONLY = (lazyload(User.role_rows), lazyload(User.supervised_teams))


def get_user_with_roles(user_id: int) -> User | None:
    """The user with their roles and supervised teams, in one statement (every request
    loads its user): the two collections are joined rather than selected after."""
    return (
        db.session.scalars(
            select(User)
            .where(User.id == user_id)
            .options(joinedload(User.role_rows), joinedload(User.supervised_teams))
        )
        .unique()
        .one_or_none()
    )


def team_and_supervisors(user: User) -> tuple[str | None, list[str]]:
    """The name of ``user``'s team and its supervisors' names but theirs, in one query."""
    if user.team_id is None:
        return None, []
    rows = db.session.execute(
        select(Team.name, User.name)
        .select_from(Team)
        .outerjoin(team_supervisors, team_supervisors.c.team_id == Team.id)
        .outerjoin(User, (User.id == team_supervisors.c.user_id) & (User.id != user.id))
        .where(Team.id == user.team_id)
        .order_by(User.name)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [name for _team, name in rows if name is not None]


def get_user_by_email(email: str) -> User | None:
    """The user with this e-mail, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def count_users_by_role() -> dict[Role, int]:
    """Active users per role."""
    rows = db.session.execute(
        select(UserRole.role, func.count())
        .join(User, User.id == UserRole.user_id)
        .where(User.is_active.is_(True))
        .group_by(UserRole.role)
    )
    counts = dict.fromkeys(Role, 0)
    counts.update({role: n for role, n in rows})
    return counts


def lock_people(user_ids: Iterable[int]) -> None:
    """Hold these people's rows until the transaction ends, so that two requests about the
    same rep (two tabs, a double click) check and write one after the other.

    On PostgreSQL the second waits here and then sees what the first committed. It is
    ``FOR NO KEY UPDATE``: rows that merely point at the person (audit events, attempts)
    can still be written meanwhile. SQLite leaves the clause out; it runs one writing
    request at a time anyway (a POST begins IMMEDIATE).
    """
    ids = sorted(set(user_ids))
    if ids:
        db.session.execute(
            select(User.id)
            .where(User.id.in_(ids))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )
