"""Pipeline rules: moves, hiring and invitation checks, link states, duplicates, blind
review, scorecard visibility and retention. No app, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from recruiting import pipeline as p
from recruiting.pipeline import LinkState, Stage

UTC = dt.UTC


@pytest.mark.parametrize(
    ("current", "target", "reason", "allowed", "message"),
    [
        (Stage.APPLIED, Stage.SCREENING, "", True, ""),
        (Stage.APPLIED, Stage.INTERVIEW, "", True, ""),  # skipping forward is fine
        (
            Stage.INTERVIEW,
            Stage.SCREENING,
            "",
            False,
            "Say why the candidate moves back",
        ),
        (Stage.INTERVIEW, Stage.SCREENING, "second look", True, ""),
        (Stage.SCREENING, Stage.SCREENING, "", False, "already at screening"),
        (Stage.OFFER, Stage.HIRED, "x", False, "Use Hire"),
        (
            Stage.ASSESSED,
            Stage.REJECTED,
            "",
            False,
            "Say why the candidate is rejected",
        ),
        (Stage.ASSESSED, Stage.REJECTED, "  ", False, "Say why"),
        (Stage.ASSESSED, Stage.REJECTED, "not a fit", True, ""),
        (Stage.OFFER, Stage.WITHDRAWN, "took another job", True, ""),
        (
            Stage.REJECTED,
            Stage.SCREENING,
            "",
            False,
            "Say why the candidacy is reopened",
        ),
        (Stage.REJECTED, Stage.SCREENING, "new role fits", True, ""),
        (
            Stage.WITHDRAWN,
            Stage.INTERVIEW,
            "back",
            False,
            "only be reopened into screening",
        ),
        (Stage.HIRED, Stage.REJECTED, "x", False, "candidacy is closed"),
    ],
)
def test_check_move(current, target, reason, allowed, message) -> None:
    check = p.check_move(current, target, reason)
    assert check.allowed is allowed
    assert message in check.reason


def test_a_missing_reason_points_at_the_reason_field() -> None:
    assert p.check_move(Stage.APPLIED, Stage.REJECTED).field == "reason"
    assert p.check_move(Stage.APPLIED, Stage.APPLIED).field == ""


@pytest.mark.parametrize(
    ("current", "moves"),
    [
        (
            Stage.APPLIED,
            [
                Stage.SCREENING,
                Stage.ASSESSED,
                Stage.INTERVIEW,
                Stage.OFFER,
                Stage.REJECTED,
                Stage.WITHDRAWN,
            ],
        ),
        (
            Stage.OFFER,
            [
                Stage.APPLIED,
                Stage.SCREENING,
                Stage.ASSESSED,
                Stage.INTERVIEW,
                Stage.REJECTED,
                Stage.WITHDRAWN,
            ],
        ),
        (Stage.REJECTED, [Stage.SCREENING]),
        (Stage.HIRED, []),
    ],
)
def test_moves_from(current, moves) -> None:
    assert p.moves_from(current) == moves


@pytest.mark.parametrize(
    ("stage", "has_account", "allowed", "message"),
    [
        (Stage.OFFER, False, True, ""),
        (Stage.INTERVIEW, False, False, "Move the candidate to offer"),
        (Stage.HIRED, False, False, "already hired"),
        (Stage.OFFER, True, False, "already logs in with this e-mail"),
    ],
)
def test_check_hire(stage, has_account, allowed, message) -> None:
    check = p.check_hire(stage, has_account=has_account)
    assert (check.allowed, message in check.reason) == (allowed, True)


@pytest.mark.parametrize(
    ("stage", "has_result", "erased", "allowed", "message"),
    [
        (Stage.APPLIED, False, False, True, ""),
        (Stage.INTERVIEW, False, False, True, ""),
        (Stage.ASSESSED, True, False, False, "already completed"),
        (Stage.REJECTED, False, False, False, "rejected; test links are closed"),
        (Stage.HIRED, False, False, False, "hired"),
        (Stage.APPLIED, False, True, False, "erased"),
    ],
)
def test_check_invite(stage, has_result, erased, allowed, message) -> None:
    check = p.check_invite(stage, has_result=has_result, is_erased=erased)
    assert check.allowed is allowed
    assert message in check.reason


NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EXPIRES = dt.datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


def facts(**changes) -> p.LinkFacts:
    values = {
        "expires_at": EXPIRES,
        "started_at": None,
        "deadline_at": None,
        "submitted_at": None,
        "revoked_at": None,
        "candidate_stage": Stage.SCREENING,
    }
    values.update(changes)
    return p.LinkFacts(**values)


STARTED = {
    "started_at": NOON,
    "deadline_at": NOON + dt.timedelta(minutes=25),
}


@pytest.mark.parametrize(
    ("link", "at", "state"),
    [
        (facts(), NOON, LinkState.READY),
        (facts(), EXPIRES, LinkState.EXPIRED),
        (facts(**STARTED), NOON + dt.timedelta(minutes=24), LinkState.IN_PROGRESS),
        (facts(**STARTED), NOON + dt.timedelta(minutes=25), LinkState.TIMED_OUT),
        # Started just before expiry: the time limit, not the expiry, decides.
        (
            facts(
                started_at=EXPIRES - dt.timedelta(minutes=1),
                deadline_at=EXPIRES + dt.timedelta(minutes=24),
            ),
            EXPIRES + dt.timedelta(minutes=10),
            LinkState.IN_PROGRESS,
        ),
        (facts(**STARTED, submitted_at=NOON), EXPIRES, LinkState.SUBMITTED),
        (facts(revoked_at=NOON), NOON, LinkState.REVOKED),
        (facts(candidate_stage=Stage.REJECTED), NOON, LinkState.CLOSED),
        (facts(candidate_stage=Stage.HIRED, **STARTED), NOON, LinkState.CLOSED),
        # A submitted test stays submitted when the candidate is later rejected.
        (
            facts(candidate_stage=Stage.REJECTED, submitted_at=NOON, **STARTED),
            NOON,
            LinkState.SUBMITTED,
        ),
    ],
)
def test_link_state(link, at, state) -> None:
    assert p.link_state(link, at) is state


def test_seconds_left_never_goes_below_zero() -> None:
    deadline = NOON + dt.timedelta(minutes=1)
    assert p.seconds_left(deadline, NOON) == 60
    assert p.seconds_left(deadline, deadline + dt.timedelta(hours=1)) == 0


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+44 20 7946 0958", "442079460958"),
        ("0044 (20) 7946-0958", "442079460958"),
        ("555-12", None),
        (None, None),
        ("", None),
    ],
)
def test_phone_key(phone, key) -> None:
    assert p.phone_key(phone) == key


KNOWN = [
    p.Known(1, opening_id=10, email="ana@example.com", phone_key="15550001111"),
    p.Known(2, opening_id=20, email="ana@example.com", phone_key=None),
    p.Known(3, opening_id=20, email="bo@example.com", phone_key="15550002222"),
    p.Known(4, opening_id=10, email=None, phone_key="15550003333"),  # erased e-mail
]


@pytest.mark.parametrize(
    ("email", "phone", "opening_id", "expected"),
    [
        ("new@example.com", None, 10, None),
        # Same e-mail on the same opening: a repeat, not to be added twice.
        ("ANA@example.com ", None, 20, p.Duplicate(2, "same e-mail", is_repeat=True)),
        ("ana@example.com", None, 10, p.Duplicate(1, "same e-mail", is_repeat=True)),
        # Same e-mail on other openings only: flagged, earliest first.
        ("ana@example.com", None, 30, p.Duplicate(1, "same e-mail", is_repeat=False)),
        # Same phone, different e-mail: flagged, never a repeat.
        (
            "other@example.com",
            "+1 555 000 2222",
            20,
            p.Duplicate(3, "same phone", is_repeat=False),
        ),
        (
            "x@example.com",
            "1 555 000 3333",
            10,
            p.Duplicate(4, "same phone", is_repeat=False),
        ),
        # An e-mail match wins over a phone match.
        (
            "bo@example.com",
            "15550001111",
            10,
            p.Duplicate(3, "same e-mail", is_repeat=False),
        ),
    ],
)
def test_find_duplicate(email, phone, opening_id, expected) -> None:
    assert p.find_duplicate(email, phone, opening_id, KNOWN) == expected


@pytest.mark.parametrize(
    ("blind", "stage", "has_seen", "hidden"),
    [
        (True, Stage.ASSESSED, False, True),
        (True, Stage.ASSESSED, True, False),  # rated (or chose to see): shown
        (False, Stage.ASSESSED, False, False),  # not a blind opening
        (True, Stage.APPLIED, False, True),  # hidden from the moment they are added
        (True, Stage.SCREENING, False, True),  # before any result too
        (True, Stage.INTERVIEW, False, True),  # a reviewer who never rated
        (True, Stage.OFFER, False, True),
        (True, Stage.REJECTED, False, True),
        (True, Stage.WITHDRAWN, False, True),
        (True, Stage.HIRED, False, False),  # a colleague now, named everywhere
    ],
)
def test_identity_hidden(blind, stage, has_seen, hidden) -> None:
    assert p.identity_hidden(blind=blind, stage=stage, has_seen=has_seen) is hidden


@pytest.mark.parametrize(
    ("target", "blind", "has_result", "has_rated", "allowed", "says"),
    [
        (Stage.INTERVIEW, True, True, False, False, "rate the test result before"),
        (Stage.OFFER, True, True, False, False, "move them to offer"),
        (Stage.HIRED, True, True, False, False, "before you hire them"),
        (Stage.INTERVIEW, True, False, False, False, "once they have taken the test"),
        (Stage.INTERVIEW, True, True, True, True, ""),
        (Stage.INTERVIEW, False, True, False, True, ""),  # not a blind opening
        (Stage.REJECTED, True, True, False, True, ""),  # judging blind is fine
        (Stage.WITHDRAWN, True, False, False, True, ""),
        (Stage.SCREENING, True, False, False, True, ""),
        (Stage.ASSESSED, True, True, False, True, ""),
    ],
)
def test_blind_moves_to_the_interview_follow_the_mover_s_rating(
    target, blind, has_result, has_rated, allowed, says
) -> None:
    check = p.check_blind_move(
        target, blind=blind, has_result=has_result, has_rated=has_rated
    )
    assert check.allowed is allowed
    assert says in check.reason


@pytest.mark.parametrize(
    ("interviewer", "submitted", "stage", "visible"),
    [
        (True, False, Stage.INTERVIEW, False),
        (True, True, Stage.INTERVIEW, True),
        (False, False, Stage.INTERVIEW, True),  # leadership reads, never interviews
        (True, False, Stage.HIRED, True),  # candidacy closed: open to all
        (True, False, Stage.OFFER, False),
    ],
)
def test_scorecards_visible(interviewer, submitted, stage, visible) -> None:
    assert (
        p.scorecards_visible(
            is_interviewer=interviewer, has_submitted=submitted, stage=stage
        )
        is visible
    )


@pytest.mark.parametrize(
    ("stage", "submitted", "allowed"),
    [
        (Stage.INTERVIEW, False, True),
        (Stage.OFFER, False, True),
        (Stage.INTERVIEW, True, False),
        (Stage.ASSESSED, False, False),
    ],
)
def test_check_scorecard(stage, submitted, allowed) -> None:
    assert p.check_scorecard(stage, already_submitted=submitted).allowed is allowed


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.datetime(2026, 1, 15, tzinfo=UTC), 6, dt.datetime(2026, 7, 15, tzinfo=UTC)),
        (dt.datetime(2026, 8, 31, tzinfo=UTC), 6, dt.datetime(2027, 2, 28, tzinfo=UTC)),
        (
            dt.datetime(2028, 3, 31, tzinfo=UTC),
            -1,
            dt.datetime(2028, 2, 29, tzinfo=UTC),
        ),
        (dt.datetime(2026, 12, 1, tzinfo=UTC), 1, dt.datetime(2027, 1, 1, tzinfo=UTC)),
        (
            dt.datetime(2026, 1, 1, tzinfo=UTC),
            -13,
            dt.datetime(2024, 12, 1, tzinfo=UTC),
        ),
    ],
)
def test_add_months_clamps_the_day(start, months, expected) -> None:
    assert p.add_months(start, months) == expected


CLOSED = dt.datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stage", "closed_at", "erased", "at", "due"),
    [
        (
            Stage.REJECTED,
            CLOSED,
            False,
            dt.datetime(2026, 7, 15, 9, 0, tzinfo=UTC),
            True,
        ),
        (
            Stage.REJECTED,
            CLOSED,
            False,
            dt.datetime(2026, 7, 15, 8, 59, tzinfo=UTC),
            False,
        ),
        (Stage.WITHDRAWN, CLOSED, False, dt.datetime(2027, 1, 1, tzinfo=UTC), True),
        (Stage.REJECTED, CLOSED, True, dt.datetime(2027, 1, 1, tzinfo=UTC), False),
        (Stage.HIRED, CLOSED, False, dt.datetime(2030, 1, 1, tzinfo=UTC), False),
        (Stage.SCREENING, None, False, dt.datetime(2030, 1, 1, tzinfo=UTC), False),
    ],
)
def test_is_due_for_erasure(stage, closed_at, erased, at, due) -> None:
    assert p.is_due_for_erasure(stage, closed_at, erased=erased, months=6, at=at) is due
