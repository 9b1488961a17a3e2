"""Ticket tables: imported tickets, their agents, import history, SLA targets, opening hours
and holidays, and the month metrics kept for every worker."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, enum_column, utcnow
from core.people import User
from core.tabular import ErrorReport, RowError
from incentives.tickets.metrics import Channel, Priority


class ImportStatus(enum.StrEnum):
    IMPORTED = "imported"
    REJECTED = "rejected"


class AgentMatch(enum.StrEnum):
    """How an agent came to be linked to a rep (or not)."""

    EMAIL = "email"  # the agent's e-mail is a rep's login
    ALIAS = "alias"  # an admin mapped the agent to a rep
    NOT_A_REP = (
        "not_a_rep"  # an admin said this agent is nobody we reward (a bot, a lead)
    )


class TicketImport(db.Model):
    """One import: a file, an API batch or the demo data; rejected ones too."""

    __tablename__ = "ticket_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The source tickets are kept under: a built-in source (zendesk, servicenow...) or a
    #: mapping's name.
    source: Mapped[str] = mapped_column(String(32))
    #: The reader used: a built-in source, mapped; ``api`` for JSON batches.
    file_format: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the bytes received, to recognise the same file later.
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus, 16))
    #: web, cli, api or demo.
    via: Mapped[str] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Who imported, as the audit trail shows it (an e-mail, ``cli``, ``api:<token>``).
    actor_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    rows: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    #: Tickets in the file with nobody assigned.
    unassigned: Mapped[int] = mapped_column(default=0)
    #: Agents in the file not (yet) linked to a rep.
    unknown_agents: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    #: The first 100 row errors as ``{row, column, value, reason}``.
    errors: Mapped[list[Any]] = mapped_column(default=list)
    #: Remarks for the person importing (e.g. "no assignee column").
    notes: Mapped[list[Any]] = mapped_column(default=list)
    duration_ms: Mapped[int] = mapped_column(default=0)

    created_by: Mapped[User | None] = relationship()

    @property
    def is_rejected(self) -> bool:
        return self.status is ImportStatus.REJECTED

    @property
    def report(self) -> ErrorReport:
        """The stored problems, as the import report macro shows them."""
        shown = [RowError(**error) for error in self.errors or []]
        return ErrorReport(shown=shown, more=max(0, self.error_count - len(shown)))


class TicketAgent(db.Model):
    """Someone a helpdesk named as a ticket's assignee, and the rep they are (if known).

    Tickets point here, not at users: mapping an agent to a rep attributes every ticket
    they ever had, including those imported before the mapping.
    """

    __tablename__ = "ticket_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assignee as exported, in lower case with spaces collapsed (a name or e-mail).
    key: Mapped[str] = mapped_column(String(254), unique=True)
    #: The assignee as first exported, for people to read.
    label: Mapped[str] = mapped_column(String(254))
    rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    match: Mapped[AgentMatch | None] = mapped_column(enum_column(AgentMatch, 16))
    mapped_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    mapped_at: Mapped[dt.datetime | None]
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    rep: Mapped[User | None] = relationship(foreign_keys=[rep_id])
    mapped_by: Mapped[User | None] = relationship(foreign_keys=[mapped_by_id])

    @property
    def is_unknown(self) -> bool:
        return self.match is None


class Ticket(db.Model):
    """A helpdesk ticket as last imported; the key is (source, external id).

    Written in bulk by ``incentives.tickets.bulk`` (not one ORM object per row); read into
    DataFrames by ``incentives.tickets.queries``.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        Index("uq_tickets_source_external_id", "source", "external_id", unique=True),
        Index("ix_tickets_solved_at", "solved_at"),
        Index("ix_tickets_agent_id_solved_at", "agent_id", "solved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    #: The helpdesk's own ticket id.
    external_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, 16))
    group_name: Mapped[str | None] = mapped_column(String(120))
    #: The assignee; ``None`` for an unassigned ticket.
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_agents.id", ondelete="RESTRICT")
    )
    created_at: Mapped[dt.datetime]
    first_response_at: Mapped[dt.datetime | None]
    #: The (last) solve; ``None`` while open. The month a ticket counts in.
    solved_at: Mapped[dt.datetime | None]
    #: Durations the helpdesk exported instead of (or besides) timestamps, in minutes,
    #: one column per clock.
    first_response_min_calendar: Mapped[float | None] = mapped_column(Float)
    first_response_min_business: Mapped[float | None] = mapped_column(Float)
    resolution_min_calendar: Mapped[float | None] = mapped_column(Float)
    resolution_min_business: Mapped[float | None] = mapped_column(Float)
    #: Times reopened; ``None`` when the export does not say.
    reopens: Mapped[int | None] = mapped_column(Integer)
    #: ``None``: not rated.
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    tags: Mapped[str | None] = mapped_column(String(500))
    #: Whether it met its SLA as the helpdesk recorded it; ``None``: not given (our
    #: targets decide).
    sla_met: Mapped[bool | None] = mapped_column(Boolean)
    #: Hash of the imported fields; an unchanged re-import leaves the row alone.
    fingerprint: Mapped[int] = mapped_column(BigInteger)
    #: The import that last wrote this ticket.
    import_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_imports.id", ondelete="RESTRICT")
    )

    agent: Mapped[TicketAgent | None] = relationship()


class SlaTargetSetting(db.Model):
    """An admin's SLA target for one channel and priority (defaults apply otherwise)."""

    __tablename__ = "sla_targets"

    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16), primary_key=True)
    priority: Mapped[Priority] = mapped_column(
        enum_column(Priority, 16), primary_key=True
    )
    first_response_min: Mapped[int]
    resolution_h: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class OpeningHours(db.Model):
    """The organisation's opening hours on one weekday (Monday is 0), local time."""

    __tablename__ = "incentive_opening_hours"

    weekday: Mapped[int] = mapped_column(
        SmallInteger, primary_key=True, autoincrement=False
    )
    #: Minutes after local midnight.
    opens_min: Mapped[int]
    closes_min: Mapped[int]


class Holiday(db.Model):
    """A day the organisation is closed (business-hours clock only)."""

    __tablename__ = "incentive_holidays"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")


class MonthMetricsSnapshot(db.Model):
    """The organisation's month metrics as computed for one version of their inputs.

    Any worker or host showing the month reads them here instead of computing them again
    from every ticket. ``inputs_version`` is ``month_cache.figures_version()``: once an import
    or a setting changes it, the row is no longer read, and the next one stored for the
    month replaces it. Kept figures, not a record: rows may be deleted at any time.
    """

    __tablename__ = "incentive_month_metrics"
    __table_args__ = (UniqueConstraint("month", "inputs_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: YYYY-MM in the organisation's time zone.
    month: Mapped[str] = mapped_column(String(7))
    #: SHA-256 of everything the figures were computed from, bar the ticket rows.
    inputs_version: Mapped[str] = mapped_column(String(64))
    #: ``month_metrics.MonthMetrics.to_data()``: plain JSON, every frame with its dtypes.
    data: Mapped[dict[str, Any]]
    #: When the computation began (inputs read from then on).
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: How long the computation took.
    compute_ms: Mapped[int] = mapped_column(default=0)


class TicketSyncCursor(db.Model):
    """Where the next API sync of a helpdesk starts (``tickets sync``).

    Zendesk's ``after_cursor`` or Freshdesk's ``updated_since``; written in the same
    transaction as the import it follows, so it moves on only when that import commits.
    """

    __tablename__ = "ticket_sync_cursors"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: zendesk or freshdesk: one cursor per source.
    source: Mapped[str] = mapped_column(String(32), unique=True)
    cursor: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The import that took the tickets up to this cursor (none: nothing had changed).
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_imports.id", ondelete="SET NULL")
    )
