"""The test isolation holds: what one test writes, even to data a module shares, is gone
for the next test (tests/conftest.py, ``module_seed``). The cases run in file order."""

from __future__ import annotations

import pytest
from flask import Flask

from core.db import db
from core.people import User
from tests.factories import make_user


@pytest.fixture(scope="module")
def shared_user_id(module_seed) -> int:
    with module_seed():
        user = make_user(name="Shared Sam", email="sam@example.com")
    return user.id


def test_a_test_may_change_and_commit_the_shared_records(
    app: Flask, shared_user_id: int
) -> None:
    with app.app_context():
        user = db.session.get(User, shared_user_id)
        user.name = "Changed by a test"
        make_user(email="extra@example.com")
        db.session.commit()
        assert db.session.get(User, shared_user_id).name == "Changed by a test"


def test_the_next_test_sees_the_shared_records_as_built(
    app: Flask, shared_user_id: int
) -> None:
    with app.app_context():
        assert db.session.get(User, shared_user_id).name == "Shared Sam"
        emails = db.session.scalars(db.select(User.email)).all()
        assert emails == ["sam@example.com"]
