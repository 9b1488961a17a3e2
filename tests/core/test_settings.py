"""Admin settings: defaults, validation, audit, and the settings page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from core import settings
from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput
from tests.factories import make_user
from tests.helpers import post_form, text

SPEC = settings.SettingSpec(
    key="test_retention_months",
    label="Keep test data",
    help="How long.",
    default=6,
    minimum=1,
    maximum=120,
    unit="months",
)


@pytest.fixture
def registered(app: Flask) -> Iterator[None]:
    registry = app.extensions.setdefault("frontline.settings", {})
    registry[SPEC.key] = SPEC
    yield
    registry.pop(SPEC.key)


@pytest.mark.usefixtures("app_ctx", "registered")
def test_default_then_stored_value_and_audit() -> None:
    assert settings.get_setting(SPEC.key) == 6
    admin = make_user(Role.ADMIN)
    settings.set_setting(SPEC.key, "18", by=admin)
    assert settings.get_setting(SPEC.key) == 18
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "setting.update")
    )
    assert event.data == {"before": {SPEC.key: 6}, "after": {SPEC.key: 18}}
    assert event.actor_id == admin.id


@pytest.mark.usefixtures("app_ctx", "registered")
@pytest.mark.parametrize("bad", ["0", "121", "six", None])
def test_values_out_of_range_are_refused(bad) -> None:
    with pytest.raises(InvalidInput):
        settings.set_setting(SPEC.key, bad, by="test")


@pytest.mark.usefixtures("registered")
def test_settings_page_saves_and_reshows_errors(
    app: Flask, client, seed, login_as
) -> None:
    with seed():
        admin = make_user(Role.ADMIN)
    login_as(admin)
    assert "Keep test data (months)" in text(client.get("/admin/settings"))
    response = post_form(
        client, "/admin/settings", {SPEC.key: "500"}, token_from="/admin/settings"
    )
    assert "Number must be between 1 and 120." in text(response)
    response = post_form(
        client, "/admin/settings", {SPEC.key: "24"}, token_from="/admin/settings"
    )
    assert response.status_code == 302
    with app.app_context():
        assert settings.get_setting(SPEC.key) == 24


def test_a_setting_whose_range_starts_at_0_saves_0_and_refuses_blank(
    app: Flask, client, seed, login_as
) -> None:
    with seed():
        admin = make_user(Role.ADMIN)
    login_as(admin)
    key = "incentives_payout_budget"
    page = "/admin/settings"
    saved = post_form(client, page, {key: "2500"}, token_from=page)
    assert saved.status_code == 302
    saved = post_form(client, page, {key: "0"}, token_from=page)
    assert saved.status_code == 302
    blank = post_form(client, page, {key: ""}, token_from=page)
    assert blank.status_code == 200
    assert "Monthly payout budget" in text(blank)
    with app.app_context():
        assert settings.get_setting(key) == 0
