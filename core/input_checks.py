"""Refusing request input that no database column can hold.

PostgreSQL text columns cannot store the NUL character (``\\x00``): a form field, a query
argument, a part of the path or an API value carrying one would fail deep inside the
database driver and answer 500. It never belongs in a name, a note or an e-mail, so every
request carrying it is refused up front with a 400 that says why. Uploaded files are not
looked at here: the importers drop NUL characters from file contents themselves.

Numbers too: record ids are 32-bit integers, and SQLite cannot even bind a Python int past
64 bits (``OverflowError``). ``<int:...>`` in a URL only matches ids a record can have, so
``/candidates/99999999999999999999`` is a plain 404; :func:`record_id` does the same for
ids and page numbers read from a query string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from core.errors import error_response

#: The largest id a record can have (ids are 32-bit integer columns).
MAX_ID = 2**31 - 1

NUL = "\x00"
MESSAGE = (
    "The text sent contains a NUL character (\\0), which Frontline cannot store. "
    "Remove it (it often comes from copying out of another program) and try again."
)


def _has_nul(value: Any) -> bool:
    """NUL anywhere in a JSON-like value: its strings, keys and nested values."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _texts(pairs: Iterable[tuple[str, str]]) -> Iterable[str]:
    for key, value in pairs:
        yield key
        yield value


def request_has_nul(*, body: bool = True) -> bool:
    """True when the path, query string, form fields or JSON body carry a NUL character.

    :param body: look at the body too (``False`` for API calls, whose body is looked at
        by :func:`body_has_nul` once their token is known to be good, so that nobody can
        make a worker read a large body with a made-up token).
    """
    if _has_nul(dict(request.view_args or {})):
        return True
    if any(NUL in text for text in _texts(request.args.items(multi=True))):
        return True
    return body and body_has_nul()


def body_has_nul() -> bool:
    """True when the form fields or JSON body carry a NUL character."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.is_json:
        return _has_nul(request.get_json(silent=True))
    return any(NUL in text for text in _texts(request.form.items(multi=True)))


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` limited to the ids a record can have: a larger number is a 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(
            map, fixed_digits=fixed_digits, min=min, max=max, signed=signed
        )


def record_id(text: str) -> int:
    """A query-string id or page number: ``request.args.get("team", type=record_id)``.

    :raises ValueError: not a whole number from 1 to :data:`MAX_ID` (``args.get`` then
        gives its default).
    """
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"{text!r} is not an id from 1 to {MAX_ID}")
    return value


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` and refuse NUL; call before any blueprint is registered."""
    app.url_map.converters["int"] = RecordIdConverter

    @app.before_request
    def _refuse_nul() -> Any:
        if request_has_nul(body=not request.path.startswith("/api/")):
            return error_response(400, MESSAGE)
        return None
