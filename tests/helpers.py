"""Helpers for HTTP tests. CSRF stays on: forms are posted with a real token."""

from __future__ import annotations

import re
import threading
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


def logged_in_tabs(
    app: Any, session_id: str, count: int
) -> list[tuple[FlaskClient, str]]:
    """``count`` browser sessions of one user (``User.get_id()``), each with its CSRF token
    already read, for posting the same form from several tabs at once."""
    tabs = []
    for _ in range(count):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        tabs.append((client, csrf_token(client, "/")))
    return tabs


def post_together(
    tabs: list[tuple[FlaskClient, str]], url: str, data: dict[str, str]
) -> list[int]:
    """Post ``data`` to ``url`` from every tab at the same moment; the status codes."""
    barrier = threading.Barrier(len(tabs))
    statuses: list[int] = []

    def post(client: FlaskClient, token: str) -> None:
        barrier.wait(timeout=20)
        response = client.post(url, data={"csrf_token": token, **data})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=tab) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def post_each(
    posts: list[tuple[tuple[FlaskClient, str], dict[str, str]]], url: str
) -> list[int]:
    """Post each tab's own ``data`` to ``url`` at the same moment (two people deciding
    one thing differently); the status codes, in the order of ``posts``."""
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = [0] * len(posts)

    def post(index: int, client: FlaskClient, token: str, data: dict[str, str]) -> None:
        barrier.wait(timeout=20)
        response = client.post(url, data={"csrf_token": token, **data})
        statuses[index] = response.status_code

    threads = [
        threading.Thread(target=post, args=(i, *tab, data))
        for i, (tab, data) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses
