"""A report's moves, what each needs, who may do what, escalation and ticket ids."""

from __future__ import annotations

import datetime as dt

import pytest

from core.access import Role, Viewer
from voice.workflow import (
    Escalation,
    ProblemStatus,
    can_act_on,
    can_edit_report,
    can_see_reaction,
    can_support,
    counted,
    escalation_due,
    move_problems,
    next_statuses,
    report_problems,
    ticket_ids,
    unknown_tickets_warning,
)

N, A, P, F, W, D = (
    ProblemStatus.NEW,
    ProblemStatus.ACKNOWLEDGED,
    ProblemStatus.IN_PROGRESS,
    ProblemStatus.FIXED,
    ProblemStatus.WONT_FIX,
    ProblemStatus.DUPLICATE,
)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (N, A, True),
        (N, P, False),
        (N, F, False),
        (N, W, True),
        (N, D, True),
        (A, P, True),
        (A, F, True),
        (A, N, False),
        (P, F, True),
        (P, A, False),
        (F, P, False),
        (W, A, False),
        (D, F, False),
    ],
)
def test_moves(current: ProblemStatus, target: ProblemStatus, allowed: bool) -> None:
    problems = move_problems(current, target, reason="because", duplicate_of=7)
    assert (problems == {}) is allowed
    if not allowed:
        assert list(problems) == [""]


def test_a_move_out_of_order_says_what_is_possible() -> None:
    assert move_problems(N, F) == {
        "": [
            "A report that is new cannot be moved to fixed; it can be moved to "
            "acknowledged, won't fix, duplicate."
        ]
    }
    assert move_problems(F, P)[""] == [
        "The report is closed (fixed); it cannot be moved any more."
    ]
    assert move_problems(A, A)[""] == ["The report is already acknowledged."]


@pytest.mark.parametrize("reason", ["", "   "])
def test_wont_fix_needs_a_reason(reason: str) -> None:
    assert move_problems(A, W, reason=reason) == {
        "reason": ["Say why it will not be fixed: the reporter reads the reason."]
    }


@pytest.mark.parametrize(
    ("duplicate_of", "known", "message"),
    [
        (None, True, "Give the number of the report this repeats."),
        (5, True, "A report cannot repeat itself."),
        (99, False, "There is no report number 99."),
    ],
)
def test_a_duplicate_names_another_report(
    duplicate_of: int | None, known: bool, message: str
) -> None:
    problems = move_problems(
        N, D, duplicate_of=duplicate_of, report_id=5, duplicate_is_known=known
    )
    assert problems == {"duplicate_of": [message]}


def test_next_statuses_in_order() -> None:
    assert next_statuses(N) == [A, W, D]
    assert next_statuses(A) == [P, F, W, D]
    assert next_statuses(F) == []


REP = Viewer(1, frozenset({Role.REP}))
OTHER_REP = Viewer(2, frozenset({Role.REP}))
SUPERVISOR = Viewer(3, frozenset({Role.SUPERVISOR}))
LEADER = Viewer(4, frozenset({Role.LEADERSHIP}))
HIRING = Viewer(5, frozenset({Role.HIRING_MANAGER}))


@pytest.mark.parametrize(
    ("viewer", "status", "edit", "support"),
    [
        (REP, N, True, False),  # one's own: edit, no +1
        (REP, F, False, False),  # closed: neither
        (OTHER_REP, N, False, True),
        (OTHER_REP, D, False, False),
        (SUPERVISOR, P, False, True),
        (LEADER, N, False, False),  # leadership reads; it does not report
        (HIRING, N, False, False),
    ],
)
def test_who_edits_and_who_adds_a_plus_one(
    viewer: Viewer, status: ProblemStatus, edit: bool, support: bool
) -> None:
    assert can_edit_report(viewer, REP.user_id, status) is edit
    assert can_support(viewer, REP.user_id, status) is support


@pytest.mark.parametrize(
    ("viewer", "members", "act", "reaction"),
    [
        (HIRING, frozenset({5}), True, True),  # any role may be a member
        (HIRING, frozenset({9}), False, False),
        (REP, frozenset({9}), False, False),
        (SUPERVISOR, frozenset({9}), False, True),
        (LEADER, frozenset({9}), False, True),  # sees everything, acts for nobody
        (Viewer(6, frozenset({Role.ADMIN})), frozenset(), False, True),
    ],
)
def test_who_acts_and_who_reads_the_figures(
    viewer: Viewer, members: frozenset[int], act: bool, reaction: bool
) -> None:
    assert can_act_on(viewer, members) is act
    assert can_see_reaction(viewer, members) is reaction


T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "hours", "level", "due"),
    [
        (N, 7, Escalation.NONE, None),
        (N, 8, Escalation.NONE, Escalation.OWNER),
        (N, 9, Escalation.OWNER, None),  # told once
        (N, 16, Escalation.OWNER, Escalation.LEADERSHIP),
        (N, 40, Escalation.NONE, Escalation.LEADERSHIP),  # straight up when long late
        (N, 40, Escalation.LEADERSHIP, None),
        (A, 100, Escalation.NONE, None),  # acknowledged: never
        (W, 100, Escalation.NONE, None),
    ],
)
def test_escalation(
    status: ProblemStatus, hours: int, level: Escalation, due: Escalation | None
) -> None:
    assert (
        escalation_due(
            status=status,
            created_at=T0,
            level=level,
            target_hours=8,
            at=T0 + dt.timedelta(hours=hours),
        )
        == due
    )


@pytest.mark.parametrize(
    ("text", "ids", "errors"),
    [
        ("48213, 48290", ["48213", "48290"], []),
        ("#48213 48213\n ZD-1;ZD-2", ["48213", "ZD-1", "ZD-2"], []),
        ("", [], []),
        (
            "x" * 65,
            ["x" * 65],
            [
                "A ticket id has at most 64 characters: xxxxxxxxxxxxxxxxxxxx... is longer."
            ],
        ),
        (
            " ".join(str(i) for i in range(51)),
            [str(i) for i in range(51)],
            ["Give at most 50 ticket ids at a time."],
        ),
    ],
)
def test_ticket_ids(text: str, ids: list[str], errors: list[str]) -> None:
    assert ticket_ids(text) == (ids, errors)


def test_unknown_tickets_are_named_with_the_right_plural() -> None:
    assert unknown_tickets_warning([]) == ""
    assert unknown_tickets_warning(["X1"]) == (
        "Ticket X1 is not among the imported tickets; it is kept as text."
    )
    assert unknown_tickets_warning(["X1", "X2"]) == (
        "Tickets X1, X2 are not among the imported tickets; they are kept as text."
    )


def test_a_report_needs_a_title_and_a_story() -> None:
    assert report_problems("Late parcels", "She waited two weeks.") == {}
    assert set(report_problems(" ", " \n ")) == {"title", "story"}
    assert report_problems("t" * 201, "s")["title"] == ["Use at most 200 characters."]


@pytest.mark.parametrize(
    ("count", "word", "plural", "text"),
    [
        (1, "hour", None, "1 hour"),
        (2, "hour", None, "2 hours"),
        (0, "reply", "replies", "0 replies"),
        (1200, "report", None, "1,200 reports"),
    ],
)
def test_counted(count: int, word: str, plural: str | None, text: str) -> None:
    assert counted(count, word, plural) == text
