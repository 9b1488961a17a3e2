"""Reads for the authority side of training: the catalogue, sign-off requests, grants, the
register of what each rep may do, and the authority check's one-query path.

What a rep may do is always decided by the rules (:func:`training.authority.decide`) on
the grants read here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import contains_eager, selectinload

from core.access import Role, Viewer, visible_team_ids
from core.db import db
from core.people import (
    NAMES_ONLY,
    Team,
    User,
    UserRole,
    normalize_email,
    team_supervisors,
)
from core.templating import org_timezone
from training.authority import (
    EXPIRY_WARNING,
    Decision,
    GrantFact,
    GrantState,
    SignoffStatus,
    current_grant,
    decide,
    format_amount,
    grant_state,
)
from training.models import Authority, Grant, GrantRevocation, SignoffRequest


@dataclass(frozen=True)
class CheckFacts:
    """What the authority check needs to know, read in one query."""

    #: The rep's account is active.
    active: bool
    #: The authority's name; ``None`` when no authority has the code asked about.
    authority_name: str | None
    #: The rep's grants of that authority.
    grants: list[GrantFact]


def check_facts(email: str, code: str) -> CheckFacts | None:
    """Whether the rep with ``email`` has an active account, the name of authority
    ``code`` and the rep's grants of it, in one query: the authority check's path.
    ``None`` when no rep has that e-mail."""
    rows = db.session.execute(
        _check_statement(), {"email": normalize_email(email), "code": code}
    ).all()
    if not rows:
        return None
    facts = [_fact(row[2:]) for row in rows if row[2] is not None]
    return CheckFacts(rows[0][0], rows[0][1], facts)


@functools.cache
def _check_statement() -> Select:
    """:func:`check_facts`'s query, built once: building it took a third of a millisecond
    on every check, the query itself about as long."""
    authority_id = (
        select(Authority.id)
        .where(Authority.code == bindparam("code"))
        .scalar_subquery()
    )
    authority_name = (
        select(Authority.name)
        .where(Authority.code == bindparam("code"))
        .scalar_subquery()
    )
    # Joins one after another, none nested: SQLite would read a nested join whole.
    return (
        select(User.is_active, authority_name, *_fact_query().selected_columns)
        .select_from(User)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REP))
        .outerjoin(
            Grant, and_(Grant.rep_id == User.id, Grant.authority_id == authority_id)
        )
        .outerjoin(Authority, Authority.id == Grant.authority_id)
        .outerjoin(GrantRevocation, GrantRevocation.grant_id == Grant.id)
        .where(User.email == bindparam("email"))
    )


def list_authorities(*, active_only: bool = False) -> list[Authority]:
    stmt = select(Authority).order_by(Authority.name)
    if active_only:
        stmt = stmt.where(Authority.is_active.is_(True))
    return list(db.session.scalars(stmt))


def get_authority_by_code(code: str) -> Authority | None:
    return db.session.scalar(select(Authority).where(Authority.code == code))


def get_pending_request(rep_id: int, authority_id: int) -> SignoffRequest | None:
    """The rep's request for this authority that waits for a decision, if any."""
    return db.session.scalar(
        select(SignoffRequest)
        .where(
            SignoffRequest.rep_id == rep_id,
            SignoffRequest.authority_id == authority_id,
            SignoffRequest.status == SignoffStatus.PENDING,
        )
        .order_by(SignoffRequest.id)
        .limit(1)
    )


def list_signoffs(
    viewer: Viewer, *, status: SignoffStatus | None = SignoffStatus.PENDING
) -> list[SignoffRequest]:
    """Requests for reps the viewer may see (their own, their teams', or all).

    The rep and whoever asked are loaded with the requests: lists show their names.
    """
    stmt = (
        select(SignoffRequest)
        .join(SignoffRequest.rep)
        .options(
            contains_eager(SignoffRequest.rep).options(*NAMES_ONLY),
            selectinload(SignoffRequest.requested_by).options(*NAMES_ONLY),
        )
    )
    teams = visible_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams) | (User.id == viewer.user_id))
    if status is not None:
        stmt = stmt.where(SignoffRequest.status == status)
    return list(
        db.session.scalars(
            stmt.order_by(SignoffRequest.requested_at.desc(), SignoffRequest.id.desc())
        )
    )


def held_grant(rep_id: int, code: str, at: dt.datetime) -> GrantFact | None:
    """The grant of ``code`` the rep holds at ``at``, if one is in force."""
    grant = current_grant(grant_facts(rep_id, code), code)
    if grant is None or grant_state(grant, grant, at) is not GrantState.ACTIVE:
        return None
    return grant


def limit_words(rep: User, at: dt.datetime) -> dict[str, str]:
    """Each authority's code -> what the rep may do at ``at``, in words, for the
    placeholders in scenario text: "150 USD", "level 1", or "no refund authority"."""
    entries = register_for([rep], list_authorities(), at)[rep.id]
    return {
        e.authority.code: format_amount(e.decision.limit, e.decision.unit)
        if e.decision.allowed and e.decision.limit is not None
        else f"no {e.authority.name[:1].lower()}{e.authority.name[1:]} authority"
        for e in entries
    }


def teams_short_of_supervisors() -> list[Team]:
    """Teams with active reps and fewer than two supervisors: nobody there can approve a
    limit above an authority's two-person limit."""
    supervisors = (
        select(func.count())
        .select_from(team_supervisors)
        .where(team_supervisors.c.team_id == Team.id)
        .scalar_subquery()
    )
    has_reps = (
        select(User.id)
        .where(User.team_id == Team.id, User.is_active.is_(True))
        .exists()
    )
    return list(
        db.session.scalars(
            select(Team)
            .where(supervisors < 2, has_reps)
            .options(selectinload(Team.supervisors).options(*NAMES_ONLY))
            .order_by(Team.name)
        )
    )


def list_grants(rep_id: int) -> list[Grant]:
    """Every grant a rep ever had, newest first."""
    return list(
        db.session.scalars(
            select(Grant)
            .where(Grant.rep_id == rep_id)
            .order_by(Grant.granted_at.desc(), Grant.id.desc())
        )
    )


def _fact_query() -> Select:
    return select(
        Grant.rep_id,
        Authority.code,
        Grant.limit,
        Grant.unit,
        Grant.granted_at,
        Grant.expires_at,
        GrantRevocation.revoked_at,
        GrantRevocation.reason,
        Grant.id,
    ).select_from(
        Grant.__table__.join(Authority.__table__).outerjoin(GrantRevocation.__table__)
    )


def _fact(row: Sequence) -> GrantFact:
    return GrantFact(
        code=row[1],
        limit=row[2],
        unit=row[3],
        granted_at=row[4],
        expires_at=row[5],
        revoked_at=row[6],
        revoked_reason=row[7] or "",
        grant_id=row[8],
    )


def grant_facts(rep_id: int, code: str | None = None) -> list[GrantFact]:
    """A rep's grants as the rules see them, in one query (the API's hot path)."""
    stmt = _fact_query().where(Grant.rep_id == rep_id)
    if code is not None:
        stmt = stmt.where(Authority.code == code)
    return [_fact(row) for row in db.session.execute(stmt)]


def grant_facts_by_rep(rep_ids: Iterable[int]) -> dict[int, list[GrantFact]]:
    result: dict[int, list[GrantFact]] = defaultdict(list)
    ids = list(rep_ids)
    if not ids:
        return result
    for row in db.session.execute(_fact_query().where(Grant.rep_id.in_(ids))):
        result[row[0]].append(_fact(row))
    return result


@dataclass(frozen=True)
class RegisterEntry:
    """One rep x authority cell: the decision for "holds it at all?" and the grant."""

    authority: Authority
    decision: Decision
    grant: GrantFact | None
    expiring: bool


def register_for(
    reps: Sequence[User], authorities: Sequence[Authority], at: dt.datetime
) -> dict[int, list[RegisterEntry]]:
    """What each rep may do today, per authority, decided by ``authority.decide``."""
    facts = grant_facts_by_rep(rep.id for rep in reps)
    tz = org_timezone()
    register: dict[int, list[RegisterEntry]] = {}
    for rep in reps:
        by_code: dict[str, list[GrantFact]] = defaultdict(list)
        for fact in facts.get(rep.id, ()):
            by_code[fact.code].append(fact)
        entries = []
        for authority in authorities:
            mine = by_code.get(authority.code, [])
            decision = decide(
                mine,
                authority.code,
                None,
                at,
                holder_active=rep.is_active,
                name=authority.name,
                tz=tz,
            )
            grant = current_grant(mine, authority.code)
            expiring = bool(
                decision.allowed
                and decision.expires_at is not None
                and decision.expires_at <= at + EXPIRY_WARNING
            )
            entries.append(RegisterEntry(authority, decision, grant, expiring))
        register[rep.id] = entries
    return register


@dataclass(frozen=True)
class ExpiringGrant:
    grant: Grant
    days_left: int


def list_expiring_grants(
    at: dt.datetime,
    *,
    within: dt.timedelta = EXPIRY_WARNING,
    team_ids: frozenset[int] | None = None,
) -> list[ExpiringGrant]:
    """Grants still in force that expire within ``within``, soonest first.

    A grant replaced by a newer one, or revoked, is not listed.

    :param team_ids: only reps of these teams; ``None`` for everyone.
    """
    stmt = (
        select(Grant)
        .join(User, User.id == Grant.rep_id)
        .outerjoin(GrantRevocation)
        .where(
            Grant.expires_at > at,
            Grant.expires_at <= at + within,
            GrantRevocation.id.is_(None),
            User.is_active.is_(True),
        )
        .order_by(Grant.expires_at)
    )
    if team_ids is not None:
        stmt = stmt.where(User.team_id.in_(team_ids))
    grants = list(db.session.scalars(stmt))
    newer = _newest_grant_ids({(g.rep_id, g.authority_id) for g in grants})
    return [
        ExpiringGrant(g, (g.expires_at - at).days)
        for g in grants
        if newer.get((g.rep_id, g.authority_id)) == g.id
    ]


def _newest_grant_ids(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    if not pairs:
        return {}
    rep_ids = {rep for rep, _ in pairs}
    rows = db.session.execute(
        select(Grant.rep_id, Grant.authority_id, Grant.id, Grant.granted_at).where(
            Grant.rep_id.in_(rep_ids)
        )
    )
    newest: dict[tuple[int, int], tuple[dt.datetime, int]] = {}
    for rep_id, authority_id, grant_id, granted_at in rows:
        key = (rep_id, authority_id)
        if key not in newest or (granted_at, grant_id) > newest[key]:
            newest[key] = (granted_at, grant_id)
    return {key: value[1] for key, value in newest.items()}


def grant_states(grants: Sequence[Grant], at: dt.datetime) -> dict[int, GrantState]:
    """The state of each of one rep's grants at ``at`` (active, superseded...)."""
    facts = [g.fact() for g in grants]
    return {
        fact.grant_id: grant_state(fact, current_grant(facts, fact.code), at)
        for fact in facts
    }


def coverage(at: dt.datetime) -> list[tuple[Authority, int, int]]:
    """Per active authority: reps holding it today, and active reps in all.

    Every active rep's grants come in one query, and each rep's grants of each authority
    are decided once (``decide``), without loading the reps themselves.
    """
    active_reps = (
        select(User.id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REP))
        .where(User.is_active.is_(True))
    )
    reps = db.session.scalar(select(func.count()).select_from(active_reps.subquery()))
    by_rep_and_code: dict[tuple[int, str], list[GrantFact]] = defaultdict(list)
    for row in db.session.execute(
        _fact_query().where(Grant.rep_id.in_(active_reps.scalar_subquery()))
    ):
        by_rep_and_code[(row[0], row[1])].append(_fact(row))
    holders: dict[str, int] = defaultdict(int)
    for (_rep_id, code), facts in by_rep_and_code.items():
        if decide(facts, code, None, at).allowed:
            holders[code] += 1
    return [
        (authority, holders[authority.code], reps or 0)
        for authority in list_authorities(active_only=True)
    ]
