"""Recruiting's dashboard panel: candidates per stage, and what waits on a hiring manager."""

from __future__ import annotations

from core.people import User
from core.shell import Panel, PanelProvider
from recruiting import queries
from recruiting.pipeline import BOARD_STAGES
from recruiting.views import READERS


def hiring_panel(user: User) -> Panel | None:
    """Candidates per stage for everyone who reads recruiting; what waits on a manager."""
    if not user.has_role(*READERS):
        return None
    data = queries.hiring_panel(user.viewer())
    return Panel(
        "Hiring",
        "recruiting/_panel_hiring.html",
        {"data": data, "stages": BOARD_STAGES},
        order=40,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [hiring_panel]
