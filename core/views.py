"""The home dashboard and the health check."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify, render_template
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
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        database: dict[str, Any] = {"status": "ok"}
    except SQLAlchemyError as e:
        db.session.rollback()
        database = {"status": "error", "error": type(e).__name__}
    database["dialect"] = db.engine.dialect.name
    database["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    ok = database["status"] == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "app": "frontline",
        "database": database,
    }
    return jsonify(body), 200 if ok else 503
