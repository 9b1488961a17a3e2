"""Scoring pages: the month's scores, month close and reopening, disputes, coaching and
plans. Their routes join the ``incentives`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from core.access import Role, can_see_rep, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.downloads import csv_response
from core.errors import Conflict, InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.params import choice_arg, id_arg, month_value
from core.people import User
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import operations, plans, queries
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.forms import (
    CoachingAssignForm,
    DisputeDecisionForm,
    DisputeForm,
    MonthCloseForm,
    MonthReopenForm,
    PlanImportForm,
    plan_field_name,
    plan_form,
)
from incentives.scoring.models import IncentivePlan, PlanVersion, TicketDispute
from incentives.scoring.tables import score_rows
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket
from incentives.views import (
    METRIC_ROLES,
    ORG_ROLES,
    bp,
    me,
    score_months,
    scorecard_month,
)


@bp.route("/scores")
@role_required(*METRIC_ROLES)
def score_list() -> Any:
    viewer = current_viewer()
    scope = ticket_queries.scope_for(viewer)
    month = scorecard_month()
    scores = queries.month_scores(month)
    rows = score_rows(scores, scope.rep_ids)
    return render_template(
        "incentives/score_list.html",
        month=month,
        months=score_months(month),
        scores=scores,
        rows=rows,
        scope=scope,
        teams=ticket_queries.team_choices(scope)
        if scope.team_ids != frozenset()
        else [],
        open_disputes=queries.count_open_disputes(month),
        close_history=queries.close_history(month) if viewer.has_any(ORG_ROLES) else [],
        batches=scorecard_queries.recent_batches() if viewer.has_any(ORG_ROLES) else [],
        plan=queries.get_active_version(),
        today_month=ticket_queries.current_month(),
    )


@bp.route("/scores.csv")
@role_required(*METRIC_ROLES)
def score_export() -> Any:
    scope = ticket_queries.scope_for(current_viewer())
    month = scorecard_month()
    header, rows = queries.export_rows(queries.month_scores(month), scope.rep_ids)
    return csv_response(f"scores-{month}.csv", header, rows)


@bp.route("/months/<month>/close", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def month_close(month: str) -> Any:
    month = _path_month(month)
    form = MonthCloseForm()
    if form.validate_on_submit():
        try:
            operations.close_month(
                month,
                by=me(),
                note=form.note.data or "",
                allow_open_disputes=form.confirm_disputes.data,
            )
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            populate_errors(
                form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
            )
        else:
            db.session.commit()
            flash(
                f"{metrics.month_label(month)} is closed: its scores are final.",
                "success",
            )
            return redirect(url_for("incentives.score_list", month=month))
    scores = queries.month_scores(month)
    viewer = current_viewer()
    return render_template(
        "incentives/month_close.html",
        month=month,
        form=form,
        reopen_form=MonthReopenForm(),
        scores=scores,
        rows=score_rows(scores, None),
        disputes=queries.list_disputes(viewer, month=month),
        is_over=month < ticket_queries.current_month(),
        plan=queries.get_active_version(),
        history=queries.close_history(month),
    )


@bp.route("/months/<month>/reopen", methods=["POST"])
@role_required(Role.ADMIN)
def month_reopen(month: str) -> Any:
    month = _path_month(month)
    form = MonthReopenForm()
    if not form.validate_on_submit():
        flash("Say why the month is reopened.", "error")
        return redirect(url_for("incentives.month_close", month=month))
    try:
        operations.reopen_month(month, by=me(), reason=form.reason.data)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(
            f"{metrics.month_label(month)} is open again: scores are worked out live "
            "until it closes anew.",
            "success",
        )
    return redirect(url_for("incentives.month_close", month=month))


def _path_month(text: str) -> str:
    return month_value(text)


# --- disputes ------------------------------------------------------------------------------


@bp.route("/tickets/<int:ticket_id>/dispute", methods=["GET", "POST"])
@role_required(Role.REP)
def dispute_create(ticket_id: int) -> Any:
    ticket = db.get_or_404(Ticket, ticket_id)
    rep_id = ticket.agent.rep_id if ticket.agent else None
    if rep_id != current_user.id:
        abort(403)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            dispute = operations.file_dispute(ticket, by=me(), reason=form.reason.data)
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Your dispute was sent to your supervisor.", "success")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute.id))
    return render_template(
        "incentives/dispute_form.html",
        form=form,
        ticket=ticket,
        month=metrics.month_of(ticket.solved_at, ticket_queries.org_timezone())
        if ticket.solved_at
        else None,
        existing=queries.disputes_by_ticket([ticket.id]).get(ticket.id),
    )


@bp.route("/disputes")
@role_required(*METRIC_ROLES)
def dispute_list() -> Any:
    viewer = current_viewer()
    status = choice_arg("status", {*DisputeStatus, "all"}, "open")
    chosen = DisputeStatus(status) if status != "all" else None
    return render_template(
        "incentives/dispute_list.html",
        disputes=queries.list_disputes(viewer, status=chosen),
        status=status if chosen else "all",
        statuses=list(DisputeStatus),
        viewer=viewer,
    )


def _dispute_or_403(dispute_id: int) -> TicketDispute:
    dispute = db.get_or_404(TicketDispute, dispute_id)
    if not can_see_rep(current_viewer(), dispute.rep_id, dispute.rep.team_id):
        abort(403)
    return dispute


@bp.route("/disputes/<int:dispute_id>")
@role_required(*METRIC_ROLES)
def dispute_detail(dispute_id: int) -> Any:
    dispute = _dispute_or_403(dispute_id)
    viewer = current_viewer()
    can_decide = dispute.is_open and can_supervise_rep(
        viewer, dispute.rep_id, dispute.rep.team_id
    )
    return render_template(
        "incentives/dispute_detail.html",
        dispute=dispute,
        form=_decision_form(dispute) if can_decide else None,
        closed=queries.get_close(dispute.month) is not None,
    )


def _decision_form(dispute: TicketDispute) -> DisputeDecisionForm:
    reps = [(i, n) for i, n in ticket_queries.rep_choices() if i != dispute.rep_id]
    return DisputeDecisionForm(reps=reps)


@bp.route("/disputes/<int:dispute_id>/decide", methods=["POST"])
@role_required(Role.SUPERVISOR)
def dispute_decide(dispute_id: int) -> Any:
    dispute = _dispute_or_403(dispute_id)
    if not can_supervise_rep(current_viewer(), dispute.rep_id, dispute.rep.team_id):
        abort(403)
    form = _decision_form(dispute)
    if form.validate_on_submit():
        accept = form.decision.data != "decline"
        reassign_to = (
            db.session.get(User, form.reassign_to.data)
            if form.reassign_to.data
            else None
        )
        try:
            operations.decide_dispute(
                dispute,
                by=me(),
                accept=accept,
                resolution=Resolution(form.decision.data) if accept else None,
                reassign_to=reassign_to,
                note=form.note.data or "",
            )
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            populate_errors(
                form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
            )
        else:
            db.session.commit()
            flash("Decision recorded; the month's scores follow it.", "success")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute.id))
    return render_template(
        "incentives/dispute_detail.html",
        dispute=dispute,
        form=form,
        closed=queries.get_close(dispute.month) is not None,
    ), 200


# --- coaching ------------------------------------------------------------------------------


@bp.route("/coaching", methods=["POST"])
@role_required(Role.SUPERVISOR)
def coaching_assign() -> Any:
    form = CoachingAssignForm()
    if not form.validate_on_submit():
        abort(400)
    rep = db.get_or_404(User, form.rep_id.data)
    if not can_supervise_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    today = utcnow().astimezone(ticket_queries.org_timezone()).date()
    try:
        operations.assign_coaching(rep, form.scenario.data, by=me(), today=today)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(f"Assigned to {rep.name}, due in two weeks.", "success")
    month = form.month.data if metrics.MONTH_RE.match(form.month.data or "") else None
    return redirect(url_for("incentives.scorecard_rep", rep_id=rep.id, month=month))


# --- plans ---------------------------------------------------------------------------------


@bp.route("/plans")
@role_required(Role.ADMIN)
def plan_list() -> Any:
    return render_template(
        "incentives/plan_list.html",
        plans=queries.list_plans(),
        locked=queries.locked_version_ids(),
    )


@bp.route("/plans/<int:plan_id>")
@role_required(Role.ADMIN)
def plan_detail(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    version_id = id_arg("version", "plan version")
    version = next((v for v in record.versions if v.id == version_id), record.current)
    return render_template(
        "incentives/plan_detail.html",
        record=record,
        version=version,
        plan=version.rules,
        yaml_text=plans.plan_to_yaml(version.rules),
        locked=queries.locked_version_ids(),
        months=queries.months_using(version.id),
        activate_form=ConfirmForm(),
    )


def _plan_form(formdata: Any = None) -> Any:
    teams = ticket_queries.team_choices(
        ticket_queries.Scope(None, None, organisation=True)
    )
    return plan_form(teams, formdata)


def _save_plan_form(form: Any, record: IncentivePlan | None) -> Any:
    try:
        plan = operations.check_plan(form.as_data())
        version, outcome = operations.save_plan(record, plan, by=me())
    except InvalidInput as e:
        db.session.rollback()
        populate_errors(
            form, InvalidInput({plan_field_name(k): v for k, v in e.errors.items()})
        )
        return None
    db.session.commit()
    flash(PLAN_OUTCOMES[outcome].format(label=version.label), "success")
    return redirect(url_for("incentives.plan_detail", plan_id=version.plan_id))


PLAN_OUTCOMES = {
    "created": "{label} saved.",
    "updated": "{label} changed.",
    "new_version": "{label} saved as a new version: the one before is frozen, closed "
    "months used it.",
    "unchanged": "Nothing changed in {label}.",
}


@bp.route("/plans/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_create() -> Any:
    form = _plan_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        done = _save_plan_form(form, None)
        if done is not None:
            return done
    return render_template("incentives/plan_form.html", form=form, record=None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_edit(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    form = _plan_form(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.fill(record.current.definition)
    elif form.validate():
        done = _save_plan_form(form, record)
        if done is not None:
            return done
    return render_template(
        "incentives/plan_form.html",
        form=form,
        record=record,
        frozen=record.current.id in queries.locked_version_ids(),
    )


@bp.route("/plans/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_import() -> Any:
    form = PlanImportForm()
    if form.validate_on_submit():
        text = (
            form.file.data.read().decode("utf-8-sig", errors="replace")
            if form.file.data
            else form.text.data
        )
        try:
            version, outcome = operations.import_plan_yaml(text, by=me())
        except InvalidInput as e:
            db.session.rollback()
            form.form_errors.extend(plans.PlanInvalid(e.errors).problems)
        else:
            db.session.commit()
            flash(PLAN_OUTCOMES[outcome].format(label=version.label), "success")
            return redirect(url_for("incentives.plan_detail", plan_id=version.plan_id))
    return render_template("incentives/plan_import.html", form=form)


@bp.route("/plans/<int:plan_id>/activate", methods=["POST"])
@role_required(Role.ADMIN)
def plan_activate(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.activate_plan(record, by=me())
    db.session.commit()
    flash(f"{record.name} is in force: open months are scored with it.", "success")
    return redirect(url_for("incentives.plan_detail", plan_id=record.id))


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>.yaml")
@role_required(Role.ADMIN)
def plan_version_yaml(plan_id: int, version_id: int) -> Any:
    version = db.get_or_404(PlanVersion, version_id)
    if version.plan_id != plan_id:
        abort(404)
    return Response(
        plans.plan_to_yaml(version.rules),
        mimetype="text/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}-v{version.version}.yaml"'
        },
    )
