"""Recruiting's tables: openings, candidates and their stage history, assessments, test
links, answers and results, blind-review ratings and reveals, and interview scorecards."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import Team, User
from recruiting.assessment import (
    COMPETENCIES,
    AssessmentSpec,
    Competency,
    spec_from_data,
)
from recruiting.pipeline import LinkFacts, LinkState, Recommendation, Stage, link_state


class OpeningStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: The channels an opening's reps serve.
CHANNELS = {
    "phone": "Phone",
    "email": "E-mail",
    "chat": "Live chat",
    "social": "Social media",
    "reviews": "Review sites",
}


#: Parsed specs by content hash: a version never changes, so its parse can be kept.
_SPECS: dict[str, AssessmentSpec] = {}


class Assessment(db.Model):
    """One version of an assessment, as loaded from YAML. Never changed once loaded."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The file's ``key``; versions of one assessment share it.
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the normalized content; an unchanged file adds no version.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The validated content (``assessment.spec_to_data``).
    spec: Mapped[dict[str, Any]]
    item_count: Mapped[int]
    time_limit_minutes: Mapped[int]
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(254), default="")

    @property
    def parsed(self) -> AssessmentSpec:
        spec = _SPECS.get(self.content_hash)
        if spec is None:
            spec = _SPECS[self.content_hash] = spec_from_data(self.spec)
        return spec

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


class Opening(db.Model):
    """A job opening candidates apply to."""

    __tablename__ = "openings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The team hired reps join.
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    #: Channel codes from :data:`CHANNELS`.
    channels: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[OpeningStatus] = mapped_column(
        enum_column(OpeningStatus, 16), default=OpeningStatus.OPEN
    )
    #: The assessment version new test links use.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    #: Competency weights (0-10) for the weighted total.
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Reviewers see test results without names until they have rated them.
    blind_review: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[dt.datetime | None]

    team: Mapped[Team] = relationship()
    assessment: Mapped[Assessment] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status is OpeningStatus.OPEN

    @property
    def weight_map(self) -> dict[Competency, int]:
        return {c: int(self.weights.get(c, 0)) for c in COMPETENCIES}

    @property
    def channel_labels(self) -> list[str]:
        return [CHANNELS.get(c, c) for c in self.channels]


class Candidate(db.Model):
    """Someone applying to an opening. Erasure blanks the personal fields, keeps the rest."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("opening_id", "email"),
        Index("ix_candidates_opening_stage", "opening_id", "stage", "stage_changed_at"),
        Index("ix_candidates_email", "email"),
        Index("ix_candidates_phone_key", "phone_key"),
        Index("ix_candidates_retention", "stage", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(
        ForeignKey("openings.id", ondelete="RESTRICT")
    )
    #: Personal data (blanked on erasure): name, e-mail, phone, source, notes.
    name: Mapped[str] = mapped_column(String(120))
    #: Lower-case; ``None`` once erased.
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: The phone's digits, for duplicate detection.
    phone_key: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(80))
    notes: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 16), default=Stage.APPLIED)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The day the candidate agreed to their data being kept for this application.
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: A likely earlier record of the same person (same e-mail or phone).
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL"), index=True
    )
    duplicate_reason: Mapped[str | None] = mapped_column(String(40))
    #: Set when the candidacy closed (hired, rejected, withdrawn); starts retention.
    closed_at: Mapped[dt.datetime | None]
    #: The rep account made on hiring.
    hired_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    hired_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]

    opening: Mapped[Opening] = relationship()
    hired_user: Mapped[User | None] = relationship(foreign_keys=[hired_user_id])
    result: Mapped[AssessmentResult | None] = relationship(
        back_populates="candidate", uselist=False
    )

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def reference(self) -> str:
        """How the candidate is named where their name may not appear."""
        return f"Candidate #{self.id}"


class StageChange(db.Model):
    """One move of a candidate through the pipeline: who, when, why. Append-only."""

    __tablename__ = "candidate_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    #: ``None`` for the candidate's creation.
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, 16))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, 16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Who moved them: a user's name, "candidate", "api:<token>" or "cli".
    by_label: Mapped[str] = mapped_column(String(254))


class Invitation(db.Model):
    """A test link sent to a candidate. Only the SHA-256 of its token is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        # Finds started tests whose time ran out without a submit.
        Index("ix_invitations_overdue", "submitted_at", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    #: The assessment version this link tests on; its result keeps it.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The test must be started before this.
    expires_at: Mapped[dt.datetime]
    time_limit_minutes: Mapped[int]
    started_at: Mapped[dt.datetime | None]
    #: ``started_at`` plus the time limit: the server's deadline.
    deadline_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    #: Submitted because time ran out rather than by the candidate.
    timed_out: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[dt.datetime | None]
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    candidate: Mapped[Candidate] = relationship()
    assessment: Mapped[Assessment] = relationship()
    created_by: Mapped[User | None] = relationship()

    def facts(self, stage: Stage | None = None) -> LinkFacts:
        return LinkFacts(
            expires_at=self.expires_at,
            started_at=self.started_at,
            deadline_at=self.deadline_at,
            submitted_at=self.submitted_at,
            revoked_at=self.revoked_at,
            candidate_stage=stage or self.candidate.stage,
        )

    def state(self, at: dt.datetime | None = None) -> LinkState:
        return link_state(self.facts(), at or utcnow())


class CandidateAnswer(db.Model):
    """A candidate's answer to one item, saved as given. Kept after erasure (anonymous)."""

    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("invitation_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE")
    )
    item_key: Mapped[str] = mapped_column(String(80))
    #: The chosen option, or the "most effective" one.
    best: Mapped[str | None] = mapped_column(String(40))
    #: The "least effective" option (most/least items).
    worst: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssessmentResult(db.Model):
    """A scored test: 0-100 per competency. One per candidate; anonymous once erased."""

    __tablename__ = "assessment_results"
    __table_args__ = (
        UniqueConstraint("invitation_id"),
        UniqueConstraint("candidate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    empathy: Mapped[float]
    ownership: Mapped[float]
    communication: Mapped[float]
    composure: Mapped[float]
    judgement: Mapped[float]
    #: The five scores' plain mean.
    overall: Mapped[float]
    answered: Mapped[int]
    item_count: Mapped[int]
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    timed_out: Mapped[bool] = mapped_column(default=False)

    candidate: Mapped[Candidate] = relationship(back_populates="result")
    assessment: Mapped[Assessment] = relationship()

    @property
    def scores(self) -> dict[Competency, float]:
        return {c: getattr(self, c.value) for c in COMPETENCIES}


class ResultRating(db.Model):
    """A reviewer's 1-5 rating of a test result; in blind openings it reveals the name."""

    __tablename__ = "result_ratings"
    __table_args__ = (UniqueConstraint("candidate_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User] = relationship()


class RevealReason(enum.StrEnum):
    """Why someone chose to see a blind candidate's details before rating the test."""

    SEND_LINK = "send_link"
    DATA_REQUEST = "data_request"
    CONTACT = "contact"

    @property
    def label(self) -> str:
        return {
            RevealReason.SEND_LINK: "to send the test link by hand",
            RevealReason.DATA_REQUEST: "for the candidate's request about their data",
            RevealReason.CONTACT: "to contact the candidate",
        }[self]


class CandidateReveal(db.Model):
    """Someone saw a blind candidate's details before rating the test. Append-only.

    Blind review then no longer hides the candidate from them; the candidate page says
    who saw the details, when and why, and their rating shows it was not given blind.
    """

    __tablename__ = "candidate_reveals"
    __table_args__ = (UniqueConstraint("candidate_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[RevealReason] = mapped_column(enum_column(RevealReason, 20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class InterviewScorecard(db.Model):
    """One interviewer's 1-5 ratings of the five competencies. Final once submitted."""

    __tablename__ = "interview_scorecards"
    __table_args__ = (UniqueConstraint("candidate_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE")
    )
    interviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    empathy: Mapped[int]
    ownership: Mapped[int]
    communication: Mapped[int]
    composure: Mapped[int]
    judgement: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[Recommendation] = mapped_column(
        enum_column(Recommendation, 20)
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    interviewer: Mapped[User] = relationship()

    @property
    def ratings(self) -> dict[Competency, int]:
        return {c: getattr(self, c.value) for c in COMPETENCIES}
