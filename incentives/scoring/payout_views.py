"""Payout pages: a month's payouts with adjustments and the approval, the payout export,
and a rep's working dates and leave. Their routes join the ``incentives`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from core.access import Role
from core.auth import current_viewer, role_required
from core.db import db
from core.downloads import csv_response
from core.errors import Conflict, InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.params import month_value
from core.people import User
from incentives.scoring import payout_operations, payout_queries, payouts
from incentives.scoring.payout_forms import (
    AdjustmentForm,
    AdjustmentRemoveForm,
    ApprovalForm,
    LeaveForm,
    WorkDatesForm,
)
from incentives.scoring.payout_models import PayoutAdjustment, RepLeave
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.views import METRIC_ROLES, ORG_ROLES, bp, me, scorecard_month

KEEPERS = (Role.ADMIN, Role.SUPERVISOR)


def _page(month: str, *, adjust_form: AdjustmentForm | None = None) -> Any:
    viewer = current_viewer()
    scope = ticket_queries.scope_for(viewer)
    result = payout_queries.month_payouts(month)
    lines = result.visible(scope.rep_ids)
    keepable = [
        line
        for line in lines
        if payouts.may_keep_pay(viewer, line.rep_id, line.team_id)
    ]
    adjust_form = adjust_form or AdjustmentForm()
    adjust_form.rep_id.choices = [(0, "Choose a rep")] + [
        (line.rep_id, f"{line.name} ({line.team_name or 'no team'})")
        for line in keepable
    ]
    visible_ids = {line.rep_id for line in lines}
    return render_template(
        "incentives/payout_list.html",
        month=month,
        months=payout_queries.months_with_data() or [month],
        result=result,
        lines=lines,
        keepable={line.rep_id for line in keepable},
        sees_all=scope.rep_ids is None,
        adjustments=[
            a for a in payout_queries.list_adjustments(month) if a.rep_id in visible_ids
        ],
        adjust_form=adjust_form,
        remove_form=AdjustmentRemoveForm(),
        approve_form=ApprovalForm(),
        history=payout_queries.approval_history(month)
        if viewer.has_any(ORG_ROLES)
        else [],
        may_approve=Role.LEADERSHIP in viewer.roles,
    )


@bp.route("/payouts")
@role_required(*METRIC_ROLES)
def payout_list() -> Any:
    return _page(scorecard_month())


@bp.route("/payouts.csv")
@role_required(*ORG_ROLES)
def payout_export() -> Any:
    month = scorecard_month()
    result = payout_queries.month_payouts(month)
    header, rows = payout_queries.export_table(result)
    return csv_response(f"payouts-{month}-{result.status}.csv", header, rows)


@bp.route("/payouts/<month>/adjustments", methods=["POST"])
@role_required(*KEEPERS)
def payout_adjustment_create(month: str) -> Any:
    month = month_value(month)
    form = AdjustmentForm()
    if form.validate_on_submit():
        rep = db.session.get(User, form.rep_id.data) if form.rep_id.data else None
        if rep is None:
            form.rep_id.errors = ["Choose the rep."]
        else:
            try:
                payout_operations.add_adjustment(
                    month,
                    rep,
                    amount=form.amount.data or "",
                    reason=form.reason.data or "",
                    by=me(),
                )
            except InvalidInput as e:
                db.session.rollback()
                populate_errors(form, e)
            else:
                db.session.commit()
                flash(f"{rep.name}'s payout is adjusted.", "success")
                return redirect(url_for("incentives.payout_list", month=month))
    return _page(month, adjust_form=form), 400


@bp.route("/payouts/adjustments/<int:adjustment_id>/remove", methods=["POST"])
@role_required(*KEEPERS)
def payout_adjustment_remove(adjustment_id: int) -> Any:
    adjustment = db.get_or_404(PayoutAdjustment, adjustment_id)
    form = AdjustmentRemoveForm()
    if form.validate_on_submit():
        try:
            payout_operations.remove_adjustment(
                adjustment, reason=form.reason.data or "", by=me()
            )
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash("The adjustment is removed; it stays on record.", "success")
    else:
        flash("Say why the adjustment is removed.", "error")
    return redirect(url_for("incentives.payout_list", month=adjustment.month))


@bp.route("/payouts/<month>/approve", methods=["POST"])
@role_required(Role.LEADERSHIP)
def payout_approve(month: str) -> Any:
    month = month_value(month)
    if ApprovalForm().validate_on_submit():
        try:
            approval = payout_operations.approve_month(month, by=me())
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(
                f"{metrics.month_label(month)}'s payouts are approved: "
                f"{approval.total:,.2f} {approval.currency} for {approval.rep_count} "
                f"rep{'s' if approval.rep_count != 1 else ''}. The export is final.",
                "success",
            )
    return redirect(url_for("incentives.payout_list", month=month))


# --- working dates ------------------------------------------------------------------------


def _rep_kept_by_viewer(rep_id: int) -> User:
    rep = db.get_or_404(User, rep_id)
    if not rep.has_role(Role.REP):
        abort(404)
    if not payouts.may_keep_pay(current_viewer(), rep.id, rep.team_id):
        abort(403)
    return rep


def _dates_page(
    rep: User,
    *,
    dates_form: WorkDatesForm | None = None,
    leave_form: LeaveForm | None = None,
) -> Any:
    record = payout_queries.get_work_dates(rep.id)
    if dates_form is None:
        dates_form = WorkDatesForm(obj=record)
    month = scorecard_month()
    return render_template(
        "incentives/payout_work_dates.html",
        rep=rep,
        dates_form=dates_form,
        leave_form=leave_form or LeaveForm(),
        leaves=payout_queries.list_leaves(rep.id),
        month=month,
        share=payout_queries.prorations(month, [rep.id]).get(rep.id),
    )


@bp.route("/reps/<int:rep_id>/work-dates", methods=["GET", "POST"])
@role_required(*KEEPERS)
def payout_work_dates(rep_id: int) -> Any:
    rep = _rep_kept_by_viewer(rep_id)
    form = WorkDatesForm()
    if form.validate_on_submit():
        try:
            payout_operations.save_work_dates(
                rep, started_on=form.started_on.data, left_on=form.left_on.data, by=me()
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(f"{rep.name}'s working dates are saved.", "success")
            return redirect(url_for("incentives.payout_work_dates", rep_id=rep.id))
        return _dates_page(rep, dates_form=form), 400
    if form.is_submitted():
        return _dates_page(rep, dates_form=form), 400
    return _dates_page(rep)


@bp.route("/reps/<int:rep_id>/leave", methods=["POST"])
@role_required(*KEEPERS)
def payout_leave_add(rep_id: int) -> Any:
    rep = _rep_kept_by_viewer(rep_id)
    form = LeaveForm()
    if form.validate_on_submit():
        try:
            payout_operations.add_leave(
                rep,
                first_day=form.first_day.data,
                last_day=form.last_day.data,
                note=form.note.data or "",
                by=me(),
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("The leave is recorded.", "success")
            return redirect(url_for("incentives.payout_work_dates", rep_id=rep.id))
    return _dates_page(rep, leave_form=form), 400


@bp.route("/leave/<int:leave_id>/remove", methods=["POST"])
@role_required(*KEEPERS)
def payout_leave_remove(leave_id: int) -> Any:
    leave = db.get_or_404(RepLeave, leave_id)
    rep = _rep_kept_by_viewer(leave.rep_id)
    if ConfirmForm().validate_on_submit():
        payout_operations.remove_leave(leave, by=me())
        db.session.commit()
        flash("The leave is removed.", "success")
    return redirect(url_for("incentives.payout_work_dates", rep_id=rep.id))
