"""The authority rules: decide() for the register and the API, and the sign-off rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from training.assignments import AssignmentState, counts_towards, progress
from training.authority import (
    GrantFact,
    GrantState,
    Prerequisite,
    approval_problems,
    approvals_needed,
    check_prerequisites,
    decide,
    format_amount,
    grant_state,
    granted_limit,
    is_complete,
    is_expiring,
    request_problems,
)

NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


def days(n: float) -> dt.datetime:
    return NOW + dt.timedelta(days=n)


def grant(
    limit: int = 200,
    *,
    code: str = "refund",
    granted: float = -10,
    expires: float = 300,
    revoked: float | None = None,
    reason: str = "",
    grant_id: int = 1,
    unit: str = "USD",
) -> GrantFact:
    return GrantFact(
        code=code,
        limit=Decimal(limit),
        unit=unit,
        granted_at=days(granted),
        expires_at=days(expires),
        revoked_at=None if revoked is None else days(revoked),
        revoked_reason=reason,
        grant_id=grant_id,
    )


@pytest.mark.parametrize(
    ("grants", "amount", "allowed", "limit", "code", "reason"),
    [
        ([], 50, False, None, "never_granted", "Refund was never granted to this rep."),
        (
            [grant()],
            120,
            True,
            200,
            "within_limit",
            "Refund is allowed up to 200 USD; 120 USD is within the limit.",
        ),
        (
            [grant()],
            200,
            True,
            200,
            "within_limit",
            "Refund is allowed up to 200 USD; 200 USD is within the limit.",
        ),
        (
            [grant()],
            250,
            False,
            200,
            "over_limit",
            "Refund is allowed up to 200 USD; 250 USD is over the limit.",
        ),
        (
            [grant()],
            None,
            True,
            200,
            "held",
            "Refund is allowed up to 200 USD until 28 March 2027.",
        ),
        (
            [grant(expires=-1)],
            10,
            False,
            None,
            "expired",
            "Refund expired on 31 May 2026.",
        ),
        (
            [grant(revoked=-2, reason="misuse")],
            10,
            False,
            None,
            "revoked",
            "Refund was revoked on 30 May 2026.",
        ),
        (
            [grant(code="replacement")],
            10,
            False,
            None,
            "never_granted",
            "Refund was never granted to this rep.",
        ),
        (
            [grant(500, granted=-100, grant_id=1), grant(100, granted=-5, grant_id=2)],
            300,
            False,
            100,
            "over_limit",
            "Refund is allowed up to 100 USD; 300 USD is over the limit.",
        ),
        (
            [
                grant(500, granted=-100, grant_id=1),
                grant(100, granted=-5, revoked=-1, grant_id=2),
            ],
            50,
            False,
            None,
            "revoked",
            "Refund was revoked on 31 May 2026.",
        ),
        (
            [grant(2, unit="level")],
            3,
            False,
            2,
            "over_limit",
            "Refund is allowed up to level 2; level 3 is over the limit.",
        ),
    ],
    ids=[
        "none",
        "within",
        "at-limit",
        "over",
        "any-amount",
        "expired",
        "revoked",
        "other-authority",
        "newest-grant-counts",
        "revoking-newest-does-not-revive-older",
        "levels",
    ],
)
def test_decide_answers_with_a_code_and_a_sentence(
    grants, amount, allowed, limit, code, reason
) -> None:
    decision = decide(
        grants,
        "refund",
        None if amount is None else Decimal(amount),
        NOW,
        name="Refund",
    )
    assert decision.allowed is allowed
    assert decision.limit == (None if limit is None else Decimal(limit))
    assert (decision.code, decision.reason) == (code, reason)


def test_without_a_name_the_sentence_names_the_code() -> None:
    assert decide([], "refund", None, NOW).reason == (
        "refund was never granted to this rep."
    )


def test_dates_in_the_sentence_are_the_organisation_s_calendar_days() -> None:
    # 31 May 2026 23:30 UTC is already 1 June in Tokyo.
    g = grant(expires=-(9.5 / 24))
    assert decide([g], "refund", None, NOW, name="Refund").reason == (
        "Refund expired on 31 May 2026."
    )
    tokyo = decide([g], "refund", None, NOW, name="Refund", tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo.reason == "Refund expired on 1 June 2026."


def test_grant_is_void_after_expiry() -> None:
    g = grant(expires=1)
    assert decide([g], "refund", Decimal(1), days(0.99)).allowed
    assert not decide([g], "refund", Decimal(1), days(1)).allowed


def test_revocation_counts_from_its_moment() -> None:
    g = grant(revoked=0)
    assert decide([g], "refund", Decimal(1), days(-0.01)).allowed
    assert not decide([g], "refund", Decimal(1), NOW).allowed


def test_a_deactivated_rep_may_do_nothing() -> None:
    decision = decide([grant()], "refund", Decimal(1), NOW, holder_active=False)
    assert not decision.allowed
    assert decision.code == "account_deactivated"
    assert (
        decision.reason == "The rep's account is deactivated, so no authority applies."
    )


def test_negative_amount_is_misuse() -> None:
    with pytest.raises(ValueError, match="negative"):
        decide([grant()], "refund", Decimal(-1), NOW)


def test_the_decision_serialises_for_the_api() -> None:
    assert decide([grant()], "refund", Decimal(5), NOW, name="Refund").as_dict() == {
        "allowed": True,
        "reason_code": "within_limit",
        "reason": "Refund is allowed up to 200 USD; 5 USD is within the limit.",
        "limit": 200.0,
        "unit": "USD",
        "expires_at": "2027-03-28T09:00:00+00:00",
        "revoked_at": None,
    }


def test_a_revocation_gives_its_state_and_date_never_the_supervisor_s_note() -> None:
    note = "Refunded his own brother twice"
    answer = decide([grant(revoked=-2, reason=note)], "refund", Decimal(5), NOW)
    assert answer.as_dict()["reason_code"] == "revoked"
    assert answer.as_dict()["revoked_at"] == "2026-05-30T09:00:00+00:00"
    assert note not in str(answer.as_dict())


def test_grant_states() -> None:
    old, new = grant(grant_id=1, granted=-50), grant(grant_id=2, granted=-1)
    assert grant_state(old, new, NOW) is GrantState.SUPERSEDED
    assert grant_state(new, new, NOW) is GrantState.ACTIVE
    assert grant_state(grant(expires=-1), None, NOW) is GrantState.EXPIRED
    assert grant_state(grant(revoked=-1), None, NOW) is GrantState.REVOKED


@pytest.mark.parametrize(
    ("expires", "revoked", "expected"),
    [
        (10, None, True),
        (30, None, True),
        (31, None, False),
        (-1, None, False),
        (10, -1, False),
    ],
)
def test_expiring_within_thirty_days(expires, revoked, expected) -> None:
    assert is_expiring(grant(expires=expires, revoked=revoked), NOW) is expected


@pytest.mark.parametrize(
    ("amount", "unit", "text"),
    [
        (Decimal("150.00"), "USD", "150 USD"),
        (Decimal("12.5"), "USD", "12.50 USD"),
        (2, "level", "level 2"),
        (None, "USD", "—"),
    ],
)
def test_format_amount(amount, unit, text) -> None:
    assert format_amount(amount, unit) == text


# --- sign-off rules -----------------------------------------------------------------------


def test_prerequisites_must_be_passed_within_validity() -> None:
    passes = {"fresh": days(-10), "stale": days(-400)}
    result = check_prerequisites(["fresh", "stale", "never"], passes, 365, NOW)
    assert [p.ok for p in result] == [True, False, False]
    assert result[0].valid_until == days(355)


@pytest.mark.parametrize(
    ("limit", "prereqs", "expected"),
    [
        (100, [True], {}),
        (600, [True], {"limit": ["The catalogue allows at most 500 USD."]}),
        (0, [True], {"limit": ["Ask for a limit above zero."]}),
        (100, [False], {"": ["Pass the prerequisite scenarios first"]}),
    ],
)
def test_request_rules(limit, prereqs, expected) -> None:
    prerequisites = [
        Prerequisite("s", days(-1) if ok else None, None) for ok in prereqs
    ]
    problems = request_problems(
        limit=Decimal(limit),
        max_limit=Decimal(500),
        prerequisites=prerequisites,
        unit="USD",
    )
    assert set(problems) == set(expected)
    for field, messages in expected.items():
        assert messages[0] in problems[field][0]


@pytest.mark.parametrize(
    ("limit", "held", "confirmed", "refused"),
    [
        (100, None, False, False),  # nothing held
        (150, 150, False, False),  # the same limit renews
        (200, 150, False, False),  # more raises it
        (100, 150, False, True),  # less would lower it: asked to confirm
        (100, 150, True, False),  # confirmed
    ],
)
def test_asking_for_less_than_is_held_needs_a_confirmation(
    limit, held, confirmed, refused
) -> None:
    problems = request_problems(
        limit=Decimal(limit),
        max_limit=Decimal(500),
        prerequisites=[Prerequisite("s", days(-1), None)],
        unit="USD",
        held=None if held is None else Decimal(held),
        lower_confirmed=confirmed,
    )
    if refused:
        assert problems == {
            "limit": [
                "150 USD is held now, and an approval replaces it: 100 USD would "
                "lower it. Ask for 150 USD or more, or tick the box below to lower it."
            ]
        }
    else:
        assert problems == {}


REP, REQUESTER, SUP, OTHER = 1, 1, 2, 3


def approve(**changes):
    args = {
        "approver_id": SUP,
        "rep_id": REP,
        "requester_id": REQUESTER,
        "may_supervise": True,
        "prior_approver_ids": [],
        "limit": Decimal(100),
        "max_limit": Decimal(500),
        "unit": "USD",
    }
    args.update(changes)
    return approval_problems(**args)


def test_a_supervisor_of_the_team_may_approve() -> None:
    assert approve() == {}


def test_supervisor_cannot_sign_off_own_request() -> None:
    problems = approve(requester_id=SUP)
    assert "another supervisor must approve" in problems[""][0]


def test_nobody_signs_off_their_own_authority() -> None:
    assert "their own authority" in approve(rep_id=SUP, requester_id=SUP)[""][0]


def test_only_the_reps_supervisors_approve() -> None:
    assert "Only a supervisor" in approve(may_supervise=False)[""][0]


def test_the_same_supervisor_cannot_approve_twice() -> None:
    assert "already approved" in approve(prior_approver_ids=[SUP])[""][0]


@pytest.mark.parametrize(("limit", "ok"), [(500, True), (501, False), (0, False)])
def test_approval_limit_is_at_most_the_catalogue_maximum(limit, ok) -> None:
    assert ("limit" not in approve(limit=Decimal(limit))) is ok


@pytest.mark.parametrize(
    ("limit", "two_person", "needed"),
    [(200, 200, 1), (201, 200, 2), (500, None, 1), (1, 0, 2)],
)
def test_two_person_rule(limit, two_person, needed) -> None:
    tp = None if two_person is None else Decimal(two_person)
    assert approvals_needed(Decimal(limit), tp) == needed


def test_a_second_approval_completes_and_the_lower_limit_counts() -> None:
    assert not is_complete([Decimal(300)], Decimal(200))
    assert is_complete([Decimal(300), Decimal(250)], Decimal(200))
    assert granted_limit([Decimal(300), Decimal(250)]) == Decimal(250)
    # One supervisor choosing a limit under the two-person line completes alone.
    assert is_complete([Decimal(150)], Decimal(200))
    assert not is_complete([], None)


# --- assignment progress ------------------------------------------------------------------

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("passed", "due", "state", "done", "next_key"),
    [
        ({"a", "b", "c"}, TODAY, AssignmentState.DONE, 3, None),
        ({"a"}, TODAY, AssignmentState.DUE, 1, "b"),
        ({"b"}, TODAY - dt.timedelta(days=1), AssignmentState.OVERDUE, 1, "a"),
        (set(), TODAY + dt.timedelta(days=3), AssignmentState.DUE, 0, "a"),
        ({"a", "b", "c"}, TODAY - dt.timedelta(days=9), AssignmentState.DONE, 3, None),
    ],
)
def test_assignment_progress(passed, due, state, done, next_key) -> None:
    result = progress(["a", "b", "c"], passed, due, TODAY)
    assert (result.state, result.done, result.next_key) == (state, done, next_key)


@pytest.mark.parametrize(
    ("days_before", "counts"), [(-5, True), (0, True), (90, True), (91, False)]
)
def test_a_recent_pass_counts_towards_new_work(days_before, counts) -> None:
    assigned = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    passed = assigned - dt.timedelta(days=days_before)
    assert counts_towards(passed, assigned) is counts
