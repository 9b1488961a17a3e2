"""Access rules for the foundation's endpoints."""

from __future__ import annotations

from core.access import Role
from tests.access import ANYONE_LOGGED_IN, PUBLIC, Access, World, roles

ADMIN = roles(Role.ADMIN)


def populate(world: World) -> None:
    """The foundation's records are the world's users, teams and tokens themselves."""


MATRIX: dict[str, Access] = {
    "main.dashboard": Access(ANYONE_LOGGED_IN, "/"),
    "main.healthz": Access(PUBLIC, "/healthz"),
    "auth.login": Access(PUBLIC, "/auth/login"),
    "auth.logout": Access(ANYONE_LOGGED_IN, "/auth/logout", "POST", ends_session=True),
    "auth.account": Access(ANYONE_LOGGED_IN, "/auth/account"),
    "auth.sessions_revoke": Access(
        ANYONE_LOGGED_IN, "/auth/account/sessions/revoke", "POST"
    ),
    "auth.password_set": Access(PUBLIC, "/auth/set-password/not-a-valid-token"),
    "admin.user_list": Access(ADMIN, "/admin/users"),
    "admin.user_create": Access(ADMIN, "/admin/users/new"),
    "admin.user_detail": Access(ADMIN, lambda w: f"/admin/users/{w.target.id}"),
    "admin.user_edit": Access(ADMIN, lambda w: f"/admin/users/{w.target.id}/edit"),
    "admin.user_deactivate": Access(
        ADMIN, lambda w: f"/admin/users/{w.target.id}/deactivate", "POST"
    ),
    "admin.user_reactivate": Access(
        ADMIN, lambda w: f"/admin/users/{w.target.id}/reactivate", "POST"
    ),
    "admin.user_sessions_revoke": Access(
        ADMIN, lambda w: f"/admin/users/{w.target.id}/sessions/revoke", "POST"
    ),
    "admin.user_password_link": Access(
        ADMIN, lambda w: f"/admin/users/{w.target.id}/password-link", "POST"
    ),
    "admin.user_password_link_page": Access(
        ADMIN, lambda w: f"/admin/users/{w.target.id}/password-link"
    ),
    "admin.team_list": Access(ADMIN, "/admin/teams"),
    "admin.team_create": Access(ADMIN, "/admin/teams/new"),
    "admin.team_edit": Access(ADMIN, lambda w: f"/admin/teams/{w.team.id}/edit"),
    "admin.settings_edit": Access(ADMIN, "/admin/settings"),
    "admin.api_token_list": Access(ADMIN, "/admin/api-tokens"),
    "admin.api_token_revoke": Access(
        ADMIN, lambda w: f"/admin/api-tokens/{w.extra['token_id']}/revoke", "POST"
    ),
    "admin.audit_list": Access(roles(Role.ADMIN, Role.LEADERSHIP), "/admin/audit"),
    "api.openapi": Access(PUBLIC, "/api/v1/openapi.json", api=True),
    # A token made as rep is refused everywhere (a token is not one person).
    "api.me": Access(
        roles(Role.ADMIN, Role.HIRING_MANAGER, Role.SUPERVISOR, Role.LEADERSHIP),
        "/api/v1/me",
        api=True,
    ),
}
