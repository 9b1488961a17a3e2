"""The monthly sample: targeted reasons in their order, random picks from a seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quality.reviews import (
    Decision,
    ReviewState,
    counts,
    decide_problem,
    default_reviewer,
    due_on,
    edit_problem,
    is_overdue,
    rep_action_problem,
    reviewer_problem,
)
from quality.sampling import (
    Reason,
    SamplePlan,
    SampleTicket,
    pick_sample,
    reason_for,
    refund_amount,
)

PLAN = SamplePlan(random_per_rep=2, targeted_per_rep=2, slow_hours=48)


def t(ticket_id: int, rep_id: int = 1, **extra) -> SampleTicket:
    extra.setdefault("channel_group", "written")
    extra.setdefault("satisfied", True)
    return SampleTicket(ticket_id, rep_id, **extra)


@pytest.mark.parametrize(
    ("ticket", "reason"),
    [
        (t(1), None),
        (t(1, refund=Decimal(120), refund_limit=Decimal(150)), None),
        (t(1, refund=Decimal(120), refund_limit=Decimal(100)), Reason.OVER_AUTHORITY),
        (t(1, refund=Decimal(20)), Reason.OVER_AUTHORITY),  # no refund authority at all
        (t(1, satisfied=False, reopens=2), Reason.LOW_RATING),
        (t(1, reopens=1, channel_group="public"), Reason.REOPENED),
        (t(1, reopens=0, channel_group="public"), Reason.PUBLIC),
        (t(1, resolution_hours=49.0, satisfied=None), Reason.SLOW),
        (t(1, resolution_hours=48.0), None),
        (t(1, satisfied=None), Reason.NOT_RATED),
    ],
)
def test_the_first_targeted_reason_wins(ticket, reason) -> None:
    assert reason_for(ticket, PLAN) is reason


@pytest.mark.parametrize(
    ("tags", "amount"),
    [
        ([], None),
        (["vip", "refund:120"], Decimal(120)),
        (["refund_35.50", "refund-80"], Decimal(80)),
        (["refunded", "refund:abc", "refund:"], None),
        (["REFUND=5"], Decimal(5)),
    ],
)
def test_refund_amounts_are_read_from_tags(tags, amount) -> None:
    assert refund_amount(tags) == amount


def test_targeted_tickets_come_first_then_random_ones() -> None:
    tickets = [
        t(1),
        t(2, satisfied=False),
        t(3),
        t(4, refund=Decimal(500), refund_limit=Decimal(100)),
        t(5, reopens=3),
        t(6),
        t(7),
    ]
    picks = pick_sample(tickets, PLAN, seed="2024-03")
    assert [(p.ticket_id, p.reason) for p in picks[:2]] == [
        (4, Reason.OVER_AUTHORITY),
        (2, Reason.LOW_RATING),
    ]
    assert [p.reason for p in picks[2:]] == [Reason.RANDOM, Reason.RANDOM]
    assert {p.ticket_id for p in picks[2:]} <= {1, 3, 5, 6, 7}
    assert len({p.ticket_id for p in picks}) == 4


def test_the_same_seed_gives_the_same_sample_in_any_order() -> None:
    tickets = [t(i, rep_id=1 + i % 3) for i in range(1, 40)]
    first = pick_sample(tickets, PLAN, seed="2024-03")
    assert pick_sample(list(reversed(tickets)), PLAN, seed="2024-03") == first
    assert pick_sample(tickets, PLAN, seed="2024-04") != first
    assert sorted({p.rep_id for p in first}) == [1, 2, 3]
    assert all(sum(p.rep_id == rep for p in first) == 2 for rep in (1, 2, 3))


def test_a_rep_with_few_tickets_gets_them_all_once() -> None:
    picks = pick_sample([t(1, satisfied=None), t(2)], PLAN, seed="x")
    assert sorted(p.ticket_id for p in picks) == [1, 2]
    assert pick_sample([], PLAN, seed="x") == []


@pytest.mark.parametrize(
    ("rep", "supervisors", "reviewer"),
    [(1, [5, 3], 3), (3, [3, 5], 5), (3, [3], None), (1, [], None)],
)
def test_the_reviewer_is_a_supervisor_other_than_the_rep(rep, supervisors, reviewer):
    assert default_reviewer(rep, supervisors) == reviewer
    assert (reviewer_problem(reviewer, rep) is None) == (reviewer is not None)


def test_nobody_reviews_their_own_ticket() -> None:
    assert reviewer_problem(7, 7) == "Nobody reviews their own tickets."


@pytest.mark.parametrize(
    ("state", "reviewer", "user", "allowed"),
    [
        (ReviewState.DRAFT, 1, 1, True),
        (ReviewState.DRAFT, 1, 2, False),
        (ReviewState.SUBMITTED, 1, 1, False),
        (ReviewState.DECIDED, 1, 1, False),
    ],
)
def test_only_the_reviewer_edits_and_only_a_draft(state, reviewer, user, allowed):
    assert (edit_problem(state, reviewer, user) is None) is allowed


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (ReviewState.SUBMITTED, "acknowledge", True),
        (ReviewState.SUBMITTED, "dispute", True),
        (ReviewState.ACKNOWLEDGED, "dispute", True),
        (ReviewState.ACKNOWLEDGED, "acknowledge", False),
        (ReviewState.DRAFT, "acknowledge", False),
        (ReviewState.DISPUTED, "dispute", False),
        (ReviewState.DECIDED, "dispute", False),
    ],
)
def test_what_a_rep_may_do_with_a_review(state, action, allowed) -> None:
    assert (rep_action_problem(state, action) is None) is allowed


@pytest.mark.parametrize(
    ("state", "decider", "may_act", "problem"),
    [
        (ReviewState.DISPUTED, 3, True, None),
        (ReviewState.DISPUTED, 1, True, "The reviewer cannot decide"),
        (ReviewState.DISPUTED, 2, True, "Nobody decides a dispute about their own"),
        (ReviewState.DISPUTED, 3, False, "Only an admin or a supervisor"),
        (ReviewState.DECIDED, 3, True, "This dispute has been decided already."),
        (ReviewState.SUBMITTED, 3, True, "This review is not disputed."),
    ],
)
def test_who_decides_a_dispute(state, decider, may_act, problem) -> None:
    found = decide_problem(
        state, decider_id=decider, reviewer_id=1, rep_id=2, may_act=may_act
    )
    assert found == problem or (problem and found.startswith(problem))


@pytest.mark.parametrize(
    ("state", "decision", "counted"),
    [
        (ReviewState.DRAFT, None, False),
        (ReviewState.SUBMITTED, None, True),
        (ReviewState.ACKNOWLEDGED, None, True),
        (ReviewState.DISPUTED, None, False),
        (ReviewState.DECIDED, Decision.UPHELD, True),
        (ReviewState.DECIDED, Decision.WITHDRAWN, False),
    ],
)
def test_which_reviews_count_in_the_month(state, decision, counted) -> None:
    assert counts(state, decision) is counted


def test_a_sample_is_due_two_weeks_after_its_month() -> None:
    assert due_on("2024-02") == dt.date(2024, 3, 14)
    assert due_on("2024-12", days=1) == dt.date(2025, 1, 1)
    assert is_overdue(ReviewState.DRAFT, dt.date(2024, 3, 14), dt.date(2024, 3, 15))
    assert not is_overdue(
        ReviewState.SUBMITTED, dt.date(2024, 3, 14), dt.date(2024, 4, 1)
    )
