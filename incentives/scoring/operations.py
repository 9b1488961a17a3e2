"""Writes for scoring: plans and their versions, month close and reopening, disputes, and
the coaching loop's one-click assignment.

Operations load, call the rules, write, audit and flush; they never commit. The admin
form and the YAML import both save through :func:`save_plan`; the close page and
``scores close`` both go through :func:`close_month`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from blinker import Namespace
from sqlalchemy import update

from core import audit
from core.access import Role, Viewer, can_supervise_rep
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User
from incentives import month_cache
from incentives.scoring import (
    close_review_operations,
    month_plans,
    plans,
    queries,
    reopen_queries,
)
from incentives.scoring.disputes import (
    DisputeStatus,
    Resolution,
    check_reason,
    may_reassign_to,
)
from incentives.scoring.models import (
    IncentivePlan,
    MonthClose,
    MonthScore,
    PlanVersion,
    TicketDispute,
)
from incentives.scoring.plans import Plan, PlanInvalid
from incentives.scoring.score_data import score_to_data
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket, TicketAgent
from training import assignment_operations
from training import queries as training_queries

logger = logging.getLogger(__name__)

_signals = Namespace()
#: Sent inside the transaction that closes a month, with the month as sender and
#: ``close`` (the new ``MonthClose``): what a receiver does in that transaction (queue a
#: job that starts at commit) is undone with it. Scorecards queue the reps' e-mails here
#: (scorecards come after scoring: scoring cannot call them).
month_closed = _signals.signal("incentives.month-closed")

Actor = User | str


def _actor(by: Actor) -> tuple[int | None, str]:
    return (by.id, by.email) if isinstance(by, User) else (None, str(by))


# --- plans --------------------------------------------------------------------------------


def _invalid(error: PlanInvalid) -> InvalidInput:
    return InvalidInput(error.errors)


def check_plan(data: Any) -> Plan:
    """Validate plan data and tie team overrides to teams.

    :raises InvalidInput: every problem, keyed by field (``metrics.csat.target``...).
    """
    try:
        plan = plans.parse_plan(data)
    except PlanInvalid as e:
        raise _invalid(e) from e
    teams = queries.team_ids_by_name()
    unknown = [b.team for b in plan.team_bonuses if b.team not in teams]
    if unknown:
        raise InvalidInput(
            {
                f"team_target_bonus.{name}": [
                    "No team has this name (names must match exactly)."
                ]
                for name in unknown
            }
        )
    return plans.with_team_ids(plan, teams)


def _definition(plan: Plan) -> dict[str, Any]:
    data = plans.plan_to_data(plan)
    data["team_ids"] = {
        b.team: b.team_id for b in plan.team_bonuses if b.team_id is not None
    }
    return data


def save_plan(
    record: IncentivePlan | None, plan: Plan, *, by: Actor
) -> tuple[PlanVersion, str]:
    """Store ``plan``: a new plan, or a change to ``record`` (matched by name when None).

    A version a closed month used is frozen: a change then makes the next version, in
    force from the same month for the same teams as the one it replaces. An unfrozen
    current version is changed in place. An unchanged plan changes nothing. The first
    plan saved is put in force.

    :return: the version now current, and what happened: ``created``, ``new_version``,
        ``updated`` or ``unchanged``.
    :raises InvalidInput: another plan already has this name.
    """
    digest = plans.content_hash(plan)
    user_id, label = _actor(by)
    if record is None:
        record = queries.get_plan_by_name(plan.name)
    else:
        other = queries.get_plan_by_name(plan.name)
        if other is not None and other.id != record.id:
            raise InvalidInput({"name": ["Another plan already has this name."]})
    if record is None:
        record = IncentivePlan(
            name=plan.name, is_active=queries.get_active_plan() is None
        )
        db.session.add(record)
        db.session.flush()
        version = PlanVersion(
            plan_id=record.id,
            version=1,
            definition=_definition(plan),
            content_hash=digest,
            created_by_id=user_id,
            actor_label=label,
        )
        db.session.add(version)
        db.session.flush()
        audit.record(
            by,
            "plan.create",
            version,
            summary=f"Plan '{plan.name}' created"
            + (" and put in force" if record.is_active else ""),
            data={"plan": plans.plan_to_data(plan)},
        )
        return version, "created"

    current = record.current
    if current.content_hash == digest and record.name == plan.name:
        return current, "unchanged"
    before = dict(current.definition)
    before.pop("team_ids", None)
    record.name = plan.name
    if current.id in queries.locked_version_ids():
        version = PlanVersion(
            plan_id=record.id,
            version=current.version + 1,
            definition=_definition(plan),
            content_hash=digest,
            created_by_id=user_id,
            actor_label=label,
            # It takes over from the version it replaces: same month, same teams.
            effective_from=current.effective_from,
            team_ids=list(current.team_ids or []),
        )
        db.session.add(version)
        db.session.flush()
        outcome = "new_version"
        summary = (
            f"Plan '{plan.name}' v{version.version} made (v{current.version} is frozen: "
            f"closed months used it)"
        )
        if current.effective_from:
            summary += (
                f", in force from {current.effective_from} like v{current.version}"
            )
    else:
        version = current
        version.definition = _definition(plan)
        version.content_hash = digest
        version.updated_at = utcnow()
        outcome = "updated"
        summary = f"Plan '{plan.name}' v{version.version} changed"
    db.session.expire(record, ["versions"])
    audit.record(
        by,
        "plan.update",
        version,
        summary=summary,
        before=_flat(before),
        after=_flat(plans.plan_to_data(plan)),
    )
    db.session.flush()
    return version, outcome


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested plan data as ``metrics.csat.target: 92`` pairs, for the audit trail."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def import_plan_yaml(text: str, *, by: Actor) -> tuple[PlanVersion, str]:
    """Load a plan from YAML (the ``plans load`` command and the import form).

    :raises InvalidInput: not YAML, or a plan with problems (every one listed).
    """
    try:
        plan = plans.parse_plan_yaml(text)
    except PlanInvalid as e:
        raise _invalid(e) from e
    return save_plan(None, check_plan(plans.plan_to_data(plan)), by=by)


def activate_plan(record: IncentivePlan, *, by: Actor) -> None:
    """Put ``record`` in force for open months (the one in force before steps down)."""
    if record.is_active:
        return
    previous = queries.get_active_plan()
    db.session.execute(
        update(IncentivePlan)
        .where(IncentivePlan.is_active.is_(True))
        .values(is_active=False)
    )
    record.is_active = True
    audit.record(
        by,
        "plan.activate",
        record,
        summary=f"Plan '{record.name}' put in force for open months",
        before={"in_force": previous.name if previous else None},
        after={"in_force": record.name},
    )
    db.session.flush()


# --- month close --------------------------------------------------------------------------


def close_month(
    month: str,
    *,
    by: Actor,
    note: str = "",
    today_month: str | None = None,
    allow_open_disputes: bool = False,
) -> MonthClose:
    """Freeze ``month``: the plan version, every rep's score and the tickets' fingerprint.

    :param today_month: the current month (YYYY-MM); a month can close once it is over.
    :param allow_open_disputes: close even though disputes are still open (they then no
        longer change the month).
    :raises Conflict: already closed.
    :raises InvalidInput: the month is not over, no plan is in force, or disputes are open
        and not allowed.
    """
    month = metrics.parse_month(month)
    today_month = today_month or ticket_queries.current_month()
    if queries.get_close(month) is not None:
        raise Conflict(f"{metrics.month_label(month)} is already closed.")
    if month >= today_month:
        raise InvalidInput(
            {"": [f"{metrics.month_label(month)} is not over yet; close it after."]}
        )
    versions = month_plans.versions_for_month(month)
    version = versions.organisation
    if version is None:
        raise InvalidInput(
            {
                "": [
                    f"No plan is in force for {metrics.month_label(month)}: add one first."
                ]
            }
        )
    open_disputes = queries.count_open_disputes(month)
    if open_disputes and not allow_open_disputes:
        raise InvalidInput(
            {
                "confirm_disputes": [
                    (
                        "1 dispute of this month is still open. Decide it first, "
                        "or confirm closing with it open."
                    )
                    if open_disputes == 1
                    else f"{open_disputes} disputes of this month are still open. "
                    "Decide them first, or confirm closing with them open."
                ]
            }
        )
    figures = month_cache.month_figures(month)
    scores = queries.compute_month(
        month, version, figures=figures, team_versions=versions.teams
    )
    fingerprint, count = queries.ticket_fingerprint(month)
    user_id, label = _actor(by)
    close = MonthClose(
        month=month,
        plan_version_id=version.id,
        closed_by_id=user_id,
        actor_label=label,
        note=note.strip()[:500],
        ticket_fingerprint=fingerprint,
        ticket_count=count,
        org_csat=scores.org_csat,
        summary={
            "organisation": scores.organisation,
            "teams": {str(k): v for k, v in scores.teams.items()},
        },
        open_disputes=open_disputes,
        figures=figures.to_data(),
    )
    db.session.add(close)
    db.session.flush()
    rows = []
    for rep_id, score in scores.scores.items():
        person = scores.people[rep_id]
        rows.append(
            {
                "close_id": close.id,
                "month": month,
                "rep_id": rep_id,
                "team_id": person.team_id,
                "rep_name": person.name[:120],
                "rep_email": person.email[:254],
                "team_name": person.team_name[:120],
                "score": score.score,
                "eligible": score.eligible,
                "payout": score.payout,
                "metrics": scores.metrics[rep_id],
                "detail": score_to_data(score),
                "plan_version_id": scores.version_id_for(rep_id),
            }
        )
    if rows:
        db.session.execute(MonthScore.__table__.insert(), rows)
    total = sum((s.payout for s in scores.scores.values()), start=plans.CENT * 0)
    team_labels = {
        v[0]: v for rep_id, v in scores.rep_plans.items() if rep_id in scores.scores
    }
    audit.record(
        by,
        "month.close",
        close,
        summary=(
            f"{metrics.month_label(month)} closed with {version.label}"
            + "".join(
                sorted(f", {label} for its teams" for _, label in team_labels.values())
            )
            + f": {len(rows)} reps, {total:,.2f} {version.rules.currency} in payouts"
        ),
        data={
            "month": month,
            "plan_version_id": version.id,
            "team_plan_version_ids": sorted(team_labels),
            "ticket_fingerprint": fingerprint,
            "tickets": count,
            "open_disputes": open_disputes,
        },
    )
    db.session.flush()
    close_review_operations.record_reclose_changes(close, by=by)
    logger.info("Month %s closed (%d reps, %d tickets)", month, len(rows), count)
    month_closed.send(month, close=close)
    return close


def reopen_month(
    month: str,
    *,
    by: Actor,
    reason: str,
    plan_version: str | int | None = None,
    confirmed: bool = False,
) -> MonthClose:
    """Reopen a closed month: its scores are worked out live again until it closes anew.

    The close and its snapshot stay on record. The month keeps the plan version it was
    closed with unless ``plan_version`` (an id) picks another: it then scores the month,
    and closing it again uses it.

    :param confirmed: the closer saw each rep's score and payout under the other version
        (``reopen_queries.preview_version_change``) and confirmed; needed with a pick.
    :raises InvalidInput: no reason given, the month is not closed, no such version or
        one that cannot score the month, or another version picked unconfirmed.
    """
    try:
        reason = check_reason(reason, what="reason for reopening")
    except ValueError as e:
        raise InvalidInput({"reason": [str(e)]}) from e
    close = queries.get_close(month)
    if close is None:
        raise InvalidInput({"": [f"{metrics.month_label(month)} is not closed."]})
    try:
        chosen = month_plans.version_for_reopening(month, plan_version)
    except ValueError as e:
        raise InvalidInput({"plan_version": [str(e)]}) from e
    if chosen is not None and chosen.id == close.plan_version_id:
        chosen = None  # the version it keeps anyway
    before = after = None
    if chosen is not None:
        if not confirmed:
            raise InvalidInput(
                {
                    "plan_version": [
                        f"See each rep's score and payout with {chosen.label}, then "
                        "confirm."
                    ]
                }
            )
        preview = reopen_queries.preview_version_change(month, chosen)
        before, after = preview.old_total, preview.new_total
    user_id, _label = _actor(by)
    close.reopened_at = utcnow()
    close.reopened_by_id = user_id
    close.reopen_reason = reason
    close.reopen_plan_version_id = chosen.id if chosen else None
    summary = f"{metrics.month_label(month)} reopened: {reason}"
    data: dict[str, Any] = {"month": month, "reason": reason}
    if chosen is not None:
        summary += (
            f". To be scored with {chosen.label} instead of "
            f"{close.plan_version.label} (payouts as closed {before:,.2f} "
            f"{preview.old_currency}, with {chosen.label} {after:,.2f} "
            f"{preview.new_currency})"
        )
        data.update(
            plan_version_id=chosen.id,
            closed_with_plan_version_id=close.plan_version_id,
            payout_total_as_closed=str(before),
            payout_total_with_chosen=str(after),
            reps_changed=[
                {
                    "rep_id": r.rep_id,
                    "score": [r.old_score, r.new_score],
                    "payout": [str(r.old_payout), str(r.new_payout)],
                }
                for r in preview.rows
                if r.changed
            ],
        )
    audit.record(by, "month.reopen", close, summary=summary, data=data)
    db.session.flush()
    return close


# --- disputes -----------------------------------------------------------------------------


def file_dispute(ticket: Ticket, *, by: User, reason: str) -> TicketDispute:
    """A rep disputes that ``ticket`` is theirs: the rep its agent maps to, or the rep an
    accepted dispute reassigned it to.

    :raises NotAllowed: the ticket is not credited to ``by``.
    :raises InvalidInput: no reason, the ticket already has an open dispute, or its month
        is closed.
    """
    agent = db.session.get(TicketAgent, ticket.agent_id) if ticket.agent_id else None
    helpdesk_rep = agent.rep_id if agent else None
    changes = queries.accepted_changes()
    # A ticket counts for the rep a decided dispute gave it to, else for its agent's rep.
    credited = changes[ticket.id][0] if ticket.id in changes else helpdesk_rep
    if by.id not in (credited, helpdesk_rep) or not by.has_role(Role.REP):
        raise NotAllowed("You can dispute only tickets credited to you.")
    if credited != by.id:
        raise InvalidInput({"": ["This ticket's attribution was already changed."]})
    if ticket.solved_at is None:
        raise InvalidInput(
            {"": ["Only solved tickets count, so only they are disputed."]}
        )
    try:
        reason = check_reason(reason)
    except ValueError as e:
        raise InvalidInput({"reason": [str(e)]}) from e
    if queries.get_open_dispute(ticket.id) is not None:
        raise InvalidInput({"": ["This ticket already has an open dispute."]})
    month = metrics.month_of(ticket.solved_at, ticket_queries.org_timezone())
    if queries.get_close(month) is not None:
        raise InvalidInput(
            {"": [f"{metrics.month_label(month)} is closed; its tickets are final."]}
        )
    dispute = TicketDispute(
        ticket_id=ticket.id, month=month, rep_id=by.id, reason=reason
    )
    db.session.add(dispute)
    db.session.flush()
    audit.record(
        by,
        "dispute.file",
        dispute,
        summary=f"Disputed ticket {ticket.source} {ticket.external_id}",
        data={"ticket_id": ticket.id, "month": month, "reason": reason},
    )
    return dispute


def decide_dispute(
    dispute: TicketDispute,
    *,
    by: User,
    accept: bool,
    resolution: Resolution | None = None,
    reassign_to: User | None = None,
    note: str = "",
) -> TicketDispute:
    """A supervisor of the rep's team accepts (exclude or reassign) or declines a dispute.

    The decision is written only while the dispute is still open (one conditional
    update), so of two supervisors deciding at once the second is told it was already
    decided, and the row never mixes their decisions.

    :raises NotAllowed: ``by`` does not supervise the disputing rep.
    :raises Conflict: the dispute was already decided.
    :raises InvalidInput: a decline without a reason, a reassignment without a rep, to
        the disputing rep or to a rep ``by`` does not supervise, or a month already
        closed.
    """
    rep = dispute.rep
    viewer = by.viewer()
    if not can_supervise_rep(viewer, rep.id, rep.team_id):
        raise NotAllowed("Only a supervisor of the rep's team decides their disputes.")
    if not dispute.is_open:
        raise Conflict(already_decided(dispute))
    if queries.get_close(dispute.month) is not None:
        raise InvalidInput(
            {"": [f"{metrics.month_label(dispute.month)} is closed; reopen it first."]}
        )
    note = (note or "").strip()
    if accept:
        if resolution is None:
            raise InvalidInput({"resolution": ["Choose to exclude or reassign."]})
        if resolution is Resolution.REASSIGN:
            _check_reassignment(viewer, rep, reassign_to)
        if len(note) > 500:
            raise InvalidInput({"note": ["Keep the note to 500 characters."]})
    else:
        try:
            note = check_reason(note, what="reason for declining")
        except ValueError as e:
            raise InvalidInput({"note": [str(e)]}) from e
    status = DisputeStatus.ACCEPTED if accept else DisputeStatus.DECLINED
    chosen = resolution if accept else None
    target = reassign_to if chosen is Resolution.REASSIGN else None
    written = db.session.execute(
        update(TicketDispute)
        .where(
            TicketDispute.id == dispute.id,
            TicketDispute.status == DisputeStatus.OPEN,
        )
        .values(
            status=status,
            decided_at=utcnow(),
            decided_by_id=by.id,
            resolution=chosen,
            reassigned_to_id=target.id if target else None,
            decision_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(dispute)
    if written.rowcount != 1:
        raise Conflict(already_decided(dispute))
    ticket = dispute.ticket
    if not accept:
        what = f"declined: {note}"
    elif target is None:
        what = "accepted: ticket excluded"
    else:
        what = f"accepted: ticket reassigned to {target.email}"
    audit.record(
        by,
        "dispute.decide",
        dispute,
        summary=f"Dispute of ticket {ticket.source} {ticket.external_id} {what}",
        before={"status": "open"},
        after={
            "status": dispute.status.value,
            "resolution": dispute.resolution.value if dispute.resolution else None,
            "reassigned_to_id": dispute.reassigned_to_id,
            "note": note,
        },
    )
    db.session.flush()
    return dispute


def already_decided(dispute: TicketDispute) -> str:
    """What a supervisor is told when someone decided the dispute before them."""
    who = dispute.decided_by.name if dispute.decided_by else "someone else"
    return f"This dispute was already decided by {who}: {dispute.status.label.lower()}."


def _check_reassignment(viewer: Viewer, rep: User, reassign_to: User | None) -> None:
    if reassign_to is None:
        raise InvalidInput({"reassign_to": ["Choose the rep who handled it."]})
    if (
        reassign_to.id == rep.id
        or not reassign_to.has_role(Role.REP)
        or not reassign_to.is_active
    ):
        raise InvalidInput(
            {"reassign_to": ["Choose another active rep than the one disputing."]}
        )
    if not may_reassign_to(viewer, reassign_to.id, reassign_to.team_id):
        raise InvalidInput(
            {
                "reassign_to": [
                    f"You do not supervise {reassign_to.name}'s team, so you cannot "
                    "give them the ticket. Choose a rep of a team you supervise."
                ]
            }
        )


# --- coaching -----------------------------------------------------------------------------


def assign_coaching(
    rep: User, scenario_key: str, *, by: User, today: dt.date, days: int = 14
) -> assignment_operations.Assigned:
    """Assign a coaching scenario to a rep through training's own assignment operation.

    :raises NotAllowed: ``by`` does not supervise the rep.
    :raises InvalidInput: an unknown scenario.
    """
    if training_queries.get_current_scenario(scenario_key) is None:
        raise InvalidInput({"scenario": ["That scenario does not exist."]})
    return assignment_operations.assign(
        assignment_operations.AssignmentInput(
            due_on=today + dt.timedelta(days=days),
            scenario_key=scenario_key,
            note="Coaching: under threshold two months running",
        ),
        rep=rep,
        by=by,
        today=today,
    )
