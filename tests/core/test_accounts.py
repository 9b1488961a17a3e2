"""Account operations: every user, role and team change is audited; the rules hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import accounts
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput, NotAllowed
from core.people import User, verify_password
from tests.factories import make_team, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    )


def new(email: str = "Sam@Example.com", *roles: Role, team_id: int | None = None):
    return accounts.UserInput(
        email, " Sam Smith ", frozenset(roles or {Role.REP}), team_id
    )


def test_create_user_normalises_and_audits() -> None:
    admin = make_user(Role.ADMIN)
    team = make_team()
    user = accounts.create_user(
        new(team_id=team.id), by=admin, password="long enough pw"
    )
    assert (user.email, user.name, user.team_id) == (
        "sam@example.com",
        "Sam Smith",
        team.id,
    )
    assert verify_password(user.password_hash, "long enough pw")
    assert user.password_hash.startswith("$argon2id$")
    [event] = events("user.create")
    assert event.actor_id == admin.id
    assert event.subject_id == str(user.id)
    assert event.data["after"]["roles"] == ["rep"]


def test_create_user_refuses_a_taken_email_in_any_case() -> None:
    make_user(email="sam@example.com")
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(new("SAM@example.com"), by="test")
    assert "email" in caught.value.errors


def test_create_user_without_password_waits_for_a_link() -> None:
    user = accounts.create_user(new(), by="test")
    assert user.password_hash is None
    assert accounts.load_password_token(accounts.make_password_token(user)) == user


def test_role_change_is_audited_with_before_and_after() -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.REP)
    accounts.update_user(
        user,
        accounts.UserInput(
            user.email, user.name, frozenset({Role.REP, Role.SUPERVISOR})
        ),
        by=admin,
    )
    assert user.roles == {Role.REP, Role.SUPERVISOR}
    [event] = events("user.roles")
    assert event.data["before"] == {"roles": ["rep"]}
    assert event.data["after"] == {"roles": ["rep", "supervisor"]}
    assert events("user.update") == []


def test_profile_change_is_audited_with_only_the_changed_fields() -> None:
    user = make_user(Role.REP, name="Old Name")
    accounts.update_user(
        user, accounts.UserInput(user.email, "New Name", user.roles), by="t"
    )
    [event] = events("user.update")
    assert event.data == {"before": {"name": "Old Name"}, "after": {"name": "New Name"}}


def test_the_last_admin_cannot_lose_the_role_or_be_deactivated() -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(NotAllowed):
        accounts.set_roles(admin, {Role.REP}, by="test")
    with pytest.raises(NotAllowed):
        accounts.deactivate_user(admin, by="test")
    second = make_user(Role.ADMIN)
    accounts.set_roles(admin, {Role.REP}, by=second)
    assert admin.roles == {Role.REP}


def test_nobody_deactivates_themselves() -> None:
    admin, _other = make_user(Role.ADMIN), make_user(Role.ADMIN)
    with pytest.raises(NotAllowed):
        accounts.deactivate_user(admin, by=admin)


def test_deactivation_bumps_the_session_version_and_is_audited() -> None:
    admin, rep = make_user(Role.ADMIN), make_user(Role.REP)
    version = rep.session_version
    accounts.deactivate_user(rep, by=admin, reason="left the company")
    assert not rep.is_active
    assert rep.session_version == version + 1
    [event] = events("user.deactivate")
    assert event.data["reason"] == "left the company"
    accounts.reactivate_user(rep, by=admin)
    assert rep.is_active
    assert len(events("user.reactivate")) == 1


def test_becoming_a_rep_tells_the_modules() -> None:
    seen: list[int] = []

    def receiver(user: User, by: object) -> None:
        seen.append(user.id)

    accounts.rep_created.connect(receiver)
    try:
        rep = accounts.create_user(new(), by="test")
        supervisor = make_user(Role.SUPERVISOR)
        accounts.set_roles(supervisor, {Role.SUPERVISOR, Role.REP}, by="test")
        accounts.create_user(new("hm@example.com", Role.HIRING_MANAGER), by="test")
    finally:
        accounts.rep_created.disconnect(receiver)
    assert seen == [rep.id, supervisor.id]


def test_password_links_die_when_used() -> None:
    user = make_user(Role.REP)
    token = accounts.make_password_token(user)
    accounts.set_password(user, "a new passphrase", by=user)
    assert accounts.load_password_token(token) is None


def test_team_supervisors_must_hold_the_role() -> None:
    rep = make_user(Role.REP)
    with pytest.raises(InvalidInput) as caught:
        accounts.save_team(
            None, name="Night shift", description="", supervisor_ids=[rep.id], by="test"
        )
    assert "supervisor_ids" in caught.value.errors


def test_team_names_are_unique_ignoring_case() -> None:
    accounts.save_team(
        None, name="Night shift", description="", supervisor_ids=[], by="t"
    )
    with pytest.raises(InvalidInput):
        accounts.save_team(
            None, name="NIGHT SHIFT", description="", supervisor_ids=[], by="t"
        )


def test_team_changes_are_audited() -> None:
    boss = make_user(Role.SUPERVISOR)
    team = accounts.save_team(
        None, name="Night", description="", supervisor_ids=[], by="t"
    )
    accounts.save_team(
        team, name="Night", description="", supervisor_ids=[boss.id], by="t"
    )
    [event] = events("team.update")
    assert event.data == {
        "before": {"supervisors": []},
        "after": {"supervisors": [boss.id]},
    }


def test_api_tokens_keep_only_a_hash() -> None:
    token, secret = accounts.create_api_token(
        "Zendesk sync", Role.HIRING_MANAGER, by="cli"
    )
    assert secret.startswith("fl_")
    assert secret not in token.token_hash
    assert token.token_prefix == secret[:10]
    accounts.revoke_api_token(token, by="cli")
    assert token.is_revoked
    assert [e.action for e in events("api_token.revoke")] == ["api_token.revoke"]
