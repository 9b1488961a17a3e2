"""Secrets shown once, on the page a post leads to (post/redirect/get).

A form post that makes a secret (a test link, a password link, an API token) keeps it in
the poster's session and redirects; the page it leads to takes it out and shows it. A
reload of that page shows it no more, and a reload can no longer post the form again and
make a second secret that voids the first. The session cookie is signed and goes only to
the browser that made the secret, which is shown it anyway.
"""

from __future__ import annotations

from typing import Any

from flask import session

_KEY = "frontline.shown_once"


def keep(kind: str, record_id: int, **values: Any) -> None:
    """Keep ``values`` for the next page that asks for this ``kind`` and record."""
    session[_KEY] = {"kind": kind, "id": record_id, **values}


def take(kind: str, record_id: int) -> dict[str, Any] | None:
    """What :func:`keep` kept for this ``kind`` and record, once; ``None`` after that."""
    kept = session.get(_KEY)
    if not kept or kept.get("kind") != kind or kept.get("id") != record_id:
        return None
    session.pop(_KEY)
    return kept
