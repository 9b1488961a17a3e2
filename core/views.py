"""The home dashboard and the health check."""

from __future__ import annotations

import functools
import time
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.shell import panels_for

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def dashboard() -> Any:
    return render_template("main/dashboard.html", panels=panels_for(current_user))


@bp.route("/healthz")
def healthz() -> Any:
    """The app's, the database's and Redis's status, for load balancers.

    503 only when the database is down: a worker without it can serve nothing. Redis down
    is "degraded" with 200, since the worker still serves every page (its rate limits count
    in-process meanwhile) and taking it out of rotation would help no one.
    """
    database = _database_status()
    redis = _redis_status(current_app.config.get("REDIS_URL"))
    healthy = database["status"] == "ok" and redis["status"] in {"ok", "not configured"}
    body = {
        "status": "ok" if healthy else "degraded",
        "app": "frontline",
        "database": database,
        "redis": redis,
    }
    return jsonify(body), 200 if database["status"] == "ok" else 503


def _database_status() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        database: dict[str, Any] = {"status": "ok"}
    except SQLAlchemyError as e:
        db.session.rollback()
        database = {"status": "error", "error": type(e).__name__}
    database["dialect"] = db.engine.dialect.name
    database["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return database


@functools.lru_cache(maxsize=4)
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _redis_status(url: str | None) -> dict[str, Any]:
    """Whether Redis (rate limits, job queue) answers a PING within a second."""
    if not url:
        return {"status": "not configured"}
    started = time.perf_counter()
    try:
        _redis_client(url).ping()
        status: dict[str, Any] = {"status": "ok"}
    except Exception as e:  # any failure to reach Redis is the answer
        status = {"status": "error", "error": type(e).__name__}
    status["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return status
