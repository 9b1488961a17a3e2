"""Scoring tables: plans and their versions, closed months with their frozen scores, and
ticket disputes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import User
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.plans import Plan, parse_plan, with_team_ids
from incentives.tickets.models import Ticket


class IncentivePlan(db.Model):
    """A plan: a name that versions share. One plan is in force for open months."""

    __tablename__ = "incentive_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: The plan open months are scored with; at most one is.
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.version"
    )

    @property
    def current(self) -> PlanVersion:
        return self.versions[-1]


class PlanVersion(db.Model):
    """One version of a plan, as validated by ``plans.parse_plan``.

    Frozen once a closed month used it: a change then makes the next version.
    """

    __tablename__ = "incentive_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_plans.id", ondelete="RESTRICT")
    )
    version: Mapped[int]
    #: ``plans.plan_to_data`` of the plan, team overrides with their team ids.
    definition: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    #: The first month (YYYY-MM) it scores; ``None``: not scheduled (the plan in force's
    #: current version then applies from the start, see ``plan_calendar``).
    effective_from: Mapped[str | None] = mapped_column(String(7))
    #: The teams it applies to; empty for the whole organisation.
    team_ids: Mapped[list[Any]] = mapped_column(default=list)

    plan: Mapped[IncentivePlan] = relationship(back_populates="versions")

    @property
    def rules(self) -> Plan:
        """The version as the scoring rules take it."""
        return plan_from_definition(self.definition)

    @property
    def label(self) -> str:
        return f"{self.plan.name} v{self.version}"


def plan_from_definition(definition: dict[str, Any]) -> Plan:
    """A stored definition as a :class:`~incentives.scoring.plans.Plan`, team ids included."""
    data = dict(definition)
    ids = data.pop("team_ids", {}) or {}
    return with_team_ids(parse_plan(data), {k: int(v) for k, v in ids.items()})


class MonthClose(db.Model):
    """A month's scores frozen: the plan version, every rep's score, the tickets' print.

    Closes are never edited, bar the reopening fields; a month closed again after a
    reopening gets a new row, so every close stays on record.
    """

    __tablename__ = "incentive_month_closes"
    __table_args__ = (Index("ix_incentive_month_closes_month", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: YYYY-MM in the organisation's time zone.
    month: Mapped[str] = mapped_column(String(7))
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_plan_versions.id", ondelete="RESTRICT")
    )
    closed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: SHA-256 over every ticket the month's figures used, as attributed at close.
    ticket_fingerprint: Mapped[str] = mapped_column(String(64))
    ticket_count: Mapped[int] = mapped_column(default=0)
    #: The organisation's CSAT that month (0-1): the Bayesian prior the scores used.
    org_csat: Mapped[float | None] = mapped_column(Float)
    #: The organisation's and each team's month metrics, as shown at close.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Disputes still open at close (they no longer change this month).
    open_disputes: Mapped[int] = mapped_column(default=0)
    #: The month's whole figures at close (``month_metrics.MonthMetrics.to_data()``):
    #: what every page of a closed month shows. ``None`` for closes made before they
    #: were kept (read from ``summary`` and the scores).
    #: Loaded when read (a close is often listed without them; they are large).
    figures: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    reopened_at: Mapped[dt.datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reopen_reason: Mapped[str] = mapped_column(String(500), default="")
    #: The version the closer chose, on reopening, to score the month with from then on;
    #: ``None``: it keeps the versions it was closed with.
    reopen_plan_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("incentive_plan_versions.id", ondelete="RESTRICT")
    )

    plan_version: Mapped[PlanVersion] = relationship(
        lazy="joined", foreign_keys=[plan_version_id]
    )
    reopen_plan_version: Mapped[PlanVersion | None] = relationship(
        foreign_keys=[reopen_plan_version_id]
    )
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class MonthScore(db.Model):
    """One rep's score in a closed month, every step kept (``score_data.score_to_data``)."""

    __tablename__ = "incentive_month_scores"
    __table_args__ = (
        UniqueConstraint("close_id", "rep_id"),
        Index("ix_incentive_month_scores_rep_id_month", "rep_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_month_closes.id", ondelete="CASCADE")
    )
    month: Mapped[str] = mapped_column(String(7))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: The rep's team and names as they were at close.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL")
    )
    rep_name: Mapped[str] = mapped_column(String(120))
    rep_email: Mapped[str] = mapped_column(String(254))
    team_name: Mapped[str] = mapped_column(String(120), default="")
    score: Mapped[float | None] = mapped_column(Float)
    eligible: Mapped[bool]
    payout: Mapped[Decimal]
    #: The month metrics behind the score (``metrics.METRIC_COLUMNS``).
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The version that scored the rep (their team's, or the organisation's); ``None``
    #: for scores kept before versions were kept per rep: the close's version.
    plan_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("incentive_plan_versions.id", ondelete="RESTRICT")
    )


class TicketDispute(db.Model):
    """A rep's dispute of a ticket credited to them, and a supervisor's decision."""

    __tablename__ = "ticket_disputes"
    __table_args__ = (
        # One decision per row: accepted ones say how, declined and open ones do not.
        CheckConstraint(
            "(status = 'accepted') = (resolution IS NOT NULL)",
            name="resolution_only_if_accepted",
        ),
        CheckConstraint(
            "reassigned_to_id IS NULL OR resolution = 'reassign'",
            name="rep_only_if_reassigned",
        ),
        CheckConstraint(
            "(status = 'open') = (decided_at IS NULL)", name="decided_unless_open"
        ),
        Index("ix_ticket_disputes_status_month", "status", "month"),
        Index("ix_ticket_disputes_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    #: The month the ticket counted in when disputed (YYYY-MM).
    month: Mapped[str] = mapped_column(String(7))
    #: The rep who disputes: the one the ticket was credited to.
    rep_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[DisputeStatus] = mapped_column(
        enum_column(DisputeStatus, 16), default=DisputeStatus.OPEN
    )
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, 16))
    #: For a reassignment: the rep the ticket now counts for.
    reassigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Why a dispute was declined (required), or a note on acceptance.
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    ticket: Mapped[Ticket] = relationship()
    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    reassigned_to: Mapped[User | None] = relationship(foreign_keys=[reassigned_to_id])

    @property
    def is_open(self) -> bool:
        return self.status is DisputeStatus.OPEN


class PlanAcknowledgement(db.Model):
    """A rep's word that they read the plan version they are paid on.

    Kept with the version's content hash: a version changed in place (before any month
    closed with it) asks again, as a new version does.
    """

    __tablename__ = "incentive_plan_acknowledgements"
    __table_args__ = (UniqueConstraint("plan_version_id", "user_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_plan_versions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    plan_version: Mapped[PlanVersion] = relationship()
