"""The voice module's tables: departments, their members and contact rota, problem
reports, the tickets and "+1"s on them, and each report's status history; policy impact
reviews (comments, votes, the training they change) and improvement ideas.

The status history is append-only (a move is never changed or deleted; the ORM refuses
it, see :func:`_refuse_changes`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import User
from voice.ideas import IdeaStatus
from voice.policies import LinkKind, Outcome, PolicyStatus, Vote
from voice.reach import RotaEntry
from voice.workflow import Category, Escalation, ProblemStatus, Severity


class MemberKind(enum.StrEnum):
    """A member's part in a department (the owner is ``Department.owner``)."""

    DEPUTY = "deputy"
    MEMBER = "member"


class Department(db.Model):
    """A department the front line needs to reach (Logistics, Billing, Legal...)."""

    __tablename__ = "voice_departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: The Frontline user who answers for the department (escalations go to them).
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Hours within which a new report should be acknowledged.
    ack_target_hours: Mapped[int] = mapped_column(default=24)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    owner: Mapped[User | None] = relationship()
    members: Mapped[list[DepartmentMember]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )
    rota: Mapped[list[RotaRow]] = relationship(
        back_populates="department",
        cascade="all, delete-orphan",
        order_by="RotaRow.position",
    )

    @property
    def member_ids(self) -> frozenset[int]:
        """Everyone who acts for the department: the owner, deputies and members."""
        ids = {m.user_id for m in self.members}
        if self.owner_id is not None:
            ids.add(self.owner_id)
        return frozenset(ids)

    def people(self, kind: MemberKind) -> list[User]:
        return [m.user for m in self.members if m.kind == kind]

    def rota_entries(self) -> list[RotaEntry]:
        return [row.entry() for row in self.rota]


class DepartmentMember(db.Model):
    """A Frontline user who responds for a department (any role may be one)."""

    __tablename__ = "voice_department_members"
    __table_args__ = (UniqueConstraint("department_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("voice_departments.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MemberKind] = mapped_column(enum_column(MemberKind, 16))

    department: Mapped[Department] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class RotaRow(db.Model):
    """One line of a department's contact rota (see :mod:`voice.reach`)."""

    __tablename__ = "voice_rota_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("voice_departments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    #: Weekdays as digits, 0 for Monday: ``01234`` is Monday to Friday.
    weekdays: Mapped[str] = mapped_column(String(7))
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(200))

    department: Mapped[Department] = relationship(back_populates="rota")

    def entry(self) -> RotaEntry:
        return RotaEntry(
            frozenset(int(d) for d in self.weekdays),
            self.start_minute,
            self.end_minute,
            self.name,
            self.contact,
        )


class ProblemReport(db.Model):
    """A problem the front line found, for the department that can fix it."""

    __tablename__ = "voice_problem_reports"
    __table_args__ = (
        Index("ix_voice_problem_reports_status_created", "status", "created_at"),
        # Holds every column the reaction figures read, so they read the index alone.
        Index(
            "ix_voice_problem_reports_department_status",
            "department_id",
            "status",
            "created_at",
            "acknowledged_at",
            "closed_at",
        ),
        Index("ix_voice_problem_reports_reporter", "reporter_id", "created_at"),
        Index("ix_voice_problem_reports_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The customer's story, in the reporter's words.
    story: Mapped[str] = mapped_column(Text)
    category: Mapped[Category] = mapped_column(enum_column(Category, 16))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, 16))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("voice_departments.id", ondelete="RESTRICT")
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[ProblemStatus] = mapped_column(
        enum_column(ProblemStatus, 16), default=ProblemStatus.NEW
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The first move out of "new".
    acknowledged_at: Mapped[dt.datetime | None]
    #: Fixed, won't fix or duplicate.
    closed_at: Mapped[dt.datetime | None]
    #: Why it will not be fixed (the reporter reads it).
    reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_problem_reports.id", ondelete="SET NULL")
    )
    #: How far an unacknowledged report has been escalated.
    escalation: Mapped[int] = mapped_column(default=int(Escalation.NONE))
    escalated_at: Mapped[dt.datetime | None]

    department: Mapped[Department] = relationship()
    reporter: Mapped[User | None] = relationship()
    tickets: Mapped[list[ProblemTicket]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ProblemTicket.id",
    )
    supports: Mapped[list[ProblemSupport]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ProblemSupport.at",
    )
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="report", order_by="StatusChange.id"
    )


class ProblemTicket(db.Model):
    """A helpdesk ticket a problem affected, as the reporter gave its id."""

    __tablename__ = "voice_problem_tickets"
    __table_args__ = (UniqueConstraint("report_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("voice_problem_reports.id", ondelete="CASCADE")
    )
    external_id: Mapped[str] = mapped_column(String(64), index=True)
    #: Whether an imported ticket had this id when it was added.
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[ProblemReport] = relationship(back_populates="tickets")
    added_by: Mapped[User | None] = relationship()


class ProblemSupport(db.Model):
    """A "+1": someone else met the same problem."""

    __tablename__ = "voice_problem_supports"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("voice_problem_reports.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[ProblemReport] = relationship(back_populates="supports")
    user: Mapped[User] = relationship()


class StatusChange(db.Model):
    """One move of a report (append-only)."""

    __tablename__ = "voice_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("voice_problem_reports.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ProblemStatus | None] = mapped_column(
        enum_column(ProblemStatus, 16)
    )
    to_status: Mapped[ProblemStatus] = mapped_column(enum_column(ProblemStatus, 16))
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[ProblemReport] = relationship(back_populates="history")
    by: Mapped[User | None] = relationship()


class PolicyReview(db.Model):
    """A proposed policy or procedure change, open for the front line's comments."""

    __tablename__ = "voice_policy_reviews"
    __table_args__ = (Index("ix_voice_policy_reviews_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The policy or procedure as it would be.
    change: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("voice_departments.id", ondelete="RESTRICT")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The last day comments and votes are taken (the organisation's calendar).
    closes_on: Mapped[dt.date]
    status: Mapped[PolicyStatus] = mapped_column(
        enum_column(PolicyStatus, 16), default=PolicyStatus.OPEN
    )
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, 16))
    #: What was heard and what it changed.
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    comments: Mapped[list[PolicyComment]] = relationship(
        back_populates="policy",
        cascade="all, delete-orphan",
        order_by="PolicyComment.id",
    )
    votes: Mapped[list[PolicyVote]] = relationship(
        back_populates="policy", cascade="all, delete-orphan"
    )
    links: Mapped[list[PolicyLink]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="PolicyLink.id"
    )

    def linked(self, kind: LinkKind) -> list[str]:
        return [link.key for link in self.links if link.kind == kind]


class PolicyComment(db.Model):
    """What a change would do to customers, in a rep's words."""

    __tablename__ = "voice_policy_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("voice_policy_reviews.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    policy: Mapped[PolicyReview] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class PolicyVote(db.Model):
    """One person's vote on a change (changeable while comments are open)."""

    __tablename__ = "voice_policy_votes"
    __table_args__ = (UniqueConstraint("policy_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("voice_policy_reviews.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    vote: Mapped[Vote] = mapped_column(enum_column(Vote, 16))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    policy: Mapped[PolicyReview] = relationship(back_populates="votes")


class PolicyLink(db.Model):
    """A training scenario (by key) or an authority (by code) an adopted change alters."""

    __tablename__ = "voice_policy_links"
    __table_args__ = (UniqueConstraint("policy_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("voice_policy_reviews.id", ondelete="CASCADE")
    )
    kind: Mapped[LinkKind] = mapped_column(enum_column(LinkKind, 16))
    key: Mapped[str] = mapped_column(String(80))

    policy: Mapped[PolicyReview] = relationship(back_populates="links")


class Idea(db.Model):
    """An improvement idea from the front line."""

    __tablename__ = "voice_ideas"
    __table_args__ = (
        Index("ix_voice_ideas_status_created", "status", "created_at"),
        Index("ix_voice_ideas_author_decided", "author_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: What would change and why it would help.
    body: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_departments.id", ondelete="SET NULL")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[IdeaStatus] = mapped_column(
        enum_column(IdeaStatus, 16), default=IdeaStatus.UNDER_REVIEW
    )
    #: Why it was declined (the author reads it), or a note with another decision.
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class VoiceRecordIsAppendOnly(RuntimeError):
    """Something tried to change or delete a report's status history."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, StatusChange):
            raise VoiceRecordIsAppendOnly(f"status change {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, StatusChange) and session.is_modified(
            obj, include_collections=False
        ):
            raise VoiceRecordIsAppendOnly(f"status change {obj.id} cannot be changed")
