"""A policy impact review: what a proposal, comment, vote and decision need, who may do
what, and who to retrain after an adopted change."""

from __future__ import annotations

import datetime as dt

import pytest

from core.access import Role, Viewer
from voice.policies import (
    Outcome,
    PolicyStatus,
    RetrainRow,
    Vote,
    can_decide,
    can_edit,
    can_post,
    comment_problems,
    comments_open,
    decision_problems,
    links_problems,
    proposal_problems,
    vote_counts,
    vote_problems,
    who_to_retrain,
)

TODAY = dt.date(2026, 11, 10)
OPEN, DECIDED = PolicyStatus.OPEN, PolicyStatus.DECIDED


def viewer(*roles: Role, user_id: int = 1) -> Viewer:
    return Viewer(user_id, frozenset(roles))


def test_a_proposal_needs_a_title_a_change_and_a_closing_date_ahead() -> None:
    assert proposal_problems("Card refunds", "Only to the card.", TODAY, TODAY) == {}
    problems = proposal_problems(" ", "", None, TODAY)
    assert problems == {
        "title": ["Give the change a short title."],
        "change": ["Say what changes: the policy or procedure as it would be."],
        "closes_on": ["Give the date comments close."],
    }
    past = proposal_problems("T", "C", TODAY - dt.timedelta(days=1), TODAY)
    assert past["closes_on"] == [
        "Give a date from today (10 Nov 2026) on: reps need time to comment."
    ]
    far = proposal_problems("T", "C", TODAY + dt.timedelta(days=366), TODAY)
    assert far["closes_on"] == ["Give a date within 365 days, by 10 Nov 2027."]
    assert proposal_problems("x" * 201, "C", TODAY, TODAY)["title"] == [
        "Use at most 200 characters."
    ]


def test_an_edit_may_keep_its_closing_date_once_past_but_not_move_it_into_the_past() -> (
    None
):
    was = TODAY - dt.timedelta(days=3)
    assert proposal_problems("T", "C", was, TODAY, was=was) == {}
    assert "closes_on" in proposal_problems(
        "T", "C", was - dt.timedelta(days=1), TODAY, was=was
    )


def test_comments_and_votes_are_taken_while_open_to_the_closing_day() -> None:
    assert comments_open(OPEN, TODAY, TODAY)
    assert not comments_open(OPEN, TODAY - dt.timedelta(days=1), TODAY)
    assert not comments_open(DECIDED, TODAY + dt.timedelta(days=5), TODAY)
    assert comment_problems("Customers lose out.", OPEN, TODAY, TODAY) == {}
    assert comment_problems("  ", OPEN, TODAY, TODAY) == {
        "body": ["Say how the change would affect customers."]
    }
    assert comment_problems("Hi", OPEN, dt.date(2026, 11, 9), TODAY) == {
        "": ["Comments and votes closed on 09 Nov 2026."]
    }
    assert vote_problems("support", DECIDED, TODAY, TODAY) == {
        "": ["The change is decided; comments and votes are closed."]
    }
    assert vote_problems("maybe", OPEN, TODAY, TODAY) == {
        "vote": ["Choose support, oppose or concerned."]
    }
    assert vote_problems("concerned", OPEN, TODAY, TODAY) == {}


@pytest.mark.parametrize(
    ("status", "outcome", "note", "closes_on", "field", "message"),
    [
        (DECIDED, "adopted", "Heard.", TODAY, "", "decided already"),
        (OPEN, "kept", "Heard.", dt.date(2026, 11, 1), "outcome", "Choose adopted"),
        (OPEN, "adopted", " ", dt.date(2026, 11, 1), "note", "Say what was heard"),
        (OPEN, "adopted", "Heard.", TODAY, "outcome", "Comments are open until"),
        (OPEN, "amended", "Heard.", TODAY, "outcome", "Comments are open until"),
    ],
)
def test_a_decision_out_of_order_or_without_a_note_is_refused(
    status: PolicyStatus,
    outcome: str,
    note: str,
    closes_on: dt.date,
    field: str,
    message: str,
) -> None:
    problems = decision_problems(status, outcome, note, closes_on, TODAY)
    assert message in " ".join(problems[field])


def test_a_proposal_may_be_dropped_while_open_and_adopted_once_comments_close() -> None:
    assert decision_problems(OPEN, "dropped", "Withdrawn.", TODAY, TODAY) == {}
    closed = TODAY - dt.timedelta(days=1)
    assert decision_problems(OPEN, "adopted", "Heard.", closed, TODAY) == {}


def test_only_an_adopted_or_amended_change_links_training() -> None:
    assert links_problems(DECIDED, Outcome.ADOPTED) == {}
    assert links_problems(DECIDED, Outcome.AMENDED) == {}
    assert links_problems(DECIDED, Outcome.DROPPED)
    assert links_problems(OPEN, None)


def test_who_posts_edits_and_decides() -> None:
    assert can_post(viewer(Role.LEADERSHIP), (), 7)
    assert can_post(viewer(Role.ADMIN), (), None)
    assert can_post(viewer(Role.REP), {7}, 7)
    assert can_post(viewer(Role.REP), {7}, None)
    assert not can_post(viewer(Role.REP), {7}, 8)
    assert not can_post(viewer(Role.SUPERVISOR), (), None)
    assert can_edit(viewer(Role.REP, user_id=4), 4, OPEN)
    assert not can_edit(viewer(Role.REP, user_id=4), 4, DECIDED)
    assert not can_edit(viewer(Role.LEADERSHIP, user_id=5), 4, OPEN)
    assert can_decide(viewer(Role.HIRING_MANAGER, user_id=4), 4)
    assert can_decide(viewer(Role.LEADERSHIP, user_id=5), 4)
    assert not can_decide(viewer(Role.SUPERVISOR, user_id=5), 4)


def test_votes_are_counted_in_a_fixed_order() -> None:
    counts = vote_counts([Vote.OPPOSE, Vote.SUPPORT, Vote.OPPOSE])
    assert list(counts.items()) == [
        (Vote.SUPPORT, 1),
        (Vote.OPPOSE, 2),
        (Vote.CONCERNED, 0),
    ]


def test_who_to_retrain_lists_reps_who_passed_or_hold_what_changed() -> None:
    rows = who_to_retrain(
        [(1, "Ana"), (2, "Bo"), (3, "Cy")],
        passed={1: {"lost-shipment", "other"}, 3: {"other"}},
        held={2: {"refund"}, 3: {"goodwill"}},
        scenarios={"lost-shipment": "The lost parcel"},
        authorities={"refund": "Refund"},
    )
    assert rows == [
        RetrainRow(1, "Ana", ("The lost parcel",), ()),
        RetrainRow(2, "Bo", (), ("Refund",)),
    ]
