"""Training notices: raising them from today's facts (the daily run), the e-mail digest,
reading them, and which kinds a person wants by e-mail.

Each function writes and flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select, update

from core.access import Role
from core.db import db
from core.people import User
from training import authority_queries, queries
from training.authority import SignoffStatus
from training.models import NoticeSettings, SignoffRequest, TrainingNotice
from training.notices import (
    DecisionFact,
    ExpiryFact,
    Notice,
    NoticeKind,
    WorkFact,
    notices_for,
)

#: A sign-off decided this long ago or less is still news.
DECISIONS_WITHIN = dt.timedelta(days=7)


def _facts(
    at: dt.datetime, today: dt.date
) -> tuple[list[WorkFact], list[DecisionFact], list[ExpiryFact]]:
    reps = list(
        db.session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.id)
        )
    )
    reps = [r for r in reps if Role.REP in r.roles]
    work = []
    for rep in reps:
        for row in queries.list_assignments(rep.viewer(), rep_id=rep.id, today=today):
            if row.progress.state != "done":
                key = row.progress.next_key
                work.append(
                    WorkFact(
                        row.assignment.id,
                        rep.id,
                        row.name,
                        row.assignment.due_on,
                        f"/training/scenarios/{key}" if key else "/training/",
                    )
                )
    decisions = [
        DecisionFact(
            s.id,
            s.rep_id,
            s.authority.name,
            s.status is SignoffStatus.APPROVED,
            s.decline_reason,
            f"/training/signoffs/{s.id}",
        )
        for s in db.session.scalars(
            select(SignoffRequest).where(
                SignoffRequest.status.in_(
                    [SignoffStatus.APPROVED, SignoffStatus.DECLINED]
                ),
                SignoffRequest.decided_at >= at - DECISIONS_WITHIN,
            )
        )
    ]
    expiring = [
        ExpiryFact(
            row.grant.id,
            row.grant.rep_id,
            row.grant.authority.name,
            row.grant.expires_at.date(),
            f"/training/grants/{row.grant.id}",
        )
        for row in authority_queries.list_expiring_grants(at)
    ]
    return work, decisions, expiring


def raise_notices(*, at: dt.datetime, today: dt.date) -> list[TrainingNotice]:
    """Store today's notices (:func:`training.notices.notices_for`) that nobody was told
    yet: running it twice a day tells nobody twice."""
    work, decisions, expiring = _facts(at, today)
    found: Sequence[Notice] = notices_for(
        today, work=work, decisions=decisions, expiring=expiring
    )
    told = {
        (user_id, key)
        for user_id, key in db.session.execute(
            select(TrainingNotice.user_id, TrainingNotice.key).where(
                TrainingNotice.user_id.in_({n.user_id for n in found} or {-1})
            )
        )
    }
    made = []
    for notice in found:
        if (notice.user_id, notice.key) in told:
            continue
        told.add((notice.user_id, notice.key))
        row = TrainingNotice(
            user_id=notice.user_id,
            kind=str(notice.kind),
            key=notice.key,
            text=notice.text[:700],
            link=notice.link,
            created_at=at,
        )
        db.session.add(row)
        made.append(row)
    db.session.flush()
    return made


def muted_kinds(user_id: int) -> set[str]:
    settings = db.session.get(NoticeSettings, user_id)
    return set(settings.muted) if settings else set()


def set_muted(user: User, kinds: Sequence[str]) -> None:
    """The kinds of notice ``user`` does not want by e-mail (the page lists all)."""
    known = {str(k) for k in NoticeKind}
    muted = sorted(k for k in kinds if k in known)
    settings = db.session.get(NoticeSettings, user.id)
    if settings is None:
        db.session.add(NoticeSettings(user_id=user.id, muted=muted))
    else:
        settings.muted = muted
    db.session.flush()


def digests(at: dt.datetime) -> dict[int, list[TrainingNotice]]:
    """Each person's notices not mailed yet, of the kinds they want by e-mail; all of them
    are marked mailed (a muted kind is never mailed later)."""
    rows = list(
        db.session.scalars(
            select(TrainingNotice)
            .where(TrainingNotice.mailed_at.is_(None))
            .order_by(TrainingNotice.user_id, TrainingNotice.created_at)
        )
    )
    mail: dict[int, list[TrainingNotice]] = defaultdict(list)
    muted: dict[int, set[str]] = {}
    for row in rows:
        if row.user_id not in muted:
            muted[row.user_id] = muted_kinds(row.user_id)
        if row.kind not in muted[row.user_id]:
            mail[row.user_id].append(row)
        row.mailed_at = at
    db.session.flush()
    return dict(mail)


def mark_read(user: User, at: dt.datetime) -> int:
    """Mark every unread notice of ``user`` read; how many."""
    result = db.session.execute(
        update(TrainingNotice)
        .where(TrainingNotice.user_id == user.id, TrainingNotice.read_at.is_(None))
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def list_notices(user_id: int, limit: int = 50) -> list[TrainingNotice]:
    return list(
        db.session.scalars(
            select(TrainingNotice)
            .where(TrainingNotice.user_id == user_id)
            .order_by(TrainingNotice.created_at.desc(), TrainingNotice.id.desc())
            .limit(limit)
        )
    )


def count_unread(user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(TrainingNotice.id)).where(
                TrainingNotice.user_id == user_id, TrainingNotice.read_at.is_(None)
            )
        )
        or 0
    )
