"""Authority: what a rep may do on their own, and the rules for signing it off.

PURE: plain data in, plain data out; no Flask, no database. :func:`decide` is the one answer
to "may this rep do this, for this amount, now?" used by the register pages and the API
alike. The sign-off rules (prerequisites, who may approve, limits, the two-person rule)
return reasons as values; operations turn them into errors.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


class SignoffStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class GrantState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


#: Grants expiring within this many days are shown for re-certification.
EXPIRY_WARNING = dt.timedelta(days=30)


def format_amount(amount: Decimal | int | None, unit: str) -> str:
    """``Decimal("150.00"), "USD"`` -> ``"150 USD"``; ``2, "level"`` -> ``"level 2"``."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    text = f"{value:,.2f}".removesuffix(".00")
    if unit == "level":
        return f"level {text}"
    return f"{text} {unit}".strip()


@dataclass(frozen=True)
class GrantFact:
    """A grant as the rules see it."""

    code: str
    limit: Decimal
    unit: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str = ""
    grant_id: int | None = None


class DecisionCode(enum.StrEnum):
    """Why a check came out as it did, as a stable code for programs (the API's
    ``reason_code``).

    People read :attr:`Decision.reason` instead, a sentence made from the same facts.
    """

    WITHIN_LIMIT = "within_limit"
    #: Asked without an amount: the authority is held.
    HELD = "held"
    OVER_LIMIT = "over_limit"
    NEVER_GRANTED = "never_granted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ACCOUNT_DEACTIVATED = "account_deactivated"


@dataclass(frozen=True)
class Decision:
    """The answer to an authority check; the API returns it as it is.

    ``reason`` is a sentence for a person (a helpdesk agent, a supervisor); ``code`` says
    the same for programs. Neither carries what a supervisor wrote when revoking: that
    note is for people, on the grant's page, not for every integration that checks.
    """

    allowed: bool
    code: DecisionCode
    reason: str
    limit: Decimal | None = None
    unit: str | None = None
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "reason_code": str(self.code),
            "reason": self.reason,
            "limit": None if self.limit is None else float(self.limit),
            "unit": self.unit,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def format_day(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """``2026-03-03 10:00 UTC`` -> ``"3 March 2026"``, the day it is in ``tz``."""
    local = moment.astimezone(tz)
    return f"{local.day} {local:%B %Y}"


def current_grant(grants: Iterable[GrantFact], code: str) -> GrantFact | None:
    """The newest grant of ``code``: a newer sign-off replaces every older one."""
    mine = [g for g in grants if g.code == code]
    return max(mine, key=lambda g: (g.granted_at, g.grant_id or 0), default=None)


def grant_state(
    grant: GrantFact, newest: GrantFact | None, at: dt.datetime
) -> GrantState:
    """Whether ``grant`` counts at ``at``, given the newest grant of the same authority."""
    if grant.revoked_at is not None and grant.revoked_at <= at:
        return GrantState.REVOKED
    if newest is not None and newest != grant and newest.granted_at <= at:
        return GrantState.SUPERSEDED
    if grant.expires_at <= at:
        return GrantState.EXPIRED
    return GrantState.ACTIVE


def decide(
    grants: Iterable[GrantFact],
    code: str,
    amount: Decimal | None,
    at: dt.datetime,
    *,
    holder_active: bool = True,
    name: str | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> Decision:
    """May the holder of ``grants`` use authority ``code`` for ``amount`` at ``at``?

    Only the newest grant of ``code`` counts; it must be neither revoked nor expired, and
    ``amount`` must not exceed its limit. Without an amount the question is whether the
    authority is held at all.

    :param grants: the rep's grants (any authorities, any state).
    :param amount: the amount asked about, in the authority's unit; ``None`` for any.
    :param holder_active: ``False`` when the rep's account is deactivated.
    :param name: the authority's name for the sentence (``"Refund"``); the code if none.
    :param tz: the time zone whose calendar dates the sentence gives.
    :raises ValueError: a negative amount.
    :return: the decision with the limit, unit and expiry of the grant that counts.
    """
    if amount is not None and amount < 0:
        raise ValueError("amount must not be negative")
    name = name or code
    if not holder_active:
        return Decision(
            False,
            DecisionCode.ACCOUNT_DEACTIVATED,
            "The rep's account is deactivated, so no authority applies.",
        )
    grant = current_grant(list(grants), code)
    if grant is None:
        return Decision(
            False,
            DecisionCode.NEVER_GRANTED,
            f"{name} was never granted to this rep.",
        )
    state = grant_state(grant, grant, at)
    if state is GrantState.REVOKED:
        return Decision(
            False,
            DecisionCode.REVOKED,
            f"{name} was revoked on {format_day(grant.revoked_at, tz)}.",
            unit=grant.unit,
            revoked_at=grant.revoked_at,
        )
    if state is GrantState.EXPIRED:
        return Decision(
            False,
            DecisionCode.EXPIRED,
            f"{name} expired on {format_day(grant.expires_at, tz)}.",
            unit=grant.unit,
            expires_at=grant.expires_at,
        )
    held = f"{name} is allowed up to {format_amount(grant.limit, grant.unit)}"
    terms = {"limit": grant.limit, "unit": grant.unit, "expires_at": grant.expires_at}
    if amount is None:
        until = format_day(grant.expires_at, tz)
        return Decision(True, DecisionCode.HELD, f"{held} until {until}.", **terms)
    asked = format_amount(amount, grant.unit)
    if amount <= grant.limit:
        return Decision(
            True,
            DecisionCode.WITHIN_LIMIT,
            f"{held}; {asked} is within the limit.",
            **terms,
        )
    return Decision(
        False, DecisionCode.OVER_LIMIT, f"{held}; {asked} is over the limit.", **terms
    )


def is_expiring(
    grant: GrantFact, at: dt.datetime, within: dt.timedelta = EXPIRY_WARNING
) -> bool:
    """An active grant that ends within ``within`` of ``at``: time to re-certify."""
    return at < grant.expires_at <= at + within and (
        grant.revoked_at is None or grant.revoked_at > at
    )


def expires_at(granted_at: dt.datetime, validity_days: int) -> dt.datetime:
    return granted_at + dt.timedelta(days=validity_days)


# --- sign-off rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Prerequisite:
    """One prerequisite scenario and whether the rep's pass still counts."""

    key: str
    passed_at: dt.datetime | None
    valid_until: dt.datetime | None

    @property
    def ok(self) -> bool:
        return self.passed_at is not None


def check_prerequisites(
    keys: Sequence[str],
    last_passes: Mapping[str, dt.datetime],
    validity_days: int,
    at: dt.datetime,
) -> list[Prerequisite]:
    """Each prerequisite scenario with the pass that counts for it.

    A pass counts when it is no older than the authority's validity.

    :param last_passes: scenario key -> the rep's most recent pass.
    """
    window = dt.timedelta(days=validity_days)
    result = []
    for key in keys:
        passed = last_passes.get(key)
        if passed is not None and passed + window <= at:
            passed = None
        result.append(
            Prerequisite(key, passed, passed + window if passed is not None else None)
        )
    return result


def request_problems(
    *,
    limit: Decimal,
    max_limit: Decimal,
    prerequisites: Sequence[Prerequisite],
    unit: str = "",
    titles: Mapping[str, str] | None = None,
    held: Decimal | None = None,
    lower_confirmed: bool = False,
) -> dict[str, list[str]]:
    """Why a sign-off request may not be made (field -> messages); empty when it may.

    :param limit: the limit asked for.
    :param max_limit: the catalogue maximum.
    :param held: the limit of the grant the rep holds now, if any: an approval replaces
        it, so asking for less lowers it, and is made only when ``lower_confirmed``.
    """
    titles = titles or {}
    problems: dict[str, list[str]] = {}
    if limit <= 0:
        problems.setdefault("limit", []).append("Ask for a limit above zero.")
    elif limit > max_limit:
        problems.setdefault("limit", []).append(
            f"The catalogue allows at most {format_amount(max_limit, unit)}."
        )
    elif held is not None and limit < held and not lower_confirmed:
        problems.setdefault("limit", []).append(
            f"{format_amount(held, unit)} is held now, and an approval replaces it: "
            f"{format_amount(limit, unit)} would lower it. Ask for "
            f"{format_amount(held, unit)} or more, or tick the box below to lower it."
        )
    missing = [p for p in prerequisites if not p.ok]
    if missing:
        names = ", ".join(titles.get(p.key, p.key) for p in missing)
        problems.setdefault("", []).append(
            f"Pass the prerequisite scenarios first (within their validity): {names}."
        )
    return problems


def approvals_needed(limit: Decimal, two_person_limit: Decimal | None) -> int:
    """How many different supervisors must approve a grant at ``limit``."""
    if two_person_limit is not None and limit > two_person_limit:
        return 2
    return 1


def approval_problems(
    *,
    approver_id: int,
    rep_id: int,
    requester_id: int | None,
    may_supervise: bool,
    prior_approver_ids: Iterable[int],
    limit: Decimal,
    max_limit: Decimal,
    unit: str = "",
) -> dict[str, list[str]]:
    """Why this supervisor may not approve at ``limit``; empty when they may.

    Nobody approves their own request or their own authority; only a supervisor of the
    rep's team approves; one supervisor counts once; the limit is above zero and at most
    the catalogue maximum. Problems with the person are under ``""``, with the limit
    under ``"limit"``.
    """
    who: list[str] = []
    if approver_id == rep_id:
        who.append("Nobody can sign off their own authority.")
    elif approver_id == requester_id:
        who.append("You made this request, so another supervisor must approve it.")
    elif not may_supervise:
        who.append("Only a supervisor of this rep's team can approve.")
    if approver_id in set(prior_approver_ids):
        who.append(
            "You have already approved this request; a second supervisor must approve."
        )
    amount: list[str] = []
    if limit <= 0:
        amount.append("Approve a limit above zero, or decline the request.")
    elif limit > max_limit:
        amount.append(
            f"The catalogue maximum is {format_amount(max_limit, unit)}; "
            "approve at most that."
        )
    problems = {}
    if who:
        problems[""] = who
    if amount:
        problems["limit"] = amount
    return problems


def granted_limit(approved_limits: Sequence[Decimal]) -> Decimal:
    """The limit a grant carries: the lowest any approving supervisor agreed to."""
    return min(approved_limits)


def is_complete(
    approved_limits: Sequence[Decimal], two_person_limit: Decimal | None
) -> bool:
    """Enough different supervisors have approved for a grant to be made.

    The lowest approved limit decides how many approvals are needed.
    """
    if not approved_limits:
        return False
    return len(approved_limits) >= approvals_needed(
        granted_limit(approved_limits), two_person_limit
    )
