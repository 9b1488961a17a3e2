"""Voice demo data, added after the demo organisation's people and tickets exist.

Five departments with owners, deputies and contact rotas, and a few dozen problem reports
over the last four months in every state, some with "+1"s and helpdesk tickets (most of
them imported tickets, one kept as text). Idempotent: departments are found by name and the
reports are added once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.access import Role
from core.db import db, utcnow
from core.demo import ACTOR, DemoResult
from core.people import User
from voice import operations, queries, upward_demo
from voice.models import Department, ProblemReport, ProblemSupport
from voice.workflow import ProblemStatus

#: name: (description, owner, deputies, hours to acknowledge, rota lines)
DEPARTMENTS: dict[str, tuple[str, str | None, list[str], int, list[str]]] = {
    "Logistics": (
        "Warehouses, carriers and returns.",
        "daniel.okafor@example.com",
        ["priya.shah@example.com"],
        8,
        [
            "Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101",
            "Mon-Fri 18:00-22:00 | Nadia Rahman | #logistics-late on Slack",
            "Sat, Sun 09:00-17:00 | Warehouse duty desk | +44 20 7946 0199",
        ],
    ),
    "Billing": (
        "Invoices, refunds and payment problems.",
        "alex.morgan@example.com",
        [],
        24,
        ["Mon-Fri 09:00-17:30 | Tom Becker | billing-urgent@example.com"],
    ),
    "Product": (
        "What we sell: defects, missing features, confusing instructions.",
        "helen.carter@example.com",
        ["alex.morgan@example.com"],
        48,
        ["Mon-Thu 09:00-17:00 | Ines Duarte | #product-front-line on Slack"],
    ),
    "Legal": (
        "Policies, terms and anything a customer calls unfair.",
        None,
        ["helen.carter@example.com"],
        72,
        ["Mon-Fri 10:00-16:00 | Legal desk | +44 20 7946 0300"],
    ),
    "Marketing": (
        "Public reviews, promotions and what our adverts promise.",
        "priya.shah@example.com",
        [],
        24,
        ["Every day 08:00-20:00 | Social media desk | #social-desk on Slack"],
    ),
}

S, A, P, F, W, D = (
    ProblemStatus.NEW,
    ProblemStatus.ACKNOWLEDGED,
    ProblemStatus.IN_PROGRESS,
    ProblemStatus.FIXED,
    ProblemStatus.WONT_FIX,
    ProblemStatus.DUPLICATE,
)

#: (title, story, category, severity, department, tickets)
STORIES = [
    (
        "Parcels to Leeds arrive crushed",
        "The customer's parcel arrived crushed for the second time this month; the "
        "carrier left it in the rain and the box split. She wants to know why it keeps "
        "happening.",
        "shipping",
        "high",
        "Logistics",
        "PE-10231 PE-10245",
    ),
    (
        "Refunds take three weeks to reach cards",
        "He was promised a refund in five days; three weeks later it is still not on "
        "his card and he has called four times.",
        "billing",
        "high",
        "Billing",
        "PE-10260",
    ),
    (
        "Kettle lid hinge snaps after a month",
        "The lid hinge snapped after four weeks of normal use. She sent a photo; it is "
        "the same break we saw in other kettles.",
        "product",
        "medium",
        "Product",
        "PE-10270 PE-10271",
    ),
    (
        "Return window too short over the holidays",
        "Gifts bought in November cannot be returned by the time they are opened. The "
        "customer called the policy unfair and posted about it.",
        "policy",
        "medium",
        "Legal",
        "",
    ),
    (
        "One-star review about the delivery slot",
        "A one-star review on a public site says the delivery slot was ignored twice. "
        "It needs a reply from someone who can fix the slot booking.",
        "public_review",
        "medium",
        "Marketing",
        "ZD-99120",
    ),
    (
        "Tracking link shows another customer's order",
        "The tracking link in the dispatch e-mail opened someone else's order with "
        "their address.",
        "shipping",
        "critical",
        "Logistics",
        "PE-10290",
    ),
    (
        "Invoice shows the wrong VAT number",
        "A business customer cannot reclaim VAT because the invoice shows an old VAT "
        "number.",
        "billing",
        "medium",
        "Billing",
        "",
    ),
    (
        "Instructions missing from the blender box",
        "No instructions in the box; the customer did not know how to lock the jug "
        "and it leaked.",
        "product",
        "low",
        "Product",
        "PE-10300",
    ),
    (
        "Advert promises next-day delivery everywhere",
        "The advert says next-day delivery everywhere, but the islands take four days. "
        "Customers quote the advert back to us.",
        "policy",
        "medium",
        "Marketing",
        "",
    ),
    (
        "Courier leaves parcels at the wrong door",
        "The courier left the parcel at a neighbour's door without a note; the "
        "customer found it two days later.",
        "shipping",
        "medium",
        "Logistics",
        "PE-10310",
    ),
    (
        "Double charge when the card is declined once",
        "The first card payment was declined, the second went through, and both were "
        "charged.",
        "billing",
        "high",
        "Billing",
        "PE-10320 PE-10321",
    ),
    (
        "Damaged parcels from the Leeds depot again",
        "Another crushed box from the Leeds depot: the carrier left it outside in the "
        "rain.",
        "shipping",
        "high",
        "Logistics",
        "PE-10330",
    ),
]

#: (days ago, story index, reporter index, final status, +1 count)
HISTORY = [
    (118, 0, 0, F, 2),
    (112, 1, 1, F, 1),
    (105, 2, 2, W, 0),
    (101, 3, 3, F, 0),
    (96, 4, 4, D, 0),
    (92, 5, 5, F, 3),
    (88, 6, 6, F, 0),
    (84, 7, 7, W, 0),
    (80, 8, 8, F, 1),
    (76, 9, 9, F, 0),
    (71, 10, 10, F, 2),
    (67, 11, 11, D, 0),
    (63, 0, 1, F, 0),
    (58, 1, 2, W, 0),
    (54, 2, 3, F, 1),
    (50, 3, 4, P, 0),
    (46, 4, 5, F, 0),
    (42, 5, 6, F, 0),
    (38, 6, 7, P, 1),
    (34, 7, 8, A, 0),
    (30, 8, 9, F, 0),
    (26, 9, 10, P, 2),
    (22, 10, 11, A, 0),
    (18, 11, 0, D, 0),
    (15, 0, 2, P, 1),
    (12, 1, 3, A, 0),
    (10, 2, 4, S, 0),
    (8, 3, 5, P, 0),
    (6, 4, 6, A, 1),
    (5, 5, 7, S, 2),
    (4, 6, 8, S, 0),
    (3, 7, 9, A, 0),
    (2, 9, 10, S, 1),
    (1, 10, 11, S, 0),
    (1, 11, 1, S, 0),
    (0, 8, 0, S, 0),
]

REASONS = {
    W: "We looked at it and it is how the product is meant to work; the help page now "
    "says so.",
}


def build(result: DemoResult) -> None:
    """Add this module's demo records; idempotent like every demo step."""
    for name, (description, owner, deputies, hours, rota) in DEPARTMENTS.items():
        if queries.department_by_name(name) is not None:
            continue
        users = result.users
        operations.save_department(
            None,
            operations.DepartmentInput(
                name=name,
                description=description,
                owner_id=users[owner].id if owner else None,
                deputy_ids=tuple(users[e].id for e in deputies),
                ack_target_hours=hours,
                rota_text="\n".join(rota),
            ),
            by=ACTOR,
        )
    if db.session.scalar(select(func.count()).select_from(ProblemReport)):
        result.notes.append("Problem reports already there; left as they were.")
    else:
        _history(result)
        result.notes.append(
            f"Voice: {len(DEPARTMENTS)} departments with rotas, "
            f"{len(HISTORY)} problem reports in every state."
        )
    upward_demo.build(result)


def _history(result: DemoResult) -> None:
    reps = sorted(result.by_role(Role.REP), key=lambda u: u.email)
    now = utcnow()
    first_of: dict[int, int] = {}
    for days_ago, story, reporter, final, plus in HISTORY:
        title, text, category, severity, department_name, tickets = STORIES[story]
        department = queries.department_by_name(department_name)
        if department is None:  # an admin renamed it: no demo reports for it
            continue
        rep = reps[reporter % len(reps)]
        created = now - dt.timedelta(days=days_ago, hours=(story * 7) % 11 + 1)
        filed = operations.report_problem(
            operations.ReportInput(
                title=title,
                story=text,
                category=category,
                severity=severity,
                department_id=department.id,
                tickets_text=tickets,
            ),
            by=rep,
            at=created,
        )
        report = filed.report
        for n in range(plus):
            supporter = reps[(reporter + n + 1) % len(reps)]
            report.supports.append(
                ProblemSupport(
                    user_id=supporter.id, at=created + dt.timedelta(hours=n + 2)
                )
            )
        actor = department.owner or _any_member(department)
        if final != S and actor is not None:
            original = first_of.get(story) or min(first_of.values(), default=0)
            _walk(report, final, actor, created, original)
        first_of.setdefault(story, report.id)
    db.session.flush()


def _any_member(department: Department) -> User | None:
    return department.members[0].user if department.members else None


def _walk(
    report: ProblemReport,
    final: ProblemStatus,
    actor: User,
    created: dt.datetime,
    original: int,
) -> None:
    """Move a demo report to ``final`` the way a department would, on past dates."""
    ack = created + dt.timedelta(hours=3 + report.id % 30)
    steps: list[tuple[ProblemStatus, dt.datetime]] = [(ProblemStatus.ACKNOWLEDGED, ack)]
    if final in (P, F):
        steps.append((ProblemStatus.IN_PROGRESS, ack + dt.timedelta(days=1)))
    if final in (F, W, D):
        steps.append((final, ack + dt.timedelta(days=3 + report.id % 9)))
    for status, at in steps:
        operations.move_problem(
            report,
            status,
            reason=REASONS.get(status, ""),
            duplicate_of=original if status == D else None,
            by=actor,
            at=at,
        )
