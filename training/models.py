"""Training's tables: scenarios, curricula, assignments, attempts, authorities, sign-offs, grants.

Attempts, approvals, grants and revocations are append-only: a finished attempt, an
approval, a grant or a revocation is never changed or deleted (the ORM refuses it, see
:func:`_refuse_changes`). A grant ends by a newer grant, by expiry, or by a revocation row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import Team, User
from training.authority import GrantFact, SignoffStatus
from training.scenarios import AttemptFact, AttemptStatus, Scenario, scenario_from_data

#: Parsed scenarios by content hash; versions never change, so this never goes stale.
_PARSED: dict[str, Scenario] = {}


class ScenarioVersion(db.Model):
    """One version of a scenario, as loaded from YAML. A changed file is a new version."""

    __tablename__ = "scenarios"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "content_hash", name="uq_scenarios_key_content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The scenario's slug, stable across versions (``refund-within-limit``).
    key: Mapped[str] = mapped_column(String(80), index=True)
    #: 1, 2, 3... per key.
    version: Mapped[int]
    #: SHA-256 of the canonical content; the same content is never stored twice.
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    pass_mark: Mapped[int]
    #: Authority codes this scenario is a prerequisite for (as the file says).
    certifies: Mapped[list[Any]] = mapped_column(default=list)
    #: Metric tags the scenario coaches (``csat``, ``timely_resolution``...).
    coaches: Mapped[list[Any]] = mapped_column(default=list)
    #: The whole canonical scenario (nodes, choices, settings).
    definition: Mapped[dict[str, Any]]
    #: The newest version of its key: new attempts use it.
    is_current: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Who loaded it (an e-mail, ``cli`` or ``demo``).
    loaded_by: Mapped[str] = mapped_column(String(254), default="")

    @property
    def scenario(self) -> Scenario:
        """The rules' view of this version (built once per process per content)."""
        parsed = _PARSED.get(self.content_hash)
        if parsed is None:
            parsed = _PARSED[self.content_hash] = scenario_from_data(
                self.definition, self.key
            )
        return parsed

    def __repr__(self) -> str:
        return f"<ScenarioVersion {self.key} v{self.version}>"


class Curriculum(db.Model):
    """Scenarios in a set order, assigned together (e.g. onboarding)."""

    __tablename__ = "curricula"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    #: Assigned automatically to every new rep; at most one curriculum has it.
    is_onboarding: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[CurriculumItem]] = relationship(
        order_by="CurriculumItem.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def scenario_keys(self) -> list[str]:
        return [item.scenario_key for item in self.items]


class CurriculumItem(db.Model):
    __tablename__ = "curriculum_items"

    curriculum_id: Mapped[int] = mapped_column(
        ForeignKey("curricula.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    #: A scenario key: the rep plays its current version.
    scenario_key: Mapped[str] = mapped_column(String(80))


class Assignment(db.Model):
    """A scenario or a curriculum a rep must pass by a date."""

    __tablename__ = "training_assignments"
    __table_args__ = (
        CheckConstraint(
            "(curriculum_id IS NULL) <> (scenario_key IS NULL)", name="one_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    curriculum_id: Mapped[int | None] = mapped_column(ForeignKey("curricula.id"))
    scenario_key: Mapped[str | None] = mapped_column(String(80))
    #: The team it was assigned to, when it was assigned to a whole team.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL")
    )
    due_on: Mapped[dt.date]
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: ``None`` when assigned automatically (onboarding).
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    #: Set when a supervisor called it off: it stays for the record, no longer due.
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(
        String(300), default="", server_default=""
    )

    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    curriculum: Mapped[Curriculum | None] = relationship(lazy="selectin")
    team: Mapped[Team | None] = relationship()

    @property
    def scenario_keys(self) -> list[str]:
        if self.curriculum is not None:
            return self.curriculum.scenario_keys
        return [self.scenario_key] if self.scenario_key else []


class Attempt(db.Model):
    """One play-through of one scenario version by one rep, kept for good."""

    __tablename__ = "scenario_attempts"
    __table_args__ = (
        Index("ix_scenario_attempts_rep_scenario", "rep_id", "scenario_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The exact version played; a newer version of the scenario does not change it.
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus), default=AttemptStatus.IN_PROGRESS
    )
    #: The node the rep is at (the ending, once finished).
    current_node: Mapped[str] = mapped_column(String(80))
    #: Each decision: ``{"node", "choice", "text", "points", "feedback", "next", "at"}``.
    path: Mapped[list[Any]] = mapped_column(default=list)
    points: Mapped[int] = mapped_column(default=0)
    #: Score as a share of the best possible, once finished.
    percent: Mapped[int | None]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    rep: Mapped[User] = relationship()
    scenario_version: Mapped[ScenarioVersion] = relationship(lazy="joined")

    @property
    def is_finished(self) -> bool:
        return self.status is not AttemptStatus.IN_PROGRESS

    @property
    def passed(self) -> bool:
        return self.status is AttemptStatus.PASSED

    def fact(self) -> AttemptFact:
        return AttemptFact(self.started_at, self.finished_at, self.status)


class Authority(db.Model):
    """A catalogue entry: something a rep may be signed off to do on their own."""

    __tablename__ = "authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used by the API (``refund``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    #: ``USD`` (or another currency) for money; ``level`` for graded permissions.
    unit: Mapped[str] = mapped_column(String(16))
    #: The highest limit any supervisor may grant.
    max_limit: Mapped[Decimal]
    #: Grants above this limit need two different supervisors; ``None`` for never.
    two_person_limit: Mapped[Decimal | None]
    #: How long a grant (and a prerequisite pass) lasts.
    validity_days: Mapped[int] = mapped_column(default=365)
    #: Scenario keys a rep must have passed, within the validity, to ask for it.
    prerequisites: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SignoffRequest(db.Model):
    """A request for a rep to hold an authority at a limit, and its decision."""

    __tablename__ = "signoff_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    #: The limit asked for.
    limit: Mapped[Decimal]
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[SignoffStatus] = mapped_column(
        enum_column(SignoffStatus), default=SignoffStatus.PENDING, index=True
    )
    #: The rep, or a supervisor asking on their behalf.
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Bumped by every approval under a condition on its old value, so two supervisors
    #: acting at the same moment cannot both count (see operations.approve_signoff).
    approval_count: Mapped[int] = mapped_column(default=0)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str] = mapped_column(String(500), default="")

    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    authority: Mapped[Authority] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    approvals: Mapped[list[SignoffApproval]] = relationship(
        order_by="SignoffApproval.id", lazy="selectin", back_populates="request"
    )
    grant: Mapped[Grant | None] = relationship(back_populates="request")


class SignoffApproval(db.Model):
    """One supervisor's approval of a request, at a limit."""

    __tablename__ = "signoff_approvals"
    __table_args__ = (UniqueConstraint("request_id", "supervisor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signoff_requests.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    limit: Mapped[Decimal]
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    request: Mapped[SignoffRequest] = relationship(back_populates="approvals")
    supervisor: Mapped[User] = relationship()


class Grant(db.Model):
    """A rep's authority at a limit until an expiry. Never edited."""

    __tablename__ = "authority_grants"
    __table_args__ = (
        Index("ix_authority_grants_rep_authority", "rep_id", "authority_id"),
        Index("ix_authority_grants_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    limit: Mapped[Decimal]
    #: The unit when granted, kept in case the catalogue changes.
    unit: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    #: The request it answers; unique, so one request can never make two grants.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("signoff_requests.id"), unique=True
    )
    #: The supervisor whose approval completed the sign-off.
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    authority: Mapped[Authority] = relationship(lazy="joined")
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])
    request: Mapped[SignoffRequest | None] = relationship(back_populates="grant")
    revocation: Mapped[GrantRevocation | None] = relationship(
        lazy="selectin", back_populates="grant"
    )

    def fact(self) -> GrantFact:
        revocation = self.revocation
        return GrantFact(
            code=self.authority.code,
            limit=self.limit,
            unit=self.unit,
            granted_at=self.granted_at,
            expires_at=self.expires_at,
            revoked_at=revocation.revoked_at if revocation else None,
            revoked_reason=revocation.reason if revocation else "",
            grant_id=self.id,
        )


class GrantRevocation(db.Model):
    """Who revoked a grant, when and why; it takes effect at once."""

    __tablename__ = "grant_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("authority_grants.id"), unique=True
    )
    revoked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    grant: Mapped[Grant] = relationship(back_populates="revocation")
    revoked_by: Mapped[User] = relationship()


class TrainingNotice(db.Model):
    """One thing a person was told about their training (:mod:`training.notices`), once
    per occasion (``key``); read on the Notices page, and e-mailed in the daily digest
    unless they turned that kind off."""

    __tablename__ = "training_notices"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(700))
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
    #: When the daily digest e-mailed it (or found that it need not).
    mailed_at: Mapped[dt.datetime | None]


class NoticeSettings(db.Model):
    """Which kinds of training notice a person wants by e-mail (all by default)."""

    __tablename__ = "training_notice_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: Kinds not to e-mail (:class:`training.notices.NoticeKind` values).
    muted: Mapped[list[Any]] = mapped_column(default=list)


class TrainingRecordIsAppendOnly(RuntimeError):
    """Something tried to change or delete a record that is only ever appended."""


_APPEND_ONLY = (SignoffApproval, Grant, GrantRevocation)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, (*_APPEND_ONLY, Attempt)):
            raise TrainingRecordIsAppendOnly(f"{obj!r} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, _APPEND_ONLY) and session.is_modified(
            obj, include_collections=False
        ):
            raise TrainingRecordIsAppendOnly(f"{obj!r} cannot be changed")
        if isinstance(obj, Attempt) and session.is_modified(
            obj, include_collections=False
        ):
            finished = inspect(obj).attrs.finished_at.history
            if finished.unchanged and finished.unchanged[0] is not None:
                raise TrainingRecordIsAppendOnly(
                    f"attempt {obj.id} is finished and cannot be changed"
                )
