"""The JSON API's plumbing: bearer-token auth, role checks and the OpenAPI document.

Every module's ``api.py`` builds its blueprint with :func:`api_blueprint`, so all of them
live under ``/api/v1``, authenticate by ``Authorization: Bearer <token>`` only (a session
cookie is never enough) and are exempt from CSRF. The OpenAPI file is assembled from
``core/openapi.yaml`` and each module's fragment, and served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from sqlalchemy import Connection, Select, bindparam, select, update
from sqlalchemy.exc import OperationalError

from core.access import Role
from core.db import READ_ONLY_METHODS, db, utcnow
from core.errors import error_response
from core.input_checks import MESSAGE as NUL_MESSAGE
from core.input_checks import body_has_nul
from core.people import (
    RETIRED_TOKEN_ROLES,
    ApiToken,
    hash_token,
    token_role_names,
)

API_PREFIX = "/api/v1"
logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

#: How often ``last_used_at`` is refreshed, so busy tokens do not write on every call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=10)


def public(view: F) -> F:
    """Mark an API view as needing no token (the OpenAPI document)."""
    view.is_public_api = True  # type: ignore[attr-defined]
    return view


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under ``/api/v1`` that demands a valid bearer token before every view."""
    bp = Blueprint(name, import_name, url_prefix=API_PREFIX)
    bp.before_request(_authenticate)
    return bp


def _unauthorized(message: str) -> Any:
    response = jsonify({"error": {"status": 401, "message": message}})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="frontline"'
    return response


def _authenticate() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public_api", False):
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    _read_without_transaction()
    token = db.session.scalar(_token_statement(), {"hash": hash_token(secret.strip())})
    if token is None or token.is_revoked:
        return _unauthorized("That API token is unknown or has been revoked.")
    g.api_token = token
    _touch(token)
    if token.role in RETIRED_TOKEN_ROLES:
        return _forbidden(
            f"API tokens acting as {token.role.label.lower()} are no longer supported: "
            "a token is not one person, so it cannot read anyone's own records. Ask an "
            f"admin for a token acting as {token_role_names()} (Admin > API tokens), "
            "and revoke this one."
        )
    if body_has_nul():  # read only now that the token is known to be good
        return error_response(400, NUL_MESSAGE)
    return None


def _forbidden(message: str) -> Any:
    response = jsonify({"error": {"status": 403, "message": message}})
    response.status_code = 403
    return response


def _read_without_transaction() -> None:
    """On PostgreSQL, run a read-only API call outside a transaction.

    At READ COMMITTED (PostgreSQL's default, ours) every statement sees what was committed
    when it began, in a transaction or not; without one, the call saves the BEGIN and the
    ROLLBACK, two of the authority check's four round trips. Under load each round trip
    also waits for the worker's other threads. Writes (the token's last-used stamp) then
    commit as they are made, as they would with the commit that follows them.
    """
    if request.method not in READ_ONLY_METHODS:
        return
    bind = db.session.get_bind()
    # A session joined to a transaction already under way (as in tests) reads in it.
    joined = isinstance(bind, Connection) and bind.in_transaction()
    if bind.dialect.name == "postgresql" and not joined:
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@functools.cache
def _token_statement() -> Select[tuple[ApiToken]]:
    """The token lookup, built once (every API call makes it)."""
    return select(ApiToken).where(ApiToken.token_hash == bindparam("hash"))


def _touch(token: ApiToken) -> None:
    """Record use, at most every few minutes, committed at once (on PostgreSQL a read-only
    call makes the stamp outside any transaction: :func:`_read_without_transaction`).

    It commits before the view runs, so the view's own work starts afresh (a read-only
    call again outside a transaction) and still commits once.
    """
    now = utcnow()
    if (
        token.last_used_at is not None
        and now - token.last_used_at < LAST_USED_RESOLUTION
    ):
        return
    try:
        db.session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
        )
        db.session.commit()
        _read_without_transaction()  # the view's reads, on the next connection
    except OperationalError:
        # A busy SQLite database: the stamp is a convenience, the call must not fail for it.
        db.session.rollback()
        logger.info(
            "Skipped the last-used stamp of API token %s (database busy)", token.id
        )


def token_required(*roles: Role) -> Callable[[F], F]:
    """Allow only tokens acting with one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = g.get("api_token")
            if token is None:
                return _unauthorized("This endpoint needs an API token.")
            if roles and token.role not in roles:
                abort(403, f"A token acting as {token.role} may not use this endpoint.")
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def current_token() -> ApiToken:
    return g.api_token


def api_actor() -> str:
    """How the calling token appears in the audit trail."""
    token = current_token()
    return f"api:{token.name}"


# --- the OpenAPI document ---------------------------------------------------------------


def register_openapi(app: Flask, fragment: Path) -> None:
    """Add a module's OpenAPI fragment (``paths`` and ``components``) to the document."""
    app.extensions.setdefault("frontline.openapi", []).append(fragment)


def build_openapi(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI document: the core file merged with every registered fragment."""
    spec = yaml.safe_load((Path(__file__).parent / "openapi.yaml").read_text())
    for fragment in app.extensions.get("frontline.openapi", []):
        part = yaml.safe_load(Path(fragment).read_text()) or {}
        spec["paths"].update(part.get("paths", {}))
        for kind, items in part.get("components", {}).items():
            spec.setdefault("components", {}).setdefault(kind, {}).update(items)
        spec.setdefault("tags", []).extend(part.get("tags", []))
    return spec


bp = api_blueprint("api", __name__)


@bp.route("/openapi.json")
@public
def openapi() -> Any:
    spec = current_app.extensions.get("frontline.openapi_cache")
    if spec is None:
        spec = current_app.extensions["frontline.openapi_cache"] = build_openapi(
            current_app
        )
    return jsonify(spec)


@bp.route("/me")
@token_required()
def me() -> Any:
    token = current_token()
    return jsonify(
        {
            "name": token.name,
            "role": str(token.role),
            "created_at": token.created_at.isoformat(),
        }
    )
