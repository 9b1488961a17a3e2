"""Errors that carry meaning for users, and the handlers that show every error politely.

HTML requests get ``templates/errors/<code>.html``; ``/api/`` requests get JSON. No stack
trace ever reaches a user: unexpected exceptions are logged, rolled back and shown as 500.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.db import db
from core.extensions import limiter
from core.words import counted

logger = logging.getLogger(__name__)


class FrontlineError(Exception):
    """Base of the errors Frontline's views and handlers understand."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(FrontlineError):
    """Input that breaks a rule; ``errors`` maps a field name (or ``""``) to messages."""

    status = 400

    def __init__(self, errors: Mapping[str, Sequence[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__("; ".join(m for msgs in self.errors.values() for m in msgs))


class NotAllowed(FrontlineError):
    """The rules forbid this action for this person."""

    status = 403


class Conflict(FrontlineError):
    """The action clashes with the record's current state (e.g. a second submit)."""

    status = 409


class ImportRejected(FrontlineError):
    """An import file had bad rows; nothing was written. ``row_errors`` lists them."""

    status = 400

    def __init__(self, row_errors: Sequence[Any], message: str = "") -> None:
        self.row_errors = list(row_errors)
        super().__init__(
            message
            or f"{counted(len(self.row_errors), 'row')} rejected; nothing was imported"
        )


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(code: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": {"status": code, "message": message, **extra}}), code
    template = f"errors/{code}.html" if code in _PAGES else "errors/generic.html"
    return render_template(template, code=code, message=message), code


_PAGES = {400, 403, 404, 405, 409, 413, 429, 500}


def wait_message(seconds: float | None) -> str:
    """What a 429 page says: how long to wait, in words, when the limiter knows."""
    if seconds is None:
        return "You have tried that too often in a short time. Wait a minute, then try again."
    if seconds < 60:
        count, unit = max(1, math.ceil(seconds)), "second"
    else:
        count, unit = math.ceil(seconds / 60), "minute"
    plural = "" if count == 1 else "s"
    return (
        "You have tried that too often in a short time. "
        f"Try again in {count} {unit}{plural}."
    )


def _seconds_until_allowed() -> float | None:
    try:
        breached = limiter.current_limit
        # ``reset_at`` is rounded up to the next whole second (it feeds a header); the
        # window's own end is exact, so a fresh one-minute window reads as 60 seconds.
        return None if breached is None else breached.window[0] - time.time()
    except Exception:  # the limiter's storage failing: say it generally
        logger.warning("Could not read when a rate limit resets", exc_info=True)
        return None


#: SQLSTATEs of a unique or foreign-key clash (PostgreSQL), and SQLite's wording of them.
_RACE_STATES = {"23505", "23503"}
_RACE_WORDS = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")


def is_race(error: IntegrityError) -> bool:
    """Is this a clash two requests can cause together (a duplicate, a row removed), as
    opposed to a bug such as a missing required value?"""
    state = getattr(error.orig, "sqlstate", None)
    if state is not None:
        return state in _RACE_STATES
    return str(error.orig).startswith(_RACE_WORDS)


def register_error_handlers(app: Flask) -> None:
    """Show every error as a page (or JSON) of our own."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return error_response(
            400,
            "This form has expired or was not sent from Frontline. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Any:
        return error_response(429, wait_message(_seconds_until_allowed()))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if isinstance(error, InternalServerError):
            return _server_error(error)
        code = error.code or 500
        # Werkzeug's stock descriptions are generic; our pages say it better. Keep ours.
        custom = (
            error.description if error.description != type(error).description else ""
        )
        if wants_json() and not custom:
            custom = error.name
        return error_response(code, custom or "")

    @app.errorhandler(FrontlineError)
    def _frontline(error: FrontlineError) -> Any:
        db.session.rollback()
        extra: dict[str, Any] = {}
        if isinstance(error, InvalidInput):
            extra["fields"] = error.errors
        if isinstance(error, ImportRejected):
            extra["rows"] = [
                getattr(r, "as_dict", lambda r=r: r)() for r in error.row_errors
            ]
        return error_response(error.status, error.message, **extra)

    @app.errorhandler(IntegrityError)
    def _clash(error: IntegrityError) -> Any:
        if not is_race(error):
            return _server_error(error)
        # Two requests saved the same unique thing at the same moment (two tabs, a double
        # click), or one removed what the other pointed at: the database kept the first.
        # Say so, rather than that something broke.
        db.session.rollback()
        logger.warning(
            "Refused a clash on %s %s: %s", request.method, request.path, error.orig
        )
        return error_response(
            409,
            "This was saved at the same moment by another request (a second tab or a "
            "double click?), so nothing more was saved. Reload the page to see it.",
        )

    @app.errorhandler(Exception)
    def _server_error(error: Exception) -> Any:
        # Roll back first: rendering the page must not flush a half-done change.
        db.session.rollback()
        original = getattr(error, "original_exception", None) or error
        if not isinstance(original, InternalServerError):
            logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(
            500,
            "Something went wrong on our side. It has been logged; please try again.",
        )
