"""Scorecard delivery by e-mail: each leader gets the leadership pack, each supervisor their
teams' scorecards (the team's and one per rep). Reps download their own from the app.

The PDFs are made by the month's batch (``pdfs.render_month``) into a scratch
folder and sent over one SMTP connection (``core.mail``).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core import mail
from core.access import Role
from core.db import db
from core.people import Team, User, UserRole
from incentives.scorecards import pdfs
from incentives.scoring import queries as scoring_queries
from incentives.tickets import metrics

logger = logging.getLogger(__name__)


@dataclass
class Parcel:
    """One e-mail: who gets it, and which PDFs."""

    to: str
    name: str
    subject: str
    body: str
    #: Paths relative to the batch folder.
    files: list[str] = field(default_factory=list)


@dataclass
class DeliveryPlan:
    month: str
    closed: bool
    parcels: list[Parcel]


def _leaders() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(
                UserRole,
                (UserRole.user_id == User.id) & (UserRole.role == Role.LEADERSHIP),
            )
            .where(User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def plan_delivery(month: str) -> DeliveryPlan:
    """Who gets which scorecards of ``month`` (nothing rendered or sent)."""
    scores = scoring_queries.month_scores(month)
    label = metrics.month_label(month)
    state = (
        "These are the final figures of the closed month."
        if scores.is_closed
        else "The month is not closed yet: these figures may still change."
    )
    cards_by_team: dict[int, list[str]] = {}
    for person in scores.people.values():
        if person.rep_id in scores.scores and person.team_id is not None:
            cards_by_team.setdefault(person.team_id, []).append(
                f"reps/{pdfs.slug(person.name)}-{person.rep_id}.pdf"
            )
    parcels = [
        Parcel(
            to=leader.email,
            name=leader.name,
            subject=f"Frontline leadership pack, {label}",
            body=(
                f"Hello {leader.name.split()[0]},\n\nThe leadership pack for {label} is "
                f"attached: the organisation's month, teams side by side, top movers, "
                f"training and authority coverage and hiring-test validity.\n\n{state}\n"
            ),
            files=["leadership.pdf"],
        )
        for leader in _leaders()
    ]
    teams = db.session.scalars(
        select(Team).where(Team.id.in_(list(cards_by_team) or [-1])).order_by(Team.name)
    )
    for team in teams:
        files = [
            f"teams/{pdfs.slug(team.name)}-{team.id}.pdf",
            *sorted(cards_by_team[team.id]),
        ]
        for supervisor in team.supervisors:
            if not supervisor.is_active:
                continue
            parcels.append(
                Parcel(
                    to=supervisor.email,
                    name=supervisor.name,
                    subject=f"Frontline scorecards, {team.name}, {label}",
                    body=(
                        f"Hello {supervisor.name.split()[0]},\n\nThe scorecards of "
                        f"{team.name} for {label} are attached: the team's, and one per "
                        f"rep ({len(files) - 1}).\n\n{state}\n"
                    ),
                    files=files,
                )
            )
    return DeliveryPlan(month, scores.is_closed, parcels)


def send_month(
    month: str, config: Mapping[str, Any], *, workers: int | None = None
) -> tuple[DeliveryPlan, int]:
    """Render the month's scorecards and e-mail them as :func:`plan_delivery` says.

    :return: the plan and how many messages were sent.
    :raises core.mail.MailError: SMTP is not set up, unreachable or refused a message.
    """
    plan = plan_delivery(month)
    if not plan.parcels:
        return plan, 0
    if not mail.is_configured(config):
        raise mail.MailError("SMTP_HOST is not set, so Frontline cannot send e-mail.")
    with tempfile.TemporaryDirectory(prefix="frontline-scorecards-") as scratch:
        folder = Path(scratch)
        pdfs.render_month(month, folder, workers=workers)
        messages = [
            mail.build_message(
                config,
                to=parcel.to,
                subject=parcel.subject,
                body=parcel.body,
                attachments=[
                    mail.Attachment(Path(name).name, (folder / name).read_bytes())
                    for name in parcel.files
                    if (folder / name).is_file()
                ],
            )
            for parcel in plan.parcels
        ]
        sent = mail.send(config, messages)
    logger.info("Scorecards of %s e-mailed: %d messages", month, sent)
    return plan, sent
