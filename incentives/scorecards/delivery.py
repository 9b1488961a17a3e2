"""Scorecard delivery by e-mail: each leader gets the leadership pack, each supervisor their
teams' scorecards (the team's and one per rep), on ``scorecards send``; and each rep their
own scorecard when a month closes, unless they turned it off on their scorecard page.

The PDFs are made by the month's batch (``pdfs.render_month``, or ``pdfs.render_reps``
for the reps' own) into a scratch folder and sent over one SMTP connection
(``core.mail``). The reps' e-mails are a background job queued in the transaction that
closes the month (``scoring.operations.month_closed``), so a close that is rolled back
sends nothing; nothing is queued while SMTP is not set up.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from core import audit, jobs, mail
from core.access import Role
from core.db import db
from core.jobs import JobContext
from core.people import Team, User, UserRole
from incentives.scorecards import pdfs
from incentives.scorecards.models import ScorecardMailOptOut
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.models import MonthClose
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
    #: The rep whose own scorecard this is (a rep's e-mail).
    rep_id: int | None = None


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


def _messages(config: Mapping[str, Any], plan: DeliveryPlan, folder: Path) -> list[Any]:
    """Each parcel of ``plan`` as a message, with its PDFs read from ``folder``."""
    return [
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
        sent = mail.send(config, _messages(config, plan, folder))
    logger.info("Scorecards of %s e-mailed: %d messages", month, sent)
    return plan, sent


# --- each rep their own scorecard, when a month closes ------------------------------------

#: The kind of job that e-mails the reps their scorecards of a closed month.
REP_MAIL_KIND = "scorecards.rep_mail"


def wants_mail(user_id: int) -> bool:
    """Whether ``user_id`` gets their scorecard e-mailed when a month closes."""
    return db.session.get(ScorecardMailOptOut, user_id) is None


def set_wants_mail(user: User, wanted: bool, *, by: User) -> bool:
    """Turn ``user``'s scorecard e-mails on or off; returns whether that changed anything."""
    if wanted == wants_mail(user.id):
        return False
    if wanted:
        db.session.execute(
            delete(ScorecardMailOptOut).where(ScorecardMailOptOut.user_id == user.id)
        )
    else:
        db.session.add(ScorecardMailOptOut(user_id=user.id))
    audit.record(
        by,
        "scorecard.mail_on" if wanted else "scorecard.mail_off",
        user,
        summary=f"{user.name} turned their scorecard e-mails {'on' if wanted else 'off'}",
    )
    db.session.flush()
    return True


def plan_rep_delivery(month: str) -> DeliveryPlan:
    """Each rep scored in ``month``, active, with e-mails on: their own scorecard."""
    scores = scoring_queries.month_scores(month)
    label = metrics.month_label(month)
    opted_out = set(db.session.scalars(select(ScorecardMailOptOut.user_id)))
    active = set(
        db.session.scalars(
            select(User.id).where(
                User.id.in_(list(scores.scores) or [-1]), User.is_active.is_(True)
            )
        )
    )
    state = (
        "These are the final figures of the closed month."
        if scores.is_closed
        else "The month is not closed yet: these figures may still change."
    )
    parcels = []
    for rep_id in sorted(scores.scores):
        person = scores.people[rep_id]
        if rep_id not in active or rep_id in opted_out:
            continue
        parcels.append(
            Parcel(
                to=person.email,
                name=person.name,
                subject=f"Your Frontline scorecard, {label}",
                body=(
                    f"Hello {person.name.split()[0]},\n\nYour scorecard for {label} is "
                    "attached: your score and payout, and each metric against its "
                    f"threshold and target.\n\n{state}\n\nYou get this e-mail when a "
                    'month closes. To stop it, untick "E-mail me my scorecard" on your '
                    "scorecard page in Frontline.\n"
                ),
                files=[f"reps/{pdfs.slug(person.name)}-{rep_id}.pdf"],
                rep_id=rep_id,
            )
        )
    return DeliveryPlan(month, scores.is_closed, parcels)


def queue_rep_mail(month: str, *, close: MonthClose, **_extra: Any) -> None:
    """When ``month`` closes: queue the job that e-mails each rep their scorecard
    (started when the closing transaction commits; nothing while SMTP is not set up)."""
    if not mail.is_configured(current_app.config):
        return
    jobs.enqueue(
        send_rep_cards_job,
        str(month),
        int(close.id),
        kind=REP_MAIL_KIND,
        message="Waiting to e-mail the reps their scorecards",
    )


scoring_operations.month_closed.connect(queue_rep_mail)


def send_rep_cards_job(
    context: JobContext, month: str, close_id: int
) -> dict[str, Any]:
    """E-mail each rep their scorecard of ``month``, closed by ``close_id``; a month
    reopened (or closed again) since sends nothing: its next close sends it."""
    close = scoring_queries.get_close(month)
    if close is None or close.id != close_id:
        return {"sent": 0, "skipped": "The month was reopened before the e-mails went."}
    plan = plan_rep_delivery(month)
    if not plan.parcels:
        return {"sent": 0}
    total = len(plan.parcels)
    context.progress(0, total, "Writing the reps' scorecards")
    with tempfile.TemporaryDirectory(prefix="frontline-rep-cards-") as scratch:
        folder = Path(scratch)
        pdfs.render_reps(month, folder, [p.rep_id for p in plan.parcels if p.rep_id])
        context.progress(0, total, "Sending")
        config = current_app.config
        sent = mail.send(config, _messages(config, plan, folder))
    context.progress(total, total, f"{sent} scorecards e-mailed")
    logger.info("Reps' scorecards of %s e-mailed: %d messages", month, sent)
    return {"sent": sent}
