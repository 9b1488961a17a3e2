"""Frontline: hire, train and reward customer-service reps.

``flask --app app run`` serves it; ``flask --app app --help`` lists the commands.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import core.accounts
import core.admin
import core.api
import core.auth
import core.cli
import core.config
import core.db
import core.headers
import core.input_checks
import core.panels
import core.request_size
import core.templating
import core.views
import incentives.demo
import incentives.panels
import incentives.scorecards.cli
import incentives.scorecards.views
import incentives.scoring.cli
import incentives.scoring.close_review_views
import incentives.scoring.dispute_views
import incentives.scoring.payout_api
import incentives.scoring.payout_queries
import incentives.scoring.payout_views
import incentives.scoring.views
import incentives.tickets.agent_operations
import incentives.tickets.api
import incentives.tickets.cli
import incentives.tickets.operations
import incentives.tickets.views
import incentives.views
import quality.api
import quality.calibration_views
import quality.cli
import quality.demo
import quality.panels
import quality.views
import recruiting.api
import recruiting.cli
import recruiting.demo
import recruiting.opening_views
import recruiting.panels
import recruiting.take_views
import recruiting.views
import training.api
import training.authority_views
import training.certificate_views
import training.cli
import training.demo
import training.notice_views
import training.operations
import training.panels
import training.views
import voice.api
import voice.cli
import voice.demo
import voice.panels
import voice.upward_views
import voice.views
from core.access import Role
from core.demo import register_step
from core.errors import register_error_handlers
from core.extensions import csrf, limiter, migrate
from core.settings import register_settings
from core.shell import NavItem, register_nav, register_panels

HERE = Path(__file__).resolve().parent

#: Blueprints serving pages (CSRF-protected, session login).
PAGE_BLUEPRINTS = [
    core.views.bp,
    core.auth.bp,
    core.admin.bp,
    recruiting.views.bp,
    training.views.bp,
    incentives.views.bp,
    quality.views.bp,
    voice.views.bp,
]
#: Modules that add their pages to a blueprint above (incentives' three packages share
#: ``incentives.views.bp``; recruiting's opening and test pages ``recruiting.views.bp``;
#: training's authority pages ``training.views.bp``), so that every endpoint keeps its
#: blueprint's name: imported here, their routes are on the blueprint before it is
#: registered.
PAGE_MODULES = (
    recruiting.opening_views,
    recruiting.take_views,
    incentives.tickets.views,
    incentives.scoring.views,
    incentives.scoring.payout_views,
    incentives.scoring.close_review_views,
    incentives.scoring.dispute_views,
    incentives.scorecards.views,
    training.authority_views,
    training.certificate_views,
    training.notice_views,
    voice.upward_views,
    quality.calibration_views,
)
#: Blueprints of the token-authenticated JSON API (exempt from CSRF; never session login).
API_BLUEPRINTS = [
    core.api.bp,
    recruiting.api.bp,
    training.api.bp,
    incentives.tickets.api.bp,  # with incentives.scoring.payout_api's route
    quality.api.bp,
    voice.api.bp,
]

#: The modules with an OpenAPI fragment (``MODULE/openapi.yaml``), in the document's order.
MODULES = ("recruiting", "training", "incentives", "quality", "voice")

ADMIN_NAV = [
    NavItem(
        "Users", "admin.user_list", frozenset({Role.ADMIN}), active_prefix="admin.user"
    ),
    NavItem(
        "Teams", "admin.team_list", frozenset({Role.ADMIN}), active_prefix="admin.team"
    ),
    NavItem("Settings", "admin.settings_edit", frozenset({Role.ADMIN})),
    NavItem(
        "API tokens",
        "admin.api_token_list",
        frozenset({Role.ADMIN}),
        active_prefix="admin.api_token",
    ),
    NavItem(
        "Audit trail", "admin.audit_list", frozenset({Role.ADMIN, Role.LEADERSHIP})
    ),
]

NAV = [
    NavItem("Dashboard", "main.dashboard"),
    *recruiting.views.NAV,
    *training.views.NAV,
    *incentives.views.NAV,
    *quality.views.NAV,
    *voice.views.NAV,
    *ADMIN_NAV,
]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Frontline app; ``config`` overrides environment settings (tests pass a dict)."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(core.config.from_env(app.instance_path))
    if config:
        app.config.update(config)
    core.config.check(app.config)
    if not app.config["SECRET_KEY"]:
        # Debug and testing only (check() refuses otherwise): sessions last one process.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    configure_logging(app)
    if app.config.get("FRONTLINE_PROXIES"):
        # Behind that many proxies, the client's address and scheme are the ones they
        # forward: the login limits and the audit trail then see people, not the proxy.
        hops = int(app.config["FRONTLINE_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_shell(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def register_extensions(app: Flask) -> None:
    # First: the anonymous body limit must hold before CSRF or the limiter read a form.
    core.request_size.init_app(app)
    core.db.init_app(app)
    migrate.init_app(
        app, core.db.db, directory=str(HERE / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    core.auth.init_app(app)
    core.headers.init_app(app)
    core.input_checks.init_app(app)
    core.templating.init_app(app)


def register_blueprints(app: Flask) -> None:
    for bp in PAGE_BLUEPRINTS:
        app.register_blueprint(bp)
    for bp in API_BLUEPRINTS:
        csrf.exempt(bp)
        app.register_blueprint(bp)


def register_shell(app: Flask) -> None:
    """Navigation, dashboard panels, demo steps, API documents and cross-module signals."""
    register_nav(app, NAV)
    register_panels(
        app,
        [
            *core.panels.PANELS,
            *recruiting.panels.PANELS,
            *training.panels.PANELS,
            *incentives.panels.PANELS,
            *quality.panels.PANELS,
            *voice.panels.PANELS,
        ],
    )
    register_settings(
        app,
        [
            *recruiting.views.SETTINGS,
            *training.views.SETTINGS,
            *incentives.views.SETTINGS,
        ],
    )
    for step in (
        recruiting.demo.build,
        training.demo.build,
        incentives.demo.build_tickets,
        quality.demo.build,
        incentives.demo.build_scoring,
        voice.demo.build,
    ):
        register_step(app, step)
    for module in MODULES:
        core.api.register_openapi(app, HERE / module / "openapi.yaml")
    core.accounts.rep_created.connect(training.operations.assign_onboarding)
    core.accounts.rep_created.connect(
        incentives.tickets.agent_operations.attribute_agent_to_new_rep
    )
    incentives.tickets.operations.months_imported.connect(
        incentives.scoring.payout_queries.closed_among
    )


def register_commands(app: Flask) -> None:
    for command in (
        *core.cli.COMMANDS,
        *recruiting.cli.COMMANDS,
        *training.cli.COMMANDS,
        *incentives.tickets.cli.COMMANDS,
        *incentives.scoring.cli.COMMANDS,
        *incentives.scorecards.cli.COMMANDS,
        *quality.cli.COMMANDS,
        *voice.cli.COMMANDS,
    ):
        app.cli.add_command(command)
