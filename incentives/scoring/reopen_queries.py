"""Reads for reopening a month with another plan version: each rep's score and payout as
closed against what the chosen version would give, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from incentives import month_cache
from incentives.scoring import month_plans, queries
from incentives.scoring.models import PlanVersion
from incentives.scoring.plans import CENT


@dataclass(frozen=True)
class RepDifference:
    rep_id: int
    name: str
    team_name: str
    old_score: float | None
    new_score: float | None
    old_payout: Decimal
    new_payout: Decimal

    @property
    def payout_change(self) -> Decimal:
        return self.new_payout - self.old_payout

    @property
    def changed(self) -> bool:
        return self.old_score != self.new_score or self.payout_change != 0


@dataclass(frozen=True)
class VersionPreview:
    month: str
    old_label: str
    new_label: str
    old_currency: str
    new_currency: str
    rows: list[RepDifference]

    @property
    def old_total(self) -> Decimal:
        return sum((r.old_payout for r in self.rows), start=CENT * 0)

    @property
    def new_total(self) -> Decimal:
        return sum((r.new_payout for r in self.rows), start=CENT * 0)

    @property
    def changed_count(self) -> int:
        return sum(1 for r in self.rows if r.changed)


def preview_version_change(month: str, version: PlanVersion) -> VersionPreview:
    """Each rep's score and payout of closed ``month`` as closed, and with ``version``
    from the same figures (those kept at close): the difference is the version's alone
    (team versions the close used keep scoring their teams).
    Reps whose payout changes most come first."""
    old = queries.month_scores(month)
    versions = month_plans.versions_for_month(month, organisation=version)
    new = queries.compute_month(
        month,
        version,
        figures=month_cache.month_figures(month),
        team_versions=versions.teams,
    )
    zero = CENT * 0
    rows = []
    for rep_id in old.scores.keys() | new.scores.keys():
        person = old.people.get(rep_id) or new.people[rep_id]
        before, after = old.scores.get(rep_id), new.scores.get(rep_id)
        rows.append(
            RepDifference(
                rep_id,
                person.name,
                person.team_name or "No team",
                before.score if before else None,
                after.score if after else None,
                before.payout if before else zero,
                after.payout if after else zero,
            )
        )
    rows.sort(key=lambda r: (-abs(r.payout_change), r.team_name, r.name))
    return VersionPreview(
        month, old.plan_label, version.label, old.currency, version.rules.currency, rows
    )
