"""Training operations: load scenarios, assign work, record attempts, sign off and revoke.

Each function loads what it needs, asks the rules (``scenarios``, ``authority``), writes,
audits and flushes. None of them commits: the view, API endpoint or command that calls it
does, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from core import audit
from core.access import Role, can_supervise_rep
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import Team, User
from core.settings import SettingSpec, get_setting
from training import authority as rules
from training import queries
from training.models import (
    Assignment,
    Attempt,
    Authority,
    Curriculum,
    CurriculumItem,
    Grant,
    GrantRevocation,
    ScenarioVersion,
    SignoffApproval,
    SignoffRequest,
)
from training.scenarios import (
    MAX_STEPS,
    AttemptStatus,
    Scenario,
    ScenarioError,
    Step,
    attempt_gate,
    choose,
    parse_scenario,
    score,
)

logger = logging.getLogger(__name__)

ONBOARDING_DUE_DAYS = SettingSpec(
    key="training_onboarding_due_days",
    label="Onboarding due after",
    help="Days a new rep has to finish the onboarding curriculum.",
    default=21,
    minimum=1,
    maximum=365,
    unit="days",
)


def _lock_people(user_ids: Iterable[int]) -> None:
    """Hold these people's rows until the transaction ends, so that two requests about the
    same rep (two tabs, a double click) check and write one after the other.

    On PostgreSQL the second waits here and then sees what the first committed. It is
    ``FOR NO KEY UPDATE``: rows that merely point at the person (audit events, attempts)
    can still be written meanwhile. SQLite leaves the clause out; it runs one writing
    request at a time anyway (a POST begins IMMEDIATE).
    """
    ids = sorted(set(user_ids))
    if ids:
        db.session.execute(
            select(User.id)
            .where(User.id.in_(ids))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )


# --- scenarios ----------------------------------------------------------------------------


def read_scenario_files(path: Path) -> list[Scenario]:
    """Parse a YAML file, or every ``*.yaml``/``*.yml`` file in a folder.

    :raises ScenarioError: every problem in every file, each prefixed with its file.
    """
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise ScenarioError([f"no .yaml files in {path}"])
    elif path.is_file():
        files = [path]
    else:
        raise ScenarioError([f"{path} does not exist"])
    scenarios, errors = [], []
    for file in files:
        try:
            scenarios.append(parse_scenario(file.read_text("utf-8"), file.name))
        except ScenarioError as e:
            errors.extend(f"{file.name}: {message}" for message in e.errors)
        except UnicodeDecodeError:
            errors.append(f"{file.name}: not UTF-8 text (save it as UTF-8)")
    keys = [s.key for s in scenarios]
    errors.extend(
        f"key {key!r} is used by more than one file"
        for key in sorted({k for k in keys if keys.count(k) > 1})
    )
    if errors:
        raise ScenarioError(errors)
    return scenarios


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_scenarios(scenarios: Sequence[Scenario], *, by: audit.Actor) -> LoadReport:
    """Store each scenario as a new version unless its content is already the current one.

    Attempts keep the version they were played on; new attempts use the newest.

    :return: which keys were added, got a new version, or were unchanged.
    """
    report = LoadReport()
    label = by.email if isinstance(by, User) else str(by or "system")
    for scenario in scenarios:
        versions = list(
            db.session.scalars(
                select(ScenarioVersion)
                .where(ScenarioVersion.key == scenario.key)
                .order_by(ScenarioVersion.version)
            )
        )
        current = next((v for v in versions if v.is_current), None)
        digest = scenario.content_hash
        if current is not None and current.content_hash == digest:
            report.unchanged.append(scenario.key)
            continue
        same = next((v for v in versions if v.content_hash == digest), None)
        for version in versions:
            version.is_current = False
        if same is not None:
            # Going back to earlier content reuses that version instead of duplicating it.
            same.is_current = True
            row = same
        else:
            row = ScenarioVersion(
                key=scenario.key,
                version=(versions[-1].version + 1) if versions else 1,
                content_hash=digest,
                title=scenario.title,
                channel=str(scenario.channel),
                pass_mark=scenario.pass_mark,
                certifies=list(scenario.certifies),
                coaches=list(scenario.coaches),
                definition=dict(scenario.data),
                is_current=True,
                loaded_by=label,
            )
            db.session.add(row)
        db.session.flush()
        (report.updated if versions else report.added).append(scenario.key)
        audit.record(
            by,
            "scenario.load",
            row,
            summary=f"Loaded scenario {scenario.key} version {row.version}",
            data={"key": scenario.key, "version": row.version, "hash": digest},
        )
    return report


# --- curricula and assignments ------------------------------------------------------------


def _check_keys(keys: Sequence[str], field_name: str) -> None:
    known = queries.scenario_titles()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidInput(
            {field_name: [f"Unknown scenario(s): {', '.join(unknown)}."]}
        )


def save_curriculum(
    curriculum: Curriculum | None,
    *,
    name: str,
    description: str,
    scenario_keys: Sequence[str],
    is_onboarding: bool,
    by: User,
) -> Curriculum:
    """Create or change a curriculum (its scenarios in order).

    Marking it as onboarding unmarks any other: new reps get exactly one curriculum.

    :raises InvalidInput: no scenarios, a repeated or unknown scenario, a taken name.
    """
    keys = [k for k in scenario_keys if k]
    if not keys:
        raise InvalidInput({"steps": ["Choose at least one scenario."]})
    if len(set(keys)) != len(keys):
        raise InvalidInput({"steps": ["Each scenario can appear only once."]})
    _check_keys(keys, "steps")
    name = name.strip()
    clash = db.session.scalar(select(Curriculum).where(Curriculum.name == name))
    if clash is not None and clash is not curriculum:
        raise InvalidInput({"name": ["There is already a curriculum with that name."]})
    before = None
    if curriculum is None:
        curriculum = Curriculum(name=name)
        db.session.add(curriculum)
    else:
        # Two people saving the same curriculum at once: one after the other, the
        # second replacing the first's scenarios with its own.
        db.session.refresh(curriculum, with_for_update={"key_share": True})
        before = {
            "name": curriculum.name,
            "scenarios": curriculum.scenario_keys,
            "is_onboarding": curriculum.is_onboarding,
        }
    if is_onboarding:
        for other in db.session.scalars(
            select(Curriculum).where(Curriculum.is_onboarding.is_(True))
        ):
            if other is not curriculum:
                other.is_onboarding = False
    curriculum.name, curriculum.description = name, description.strip()
    curriculum.is_onboarding = is_onboarding
    curriculum.items = [
        CurriculumItem(position=i, scenario_key=key) for i, key in enumerate(keys, 1)
    ]
    try:
        db.session.flush()
    except IntegrityError as e:
        # Saved under the same name by someone else at the same moment.
        raise InvalidInput(
            {"name": ["There is already a curriculum with that name."]}
        ) from e
    audit.record(
        by,
        "curriculum.save",
        curriculum,
        summary=f"Saved curriculum {curriculum.name}",
        before=before,
        after={
            "name": curriculum.name,
            "scenarios": keys,
            "is_onboarding": is_onboarding,
        },
    )
    return curriculum


@dataclass(frozen=True)
class AssignmentInput:
    due_on: dt.date
    curriculum_id: int | None = None
    scenario_key: str | None = None
    note: str = ""


def assign(
    data: AssignmentInput,
    *,
    rep: User | None = None,
    team: Team | None = None,
    by: User,
    today: dt.date,
) -> list[Assignment]:
    """Assign a scenario or curriculum to one rep, or to every active rep of a team.

    A rep who already has the same work due the same day is left out: a second submit
    (another tab, a double click) assigns nothing twice.

    :raises NotAllowed: ``by`` does not supervise the rep (or the team).
    :raises InvalidInput: nothing to assign, an unknown scenario, a date in the past.
    :return: the assignments made; empty when every rep already had this one.
    """
    if (data.curriculum_id is None) == (data.scenario_key is None):
        raise InvalidInput({"target": ["Choose a scenario or a curriculum."]})
    if data.due_on < today:
        raise InvalidInput({"due_on": ["Choose a due date from today on."]})
    if data.scenario_key is not None:
        _check_keys([data.scenario_key], "target")
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
    _lock_people(r.id for r in reps)
    already = queries.reps_with_assignment(
        [r.id for r in reps],
        curriculum_id=data.curriculum_id,
        scenario_key=data.scenario_key,
        due_on=data.due_on,
    )
    made = []
    for person in reps:
        if person.id in already:
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
        made.append(assignment)
    if not made:
        return made
    db.session.flush()
    target = data.scenario_key or f"curriculum {data.curriculum_id}"
    audit.record(
        by,
        "assignment.create",
        made[0] if len(made) == 1 else team,
        summary=f"Assigned {target} to {len(made)} rep(s), due {data.due_on}",
        data={"assignments": [a.id for a in made], "due_on": data.due_on},
    )
    return made


def assign_onboarding(
    user: User, by: audit.Actor = None, **_: Any
) -> Assignment | None:
    """Give a new rep the onboarding curriculum (receiver of ``rep_created``).

    Runs inside the transaction that made the rep: it flushes, never commits. A rep who
    already has the onboarding curriculum is left alone.
    """
    curriculum = queries.get_onboarding_curriculum()
    if curriculum is None:
        return None
    exists = db.session.scalar(
        select(Assignment.id).where(
            Assignment.rep_id == user.id, Assignment.curriculum_id == curriculum.id
        )
    )
    if exists is not None:
        return None
    days = get_setting(ONBOARDING_DUE_DAYS.key)
    assignment = Assignment(
        rep_id=user.id,
        curriculum_id=curriculum.id,
        due_on=utcnow().date() + dt.timedelta(days=days),
        note="Onboarding",
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        by,
        "assignment.onboarding",
        assignment,
        summary=f"Onboarding curriculum assigned to {user.email}",
    )
    logger.info("Onboarding assigned to user %s", user.id)
    return assignment


# --- attempts -----------------------------------------------------------------------------


def start_attempt(rep: User, key: str, *, at: dt.datetime | None = None) -> Attempt:
    """Start (or resume) the rep's attempt at the current version of scenario ``key``.

    :raises NotAllowed: the user is not a rep, or the cool-down / attempt limit applies.
    :raises InvalidInput: no such scenario.
    :return: the attempt in progress.
    """
    at = at or utcnow()
    if Role.REP not in rep.roles:
        raise NotAllowed("Only reps take scenarios.")
    _lock_people([rep.id])  # two Start clicks at once resume one attempt
    open_attempt = queries.get_open_attempt(rep.id, key)
    if open_attempt is not None:
        return open_attempt
    version = queries.get_current_scenario(key)
    if version is None:
        raise InvalidInput("That scenario does not exist.")
    scenario = version.scenario
    history = [
        a.fact()
        for a in queries.list_attempts(rep.id, key=key)
        if a.scenario_id == version.id
    ]
    gate = attempt_gate(
        history,
        attempts_allowed=scenario.attempts_allowed,
        cooldown_hours=scenario.cooldown_hours,
        at=at,
    )
    if not gate.allowed:
        when = (
            f" Next attempt from {gate.opens_at:%d %b %Y %H:%M} UTC."
            if gate.opens_at
            else ""
        )
        raise NotAllowed(gate.reason + when)
    attempt = Attempt(
        rep_id=rep.id,
        scenario_id=version.id,
        current_node=scenario.start,
        path=[],
        started_at=at,
    )
    db.session.add(attempt)
    db.session.flush()
    audit.record(rep, "attempt.start", attempt, summary=f"Started {version.title}")
    return attempt


_ANSWERED = "That question was already answered; here is where you are now."


def check_answerable(attempt: Attempt, *, step: int | None, by: User) -> None:
    """Refuse an answer that would not be the next one: a finished attempt, a page out of
    date (the same answer posted twice, another tab), someone else's attempt.

    :param step: how many decisions the page the rep answered on showed as made;
        ``None`` when it did not say.
    :raises NotAllowed: not the rep's own attempt.
    :raises Conflict: the attempt is finished, or the page was out of date.
    """
    if attempt.rep_id != by.id:
        raise NotAllowed("Only the rep taking this attempt can answer it.")
    if attempt.is_finished:
        raise Conflict(
            "This attempt is finished; your answers are recorded below. "
            "Start a new one to try again."
        )
    if step != len(attempt.path):
        raise Conflict(_ANSWERED)


def answer(
    attempt: Attempt,
    *,
    choice_index: int,
    step: int | None,
    by: User,
    at: dt.datetime | None = None,
) -> Step:
    """Record one decision; finish the attempt when it reaches an ending.

    :param step: how many decisions the rep had made when the page was shown; a stale
        page (another tab, a double click) is refused instead of recording twice.
    :raises NotAllowed: not the rep's own attempt.
    :raises Conflict: the attempt is finished, or the page was out of date.
    :raises InvalidInput: no such choice.
    """
    at = at or utcnow()
    check_answerable(attempt, step=step, by=by)
    # Two answers to the same question at once (two tabs, a double click): the second
    # waits for the first, then finds the question answered.
    db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt.id)
        .with_for_update(key_share=True, of=Attempt)
        .execution_options(populate_existing=True)
    ).one()
    check_answerable(attempt, step=step, by=by)
    scenario = attempt.scenario_version.scenario
    try:
        result = choose(scenario, attempt.current_node, choice_index)
    except ValueError as e:
        raise InvalidInput({"choice": ["Choose one of the options."]}) from e
    path = [
        *attempt.path,
        {
            "node": attempt.current_node,
            "choice": choice_index,
            "text": result.choice.text,
            "points": result.points,
            "feedback": result.feedback,
            "next": result.node.key,
            "at": at.isoformat(),
        },
    ]
    # Where nothing locked the row (SQLite outside a request), the write itself checks
    # that the attempt has not moved since it was read.
    moved = db.session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.current_node == attempt.current_node,
            Attempt.points == attempt.points,
        )
        .values(current_node=result.node.key)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict(_ANSWERED)
    attempt.path = path
    attempt.points = attempt.points + result.points
    attempt.current_node = result.node.key
    if result.finished or len(path) >= MAX_STEPS:
        outcome = score(scenario, attempt.points, result.node)
        attempt.percent = outcome.percent
        attempt.status = (
            AttemptStatus.PASSED if outcome.passed else AttemptStatus.FAILED
        )
        attempt.finished_at = at
        audit.record(
            by,
            "attempt.finish",
            attempt,
            summary=f"{attempt.status.replace('_', ' ').title()} "
            f"{attempt.scenario_version.title} ({outcome.percent}%)",
            data={"percent": outcome.percent, "points": attempt.points},
        )
    db.session.flush()
    return result


# --- the authority catalogue --------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityInput:
    code: str
    name: str
    description: str
    unit: str
    max_limit: Decimal
    two_person_limit: Decimal | None
    validity_days: int
    prerequisites: tuple[str, ...]
    is_active: bool = True


def _authority_snapshot(authority: Authority) -> dict[str, Any]:
    return {
        "code": authority.code,
        "name": authority.name,
        "unit": authority.unit,
        "max_limit": authority.max_limit,
        "two_person_limit": authority.two_person_limit,
        "validity_days": authority.validity_days,
        "prerequisites": list(authority.prerequisites or []),
        "is_active": authority.is_active,
    }


def save_authority(
    authority: Authority | None, data: AuthorityInput, *, by: audit.Actor
) -> Authority:
    """Create or change a catalogue entry (audited; grants already made keep their limit).

    :raises InvalidInput: a taken code, an unknown prerequisite, limits out of order.
    """
    errors: dict[str, list[str]] = {}
    clash = queries.get_authority_by_code(data.code)
    if clash is not None and clash is not authority:
        errors["code"] = ["Another authority already uses this code."]
    if data.max_limit <= 0:
        errors["max_limit"] = ["The maximum must be above zero."]
    if data.two_person_limit is not None and not (
        0 <= data.two_person_limit < data.max_limit
    ):
        errors["two_person_limit"] = [
            "Set it below the maximum (or leave it empty for one supervisor always)."
        ]
    known = queries.scenario_titles()
    unknown = [k for k in data.prerequisites if k not in known]
    if unknown:
        errors["prerequisites"] = [f"Unknown scenario(s): {', '.join(unknown)}."]
    if errors:
        raise InvalidInput(errors)
    before = None
    if authority is None:
        authority = Authority()
        db.session.add(authority)
    else:
        before = _authority_snapshot(authority)
    authority.code, authority.name = data.code, data.name.strip()
    authority.description, authority.unit = data.description.strip(), data.unit.strip()
    authority.max_limit, authority.two_person_limit = (
        data.max_limit,
        data.two_person_limit,
    )
    authority.validity_days = data.validity_days
    authority.prerequisites = list(data.prerequisites)
    authority.is_active = data.is_active
    try:
        db.session.flush()
    except IntegrityError as e:
        # Added under the same code by someone else at the same moment.
        raise InvalidInput(
            {"code": ["Another authority already uses this code."]}
        ) from e
    audit.record(
        by,
        "authority.create" if before is None else "authority.update",
        authority,
        summary=f"{'Added' if before is None else 'Changed'} authority {authority.code}",
        before=before,
        after=_authority_snapshot(authority),
    )
    return authority


# --- sign-offs and grants -----------------------------------------------------------------


def prerequisite_status(
    rep: User, authority: Authority, at: dt.datetime
) -> list[rules.Prerequisite]:
    return rules.check_prerequisites(
        authority.prerequisites or [],
        queries.last_passes(rep.id),
        authority.validity_days,
        at,
    )


class SignoffAlreadyPending(Conflict):
    """A request for this rep and authority is already waiting; ``request_id`` is it."""

    def __init__(self, request: SignoffRequest) -> None:
        super().__init__(
            "A request for this authority is already waiting for a supervisor; "
            "here it is."
        )
        self.request_id = request.id


def request_signoff(
    rep: User,
    authority: Authority,
    *,
    limit: Decimal,
    note: str = "",
    by: User,
    at: dt.datetime | None = None,
) -> SignoffRequest:
    """Ask for ``rep`` to hold ``authority`` at ``limit`` (by the rep or a supervisor).

    :raises NotAllowed: ``by`` is neither the rep nor their supervisor; not a rep; the
        authority is retired.
    :raises SignoffAlreadyPending: a request for this rep and authority is waiting (a
        second submit, another tab, or someone else asked first).
    :raises InvalidInput: prerequisites missing or stale, limit out of range.
    """
    at = at or utcnow()
    if Role.REP not in rep.roles:
        raise NotAllowed("Only reps hold authority.")
    if by.id != rep.id and not can_supervise_rep(by.viewer(), rep.id, rep.team_id):
        raise NotAllowed("Only the rep or their supervisor can ask for a sign-off.")
    if not authority.is_active:
        raise NotAllowed("This authority is no longer offered.")
    _lock_people([rep.id])
    pending = queries.get_pending_request(rep.id, authority.id)
    if pending is not None:
        raise SignoffAlreadyPending(pending)
    problems = rules.request_problems(
        limit=limit,
        max_limit=authority.max_limit,
        prerequisites=prerequisite_status(rep, authority, at),
        unit=authority.unit,
        titles=queries.scenario_titles(),
    )
    if problems:
        raise InvalidInput(problems)
    request = SignoffRequest(
        rep_id=rep.id,
        authority_id=authority.id,
        limit=limit,
        note=note.strip(),
        requested_by_id=by.id,
        requested_at=at,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        by,
        "signoff.request",
        request,
        summary=f"{rep.email} asks for {authority.code} up to "
        f"{rules.format_amount(limit, authority.unit)}",
        data={"limit": limit, "authority": authority.code},
    )
    return request


_RACE = (
    "Another supervisor acted on this request at the same moment. "
    "Reload it to see where it stands."
)


def _claim(request: SignoffRequest, values: dict[str, Any]) -> None:
    """Move the request on only if nobody else has since it was read.

    The condition on ``approval_count`` and the status makes the database, not this
    process, decide between two supervisors acting at once: the second UPDATE matches
    no row (PostgreSQL re-checks it after the first commits; SQLite refuses the second
    writer), and the caller gets :class:`Conflict`.
    """
    try:
        result = db.session.execute(
            update(SignoffRequest)
            .where(
                SignoffRequest.id == request.id,
                SignoffRequest.status == rules.SignoffStatus.PENDING,
                SignoffRequest.approval_count == request.approval_count,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    except OperationalError as e:
        raise Conflict(_RACE) from e
    if result.rowcount != 1:
        raise Conflict(_RACE)


def _check_pending(request: SignoffRequest) -> None:
    if request.status != rules.SignoffStatus.PENDING:
        raise Conflict(f"This request is already {request.status}.")


def approve_signoff(
    request: SignoffRequest,
    *,
    by: User,
    limit: Decimal,
    at: dt.datetime | None = None,
) -> Grant | None:
    """Approve a request at ``limit``; make the grant once enough supervisors agree.

    Above the authority's two-person limit the first approval waits for a second,
    different supervisor; the grant carries the lower of the approved limits.

    :raises NotAllowed: self-approval, the requester approving, not the rep's supervisor.
    :raises InvalidInput: the limit is not above zero or exceeds the catalogue maximum.
    :raises Conflict: the request was decided, ``by`` approved it already, or another
        supervisor acted at once.
    :return: the grant, or ``None`` while a second approval is awaited.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id in {a.supervisor_id for a in request.approvals}:
        # A second click on Approve, or a second tab: already done.
        raise Conflict(
            "You have already approved this request; it waits for a second supervisor."
        )
    authority = request.authority
    problems = rules.approval_problems(
        approver_id=by.id,
        rep_id=request.rep_id,
        requester_id=request.requested_by_id,
        may_supervise=can_supervise_rep(
            by.viewer(), request.rep_id, request.rep.team_id
        ),
        prior_approver_ids=[a.supervisor_id for a in request.approvals],
        limit=limit,
        max_limit=authority.max_limit,
        unit=authority.unit,
    )
    if "" in problems:
        raise NotAllowed(" ".join(problems[""]))
    if problems:
        raise InvalidInput(problems)
    limits = [a.limit for a in request.approvals] + [limit]
    complete = rules.is_complete(limits, authority.two_person_limit)
    values: dict[str, Any] = {"approval_count": request.approval_count + 1}
    if complete:
        values.update(
            status=rules.SignoffStatus.APPROVED, decided_at=at, decided_by_id=by.id
        )
    _claim(request, values)
    db.session.add(
        SignoffApproval(
            request_id=request.id, supervisor_id=by.id, limit=limit, approved_at=at
        )
    )
    shown = rules.format_amount(limit, authority.unit)
    audit.record(
        by,
        "signoff.approve",
        request,
        summary=f"Approved {authority.code} for {request.rep.email} at {shown}"
        + ("" if complete else " (a second supervisor must approve)"),
        data={"limit": limit},
    )
    grant = None
    if complete:
        grant_limit = rules.granted_limit(limits)
        grant = Grant(
            rep_id=request.rep_id,
            authority_id=authority.id,
            limit=grant_limit,
            unit=authority.unit,
            granted_at=at,
            expires_at=rules.expires_at(at, authority.validity_days),
            request_id=request.id,
            granted_by_id=by.id,
        )
        db.session.add(grant)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise Conflict(_RACE) from e
    if grant is not None:
        audit.record(
            by,
            "grant.create",
            grant,
            summary=f"{request.rep.email} may use {authority.code} up to "
            f"{rules.format_amount(grant.limit, grant.unit)} until "
            f"{grant.expires_at:%Y-%m-%d}",
            data={"limit": grant.limit, "request": request.id},
        )
        logger.info("Grant %s made for user %s by %s", grant.id, request.rep_id, by.id)
    db.session.expire(request)
    return grant


def decline_signoff(
    request: SignoffRequest, *, by: User, reason: str, at: dt.datetime | None = None
) -> None:
    """Decline a request with a reason the rep will see.

    :raises NotAllowed: not the rep's supervisor, or declining one's own request.
    :raises InvalidInput: no reason.
    :raises Conflict: already decided, or another supervisor acted at once.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id == request.rep_id or not can_supervise_rep(
        by.viewer(), request.rep_id, request.rep.team_id
    ):
        raise NotAllowed("Only a supervisor of this rep's team can decline.")
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why, so the rep knows what to work on."]})
    _claim(
        request,
        {
            "status": rules.SignoffStatus.DECLINED,
            "decided_at": at,
            "decided_by_id": by.id,
            "decline_reason": reason.strip(),
        },
    )
    audit.record(
        by,
        "signoff.decline",
        request,
        summary=f"Declined {request.authority.code} for {request.rep.email}",
        data={"reason": reason.strip()},
    )
    db.session.flush()
    db.session.expire(request)


def withdraw_signoff(
    request: SignoffRequest, *, by: User, at: dt.datetime | None = None
) -> None:
    """The rep (or whoever asked) withdraws a pending request.

    :raises NotAllowed: someone else's request.
    :raises Conflict: already decided.
    """
    at = at or utcnow()
    _check_pending(request)
    if by.id not in (request.rep_id, request.requested_by_id):
        raise NotAllowed("Only the rep or whoever asked can withdraw this request.")
    _claim(
        request,
        {
            "status": rules.SignoffStatus.WITHDRAWN,
            "decided_at": at,
            "decided_by_id": by.id,
        },
    )
    audit.record(by, "signoff.withdraw", request, summary="Withdrew a sign-off request")
    db.session.flush()
    db.session.expire(request)


def revoke_grant(
    grant: Grant, *, by: User, reason: str, at: dt.datetime | None = None
) -> GrantRevocation:
    """Revoke a grant now; every check from this moment on says no.

    :raises NotAllowed: not a supervisor of the rep (or revoking one's own grant).
    :raises InvalidInput: no reason.
    :raises Conflict: already revoked.
    """
    at = at or utcnow()
    if not can_supervise_rep(by.viewer(), grant.rep_id, grant.rep.team_id):
        raise NotAllowed(
            "Only a supervisor of this rep's team can revoke their authority."
        )
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the authority is revoked."]})
    if grant.revocation is not None:
        raise Conflict("This grant was already revoked.")
    revocation = GrantRevocation(
        grant_id=grant.id, revoked_by_id=by.id, revoked_at=at, reason=reason.strip()
    )
    db.session.add(revocation)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise Conflict("This grant was already revoked.") from e
    audit.record(
        by,
        "grant.revoke",
        grant,
        summary=f"Revoked {grant.authority.code} of {grant.rep.email}",
        data={"reason": reason.strip()},
    )
    logger.info("Grant %s revoked by %s", grant.id, by.id)
    db.session.expire(grant)
    return revocation


# --- the shipped content ------------------------------------------------------------------

#: The scenarios that ship with Frontline.
SHIPPED_SCENARIOS = Path(__file__).resolve().parent / "scenarios"

#: The catalogue that ships with Frontline; admins change it on the catalogue pages.
DEFAULT_AUTHORITIES = [
    AuthorityInput(
        code="refund",
        name="Refund",
        description="Refund an order or part of one to the customer's original payment, "
        "without asking anyone first.",
        unit="USD",
        max_limit=Decimal(500),
        two_person_limit=Decimal(200),
        validity_days=365,
        prerequisites=("refund-limits",),
    ),
    AuthorityInput(
        code="replacement",
        name="Replacement",
        description="Send a replacement item (up to this value) before the original "
        "comes back, or without asking for it back.",
        unit="USD",
        max_limit=Decimal(300),
        two_person_limit=Decimal(150),
        validity_days=365,
        prerequisites=("lost-shipment",),
    ),
    AuthorityInput(
        code="goodwill_credit",
        name="Goodwill credit",
        description="Credit an account for time and trouble, on top of what the "
        "customer is owed.",
        unit="USD",
        max_limit=Decimal(100),
        two_person_limit=None,
        validity_days=365,
        prerequisites=("angry-repeat-caller", "order-mistake-opportunity"),
    ),
    AuthorityInput(
        code="public_reply",
        name="Public reply (social and review sites)",
        description="Level 1: reply in public on social media and to reviews of three "
        "stars or more. Level 2: also one- and two-star reviews and posts that are being "
        "widely shared.",
        unit="level",
        max_limit=Decimal(2),
        two_person_limit=Decimal(1),
        validity_days=365,
        prerequisites=("negative-public-review", "social-media-complaint"),
    ),
    AuthorityInput(
        code="engineering_escalation",
        name="Direct engineering escalation",
        description="Level 1: file a defect straight into engineering's queue. Level 2: "
        "also page the on-call engineer about a fault hitting many customers.",
        unit="level",
        max_limit=Decimal(2),
        two_person_limit=Decimal(1),
        validity_days=180,
        prerequisites=("technical-fault",),
    ),
]


def install_shipped_content(*, by: audit.Actor) -> tuple[LoadReport, list[str]]:
    """Load the shipped scenarios and add any missing default catalogue entries.

    Safe to repeat: unchanged scenarios and existing authorities are left alone.

    :return: the scenario load report and the authority codes added.
    """
    report = load_scenarios(read_scenario_files(SHIPPED_SCENARIOS), by=by)
    added = []
    for data in DEFAULT_AUTHORITIES:
        if queries.get_authority_by_code(data.code) is None:
            save_authority(None, data, by=by)
            added.append(data.code)
    return report, added
