"""Voice records for the tests: a Logistics department with an owner, a deputy and a rota;
reps on a team; imported tickets; reports."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.access import Role
from core.people import User
from incentives.tickets import operations as ticket_operations
from tests.factories import make_team, make_user
from tests.incentives.tickets import ticket
from voice import operations
from voice.models import Department, ProblemReport


@dataclass
class VoiceWorld:
    logistics: Department
    billing: Department
    owner: User  # Logistics' owner (a hiring manager: any role may be a member)
    deputy: User
    billing_owner: User
    rep: User
    other_rep: User
    supervisor: User
    leader: User
    admin: User


def make_voice_world() -> VoiceWorld:
    team = make_team("Chat")
    supervisor = make_user(Role.SUPERVISOR, name="Grace Super", team=team)
    team.supervisors = [supervisor]
    rep = make_user(Role.REP, email="ana@example.com", name="Ana Rep", team=team)
    other = make_user(Role.REP, email="bo@example.com", name="Bo Rep", team=team)
    owner = make_user(Role.HIRING_MANAGER, email="sam@example.com", name="Sam Owner")
    deputy = make_user(Role.SUPERVISOR, email="nadia@example.com", name="Nadia Deputy")
    billing_owner = make_user(Role.HIRING_MANAGER, name="Tom Billing")
    leader = make_user(Role.LEADERSHIP, email="lead@example.com", name="Lea Leader")
    admin = make_user(Role.ADMIN, name="Ada Admin")
    logistics = operations.save_department(
        None,
        operations.DepartmentInput(
            name="Logistics",
            owner_id=owner.id,
            deputy_ids=(deputy.id,),
            ack_target_hours=8,
            rota_text="Every day 00:00-24:00 | Sam Patel | +44 20 7946 0101",
        ),
        by="test",
    )
    billing = operations.save_department(
        None,
        operations.DepartmentInput(name="Billing", owner_id=billing_owner.id),
        by="test",
    )
    return VoiceWorld(
        logistics,
        billing,
        owner,
        deputy,
        billing_owner,
        rep,
        other,
        supervisor,
        leader,
        admin,
    )


def import_tickets(*ids: str) -> None:
    ticket_operations.import_ticket_records(
        [ticket(i, "ana@example.com", "2024-03-05T10:00:00Z") for i in ids],
        source="zendesk",
        by="test",
        tz=ZoneInfo("UTC"),
    )


def report(
    department: Department,
    by: User,
    *,
    title: str = "Parcels to Leeds arrive crushed",
    story: str = "The carrier left the box in the rain and it split.",
    tickets: str = "",
) -> ProblemReport:
    return operations.report_problem(
        operations.ReportInput(
            title=title,
            story=story,
            category="shipping",
            severity="high",
            department_id=department.id,
            tickets_text=tickets,
        ),
        by=by,
    ).report
