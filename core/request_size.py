"""How large a request body may be, by who sends it.

People who are logged in may upload up to ``MAX_CONTENT_LENGTH`` (64 MB: ticket files,
candidate CSVs). Everyone else only ever sends small forms: the login, a password link,
a candidate's answers to the test. Their bodies are held to
``ANONYMOUS_MAX_CONTENT_LENGTH`` (16 KB) and a larger one is refused with a 413 before
anything reads it, so that no one can make a worker parse megabytes without logging in.
An API call without a bearer token is anonymous in the same way; with one, the API's own
limits apply.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, request
from flask_login import current_user

MESSAGE = (
    "That form is larger than Frontline accepts before you log in. "
    "Go back, check what you typed and send it again."
)
LENGTH_MESSAGE = (
    "Frontline needs to know the size of what is sent before you log in. "
    "Send it again from the page in your browser."
)


def _is_anonymous() -> bool:
    if request.path.startswith("/api/"):
        return not request.headers.get("Authorization")
    return not current_user.is_authenticated


def cap_anonymous_body() -> Any:
    """Hold a request from someone not logged in to the anonymous body limit."""
    if not _is_anonymous():
        return None
    cap = current_app.config["ANONYMOUS_MAX_CONTENT_LENGTH"]
    request.max_content_length = cap
    if request.content_length is None and _is_chunked():
        # Werkzeug would cut such a body at the limit and parse the rest without a word;
        # browsers always send a form's length, so refuse it instead.
        abort(411, description=LENGTH_MESSAGE)
    if request.content_length is not None and request.content_length > cap:
        abort(413, description=MESSAGE)
    return None


def _is_chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def init_app(app: Flask) -> None:
    """Call before any extension that reads the form (CSRF, the rate limiter's keys)."""
    app.before_request(cap_anonymous_body)
