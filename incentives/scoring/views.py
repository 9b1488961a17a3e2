"""Scoring pages: the month's scores, month close and reopening, coaching, plans and the
rep's own plan in plain words. Disputes are ``dispute_views``. Routes join the
``incentives`` blueprint."""

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

from core.access import Role, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.downloads import csv_response
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import ConfirmForm, choices, populate_errors
from core.params import id_arg, month_value
from core.people import User
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import (
    close_review_queries,
    month_plans,
    operations,
    payout_queries,
    plan_operations,
    plan_queries,
    plan_words,
    plans,
    queries,
    reopen_queries,
)
from incentives.scoring.forms import (
    CoachingAssignForm,
    MonthCloseForm,
    MonthReopenForm,
    PlanAcknowledgeForm,
    PlanImportForm,
    PlanScheduleForm,
    plan_field_name,
    plan_form,
)
from incentives.scoring.models import IncentivePlan, PlanVersion
from incentives.scoring.tables import score_rows
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
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
    paid = payout_queries.payouts_of([scores])[month]
    rows = score_rows(scores, scope.rep_ids, paid.finals)
    return render_template(
        "incentives/score_list.html",
        month=month,
        months=score_months(month),
        scores=scores,
        rows=rows,
        paid=paid,
        scope=scope,
        teams=ticket_queries.team_choices(scope)
        if scope.team_ids != frozenset()
        else [],
        open_disputes=queries.count_open_disputes(month),
        close_history=queries.close_history(month) if viewer.has_any(ORG_ROLES) else [],
        batches=scorecard_queries.recent_batches() if viewer.has_any(ORG_ROLES) else [],
        plan=month_plans.version_for_month(month),
        today_month=ticket_queries.current_month(),
    )


@bp.route("/scores.csv")
@role_required(*METRIC_ROLES)
def score_export() -> Any:
    scope = ticket_queries.scope_for(current_viewer())
    month = scorecard_month()
    scores = queries.month_scores(month)
    header, rows = queries.export_rows(
        scores, payout_queries.payouts_of([scores])[month].finals, scope.rep_ids
    )
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
    paid = payout_queries.payouts_of([scores])[month]
    viewer = current_viewer()
    return render_template(
        "incentives/month_close.html",
        month=month,
        form=form,
        reopen_form=_reopen_form(month),
        scores=scores,
        rows=score_rows(scores, None, paid.finals),
        paid=paid,
        disputes=queries.list_disputes(viewer, month=month),
        is_over=month < ticket_queries.current_month(),
        plan=month_plans.version_for_month(month),
        history=queries.close_history(month),
        review=close_review_queries.close_review(month),
    )


def _reopen_form(month: str) -> MonthReopenForm:
    form = MonthReopenForm()
    close = queries.get_close(month)
    if close is not None:
        form.plan_version.choices = choices(
            [
                (
                    "",
                    f"Keep {close.plan_version.label}, the version it was closed with",
                ),
                *(
                    (str(v.id), v.label)
                    for v in month_plans.reopen_choices(month, close.plan_version)
                ),
            ]
        )
    return form


@bp.route("/months/<month>/reopen", methods=["POST"])
@role_required(Role.ADMIN)
def month_reopen(month: str) -> Any:
    """Reopen a closed month; with another plan version picked, first show each rep's
    score and payout under it and reopen only once the closer confirms."""
    month = _path_month(month)
    form = _reopen_form(month)
    if not form.validate_on_submit():
        flash("Say why the month is reopened.", "error")
        return redirect(url_for("incentives.month_close", month=month))
    confirmed = form.confirm.data == "yes"
    try:
        chosen = month_plans.version_for_reopening(month, form.plan_version.data)
        close = queries.get_close(month)
        if (
            chosen is not None
            and close is not None
            and not confirmed
            and chosen.id != close.plan_version_id
        ):
            form.confirm.data = "yes"
            return render_template(
                "incentives/month_reopen_confirm.html",
                month=month,
                form=form,
                preview=reopen_queries.preview_version_change(month, chosen),
            )
        operations.reopen_month(
            month,
            by=me(),
            reason=form.reason.data,
            plan_version=form.plan_version.data,
            confirmed=confirmed,
        )
    except ValueError as e:
        flash(str(e), "error")
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


PLAN_READERS = (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)


def _readable_plan(plan_id: int) -> IncentivePlan:
    record = db.get_or_404(IncentivePlan, plan_id)
    if not plan_queries.may_read_plan(current_viewer(), record):
        abort(403)
    return record


@bp.route("/plans")
@role_required(*PLAN_READERS)
def plan_list() -> Any:
    return render_template(
        "incentives/plan_list.html",
        plans=plan_queries.readable_plans(current_viewer()),
        locked=queries.locked_version_ids(),
        can_edit=current_user.has_role(Role.ADMIN),
    )


@bp.route("/plans/<int:plan_id>")
@role_required(*PLAN_READERS)
def plan_detail(plan_id: int) -> Any:
    record = _readable_plan(plan_id)
    version_id = id_arg("version", "plan version")
    version = next((v for v in record.versions if v.id == version_id), record.current)
    return render_template(
        "incentives/plan_detail.html",
        **_detail_context(record, version),
        schedule_form=_schedule_form(version)
        if current_user.has_role(Role.ADMIN)
        else None,
    )


def _detail_context(record: IncentivePlan, version: PlanVersion) -> dict[str, Any]:
    in_force = record.is_active and version.id == record.current.id
    return dict(
        record=record,
        version=version,
        plan=version.rules,
        yaml_text=plans.plan_to_yaml(version.rules),
        locked=queries.locked_version_ids(),
        months=queries.months_using(version.id),
        activate_form=ConfirmForm(),
        can_edit=current_user.has_role(Role.ADMIN),
        acknowledgements=plan_queries.acknowledgement_rows(current_viewer(), version)
        if in_force
        else None,
        scope_teams=_team_names(version.team_ids),
    )


def _team_names(team_ids: list[Any]) -> str:
    """The teams a version is for, in words ("" for the whole organisation)."""
    names = {id_: name for name, id_ in queries.team_ids_by_name().items()}
    named = sorted(names[int(t)] for t in team_ids or () if int(t) in names)
    return ", ".join(named) or ("teams that no longer exist" if team_ids else "")


def _schedule_form(version: PlanVersion, formdata: Any = None) -> PlanScheduleForm:
    form = PlanScheduleForm(formdata)
    if formdata is None:
        form.effective_from.data = version.effective_from or ""
    return form


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>/schedule", methods=["POST"])
@role_required(Role.ADMIN)
def plan_schedule(plan_id: int, version_id: int) -> Any:
    version = db.get_or_404(PlanVersion, version_id)
    if version.plan_id != plan_id:
        abort(404)
    form = _schedule_form(version, request.form)
    if form.validate_on_submit():
        try:
            plan_operations.schedule_version(
                version,
                effective_from=form.effective_from.data,
                team_ids=[int(t) for t in version.team_ids or ()],
                by=me(),
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(
                f"{version.label}: saved when and for whom it is in force.", "success"
            )
            return redirect(
                url_for("incentives.plan_detail", plan_id=plan_id, version=version.id)
            )
    record = version.plan
    return render_template(
        "incentives/plan_detail.html",
        **_detail_context(record, version),
        schedule_form=form,
    ), 200


@bp.route("/my-plan")
@role_required(Role.REP)
def my_plan() -> Any:
    version = plan_queries.plan_paid_on(me())
    acknowledged = (
        plan_queries.acknowledgement(current_user.id, version) if version else None
    )
    return render_template(
        "incentives/my_plan.html",
        version=version,
        words=plan_words.describe(version.rules, current_user.team_id)
        if version
        else None,
        acknowledged=acknowledged,
        form=version is not None and acknowledged is None,
    )


@bp.route("/my-plan/acknowledge", methods=["POST"])
@role_required(Role.REP)
def plan_acknowledge() -> Any:
    form = PlanAcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    version = db.get_or_404(PlanVersion, form.version_id.data)
    try:
        plan_operations.acknowledge_plan(
            version, by=me(), content_hash=form.content_hash.data
        )
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(f"Thank you: you acknowledged {version.label}.", "success")
    return redirect(url_for("incentives.my_plan"))


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
@role_required(*PLAN_READERS)
def plan_version_yaml(plan_id: int, version_id: int) -> Any:
    _readable_plan(plan_id)
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
