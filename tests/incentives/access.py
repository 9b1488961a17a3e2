"""Access rules for the incentives endpoints.

Reps, supervisors, leadership and admins see month metrics, scores, scorecards and disputes
(each their own records); supervisors (and leadership and admins) team scorecards;
leadership and admins the organisation's imports, unattributed tickets, the leadership pack
and scorecard batches; admins import, change settings, keep plans and close months.
Leadership reads every plan and supervisors the one in force; a rep reads and acknowledges
the plan they are paid on. Only a rep disputes a ticket, only a supervisor decides a
dispute or assigns coaching. Hiring managers have no access.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.access import Role
from core.db import db
from core.jobs import Job
from incentives.scoring import operations as scoring_operations
from incentives.scoring import payout_operations, plans
from incentives.tickets import operations
from incentives.tickets.models import Ticket, TicketAgent
from tests.access import Access, World, roles

METRICS = roles(Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR, Role.REP)
ORG = roles(Role.ADMIN, Role.LEADERSHIP)
ADMIN = roles(Role.ADMIN)
SUPERVISING = roles(Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)
REP = roles(Role.REP)
SUPERVISOR = roles(Role.SUPERVISOR)
KEEPERS = roles(Role.ADMIN, Role.SUPERVISOR)
LEADERSHIP = roles(Role.LEADERSHIP)
MONTH = "2024-03"
PLAN = {
    "name": "Matrix plan",
    "currency": "USD",
    "target_bonus": 100,
    "csat_prior_strength": 10,
    "metrics": {"timely_rate": {"weight": 100, "threshold": 50, "target": 90}},
    "payout": {"tiers": [{"score": 50, "percent": 100}]},
}


def populate(world: World) -> None:
    """One small import: a ticket of ``world.rep`` and one of an unknown agent."""
    outcome = operations.import_ticket_records(
        [
            {
                "ticket_id": "M-1",
                "channel": "chat",
                "agent_email": world.rep.email,
                "created_at": "2024-03-04T09:00:00Z",
                "solved_at": "2024-03-04T09:20:00Z",
            },
            {
                "ticket_id": "M-2",
                "channel": "email",
                "agent_email": "Someone Else",
                "created_at": "2024-03-04T09:00:00Z",
                "solved_at": "2024-03-05T09:00:00Z",
            },
        ],
        source="matrix",
        by="test",
        tz=ZoneInfo("UTC"),
    )
    assert outcome.record is not None
    world.extra["incentives_import"] = outcome.record.id
    world.extra["incentives_agent"] = db.session.scalar(
        select(TicketAgent.id).where(TicketAgent.key == "someone else")
    )
    version, _ = scoring_operations.save_plan(None, plans.parse_plan(PLAN), by="test")
    world.extra["incentives_plan"] = version.plan_id
    world.extra["incentives_plan_version"] = version.id
    world.extra["incentives_plan_hash"] = version.content_hash
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "M-1"))
    world.extra["incentives_ticket"] = ticket.id
    dispute = scoring_operations.file_dispute(
        ticket, by=world.rep, reason="A colleague handled it"
    )
    world.extra["incentives_dispute"] = dispute.id
    admin = world.users[Role.ADMIN]
    adjustment = payout_operations.add_adjustment(
        MONTH, world.rep, amount="5", reason="Covered a weekend", by=admin
    )
    world.extra["incentives_adjustment"] = adjustment.id
    leave = payout_operations.add_leave(
        world.rep,
        first_day=dt.date(2024, 3, 11),
        last_day=dt.date(2024, 3, 12),
        note="",
        by=admin,
    )
    world.extra["incentives_leave"] = leave.id
    job = Job(kind="scorecards.render", function="x:y", params={"args": [MONTH]})
    db.session.add(job)
    db.session.flush()
    world.extra["incentives_job"] = job.id


def _agent(w: World) -> str:
    return f"/incentives/agents/{w.extra['incentives_agent']}"


MATRIX: dict[str, Access] = {
    "incentives.index": Access(METRICS, "/incentives/"),
    "incentives.metric_list": Access(METRICS, f"/incentives/metrics?month={MONTH}"),
    "incentives.metric_export": Access(
        METRICS, f"/incentives/metrics.csv?month={MONTH}"
    ),
    "incentives.rep_tickets": Access(
        METRICS, lambda w: f"/incentives/reps/{w.rep.id}/tickets?month={MONTH}"
    ),
    "incentives.unattributed_tickets": Access(
        ORG, f"/incentives/unattributed?month={MONTH}"
    ),
    "incentives.import_list": Access(ORG, "/incentives/imports"),
    "incentives.import_detail": Access(
        ORG, lambda w: f"/incentives/imports/{w.extra['incentives_import']}"
    ),
    "incentives.import_new": Access(ADMIN, "/incentives/imports/new"),
    "incentives.mapping_draft": Access(
        ADMIN, "/incentives/imports/mapping-draft", "POST"
    ),
    "incentives.agent_list": Access(ADMIN, "/incentives/agents"),
    "incentives.agent_map": Access(
        ADMIN,
        lambda w: _agent(w) + "/map",
        "POST",
        data=lambda w: {f"agent{w.extra['incentives_agent']}-rep_id": w.rep.id},
    ),
    "incentives.agent_unmap": Access(ADMIN, lambda w: _agent(w) + "/unmap", "POST"),
    "incentives.agent_accept_suggested": Access(
        ADMIN, "/incentives/agents/accept-suggested", "POST", data={"shown": "x"}
    ),
    "incentives.agent_upload": Access(ADMIN, "/incentives/agents/upload", "POST"),
    "incentives.sla_edit": Access(ADMIN, "/incentives/sla"),
    "incentives.hours_edit": Access(ADMIN, "/incentives/opening-hours"),
    "incentives.score_list": Access(METRICS, f"/incentives/scores?month={MONTH}"),
    "incentives.score_export": Access(METRICS, f"/incentives/scores.csv?month={MONTH}"),
    "incentives.month_close": Access(ADMIN, f"/incentives/months/{MONTH}/close"),
    "incentives.month_reopen": Access(
        ADMIN,
        f"/incentives/months/{MONTH}/reopen",
        "POST",
        data={"reason": "A late correction"},
    ),
    "incentives.scorecard_rep": Access(
        METRICS, lambda w: f"/incentives/scorecards/reps/{w.rep.id}?month={MONTH}"
    ),
    "incentives.scorecard_mail": Access(
        METRICS, "/incentives/scorecards/mail", "POST", data={"wanted": "y"}
    ),
    "incentives.scorecard_rep_pdf": Access(
        METRICS, lambda w: f"/incentives/scorecards/reps/{w.rep.id}.pdf?month={MONTH}"
    ),
    "incentives.scorecard_team": Access(
        SUPERVISING, lambda w: f"/incentives/scorecards/teams/{w.team.id}?month={MONTH}"
    ),
    "incentives.scorecard_team_pdf": Access(
        SUPERVISING,
        lambda w: f"/incentives/scorecards/teams/{w.team.id}.pdf?month={MONTH}",
    ),
    "incentives.scorecard_leadership": Access(
        ORG, f"/incentives/scorecards/leadership?month={MONTH}"
    ),
    "incentives.scorecard_leadership_pdf": Access(
        ORG, f"/incentives/scorecards/leadership.pdf?month={MONTH}"
    ),
    "incentives.batch_create": Access(
        ORG, "/incentives/scorecards/batches", "POST", data={"month": MONTH}
    ),
    "incentives.batch_detail": Access(
        ORG, lambda w: f"/incentives/scorecards/batches/{w.extra['incentives_job']}"
    ),
    "incentives.batch_status": Access(
        ORG,
        lambda w: f"/incentives/scorecards/batches/{w.extra['incentives_job']}.json",
    ),
    "incentives.batch_download": Access(
        ORG,
        lambda w: (
            f"/incentives/scorecards/batches/{w.extra['incentives_job']}/download"
        ),
    ),
    "incentives.dispute_create": Access(
        REP, lambda w: f"/incentives/tickets/{w.extra['incentives_ticket']}/dispute"
    ),
    "incentives.dispute_list": Access(METRICS, "/incentives/disputes"),
    "incentives.dispute_detail": Access(
        METRICS, lambda w: f"/incentives/disputes/{w.extra['incentives_dispute']}"
    ),
    "incentives.dispute_decide": Access(
        SUPERVISOR,
        lambda w: f"/incentives/disputes/{w.extra['incentives_dispute']}/decide",
        "POST",
        data={"decision": "decline", "note": "It was yours"},
    ),
    "incentives.coaching_assign": Access(
        SUPERVISOR,
        "/incentives/coaching",
        "POST",
        data=lambda w: {"rep_id": w.rep.id, "scenario": "refund-limits"},
    ),
    # Leadership reads every plan; a supervisor the one in force (the matrix's plan).
    "incentives.plan_list": Access(SUPERVISING, "/incentives/plans"),
    "incentives.plan_detail": Access(
        SUPERVISING, lambda w: f"/incentives/plans/{w.extra['incentives_plan']}"
    ),
    "incentives.my_plan": Access(REP, "/incentives/my-plan"),
    "incentives.plan_acknowledge": Access(
        REP,
        "/incentives/my-plan/acknowledge",
        "POST",
        data=lambda w: {
            "version_id": w.extra["incentives_plan_version"],
            "content_hash": w.extra["incentives_plan_hash"],
        },
    ),
    "incentives.plan_create": Access(ADMIN, "/incentives/plans/new"),
    "incentives.plan_edit": Access(
        ADMIN, lambda w: f"/incentives/plans/{w.extra['incentives_plan']}/edit"
    ),
    "incentives.plan_import": Access(ADMIN, "/incentives/plans/import"),
    "incentives.plan_activate": Access(
        ADMIN,
        lambda w: f"/incentives/plans/{w.extra['incentives_plan']}/activate",
        "POST",
    ),
    "incentives.plan_schedule": Access(
        ADMIN,
        lambda w: (
            f"/incentives/plans/{w.extra['incentives_plan']}/versions/"
            f"{w.extra['incentives_plan_version']}/schedule"
        ),
        "POST",
        data={"effective_from": "2024-01"},
    ),
    "incentives.plan_version_yaml": Access(
        SUPERVISING,
        lambda w: (
            f"/incentives/plans/{w.extra['incentives_plan']}/versions/"
            f"{w.extra['incentives_plan_version']}.yaml"
        ),
    ),
    "incentives_api.ticket_import": Access(
        ADMIN,
        "/api/v1/tickets",
        "POST",
        data={
            "source": "matrix",
            "tickets": [
                {
                    "ticket_id": "M-9",
                    "channel": "web",
                    "created_at": "2024-03-01T10:00:00Z",
                }
            ],
        },
        api=True,
    ),
    "incentives_api.metric_month": Access(ORG, f"/api/v1/metrics/{MONTH}", api=True),
    "incentives_api.payout_month": Access(ORG, f"/api/v1/payouts/{MONTH}", api=True),
    # Payouts: everyone with scores sees the page (a rep their own line); admins and
    # leadership export; admins and the rep's supervisors adjust and keep working dates;
    # leadership approves.
    "incentives.payout_list": Access(METRICS, f"/incentives/payouts?month={MONTH}"),
    "incentives.payout_export": Access(ORG, f"/incentives/payouts.csv?month={MONTH}"),
    "incentives.payout_adjustment_create": Access(
        KEEPERS,
        f"/incentives/payouts/{MONTH}/adjustments",
        "POST",
        data=lambda w: {"rep_id": w.rep.id, "amount": "10", "reason": "Night shifts"},
    ),
    "incentives.payout_adjustment_remove": Access(
        KEEPERS,
        lambda w: (
            f"/incentives/payouts/adjustments/{w.extra['incentives_adjustment']}/remove"
        ),
        "POST",
        data={"reason": "Entered twice"},
    ),
    # The change log of a month closed anew: read as scores are (each their own), CSV for
    # admins and leadership.
    "incentives.month_changes": Access(METRICS, f"/incentives/months/{MONTH}/changes"),
    "incentives.month_changes_export": Access(
        ORG, f"/incentives/months/{MONTH}/changes.csv"
    ),
    "incentives.payout_approve": Access(
        LEADERSHIP, f"/incentives/payouts/{MONTH}/approve", "POST"
    ),
    "incentives.payout_work_dates": Access(
        KEEPERS, lambda w: f"/incentives/reps/{w.rep.id}/work-dates"
    ),
    "incentives.payout_leave_add": Access(
        KEEPERS,
        lambda w: f"/incentives/reps/{w.rep.id}/leave",
        "POST",
        data={"first_day": "2024-03-18", "last_day": "2024-03-19"},
    ),
    "incentives.payout_leave_remove": Access(
        KEEPERS,
        lambda w: f"/incentives/leave/{w.extra['incentives_leave']}/remove",
        "POST",
    ),
}
