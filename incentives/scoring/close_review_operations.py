"""Writes for the close review: a month closed anew records, per rep, the score and payout
of the close it replaces and of the new one (the change log)."""

from __future__ import annotations

from decimal import Decimal

from core import audit
from core.db import db
from core.people import User
from incentives.scoring import payout_queries, payouts, queries
from incentives.scoring.models import MonthClose
from incentives.scoring.payout_models import ReCloseChange
from incentives.scoring.payouts import PayoutLine
from incentives.tickets import metrics


def _lines(month: str, close: MonthClose) -> dict[int, PayoutLine]:
    """Each rep's payout under ``close``'s scores, with today's dates and adjustments."""
    scores = queries.month_scores(month, close=close)
    lines = payouts.month_lines(
        scores,
        payout_queries.prorations(month, list(scores.scores)),
        payout_queries.adjustment_amounts(month),
        whole=payouts.whole_month(month, payout_queries.holidays()),
    )
    return {line.rep_id: line for line in lines}


def record_reclose_changes(close: MonthClose, *, by: User | str) -> list[ReCloseChange]:
    """When ``close`` closes its month anew, record each rep's old and new score and
    payout against the close before it (nothing for a first close)."""
    previous = next(
        (
            c
            for c in queries.close_history(close.month)
            if c.id < close.id and c.reopened_at is not None
        ),
        None,
    )
    if previous is None:
        return []
    old, new = _lines(close.month, previous), _lines(close.month, close)
    currency = close.plan_version.rules.currency
    rows = []
    for rep_id in sorted(set(old) | set(new)):
        was, now = old.get(rep_id), new.get(rep_id)
        either = now or was
        assert either is not None  # noqa: S101 (in one of the two)
        rows.append(
            ReCloseChange(
                month=close.month,
                close_id=close.id,
                previous_close_id=previous.id,
                rep_id=rep_id,
                rep_name=either.name[:120],
                rep_email=either.email[:254],
                team_name=(either.team_name or "")[:120],
                old_score=was.score if was else None,
                new_score=now.score if now else None,
                old_payout=was.final if was else None,
                new_payout=now.final if now else None,
                currency=currency,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    changed = [r for r in rows if r.changed]
    difference = sum((r.payout_change for r in rows), start=Decimal("0.00"))
    audit.record(
        by,
        "month.reclose",
        close,
        summary=(
            f"{metrics.month_label(close.month)} closed anew: {len(changed)} of "
            f"{len(rows)} reps changed, payouts {difference:+,.2f} {currency}"
        ),
        data={"month": close.month, "previous_close_id": previous.id},
    )
    return rows
