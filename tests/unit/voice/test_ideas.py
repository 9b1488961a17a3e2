"""An idea's moves, what a decline needs, who submits, edits and triages, what the author
is told, and a month's bounds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.access import Role, Viewer
from voice.ideas import (
    IdeaStatus,
    IdeaStep,
    can_edit,
    can_submit,
    can_triage,
    idea_problems,
    month_bounds,
    next_statuses,
    triage_problems,
)

U, P, A, D = (
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.ADOPTED,
    IdeaStatus.DECLINED,
)


def test_an_idea_needs_a_title_and_what_and_why() -> None:
    assert idea_problems("Tracking links", "Fewer calls.") == {}
    assert idea_problems("", " ") == {
        "title": ["Give the idea a short title."],
        "body": ["Say what you would change and why it would help."],
    }


def test_the_moves_in_order() -> None:
    assert next_statuses(U) == [P, A, D]
    assert next_statuses(P) == [A, D]
    assert next_statuses(A) == []
    assert triage_problems(U, P, "") == {}
    assert triage_problems(P, A, "") == {}
    assert triage_problems(U, D, "Too costly.") == {}


@pytest.mark.parametrize(
    ("current", "target", "reason", "field", "message"),
    [
        (U, D, "  ", "reason", "Say why it is declined: the author reads the reason."),
        (U, U, "", "", "The idea is already under review."),
        (A, P, "", "", "The idea is adopted; that decision is final."),
        (D, A, "", "", "The idea is declined; that decision is final."),
        (
            P,
            U,
            "",
            "",
            "An idea that is planned cannot be moved to under review; it can be moved "
            "to adopted, declined.",
        ),
        (U, P, "x" * 2001, "reason", "Use at most 2,000 characters."),
    ],
)
def test_moves_out_of_order_and_a_decline_without_a_reason_are_refused(
    current: IdeaStatus, target: IdeaStatus, reason: str, field: str, message: str
) -> None:
    assert triage_problems(current, target, reason) == {field: [message]}


def test_who_submits_edits_and_triages() -> None:
    rep = Viewer(1, frozenset({Role.REP}))
    supervisor = Viewer(2, frozenset({Role.SUPERVISOR}), frozenset({10}))
    leader = Viewer(3, frozenset({Role.LEADERSHIP}))
    assert can_submit(rep)
    assert can_submit(supervisor)
    assert not can_submit(leader)
    assert can_edit(rep, 1, U)
    assert not can_edit(rep, 1, P)
    assert not can_edit(supervisor, 1, U)
    # A supervisor: their teams' reps, and authors with no team; never their own.
    assert can_triage(supervisor, 1, 10)
    assert can_triage(supervisor, 1, None)
    assert not can_triage(supervisor, 1, 11)
    assert not can_triage(supervisor, 2, 10)
    assert can_triage(leader, 1, 11)
    assert not can_triage(rep, 5, None)


def test_the_author_is_told_the_step_and_the_reason() -> None:
    step = IdeaStep(7, "Tracking links", D, "Too costly this year.")
    assert step.subject() == "Your idea #7: declined"
    body = step.body("Ana", "https://f.example/voice/ideas/7")
    assert 'Your idea "Tracking links" is now declined.' in body
    assert "Why: Too costly this year." in body
    adopted = IdeaStep(7, "Tracking links", A).body("Ana", "link")
    assert "credited on your scorecard" in adopted


def test_a_month_runs_in_the_organisations_time_zone() -> None:
    start, end = month_bounds("2026-11", ZoneInfo("Europe/London"))
    assert start == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    start, _ = month_bounds("2026-07", ZoneInfo("Europe/London"))
    assert start == dt.datetime(2026, 6, 30, 23, tzinfo=dt.UTC)
    for bad in ("2026-13", "2026-1", "26-11-1", "abcd-ef"):
        with pytest.raises(ValueError, match="not a month"):
            month_bounds(bad, ZoneInfo("UTC"))
