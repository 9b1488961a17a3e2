"""The month metrics' inputs besides tickets: every change to people, agents, SLA targets or
opening hours that the figures read renews the token (and so the fingerprint); logins and
the like do not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core import accounts
from core.access import Role
from core.db import db, utcnow
from incentives import month_cache
from incentives.tickets import agent_operations, operations
from incentives.tickets.metrics import SlaTarget
from incentives.tickets.models import TicketAgent
from tests.factories import make_team, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def org() -> dict[str, Any]:
    chat, phone = make_team("Chat"), make_team("Phone")
    admin = make_user(Role.ADMIN, name="Ada")
    ana = make_user(Role.REP, email="ana@example.com", name="Ana", team=chat)
    sup = make_user(Role.SUPERVISOR, name="Sup")
    agent = TicketAgent(key="agent007", label="Agent 007", first_seen_at=utcnow())
    db.session.add(agent)
    db.session.commit()
    return {"chat": chat, "phone": phone, "admin": admin, "ana": ana, "sup": sup}


def _rename(o: dict[str, Any]) -> None:
    o["ana"].name = "Ana Lima"


def _new_email(o: dict[str, Any]) -> None:
    o["ana"].email = "ana.lima@example.com"


def _move(o: dict[str, Any]) -> None:
    o["ana"].team = o["phone"]


def _deactivate(o: dict[str, Any]) -> None:
    accounts.deactivate_user(o["ana"], by=o["admin"])


def _make_rep(o: dict[str, Any]) -> None:
    accounts.set_roles(o["sup"], [Role.SUPERVISOR, Role.REP], by=o["admin"])


def _no_longer_rep(o: dict[str, Any]) -> None:
    accounts.set_roles(o["ana"], [Role.SUPERVISOR], by=o["admin"])


def _new_rep(o: dict[str, Any]) -> None:
    make_user(Role.REP, name="Bo", team=o["chat"])


def _rename_team(o: dict[str, Any]) -> None:
    o["chat"].name = "Live chat"


def _map_agent(o: dict[str, Any]) -> None:
    agent = db.session.query(TicketAgent).one()
    agent_operations.map_agent(agent, rep=o["ana"], by=o["admin"])


def _new_agent(o: dict[str, Any]) -> None:
    db.session.add(TicketAgent(key="agent9", label="Agent 9", first_seen_at=utcnow()))


def _sla_target(o: dict[str, Any]) -> None:
    operations.save_sla_targets({("email", "high"): SlaTarget(45, 6)}, by=o["admin"])


def _opening_hours(o: dict[str, Any]) -> None:
    operations.save_opening_hours({0: (540, 1020)}, {}, by=o["admin"])


def _holiday_only(o: dict[str, Any]) -> None:
    # Hours set first (committed), then a holiday added: the second change counts too.
    operations.save_opening_hours({0: (540, 1020)}, {}, by=o["admin"])
    db.session.commit()
    o["before"] = (month_cache.current_token(db.session), month_cache.figures_version())
    operations.save_opening_hours(
        {0: (540, 1020)}, {dt.date(2026, 12, 25): "Christmas"}, by=o["admin"]
    )


def _no_hours_again(o: dict[str, Any]) -> None:
    operations.save_opening_hours({0: (540, 1020)}, {}, by=o["admin"])
    db.session.commit()
    o["before"] = (month_cache.current_token(db.session), month_cache.figures_version())
    operations.save_opening_hours({}, {}, by=o["admin"])


CHANGES: list[Callable[[dict[str, Any]], None]] = [
    _rename,
    _new_email,
    _move,
    _deactivate,
    _make_rep,
    _no_longer_rep,
    _new_rep,
    _rename_team,
    _map_agent,
    _new_agent,
    _sla_target,
    _opening_hours,
    _holiday_only,
    _no_hours_again,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_change_the_metrics_read_gives_a_new_fingerprint(org, change) -> None:
    before = (month_cache.current_token(db.session), month_cache.figures_version())
    change(org)
    db.session.commit()
    before = org.get("before", before)
    after = (month_cache.current_token(db.session), month_cache.figures_version())
    assert after[0] != before[0]
    assert after[1] != before[1]


def test_logins_and_passwords_leave_it_alone(org) -> None:
    before = month_cache.figures_version()
    ana = org["ana"]
    ana.last_login_at = utcnow()
    ana.session_version += 1
    ana.password_changed_at = utcnow()
    org["chat"].supervisors = [org["sup"], org["admin"]]
    db.session.commit()
    assert month_cache.figures_version() == before


def test_a_change_rolled_back_keeps_the_token(org) -> None:
    before = month_cache.current_token(db.session)
    org["ana"].name = "Someone else"
    db.session.flush()
    assert month_cache.current_token(db.session) != before
    db.session.rollback()
    assert month_cache.current_token(db.session) == before
