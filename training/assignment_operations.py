"""Assigning training: a scenario or curriculum to a rep or a whole team, moving its due
date, cancelling it with a reason. Onboarding's automatic assignment is in
:mod:`training.operations`.

Each function loads what it needs, asks the rules, writes, records the audit trail and
flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core import audit
from core.access import Role, can_supervise_rep
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import Team, User, lock_people
from core.templating import org_timezone
from core.words import counted
from training import authority_queries, queries
from training.models import Assignment, Curriculum
from training.operations import check_keys


@dataclass(frozen=True)
class AssignmentInput:
    due_on: dt.date
    curriculum_id: int | None = None
    scenario_key: str | None = None
    note: str = ""


@dataclass
class Assigned:
    """What an assignment did: new work for some reps, a moved due date for reps who had
    it to do already, nothing for reps who had it due that day."""

    made: list[Assignment] = field(default_factory=list)
    moved: list[Assignment] = field(default_factory=list)
    unchanged: list[Assignment] = field(default_factory=list)


def assign(
    data: AssignmentInput,
    *,
    rep: User | None = None,
    team: Team | None = None,
    by: User,
    today: dt.date,
) -> Assigned:
    """Assign a scenario or curriculum to one rep, or to every active rep of a team.

    A rep who already has the same work to do (not cancelled, not done) is not given it
    twice: its due date moves to the new one. The same submit again (another tab, a double
    click) changes nothing.

    :raises NotAllowed: ``by`` does not supervise the rep (or the team).
    :raises InvalidInput: nothing to assign, an unknown scenario, a date in the past.
    """
    if (data.curriculum_id is None) == (data.scenario_key is None):
        raise InvalidInput({"target": ["Choose a scenario or a curriculum."]})
    if data.due_on < today:
        raise InvalidInput({"due_on": ["Choose a due date from today on."]})
    if data.scenario_key is not None:
        check_keys([data.scenario_key], "target")
    elif db.session.get(Curriculum, data.curriculum_id) is None:
        raise InvalidInput({"target": ["That curriculum does not exist."]})
    viewer = by.viewer()
    if team is not None:
        if team.id not in viewer.supervised_team_ids:
            raise NotAllowed("You can assign work only to the teams you supervise.")
        reps = [
            r
            for r in team.members
            if r.is_active and Role.REP in r.roles and r.id != by.id
        ]
        if not reps:
            raise InvalidInput({"who": [f"{team.name} has no active reps."]})
    elif rep is not None:
        if Role.REP not in rep.roles or not can_supervise_rep(
            viewer, rep.id, rep.team_id
        ):
            raise NotAllowed("You can assign work only to reps of your teams.")
        reps = [rep]
    else:
        raise InvalidInput({"who": ["Choose a rep or a team."]})
    lock_people(r.id for r in reps)
    already = queries.open_assignments(
        [r.id for r in reps],
        curriculum_id=data.curriculum_id,
        scenario_key=data.scenario_key,
        today=today,
    )
    outcome = Assigned()
    for person in reps:
        existing = already.get(person.id)
        if existing is not None:
            if existing.due_on == data.due_on:
                outcome.unchanged.append(existing)
                continue
            audit.record(
                by,
                "assignment.move",
                existing,
                summary=f"Assigned again: due {existing.due_on} -> {data.due_on}",
                data={"from": existing.due_on, "to": data.due_on},
            )
            existing.due_on = data.due_on
            outcome.moved.append(existing)
            continue
        assignment = Assignment(
            rep_id=person.id,
            curriculum_id=data.curriculum_id,
            scenario_key=data.scenario_key,
            team_id=team.id if team is not None else None,
            due_on=data.due_on,
            assigned_by_id=by.id,
            note=data.note.strip(),
        )
        db.session.add(assignment)
        outcome.made.append(assignment)
    db.session.flush()
    made = outcome.made
    if made:
        target = data.scenario_key or f"curriculum {data.curriculum_id}"
        audit.record(
            by,
            "assignment.create",
            made[0] if len(made) == 1 else team,
            summary=f"Assigned {target} to {counted(len(made), 'rep')}, "
            f"due {data.due_on}",
            data={"assignments": [a.id for a in made], "due_on": data.due_on},
        )
    return outcome


def _check_may_change(assignment: Assignment, by: User) -> None:
    if assignment.cancelled_at is not None:
        raise Conflict("This assignment was cancelled; assign the work again instead.")
    rep = assignment.rep
    if not can_supervise_rep(by.viewer(), rep.id, rep.team_id):
        raise NotAllowed("You can change assignments only of reps of your teams.")


def change_assignment(
    assignment: Assignment, *, due_on: dt.date, note: str, by: User, today: dt.date
) -> None:
    """Move an assignment's due date or change its note.

    :raises NotAllowed: ``by`` does not supervise the rep.
    :raises Conflict: it was cancelled.
    :raises InvalidInput: a date in the past (unless it is the date it already has).
    """
    _check_may_change(assignment, by)
    if due_on < today and due_on != assignment.due_on:
        raise InvalidInput({"due_on": ["Choose a due date from today on."]})
    note = note.strip()
    if (due_on, note) == (assignment.due_on, assignment.note):
        return
    audit.record(
        by,
        "assignment.change",
        assignment,
        summary=f"Due {assignment.due_on} -> {due_on}"
        if due_on != assignment.due_on
        else "Note changed",
        data={"from": assignment.due_on, "to": due_on, "note": note},
    )
    assignment.due_on, assignment.note = due_on, note
    db.session.flush()


def cancel_assignment(
    assignment: Assignment, *, reason: str, by: User, at: dt.datetime | None = None
) -> None:
    """Call an assignment off with a reason the rep reads; it stays for the record.

    :raises NotAllowed: ``by`` does not supervise the rep.
    :raises Conflict: it was cancelled already.
    :raises InvalidInput: no reason.
    """
    _check_may_change(assignment, by)
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": ["Say why, for the rep and the record."]})
    assignment.cancelled_at = at or utcnow()
    assignment.cancelled_by_id = by.id
    assignment.cancel_reason = reason[:300]
    db.session.flush()
    audit.record(
        by,
        "assignment.cancel",
        assignment,
        summary=f"Cancelled: {reason[:120]}",
        data={"reason": reason},
    )


def org_date(moment: dt.datetime) -> dt.date:
    """The day ``moment`` falls on in the organisation's time zone."""
    return moment.astimezone(org_timezone()).date()


@dataclass(frozen=True)
class Recertification:
    """Work assigned to a rep whose grant expires soon: the authority's scenarios again."""

    assignment: Assignment
    grant_id: int
    authority_name: str
    expires_at: dt.datetime


def assign_recertification(
    *, at: dt.datetime, within: dt.timedelta, today: dt.date
) -> list[Recertification]:
    """Before a grant expires, give its holder the authority's scenarios to pass again.

    Each grant in force that expires within ``within`` gets one assignment per scenario
    the authority requires (its prerequisites), due on the day it expires, unless the rep
    already has that scenario to do or has passed it since the grant was made. Safe to run
    every day: what was assigned is not assigned again.
    """
    made: list[Recertification] = []
    passes = queries.latest_passes(
        row.grant.rep_id
        for row in authority_queries.list_expiring_grants(at, within=within)
    )
    for row in authority_queries.list_expiring_grants(at, within=within):
        grant = row.grant
        authority = grant.authority
        rep = grant.rep
        if not rep.is_active or Role.REP not in rep.roles:
            continue
        due = max(org_date(grant.expires_at), today)
        for key in authority.prerequisites or []:
            passed = passes.get(rep.id, {}).get(key)
            if passed is not None and passed.at >= grant.granted_at:
                continue  # passed again already
            if queries.open_assignments(
                [rep.id], curriculum_id=None, scenario_key=key, today=today
            ):
                continue
            assignment = Assignment(
                rep_id=rep.id,
                scenario_key=key,
                due_on=due,
                assigned_by_id=None,
                note=f"Recertification: {authority.name} expires {due:%d %b %Y}",
            )
            db.session.add(assignment)
            db.session.flush()
            audit.record(
                None,
                "assignment.recertify",
                assignment,
                summary=f"{rep.email}: {key} again before {authority.code} expires",
                data={"grant": grant.id, "scenario": key},
            )
            made.append(
                Recertification(assignment, grant.id, authority.name, grant.expires_at)
            )
    return made
