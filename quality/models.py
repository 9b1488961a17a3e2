"""Quality tables: rubrics and their versions, reviews of tickets, the link out to each
helpdesk's ticket pages, and calibration sessions with their blind ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import User
from quality.calibration import SessionState
from quality.reviews import Decision, ReviewState
from quality.rubrics import ChannelGroup, Rubric, rubric_from_data


class QaRubric(db.Model):
    """The rubric of one channel group; its versions share it."""

    __tablename__ = "qa_rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_group: Mapped[ChannelGroup] = mapped_column(
        enum_column(ChannelGroup, 16), unique=True
    )
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[QaRubricVersion]] = relationship(
        back_populates="rubric", order_by="QaRubricVersion.version"
    )

    @property
    def current(self) -> QaRubricVersion:
        return self.versions[-1]


class QaRubricVersion(db.Model):
    """One version of a rubric, as validated by ``rubrics.rubric_from_data``.

    Frozen once a submitted review used it: a change then makes the next version, and
    reviews keep the version they were judged by.
    """

    __tablename__ = "qa_rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(
        ForeignKey("qa_rubrics.id", ondelete="RESTRICT")
    )
    version: Mapped[int]
    #: ``rubrics.rubric_to_data`` of the rubric.
    definition: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")

    rubric: Mapped[QaRubric] = relationship(back_populates="versions")

    @property
    def rules(self) -> Rubric:
        return rubric_from_data(self.definition)

    @property
    def label(self) -> str:
        return f"{self.rubric.name} v{self.version}"


class QaReview(db.Model):
    """A review of one ticket: sampled as a draft, then submitted, acknowledged or
    disputed, and a dispute decided (``quality.reviews`` says how)."""

    __tablename__ = "qa_reviews"
    __table_args__ = (
        Index("ix_qa_reviews_month_rep_id", "month", "rep_id"),
        Index("ix_qa_reviews_reviewer_id_state", "reviewer_id", "state"),
        # A rep's reviews, the latest first; the disputes waiting, the oldest first.
        Index("ix_qa_reviews_rep_id_submitted_at", "rep_id", "submitted_at"),
        Index("ix_qa_reviews_state_disputed_at", "state", "disputed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One review per ticket: sampling again never adds a second.
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), unique=True
    )
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    #: The month sampled (YYYY-MM), the month the ticket was solved in.
    month: Mapped[str] = mapped_column(String(7))
    #: Why it was sampled (``sampling.Reason``).
    reason: Mapped[str] = mapped_column(String(32))
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("qa_rubric_versions.id", ondelete="RESTRICT")
    )
    state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState, 16), default=ReviewState.DRAFT
    )
    #: Category key to a rating on its scale or ``"na"``; unrated ones are absent.
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Category key to the reviewer's comment.
    comments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    #: The score at submission (0-100); ``None`` while a draft or when nothing applied.
    score: Mapped[float | None]
    critical_failed: Mapped[bool] = mapped_column(default=False)
    due_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    disputed_at: Mapped[dt.datetime | None]
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, 16))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    rubric_version: Mapped[QaRubricVersion] = relationship()


class QaHelpdeskLink(db.Model):
    """Where a source's tickets are seen in the helpdesk: a URL with ``{id}`` for the
    helpdesk's ticket id (``https://acme.zendesk.com/agent/tickets/{id}``)."""

    __tablename__ = "qa_helpdesk_links"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    url_pattern: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QaCalibration(db.Model):
    """A calibration session: reviewers score the same tickets blind, then compare
    (``quality.calibration`` says who sees what). Never part of a rep's QA score."""

    __tablename__ = "qa_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("qa_rubric_versions.id", ondelete="RESTRICT")
    )
    state: Mapped[SessionState] = mapped_column(
        enum_column(SessionState, 16), default=SessionState.OPEN
    )
    due_on: Mapped[dt.date]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    rubric_version: Mapped[QaRubricVersion] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    tickets: Mapped[list[QaCalibrationTicket]] = relationship(
        order_by="QaCalibrationTicket.position", cascade="all, delete-orphan"
    )
    reviewers: Mapped[list[QaCalibrationReviewer]] = relationship(
        order_by="QaCalibrationReviewer.user_id", cascade="all, delete-orphan"
    )

    @property
    def ticket_ids(self) -> list[int]:
        return [t.ticket_id for t in self.tickets]

    @property
    def reviewer_ids(self) -> list[int]:
        return [r.user_id for r in self.reviewers]


class QaCalibrationTicket(db.Model):
    """A ticket of a calibration session."""

    __tablename__ = "qa_calibration_tickets"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("qa_calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int]


class QaCalibrationReviewer(db.Model):
    """A reviewer of a calibration session."""

    __tablename__ = "qa_calibration_reviewers"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("qa_calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True
    )

    user: Mapped[User] = relationship()


class QaCalibrationRating(db.Model):
    """One reviewer's ratings of one ticket in a session: a draft until submitted."""

    __tablename__ = "qa_calibration_ratings"
    __table_args__ = (UniqueConstraint("calibration_id", "ticket_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("qa_calibrations.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT")
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    #: Category key to a rating on its scale or ``"na"``; unrated ones are absent.
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
