"""A token that changes whenever what month metrics read besides tickets changes: who is a
rep, their name, e-mail, team and whether they are active, team names, which agent is whom,
the SLA targets, the opening hours and the holidays.

Month metrics show reps' names, e-mails and teams, attribute tickets through the agent
mapping and judge times against the targets and hours, so the figures kept for a month are
keyed by these too (:func:`incentives.tickets.month_metrics.inputs_version`). Reading every
user, agent, target and opening hour on every page to fingerprint them cost about 20 ms at a
thousand reps, and four queries. Instead, every flush that changes one of them stores a new random
token in the ``settings`` table, in the same transaction: a change rolled back leaves the
token as it was, and a random token (not a counter) never comes back, not even after a
restore.

The token follows the ORM: a change made with a bulk SQL statement on these tables would
not be seen. Frontline makes none.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ScalarSelect, event, inspect, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.people import Team, User, UserRole
from core.settings import Setting
from incentives.tickets.models import (
    Holiday,
    OpeningHours,
    SlaTargetSetting,
    TicketAgent,
)

#: The ``settings`` row that holds the token.
KEY = "incentives.inputs_token"

#: Rows of which any addition, removal or change renews the token.
WATCHED_ROWS = (UserRole, TicketAgent, SlaTargetSetting, OpeningHours, Holiday)

#: What of a user the metrics read (``team`` and ``role_rows`` before they are flushed
#: into ``team_id`` and role rows). Logins, passwords and sessions are not among them.
USER_FIELDS = ("name", "email", "team_id", "team", "is_active", "role_rows")


def current(session: Session) -> str | None:
    """The token (``None`` until the people first change)."""
    row = session.get(Setting, KEY)
    return None if row is None else str(row.value.get("token"))


def stored() -> ScalarSelect[Any]:
    """The stored token as a scalar subquery, to read it in the same query as other facts."""
    return select(Setting.value).where(Setting.key == KEY).scalar_subquery()


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


def changes_inputs(session: Session) -> bool:
    """Whether this flush adds, removes or changes something the metrics read."""
    watched = (User, Team, *WATCHED_ROWS)
    if any(isinstance(obj, watched) for obj in (*session.new, *session.deleted)):
        return True
    for obj in session.dirty:
        if isinstance(obj, User) and _changed(obj, USER_FIELDS):
            return True
        if isinstance(obj, Team) and _changed(obj, ("name",)):
            return True
        if isinstance(obj, WATCHED_ROWS) and session.is_modified(obj):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _new_token(session: Session, _context: Any, _instances: Any) -> None:
    if not changes_inputs(session):
        return
    token = {"token": uuid.uuid4().hex}
    with session.no_autoflush:
        row = session.get(Setting, KEY)
    if row is None:
        session.add(Setting(key=KEY, value=token))
    else:
        row.value = token
        row.updated_at = utcnow()
