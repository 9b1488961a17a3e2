"""Training factories: scenarios, authorities, attempts and grants. They flush, never commit."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from core.db import db, utcnow
from core.people import User
from training import authority_operations, operations, queries
from training.models import Attempt, Authority, Grant, SignoffRequest
from training.scenarios import Scenario, parse_scenario

#: A small scenario: start -> (good | poor) -> end, with a fail ending. Best score 20.
SMALL = """
key: small
title: A small scenario
channel: chat
pass_mark: 75
attempts_allowed: 2
cooldown_hours: 2
certifies: [refund]
coaches: [csat]
start: start
nodes:
  start:
    customer: My order is late.
    choices:
      - {text: Apologise and check the order, points: 10, feedback: Good, next: middle}
      - {text: Blame the courier, points: 0, feedback: Poor, next: middle}
      - {text: Close the chat, points: -5, feedback: Bad, next: lost}
  middle:
    customer: So where is it?
    choices:
      - {text: Give tracking and a date, points: 10, feedback: Good, next: happy}
      - {text: Say you do not know, points: 0, feedback: Poor, next: happy}
  happy:
    end: Sorted.
  lost:
    end: Gone.
    success: false
"""


@functools.cache
def small_scenario(text: str = SMALL) -> Scenario:
    return parse_scenario(text, "small.yaml")


@functools.cache
def shipped(key: str) -> Scenario:
    path = operations.SHIPPED_SCENARIOS / f"{key}.yaml"
    return parse_scenario(path.read_text(), path.name)


def load_small() -> None:
    operations.load_scenarios([small_scenario()], by="test")


def make_authority(
    code: str = "refund",
    *,
    max_limit: int = 500,
    two_person_limit: int | None = 200,
    prerequisites: tuple[str, ...] = ("small",),
    validity_days: int = 365,
    unit: str = "USD",
) -> Authority:
    return authority_operations.save_authority(
        None,
        authority_operations.AuthorityInput(
            code=code,
            name=code.replace("_", " ").title(),
            description="",
            unit=unit,
            max_limit=Decimal(max_limit),
            two_person_limit=None
            if two_person_limit is None
            else Decimal(two_person_limit),
            validity_days=validity_days,
            prerequisites=prerequisites,
        ),
        by="test",
    )


def play(
    rep: User, choices: list[int], *, key: str = "small", at: dt.datetime | None = None
) -> Attempt:
    """Start an attempt and take ``choices`` (indexes) in order."""
    at = at or utcnow() - dt.timedelta(hours=1)
    attempt = operations.start_attempt(rep, key, at=at)
    for n, choice in enumerate(choices):
        operations.answer(
            attempt,
            choice_index=choice,
            step=n,
            by=rep,
            at=at + dt.timedelta(minutes=n + 1),
        )
    return attempt


def make_request(
    rep: User, authority: Authority, limit: int = 100, *, by: User | None = None
) -> SignoffRequest:
    return authority_operations.request_signoff(
        rep, authority, limit=Decimal(limit), by=by or rep
    )


def make_grant(
    rep: User,
    authority: Authority,
    supervisor: User,
    *,
    limit: int = 100,
    granted_at: dt.datetime | None = None,
) -> Grant:
    """A grant made directly, as a completed sign-off would (no prerequisites checked)."""
    granted_at = granted_at or utcnow() - dt.timedelta(days=1)
    grant = Grant(
        rep_id=rep.id,
        authority_id=authority.id,
        limit=Decimal(limit),
        unit=authority.unit,
        granted_at=granted_at,
        expires_at=granted_at + dt.timedelta(days=authority.validity_days),
        granted_by_id=supervisor.id,
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def current(key: str = "small"):
    return queries.get_current_scenario(key)
