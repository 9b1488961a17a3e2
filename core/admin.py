"""Admin pages: users, roles, teams, API tokens; and the audit trail (admin and leadership)."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from core import accounts, mail, settings, shown_once
from core.access import Role
from core.audit import AuditEvent
from core.auth import role_required
from core.db import db
from core.errors import InvalidInput, NotAllowed
from core.forms import (
    ApiTokenForm,
    AuditFilterForm,
    ConfirmForm,
    TeamForm,
    UserCreateForm,
    UserForm,
    UserStatusForm,
    populate_errors,
    settings_form,
)
from core.params import choice_arg, id_arg, page_arg, text_arg
from core.people import RETIRED_TOKEN_ROLES, ApiToken, Team, User
from core.queries import (
    AuditFilter,
    UserFilter,
    audit_vocabulary,
    list_api_tokens,
    list_teams,
    query_audit,
    query_users,
    supervisor_choices,
    team_choices,
)

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

admin_only = role_required(Role.ADMIN)


def _me() -> User:
    return current_user._get_current_object()


def _user_input(form: UserForm) -> accounts.UserInput:
    return accounts.UserInput(
        email=form.email.data,
        name=form.name.data,
        roles=frozenset(Role(r) for r in form.roles.data),
        team_id=form.team_id.data or None,
    )


# --- users ------------------------------------------------------------------------------


@bp.route("/users")
@admin_only
def user_list() -> Any:
    role = choice_arg("role", set(Role), "")
    f = UserFilter(
        q=text_arg("q"),
        role=Role(role) if role else None,
        team_id=id_arg("team", "team"),
        status=choice_arg("status", {"active", "inactive", "all"}, "active"),
    )
    page = db.paginate(query_users(f), page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "admin/user_list.html", page=page, f=f, roles=list(Role), teams=team_choices()
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def user_create() -> Any:
    form = UserCreateForm(teams=team_choices())
    if form.validate_on_submit():
        password = form.password.data if form.access.data == "password" else None
        try:
            user = accounts.create_user(_user_input(form), by=_me(), password=password)
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            token = (
                accounts.issue_password_link(user, by=_me())
                if password is None
                else None
            )
            db.session.commit()
            flash(f"{user.name} can now use Frontline.", "success")
            if token is not None:
                return _send_password_link(user, token, invited=True)
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


def _send_password_link(user: User, token: str, *, invited: bool) -> Any:
    """E-mail (when SMTP is set up) a link that lets ``user`` choose a password, and lead
    to the page that shows it once."""
    link = url_for("auth.password_set", token=token, _external=True)
    config = current_app.config
    verb = (
        "set up your Frontline account"
        if invited
        else "choose a new Frontline password"
    )
    emailed = mail.send_if_configured(
        config,
        to=user.email,
        subject="Your Frontline account"
        if invited
        else "Reset your Frontline password",
        body=f"Hello {user.name},\n\nUse this link to {verb}:\n\n{link}\n\n"
        f"It works once, for {config['USER_INVITATION_MAX_AGE'].days} days.\n",
    )
    shown_once.keep(
        "password-link", user.id, link=link, emailed=emailed, invited=invited
    )
    return redirect(url_for("admin.user_password_link_page", user_id=user.id))


@bp.route("/users/<int:user_id>/password-link")
@admin_only
def user_password_link_page(user_id: int) -> Any:
    """The password link just made, shown once (a reload does not show it again)."""
    user = db.get_or_404(User, user_id)
    kept = shown_once.take("password-link", user.id)
    return render_template(
        "admin/password_link.html",
        user=user,
        link=kept["link"] if kept else None,
        emailed=bool(kept and kept["emailed"]),
        invited=kept["invited"] if kept else not user.has_password,
    )


@bp.route("/users/<int:user_id>")
@admin_only
def user_detail(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "User", AuditEvent.subject_id == str(user.id))
        .order_by(AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/user_detail.html",
        user=user,
        events=events,
        status_form=UserStatusForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_only
def user_edit(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, teams=team_choices())
    if request.method == "GET":
        form.roles.data = [r.value for r in Role if r in user.roles]
        form.team_id.data = user.team_id or 0
    if form.validate_on_submit():
        try:
            accounts.update_user(user, _user_input(form), by=_me())
        except (InvalidInput, NotAllowed) as e:
            db.session.rollback()
            populate_errors(
                form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
            )
        else:
            db.session.commit()
            flash(f"Saved {user.name}.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user)


def _status_change(user_id: int, change: Any, done: str) -> Any:
    user = db.get_or_404(User, user_id)
    form = UserStatusForm()
    if form.validate_on_submit():
        try:
            change(user, form)
        except NotAllowed as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(done.format(name=user.name), "success")
    else:
        flash("That request could not be checked; please try again.", "error")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_only
def user_deactivate(user_id: int) -> Any:
    return _status_change(
        user_id,
        lambda user, form: accounts.deactivate_user(
            user, by=_me(), reason=form.reason.data or ""
        ),
        "{name} is deactivated and has been logged out everywhere.",
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_only
def user_reactivate(user_id: int) -> Any:
    return _status_change(
        user_id,
        lambda user, form: accounts.reactivate_user(user, by=_me()),
        "{name} can log in again.",
    )


@bp.route("/users/<int:user_id>/sessions/revoke", methods=["POST"])
@admin_only
def user_sessions_revoke(user_id: int) -> Any:
    return _status_change(
        user_id,
        lambda user, form: accounts.revoke_sessions(user, by=_me()),
        "{name} has been logged out on every device.",
    )


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@admin_only
def user_password_link(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit() or not user.is_active:
        flash("A password link can only be made for an active user.", "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    invited = not user.has_password
    token = accounts.issue_password_link(user, by=_me())
    db.session.commit()
    return _send_password_link(user, token, invited=invited)


# --- teams ------------------------------------------------------------------------------


@bp.route("/teams")
@admin_only
def team_list() -> Any:
    return render_template("admin/team_list.html", teams=list_teams())


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"], endpoint="team_edit")
@admin_only
def team_create(team_id: int | None = None) -> Any:
    team = db.get_or_404(Team, team_id) if team_id is not None else None
    form = TeamForm(obj=team, supervisors=supervisor_choices())
    if request.method == "GET" and team is not None:
        form.supervisor_ids.data = [u.id for u in team.supervisors]
    if form.validate_on_submit():
        try:
            team = accounts.save_team(
                team,
                name=form.name.data,
                description=form.description.data or "",
                supervisor_ids=form.supervisor_ids.data or [],
                by=_me(),
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(f"Saved team {team.name}.", "success")
            return redirect(url_for("admin.team_list"))
    return render_template("admin/team_form.html", form=form, team=team)


# --- settings ---------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings_edit() -> Any:
    specs = settings.specs()
    form = settings_form(
        specs, {spec.key: settings.get_setting(spec.key) for spec in specs}
    )
    if form.validate_on_submit():
        try:
            for spec in specs:
                settings.set_setting(spec.key, form[spec.key].data, by=_me())
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings_edit"))
    return render_template("admin/settings_edit.html", form=form, specs=specs)


# --- API tokens -------------------------------------------------------------------------


@bp.route("/api-tokens", methods=["GET", "POST"])
@admin_only
def api_token_list() -> Any:
    form = ApiTokenForm()
    if form.validate_on_submit():
        token, secret = accounts.create_api_token(
            form.name.data, Role(form.role.data), by=_me()
        )
        db.session.commit()
        flash(
            f"Token {token.name!r} created. Copy it now: it will not be shown again.",
            "success",
        )
        shown_once.keep("api-token", token.id, secret=secret)
        return redirect(url_for("admin.api_token_list", made=token.id))
    made = id_arg("made", "token")
    kept = shown_once.take("api-token", made) if made else None
    secret = kept["secret"] if kept else None
    return render_template(
        "admin/api_token_list.html",
        form=form,
        secret=secret,
        tokens=list_api_tokens(),
        retired_roles=RETIRED_TOKEN_ROLES,
        revoke_form=ConfirmForm(),
    )


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@admin_only
def api_token_revoke(token_id: int) -> Any:
    token = db.get_or_404(ApiToken, token_id)
    if ConfirmForm().validate_on_submit():
        accounts.revoke_api_token(token, by=_me())
        db.session.commit()
        flash(f"Token {token.name!r} no longer works.", "success")
    return redirect(url_for("admin.api_token_list"))


# --- audit trail ------------------------------------------------------------------------


@bp.route("/audit")
@role_required(Role.ADMIN, Role.LEADERSHIP)
def audit_list() -> Any:
    actions, types = audit_vocabulary()
    form = AuditFilterForm(request.args, actions=actions, subject_types=types)
    form.validate()  # a bad field is shown with its message and left out of the filter
    f = AuditFilter(
        q=(form.q.data or "").strip(),
        action=form.action.data or "",
        subject_type=form.subject_type.data or "",
        subject_id=(form.subject_id.data or "").strip(),
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        include_logins=form.include_logins.data,
    )
    tz = ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])
    page = db.paginate(
        query_audit(f, tz), page=page_arg(), per_page=50, error_out=False
    )
    return render_template("admin/audit_list.html", form=form, page=page, tz=tz)
