"""Ticket disputes: their states, and how accepted ones change who a ticket counts for.

PURE: no Flask, no database. A rep disputes a ticket credited to them ("I never worked on
this one"); a supervisor of their team accepts it, either *excluding* the ticket (it then
counts for nobody, like an unassigned ticket, but still for its group and the
organisation) or *reassigning* it to another rep, or declines it with a reason. Scores of
open months are computed with every accepted dispute applied; the metrics pages keep
showing tickets as the helpdesk exported them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import pandas as pd

from core.access import Role, Viewer

#: Longest reason or decision note kept.
MAX_TEXT = 500


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Resolution(enum.StrEnum):
    EXCLUDE = "exclude"
    REASSIGN = "reassign"

    @property
    def label(self) -> str:
        return {"exclude": "Excluded", "reassign": "Reassigned"}[self.value]


def check_reason(text: str | None, *, what: str = "reason") -> str:
    """A trimmed reason, or a message saying what is wrong with it.

    :raises ValueError: empty or too long.
    """
    cleaned = (text or "").strip()
    if len(cleaned) < 3:
        raise ValueError(f"Say in a few words the {what}.")
    if len(cleaned) > MAX_TEXT:
        raise ValueError(f"Keep the {what} to {MAX_TEXT} characters.")
    return cleaned


def may_reassign_to(viewer: Viewer, rep_id: int, rep_team_id: int | None) -> bool:
    """May ``viewer`` give a disputed ticket to this rep?

    Admins and leadership may give it to any rep; a supervisor only to a rep of a team
    they supervise. Nobody gives a ticket to themselves.
    """
    if viewer.user_id == rep_id:
        return False
    if viewer.sees_all_reps:
        return True
    return (
        Role.SUPERVISOR in viewer.roles
        and rep_team_id is not None
        and rep_team_id in viewer.supervised_team_ids
    )


def apply_attribution(
    tickets: pd.DataFrame,
    changes: Mapping[int, tuple[int | None, int | None]],
) -> pd.DataFrame:
    """Tickets with accepted disputes applied.

    :param tickets: ``metrics.TICKET_COLUMNS`` (``ticket_pk``, ``rep_id``, ``team_id``...).
    :param changes: ticket pk -> (rep id, team id) the ticket now counts for; a rep id of
        ``None`` excludes the ticket from every rep (it stays in its group and the
        organisation).
    :return: a new frame; ``tickets`` is left as it was.
    """
    if not changes or tickets.empty:
        return tickets
    frame = tickets.copy()
    hit = frame["ticket_pk"].isin(list(changes))
    if not hit.any():
        return frame
    keys = frame.loc[hit, "ticket_pk"]
    frame.loc[hit, "rep_id"] = pd.array(
        [changes[int(k)][0] for k in keys], dtype="Int64"
    )
    frame.loc[hit, "team_id"] = pd.array(
        [changes[int(k)][1] for k in keys], dtype="Int64"
    )
    return frame
