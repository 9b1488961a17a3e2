"""Logging in and out, passwords, and the role guard every view uses."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from core import accounts, login_throttle
from core.access import Role, Viewer
from core.db import db
from core.errors import InvalidInput
from core.extensions import limiter, login_manager
from core.forms import (
    ConfirmForm,
    LoginForm,
    PasswordChangeForm,
    PasswordSetForm,
    populate_errors,
)
from core.people import (
    User,
    get_user_by_email,
    get_user_with_roles,
    hash_password,
    password_needs_rehash,
    verify_password,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def _dummy_hash() -> str:
    """A real argon2id hash of a random string.

    Verifying against it when the e-mail is unknown makes a failed login take as long
    whether or not the account exists.
    """
    return hash_password(secrets.token_hex(16))


def init_app(app: Any) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    # Sessions are tied to the session version instead of Flask-Login's IP/agent hash.
    login_manager.session_protection = None


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_user_with_roles(int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let in only logged-in users holding one of ``roles`` (403 otherwise).

    Anonymous visitors go to the login page, and come back afterwards.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def current_viewer() -> Viewer:
    """The logged-in user as a :class:`core.access.Viewer`."""
    return current_user.viewer()


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site may be a redirect target (no ``//host`` or ``http://``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_rate_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _address_and_email() -> str:
    """The client's address and the e-mail typed: one account tried from one address."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{get_remote_address()}/{email}"


# Hard limits per address and per (address, account); never per account alone, which would
# let anyone lock a user out. The account itself is only slowed (core.login_throttle).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(
    _login_account_rate_limit,
    methods=["POST"],
    key_func=_address_and_email,
    scope="login-address-account",
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        login_throttle.slow_down(form.email.data)
        user = get_user_by_email(form.email.data)
        password_ok = verify_password(
            user.password_hash if user and user.password_hash else _dummy_hash(),
            form.password.data,
        )
        if user is None or not password_ok or not user.is_active:
            login_throttle.record_failure(form.email.data)
            accounts.record_failed_login(form.email.data, user)
            db.session.commit()
            form.password.errors.append(
                "That e-mail and password do not match an active account."
            )
            return render_template("auth/login.html", form=form), 200
        if password_needs_rehash(user.password_hash):
            user.password_hash = hash_password(form.password.data)
        accounts.record_login(user)
        db.session.commit()
        session.clear()
        session.permanent = True
        login_user(user)
        flash(f"Welcome back, {user.name.split()[0]}.", "success")
        return redirect(
            next_url if is_safe_next(next_url) else url_for("main.dashboard")
        )
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        # Bumping the version kills this cookie and any copy of it.
        current_user.session_version += 1
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"))
    abort(400)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = PasswordChangeForm(email=current_user.email, name=current_user.name)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            try:
                accounts.set_password(user, form.new_password.data, by=user)
            except InvalidInput as e:
                populate_errors(form, e, rename={"password": "new_password"})
            else:
                db.session.commit()
                login_user(user)  # this session carries on with the new version
                flash(
                    "Password changed. Other devices have been logged out.", "success"
                )
                return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, signout_form=ConfirmForm())


@bp.route("/account/sessions/revoke", methods=["POST"])
@login_required
def sessions_revoke() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.revoke_sessions(user, by=user)
    db.session.commit()
    login_user(user)
    flash("Every other device has been logged out.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def password_set(token: str) -> Any:
    user = accounts.load_password_token(token)
    if user is None:
        return render_template("auth/password_link_invalid.html"), 404
    form = PasswordSetForm(email=user.email, name=user.name)
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.new_password.data, by=user)
        except InvalidInput as e:
            populate_errors(form, e, rename={"password": "new_password"})
            return render_template("auth/password_set.html", form=form, user=user)
        accounts.record_login(user)
        db.session.commit()
        session.clear()
        session.permanent = True
        login_user(user)
        flash("Your password is set. Welcome to Frontline.", "success")
        return redirect(url_for("main.dashboard"))
    return render_template("auth/password_set.html", form=form, user=user)
