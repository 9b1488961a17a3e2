"""Training's authority pages: the catalogue, sign-off requests and decisions, grants and the
register of what each rep may do. Their routes join the ``training`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.access import Role, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.downloads import csv_response
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import ConfirmForm, form_status, rollback_into
from core.params import choice_arg, id_arg, page_arg
from core.people import Team, User, get_user_with_roles
from training import authority_operations, authority_queries, queries
from training.authority import (
    EXPIRY_WARNING,
    GrantState,
    SignoffStatus,
    approvals_needed,
)
from training.forms import (
    AuthorityForm,
    ReasonForm,
    SignoffApproveForm,
    SignoffRequestForm,
)
from training.models import Authority, Grant, SignoffRequest
from training.views import (
    OVERSIGHT_ROLES,
    TRAINING_ROLES,
    bp,
    check_sees,
    org_today,
    scenario_choices,
    scenario_filler,
    signed_in_user,
)


@bp.route("/authorities")
@role_required(*TRAINING_ROLES)
def authority_list() -> Any:
    me = signed_in_user()
    now = utcnow()
    mine = {}
    if Role.REP in me.roles:
        entries = authority_queries.register_for(
            [me], authority_queries.list_authorities(), now
        )[me.id]
        mine = {e.authority.id: e for e in entries}
    authorities = authority_queries.list_authorities()
    short: list[Team] = []
    if any(a.two_person_limit is not None and a.is_active for a in authorities):
        if me.has_role(Role.ADMIN, Role.LEADERSHIP):
            short = authority_queries.teams_short_of_supervisors()
        elif Role.REP in me.roles and me.team and len(me.team.supervisors) < 2:
            short = [me.team]
    return render_template(
        "training/authority_list.html",
        authorities=authorities,
        titles=queries.scenario_titles(),
        mine=mine,
        short=short,
    )


def _authority_input(form: AuthorityForm) -> authority_operations.AuthorityInput:
    return authority_operations.AuthorityInput(
        code=form.code.data,
        name=form.name.data,
        description=form.description.data or "",
        unit=form.unit.data,
        max_limit=form.max_limit.data,
        two_person_limit=form.two_person_limit.data,
        validity_days=form.validity_days.data,
        prerequisites=tuple(form.prerequisites.data or ()),
        is_active=form.is_active.data,
    )


@bp.route("/authorities/new", methods=["GET", "POST"])
@bp.route(
    "/authorities/<int:authority_id>/edit",
    methods=["GET", "POST"],
    endpoint="authority_edit",
)
@role_required(Role.ADMIN)
def authority_create(authority_id: int | None = None) -> Any:
    authority = (
        db.get_or_404(Authority, authority_id) if authority_id is not None else None
    )
    form = AuthorityForm(obj=authority, scenarios=scenario_choices())
    if form.validate_on_submit():
        try:
            authority = authority_operations.save_authority(
                authority, _authority_input(form), by=signed_in_user()
            )
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"Saved {authority.name}.", "success")
            return redirect(url_for("training.authority_list"))
    return render_template(
        "training/authority_form.html", form=form, authority=authority
    ), form_status()


# --- sign-offs ----------------------------------------------------------------------------


@bp.route("/signoffs")
@role_required(*TRAINING_ROLES)
def signoff_list() -> Any:
    # Supervisors come to decide what waits; a rep comes to learn what became of their
    # requests, declined ones included.
    deciding = current_viewer().has_any({Role.SUPERVISOR, Role.ADMIN})
    status = choice_arg(
        "status", {*SignoffStatus, "all"}, "pending" if deciding else "all"
    )
    chosen = SignoffStatus(status) if status != "all" else None
    return render_template(
        "training/signoff_list.html",
        requests=authority_queries.list_signoffs(current_viewer(), status=chosen),
        status=status if chosen else "all",
        statuses=list(SignoffStatus),
    )


@bp.route("/authorities/<code>/request", methods=["GET", "POST"])
@role_required(Role.REP, Role.SUPERVISOR)
def signoff_create(code: str) -> Any:
    authority = authority_queries.get_authority_by_code(code) or abort(404)
    me = signed_in_user()
    choices = [(me.id, me.name)] if Role.REP in me.roles else []
    choices += queries.supervised_rep_choices(current_viewer())
    form = SignoffRequestForm(reps=choices)
    if request.method == "GET":
        form.rep_id.data = id_arg("rep", "rep") or (choices[0][0] if choices else None)
    allowed = {rep_id for rep_id, _name in choices}
    rep = get_user_with_roles(form.rep_id.data) if form.rep_id.data in allowed else None
    if form.validate_on_submit() and rep is not None:
        try:
            authority_operations.request_signoff(
                rep,
                authority,
                limit=form.limit.data,
                note=form.note.data or "",
                by=me,
                lower_confirmed=form.lower_confirmed.data,
            )
        except authority_operations.SignoffAlreadyPending as e:
            db.session.rollback()
            flash(e.message, "info")
            return redirect(url_for("training.signoff_detail", request_id=e.request_id))
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash("Your request is with the supervisors.", "success")
            return redirect(url_for("training.signoff_list"))
    return render_template(
        "training/signoff_form.html",
        form=form,
        authority=authority,
        rep=rep,
        prerequisites=authority_operations.prerequisite_status(rep, authority, utcnow())
        if rep
        else [],
        titles=queries.scenario_titles(),
        held=authority_queries.held_grant(rep.id, authority.code, utcnow())
        if rep
        else None,
        one_supervisor=_one_supervisor_team(rep, authority),
    ), form_status()


def _one_supervisor_team(rep: User | None, authority: Authority) -> Team | None:
    """The rep's team when it has fewer supervisors than a limit above the authority's
    two-person limit needs: nobody there can approve one."""
    if rep is None or rep.team is None or authority.two_person_limit is None:
        return None
    return rep.team if len(rep.team.supervisors) < 2 else None


def _load_signoff(request_id: int) -> SignoffRequest:
    signoff = db.get_or_404(SignoffRequest, request_id)
    check_sees(signoff.rep)
    return signoff


@bp.route("/signoffs/<int:request_id>")
@role_required(*TRAINING_ROLES)
def signoff_detail(request_id: int) -> Any:
    signoff = _load_signoff(request_id)
    return _render_signoff(
        signoff, SignoffApproveForm(limit=signoff.limit), ReasonForm()
    )


def _render_signoff(
    signoff: SignoffRequest,
    approve_form: SignoffApproveForm,
    decline_form: ReasonForm,
    status: int = 200,
) -> Any:
    viewer = current_viewer()
    authority = signoff.authority
    evidence = {
        key: queries.list_attempts(signoff.rep_id, key=key)
        for key in authority.prerequisites or []
    }
    return render_template(
        "training/signoff_detail.html",
        signoff=signoff,
        authority=authority,
        evidence=evidence,
        titles=queries.scenario_titles(),
        prerequisites=authority_operations.prerequisite_status(
            signoff.rep, authority, utcnow()
        ),
        may_decide=signoff.status is SignoffStatus.PENDING
        and can_supervise_rep(viewer, signoff.rep_id, signoff.rep.team_id)
        and viewer.user_id != signoff.requested_by_id
        and viewer.user_id not in {a.supervisor_id for a in signoff.approvals},
        needed=approvals_needed(signoff.limit, authority.two_person_limit),
        fill=scenario_filler(signoff.rep),
        approve_form=approve_form,
        decline_form=decline_form,
    ), status


def _decide(request_id: int, action: str) -> Any:
    signoff = _load_signoff(request_id)
    if not can_supervise_rep(current_viewer(), signoff.rep_id, signoff.rep.team_id):
        abort(403)
    approve_form = SignoffApproveForm(limit=signoff.limit)
    decline_form = ReasonForm()
    form = approve_form if action == "approve" else decline_form
    if not form.validate_on_submit():
        return _render_signoff(signoff, approve_form, decline_form, 400)
    try:
        if action == "approve":
            grant = authority_operations.approve_signoff(
                signoff, by=signed_in_user(), limit=form.limit.data
            )
            message = (
                "Approved. The rep holds this authority from now."
                if grant
                else "Approved. A second supervisor must approve this limit too."
            )
        else:
            authority_operations.decline_signoff(
                signoff, by=signed_in_user(), reason=form.reason.data
            )
            message = "Declined. The rep sees your reason."
    except (InvalidInput, NotAllowed) as e:
        rollback_into(form, e)
        return _render_signoff(
            db.get_or_404(SignoffRequest, request_id), approve_form, decline_form, 400
        )
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("training.signoff_detail", request_id=request_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("training.signoff_detail", request_id=request_id))


@bp.route("/signoffs/<int:request_id>/approve", methods=["POST"])
@role_required(Role.SUPERVISOR)
def signoff_approve(request_id: int) -> Any:
    return _decide(request_id, "approve")


@bp.route("/signoffs/<int:request_id>/decline", methods=["POST"])
@role_required(Role.SUPERVISOR)
def signoff_decline(request_id: int) -> Any:
    return _decide(request_id, "decline")


@bp.route("/signoffs/<int:request_id>/withdraw", methods=["POST"])
@role_required(Role.REP)
def signoff_withdraw(request_id: int) -> Any:
    signoff = _load_signoff(request_id)
    if signoff.rep_id != current_user.id or not ConfirmForm().validate_on_submit():
        abort(403)
    try:
        authority_operations.withdraw_signoff(signoff, by=signed_in_user())
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash("Request withdrawn.", "success")
    return redirect(url_for("training.signoff_detail", request_id=request_id))


# --- grants and the register --------------------------------------------------------------


@bp.route("/grants/<int:grant_id>")
@role_required(*TRAINING_ROLES)
def grant_detail(grant_id: int) -> Any:
    grant = db.get_or_404(Grant, grant_id)
    check_sees(grant.rep)
    return _render_grant(grant, ReasonForm())


def _render_grant(grant: Grant, form: ReasonForm, status: int = 200) -> Any:
    state = authority_queries.grant_states(
        authority_queries.list_grants(grant.rep_id), utcnow()
    )[grant.id]
    return render_template(
        "training/grant_detail.html",
        grant=grant,
        state=state,
        form=form,
        may_revoke=state is GrantState.ACTIVE
        and can_supervise_rep(current_viewer(), grant.rep_id, grant.rep.team_id),
    ), status


@bp.route("/grants/<int:grant_id>/revoke", methods=["POST"])
@role_required(Role.SUPERVISOR)
def grant_revoke(grant_id: int) -> Any:
    grant = db.get_or_404(Grant, grant_id)
    if not can_supervise_rep(current_viewer(), grant.rep_id, grant.rep.team_id):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_grant(grant, form, 400)
    try:
        authority_operations.revoke_grant(
            grant, by=signed_in_user(), reason=form.reason.data
        )
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash("Revoked. Every check from now on says no.", "success")
    return redirect(url_for("training.grant_detail", grant_id=grant_id))


@bp.route("/register/reps/<int:rep_id>")
@role_required(*TRAINING_ROLES)
def register_rep(rep_id: int) -> Any:
    rep = db.get_or_404(User, rep_id)
    check_sees(rep)
    if Role.REP not in rep.roles:
        abort(404)
    now = utcnow()
    grants = authority_queries.list_grants(rep.id)
    return render_template(
        "training/register_rep.html",
        rep=rep,
        entries=authority_queries.register_for(
            [rep], authority_queries.list_authorities(), now
        )[rep.id],
        grants=grants,
        states=authority_queries.grant_states(grants, now),
        assignments=queries.list_assignments(
            current_viewer(), rep_id=rep.id, today=org_today()
        ),
        attempts=queries.list_attempts(rep.id, limit=20),
        may_supervise=can_supervise_rep(current_viewer(), rep.id, rep.team_id),
    )


def _matrix_context(
    team_id: int | None = None, reps: list[User] | None = None
) -> dict[str, Any]:
    viewer = current_viewer()
    reps = queries.list_reps(viewer, team_id) if reps is None else reps
    authorities = authority_queries.list_authorities(active_only=True)
    return {
        "reps": reps,
        "authorities": authorities,
        "register": authority_queries.register_for(reps, authorities, utcnow()),
        "warning_days": EXPIRY_WARNING.days,
    }


@bp.route("/register")
@role_required(*OVERSIGHT_ROLES)
def register_matrix() -> Any:
    viewer = current_viewer()
    page = db.paginate(
        queries.rep_query(viewer), page=page_arg(), per_page=50, error_out=False
    )
    return render_template(
        "training/register_matrix.html",
        teams=queries.list_visible_teams(viewer),
        page=page,
        **_matrix_context(reps=list(page.items)),
    )


@bp.route("/register.csv")
@role_required(*OVERSIGHT_ROLES)
def register_csv() -> Any:
    ctx = _matrix_context()
    header = ["rep", "email", "team"]
    for authority in ctx["authorities"]:
        header += [f"{authority.code} limit", f"{authority.code} expires"]
    rows = []
    for rep in ctx["reps"]:
        row = [rep.name, rep.email, rep.team.name if rep.team else ""]
        for entry in ctx["register"][rep.id]:
            decision = entry.decision
            row += [
                decision.limit if decision.allowed else "",
                decision.expires_at.date().isoformat() if decision.allowed else "",
            ]
        rows.append(row)
    return csv_response(f"authority-register-{org_today()}.csv", header, rows)


@bp.route("/register/teams/<int:team_id>")
@role_required(*OVERSIGHT_ROLES)
def register_team(team_id: int) -> Any:
    team = db.get_or_404(Team, team_id)
    viewer = current_viewer()
    if not viewer.sees_all_reps and team.id not in viewer.supervised_team_ids:
        abort(403)
    ctx = _matrix_context(team.id)
    return render_template(
        "training/register_team.html",
        team=team,
        assignments=[
            r
            for r in queries.list_assignments(viewer, today=org_today())
            if r.assignment.rep.team_id == team.id
        ],
        expiring=authority_queries.list_expiring_grants(
            utcnow(), team_ids=frozenset({team.id})
        ),
        **ctx,
    )
