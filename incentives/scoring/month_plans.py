"""Reads: which plan version scores a month (by date, or kept through a reopening).

Apart from :mod:`incentives.scoring.queries` so that both it and the close read one
answer; the decision itself is :func:`incentives.scoring.plan_calendar.in_force`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.db import db
from incentives.scoring import plan_calendar
from incentives.scoring.models import IncentivePlan, MonthClose, MonthScore, PlanVersion
from incentives.tickets import metrics


def _active_current() -> PlanVersion | None:
    plan = db.session.scalar(
        select(IncentivePlan).where(IncentivePlan.is_active.is_(True)).limit(1)
    )
    return plan.current if plan is not None and plan.versions else None


def _dated(version: PlanVersion) -> plan_calendar.DatedVersion:
    return plan_calendar.DatedVersion(
        version_id=version.id,
        plan_id=version.plan_id,
        label=version.label,
        effective_from=version.effective_from,
        team_ids=frozenset(int(t) for t in version.team_ids or ()),
    )


def calendar_versions() -> list[plan_calendar.DatedVersion]:
    """Every scheduled plan version, and the plan in force's current version when it is
    not scheduled (it then applies to the organisation from the start, as before dates)."""
    found = [
        _dated(v)
        for v in db.session.scalars(
            select(PlanVersion).where(PlanVersion.effective_from.is_not(None))
        )
    ]
    current = _active_current()
    if current is not None and current.effective_from is None:
        found.append(_dated(current))
    return found


@dataclass(frozen=True)
class MonthVersions:
    """The versions that score a month: the organisation's, and each team's own where
    a team plan beats it (a team not named: the organisation's)."""

    organisation: PlanVersion | None
    teams: dict[int, PlanVersion] = field(default_factory=dict)

    def for_team(self, team_id: int | None) -> PlanVersion | None:
        if team_id is not None and team_id in self.teams:
            return self.teams[team_id]
        return self.organisation

    @property
    def key(self) -> tuple[Any, ...]:
        """Every version used, as (team, id, content hash): scores kept under it."""
        org = self.organisation
        return (
            (None, org.id, org.content_hash) if org else None,
            *sorted((t, v.id, v.content_hash) for t, v in self.teams.items()),
        )


def _reopened(month: str) -> MonthClose | None:
    return db.session.scalar(
        select(MonthClose)
        .where(MonthClose.month == month, MonthClose.reopened_at.is_not(None))
        .order_by(MonthClose.id.desc())
        .limit(1)
    )


def versions_for_month(
    month: str, *, organisation: PlanVersion | None = None
) -> MonthVersions:
    """Every version that scores ``month``: a closed or reopened month keeps the team
    versions its last close used (and its organisation version, or the one chosen on
    reopening); any other month the versions in force for it by date.

    :param organisation: score the organisation with this version instead (a version
        picked on reopening, before it is confirmed); team versions stay.
    """
    reopened = db.session.scalar(  # the month's last close, reopened or in force
        select(MonthClose)
        .where(MonthClose.month == month)
        .order_by(MonthClose.id.desc())
        .limit(1)
    )
    if reopened is not None:
        org = organisation or reopened.reopen_plan_version or reopened.plan_version
        rows = db.session.execute(
            select(MonthScore.team_id, MonthScore.plan_version_id)
            .where(
                MonthScore.close_id == reopened.id,
                MonthScore.team_id.is_not(None),
                MonthScore.plan_version_id.is_not(None),
                MonthScore.plan_version_id != reopened.plan_version_id,
            )
            .distinct()
        ).all()
        teams = {
            int(team_id): version
            for team_id, version_id in rows
            if (version := db.session.get(PlanVersion, version_id)) is not None
        }
        return MonthVersions(org, teams)
    calendar = calendar_versions()
    chosen = plan_calendar.in_force(calendar, month, None)
    org = organisation or (
        db.session.get(PlanVersion, chosen.version_id) if chosen else None
    )
    teams = {}
    for team_id in sorted({t for v in calendar for t in v.team_ids}):
        own = plan_calendar.in_force(calendar, month, team_id)
        if own is not None and not own.organisation_wide:
            version = db.session.get(PlanVersion, own.version_id)
            if version is not None:
                teams[team_id] = version
    return MonthVersions(org, teams)


def version_for_month(month: str) -> PlanVersion | None:
    """The plan version that scores ``month``: a reopened month keeps the version its
    last close used, or the one the closer chose on reopening it; any other the
    organisation's version in force for it by date."""
    reopened = _reopened(month)
    if reopened is not None:
        return reopened.reopen_plan_version or reopened.plan_version
    chosen = plan_calendar.in_force(calendar_versions(), month, None)
    return db.session.get(PlanVersion, chosen.version_id) if chosen else None


# --- another version for a reopened month ---------------------------------------------------


def reopen_choices(month: str, kept: PlanVersion) -> list[PlanVersion]:
    """The versions a closer may pick, on reopening ``month``, instead of ``kept``: every
    organisation-wide version in force from ``month`` or before, newest first."""
    found = db.session.scalars(select(PlanVersion).order_by(PlanVersion.id.desc()))
    return [v for v in found if v.id != kept.id and _reopen_problem(month, v) is None]


def _reopen_problem(month: str, version: PlanVersion) -> str | None:
    if version.team_ids:
        return (
            f"{version.label} applies only to named teams: choose a version for the "
            "whole organisation."
        )
    if version.effective_from is not None and version.effective_from > month:
        return (
            f"{version.label} is in force only from "
            f"{metrics.month_label(version.effective_from)}: it cannot score "
            f"{metrics.month_label(month)}."
        )
    return None


def version_for_reopening(month: str, choice: str | int | None) -> PlanVersion | None:
    """The version a closer picked (by id) to score a reopened ``month``; ``None`` (no
    pick): the month keeps its own.

    :raises ValueError: no such version, or one that cannot score the month (the reason
        in words).
    """
    text = str(choice if choice is not None else "").strip()
    if not text:
        return None
    usable = text.isdigit() and len(text) <= 9  # a database integer
    version = db.session.get(PlanVersion, int(text)) if usable else None
    if version is None:
        raise ValueError(
            f"There is no plan version {text[:20]}: choose one from the list."
        )
    problem = _reopen_problem(month, version)
    if problem:
        raise ValueError(problem)
    return version
