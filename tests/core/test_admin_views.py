"""Admin pages: managing users, teams and tokens through the forms; the audit page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import ApiToken, Team, User, hash_token
from tests.factories import make_api_token, make_team, make_user
from tests.helpers import post_form, text


@pytest.fixture
def admin(seed, login_as, client):
    with seed():
        user = make_user(Role.ADMIN, name="Ada Admin")
    login_as(user)
    return user


def test_create_user_with_invitation_shows_the_link(app: Flask, client, admin) -> None:
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Nia New",
            "email": "nia@example.com",
            "roles": ["rep", "supervisor"],
            "team_id": "0",
            "access": "invite",
        },
        token_from="/admin/users/new",
    )
    # Post/redirect/get: the link is shown once, on the page the post leads to.
    assert response.status_code == 302
    page_url = response.headers["Location"]
    body = text(client.get(page_url))
    assert "Invitation link for Nia New" in body
    link = re.search(
        r'value="(http://frontline\.test/auth/set-password/[^"]+)"', body
    ).group(1)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia@example.com"))
        assert user.roles == {Role.REP, Role.SUPERVISOR}
        assert user.password_hash is None
    anonymous = app.test_client()
    assert "Choose your password" in text(
        anonymous.get(link.replace("http://frontline.test", ""))
    )
    again = text(client.get(page_url))
    assert link not in again
    assert "This link was shown once" in again


def test_create_user_form_reshows_with_messages(client, admin) -> None:
    response = post_form(
        client,
        "/admin/users/new",
        {"name": "", "email": "not-an-email", "access": "password"},
        token_from="/admin/users/new",
    )
    body = text(response)
    assert response.status_code == 200
    assert "This field is required." in body
    assert "Invalid email address." in body
    assert "Choose at least one role." in body
    assert "Enter a password, or choose to send a link instead." in body
    assert 'value="not-an-email"' in body


def test_duplicate_email_is_shown_on_the_field(client, admin) -> None:
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Again",
            "email": admin.email.upper(),
            "roles": ["rep"],
            "team_id": "0",
            "access": "password",
            "password": "long password!",
        },
        token_from="/admin/users/new",
    )
    assert f"{admin.email} already has an account." in text(response)


def test_edit_roles_and_team(app: Flask, client, admin, seed) -> None:
    with seed():
        team = make_team("Night owls")
        user = make_user(Role.REP, name="Ravi Rep")
    response = post_form(
        client,
        f"/admin/users/{user.id}/edit",
        {
            "name": "Ravi Rep",
            "email": user.email,
            "roles": ["rep", "hiring_manager"],
            "team_id": str(team.id),
        },
        token_from=f"/admin/users/{user.id}/edit",
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert saved.roles == {Role.REP, Role.HIRING_MANAGER}
        assert saved.team_id == team.id
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(user.id))
            )
        )
        assert {"user.roles", "user.update"} <= actions


def test_removing_your_own_last_admin_role_is_refused_on_the_form(
    client, admin
) -> None:
    response = post_form(
        client,
        f"/admin/users/{admin.id}/edit",
        {"name": admin.name, "email": admin.email, "roles": ["rep"], "team_id": "0"},
        token_from=f"/admin/users/{admin.id}/edit",
    )
    assert response.status_code == 200
    assert "at least one active admin" in text(response)


def test_deactivate_and_reactivate(app: Flask, client, admin, seed) -> None:
    with seed():
        user = make_user(Role.REP)
    page = f"/admin/users/{user.id}"
    response = post_form(
        client,
        f"{page}/deactivate",
        {"reason": "left"},
        token_from=page,
        follow_redirects=True,
    )
    assert "is deactivated" in text(response)
    with app.app_context():
        assert not db.session.get(User, user.id).is_active
    post_form(client, f"{page}/reactivate", token_from=page)
    with app.app_context():
        assert db.session.get(User, user.id).is_active


def test_admin_cannot_deactivate_themselves(client, admin) -> None:
    page = f"/admin/users/{admin.id}"
    response = post_form(
        client, f"{page}/deactivate", token_from=page, follow_redirects=True
    )
    assert "You cannot deactivate your own account." in text(response)


def test_user_list_filters(client, admin, seed) -> None:
    with seed():
        team = make_team("Filters team")
        make_user(Role.SUPERVISOR, name="Sue Supervisor", team=team)
        make_user(Role.REP, name="Rob Rep", team=team)
        make_user(Role.REP, name="Gina Gone", is_active=False)
    body = text(client.get("/admin/users?role=supervisor"))
    assert "Sue Supervisor" in body
    assert "Rob Rep" not in body
    body = text(client.get("/admin/users?q=ROB"))
    assert "Rob Rep" in body
    assert "Sue Supervisor" not in body
    body = text(client.get("/admin/users?status=inactive"))
    assert "Gina Gone" in body
    assert "Rob Rep" not in body
    body = text(client.get(f"/admin/users?team={team.id}"))
    assert "Rob Rep" in body
    assert admin.email not in body


def test_like_wildcards_in_search_are_literal(client, admin, seed) -> None:
    with seed():
        make_user(Role.REP, name="Percy Percent")
    assert "Percy Percent" not in text(client.get("/admin/users?q=%25_"))


def test_create_team_with_supervisor(app: Flask, client, admin, seed) -> None:
    with seed():
        boss = make_user(Role.SUPERVISOR, name="Boss Person")
    response = post_form(
        client,
        "/admin/teams/new",
        {
            "name": "Weekend",
            "description": "Sat and Sun",
            "supervisor_ids": [str(boss.id)],
        },
        token_from="/admin/teams/new",
    )
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Weekend"))
        assert [u.id for u in team.supervisors] == [boss.id]


def test_api_token_is_shown_once_and_stored_hashed(app: Flask, client, admin) -> None:
    response = post_form(
        client,
        "/admin/api-tokens",
        {"name": "Help centre", "role": "supervisor"},
        token_from="/admin/api-tokens",
    )
    assert response.status_code == 302
    shown = response.headers["Location"]
    secret = re.search(r'value="(fl_[^"]+)"', text(client.get(shown))).group(1)
    assert secret not in text(client.get(shown))  # a reload shows it no more
    with app.app_context():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.name == "Help centre")
        )
        assert token.token_hash == hash_token(secret)
    assert secret not in text(client.get("/admin/api-tokens"))


def test_the_token_form_does_not_offer_the_rep_role(app: Flask, client, admin) -> None:
    page = text(client.get("/admin/api-tokens"))
    assert 'value="supervisor"' in page
    assert 'value="rep"' not in page
    assert "cannot act as a rep" in page
    response = post_form(
        client,
        "/admin/api-tokens",
        {"name": "Help centre", "role": "rep"},
        token_from="/admin/api-tokens",
    )
    assert response.status_code == 200
    assert "Not a valid choice" in text(response)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_a_rep_token_made_before_is_marked_as_no_longer_working(
    client, admin, seed
) -> None:
    with seed():
        make_api_token(Role.REP, name="Old help centre")
        make_api_token(Role.SUPERVISOR, name="Helpdesk")
    rows = text(client.get("/admin/api-tokens")).split("<tr")
    old = next(row for row in rows if "Old help centre" in row)
    current = next(row for row in rows if "Helpdesk" in row)
    assert "No longer supported" in old
    assert "No longer supported" not in current


def test_audit_page_filters_by_action_and_record(client, admin, seed) -> None:
    with seed():
        user = make_user(Role.REP, name="Audited Person")
    page = f"/admin/users/{user.id}"
    post_form(client, f"{page}/sessions/revoke", token_from=page)
    body = text(
        client.get(
            f"/admin/audit?action=user.sessions_revoke&subject_type=User"
            f"&subject_id={user.id}"
        )
    )
    assert "Signed" in body
    assert user.email in body
    body = text(client.get("/admin/audit?action=user.create"))
    assert "Signed" not in body


def test_audit_page_rejects_a_bad_date_without_crashing(client, admin) -> None:
    response = client.get("/admin/audit?date_from=not-a-date")
    assert response.status_code == 200
    assert "Not a valid date value." in text(response)
