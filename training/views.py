"""Training pages: the training blueprint, its navigation and settings, what every page
shares, and the pages for scenarios, attempts, curricula and assignments.

The authority pages (catalogue, sign-offs, grants, the register) add their routes to
:data:`bp` from ``training.authority_views``; ``app.py`` imports them before it registers
the blueprint. The dashboard panels are ``training.panels``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
from core.forms import ConfirmForm, form_status, populate_errors, rollback_into
from core.params import choice_arg
from core.people import Team, User
from core.settings import SettingSpec
from core.shell import NavItem
from core.words import counted
from training import assignment_operations, authority_queries, operations, queries
from training.assignments import AssignmentState
from training.authority import (
    format_amount,
)
from training.completion import completion
from training.forms import (
    AnswerForm,
    AssignmentChangeForm,
    AssignmentForm,
    CurriculumForm,
    ReasonForm,
)
from training.models import (
    Assignment,
    Attempt,
    Curriculum,
)
from training.placeholders import fill_placeholders
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


def signed_in_user() -> User:
    return current_user._get_current_object()


def org_today() -> dt.date:
    return (
        utcnow().astimezone(ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])).date()
    )


def check_sees(rep: User) -> None:
    if not can_see_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)


# --- home and scenarios -------------------------------------------------------------------


@bp.route("/")
@role_required(*TRAINING_ROLES)
def home() -> Any:
    me = signed_in_user()
    if Role.REP not in me.roles:
        if Role.SUPERVISOR in me.roles:
            return redirect(url_for("training.assignment_list"))
        return redirect(url_for("training.register_matrix"))
    now = utcnow()
    register = authority_queries.register_for(
        [me], authority_queries.list_authorities(active_only=True), now
    )
    return render_template(
        "training/home.html",
        assignments=queries.list_assignments(
            current_viewer(), rep_id=me.id, today=org_today()
        ),
        attempts=queries.list_attempts(me.id, limit=8),
        register=register[me.id],
        signoffs=authority_queries.list_signoffs(current_viewer(), status=None)[:5],
        cancelled=queries.recently_cancelled(me.id, since=now - dt.timedelta(days=30)),
        titles=queries.scenario_titles(),
        certificates=_completed_curricula(me),
    )


def _completed_curricula(rep: User) -> list[Curriculum]:
    """The curricula the rep has completed: each has a certificate."""
    passes = queries.latest_passes([rep.id]).get(rep.id, {})
    return [
        c
        for c in queries.list_curricula()
        if completion(c.scenario_keys, passes).complete
    ]


@bp.route("/scenarios")
@role_required(*TRAINING_ROLES)
def scenario_list() -> Any:
    me = signed_in_user()
    return render_template(
        "training/scenario_list.html",
        scenarios=queries.list_current_scenarios(),
        best=queries.best_results(me.id) if Role.REP in me.roles else {},
    )


@bp.route("/scenarios/<key>")
@role_required(*TRAINING_ROLES)
def scenario_detail(key: str) -> Any:
    version = queries.get_current_scenario(key) or abort(404)
    me = signed_in_user()
    is_rep = Role.REP in me.roles
    return render_template(
        "training/scenario_detail.html",
        version=version,
        scenario=version.scenario,
        attempts=queries.list_attempts(me.id, key=key) if is_rep else [],
        gate=operations.start_gate(me, version, at=utcnow()) if is_rep else None,
        show_map=me.has_role(*OVERSIGHT_ROLES),
        authorities=[
            a
            for a in authority_queries.list_authorities()
            if key in (a.prerequisites or [])
        ],
    )


@bp.route("/scenarios/<key>/attempts", methods=["POST"])
@role_required(Role.REP)
def attempt_start(key: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = operations.start_attempt(signed_in_user(), key)
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
    check_sees(attempt.rep)
    return _render_attempt(attempt, _answer_form(attempt, formdata=None))


def _answer_form(attempt: Attempt, **kwargs: Any) -> AnswerForm:
    """The choices of the node the attempt is at, for the page the rep sees now, with the
    rep's own limits in their text."""
    node = attempt.scenario_version.scenario.node(attempt.current_node)
    fill = scenario_filler(attempt.rep)
    return AnswerForm(options=[fill(c.text) for c in node.choices], **kwargs)


def scenario_filler(rep: User) -> Callable[[str | None], str]:
    """Scenario text with ``{CODE.limit}`` in the words of ``rep``'s own limits today."""
    limits: dict[str, str] | None = None

    def fill(text: str | None) -> str:
        nonlocal limits
        if not text or "{" not in text:
            return text or ""
        if limits is None:
            limits = authority_queries.limit_words(rep, utcnow())
        return fill_placeholders(text, limits)

    return fill


def _render_attempt(attempt: Attempt, form: AnswerForm, status: int = 200) -> Any:
    scenario = attempt.scenario_version.scenario
    node = scenario.node(attempt.current_node)
    playing = not attempt.is_finished and attempt.rep_id == current_user.id
    form.step.data = str(len(attempt.path))
    steps = len(attempt.path)
    remaining = 0 if attempt.is_finished else decisions_to_end(scenario, node.key)
    current = queries.get_current_scenario(attempt.scenario_version.key)
    gate = (
        operations.start_gate(signed_in_user(), current, at=utcnow())
        if attempt.is_finished and attempt.rep_id == current_user.id and current
        else None
    )
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
        gate=gate,
        next_up=_next_in_curriculum(attempt) if gate is not None else None,
        fill=scenario_filler(attempt.rep),
    ), status


def _next_in_curriculum(attempt: Attempt) -> queries.AssignmentRow | None:
    """The rep's curriculum this scenario belongs to with a scenario still to pass: the
    finished attempt's page offers it next."""
    key = attempt.scenario_version.key
    for row in queries.list_assignments(
        current_viewer(), rep_id=attempt.rep_id, today=org_today()
    ):
        if (
            row.assignment.curriculum is not None
            and key in row.assignment.scenario_keys
            and row.progress.next_key not in (None, key)
        ):
            return row
    return None


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
        operations.check_answerable(attempt, step=step, by=signed_in_user())
        if not form.validate_on_submit():
            return _render_attempt(attempt, form, 400)
        operations.answer(
            attempt, choice_index=form.choice.data, step=step, by=signed_in_user()
        )
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


def scenario_choices() -> list[tuple[str, str]]:
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
    form = CurriculumForm(obj=curriculum, scenarios=scenario_choices())
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
                by=signed_in_user(),
            )
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"Saved curriculum {curriculum.name}.", "success")
            return redirect(url_for("training.curriculum_list"))
    return render_template(
        "training/curriculum_form.html", form=form, curriculum=curriculum
    ), form_status()


@bp.route("/assignments")
@role_required(*OVERSIGHT_ROLES)
def assignment_list() -> Any:
    state = choice_arg("state", set(AssignmentState), "")
    rows = queries.list_assignments(current_viewer(), today=org_today())
    if state:
        rows = [r for r in rows if r.progress.state == state]
    return render_template(
        "training/assignment_list.html",
        rows=rows,
        state=state,
        supervised=current_viewer().supervised_team_ids,
        expiring=authority_queries.list_expiring_grants(
            utcnow(), team_ids=_team_scope()
        ),
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
    ] + [(f"s:{key}", f"Scenario: {title}") for key, title in scenario_choices()]
    form = AssignmentForm(targets=targets, people=people)
    if request.method == "GET":
        form.who.data = choice_arg("who", {value for value, _ in people}, "")
        form.due_on.data = org_today() + dt.timedelta(days=14)
    if form.validate_on_submit():
        kind, _, value = form.target.data.partition(":")
        whom, _, who_id = form.who.data.partition(":")
        data = assignment_operations.AssignmentInput(
            due_on=form.due_on.data,
            curriculum_id=int(value) if kind == "c" else None,
            scenario_key=value if kind == "s" else None,
            note=form.note.data or "",
        )
        try:
            outcome = assignment_operations.assign(
                data,
                rep=db.session.get(User, int(who_id)) if whom == "rep" else None,
                team=db.session.get(Team, int(who_id)) if whom == "team" else None,
                by=signed_in_user(),
                today=org_today(),
            )
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(*_assigned_message(outcome, whom))
            return redirect(url_for("training.assignment_list"))
    return render_template("training/assignment_form.html", form=form), form_status()


def _assigned_message(
    outcome: assignment_operations.Assigned, whom: str
) -> tuple[str, str]:
    """What an assignment did: new work, due dates moved for reps who had it to do
    already, or nothing (a second submit, another tab)."""
    made, moved = len(outcome.made), len(outcome.moved)
    if not made and not moved:
        already = "every rep in the team" if whom == "team" else "the rep"
        return f"Nothing new: {already} already had this due that day.", "info"
    parts = []
    if made:
        parts.append(f"Assigned to {counted(made, 'rep')}.")
    if moved:
        names = ", ".join(a.rep.name for a in outcome.moved[:5])
        more = f" and {moved - 5} more" if moved > 5 else ""
        parts.append(
            f"Already assigned to {names}{more}, so its due date moved to "
            f"{outcome.moved[0].due_on:%d %b %Y} instead."
        )
    return " ".join(parts), "success"


def _load_assignment(assignment_id: int) -> Assignment:
    """An assignment the signed-in supervisor may change: of a rep of their teams."""
    assignment = db.get_or_404(Assignment, assignment_id)
    rep = assignment.rep
    if not can_supervise_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    return assignment


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def assignment_change(assignment_id: int) -> Any:
    assignment = _load_assignment(assignment_id)
    form = AssignmentChangeForm(obj=assignment)
    cancel_form = ReasonForm(prefix="cancel")
    if assignment.cancelled_at is None and form.validate_on_submit():
        try:
            assignment_operations.change_assignment(
                assignment,
                due_on=form.due_on.data,
                note=form.note.data or "",
                by=signed_in_user(),
                today=org_today(),
            )
        except (InvalidInput, NotAllowed, Conflict) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(f"Saved: due {assignment.due_on:%d %b %Y}.", "success")
            return redirect(url_for("training.assignment_list"))
    return _render_assignment(assignment, form, cancel_form, form_status())


def _render_assignment(
    assignment: Assignment,
    form: AssignmentChangeForm,
    cancel_form: ReasonForm,
    status: int,
) -> Any:
    (row,) = queries.assignment_rows([assignment], org_today())
    return render_template(
        "training/assignment_change.html",
        assignment=assignment,
        row=row,
        form=form,
        cancel_form=cancel_form,
    ), status


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@role_required(Role.SUPERVISOR)
def assignment_cancel(assignment_id: int) -> Any:
    assignment = _load_assignment(assignment_id)
    cancel_form = ReasonForm(prefix="cancel")
    form = AssignmentChangeForm(obj=assignment, formdata=None)
    if not cancel_form.validate_on_submit():
        return _render_assignment(assignment, form, cancel_form, 400)
    try:
        assignment_operations.cancel_assignment(
            assignment, reason=cancel_form.reason.data, by=signed_in_user()
        )
    except (InvalidInput, NotAllowed) as e:
        rollback_into(cancel_form, e)
        return _render_assignment(assignment, form, cancel_form, 400)
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "info")
        return redirect(url_for("training.assignment_list"))
    db.session.commit()
    flash(f"Cancelled. {assignment.rep.name} reads your reason.", "success")
    return redirect(url_for("training.assignment_list"))


# --- dashboard panels ---------------------------------------------------------------------
