"""The monthly sample: which solved tickets of each rep are reviewed, and why.

PURE: plain data in, plain data out; no Flask, no database. Per rep, targeted tickets come
first, in this order of reasons: a refund above the rep's authority at the time, a low
rating, a reopened ticket, a public channel, a slow resolution, no rating; within a reason
the pick is random. Then random solved tickets among the rest. The random choices come
from a seed (the month), so the same tickets give the same sample.
"""

from __future__ import annotations

import enum
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class Reason(enum.StrEnum):
    """Why a ticket is in the sample."""

    OVER_AUTHORITY = "over_authority"
    LOW_RATING = "low_rating"
    REOPENED = "reopened"
    PUBLIC = "public"
    SLOW = "slow"
    NOT_RATED = "not_rated"
    RANDOM = "random"
    #: Not sampled: reviewed elsewhere and sent in over the API.
    OUTSIDE = "outside"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.OVER_AUTHORITY: "Refund above the rep's authority",
    Reason.LOW_RATING: "Low rating",
    Reason.REOPENED: "Reopened",
    Reason.PUBLIC: "Public channel",
    Reason.SLOW: "Slow to resolve",
    Reason.NOT_RATED: "No rating",
    Reason.RANDOM: "Random",
    Reason.OUTSIDE: "Reviewed elsewhere (API)",
}

#: Targeted reasons, the first that applies to a ticket wins.
TARGETED = (
    Reason.OVER_AUTHORITY,
    Reason.LOW_RATING,
    Reason.REOPENED,
    Reason.PUBLIC,
    Reason.SLOW,
    Reason.NOT_RATED,
)

_REFUND_TAG = re.compile(r"^refund[:_=-](\d+(?:\.\d{1,2})?)$", re.IGNORECASE)


def refund_amount(tags: Iterable[str]) -> Decimal | None:
    """The refund a ticket's tags say was given (``refund:120``, ``refund_120.50``), the
    largest when several do; ``None`` when none does."""
    amounts = []
    for tag in tags:
        match = _REFUND_TAG.match(tag.strip())
        if match:
            try:
                amounts.append(Decimal(match.group(1)))
            except (
                InvalidOperation
            ):  # pragma: no cover - the pattern allows only digits
                continue
    return max(amounts) if amounts else None


@dataclass(frozen=True)
class SampleTicket:
    """A solved ticket of a rep, as sampling reads it."""

    ticket_id: int
    rep_id: int
    channel_group: str
    satisfied: bool | None = None
    reopens: int | None = None
    resolution_hours: float | None = None
    refund: Decimal | None = None
    #: The rep's refund limit when the ticket was solved; ``None``: no refund authority.
    refund_limit: Decimal | None = None


@dataclass(frozen=True)
class SamplePlan:
    """How many tickets each rep gets: random ones, and targeted ones at most."""

    random_per_rep: int = 3
    targeted_per_rep: int = 2
    #: Resolution slower than this is "slow".
    slow_hours: float = 48.0


@dataclass(frozen=True)
class Pick:
    ticket_id: int
    rep_id: int
    reason: Reason


def reason_for(ticket: SampleTicket, plan: SamplePlan) -> Reason | None:
    """The first targeted reason that applies to ``ticket``, or ``None``."""
    if ticket.refund is not None and (
        ticket.refund_limit is None or ticket.refund > ticket.refund_limit
    ):
        return Reason.OVER_AUTHORITY
    if ticket.satisfied is False:
        return Reason.LOW_RATING
    if ticket.reopens:
        return Reason.REOPENED
    if ticket.channel_group == "public":
        return Reason.PUBLIC
    if (
        ticket.resolution_hours is not None
        and ticket.resolution_hours > plan.slow_hours
    ):
        return Reason.SLOW
    if ticket.satisfied is None:
        return Reason.NOT_RATED
    return None


def pick_sample(
    tickets: Sequence[SampleTicket], plan: SamplePlan, *, seed: str
) -> list[Pick]:
    """Each rep's sample: up to ``targeted_per_rep`` targeted tickets, then up to
    ``random_per_rep`` random ones among the rest.

    :param seed: fixes the random choices (the month): the same tickets, plan and seed
        always give the same sample, whatever order the tickets come in.
    :return: the picks, by rep then targeted first.
    """
    by_rep: dict[int, list[SampleTicket]] = defaultdict(list)
    for ticket in tickets:
        by_rep[ticket.rep_id].append(ticket)
    picks: list[Pick] = []
    for rep_id in sorted(by_rep):
        rng = random.Random(f"{seed}:{rep_id}")  # noqa: S311 (a fair sample, not a secret)
        own = sorted(by_rep[rep_id], key=lambda t: t.ticket_id)
        chosen: set[int] = set()
        reasons = {t.ticket_id: reason_for(t, plan) for t in own}
        for reason in TARGETED:
            if len(chosen) >= plan.targeted_per_rep:
                break
            pool = [t.ticket_id for t in own if reasons[t.ticket_id] is reason]
            rng.shuffle(pool)
            for ticket_id in pool[: plan.targeted_per_rep - len(chosen)]:
                chosen.add(ticket_id)
                picks.append(Pick(ticket_id, rep_id, reason))
        rest = [t.ticket_id for t in own if t.ticket_id not in chosen]
        for ticket_id in sorted(rng.sample(rest, min(plan.random_per_rep, len(rest)))):
            picks.append(Pick(ticket_id, rep_id, Reason.RANDOM))
    return picks
