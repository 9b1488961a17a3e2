"""Training pages: the rep's scenarios and authority, assignments, sign-offs and the register."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

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

from core import params
from core.access import Role, can_see_rep, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import ConfirmForm, populate_errors
from core.params import choice_arg, id_arg, page_arg
from core.people import Team, User, get_user_with_roles
from core.settings import SettingSpec
from core.shell import NavItem, Panel, PanelProvider
from core.tabular import csv_response
from training import operations, queries
from training.assignments import AssignmentState
from training.authority import (
    EXPIRY_WARNING,
    GrantState,
    SignoffStatus,
    approvals_needed,
    format_amount,
)
from training.forms import (
    AnswerForm,
    AssignmentForm,
    AuthorityForm,
    CurriculumForm,
    ReasonForm,
    SignoffApproveForm,
    SignoffRequestForm,
)
from training.models import (
    Attempt,
    Authority,
    Curriculum,
    Grant,
    SignoffRequest,
)
from training.scenarios import decisions_to_end

bp = Blueprint("training", __name__, url_prefix="/training")

#: Everyone who takes part in training (hiring managers do not).
TRAINING_ROLES = (Role.REP, Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)

#: Main navigation entries for this module.
NAV: list[NavItem] = [
    NavItem("Training", "training.home", frozenset(TRAINING_ROLES), "training."),
]
#: Organisation settings this module reads (shown on Admin > Settings).
SETTINGS: list[SettingSpec] = [operations.ONBOARDING_DUE_DAYS]


@bp.app_template_filter("amount")
def _amount_filter(value: Decimal | None, unit: str = "") -> str:
    return format_amount(value, unit)


def _me() -> User:
    return current_user._get_current_object()


def _today() -> dt.date:
    return (
        utcnow().astimezone(ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])).date()
    )


def _check_sees(rep: User) -> None:
    if not can_see_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)


def _form_status() -> int:
    """A form page shown again after a post has errors on it: 400, not 200."""
    return 400 if request.method == "POST" else 200


def _rollback_into(form: Any, error: InvalidInput | NotAllowed) -> None:
    db.session.rollback()
    populate_errors(
        form, error if isinstance(error, InvalidInput) else InvalidInput(error.message)
    )


# --- home and scenarios -------------------------------------------------------------------


@bp.route("/")
@role_required(*TRAINING_ROLES)
def home() -> Any:
    me = _me()
    if Role.REP not in me.roles:
        if Role.SUPERVISOR in me.roles:
            return redirect(url_for("training.assignment_list"))
        return redirect(url_for("training.register_matrix"))
    now = utcnow()
    register = queries.register_for(
        [me], queries.list_authorities(active_only=True), now
    )
    return render_template(
        "training/home.html",
        assignments=queries.list_assignments(
            current_viewer(), rep_id=me.id, today=_today()
        ),
        attempts=queries.list_attempts(me.id, limit=8),
        register=register[me.id],
        signoffs=queries.list_signoffs(current_viewer(), status=None)[:5],
    )


@bp.route("/scenarios")
@role_required(*TRAINING_ROLES)
def scenario_list() -> Any:
    me = _me()
    return render_template(
        "training/scenario_list.html",
        scenarios=queries.list_current_scenarios(),
        best=queries.best_results(me.id) if Role.REP in me.roles else {},
    )


@bp.route("/scenarios/<key>")
@role_required(*TRAINING_ROLES)
def scenario_detail(key: str) -> Any:
    version = queries.get_current_scenario(key) or abort(404)
    me = _me()
    return render_template(
        "training/scenario_detail.html",
        version=version,
        scenario=version.scenario,
        attempts=queries.list_attempts(me.id, key=key) if Role.REP in me.roles else [],
        show_map=me.has_role(*OVERSIGHT_ROLES),
        authorities=[
            a for a in queries.list_authorities() if key in (a.prerequisites or [])
        ],
    )


@bp.route("/scenarios/<key>/attempts", methods=["POST"])
@role_required(Role.REP)
def attempt_start(key: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = operations.start_attempt(_me(), key)
    except (NotAllowed, InvalidInput) as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("training.scenario_detail", key=key))
    db.session.commit()
    return redirect(url_for("training.attempt_detail", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
@role_required(*TRAINING_ROLES)
def attempt_detail(attempt_id: int) -> Any:
    attempt = db.get_or_404(Attempt, attempt_id)
    _check_sees(attempt.rep)
    return _render_attempt(attempt, _answer_form(attempt, formdata=None))


def _answer_form(attempt: Attempt, **kwargs: Any) -> AnswerForm:
    """The choices of the node the attempt is at, for the page the rep sees now."""
    node = attempt.scenario_version.scenario.node(attempt.current_node)
    return AnswerForm(options=[c.text for c in node.choices], **kwargs)


def _render_attempt(attempt: Attempt, form: AnswerForm, status: int = 200) -> Any:
    scenario = attempt.scenario_version.scenario
    node = scenario.node(attempt.current_node)
    playing = not attempt.is_finished and attempt.rep_id == current_user.id
    form.step.data = str(len(attempt.path))
    steps = len(attempt.path)
    remaining = 0 if attempt.is_finished else decisions_to_end(scenario, node.key)
    return render_template(
        "training/attempt_detail.html",
        attempt=attempt,
        scenario=scenario,
        node=node,
        form=form,
        playing=playing,
        last=attempt.path[-1] if attempt.path else None,
        steps=steps,
        remaining=remaining,
        nodes=scenario.nodes,
    ), status


@bp.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
@role_required(Role.REP)
def attempt_answer(attempt_id: int) -> Any:
    attempt = db.get_or_404(Attempt, attempt_id)
    if attempt.rep_id != current_user.id:
        abort(403)
    form = _answer_form(attempt)
    step = params.whole_number(form.step.data or "")
    try:
        # A page out of date (the same answer sent again, another tab) learns where the
        # attempt is now, before its choice is checked against a question it no longer
        # shows.
        operations.check_answerable(attempt, step=step, by=_me())
        if not form.validate_on_submit():
            return _render_attempt(attempt, form, 400)
        operations.answer(attempt, choice_index=form.choice.data, step=step, by=_me())
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "info")
    except InvalidInput as e:
        db.session.rollback()
        populate_errors(form, e)
        return _render_attempt(attempt, form, 400)
    else:
        db.session.commit()
    return redirect(
        url_for("training.attempt_detail", attempt_id=attempt_id, _anchor="now")
    )


# --- curricula and assignments ------------------------------------------------------------


def _scenario_choices() -> list[tuple[str, str]]:
    return [(v.key, v.title) for v in queries.list_current_scenarios()]


@bp.route("/curricula")
@role_required(*OVERSIGHT_ROLES)
def curriculum_list() -> Any:
    return render_template(
        "training/curriculum_list.html",
        curricula=queries.list_curricula(),
        titles=queries.scenario_titles(),
    )


@bp.route("/curricula/new", methods=["GET", "POST"])
@bp.route(
    "/curricula/<int:curriculum_id>/edit",
    methods=["GET", "POST"],
    endpoint="curriculum_edit",
)
@role_required(Role.SUPERVISOR, Role.ADMIN)
def curriculum_create(curriculum_id: int | None = None) -> Any:
    curriculum = (
        db.get_or_404(Curriculum, curriculum_id) if curriculum_id is not None else None
    )
    form = CurriculumForm(obj=curriculum, scenarios=_scenario_choices())
    if request.method == "GET" and curriculum is not None:
        for entry, key in zip(form.steps, curriculum.scenario_keys, strict=False):
            entry.data = key
    if form.validate_on_submit():
        try:
            curriculum = operations.save_curriculum(
                curriculum,
                name=form.name.data,
                description=form.description.data or "",
                scenario_keys=form.steps.data,
                is_onboarding=form.is_onboarding.data,
                by=_me(),
            )
        except InvalidInput as e:
            _rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"Saved curriculum {curriculum.name}.", "success")
            return redirect(url_for("training.curriculum_list"))
    return render_template(
        "training/curriculum_form.html", form=form, curriculum=curriculum
    ), _form_status()


@bp.route("/assignments")
@role_required(*OVERSIGHT_ROLES)
def assignment_list() -> Any:
    state = choice_arg("state", set(AssignmentState), "")
    rows = queries.list_assignments(current_viewer(), today=_today())
    if state:
        rows = [r for r in rows if r.progress.state == state]
    return render_template(
        "training/assignment_list.html",
        rows=rows,
        state=state,
        expiring=queries.list_expiring_grants(utcnow(), team_ids=_team_scope()),
    )


def _team_scope() -> frozenset[int] | None:
    viewer = current_viewer()
    return None if viewer.sees_all_reps else viewer.supervised_team_ids


@bp.route("/assignments/new", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def assignment_create() -> Any:
    viewer = current_viewer()
    teams = [
        t
        for t in queries.list_visible_teams(viewer)
        if t.id in viewer.supervised_team_ids
    ]
    people = [(f"team:{t.id}", f"Everyone in {t.name}") for t in teams] + [
        (f"rep:{rep_id}", name)
        for rep_id, name in queries.supervised_rep_choices(viewer)
    ]
    targets = [
        (f"c:{c.id}", f"Curriculum: {c.name}") for c in queries.list_curricula()
    ] + [(f"s:{key}", f"Scenario: {title}") for key, title in _scenario_choices()]
    form = AssignmentForm(targets=targets, people=people)
    if request.method == "GET":
        form.who.data = choice_arg("who", {value for value, _ in people}, "")
        form.due_on.data = _today() + dt.timedelta(days=14)
    if form.validate_on_submit():
        kind, _, value = form.target.data.partition(":")
        whom, _, who_id = form.who.data.partition(":")
        data = operations.AssignmentInput(
            due_on=form.due_on.data,
            curriculum_id=int(value) if kind == "c" else None,
            scenario_key=value if kind == "s" else None,
            note=form.note.data or "",
        )
        try:
            made = operations.assign(
                data,
                rep=db.session.get(User, int(who_id)) if whom == "rep" else None,
                team=db.session.get(Team, int(who_id)) if whom == "team" else None,
                by=_me(),
                today=_today(),
            )
        except (InvalidInput, NotAllowed) as e:
            _rollback_into(form, e)
        else:
            db.session.commit()
            flash(*_assigned_message(len(made), whom))
            return redirect(url_for("training.assignment_list"))
    return render_template("training/assignment_form.html", form=form), _form_status()


def _assigned_message(made: int, whom: str) -> tuple[str, str]:
    """What an assignment did; nothing when every rep had it due that day already (a
    second submit, another tab)."""
    if not made:
        already = "every rep in the team" if whom == "team" else "the rep"
        return f"Nothing new: {already} already had this due that day.", "info"
    return f"Assigned to {made} rep{'s' if made != 1 else ''}.", "success"


# --- the authority catalogue --------------------------------------------------------------


@bp.route("/authorities")
@role_required(*TRAINING_ROLES)
def authority_list() -> Any:
    me = _me()
    now = utcnow()
    mine = {}
    if Role.REP in me.roles:
        entries = queries.register_for([me], queries.list_authorities(), now)[me.id]
        mine = {e.authority.id: e for e in entries}
    return render_template(
        "training/authority_list.html",
        authorities=queries.list_authorities(),
        titles=queries.scenario_titles(),
        mine=mine,
    )


def _authority_input(form: AuthorityForm) -> operations.AuthorityInput:
    return operations.AuthorityInput(
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
    form = AuthorityForm(obj=authority, scenarios=_scenario_choices())
    if form.validate_on_submit():
        try:
            authority = operations.save_authority(
                authority, _authority_input(form), by=_me()
            )
        except InvalidInput as e:
            _rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"Saved {authority.name}.", "success")
            return redirect(url_for("training.authority_list"))
    return render_template(
        "training/authority_form.html", form=form, authority=authority
    ), _form_status()


# --- sign-offs ----------------------------------------------------------------------------


@bp.route("/signoffs")
@role_required(*TRAINING_ROLES)
def signoff_list() -> Any:
    status = choice_arg("status", {*SignoffStatus, "all"}, "pending")
    chosen = SignoffStatus(status) if status != "all" else None
    return render_template(
        "training/signoff_list.html",
        requests=queries.list_signoffs(current_viewer(), status=chosen),
        status=status if chosen else "all",
        statuses=list(SignoffStatus),
    )


@bp.route("/authorities/<code>/request", methods=["GET", "POST"])
@role_required(Role.REP, Role.SUPERVISOR)
def signoff_create(code: str) -> Any:
    authority = queries.get_authority_by_code(code) or abort(404)
    me = _me()
    choices = [(me.id, me.name)] if Role.REP in me.roles else []
    choices += queries.supervised_rep_choices(current_viewer())
    form = SignoffRequestForm(reps=choices)
    if request.method == "GET":
        form.rep_id.data = id_arg("rep", "rep") or (choices[0][0] if choices else None)
    allowed = {rep_id for rep_id, _name in choices}
    rep = get_user_with_roles(form.rep_id.data) if form.rep_id.data in allowed else None
    if form.validate_on_submit() and rep is not None:
        try:
            operations.request_signoff(
                rep, authority, limit=form.limit.data, note=form.note.data or "", by=me
            )
        except operations.SignoffAlreadyPending as e:
            db.session.rollback()
            flash(e.message, "info")
            return redirect(url_for("training.signoff_detail", request_id=e.request_id))
        except (InvalidInput, NotAllowed) as e:
            _rollback_into(form, e)
        else:
            db.session.commit()
            flash("Your request is with the supervisors.", "success")
            return redirect(url_for("training.signoff_list"))
    return render_template(
        "training/signoff_form.html",
        form=form,
        authority=authority,
        rep=rep,
        prerequisites=operations.prerequisite_status(rep, authority, utcnow())
        if rep
        else [],
        titles=queries.scenario_titles(),
    ), _form_status()


def _load_signoff(request_id: int) -> SignoffRequest:
    signoff = db.get_or_404(SignoffRequest, request_id)
    _check_sees(signoff.rep)
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
        prerequisites=operations.prerequisite_status(signoff.rep, authority, utcnow()),
        may_decide=signoff.status is SignoffStatus.PENDING
        and can_supervise_rep(viewer, signoff.rep_id, signoff.rep.team_id)
        and viewer.user_id != signoff.requested_by_id
        and viewer.user_id not in {a.supervisor_id for a in signoff.approvals},
        needed=approvals_needed(signoff.limit, authority.two_person_limit),
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
            grant = operations.approve_signoff(signoff, by=_me(), limit=form.limit.data)
            message = (
                "Approved. The rep holds this authority from now."
                if grant
                else "Approved. A second supervisor must approve this limit too."
            )
        else:
            operations.decline_signoff(signoff, by=_me(), reason=form.reason.data)
            message = "Declined. The rep sees your reason."
    except (InvalidInput, NotAllowed) as e:
        _rollback_into(form, e)
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
        operations.withdraw_signoff(signoff, by=_me())
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
    _check_sees(grant.rep)
    return _render_grant(grant, ReasonForm())


def _render_grant(grant: Grant, form: ReasonForm, status: int = 200) -> Any:
    state = queries.grant_states(queries.list_grants(grant.rep_id), utcnow())[grant.id]
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
        operations.revoke_grant(grant, by=_me(), reason=form.reason.data)
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
    _check_sees(rep)
    if Role.REP not in rep.roles:
        abort(404)
    now = utcnow()
    grants = queries.list_grants(rep.id)
    return render_template(
        "training/register_rep.html",
        rep=rep,
        entries=queries.register_for([rep], queries.list_authorities(), now)[rep.id],
        grants=grants,
        states=queries.grant_states(grants, now),
        assignments=queries.list_assignments(
            current_viewer(), rep_id=rep.id, today=_today()
        ),
        attempts=queries.list_attempts(rep.id, limit=20),
        may_supervise=can_supervise_rep(current_viewer(), rep.id, rep.team_id),
    )


def _matrix_context(
    team_id: int | None = None, reps: list[User] | None = None
) -> dict[str, Any]:
    viewer = current_viewer()
    reps = queries.list_reps(viewer, team_id) if reps is None else reps
    authorities = queries.list_authorities(active_only=True)
    return {
        "reps": reps,
        "authorities": authorities,
        "register": queries.register_for(reps, authorities, utcnow()),
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
    return csv_response(f"authority-register-{_today()}.csv", header, rows)


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
            for r in queries.list_assignments(viewer, today=_today())
            if r.assignment.rep.team_id == team.id
        ],
        expiring=queries.list_expiring_grants(utcnow(), team_ids=frozenset({team.id})),
        **ctx,
    )


# --- dashboard panels ---------------------------------------------------------------------


def rep_panel(user: User) -> Panel | None:
    """A rep's work due and the authority they hold today."""
    if Role.REP not in user.roles:
        return None
    now = utcnow()
    viewer = user.viewer()
    rows = [
        r
        for r in queries.list_assignments(viewer, rep_id=user.id, today=_today())
        if r.progress.state != "done"
    ]
    entries = queries.register_for(
        [user], queries.list_authorities(active_only=True), now
    )
    return Panel(
        "Your training",
        "training/_panel_rep.html",
        {"rows": rows, "entries": [e for e in entries[user.id] if e.decision.allowed]},
        order=20,
    )


def supervisor_panel(user: User) -> Panel | None:
    """Sign-offs waiting, overdue work and grants about to expire in the user's teams."""
    if Role.SUPERVISOR not in user.roles or not user.supervised_teams:
        return None
    viewer = user.viewer()
    waiting = [
        s
        for s in queries.list_signoffs(viewer)
        if s.rep_id != user.id
        and s.requested_by_id != user.id
        and user.id not in {a.supervisor_id for a in s.approvals}
        and s.rep.team_id in viewer.supervised_team_ids
    ]
    overdue = [
        r
        for r in queries.list_assignments(viewer, today=_today())
        if r.progress.state == "overdue" and r.assignment.rep_id != user.id
    ]
    return Panel(
        "Team training",
        "training/_panel_supervisor.html",
        {
            "waiting": waiting,
            "overdue": overdue,
            "expiring": queries.list_expiring_grants(
                utcnow(), team_ids=viewer.supervised_team_ids
            ),
        },
        order=15,
    )


def coverage_panel(user: User) -> Panel | None:
    """Leadership and admins: how many reps hold each authority, and what expires soon."""
    if not user.has_role(Role.LEADERSHIP, Role.ADMIN):
        return None
    now = utcnow()
    return Panel(
        "Authority coverage",
        "training/_panel_coverage.html",
        {
            "coverage": queries.coverage(now),
            "expiring": queries.list_expiring_grants(now),
            "overdue": queries.count_overdue(user.viewer(), _today()),
        },
        order=30,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [rep_panel, supervisor_panel, coverage_panel]
