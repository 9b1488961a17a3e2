"""Payout tables: a rep's working dates and leave (for proration), manual adjustments to
a month's payouts, leadership's approval of a closed month's payouts, and the change log
of a month closed anew."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.people import User
from incentives.scoring.models import MonthClose


class RepWorkDates(db.Model):
    """When a rep started and left, as pay counts it (blank: before the data, still here)."""

    __tablename__ = "incentive_rep_work_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    started_on: Mapped[dt.date | None]
    left_on: Mapped[dt.date | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class RepLeave(db.Model):
    """A stretch of leave, first and last day included: those working days are not paid
    for in the target bonus."""

    __tablename__ = "incentive_rep_leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class PayoutAdjustment(db.Model):
    """A manual change to a rep's payout of a month, with its reason.

    Never deleted: a removal records who, when and why, and the adjustment stops counting.
    """

    __tablename__ = "incentive_payout_adjustments"
    __table_args__ = (Index("ix_incentive_payout_adjustments_month", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: YYYY-MM in the organisation's time zone.
    month: Mapped[str] = mapped_column(String(7))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: Positive adds to the payout, negative takes off; in ``currency``.
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    removed_at: Mapped[dt.datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    remove_reason: Mapped[str] = mapped_column(String(500), default="")

    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])

    @property
    def by_name(self) -> str:
        return self.created_by.name if self.created_by else self.actor_label


class PayoutApproval(db.Model):
    """Leadership's approval of a closed month's payouts, with every line as approved.

    An approval belongs to one close: reopening the month or closing it anew leaves it on
    record but no longer in force.
    """

    __tablename__ = "incentive_payout_approvals"
    __table_args__ = (
        UniqueConstraint("close_id"),
        Index("ix_incentive_payout_approvals_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    close_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_month_closes.id", ondelete="RESTRICT")
    )
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    total: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    rep_count: Mapped[int] = mapped_column(default=0)
    #: Every rep's line as approved (``payouts.line_to_data``).
    lines: Mapped[list[Any]] = mapped_column(default=list)

    close: Mapped[MonthClose] = relationship()
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def by_name(self) -> str:
        return self.approved_by.name if self.approved_by else self.actor_label


class ReCloseChange(db.Model):
    """One rep's score and payout before and after a month was closed anew: the change
    log of a re-close (``None``: the rep was not scored in that close)."""

    __tablename__ = "incentive_reclose_changes"
    __table_args__ = (Index("ix_incentive_reclose_changes_month", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    #: The new close, and the one it replaces.
    close_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_month_closes.id", ondelete="CASCADE"), index=True
    )
    previous_close_id: Mapped[int] = mapped_column(
        ForeignKey("incentive_month_closes.id", ondelete="CASCADE")
    )
    rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    rep_name: Mapped[str] = mapped_column(String(120))
    rep_email: Mapped[str] = mapped_column(String(254))
    team_name: Mapped[str] = mapped_column(String(120), default="")
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float | None] = mapped_column(Float)
    old_payout: Mapped[Decimal | None]
    new_payout: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def changed(self) -> bool:
        old = None if self.old_score is None else round(self.old_score, 2)
        new = None if self.new_score is None else round(self.new_score, 2)
        return old != new or self.old_payout != self.new_payout

    @property
    def payout_change(self) -> Decimal:
        return (self.new_payout or Decimal(0)) - (self.old_payout or Decimal(0))
