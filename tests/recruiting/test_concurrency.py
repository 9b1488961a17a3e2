"""The same one-time action posted from several tabs at once (or a double click): every
post ends in a redirect, none in an error, and the action happens once.

Each test runs the real app on a database of its own (a file on SQLite, a scratch
database on PostgreSQL when ``FRONTLINE_TEST_DATABASE_URL`` is set), with one browser
session per thread and the posts released together.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.access import Role
from core.db import db
from core.people import User
from recruiting.assessment import COMPETENCIES
from recruiting.models import (
    Candidate,
    InterviewScorecard,
    Invitation,
    ResultRating,
    StageChange,
)
from recruiting.pipeline import Stage
from tests.factories import make_team, make_user
from tests.helpers import logged_in_tabs, post_together
from tests.recruiting.factories import answer_all, make_candidate, make_opening

TABS = 3


def _world(app: Flask, *, blind: bool = False) -> dict[str, int]:
    """A manager, and candidates at offer and at interview, with a result; committed."""
    with app.app_context():
        manager = make_user(Role.HIRING_MANAGER, name="Rae Racer")
        team = make_team("Race team")
        opening = make_opening(manager, team=team, blind=blind)
        offer = make_candidate(opening, manager, stage=Stage.OFFER)
        interview = make_candidate(opening, manager, stage=Stage.INTERVIEW)
        tested = make_candidate(opening, manager, stage=Stage.SCREENING)
        answer_all(tested, manager)
        fresh = make_candidate(opening, manager, stage=Stage.SCREENING)
        db.session.commit()
        ids = {
            "manager": manager.id,
            "team": team.id,
            "offer": offer.id,
            "interview": interview.id,
            "tested": tested.id,
            "fresh": fresh.id,
        }
        db.session.remove()
        return ids


def _tabs(app: Flask, user_id: int) -> list[tuple[FlaskClient, str]]:
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
        db.session.remove()
    return logged_in_tabs(app, session_id, TABS)


def _count(app: Flask, stmt: sa.Select) -> int:
    with app.app_context():
        found = db.session.scalar(stmt)
        db.session.remove()
        return found


def test_the_same_hire_from_several_tabs_hires_once(race_app) -> None:
    world = _world(race_app)
    tabs = _tabs(race_app, world["manager"])
    url = f"/recruiting/candidates/{world['offer']}/hire"
    statuses = post_together(tabs, url, {"team_id": str(world["team"])})
    assert statuses == [302] * TABS
    assert (
        _count(
            race_app, sa.select(sa.func.count()).where(User.team_id == world["team"])
        )
        == 1
    )
    hires = sa.select(sa.func.count()).where(
        StageChange.candidate_id == world["offer"], StageChange.to_stage == Stage.HIRED
    )
    assert _count(race_app, hires) == 1


def test_the_same_rating_from_several_tabs_is_one_rating(race_app) -> None:
    world = _world(race_app, blind=True)
    tabs = _tabs(race_app, world["manager"])
    url = f"/recruiting/candidates/{world['tested']}/rating"
    statuses = post_together(tabs, url, {"rating": "4"})
    assert statuses == [302] * TABS
    ratings = sa.select(sa.func.count()).where(
        ResultRating.candidate_id == world["tested"]
    )
    assert _count(race_app, ratings) == 1


def test_the_same_scorecard_from_several_tabs_is_one_scorecard(race_app) -> None:
    world = _world(race_app)
    tabs = _tabs(race_app, world["manager"])
    url = f"/recruiting/candidates/{world['interview']}/scorecard"
    levels = {c.value: "4" for c in COMPETENCIES}
    statuses = post_together(tabs, url, {**levels, "recommendation": "hire"})
    assert statuses == [302] * TABS
    cards = sa.select(sa.func.count()).where(
        InterviewScorecard.candidate_id == world["interview"]
    )
    assert _count(race_app, cards) == 1


def test_the_same_test_link_from_several_tabs_is_one_link(race_app) -> None:
    world = _world(race_app)
    tabs = _tabs(race_app, world["manager"])
    url = f"/recruiting/candidates/{world['fresh']}/invitations"
    statuses = post_together(tabs, url, {"days": "7"})
    assert statuses == [302] * TABS
    links = sa.select(sa.func.count()).where(
        Invitation.candidate_id == world["fresh"], Invitation.revoked_at.is_(None)
    )
    assert _count(race_app, links) == 1
    made = sa.select(sa.func.count()).where(Invitation.candidate_id == world["fresh"])
    assert _count(race_app, made) == 1


def test_moving_from_several_tabs_moves_once(race_app) -> None:
    world = _world(race_app)
    tabs = _tabs(race_app, world["manager"])
    url = f"/recruiting/candidates/{world['tested']}/move"
    statuses = post_together(tabs, url, {"to_stage": "interview"})
    # The first tab moves the candidate; the others are told it is already there.
    assert statuses == [302] * TABS
    moves = sa.select(sa.func.count()).where(
        StageChange.candidate_id == world["tested"],
        StageChange.to_stage == Stage.INTERVIEW,
    )
    assert _count(race_app, moves) == 1
    with race_app.app_context():
        assert db.session.get(Candidate, world["tested"]).stage is Stage.INTERVIEW
        db.session.remove()
