"""Ticket writes: imports, month metrics computed ahead, SLA targets and opening hours
(agents are mapped to reps in :mod:`incentives.tickets.agent_operations`).

Operations load, call the rules, write, audit and flush; they never commit. The web
upload, the ``tickets import`` command and ``POST /api/v1/tickets`` all go through
:func:`import_ticket_file` / :func:`import_ticket_records`, so they validate, count and
record an import the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, jobs
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.people import User
from core.tabular import ErrorReport
from core.words import counted
from incentives import month_cache
from incentives.tickets import (
    agent_queries,
    bulk,
    import_notes,
    importing,
    mapping,
    metrics,
    queries,
)
from incentives.tickets.clock import (
    WEEKDAYS,
    InvalidHours,
    WeeklyHours,
    format_clock_time,
)
from incentives.tickets.importing import ParsedTickets
from incentives.tickets.metrics import DEFAULT_SLA_TARGETS, Channel, Priority, SlaTarget
from incentives.tickets.models import (
    AgentMatch,
    Holiday,
    ImportStatus,
    OpeningHours,
    SlaTargetSetting,
    TicketAgent,
    TicketImport,
)
from incentives.tickets.sources import FRONTLINE, SPECS, Source, SourceSpec

logger = logging.getLogger(__name__)

Actor = User | str


def actor_fields(by: Actor) -> tuple[int | None, str]:
    return (by.id, by.email) if isinstance(by, User) else (None, str(by))


# --- imports -----------------------------------------------------------------------------

#: Sent by an import with ``months``: month -> its new or changed tickets solved then.
#: A receiver returns the closed ones among them (month -> count); scoring answers
#: (``incentives.scoring.payout_queries.closed_among``, connected in ``app.py``).
months_imported = Namespace().signal("tickets-months-imported")


@dataclass
class ImportOutcome:
    """What an import did (or, for a dry run, would do)."""

    status: str  # "imported", "rejected" or "dry_run"
    source: str
    filename: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    unassigned: int = 0
    #: Tickets without a solve time: they count in no month.
    unsolved: int = 0
    unknown_agents: list[str] = field(default_factory=list)
    #: Agents this import names for the first time.
    new_agents: list[str] = field(default_factory=list)
    report: ErrorReport | None = None
    notes: list[str] = field(default_factory=list)
    #: What to check before trusting the month's figures (``import_notes.import_warnings``).
    warnings: list[str] = field(default_factory=list)
    record: TicketImport | None = None
    #: The job computing the figures of the months the import changed.
    warm_up: jobs.Job | None = None
    #: Closed months its new or changed tickets fall in (month -> tickets): unchanged.
    closed_months: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    @property
    def dry_run(self) -> bool:
        return self.status == "dry_run"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unassigned": self.unassigned,
            "unsolved": self.unsolved,
            "unknown_agents": self.unknown_agents,
            "new_agents": self.new_agents,
            "warnings": self.warnings,
            "notes": self.notes,
            "closed_months": self.closed_months,
            "import_id": self.record.id if self.record else None,
            "errors": [e.as_dict() for e in self.report.shown] if self.report else [],
            "more_errors": self.report.more if self.report else 0,
        }


def source_spec(file_format: Source | str, mapping_text: str | None) -> SourceSpec:
    """The reader for a format; a mapping file is required for (and only for) ``mapped``.

    :raises InvalidInput: ``{"mapping": [...]}`` when the mapping is missing or unusable.
    """
    file_format = Source(file_format)
    if file_format is not Source.MAPPED:
        return SPECS[file_format]
    if not mapping_text or not mapping_text.strip():
        raise InvalidInput(
            {"mapping": ["Give the column mapping file (YAML) for this tool."]}
        )
    try:
        return mapping.load_mapping(mapping_text)
    except mapping.MappingError as e:
        raise InvalidInput(
            {"mapping": [f"Mapping file: {p}" for p in e.problems]}
        ) from e


def import_ticket_file(
    data: bytes,
    *,
    filename: str,
    file_format: Source | str,
    by: Actor,
    via: str,
    tz: ZoneInfo,
    mapping_text: str | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    tz_given: bool = False,
) -> ImportOutcome:
    """Check a helpdesk export and, when every row is good, import it.

    :param data: the file's bytes.
    :param file_format: a built-in source (zendesk, servicenow...) or mapped.
    :param by: who imports (a user, or a label such as ``"cli"``).
    :param via: ``web``, ``cli``, ``api`` or ``demo`` (shown in the import history).
    :param tz: the zone times without one are read in: the organisation's, unless
        ``tz_given`` (one file's own, ``tickets import --timezone``); a mapping file's
        ``timezone`` beats both. The report says so when it was not the organisation's.
    :param mapping_text: the YAML mapping, for ``mapped`` files.
    :param dry_run: check and count only; nothing is written, not even the history.
    :return: the outcome; a rejected file is recorded in the history with its errors
        (unless a dry run) and no ticket is written.
    :raises InvalidInput: a bad mapping file.
    :raises Conflict: another import wrote the same tickets at the same moment.
    """
    started = time.perf_counter()
    spec = source_spec(file_format, mapping_text)
    parsed = importing.parse_file(data, spec, tz=tz, now=now or utcnow())
    # The organisation's zone goes without saying; another one is said in the report.
    if spec.timezone and spec.timezone != tz.key:
        parsed.notes.append(
            f"Times without a time zone were read as {spec.timezone} (the mapping's "
            "time zone), not the organisation's."
        )
    elif tz_given:
        parsed.notes.append(
            f"Times without a time zone were read as {tz.key} (given for this file)."
        )
    return _import(
        parsed,
        filename=filename,
        file_format=str(Source(file_format)),
        digest=importing.sha256(data),
        by=by,
        via=via,
        dry_run=dry_run,
        started=started,
    )


def import_ticket_records(
    records: Sequence[Any],
    *,
    source: str,
    by: Actor,
    tz: ZoneInfo,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ImportOutcome:
    """Import a JSON batch of tickets in Frontline's fields (the API).

    :param source: the name the tickets are kept under, e.g. ``zendesk`` to update tickets
        first imported from a Zendesk file.
    :raises InvalidInput: a bad source name.
    """
    started = time.perf_counter()
    if not mapping.SOURCE_NAME_RE.match(source or ""):
        raise InvalidInput(
            {
                "source": [
                    "Use lower-case letters, digits, - or _ (at most 32), e.g. zendesk."
                ]
            }
        )
    spec = FRONTLINE.with_name(source)
    parsed = importing.parse_records(records, spec, tz=tz, now=now or utcnow())
    body = json.dumps(list(records), sort_keys=True, default=str).encode()
    return _import(
        parsed,
        filename=f"API batch of {len(records)}",
        file_format="api",
        digest=importing.sha256(body),
        by=by,
        via="api",
        dry_run=dry_run,
        started=started,
    )


def _import(
    parsed: ParsedTickets,
    *,
    filename: str,
    file_format: str,
    digest: str,
    by: Actor,
    via: str,
    dry_run: bool,
    started: float,
) -> ImportOutcome:
    outcome = ImportOutcome(
        status="dry_run" if dry_run else "imported",
        source=parsed.source,
        filename=filename,
        rows=parsed.rows,
        notes=list(parsed.notes),
    )
    if not parsed.ok:
        outcome.status = "rejected"
        outcome.report = parsed.report()
        if not dry_run:
            outcome.record = _record(
                outcome,
                ImportStatus.REJECTED,
                file_format,
                digest,
                by,
                via,
                started,
                error_count=parsed.error_count,
            )
        return outcome

    tickets = parsed.tickets
    outcome.unassigned = int(tickets["agent_key"].isna().sum())
    outcome.unsolved = int(tickets["solved_at"].isna().sum())
    earlier = queries.earlier_import(digest)
    agent_ids, unknown, new_agents = _resolve_agents(tickets, by=by, dry_run=dry_run)
    outcome.unknown_agents = unknown
    outcome.new_agents = [label for label, _linked in new_agents]

    stored = queries.ticket_fingerprints(parsed.source, tickets["external_id"])
    prints = importing.fingerprints(tickets)
    position = pd.Index(stored["external_id"]).get_indexer(tickets["external_id"])
    is_new = position < 0
    changed = np.zeros(len(tickets), dtype=bool)
    if len(stored):
        before = stored["fingerprint"].to_numpy(dtype="int64")[np.maximum(position, 0)]
        changed = ~is_new & (before != prints.to_numpy())
    outcome.inserted = int(is_new.sum())
    outcome.updated = int(changed.sum())
    outcome.unchanged = len(tickets) - outcome.inserted - outcome.updated
    outcome.closed_months = _closed_months(tickets["solved_at"][is_new | changed])
    outcome.warnings = import_notes.import_warnings(
        unsolved=outcome.unsolved,
        unassigned=outcome.unassigned,
        new_agents=outcome.new_agents,
        new_linked=sum(linked for _label, linked in new_agents),
        closed_months=outcome.closed_months,
        earlier=(earlier.id, f"{earlier.created_at:%d %b %Y}".lstrip("0"))
        if earlier is not None
        else None,
    )
    if dry_run:
        return outcome

    record = _record(
        outcome, ImportStatus.IMPORTED, file_format, digest, by, via, started
    )
    outcome.record = record
    # The months whose figures the import changes: where its tickets are solved now, and
    # where the changed ones were solved before (read before they are overwritten).
    months = set(metrics.months_of(tickets["solved_at"], queries.org_timezone()))
    if changed.any():
        months.update(
            queries.solved_months(
                stored["id"].to_numpy()[position[changed]].tolist(),
                source=parsed.source,
            )
        )
    frame = tickets.assign(agent_id=agent_ids, fingerprint=prints)
    connection = db.session.connection()
    try:
        bulk.insert(
            connection, frame[is_new], source=parsed.source, import_id=record.id
        )
        changed_rows = frame[changed].assign(
            id=stored["id"].to_numpy()[position[changed]]
        )
        bulk.update(connection, changed_rows, source=parsed.source, import_id=record.id)
    except IntegrityError as e:
        raise Conflict(
            "Another import wrote some of these tickets at the same moment; "
            "nothing was imported. Import the file again."
        ) from e
    record.duration_ms = int((time.perf_counter() - started) * 1000)
    audit.record(
        by,
        "tickets.import",
        record,
        summary=(
            f"Imported {filename} ({parsed.source}): {outcome.inserted} new, "
            f"{outcome.updated} updated, {outcome.unchanged} unchanged"
        ),
        data={
            "source": parsed.source,
            "sha256": digest,
            "rows": outcome.rows,
            "inserted": outcome.inserted,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
        },
    )
    db.session.flush()
    outcome.warm_up = warm_up_metrics([*months, *months_on_dashboards()], by=by)
    logger.info(
        "Import %s of %s: %d rows, %d new, %d updated in %d ms",
        record.id,
        filename,
        outcome.rows,
        outcome.inserted,
        outcome.updated,
        record.duration_ms,
    )
    return outcome


def _closed_months(solved_at: pd.Series) -> dict[str, int]:
    """Closed months these tickets were solved in, with how many of them."""
    local = solved_at.dropna()
    if local.empty:
        return {}
    counts = local.dt.tz_convert(queries.org_timezone()).dt.strftime("%Y-%m")
    months = {str(k): int(v) for k, v in counts.value_counts().items()}
    closed: dict[str, int] = {}
    for _receiver, answer in months_imported.send(None, months=months):
        closed.update(answer or {})
    return dict(sorted(closed.items()))


def _record(
    outcome: ImportOutcome,
    status: ImportStatus,
    file_format: str,
    digest: str,
    by: Actor,
    via: str,
    started: float,
    *,
    error_count: int = 0,
) -> TicketImport:
    user_id, label = actor_fields(by)
    record = TicketImport(
        source=outcome.source,
        file_format=file_format,
        filename=outcome.filename[:255],
        sha256=digest,
        status=status,
        via=via,
        created_by_id=user_id,
        actor_label=label[:254],
        rows=outcome.rows,
        inserted=outcome.inserted,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        unassigned=outcome.unassigned,
        unknown_agents=len(outcome.unknown_agents),
        error_count=error_count,
        errors=[e.as_dict() for e in outcome.report.shown] if outcome.report else [],
        # Warnings first: the import's page shows them all as what to check.
        notes=[*outcome.warnings, *outcome.notes],
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    db.session.add(record)
    db.session.flush()
    if status is ImportStatus.REJECTED:
        audit.record(
            by,
            "tickets.import_rejected",
            record,
            summary=f"Rejected {outcome.filename}: "
            f"{counted(error_count, 'problem')}, nothing imported",
            data={"source": outcome.source, "sha256": digest, "errors": error_count},
        )
    return record


def _resolve_agents(
    tickets: pd.DataFrame, *, by: Actor, dry_run: bool
) -> tuple[np.ndarray, list[str], list[tuple[str, bool]]]:
    """The agent row of each ticket (created for new assignees), the unknown labels, and
    the agents never seen before (label, and whether linked to a rep at once).

    A new assignee whose name is a rep's login e-mail is linked to that rep at once; so is
    a still-unknown one whose e-mail has since become a rep's.
    """
    keys = tickets["agent_key"].cat
    categories = [str(k) for k in keys.categories]
    labels = (
        pd.DataFrame(
            {
                "key": tickets["agent_key"].astype(object),
                "label": tickets["agent_label"].astype(object),
            }
        )
        .dropna()
        .drop_duplicates("key")
        .set_index("key")["label"]
        .to_dict()
    )
    used = [k for k in categories if k in labels]
    agents = agent_queries.agents_by_key(used)
    emails = agent_queries.reps_by_email(
        [k for k in used if "@" in k and (k not in agents or agents[k].match is None)]
    )
    now = utcnow()
    new: list[tuple[str, bool]] = []
    for key in used:
        agent = agents.get(key)
        if agent is None:
            agent = TicketAgent(key=key, label=str(labels[key]), first_seen_at=now)
            agents[key] = agent
            new.append((agent.label, key in emails))
            if not dry_run:
                db.session.add(agent)
        if agent.match is None and key in emails and not dry_run:
            agent.rep_id, agent.match = emails[key], AgentMatch.EMAIL
    if not dry_run:
        try:
            db.session.flush()
        except IntegrityError as e:
            raise Conflict(
                "Another import added the same agents at the same moment; import again."
            ) from e
    ids = np.array(
        [agents[k].id if k in agents else None for k in categories] + [None],
        dtype=object,
    )
    unknown = sorted(
        (agents[k].label for k in used if agents[k].match is None and k not in emails),
        key=str.casefold,
    )
    return ids[keys.codes], unknown, sorted(new, key=lambda n: n[0].casefold())


# --- month metrics kept ready -----------------------------------------------------------

#: The kind of the jobs that compute and store the organisation's month metrics.
WARM_UP_KIND = month_cache.WARM_UP_KIND
#: At most this many months (the newest) are computed ahead after one change.
WARM_UP_MONTHS = month_cache.CACHE_MONTHS
#: One warm-up at a time per process: they compete for the same cores as the pages.
_WARM_UP_LOCK = threading.Lock()


def warm_up_metrics(months: Sequence[str], *, by: Actor) -> jobs.Job | None:
    """Have the organisation's metrics of ``months`` computed and stored in the background
    once this transaction commits, so that even the first view after a change is quick.

    Months asked for again in the same transaction join the job already waiting.

    :return: the job, or ``None`` when there is nothing to compute.
    """
    wanted = sorted(set(months), reverse=True)
    if not wanted:
        return None
    pending = db.session.info.get("incentives.warm_up")
    if pending is not None and pending[0] is db.session().get_transaction():
        job: jobs.Job = pending[1]
        merged = sorted(set(job.params["args"][0]) | set(wanted), reverse=True)
        job.params = {"args": [merged[:WARM_UP_MONTHS]]}
        job.total = len(job.params["args"][0])
        db.session.flush()
        return job
    wanted = wanted[:WARM_UP_MONTHS]
    job = jobs.enqueue(
        warm_up_job,
        wanted,
        kind=WARM_UP_KIND,
        by=by if isinstance(by, User) else None,
        total=len(wanted),
        message="Month metrics: waiting to start",
    )
    db.session.info["incentives.warm_up"] = (db.session().get_transaction(), job)
    return job


def months_on_dashboards() -> list[str]:
    """This month and the last: the months every dashboard shows scores of.

    Any import changes the fingerprint of every month's inputs, so these are computed
    ahead after each import too, whichever months its tickets were solved in.
    """
    current = queries.current_month()
    return [current, metrics.shift_month(current, -1)]


def warm_up_recent_metrics(*, by: Actor) -> jobs.Job | None:
    """After a setting that changes every month's figures: compute ahead this month and
    the newest month with tickets (older months are computed when first shown)."""
    newest = queries.months_with_tickets()[:1]
    return warm_up_metrics([queries.current_month(), *newest], by=by)


def warm_up_job(context: jobs.JobContext, months: list[str]) -> dict[str, Any]:
    """The job: compute and store the organisation's figures of ``months`` for the inputs
    current when it runs (months stored for them already are skipped)."""
    computed = []
    with _WARM_UP_LOCK:
        for done, month in enumerate(months):
            context.progress(done, len(months), f"Month metrics of {month}")
            if month_cache.warm(month):
                computed.append(month)
    context.progress(len(months), len(months), "Month metrics ready")
    return {"months": months, "computed": computed}


# --- SLA targets and opening hours -------------------------------------------------------


def save_sla_targets(targets: Mapping[tuple[str, str], SlaTarget], *, by: User) -> int:
    """Store the SLA targets; pairs left at their default are stored too (explicit).

    :return: how many targets changed.
    :raises InvalidInput: a target that is not positive.
    """
    errors: dict[str, list[str]] = {}
    for (channel, priority), target in targets.items():
        if target.first_response_min <= 0 or target.resolution_h <= 0:
            errors[f"{channel}_{priority}"] = ["Targets must be above zero."]
    if errors:
        raise InvalidInput(errors)
    current = queries.get_sla_targets()
    rows = {
        (str(r.channel), str(r.priority)): r
        for r in db.session.scalars(select(SlaTargetSetting))
    }
    before, after = {}, {}
    for (channel, priority), target in targets.items():
        key = (str(Channel(channel)), str(Priority(priority)))
        if current.get(key) == target:
            continue
        label = f"{key[0]}/{key[1]}"
        old = current.get(
            key, DEFAULT_SLA_TARGETS[(Channel(channel), Priority(priority))]
        )
        before[label] = f"{old.first_response_min} min / {old.resolution_h:g} h"
        after[label] = f"{target.first_response_min} min / {target.resolution_h:g} h"
        row = rows.get(key)
        if row is None:
            row = SlaTargetSetting(
                channel=Channel(channel), priority=Priority(priority)
            )
            db.session.add(row)
        row.first_response_min = target.first_response_min
        row.resolution_h = float(target.resolution_h)
        row.updated_at, row.updated_by_id = utcnow(), by.id
    if after:
        audit.record(
            by,
            "tickets.sla_targets",
            None,
            summary=f"SLA targets changed ({len(after)})",
            before=before,
            after=after,
        )
    db.session.flush()
    if after:
        warm_up_recent_metrics(by=by)
    return len(after)


def save_opening_hours(
    days: Mapping[int, tuple[int, int]],
    holidays: Mapping[dt.date, str],
    *,
    by: User,
) -> WeeklyHours | None:
    """Replace the opening hours and holidays; none at all means calendar time.

    :raises InvalidInput: a day that closes before it opens.
    """
    try:
        hours = WeeklyHours.from_mapping(dict(days), holidays.keys()) if days else None
    except InvalidHours as e:
        raise InvalidInput({"": [str(e)]}) from e
    before = _hours_summary()
    # Row by row (a week and the holidays), so that the inputs token sees them go.
    for row in db.session.scalars(select(OpeningHours)):
        db.session.delete(row)
    for row in db.session.scalars(select(Holiday)):
        db.session.delete(row)
    db.session.flush()
    for weekday, (opens, closes) in sorted(days.items()):
        db.session.add(
            OpeningHours(weekday=weekday, opens_min=opens, closes_min=closes)
        )
    for day, name in sorted(holidays.items()):
        db.session.add(Holiday(day=day, name=name[:120]))
    db.session.flush()
    after = _hours_summary()
    if before != after:
        audit.record(
            by,
            "tickets.opening_hours",
            None,
            summary="Opening hours and holidays changed",
            before=before,
            after=after,
        )
        warm_up_recent_metrics(by=by)
    return hours


def _hours_summary() -> dict[str, str]:
    summary = {
        WEEKDAYS[
            row.weekday
        ]: f"{format_clock_time(row.opens_min)}-{format_clock_time(row.closes_min)}"
        for row in db.session.scalars(select(OpeningHours))
    }
    summary["holidays"] = ", ".join(h.day.isoformat() for h in queries.list_holidays())
    return summary
