"""Account operations: users, roles, teams, passwords, sessions and API tokens.

Each function loads what it needs, applies the rule, writes an audit event and flushes.
None of them commits: the view or command that calls it does, once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from blinker import Namespace
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from core import audit, passwords
from core.access import Role
from core.db import db, utcnow
from core.errors import InvalidInput, NotAllowed
from core.people import (
    TOKEN_ROLES,
    ApiToken,
    Team,
    User,
    UserRole,
    get_user_by_email,
    hash_password,
    hash_token,
    new_token,
    normalize_email,
    retired_token_role_message,
)

logger = logging.getLogger(__name__)

#: Sent with the user (and ``by=``) when someone becomes a rep, so modules can react in
#: the same transaction (training assigns the onboarding curriculum). Wired in ``app.py``.
rep_created = Namespace().signal("rep-created")


@dataclass(frozen=True)
class UserInput:
    """What a person types to create or edit a user."""

    email: str
    name: str
    roles: frozenset[Role]
    team_id: int | None = None


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "team_id": user.team_id,
        "is_active": user.is_active,
    }


def _check_unique_email(email: str, *, except_id: int | None = None) -> None:
    other = get_user_by_email(email)
    if other is not None and other.id != except_id:
        raise InvalidInput({"email": [f"{email} already has an account."]})


def _check_password(password: str, *, email: str, name: str) -> None:
    found = passwords.problems(password, email=email, name=name)
    if found:
        raise InvalidInput({"password": found})


def _check_team(team_id: int | None) -> None:
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise InvalidInput({"team_id": ["That team does not exist."]})


def create_user(
    data: UserInput, *, by: audit.Actor, password: str | None = None
) -> User:
    """Create a user with roles and team; without a password they must use a link to log in.

    :param data: e-mail, name, roles, team.
    :param by: the admin (or ``"cli"``) creating the account.
    :param password: an initial password, or ``None`` for an invitation link.
    :raises InvalidInput: the e-mail is taken, no role is given, the team is unknown or
        the password breaks :func:`core.passwords.problems` (under ``"password"``).
    :return: the new user, flushed.
    """
    email = normalize_email(data.email)
    _check_unique_email(email)
    if password:
        _check_password(password, email=email, name=data.name)
    _check_team(data.team_id)
    if not data.roles:
        raise InvalidInput({"roles": ["Choose at least one role."]})
    user = User(
        email=email,
        name=data.name.strip(),
        team_id=data.team_id,
        password_hash=hash_password(password) if password else None,
        password_changed_at=utcnow() if password else None,
        role_rows=[UserRole(role=role) for role in sorted(data.roles)],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        by,
        "user.create",
        user,
        summary=f"Created {user.email} ({', '.join(user.role_labels)})",
        after={**_snapshot(user), "roles": sorted(data.roles)},
    )
    if Role.REP in data.roles:
        rep_created.send(user, by=by)
    return user


def update_user(user: User, data: UserInput, *, by: User | str) -> User:
    """Change a user's name, e-mail, team and roles; each change is audited.

    :raises InvalidInput: the e-mail is taken, no role is left or the team is unknown.
    :raises NotAllowed: the change would leave no active admin.
    """
    email = normalize_email(data.email)
    _check_unique_email(email, except_id=user.id)
    _check_team(data.team_id)
    if not data.roles:
        raise InvalidInput({"roles": ["Choose at least one role."]})
    before = _snapshot(user)
    user.email, user.name, user.team_id = email, data.name.strip(), data.team_id
    after = _snapshot(user)
    if before != after:
        audit.record(
            by,
            "user.update",
            user,
            summary=f"Updated {user.email}",
            before=before,
            after=after,
        )
    set_roles(user, data.roles, by=by)
    db.session.flush()
    return user


def set_roles(user: User, roles: Iterable[Role], *, by: User | str) -> None:
    """Give ``user`` exactly ``roles``; audited as ``user.roles`` when anything changes.

    :raises NotAllowed: it would remove the last active admin.
    """
    new_roles = frozenset(roles)
    old_roles = user.roles
    if new_roles == old_roles:
        return
    if Role.ADMIN in old_roles and Role.ADMIN not in new_roles and user.is_active:
        _keep_an_admin(user)
    user.role_rows = [row for row in user.role_rows if row.role in new_roles] + [
        UserRole(role=role) for role in sorted(new_roles - old_roles)
    ]
    audit.record(
        by,
        "user.roles",
        user,
        summary=f"Roles of {user.email}: {', '.join(sorted(new_roles))}",
        before={"roles": sorted(old_roles)},
        after={"roles": sorted(new_roles)},
    )
    if Role.REP in new_roles - old_roles:
        rep_created.send(user, by=by)


def _keep_an_admin(leaving: User) -> None:
    others = db.session.scalar(
        select(func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(
            UserRole.role == Role.ADMIN, User.is_active.is_(True), User.id != leaving.id
        )
    )
    if not others:
        raise NotAllowed(
            "Frontline needs at least one active admin; make someone else admin first."
        )


def deactivate_user(user: User, *, by: User | str, reason: str = "") -> None:
    """Stop ``user`` logging in and end all their sessions at once.

    :raises NotAllowed: deactivating yourself, or the last active admin.
    """
    if isinstance(by, User) and by.id == user.id:
        raise NotAllowed("You cannot deactivate your own account.")
    if not user.is_active:
        return
    if Role.ADMIN in user.roles:
        _keep_an_admin(user)
    user.is_active = False
    user.session_version += 1
    audit.record(
        by,
        "user.deactivate",
        user,
        summary=f"Deactivated {user.email}",
        before={"is_active": True},
        after={"is_active": False},
        data={"reason": reason} if reason else None,
    )
    db.session.flush()


def reactivate_user(user: User, *, by: User | str) -> None:
    """Let a deactivated user log in again."""
    if user.is_active:
        return
    user.is_active = True
    audit.record(
        by,
        "user.reactivate",
        user,
        summary=f"Reactivated {user.email}",
        before={"is_active": False},
        after={"is_active": True},
    )
    db.session.flush()


def revoke_sessions(user: User, *, by: User | str) -> None:
    """End every session ``user`` has, on every device."""
    user.session_version += 1
    audit.record(
        by, "user.sessions_revoke", user, summary=f"Signed {user.email} out everywhere"
    )
    db.session.flush()


def set_password(user: User, password: str, *, by: User | str) -> None:
    """Set a new password and end every existing session of ``user``.

    :raises InvalidInput: the password breaks :func:`core.passwords.problems` (under
        ``"password"``); nothing is changed.
    """
    _check_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_version += 1
    audit.record(by, "user.password", user, summary=f"Password set for {user.email}")
    db.session.flush()


def record_login(user: User) -> None:
    """Note a successful login (time and audit event)."""
    user.last_login_at = utcnow()
    audit.record(user, "auth.login", user, summary=f"{user.email} logged in")


def record_failed_login(email: str, user: User | None) -> None:
    """Note a failed login; the e-mail is kept only when it belongs to an account."""
    audit.record(
        "anonymous",
        "auth.login_failed",
        user,
        summary=f"Failed login for {user.email}"
        if user
        else "Failed login for an unknown e-mail",
    )


# --- password links (invitations and resets) -------------------------------------------

_PASSWORD_SALT = "frontline.password-link"  # noqa: S105 (a salt name, not a secret)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_PASSWORD_SALT)


def _fingerprint(user: User) -> str:
    return hash_token(user.password_hash or "")[:16]


def make_password_token(user: User) -> str:
    """A signed link token to set a password; it dies once used or when sessions are revoked."""
    return _serializer().dumps(
        {"u": user.id, "v": user.session_version, "h": _fingerprint(user)}
    )


def issue_password_link(user: User, *, by: User | str) -> str:
    """Make a password-link token for ``user`` and note who made it.

    :return: the token for ``auth.password_set``.
    """
    kind = "reset" if user.has_password else "invitation"
    audit.record(
        by, "user.password_link", user, summary=f"Password {kind} link for {user.email}"
    )
    return make_password_token(user)


def load_password_token(token: str) -> User | None:
    """The active user a password token was made for, or ``None`` if it is invalid or spent."""
    max_age = current_app.config["USER_INVITATION_MAX_AGE"]
    try:
        payload = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, payload.get("u"))
    if (
        user is None
        or not user.is_active
        or user.session_version != payload.get("v")
        or _fingerprint(user) != payload.get("h")
    ):
        return None
    return user


# --- teams ------------------------------------------------------------------------------


def save_team(
    team: Team | None,
    *,
    name: str,
    description: str,
    supervisor_ids: Iterable[int],
    by: User | str,
) -> Team:
    """Create (``team`` is ``None``) or update a team and its supervisors.

    :raises InvalidInput: the name is taken or a supervisor lacks the supervisor role.
    """
    name = name.strip()
    clash = db.session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if clash is not None and clash is not team:
        raise InvalidInput({"name": [f"There is already a team called {clash.name}."]})
    supervisors = list(
        db.session.scalars(select(User).where(User.id.in_(list(supervisor_ids))))
    )
    not_supervisors = [u.name for u in supervisors if Role.SUPERVISOR not in u.roles]
    if not_supervisors:
        raise InvalidInput(
            {
                "supervisor_ids": [
                    f"{', '.join(not_supervisors)} do not hold the supervisor role."
                ]
            }
        )
    before = None
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    else:
        before = {
            "name": team.name,
            "description": team.description,
            "supervisors": sorted(u.id for u in team.supervisors),
        }
    team.name, team.description, team.supervisors = (
        name,
        description.strip(),
        supervisors,
    )
    db.session.flush()
    after = {
        "name": team.name,
        "description": team.description,
        "supervisors": sorted(u.id for u in supervisors),
    }
    action = "team.create" if before is None else "team.update"
    audit.record(
        by,
        action,
        team,
        summary=f"{action.split('.')[1].title()}d team {team.name}",
        before=before,
        after=after,
    )
    return team


# --- API tokens -------------------------------------------------------------------------


def create_api_token(name: str, role: Role, *, by: User | str) -> tuple[ApiToken, str]:
    """Make an API token; the secret is returned once and only its hash is stored.

    :raises InvalidInput: a role tokens may not act with (rep: a token is not one person).
    :return: the token row and the secret to hand over.
    """
    if role not in TOKEN_ROLES:
        raise InvalidInput({"role": [retired_token_role_message(role)]})
    secret = new_token("fl")
    token = ApiToken(
        name=name.strip(),
        role=role,
        token_hash=hash_token(secret),
        token_prefix=secret[:10],
        created_by_id=by.id if isinstance(by, User) else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        by, "api_token.create", token, summary=f"API token {token.name!r} ({role})"
    )
    return token, secret


def revoke_api_token(token: ApiToken, *, by: User | str) -> None:
    """Stop a token working at once."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit.record(
        by, "api_token.revoke", token, summary=f"Revoked API token {token.name!r}"
    )
    db.session.flush()
