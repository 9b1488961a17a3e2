"""Plans in force by date: which plan version scores a month for a team.

PURE: plain data in, plain data out. A plan version is in force from its effective month
(``None``: from the start) until a later version of the same scope takes over. Its scope is
the whole organisation (no teams) or named teams; for a rep's team a team version in force
beats the organisation's. Two plans may not start for the same scope in the same month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Sorts before every YYYY-MM: a version with no effective month applies from the start.
FROM_THE_START = "0000-00"


@dataclass(frozen=True)
class DatedVersion:
    """A plan version as the calendar sees it."""

    version_id: int
    plan_id: int
    label: str
    #: YYYY-MM, or ``None`` for "from the start".
    effective_from: str | None
    #: The teams it applies to; empty for the whole organisation.
    team_ids: frozenset[int] = frozenset()

    @property
    def starts(self) -> str:
        return self.effective_from or FROM_THE_START

    @property
    def organisation_wide(self) -> bool:
        return not self.team_ids


def _latest(versions: Iterable[DatedVersion]) -> DatedVersion | None:
    # The latest start wins; of one start, the newest version (highest id).
    return max(versions, key=lambda v: (v.starts, v.version_id), default=None)


def in_force(
    versions: Sequence[DatedVersion], month: str, team_id: int | None
) -> DatedVersion | None:
    """The version that scores ``month`` for a rep of ``team_id`` (``None``: no team).

    The team's own version in force that month, else the organisation's, else ``None``.
    """
    started = [v for v in versions if v.starts <= month]
    if team_id is not None:
        team = _latest(v for v in started if team_id in v.team_ids)
        if team is not None:
            return team
    return _latest(v for v in started if v.organisation_wide)


def overlap_problems(
    versions: Sequence[DatedVersion],
    candidate: DatedVersion,
    team_names: dict[int, str] | None = None,
) -> list[str]:
    """Why ``candidate`` clashes with another plan's version: both start the same month
    for the organisation, or for a team they share. Versions of the candidate's own plan
    never clash (a later version of one plan takes over from the earlier)."""
    names = team_names or {}
    problems = []
    for other in versions:
        if other.plan_id == candidate.plan_id or other.starts != candidate.starts:
            continue
        when = (
            "from the start"
            if candidate.effective_from is None
            else f"from {candidate.effective_from}"
        )
        if candidate.organisation_wide and other.organisation_wide:
            problems.append(
                f"{other.label} already applies to the whole organisation {when}. "
                "Choose another month, or name the teams this plan is for."
            )
            continue
        shared = candidate.team_ids & other.team_ids
        if shared:
            teams = ", ".join(sorted(names.get(t, f"team {t}") for t in shared))
            problems.append(
                f"{other.label} already applies to {teams} {when}. Choose another "
                "month, or leave those teams out."
            )
    return problems
