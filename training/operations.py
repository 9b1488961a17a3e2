"""Training operations: load scenarios, assign work, record attempts, install the shipped
content. Sign-offs, grants and the authority catalogue are
:mod:`training.authority_operations`.

Each function loads what it needs, asks the rules (``scenarios``, ``authority``), writes,
audits and flushes. None of them commits: the view, API endpoint or command that calls it
does, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User, lock_people
from core.settings import SettingSpec, get_setting
from training import authority_queries, queries
from training.authority_operations import AuthorityInput, save_authority
from training.models import (
    Assignment,
    Attempt,
    Curriculum,
    CurriculumItem,
    ScenarioVersion,
)
from training.placeholders import fill_placeholders, placeholder_codes
from training.scenarios import (
    MAX_STEPS,
    AttemptStatus,
    Gate,
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
    scenarios, errors, names = [], [], []
    for file in files:
        try:
            scenarios.append(parse_scenario(file.read_text("utf-8"), file.name))
            names.append(file.name)
        except ScenarioError as e:
            errors.extend(f"{file.name}: {message}" for message in e.errors)
        except UnicodeDecodeError:
            errors.append(f"{file.name}: not UTF-8 text (save it as UTF-8)")
    keys = [s.key for s in scenarios]
    errors.extend(
        f"key {key!r} is used by more than one file"
        for key in sorted({k for k in keys if keys.count(k) > 1})
    )
    # Placeholders name authorities of the catalogue (or shipped with it, which
    # installing adds after the scenarios).
    known = {a.code for a in authority_queries.list_authorities()}
    known |= {a.code for a in DEFAULT_AUTHORITIES}
    errors.extend(
        f"{name}: {{{code}.limit}}: no authority has the code {code!r}"
        for name, scenario in zip(names, scenarios, strict=True)
        for code in sorted(placeholder_codes(scenario) - known)
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


def check_keys(keys: Sequence[str], field_name: str) -> None:
    known = queries.scenario_titles()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidInput(
            {
                field_name: [
                    f"Unknown scenario{'s' if len(unknown) > 1 else ''}: "
                    f"{', '.join(unknown)}."
                ]
            }
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
    check_keys(keys, "steps")
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


def start_gate(rep: User, version: ScenarioVersion, *, at: dt.datetime) -> Gate:
    """May the rep start a new attempt at ``version`` now (the cool-down, the attempt
    limit)? The scenario page asks it to show Start or when it opens; starting asks it
    again."""
    scenario = version.scenario
    history = [
        a.fact()
        for a in queries.list_attempts(rep.id, key=version.key)
        if a.scenario_id == version.id
    ]
    return attempt_gate(
        history,
        attempts_allowed=scenario.attempts_allowed,
        cooldown_hours=scenario.cooldown_hours,
        at=at,
    )


def start_attempt(rep: User, key: str, *, at: dt.datetime | None = None) -> Attempt:
    """Start (or resume) the rep's attempt at the current version of scenario ``key``.

    :raises NotAllowed: the user is not a rep, or the cool-down / attempt limit applies.
    :raises InvalidInput: no such scenario.
    :return: the attempt in progress.
    """
    at = at or utcnow()
    if Role.REP not in rep.roles:
        raise NotAllowed("Only reps take scenarios.")
    lock_people([rep.id])  # two Start clicks at once resume one attempt
    open_attempt = queries.get_open_attempt(rep.id, key)
    if open_attempt is not None:
        return open_attempt
    version = queries.get_current_scenario(key)
    if version is None:
        raise InvalidInput("That scenario does not exist.")
    gate = start_gate(rep, version, at=at)
    if not gate.allowed:
        when = (
            f" Next attempt from {gate.opens_at:%d %b %Y %H:%M} UTC."
            if gate.opens_at
            else ""
        )
        raise NotAllowed(gate.reason + when)
    scenario = version.scenario
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
    # The path keeps the words the rep read, their own limits in the placeholders.
    limits = (
        authority_queries.limit_words(attempt.rep, at)
        if "{" in result.choice.text + result.feedback
        else {}
    )
    path = [
        *attempt.path,
        {
            "node": attempt.current_node,
            "choice": choice_index,
            "text": fill_placeholders(result.choice.text, limits),
            "points": result.points,
            "feedback": fill_placeholders(result.feedback, limits),
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
        if authority_queries.get_authority_by_code(data.code) is None:
            save_authority(None, data, by=by)
            added.append(data.code)
    return report, added
