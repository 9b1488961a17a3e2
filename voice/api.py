"""Voice endpoints of the JSON API (token auth, under /api/v1): problem reports and who
answers a department now.

Every token reads reports and rotas, as every signed-in user reads them on the pages. A
token is not one person, so a call that changes something names the person it acts for,
and that person's rights on the pages decide: a report is filed as the rep (or
supervisor) named by ``reporter``, which is how a helpdesk macro files a problem from a
ticket; a move is made by the department member named by ``by``. Only tokens acting as
supervisor (a helpdesk integration's) or admin may make these calls; the audit trail
names the person and the token.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import abort, jsonify, request, url_for

from core.access import Role
from core.api import api_actor, api_blueprint, token_required
from core.db import db, utcnow
from core.errors import InvalidInput, NotAllowed
from core.input_checks import MAX_ID
from core.params import int_arg, text_arg
from core.people import User
from core.templating import org_timezone
from incentives.tickets.metrics import month_bounds
from incentives.tickets.months import InvalidMonth, Month
from voice import operations, queries, workflow
from voice.models import Department, ProblemReport
from voice.reach import Answer
from voice.views import STATUS_FILTERS, send_step
from voice.workflow import REPORTING_ROLES

bp = api_blueprint("voice_api", __name__)

READERS = (Role.ADMIN, Role.HIRING_MANAGER, Role.SUPERVISOR, Role.LEADERSHIP)
#: Tokens that may file and move reports for the person they name.
WRITERS = (Role.SUPERVISOR, Role.ADMIN)
MAX_PER_PAGE = 200
MAX_EMAIL = 254
MAX_NAME = 120
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object (Content-Type: application/json).")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput({name: ["Required."]})
        return ""
    if not isinstance(value, str):
        raise InvalidInput({name: ["Send text."]})
    return value


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput({name: ["Send a whole number."]})
    if not 1 <= value <= MAX_ID:
        raise InvalidInput({name: [f"Send a whole number from 1 to {MAX_ID}."]})
    return value


def _person(email: str, field: str) -> User:
    """The active Frontline user with ``email``, for the call to act as.

    :raises InvalidInput: no such user, or one whose account is switched off.
    """
    email = email.strip()
    if not email:
        raise InvalidInput({field: ["Give the e-mail of the person this is for."]})
    if len(email) > MAX_EMAIL:
        raise InvalidInput({field: [f"Use at most {MAX_EMAIL} characters."]})
    user = queries.users_by_email([email]).get(email.lower())
    if user is None:
        raise InvalidInput({field: [f"No Frontline user has the e-mail {email}."]})
    if not user.is_active:
        raise InvalidInput({field: [f"{user.name}'s account is switched off."]})
    return user


# --- reading --------------------------------------------------------------------------------


@bp.route("/problems")
@token_required(*READERS)
def problem_list() -> Any:
    state = request.args.get("state", "")
    if state not in STATUS_FILTERS:
        raise InvalidInput(
            {"state": [f"Use one of {', '.join(s for s in STATUS_FILTERS if s)}."]}
        )
    department_id = int_arg("department")
    if department_id is not None and db.session.get(Department, department_id) is None:
        abort(404, f"No department has the id {department_id}.")
    reporter_email = text_arg("reporter", MAX_EMAIL)
    reporter_id = None
    if reporter_email:
        reporter = queries.users_by_email([reporter_email]).get(reporter_email.lower())
        if reporter is None:
            raise InvalidInput(
                {"reporter": [f"No Frontline user has the e-mail {reporter_email}."]}
            )
        reporter_id = reporter.id
    filed = None
    if "month" in request.args:
        text = request.args["month"]
        try:
            if not MONTH.fullmatch(text):
                raise InvalidMonth(text)
            month = Month.parse(text)
        except InvalidMonth as e:
            raise InvalidInput({"month": ["Use a month like 2026-11."]}) from e
        filed = month_bounds(month, org_timezone())
    page = int_arg("page", 1) or 1
    per_page = int_arg("per_page", queries.PER_PAGE, high=MAX_PER_PAGE)
    listed = queries.problem_page(
        queries.ProblemFilter(
            status=state,
            department_id=department_id,
            reporter_id=reporter_id,
            filed=filed,
        ),
        page,
        per_page or queries.PER_PAGE,
        clamp=False,
    )
    return jsonify(
        {
            "page": listed.page,
            "per_page": listed.per_page,
            "total": listed.total,
            "problems": [
                _summary(row.report, row.tickets, row.supports) for row in listed.items
            ],
        }
    )


@bp.route("/problems/<int:report_id>")
@token_required(*READERS)
def problem_detail(report_id: int) -> Any:
    report = queries.load_problem(report_id) or abort(404, "No such problem report.")
    return jsonify(_detail(report))


@bp.route("/departments/<int:department_id>/on-call")
@token_required(*READERS)
def department_on_call(department_id: int) -> Any:
    department = db.get_or_404(Department, department_id)
    tz = org_timezone()
    now = utcnow()
    answer = queries.reach_now([department], now, tz)[0].answer
    return jsonify(
        {
            "department": {"id": department.id, "name": department.name},
            "at": now.isoformat(),
            "timezone": tz.key,
            "answers": _answer(answer),
            "text": _reach_text(department.name, answer),
        }
    )


def _answer(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "name": answer.entry.name,
        "contact": answer.entry.contact,
        "until": answer.until.isoformat(),
        "until_text": answer.until_text,
        "shift": answer.entry.line(),
    }


def _reach_text(name: str, answer: Answer | None) -> str:
    if answer is None:
        return f"Nobody is on {name}'s rota now."
    return (
        f"Reach {name} now: {answer.entry.name}, {answer.entry.contact}, "
        f"until {answer.until_text}"
    )


def _person_json(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"name": user.name, "email": user.email}


def _summary(report: ProblemReport, tickets: int, supports: int) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report.title,
        "category": str(report.category),
        "severity": str(report.severity),
        "state": str(report.status),
        "state_label": report.status.label,
        "department": {"id": report.department_id, "name": report.department.name},
        "reporter": _person_json(report.reporter),
        "created_at": report.created_at.isoformat(),
        "acknowledged_at": _iso(report.acknowledged_at),
        "closed_at": _iso(report.closed_at),
        "tickets": tickets,
        "supports": supports,
        "url": url_for("voice.problem_detail", report_id=report.id, _external=True),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _detail(report: ProblemReport) -> dict[str, Any]:
    answer = queries.reach_now([report.department], utcnow(), org_timezone())[0].answer
    return {
        **_summary(report, len(report.tickets), len(report.supports)),
        "story": report.story,
        "reason": report.reason,
        "duplicate_of": report.duplicate_of_id,
        "next_states": [str(s) for s in workflow.next_statuses(report.status)],
        "ticket_ids": [{"id": t.external_id, "known": t.known} for t in report.tickets],
        "plus_ones": [
            {"name": s.user.name, "at": s.at.isoformat()} for s in report.supports
        ],
        "history": [
            {
                "from": None if c.from_status is None else str(c.from_status),
                "to": str(c.to_status),
                "by": None if c.by is None else c.by.name,
                "at": c.at.isoformat(),
                "reason": c.reason,
            }
            for c in report.history
        ],
        "reach_now": _reach_text(report.department.name, answer),
    }


# --- filing and moving ----------------------------------------------------------------------


@bp.route("/problems", methods=["POST"])
@token_required(*WRITERS)
def problem_create() -> Any:
    body = _body()
    # Every field's problems at once, as the form shows them; nothing is saved.
    errors: dict[str, list[str]] = {}
    reporter = None
    try:
        reporter = _reporter(_text(body, "reporter", required=True))
    except InvalidInput as e:
        errors.update(e.errors)
    department_id, department_error = _department_of(body)
    if department_error:
        errors["department"] = [department_error]
    tickets = body.get("tickets", [])
    if not isinstance(tickets, list) or not all(isinstance(t, str) for t in tickets):
        errors["tickets"] = ["Send a list of ticket ids as text."]
        tickets = []
    elif len(tickets) > workflow.MAX_TICKETS:
        errors["tickets"] = [
            f"Give at most {workflow.MAX_TICKETS} ticket ids at a time."
        ]
    data = operations.ReportInput(
        title=_text(body, "title"),
        story=_text(body, "story"),
        category=_text(body, "category"),
        severity=_text(body, "severity") if "severity" in body else "medium",
        department_id=department_id,
        tickets_text=" ".join(tickets),
    )
    try:
        operations.check_report(data)
    except InvalidInput as e:
        for field, messages in e.errors.items():
            if field == "department_id" and department_error:
                continue  # said once, of the name sent
            errors.setdefault(field, messages)
    if errors or reporter is None:
        raise InvalidInput(errors)
    filed = operations.report_problem(data, by=reporter, via=api_actor())
    report = filed.report
    similar = queries.similar_open(f"{report.title} {report.story}", exclude=report.id)
    db.session.commit()
    report = queries.load_problem(report.id) or abort(404)
    return jsonify(
        {
            "problem": _detail(report),
            "warnings": filed.warnings,
            "similar": [
                {
                    "id": s.id,
                    "title": s.title,
                    "department": s.department.name,
                    "url": url_for(
                        "voice.problem_detail", report_id=s.id, _external=True
                    ),
                }
                for s in similar
            ],
        }
    ), 201


def _reporter(email: str) -> User:
    """The rep or supervisor a report is filed as.

    :raises InvalidInput: no such active user, or one who may not file reports.
    """
    reporter = _person(email, "reporter")
    if not reporter.has_role(*REPORTING_ROLES):
        raise InvalidInput(
            {
                "reporter": [
                    f"{reporter.name} is not a rep or supervisor: they cannot "
                    "file problem reports."
                ]
            }
        )
    return reporter


def _department_of(body: dict[str, Any]) -> tuple[int | None, str]:
    """The department's id, sent as ``department_id`` or found by its name
    (``department``); and what is wrong with the name, if anything."""
    department_id = _int(body, "department_id")
    name = _text(body, "department").strip()
    if department_id is not None or not name:
        return department_id, ""
    if len(name) > MAX_NAME:
        return None, f"Use at most {MAX_NAME} characters."
    found = queries.department_by_name(name)
    if found is None:
        return None, f"No department is called {name}."
    return found.id, ""


@bp.route("/problems/<int:report_id>/status", methods=["POST"])
@token_required(*WRITERS)
def problem_status(report_id: int) -> Any:
    report = queries.load_problem(report_id) or abort(404, "No such problem report.")
    body = _body()
    by = _person(_text(body, "by", required=True), "by")
    if not workflow.can_act_on(by.viewer(), report.department.member_ids):
        raise NotAllowed(
            f"{by.name} is not one of {report.department.name}'s members: only they "
            "move its reports."
        )
    try:
        step = operations.move_problem(
            report,
            _text(body, "state", required=True),
            reason=_text(body, "reason"),
            duplicate_of=_int(body, "duplicate_of"),
            by=by,
            via=api_actor(),
        )
    except InvalidInput as e:  # the form's field is "status"; the API's is "state"
        raise InvalidInput(
            {("state" if k == "status" else k): v for k, v in e.errors.items()}
        ) from e
    db.session.commit()
    told = send_step(report, step)
    report = queries.load_problem(report.id) or abort(404)
    return jsonify({"problem": _detail(report), "reporter_emailed": told})
