"""Writes about plans beyond their content: a rep acknowledges the plan version they are
paid on; an admin says from which month, and for which teams, a version is in force."""

from __future__ import annotations

from core import audit
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User
from incentives.scoring import plan_calendar, plan_queries, queries
from incentives.scoring.models import PlanAcknowledgement, PlanVersion
from incentives.tickets import metrics


def acknowledge_plan(
    version: PlanVersion, *, by: User, content_hash: str
) -> PlanAcknowledgement:
    """``by`` says they read ``version`` as it read when their page showed it.

    :param content_hash: the version's hash on the page the rep read; if the plan changed
        since, they are asked to read it again.
    :raises NotAllowed: ``by`` is not paid on this version.
    :raises Conflict: the plan changed since the page was shown, or it was already
        acknowledged.
    """
    paid_on = plan_queries.plan_paid_on(by)
    if paid_on is None or paid_on.id != version.id:
        raise NotAllowed("You can acknowledge only the plan you are paid on.")
    if content_hash != version.content_hash:
        raise Conflict(
            f"{version.label} changed while you were reading it: read it again, then "
            "acknowledge it."
        )
    existing = plan_queries.acknowledgement(by.id, version)
    if existing is not None:
        raise Conflict(f"You already acknowledged {version.label}.")
    record = PlanAcknowledgement(
        plan_version_id=version.id, user_id=by.id, content_hash=version.content_hash
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        by,
        "plan.acknowledge",
        version,
        summary=f"Acknowledged {version.label}",
        data={"plan_version_id": version.id, "content_hash": version.content_hash},
    )
    return record


def _check_currency(
    version: PlanVersion,
    others: list[plan_calendar.DatedVersion],
    *,
    for_teams: bool,
) -> None:
    """A month's payouts are in one currency: a team version takes the organisation's
    versions' currency, and an organisation version that of the team versions.

    :raises InvalidInput: a version scheduled beside it pays in another currency.
    """
    currency = version.rules.currency
    beside = [v for v in others if bool(v.team_ids) != for_teams]
    for dated in beside:
        other = db.session.get(PlanVersion, dated.version_id)
        if other is not None and other.rules.currency != currency:
            whose = "the organisation's plan" if for_teams else "team plans"
            raise InvalidInput(
                {
                    "effective_from": [
                        f"{version.label} pays in {currency}, {whose} in "
                        f"{other.rules.currency} ({other.label}): a month's payouts are "
                        f"in one currency. Give this plan {other.rules.currency}."
                    ]
                }
            )


def schedule_version(
    version: PlanVersion,
    *,
    effective_from: str | None,
    team_ids: list[int],
    by: User | str,
) -> PlanVersion:
    """Say from which month ``version`` scores, and for which teams (none: everyone).

    :raises InvalidInput: not a month, an unknown team, another plan already starts
        that month for the organisation or one of these teams, or a team version in
        another currency than the organisation's.
    """
    month = (effective_from or "").strip() or None
    if month is not None:
        try:
            month = metrics.parse_month(month)
        except metrics.InvalidMonth as e:
            raise InvalidInput(
                {"effective_from": ["Give the month as YYYY-MM, e.g. 2024-03."]}
            ) from e
    names = {id_: name for name, id_ in queries.team_ids_by_name().items()}
    unknown = sorted(set(team_ids) - set(names))
    if unknown:
        raise InvalidInput({"teams": ["Choose teams that exist."]})
    candidate = plan_calendar.DatedVersion(
        version_id=version.id,
        plan_id=version.plan_id,
        label=version.label,
        effective_from=month,
        team_ids=frozenset(team_ids),
    )
    others = [
        v for v in plan_queries.plan_calendar_versions() if v.version_id != version.id
    ]
    problems = plan_calendar.overlap_problems(others, candidate, names)
    if problems:
        raise InvalidInput({"effective_from": problems})
    _check_currency(version, others, for_teams=bool(team_ids))
    before = {"effective_from": version.effective_from, "team_ids": version.team_ids}
    version.effective_from = month
    version.team_ids = sorted(set(team_ids))
    audit.record(
        by,
        "plan.schedule",
        version,
        summary=f"{version.label} in force "
        + (f"from {month}" if month else "from the start")
        + (
            " for " + ", ".join(sorted(names[t] for t in team_ids))
            if team_ids
            else " for the whole organisation"
        ),
        before=before,
        after={"effective_from": month, "team_ids": version.team_ids},
    )
    db.session.flush()
    return version
