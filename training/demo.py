"""Training demo data, added after the demo organisation's people exist.

The shipped scenarios and catalogue, an onboarding curriculum for every rep, and a few
weeks of history: attempts passed, failed and in progress, overdue work, sign-offs waiting,
grants (some about to expire, one revoked). Idempotent: the history is added once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from core.access import Role
from core.db import db, utcnow
from core.demo import ACTOR, DemoResult
from core.people import User
from training import (
    assignment_operations,
    authority_operations,
    authority_queries,
    notice_operations,
    operations,
)
from training.models import Assignment, Attempt, Curriculum, Grant
from training.scenarios import Scenario

ONBOARDING = "Onboarding essentials"
CURRICULA = {
    ONBOARDING: (
        "The four situations every new rep meets in their first month.",
        [
            "refund-limits",
            "lost-shipment",
            "angry-repeat-caller",
            "negative-public-review",
        ],
        True,
    ),
    "Speaking in public": (
        "Replying where everyone can read it: review sites and social media.",
        ["negative-public-review", "social-media-complaint"],
        False,
    ),
}


def build(result: DemoResult) -> None:
    """Add this module's demo records; idempotent like every demo step."""
    operations.install_shipped_content(by=ACTOR)
    grace = result.users["grace.lee@example.com"]
    for name, (description, keys, onboarding) in CURRICULA.items():
        if db.session.scalar(select(Curriculum).where(Curriculum.name == name)) is None:
            operations.save_curriculum(
                None,
                name=name,
                description=description,
                scenario_keys=keys,
                is_onboarding=onboarding,
                by=grace,
            )
    reps = sorted(result.by_role(Role.REP), key=lambda u: u.email)
    for rep in reps:
        operations.assign_onboarding(rep, by=ACTOR)
    if db.session.scalar(select(func.count()).select_from(Attempt)):
        result.notes.append("Training history already there; left as it was.")
        return
    _history(result)
    # What the daily `authorities recertify` does: grants ending within 30 days get their
    # scenarios assigned again.
    now = utcnow()
    recertified = assignment_operations.assign_recertification(
        at=now, within=dt.timedelta(days=30), today=assignment_operations.org_date(now)
    )
    # What the daily `notices send` does: today's notices for each rep.
    notices = notice_operations.raise_notices(
        at=now, today=assignment_operations.org_date(now)
    )
    result.notes.append(
        "Training: 8 scenarios, 5 authorities, attempts, sign-offs and grants added; "
        f"{len(recertified)} recertification assignments for grants ending soon; "
        f"{len(notices)} notices."
    )


@dataclass(frozen=True)
class Path:
    choices: tuple[int, ...]
    points: int
    success: bool


def _paths(scenario: Scenario) -> list[Path]:
    """Every loop-free play-through, to pick a passing, failing or partial one."""
    found: list[Path] = []

    def walk(
        key: str, taken: tuple[int, ...], points: int, seen: frozenset[str]
    ) -> None:
        node = scenario.nodes[key]
        if node.is_end:
            found.append(Path(taken, points, node.success))
            return
        for i, choice in enumerate(node.choices):
            if choice.next not in seen:
                walk(
                    choice.next,
                    (*taken, i),
                    points + choice.points,
                    seen | {choice.next},
                )

    walk(scenario.start, (), 0, frozenset({scenario.start}))
    return found


def _play(rep: User, key: str, outcome: str, at: dt.datetime) -> Attempt:
    """Play ``key`` as ``rep`` starting at ``at``: "pass", "fail" or "progress"."""
    attempt = operations.start_attempt(rep, key, at=at)
    paths = _paths(attempt.scenario_version.scenario)
    if outcome == "fail":
        path = min(paths, key=lambda p: (p.success, p.points))
    else:
        path = max(paths, key=lambda p: (p.success, p.points))
    steps = path.choices[:2] if outcome == "progress" else path.choices
    for n, choice in enumerate(steps):
        operations.answer(
            attempt,
            choice_index=choice,
            step=n,
            by=rep,
            at=at + dt.timedelta(minutes=2 * (n + 1)),
        )
    return attempt


def _grant(
    rep: User,
    code: str,
    limit: int,
    supervisor: User,
    at: dt.datetime,
    *,
    approve: bool = True,
) -> Grant | None:
    authority = authority_queries.get_authority_by_code(code)
    request = authority_operations.request_signoff(
        rep, authority, limit=Decimal(limit), by=rep, at=at, note="Ready for this."
    )
    if not approve:
        return None
    return authority_operations.approve_signoff(
        request, by=supervisor, limit=Decimal(limit), at=at + dt.timedelta(hours=3)
    )


def _history(result: DemoResult) -> None:
    now = utcnow().replace(microsecond=0)
    days = lambda n: now - dt.timedelta(days=n)  # noqa: E731
    users = result.users
    grace, marco = users["grace.lee@example.com"], users["marco.rossi@example.com"]
    rep = {u.email.split(".")[0]: u for u in result.by_role(Role.REP)}

    # Chat & Social (Grace Lee).
    _play(rep["amara"], "refund-limits", "pass", days(345))
    _grant(rep["amara"], "refund", 150, grace, days(340))  # expires in 25 days
    _play(rep["amara"], "lost-shipment", "pass", days(6))
    _play(rep["amara"], "negative-public-review", "fail", days(2))
    _play(rep["amara"], "angry-repeat-caller", "progress", days(1))
    _grant(rep["amara"], "replacement", 100, grace, days(1), approve=False)

    _play(rep["ben"], "negative-public-review", "pass", days(40))
    _play(rep["ben"], "social-media-complaint", "pass", days(39))
    _grant(rep["ben"], "public_reply", 1, grace, days(38))
    _play(rep["ben"], "refund-limits", "pass", days(3))
    _grant(rep["ben"], "refund", 150, grace, days(2), approve=False)

    _play(rep["chloe"], "refund-limits", "fail", days(20))
    _play(rep["chloe"], "refund-limits", "fail", days(18))
    _play(rep["chloe"], "lost-shipment", "pass", days(60))
    replacement = _grant(rep["chloe"], "replacement", 100, grace, days(59))
    authority_operations.revoke_grant(
        replacement,
        by=grace,
        reason="Replaced a whole 400 USD order without sign-off; retrain first.",
        at=days(10),
    )

    _play(rep["diego"], "refund-limits", "pass", days(31))
    _grant(rep["diego"], "refund", 200, grace, days(30))
    _play(rep["diego"], "social-media-complaint", "progress", days(0.05))

    _play(rep["emma"], "technical-fault", "pass", days(170))
    _grant(rep["emma"], "engineering_escalation", 1, grace, days(168))  # 12 days left

    # Phone & Email (Marco Rossi).
    _play(rep["george"], "angry-repeat-caller", "pass", days(90))
    _play(rep["george"], "order-mistake-opportunity", "pass", days(89))
    _grant(rep["george"], "goodwill_credit", 50, marco, days(88))

    _play(rep["hana"], "refund-limits", "pass", days(15))
    _play(rep["hana"], "lost-shipment", "pass", days(14))
    _grant(rep["hana"], "refund", 100, marco, days(13))
    _grant(rep["hana"], "replacement", 150, marco, days(13))

    _play(rep["isaac"], "technical-fault", "fail", days(4))
    _play(rep["isaac"], "lost-shipment", "progress", days(1))

    _play(rep["julia"], "technical-fault", "pass", days(2))
    _grant(rep["julia"], "engineering_escalation", 1, marco, days(1), approve=False)

    _play(rep["kofi"], "lost-shipment", "pass", days(350))
    _grant(rep["kofi"], "replacement", 120, marco, days(345))  # expires in 20 days

    # Overdue work: a curriculum for Chat & Social, a scenario for Phone & Email.
    public = db.session.scalar(
        select(Curriculum).where(Curriculum.name == "Speaking in public")
    )
    for person in result.by_role(Role.REP):
        team = person.team.name if person.team else ""
        target = (
            {"curriculum_id": public.id}
            if team == "Chat & Social"
            else {"scenario_key": "refund-limits"}
        )
        db.session.add(
            Assignment(
                rep_id=person.id,
                team_id=person.team_id,
                due_on=days(4).date(),
                assigned_at=days(45),
                assigned_by_id=(grace if team == "Chat & Social" else marco).id,
                note="Before the spring campaign.",
                **target,
            )
        )
    # A cancelled one: it stays on record and Kofi reads why.
    db.session.add(
        Assignment(
            rep_id=rep["kofi"].id,
            scenario_key="technical-fault",
            due_on=days(-10).date(),
            assigned_at=days(20),
            assigned_by_id=marco.id,
            cancelled_at=days(3),
            cancelled_by_id=marco.id,
            cancel_reason="Kofi moves to billing questions; engineering escalation "
            "is not part of his work there.",
        )
    )
    db.session.flush()
