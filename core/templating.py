"""What templates get besides their view's context: date filters, navigation, the time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from core.access import Role
from core.shell import nav_for
from core.words import counted, ordinal


def org_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])


def format_datetime(value: dt.datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """An aware datetime in the organisation's time zone; '—' for none."""
    if value is None:
        return "—"
    return value.astimezone(org_timezone()).strftime(fmt)


def format_date(value: dt.date | dt.datetime | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.astimezone(org_timezone())
    return value.strftime(fmt)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (for filters and pagination).

    Arguments that ``url_for`` would take for its own (``endpoint``, ``_method``,
    ``_scheme``...) or for a part of the path (``?rep_id=5`` on ``/reps/4/...``) are no
    filter of ours: they are left out rather than passed on to break the link.
    """
    path_args = request.view_args or {}
    args = {
        key: value
        for key, value in request.args.items()
        if key not in path_args and key != "endpoint" and not key.startswith("_")
    }
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def compile_templates(app: Flask) -> int:
    """Compile every template now; returns how many.

    A web worker does this before it serves (``gunicorn.conf.py``), so that the first
    visitor of each page in each worker does not wait while its templates are compiled
    (about 50 ms for the authority register).
    """
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["counted"] = counted
    app.jinja_env.filters["ordinal"] = ordinal
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _shell() -> dict[str, Any]:
        return {
            "nav_items": nav_for(current_user) if request else [],
            "timezone_name": app.config["FRONTLINE_TIMEZONE"],
        }
