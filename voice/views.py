"""The voice module's pages: departments and who to reach now, problem reports (list,
filing with similar reports first, a report's page, "+1"s, status moves) and each
department's reaction figures. Policy changes and ideas hang on the same blueprint from
:mod:`voice.upward_views`."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from core import mail, params
from core.access import Role
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import form_status, rollback_into
from core.people import User
from core.shell import NavItem
from core.templating import org_timezone
from voice import operations, queries, workflow
from voice.forms import DepartmentForm, MoveForm, ProblemForm, SupportForm
from voice.models import Department, MemberKind, ProblemReport
from voice.workflow import (
    CATEGORY_LABELS,
    REACTION_ROLES,
    REPORTING_ROLES,
    STATUS_LABELS,
    ProblemStatus,
    Step,
    counted,
)

bp = Blueprint("voice", __name__, url_prefix="/voice")

#: Main navigation: every signed-in user reads the problems, policy changes, ideas and
#: who to reach (the section's own tabs lead to each).
NAV: list[NavItem] = [NavItem("Voice", "voice.problem_list", frozenset(), "voice.")]

STATUS_FILTERS = ("", "open", "closed", *(s.value for s in ProblemStatus))


@bp.app_template_filter("counted")
def _counted_filter(count: int, word: str, plural: str | None = None) -> str:
    return counted(count, word, plural)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"STATUS_LABELS": STATUS_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS}


def signed_in_user() -> User:
    return current_user._get_current_object()


# --- departments --------------------------------------------------------------------------


@bp.route("/departments")
@role_required()
def department_list() -> Any:
    departments = queries.list_departments(active_only=False)
    return render_template(
        "voice/department_list.html",
        rows=queries.reach_now(departments, utcnow(), org_timezone()),
        viewer=current_viewer(),
        tz=org_timezone().key,
    )


@bp.route("/departments/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def department_create() -> Any:
    return _department_form(None)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def department_edit(department_id: int) -> Any:
    return _department_form(db.get_or_404(Department, department_id))


def _department_form(department: Department | None) -> Any:
    form = DepartmentForm(people=queries.user_choices())
    if request.method == "GET" and department is not None:
        form.name.data = department.name
        form.description.data = department.description
        form.owner_id.data = department.owner_id or 0
        form.deputy_ids.data = [u.id for u in department.people(MemberKind.DEPUTY)]
        form.member_ids.data = [u.id for u in department.people(MemberKind.MEMBER)]
        form.ack_target_hours.data = department.ack_target_hours
        form.rota.data = "\n".join(e.line() for e in department.rota_entries())
        form.active.data = department.active
    if form.validate_on_submit():
        data = operations.DepartmentInput(
            name=form.name.data or "",
            description=form.description.data or "",
            owner_id=form.owner_id.data or None,
            deputy_ids=tuple(form.deputy_ids.data or ()),
            member_ids=tuple(form.member_ids.data or ()),
            ack_target_hours=form.ack_target_hours.data,
            rota_text=form.rota.data or "",
            active=form.active.data,
        )
        try:
            saved = operations.save_department(department, data, by=signed_in_user())
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("voice.department_list"))
    return render_template(
        "voice/department_form.html", form=form, department=department
    ), form_status()


@bp.route("/reaction")
@role_required(*REACTION_ROLES)
def reaction_overview() -> Any:
    departments = queries.list_departments(active_only=False)
    return render_template(
        "voice/reaction_overview.html",
        rows=queries.all_reactions(departments, utcnow()),
    )


@bp.route("/departments/<int:department_id>/reaction")
@role_required()
def department_reaction(department_id: int) -> Any:
    department = db.get_or_404(Department, department_id)
    if not workflow.can_see_reaction(current_viewer(), department.member_ids):
        abort(403)
    open_page = queries.problem_page(
        queries.ProblemFilter(
            status="open", department_id=department.id, oldest_first=True
        ),
        1,
        10,
    )
    return render_template(
        "voice/department_reaction.html",
        department=department,
        figures=queries.department_reaction(department, utcnow()),
        open_page=open_page,
    )


# --- problem reports ----------------------------------------------------------------------


@bp.route("/problems")
@role_required()
def problem_list() -> Any:
    me = signed_in_user()
    status = params.choice_arg("status", STATUS_FILTERS, "open")
    department_id = params.id_arg("department", "department")
    scope = params.choice_arg("scope", ("", "mine", "departments"), "")
    mine = queries.departments_of(me.id)
    f = queries.ProblemFilter(
        status=status,
        department_id=department_id,
        reporter_id=me.id if scope == "mine" else None,
        department_ids=frozenset(d.id for d in mine)
        if scope == "departments"
        else None,
    )
    return render_template(
        "voice/problem_list.html",
        page=queries.problem_page(f, params.page_arg()),
        status=status,
        department_id=department_id,
        scope=scope,
        departments=queries.department_choices(),
        my_departments=mine,
        can_report=workflow.can_report(current_viewer()),
    )


@bp.route("/problems/new", methods=["GET", "POST"])
@role_required(*REPORTING_ROLES)
def problem_create() -> Any:
    form = ProblemForm(departments=queries.department_choices())
    if request.method == "GET":
        form.tickets.data = params.text_arg("ticket", 64)
    similar: list[ProblemReport] | None = None
    if form.validate_on_submit():
        data = _report_input(form)
        try:
            if not form.file.data:
                operations.check_report(data)
                similar = queries.similar_open(f"{data.title} {data.story}")
            else:
                filed = operations.report_problem(data, by=signed_in_user())
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            if similar is None:
                db.session.commit()
                for warning in filed.warnings:
                    flash(warning, "warning")
                flash(
                    f"Report #{filed.report.id} filed for "
                    f"{filed.report.department.name}; you will hear of each step.",
                    "success",
                )
                return redirect(
                    url_for("voice.problem_detail", report_id=filed.report.id)
                )
    return render_template(
        "voice/problem_form.html",
        form=form,
        report=None,
        similar=similar,
        support_form=SupportForm(tickets=form.tickets.data),
    ), (400 if form.errors else 200)


def _report_input(form: ProblemForm) -> operations.ReportInput:
    return operations.ReportInput(
        title=form.title.data or "",
        story=form.story.data or "",
        category=form.category.data or "",
        severity=form.severity.data or "",
        department_id=form.department_id.data or None,
        tickets_text=form.tickets.data or "",
    )


@bp.route("/problems/<int:report_id>")
@role_required()
def problem_detail(report_id: int) -> Any:
    report = queries.load_problem(report_id) or abort(404)
    return _detail(report, MoveForm(allowed=workflow.next_statuses(report.status)))


def _detail(report: ProblemReport, move_form: MoveForm, status: int = 200) -> Any:
    viewer = current_viewer()
    department = report.department
    return render_template(
        "voice/problem_detail.html",
        report=report,
        answer=queries.reach_now([department], utcnow(), org_timezone())[0].answer,
        can_edit=workflow.can_edit_report(
            viewer, report.reporter_id or 0, report.status
        ),
        can_support=workflow.can_support(
            viewer, report.reporter_id or 0, report.status
        ),
        supported=any(s.user_id == viewer.user_id for s in report.supports),
        can_act=workflow.can_act_on(viewer, department.member_ids)
        and report.status.is_open,
        move_form=move_form,
        support_form=SupportForm(),
    ), status


@bp.route("/problems/<int:report_id>/edit", methods=["GET", "POST"])
@role_required(*REPORTING_ROLES)
def problem_edit(report_id: int) -> Any:
    report = db.get_or_404(ProblemReport, report_id)
    if not workflow.can_edit_report(
        current_viewer(), report.reporter_id or 0, report.status
    ):
        abort(403)
    form = ProblemForm(departments=queries.department_choices())
    if request.method == "GET":
        form.title.data, form.story.data = report.title, report.story
        form.category.data, form.severity.data = report.category, report.severity
        form.department_id.data = report.department_id
    if form.validate_on_submit():
        try:
            filed = operations.edit_problem(
                report, _report_input(form), by=signed_in_user()
            )
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            for warning in filed.warnings:
                flash(warning, "warning")
            flash("Your report is changed.", "success")
            return redirect(url_for("voice.problem_detail", report_id=report.id))
    return render_template(
        "voice/problem_form.html",
        form=form,
        report=report,
        similar=None,
        support_form=None,
    ), form_status()


@bp.route("/problems/<int:report_id>/support", methods=["POST"])
@role_required(*REPORTING_ROLES)
def problem_support(report_id: int) -> Any:
    report = db.get_or_404(ProblemReport, report_id)
    if not workflow.can_support(
        current_viewer(), report.reporter_id or 0, report.status
    ):
        abort(403)
    form = SupportForm()
    target = url_for("voice.problem_detail", report_id=report.id)
    if not form.validate_on_submit():
        flash(" ".join(m for msgs in form.errors.values() for m in msgs), "error")
        return redirect(target)
    try:
        filed = operations.support_problem(
            report,
            tickets_text=form.tickets.data or "",
            note=form.note.data or "",
            by=signed_in_user(),
        )
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.message if isinstance(e, Conflict) else str(e), "error")
        return redirect(target)
    db.session.commit()
    for warning in filed.warnings:
        flash(warning, "warning")
    flash("Your +1 is added to the report.", "success")
    return redirect(target)


@bp.route("/problems/<int:report_id>/status", methods=["POST"])
@role_required()
def problem_status(report_id: int) -> Any:
    report = queries.load_problem(report_id) or abort(404)
    if not workflow.can_act_on(current_viewer(), report.department.member_ids):
        abort(403)
    form = MoveForm(allowed=list(ProblemStatus))
    if form.validate_on_submit():
        try:
            step = operations.move_problem(
                report,
                form.status.data or "",
                reason=form.reason.data or "",
                duplicate_of=form.duplicate_of.data,
                by=signed_in_user(),
            )
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            moved = f"Report #{report.id} is now {step.status.label.lower()}."
            flash(moved + tell_reporter(report, step), "success")
            return redirect(url_for("voice.problem_detail", report_id=report.id))
    report = queries.load_problem(report_id) or abort(404)
    form.status.choices = [
        (s.value, s.label) for s in workflow.next_statuses(report.status)
    ]
    return _detail(report, form, 400)


def tell_reporter(report: ProblemReport, step: Step) -> str:
    """E-mail the reporter the step (when e-mail is set up); the words for the flash."""
    reporter = report.reporter
    if reporter is None:
        return ""
    if send_step(report, step):
        return f" {reporter.name} was told by e-mail."
    return f" {reporter.name} sees it on the report's page."


def send_step(report: ProblemReport, step: Step) -> bool:
    """E-mail the reporter the step; whether it was sent (no reporter, or no e-mail set
    up: their dashboard and the report's page show it)."""
    reporter = report.reporter
    if reporter is None:
        return False
    link = url_for("voice.problem_detail", report_id=report.id, _external=True)
    return bool(
        mail.send_if_configured(
            current_app.config,
            to=reporter.email,
            subject=step.subject(),
            body=step.body(reporter.name, link),
        )
    )
