"""The audit trail: an append-only record of who did what, when, to which record.

Operations call :func:`record` in the same transaction as the change they describe, so an
event exists exactly when its change was committed. Events are never updated or deleted;
the ORM refuses it (see :func:`_refuse_changes`).

Audit data carries ids and field values of the records changed. Candidate personal data
(name, e-mail, phone, notes) is never written here, so erasing a candidate leaves nothing
behind in the trail.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import db, utcnow
from core.people import User

logger = logging.getLogger(__name__)


class AuditEvent(db.Model):
    """One thing someone did."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The user who acted; ``None`` for the command line, API tokens and the system.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: How the actor is shown, kept even if the user is later renamed.
    actor_label: Mapped[str] = mapped_column(String(254))
    #: Dotted verb, e.g. ``user.create``, ``user.roles``, ``grant.revoke``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    #: A one-line description for people.
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: ``{"before": {...}, "after": {...}}`` for changes, or other details.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for each field the event changed."""
        before = (self.data or {}).get("before") or {}
        after = (self.data or {}).get("after") or {}
        return [
            (key, before.get(key), after.get(key))
            for key in dict.fromkeys([*before, *after])
        ]


Actor = User | str | None


def record(
    actor: Actor,
    action: str,
    subject: Any = None,
    *,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (flushed with the change it describes).

    :param actor: the user who acted, or a label such as ``"cli"`` or ``"api:token-name"``.
    :param action: a dotted verb, ``module.noun.verb`` or ``noun.verb``.
    :param subject: the model instance acted on (its class name and id are stored).
    :param before: field values before a change; only keys that changed are kept.
    :param after: field values after the change.
    :param data: any other details.
    :return: the new, unflushed event.
    """
    payload: dict[str, Any] = dict(data or {})
    if before is not None or after is not None:
        old, new = changed_values(before or {}, after or {})
        payload["before"], payload["after"] = old, new
    subject_type = subject_id = None
    if subject is not None:
        subject_type = type(subject).__name__
        subject_id = (
            str(subject.id) if getattr(subject, "id", None) is not None else None
        )
    if isinstance(actor, User):
        actor_id, actor_label = actor.id, actor.email
    else:
        actor_id, actor_label = None, actor or "system"
    event_row = AuditEvent(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary[:500],
        data=_jsonable(payload),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event_row)
    logger.debug(
        "audit %s by %s on %s %s", action, actor_label, subject_type, subject_id
    )
    return event_row


def changed_values(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose values differ between ``before`` and ``after``."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class AuditTrailIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (
            obj in session.deleted
            or session.is_modified(obj, include_collections=False)
        ):
            raise AuditTrailIsAppendOnly(
                f"audit event {obj.id} cannot be changed or deleted"
            )
