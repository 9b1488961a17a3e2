"""Helpers for HTTP tests. CSRF stays on: forms are posted with a real token."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/auth/login") -> str:
    """A CSRF token valid for ``client``'s session, read from a page's meta tag."""
    response = client.get(url, follow_redirects=True)
    match = _META.search(response.get_data(as_text=True))
    assert match, f"no CSRF meta tag on {url} ({response.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    token_from: str = "/auth/login",
    **kwargs: Any,
) -> TestResponse:
    """POST ``data`` to ``url`` with a valid CSRF token, as a browser would."""
    payload = {"csrf_token": csrf_token(client, token_from), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
