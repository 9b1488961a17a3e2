"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from core.db import db
from tests.conftest import make_test_app


@pytest.fixture
def fresh_app(scratch_database_url: str) -> Iterator[Flask]:
    app = make_test_app(scratch_database_url)
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def test_upgrade_to_head_matches_the_models(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        upgrade(revision="heads")
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], (
            f"models and migrations differ; run `flask db migrate`: {diff}"
        )


def test_downgrade_to_base_and_up_again(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        upgrade(revision="heads")
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(revision="heads")
