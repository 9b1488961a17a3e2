"""A form that creates something unique (a team, a user), posted from several tabs at once:
the database keeps one, and the other posts get our 409 page, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask

from core.access import Role
from core.db import db
from core.people import Team, User
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.helpers import logged_in_tabs, post_together, text

TABS = 3


def _admin_tabs(app: Flask) -> list:
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        session_id = admin.get_id()
        db.session.remove()
    return logged_in_tabs(app, session_id, TABS)


@pytest.mark.parametrize(
    ("url", "form", "model", "where"),
    [
        (
            "/admin/teams/new",
            {"name": "Weekend desk"},
            Team,
            Team.name == "Weekend desk",
        ),
        (
            "/admin/users/new",
            {
                "email": "new.rep@example.org",
                "name": "New Rep",
                "roles": "rep",
                "access": "invite",
            },
            User,
            User.email == "new.rep@example.org",
        ),
    ],
    ids=["team", "user"],
)
def test_the_same_record_created_from_several_tabs_is_made_once(
    race_app, url, form, model, where
) -> None:
    statuses = post_together(_admin_tabs(race_app), url, form)
    assert 500 not in statuses
    assert set(statuses) <= {200, 302, 409}, statuses
    with race_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(where)) == 1
        db.session.remove()


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("orig", "status"),
    [
        (_Orig("duplicate key value violates unique constraint", "23505"), 409),
        (_Orig("insert or update violates foreign key constraint", "23503"), 409),
        (_Orig("null value in column violates not-null constraint", "23502"), 500),
        (_Orig("UNIQUE constraint failed: teams.name", None), 409),
        (_Orig("NOT NULL constraint failed: teams.name", None), 500),
    ],
)
def test_a_clash_between_requests_is_a_polite_409_and_a_bug_stays_a_500(
    database_url, orig, status
) -> None:
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("clash", __name__)

    @bp.route("/clash")
    def clash() -> str:
        raise sa.exc.IntegrityError("INSERT ...", {}, orig)

    app.register_blueprint(bp)
    response = app.test_client().get("/clash")
    assert response.status_code == status
    assert "constraint" not in text(response)
    if status == 409:
        assert "saved at the same moment by another request" in text(response)
