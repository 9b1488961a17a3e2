"""Agent writes: a helpdesk agent mapped to a rep (or marked "not a rep") one at a time,
every suggestion at once, or from a CSV file of agent to rep e-mail; a mapping undone; a
new rep's own agent linked by e-mail.

Like every operation: load, ask the rules (``agent_matching``), write, audit, flush; never
commit. A change of who is whom recomputes the recent months' figures in the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core import audit, jobs
from core.db import db, utcnow
from core.errors import Conflict, ImportRejected, InvalidInput
from core.people import User
from core.tabular import RowError, decode_upload
from incentives.tickets import agent_matching, agent_queries
from incentives.tickets.models import AgentMatch, TicketAgent
from incentives.tickets.operations import Actor, actor_fields, warm_up_recent_metrics


def map_agent(
    agent: TicketAgent, *, rep: User | None, by: Actor, not_a_rep: bool = False
) -> None:
    """Credit ``agent``'s tickets (past and future) to ``rep``, or mark them as not a rep.

    :raises InvalidInput: neither a rep nor "not a rep" was chosen.
    """
    if rep is None and not not_a_rep:
        raise InvalidInput({"rep_id": ["Choose the rep this agent is."]})
    _set_mapping(agent, rep=None if not_a_rep else rep, by=by)
    db.session.flush()
    warm_up_recent_metrics(by=by)


def _set_mapping(
    agent: TicketAgent, *, rep: User | None, by: Actor, how: str = ""
) -> bool:
    """Link ``agent`` to ``rep`` by hand (``None``: not a rep), with its audit event.

    :return: whether anything changed (the same mapping again is left as it is).
    """
    match = AgentMatch.ALIAS if rep is not None else AgentMatch.NOT_A_REP
    rep_id = rep.id if rep is not None else None
    if rep is None and agent.match is AgentMatch.NOT_A_REP:
        return False
    if rep is not None and agent.rep_id == rep_id and agent.match is not None:
        return False  # already this rep's, by hand or by e-mail
    before = {
        "rep_id": agent.rep_id,
        "match": str(agent.match) if agent.match else None,
    }
    agent.rep_id, agent.match = rep_id, match
    agent.mapped_by_id, agent.mapped_at = actor_fields(by)[0], utcnow()
    audit.record(
        by,
        "tickets.agent_map",
        agent,
        summary=(
            f"Agent '{agent.label}' marked as not a rep"
            if rep is None
            else f"Agent '{agent.label}' mapped to {rep.email}"
        )
        + how,
        before=before,
        after={"rep_id": agent.rep_id, "match": str(agent.match)},
    )
    return True


@dataclass(frozen=True)
class AgentMapOutcome:
    """What accepting suggestions or an agent-to-rep file did (or would do)."""

    rows: int
    changed: int
    unchanged: int
    dry_run: bool = False
    #: The job computing the month figures ahead after the change (``None``: no change).
    warm_up: jobs.Job | None = None


def accept_suggestions(*, shown: str, by: Actor) -> AgentMapOutcome:
    """Link every agent not yet linked to the rep suggested for them, all at once.

    :param shown: the :func:`agent_matching.fingerprint` of the suggestions the person
        saw; accepting takes exactly those.
    :raises InvalidInput: there is no suggestion to accept.
    :raises Conflict: the suggestions changed since they were shown (an import, a mapping
        or a new rep in between); nothing is changed.
    """
    suggestions = agent_queries.agent_suggestions()
    if not suggestions:
        raise InvalidInput(
            "There is no suggestion to accept: each agent left needs someone to choose."
        )
    if agent_matching.fingerprint(suggestions) != shown:
        raise Conflict(
            "The suggestions changed since the page was shown (an import or a mapping "
            "in between), so none was accepted. Look at them again."
        )
    agents = {
        a.id: a
        for a in db.session.scalars(
            select(TicketAgent).where(
                TicketAgent.id.in_([s.agent_id for s in suggestions])
            )
        )
    }
    reps = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({s.rep_id for s in suggestions}))
        )
    }
    for s in suggestions:
        _set_mapping(
            agents[s.agent_id],
            rep=reps[s.rep_id],
            by=by,
            how=f" (suggested: {s.reason.label})",
        )
    audit.record(
        by,
        "tickets.agent_suggestions_accept",
        summary=f"{len(suggestions)} suggested agent mapping"
        f"{'s' if len(suggestions) != 1 else ''} accepted",
        data={"agents": {s.agent_id: s.rep_id for s in suggestions}},
    )
    db.session.flush()
    job = warm_up_recent_metrics(by=by)
    return AgentMapOutcome(len(suggestions), len(suggestions), 0, warm_up=job)


def map_agents_from_file(
    data: bytes, *, filename: str, by: Actor, dry_run: bool = False
) -> AgentMapOutcome:
    """Link the agents of an agent-to-rep CSV file (``agent,rep_email``) to their reps.

    All or nothing: any bad row (an agent never imported, an e-mail that is no active
    rep's login, a malformed row) rejects the whole file with row-numbered problems.
    Mappings already in place are left as they are, so the same file twice changes
    nothing the second time.

    :raises ImportRejected: the file's problems; nothing was changed.
    """
    if len(data) > agent_matching.MAX_MAP_BYTES:
        raise ImportRejected(
            [],
            f"{filename} is larger than {agent_matching.MAX_MAP_BYTES // 1_000_000} MB, "
            "the most an agent-to-rep file may be: split it and upload each part.",
        )
    rows, errors = agent_matching.parse_agent_map(decode_upload(data))
    agents = agent_queries.agents_by_key([r.agent_key for r in rows])
    reps = agent_queries.active_reps_by_email(
        sorted({r.rep_email for r in rows if r.rep_email})
    )
    for r in rows:
        if r.agent_key not in agents:
            errors.append(
                RowError(
                    r.row,
                    "agent",
                    r.agent,
                    "no agent of this name or e-mail has been imported",
                )
            )
        if r.rep_email and r.rep_email not in reps:
            errors.append(
                RowError(
                    r.row,
                    "rep_email",
                    r.rep_email,
                    "no active rep has this login e-mail",
                )
            )
    if errors:
        raise ImportRejected(errors, _rejected(filename, len(errors)))
    changed = 0
    for r in rows:
        rep = reps[r.rep_email] if r.rep_email else None
        changed += _set_mapping(
            agents[r.agent_key], rep=rep, by=by, how=f" (from {filename})"
        )
    job = None
    if changed and not dry_run:
        audit.record(
            by,
            "tickets.agent_map_file",
            summary=f"{filename}: {changed} agent mapping"
            f"{'s' if changed != 1 else ''} changed, {len(rows) - changed} unchanged",
            data={"filename": filename, "rows": len(rows), "changed": changed},
        )
        db.session.flush()
        job = warm_up_recent_metrics(by=by)
    return AgentMapOutcome(len(rows), changed, len(rows) - changed, dry_run, job)


def _rejected(filename: str, problems: int) -> str:
    return (
        f"{filename}: {problems} problem{'s' if problems != 1 else ''} found; "
        "no agent was mapped."
    )


def unmap_agent(agent: TicketAgent, *, by: User) -> None:
    """Undo a mapping: the agent is unknown again (or linked by e-mail if it is a rep's)."""
    before = {
        "rep_id": agent.rep_id,
        "match": str(agent.match) if agent.match else None,
    }
    by_email = agent_queries.reps_by_email([agent.key]).get(agent.key)
    agent.rep_id = by_email
    agent.match = AgentMatch.EMAIL if by_email else None
    agent.mapped_by_id, agent.mapped_at = None, None
    audit.record(
        by,
        "tickets.agent_unmap",
        agent,
        summary=f"Mapping of agent '{agent.label}' removed",
        before=before,
        after={
            "rep_id": agent.rep_id,
            "match": str(agent.match) if agent.match else None,
        },
    )
    db.session.flush()
    warm_up_recent_metrics(by=by)


def attribute_agent_to_new_rep(user: User, **_: Any) -> None:
    """When someone becomes a rep, tickets already imported under their e-mail are theirs.

    Connected to ``core.accounts.rep_created``; runs in the creating transaction.
    """
    agent = db.session.scalar(select(TicketAgent).where(TicketAgent.key == user.email))
    if agent is not None and agent.match is None:
        agent.rep_id, agent.match = user.id, AgentMatch.EMAIL
        db.session.flush()
