"""Scorecards' tables: who has turned off their scorecard e-mails."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class ScorecardMailOptOut(db.Model):
    """A person who does not want their scorecard e-mailed when a month closes (no row:
    they get it)."""

    __tablename__ = "incentive_scorecard_mail_optouts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
