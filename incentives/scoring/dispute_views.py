"""Dispute pages: a rep disputes a ticket, supervisors see and decide disputes. Their
routes join the ``incentives`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from core import mail
from core.access import Role, Viewer, can_see_rep, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db
from core.errors import Conflict, InvalidInput
from core.forms import populate_errors
from core.params import choice_arg
from core.people import User
from incentives.scoring import dispute_queries, operations, queries
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.forms import DisputeDecisionForm, DisputeForm
from incentives.scoring.models import TicketDispute
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket
from incentives.views import METRIC_ROLES, bp, me


def _credited_rep_id(ticket: Ticket) -> int | None:
    """The rep the ticket counts for now: a decided dispute's, else its agent's."""
    changes = queries.accepted_changes()
    if ticket.id in changes:
        return changes[ticket.id][0]
    return ticket.agent.rep_id if ticket.agent else None


@bp.route("/tickets/<int:ticket_id>/dispute", methods=["GET", "POST"])
@role_required(Role.REP)
def dispute_create(ticket_id: int) -> Any:
    ticket = db.get_or_404(Ticket, ticket_id)
    helpdesk_rep = ticket.agent.rep_id if ticket.agent else None
    if current_user.id not in (helpdesk_rep, _credited_rep_id(ticket)):
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


def _may_see(viewer: Viewer, dispute: TicketDispute) -> bool:
    """The disputing rep's viewers, and those of the rep a reassignment gave it to."""
    if can_see_rep(viewer, dispute.rep_id, dispute.rep.team_id):
        return True
    given = dispute.reassigned_to
    return given is not None and can_see_rep(viewer, given.id, given.team_id)


def _dispute_or_403(dispute_id: int) -> TicketDispute:
    dispute = db.get_or_404(TicketDispute, dispute_id)
    if not _may_see(current_viewer(), dispute):
        abort(403)
    return dispute


def _detail(dispute: TicketDispute, form: DisputeDecisionForm | None) -> str:
    closed = queries.get_close(dispute.month) is not None
    ticket = dispute.ticket
    may_dispute = (
        dispute.reassigned_to_id == current_user.id
        and not closed
        and _credited_rep_id(ticket) == current_user.id
        and queries.get_open_dispute(ticket.id) is None
    )
    return render_template(
        "incentives/dispute_detail.html",
        dispute=dispute,
        form=form,
        closed=closed,
        may_dispute=may_dispute,
    )


@bp.route("/disputes/<int:dispute_id>")
@role_required(*METRIC_ROLES)
def dispute_detail(dispute_id: int) -> Any:
    dispute = _dispute_or_403(dispute_id)
    viewer = current_viewer()
    can_decide = dispute.is_open and can_supervise_rep(
        viewer, dispute.rep_id, dispute.rep.team_id
    )
    return _detail(dispute, _decision_form(dispute) if can_decide else None)


def _decision_form(dispute: TicketDispute) -> DisputeDecisionForm:
    reps = dispute_queries.reassign_choices(
        current_viewer(), disputing_rep_id=dispute.rep_id
    )
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
            if form.reassign_to.data and form.decision.data == "reassign"
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
        except Conflict as e:
            db.session.rollback()
            flash(e.message, "error")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute_id))
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            message = "Decision recorded; the month's scores follow it."
            if dispute.reassigned_to is not None:
                message += _tell_new_rep(dispute, dispute.reassigned_to)
            flash(message, "success")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute.id))
    return _detail(dispute, form), 200


def _tell_new_rep(dispute: TicketDispute, rep: User) -> str:
    """E-mail the rep a reassignment gave the ticket to, when e-mail is set up; they
    also see it on their dashboard. The words for the flash message."""
    ticket = dispute.ticket
    link = url_for("incentives.dispute_detail", dispute_id=dispute.id, _external=True)
    sent = mail.send_if_configured(
        current_app.config,
        to=rep.email,
        subject=f"Ticket {ticket.external_id} now counts for you",
        body=(
            f"Hello {rep.name},\n\n"
            f"{dispute.decided_by.name if dispute.decided_by else 'A supervisor'} "
            f"decided that ticket {ticket.source} {ticket.external_id}, solved in "
            f"{metrics.month_label(dispute.month)}, was your work: it now counts for "
            f"you instead of {dispute.rep.name}.\n\n"
            "If it was not yours, you can dispute it in turn while the month is "
            f"open:\n{link}\n"
        ),
    )
    if sent:
        return f" {rep.name} was told by e-mail."
    return f" {rep.name} sees it on their dashboard."
