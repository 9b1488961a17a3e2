"""The voice module's writes: departments (members and rota), problem reports, "+1"s,
status moves and escalations. Each loads, asks the rules, writes, audits and flushes; the
face commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User
from voice import queries, workflow
from voice.department_files import DepartmentSpec
from voice.models import (
    Department,
    DepartmentMember,
    MemberKind,
    ProblemReport,
    ProblemSupport,
    ProblemTicket,
    RotaRow,
    StatusChange,
)
from voice.reach import RotaEntry, RotaError, parse_rota
from voice.workflow import (
    Category,
    Escalation,
    ProblemStatus,
    Severity,
    Step,
)

MAX_ACK_HOURS = 24 * 30


# --- departments --------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentInput:
    name: str
    description: str = ""
    owner_id: int | None = None
    deputy_ids: tuple[int, ...] = ()
    member_ids: tuple[int, ...] = ()
    ack_target_hours: int = 24
    rota_text: str = ""
    active: bool = True


def save_department(
    department: Department | None, data: DepartmentInput, *, by: User | str
) -> Department:
    """Create or change a department, its members and its rota (all or nothing).

    :raises InvalidInput: a name taken or empty, a target out of range, unknown users,
        rota lines that cannot be read (by line number).
    """
    errors: dict[str, list[str]] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = ["Give the department a name."]
    elif len(name) > 80:
        errors["name"] = ["Use at most 80 characters."]
    else:
        clash = queries.department_by_name(name)
        if clash is not None and clash is not department:
            errors["name"] = [f"There is already a department called {clash.name}."]
    if not 1 <= data.ack_target_hours <= MAX_ACK_HOURS:
        errors["ack_target_hours"] = [
            f"Use a number of hours from 1 to {MAX_ACK_HOURS}."
        ]
    wanted = {data.owner_id, *data.deputy_ids, *data.member_ids} - {None}
    found = set(db.session.scalars(select(User.id).where(User.id.in_(wanted))))
    if wanted - found:
        errors["owner_id"] = ["Choose people who have a Frontline login."]
    try:
        entries = parse_rota(data.rota_text)
    except RotaError as e:
        errors["rota"] = e.errors
        entries = []
    if errors:
        raise InvalidInput(errors)
    before = _department_facts(department) if department else {}
    if department is None:
        department = Department(name=name)
        db.session.add(department)
    department.name = name
    department.description = data.description.strip()
    department.owner_id = data.owner_id
    department.ack_target_hours = data.ack_target_hours
    department.active = data.active
    _set_members(department, data)
    _set_rota(department, entries)
    db.session.flush()
    audit.record(
        by,
        "voice.department.save",
        department,
        summary=f"Department {department.name} saved",
        before=before,
        after=_department_facts(department),
    )
    return department


def _set_members(department: Department, data: DepartmentInput) -> None:
    kinds: dict[int, MemberKind] = {}
    for uid in data.member_ids:
        kinds[uid] = MemberKind.MEMBER
    for uid in data.deputy_ids:
        kinds[uid] = MemberKind.DEPUTY
    kinds.pop(data.owner_id, None)  # type: ignore[arg-type]
    existing = {m.user_id: m for m in department.members}
    for uid, member in existing.items():
        if uid not in kinds:
            department.members.remove(member)
        else:
            member.kind = kinds[uid]
    for uid, kind in kinds.items():
        if uid not in existing:
            department.members.append(DepartmentMember(user_id=uid, kind=kind))


def _set_rota(department: Department, entries: list[RotaEntry]) -> None:
    department.rota.clear()
    db.session.flush()
    for position, entry in enumerate(entries):
        department.rota.append(
            RotaRow(
                position=position,
                weekdays="".join(str(d) for d in sorted(entry.weekdays)),
                start_minute=entry.start,
                end_minute=entry.end,
                name=entry.name,
                contact=entry.contact,
            )
        )


def _department_facts(department: Department) -> dict[str, object]:
    return {
        "name": department.name,
        "owner_id": department.owner_id,
        "ack_target_hours": department.ack_target_hours,
        "active": department.active,
        "members": sorted(f"{m.user_id}:{m.kind.value}" for m in department.members),
        "rota": [row.entry().line() for row in department.rota],
    }


# --- problem reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInput:
    title: str
    story: str
    category: str
    severity: str
    department_id: int | None
    tickets_text: str = ""


@dataclass
class Filed:
    """A report written, and the warnings to show (ticket ids kept as text)."""

    report: ProblemReport
    warnings: list[str] = field(default_factory=list)


def check_report(data: ReportInput) -> tuple[Department, list[str]]:
    """Check a report's fields; the department and the ticket ids.

    :raises InvalidInput: an empty story or title, an unknown department, category or
        severity, ticket ids that are too long or too many.
    """
    errors = workflow.report_problems(data.title, data.story)
    if data.category not in {c.value for c in Category}:
        errors["category"] = ["Choose a category from the list."]
    if data.severity not in {s.value for s in Severity}:
        errors["severity"] = ["Choose a severity from the list."]
    department = queries.open_department(data.department_id)
    if department is None:
        errors["department_id"] = [
            "Choose the department the problem needs from the list."
        ]
    ids, ticket_errors = workflow.ticket_ids(data.tickets_text)
    if ticket_errors:
        errors["tickets"] = ticket_errors
    if errors or department is None:
        raise InvalidInput(errors)
    return department, ids


def report_problem(
    data: ReportInput, *, by: User, at: dt.datetime | None = None, via: str = ""
) -> Filed:
    """File a problem report for a department (at ``at``, now by default).

    :param via: the API token that filed it for ``by`` (``"api:NAME"``), kept in the
        audit trail.

    :raises InvalidInput: see :func:`check_report`; nothing is written then.
    """
    department, ids = check_report(data)
    at = at or utcnow()
    report = ProblemReport(
        title=data.title.strip(),
        story=data.story.strip(),
        category=Category(data.category),
        severity=Severity(data.severity),
        department_id=department.id,
        reporter_id=by.id,
        status=ProblemStatus.NEW,
        created_at=at,
    )
    db.session.add(report)
    db.session.flush()
    db.session.add(
        StatusChange(
            report_id=report.id,
            from_status=None,
            to_status=ProblemStatus.NEW,
            by_id=by.id,
            at=at,
        )
    )
    warning = _add_tickets(report, ids, by, at)
    audit.record(
        by,
        "voice.problem.report",
        report,
        summary=f"Problem #{report.id} reported for {department.name}: {report.title}",
        data={"tickets": ids, "department_id": department.id}
        | ({"via": via} if via else {}),
    )
    return Filed(report, [warning] if warning else [])


def _add_tickets(
    report: ProblemReport, ids: list[str], by: User, at: dt.datetime | None = None
) -> str:
    """Add the ids the report lacks (at ``at``, now by default); the warning for ids no
    import has."""
    have = {t.external_id for t in report.tickets}
    new = [i for i in ids if i not in have]
    known = queries.known_ticket_ids(new) if new else set()
    for external_id in new:
        report.tickets.append(
            ProblemTicket(
                external_id=external_id,
                known=external_id in known,
                added_by_id=by.id,
                added_at=at or utcnow(),
            )
        )
    db.session.flush()
    return workflow.unknown_tickets_warning([i for i in new if i not in known])


def edit_problem(report: ProblemReport, data: ReportInput, *, by: User) -> Filed:
    """The reporter changes their open report's words, category, severity or department,
    and may add tickets.

    :raises NotAllowed: not the reporter, or the report is closed.
    :raises InvalidInput: see :func:`check_report`.
    """
    if not workflow.can_edit_report(
        by.viewer(), report.reporter_id or 0, report.status
    ):
        raise NotAllowed("Only the reporter may change an open report.")
    department, ids = check_report(data)
    if department.id != report.department_id and report.status != ProblemStatus.NEW:
        raise InvalidInput(
            {
                "department_id": [
                    f"{report.department.name} has acknowledged the report; it stays "
                    "with them."
                ]
            }
        )
    before = _report_facts(report)
    report.title = data.title.strip()
    report.story = data.story.strip()
    report.category = Category(data.category)
    report.severity = Severity(data.severity)
    report.department_id = department.id
    warning = _add_tickets(report, ids, by)
    audit.record(
        by,
        "voice.problem.edit",
        report,
        summary=f"Problem #{report.id} changed by its reporter",
        before=before,
        after={
            **_report_facts(report),
            "tickets": [t.external_id for t in report.tickets],
        },
    )
    return Filed(report, [warning] if warning else [])


def _report_facts(report: ProblemReport) -> dict[str, object]:
    return {
        "title": report.title,
        "story": report.story,
        "category": report.category.value,
        "severity": report.severity.value,
        "department_id": report.department_id,
    }


def support_problem(
    report: ProblemReport, *, tickets_text: str, note: str, by: User
) -> Filed:
    """A "+1" on someone else's open report, with the supporter's tickets.

    A second "+1" by the same person only adds tickets.

    :raises NotAllowed: one's own report, a closed one, or a role that does not report.
    :raises InvalidInput: bad ticket ids.
    :raises Conflict: already supported and no new ticket given.
    """
    if not workflow.can_support(by.viewer(), report.reporter_id or 0, report.status):
        raise NotAllowed("You can add a +1 only to someone else's open report.")
    ids, errors = workflow.ticket_ids(tickets_text)
    if errors:
        raise InvalidInput({"tickets": errors})
    if len(note) > workflow.MAX_REASON:
        raise InvalidInput({"note": [f"Use at most {workflow.MAX_REASON} characters."]})
    already = any(s.user_id == by.id for s in report.supports)
    new_ids = [i for i in ids if i not in {t.external_id for t in report.tickets}]
    if already and not new_ids:
        raise Conflict("You have already added your +1 to this report.")
    if not already:
        report.supports.append(ProblemSupport(user_id=by.id, note=note.strip()))
    warning = _add_tickets(report, ids, by)
    audit.record(
        by,
        "voice.problem.support",
        report,
        summary=f"+1 on problem #{report.id}"
        + (f" with {workflow.counted(len(new_ids), 'ticket')}" if new_ids else ""),
        data={"tickets": new_ids, "again": already},
    )
    return Filed(report, [warning] if warning else [])


# --- the reaction -------------------------------------------------------------------------


def move_problem(
    report: ProblemReport,
    target: str,
    *,
    reason: str = "",
    duplicate_of: int | None = None,
    by: User,
    at: dt.datetime | None = None,
    via: str = "",
) -> Step:
    """A department member moves a report on; the step the reporter is told.

    :param via: the API token that made the move for ``by``, kept in the audit trail.

    :raises NotAllowed: not a member of the report's department.
    :raises InvalidInput: a move out of order, a won't-fix without a reason, a duplicate
        of no report.
    """
    if not workflow.can_act_on(by.viewer(), report.department.member_ids):
        raise NotAllowed(f"Only {report.department.name}'s members move its reports.")
    try:
        status = ProblemStatus(target)
    except ValueError as e:
        raise InvalidInput(
            {"status": ["Choose what happens next from the list."]}
        ) from e
    problems = workflow.move_problems(
        report.status,
        status,
        reason=reason,
        duplicate_of=duplicate_of,
        report_id=report.id,
        duplicate_is_known=duplicate_of is not None
        and queries.problem_exists(duplicate_of),
    )
    if problems:
        raise InvalidInput(problems)
    at = at or utcnow()
    before = report.status
    if report.acknowledged_at is None:
        report.acknowledged_at = at
    if not status.is_open:
        report.closed_at = at
    report.status = status
    report.reason = reason.strip() if status == ProblemStatus.WONT_FIX else ""
    report.duplicate_of_id = duplicate_of if status == ProblemStatus.DUPLICATE else None
    db.session.add(
        StatusChange(
            report_id=report.id,
            from_status=before,
            to_status=status,
            reason=reason.strip(),
            by_id=by.id,
            at=at,
        )
    )
    audit.record(
        by,
        "voice.problem.status",
        report,
        summary=f"Problem #{report.id}: {before.label} → {status.label}",
        before={"status": before.value},
        after={"status": status.value, "reason": report.reason},
        data={"via": via} if via else None,
    )
    db.session.flush()
    return Step(
        report.id,
        report.title,
        status,
        report.department.name,
        report.reason,
        report.duplicate_of_id,
    )


@dataclass(frozen=True)
class Notice:
    """An e-mail to send once the change is committed."""

    to: tuple[str, ...]
    subject: str
    body: str


def escalate(*, at: dt.datetime, link: str = "") -> list[Notice]:
    """Escalate every new report past its department's acknowledgement target: to the
    department's owner, then (past twice the target) to leadership. Each level once.

    :param link: the problems page's address, for the e-mails.
    :return: the e-mails to send after the commit.
    """
    notices: list[Notice] = []
    leaders = tuple(queries.leadership_emails())
    for report in queries.overdue_new_reports():
        department = report.department
        level = workflow.escalation_due(
            status=report.status,
            created_at=report.created_at,
            level=Escalation(report.escalation),
            target_hours=department.ack_target_hours,
            at=at,
        )
        if level is None:
            continue
        report.escalation = int(level)
        report.escalated_at = at
        hours = workflow.counted(
            int((at - report.created_at).total_seconds() // 3600), "hour"
        )
        if level == Escalation.OWNER:
            to = (department.owner.email,) if department.owner else leaders
            who = "the department's owner" if department.owner else "leadership"
        else:
            to, who = leaders, "leadership"
        audit.record(
            "system",
            "voice.problem.escalate",
            report,
            summary=f"Problem #{report.id} unacknowledged for {hours}: told {who}",
            data={"level": int(level)},
        )
        if to:
            notices.append(
                Notice(
                    to,
                    f"Unacknowledged for {hours}: problem #{report.id} for "
                    f"{department.name}",
                    (
                        f'Problem report #{report.id} "{report.title}" reached '
                        f"{department.name} {hours} ago and nobody has "
                        f"acknowledged it yet (the target is "
                        f"{workflow.counted(department.ack_target_hours, 'hour')})."
                        f"\n\n"
                        f"{link}{report.id}\n"
                    ),
                )
            )
    db.session.flush()
    return notices


# --- departments from a file --------------------------------------------------------------


def load_departments(
    specs: list[DepartmentSpec], *, by: User | str
) -> tuple[list[str], list[str]]:
    """Create or update the departments a file describes (by name), all or nothing.

    :raises InvalidInput: people with no Frontline login, or a department the rules
        refuse, each named by department; the face then writes nothing.
    :return: the names added and the names updated.
    """
    users = queries.users_by_email(sorted({e for s in specs for e in s.emails}))
    errors: list[str] = []
    added: list[str] = []
    updated: list[str] = []
    for number, spec in enumerate(specs, start=1):
        label = f"Department {number} ({spec.name})"
        unknown = sorted(spec.emails - set(users))
        if unknown:
            errors.append(f"{label}: nobody logs in as {', '.join(unknown)}.")
            continue
        existing = queries.department_by_name(spec.name)
        try:
            save_department(
                existing,
                DepartmentInput(
                    name=spec.name,
                    description=spec.description,
                    owner_id=users[spec.owner].id if spec.owner else None,
                    deputy_ids=tuple(users[e].id for e in spec.deputies),
                    member_ids=tuple(users[e].id for e in spec.members),
                    ack_target_hours=spec.ack_target_hours,
                    rota_text=spec.rota_text,
                    active=spec.active,
                ),
                by=by,
            )
        except InvalidInput as e:
            errors += [f"{label}: {m}" for msgs in e.errors.values() for m in msgs]
            continue
        (updated if existing else added).append(spec.name)
    if errors:
        raise InvalidInput({"": errors})
    return added, updated
