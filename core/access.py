"""Who may see what: roles and record-level guards, as plain functions over plain data.

Nothing here touches Flask or the database. Views build a :class:`Viewer` from the logged-in
user (``core.auth.current_viewer()``) and ask these questions before showing a record.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Role(enum.StrEnum):
    """The roles a Frontline user can hold; a user may hold several."""

    ADMIN = "admin"
    HIRING_MANAGER = "hiring_manager"
    SUPERVISOR = "supervisor"
    REP = "rep"
    LEADERSHIP = "leadership"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.HIRING_MANAGER: "Hiring manager",
    Role.SUPERVISOR: "Supervisor",
    Role.REP: "Rep",
    Role.LEADERSHIP: "Leadership",
}

#: Roles that see every rep's records.
ORG_WIDE_ROLES = frozenset({Role.ADMIN, Role.LEADERSHIP})


@dataclass(frozen=True)
class Viewer:
    """The person asking: their id, roles, and the teams they supervise."""

    user_id: int
    roles: frozenset[Role]
    supervised_team_ids: frozenset[int] = frozenset()

    def has_any(self, roles: Iterable[Role]) -> bool:
        """True when the viewer holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def sees_all_reps(self) -> bool:
        return self.has_any(ORG_WIDE_ROLES)


def can_see_rep(viewer: Viewer, rep_id: int, rep_team_id: int | None) -> bool:
    """May ``viewer`` see the records (scores, attempts, authority) of this rep?

    A rep sees only their own; a supervisor the reps of the teams they supervise;
    leadership and admin everyone.
    """
    if viewer.sees_all_reps or viewer.user_id == rep_id:
        return True
    return (
        Role.SUPERVISOR in viewer.roles
        and rep_team_id is not None
        and rep_team_id in viewer.supervised_team_ids
    )


def can_supervise_rep(viewer: Viewer, rep_id: int, rep_team_id: int | None) -> bool:
    """May ``viewer`` act as this rep's supervisor (assign, sign off, resolve disputes)?

    Only a supervisor of the rep's team, and never for themselves. Admins act through the
    supervisor role like anyone else, so every decision has an answerable supervisor.
    """
    return (
        Role.SUPERVISOR in viewer.roles
        and viewer.user_id != rep_id
        and rep_team_id is not None
        and rep_team_id in viewer.supervised_team_ids
    )


def visible_team_ids(viewer: Viewer) -> frozenset[int] | None:
    """The teams whose reps ``viewer`` may list; ``None`` means every team."""
    if viewer.sees_all_reps:
        return None
    if Role.SUPERVISOR in viewer.roles:
        return viewer.supervised_team_ids
    return frozenset()
