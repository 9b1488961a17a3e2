"""A small organisation with hand-worked scores, for scoring, scorecard and delivery tests.

Team "Desk" (supervisor Sam) has reps Ann and Bob; team "Other" (supervisor Olga) has
Cat. Tickets are chat, normal priority (resolution target 8 h), times in UTC.

March 2024:
  Ann  A1 solved in 1 h, satisfied; A2 in 10 h (late), satisfied; A3 in 2 h, not
       satisfied, reopened once; A4 in 30 min, not rated.
       -> 4 solved, timely 3/4 = 75%, rated 3, satisfied 2, reopen rate 25%.
  Bob  B1, B2 each solved in 1 h, satisfied -> timely 100%, rated 2, satisfied 2.
  Organisation CSAT 4 of 5 = 80%.
February 2024:
  Ann  F1, F2 solved in 1 h, not satisfied -> CSAT 0 of 2 (organisation 0%).

The plan: CSAT weight 60 (threshold 80, target 95), timely weight 40 (threshold 50,
target 100), k = 5, at least 2 solved and 3 rated, 15+ points pay 50% and 80+ pay 100% of
a 200 USD target bonus.

March: Ann's CSAT (2 + 5 x 0.8) / (3 + 5) = 75%: below 80, no credit; timely 75%: half of
40 = 20 points. Score 20, eligible, pays 100.00 USD. Bob's CSAT (2 + 4) / (2 + 5) = 85.71%:
(85.71 - 80) / 15 x 60 = 22.86; timely 40. Score 62.86, not eligible (2 rated).
February: Ann's CSAT 0%: below threshold again, so she is offered coaching on CSAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.access import Role
from core.db import db
from core.people import Team, User
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plans
from incentives.scoring.models import PlanVersion
from incentives.tickets import operations
from incentives.tickets.models import Ticket
from tests.factories import make_team, make_user

UTC = ZoneInfo("UTC")
PLAN = {
    "name": "Desk plan",
    "currency": "USD",
    "target_bonus": 200,
    "csat_prior_strength": 5,
    "eligibility": {"min_solved": 2, "min_rated": 3},
    "metrics": {
        "csat": {"weight": 60, "threshold": 80, "target": 95},
        "timely_rate": {"weight": 40, "threshold": 50, "target": 100},
    },
    "payout": {"tiers": [{"score": 15, "percent": 50}, {"score": 80, "percent": 100}]},
}


def ticket(
    key: str,
    who: User,
    created: str,
    solved: str,
    csat: str = "",
    reopens: int = 0,
) -> dict[str, Any]:
    return {
        "ticket_id": key,
        "channel": "chat",
        "agent_email": who.email,
        "priority": "normal",
        "created_at": created,
        "first_response_at": created,
        "solved_at": solved,
        "csat": csat,
        "reopens": reopens,
    }


@dataclass
class World:
    desk: Team
    other: Team
    sam: User
    olga: User
    ann: User
    bob: User
    cat: User
    leader: User
    admin: User
    version: PlanVersion
    tickets: dict[str, int] = field(default_factory=dict)


def build() -> World:
    """Make the organisation, import its tickets and save the plan (flushed only)."""
    sam = make_user(Role.SUPERVISOR, name="Sam Supervisor", email="sam@example.com")
    olga = make_user(Role.SUPERVISOR, name="Olga Other", email="olga@example.com")
    desk = make_team("Desk", supervisors=[sam])
    other = make_team("Other", supervisors=[olga])
    ann = make_user(Role.REP, name="Ann Example", email="ann@example.com", team=desk)
    bob = make_user(Role.REP, name="Bob Example", email="bob@example.com", team=desk)
    cat = make_user(Role.REP, name="Cat Example", email="cat@example.com", team=other)
    leader = make_user(Role.LEADERSHIP, name="Lee Leader", email="lee@example.com")
    admin = make_user(Role.ADMIN, name="Ada Admin", email="ada@example.com")
    records = [
        ticket("A1", ann, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "good"),
        ticket("A2", ann, "2024-03-05T09:00:00Z", "2024-03-05T19:00:00Z", "good"),
        ticket("A3", ann, "2024-03-06T09:00:00Z", "2024-03-06T11:00:00Z", "bad", 1),
        ticket("A4", ann, "2024-03-07T09:00:00Z", "2024-03-07T09:30:00Z"),
        ticket("B1", bob, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "good"),
        ticket("B2", bob, "2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", "good"),
        ticket("F1", ann, "2024-02-10T09:00:00Z", "2024-02-10T10:00:00Z", "bad"),
        ticket("F2", ann, "2024-02-11T09:00:00Z", "2024-02-11T10:00:00Z", "bad"),
    ]
    outcome = operations.import_ticket_records(
        records, source="desk", by="test", tz=UTC
    )
    assert outcome.status == "imported", outcome.as_dict()
    version, _ = scoring_operations.save_plan(
        None, scoring_operations.check_plan(PLAN), by="test"
    )
    world = World(desk, other, sam, olga, ann, bob, cat, leader, admin, version)
    world.tickets = {
        t.external_id: t.id
        for t in db.session.scalars(select(Ticket).where(Ticket.source == "desk"))
    }
    return world


def reimport(*records: dict[str, Any]) -> None:
    """Import more tickets (or changed ones) under the same source."""
    outcome = operations.import_ticket_records(
        list(records), source="desk", by="test", tz=UTC
    )
    assert outcome.status == "imported", outcome.as_dict()


def plan_data(**changes: Any) -> plans.Plan:
    return scoring_operations.check_plan({**PLAN, **changes})
