"""Record-level access (IDOR): every role tries the ids of records outside its scope.

One organisation holds a record of each type: candidate, test link (invitation),
interview scorecard, scenario attempt, sign-off request, grant, tickets, scorecard and
dispute. Most belong to Ann, a rep in team Desk (supervisor Sam). The intruders are Bob
(a rep in the same team), Cat (a rep in team Other), Olga (Other's supervisor) and the
hiring managers for training and incentives records; reps and supervisors for recruiting
ones. Each case says who must be refused (403 or 404, and never the record's data) and
who must get through (200 and the data), so a page that refuses everyone fails too.

Pages, downloads (CSV, PDF, JSON export, ZIP) and the API are covered; lists and exports
are checked to leave the record out rather than refuse. Writes by intruders are checked
to change nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.access import Role
from core.db import db
from core.jobs import Job
from core.people import User
from incentives.scoring import operations as scoring_operations
from incentives.scoring.models import TicketDispute
from incentives.tickets.models import Ticket
from recruiting import invitation_operations, review_operations
from recruiting import operations as recruiting
from recruiting.assessment import COMPETENCIES
from recruiting.models import Candidate, InterviewScorecard, Invitation
from recruiting.pipeline import Recommendation, Stage
from tests.factories import make_api_token, make_user
from tests.helpers import csrf_token, text
from tests.incentives import scoring_world
from tests.recruiting.factories import answer_all, make_candidate, make_opening
from tests.training.factories import load_small, make_authority, make_grant, play
from training import assignment_operations as training
from training import authority_operations
from training.authority import SignoffStatus
from training.models import Assignment, Attempt, Grant, SignoffRequest

MONTH = "2024-03"
SECRET_NOTE = "Notes only the first interviewer wrote"
DISPUTE_REASON = "A colleague covered my shift that day"
CANDIDATE = "Casey Confidential"


@dataclass
class Org:
    people: dict[str, User]
    ids: dict[str, int]
    link_token: str
    tokens: dict[Role, str] = field(default_factory=dict)

    def url(self, template: str) -> str:
        return template.format(**self.ids, month=MONTH)


@pytest.fixture(scope="module")
def org(module_seed) -> Org:
    """Built once for the module; each test runs in a savepoint of it (tests/conftest.py)."""
    with module_seed():
        world = scoring_world.build()
        people = {
            "ann": world.ann,
            "bob": world.bob,
            "cat": world.cat,
            "sam": world.sam,
            "olga": world.olga,
            "leader": world.leader,
            "admin": world.admin,
            "hm1": make_user(Role.HIRING_MANAGER, name="Hana Interviewer"),
            "hm2": make_user(Role.HIRING_MANAGER, name="Hugo Interviewer"),
        }
        # Recruiting: a candidate with a result and hm1's interview scorecard, and a
        # second candidate holding a live test link.
        hm1 = people["hm1"]
        opening = make_opening(hm1, team=world.desk, title="Chat reps")
        candidate = make_candidate(opening, hm1, name=CANDIDATE, stage=Stage.SCREENING)
        answer_all(candidate, hm1)
        recruiting.move_candidate(candidate, Stage.INTERVIEW, "Strong test", by=hm1)
        review_operations.submit_scorecard(
            candidate,
            by=hm1,
            ratings=dict.fromkeys(COMPETENCIES, 4),
            recommendation=Recommendation.HIRE,
            notes=SECRET_NOTE,
        )
        waiting = make_candidate(
            opening, hm1, name="Wren Waiting", stage=Stage.SCREENING
        )
        invitation, token = invitation_operations.create_invitation(waiting, by=hm1)
        # Training: Ann's attempt, her pending sign-off request and a grant.
        load_small()
        refund = make_authority("refund", two_person_limit=None)
        credit = make_authority("goodwill_credit", prerequisites=())
        attempt = play(world.ann, [0, 0])
        request = authority_operations.request_signoff(
            world.ann, refund, limit=Decimal(100), by=world.ann
        )
        grant = make_grant(world.ann, credit, world.sam, limit=50)
        training.assign(
            training.AssignmentInput(
                due_on=dt.date.today() + dt.timedelta(days=7), scenario_key="small"
            ),
            rep=world.ann,
            by=world.sam,
            today=dt.date.today(),
        )
        # Incentives: Ann disputes one of her tickets; a finished scorecard batch.
        ticket_a3 = db.session.get(Ticket, world.tickets["A3"])
        dispute = scoring_operations.file_dispute(
            ticket_a3, by=world.ann, reason=DISPUTE_REASON
        )
        job = Job(kind="scorecards.render", function="x:y", params={"args": [MONTH]})
        db.session.add(job)
        db.session.flush()
        ids = {
            "ann": world.ann.id,
            "cat": world.cat.id,
            "desk": world.desk.id,
            "other": world.other.id,
            "opening": opening.id,
            "candidate": candidate.id,
            "waiting": waiting.id,
            "invitation": invitation.id,
            "attempt": attempt.id,
            "request": request.id,
            "grant": grant.id,
            "ticket": world.tickets["A1"],
            "dispute": dispute.id,
            "job": job.id,
        }
        tokens = {role: make_api_token(role, name=f"idor {role}") for role in Role}
    return Org(people, ids, token, tokens)


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One way to reach a record: who is refused, who gets through, and what shows it."""

    record: str
    path: str
    refused: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    #: Text that only the record's own page shows (absent from any refusal).
    marker: str = ""
    method: str = "GET"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.record}: {self.method} {self.path}"


TRAINING_INTRUDERS = ("bob", "cat", "olga", "hm1")
ANN_SEERS = ("ann", "sam", "leader", "admin")
RECRUITING_INTRUDERS = ("ann", "sam")

CASES = [
    # candidate: pages, JSON export, erasure, edits (reps and supervisors have no access;
    # leadership reads but does not change or export).
    Case(
        "candidate",
        "/recruiting/candidates/{candidate}",
        RECRUITING_INTRUDERS,
        ("hm1", "hm2", "leader", "admin"),
        CANDIDATE,
    ),
    Case(
        "candidate",
        "/recruiting/candidates/{candidate}/edit",
        (*RECRUITING_INTRUDERS, "leader"),
    ),
    Case(
        "candidate",
        "/recruiting/candidates/{candidate}/export",
        (*RECRUITING_INTRUDERS, "leader"),
        method="POST",
    ),
    Case(
        "candidate",
        "/recruiting/candidates/{candidate}/erase",
        (*RECRUITING_INTRUDERS, "leader"),
        method="POST",
        data={"confirm": "y", "why": "intruder"},
    ),
    Case(
        "candidate",
        "/recruiting/candidates/{candidate}/move",
        (*RECRUITING_INTRUDERS, "leader"),
        method="POST",
        data={"stage": "rejected", "reason": "intruder"},
    ),
    Case(
        "candidate",
        "/recruiting/openings/{opening}/ranked",
        RECRUITING_INTRUDERS,
        ("hm2", "leader"),
        CANDIDATE,
    ),
    # test link (invitation)
    Case(
        "invitation",
        "/recruiting/invitations/{invitation}/revoke",
        (*RECRUITING_INTRUDERS, "leader"),
        method="POST",
    ),
    # interview scorecard: the form is the interviewer's own; others' stay hidden until
    # one's own is in (checked separately below).
    Case(
        "scorecard (interview)",
        "/recruiting/candidates/{candidate}/scorecard",
        (*RECRUITING_INTRUDERS, "leader"),
    ),
    # scenario attempt
    Case(
        "attempt",
        "/training/attempts/{attempt}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    Case(
        "attempt",
        "/training/attempts/{attempt}/answer",
        ("bob", "cat", "olga", "sam", "hm1"),
        method="POST",
        data={"choice": "0", "step": "2"},
    ),
    Case(
        "attempt",
        "/training/register/reps/{ann}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    # sign-off request
    Case(
        "sign-off request",
        "/training/signoffs/{request}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    Case(
        "sign-off request",
        "/training/signoffs/{request}/approve",
        ("olga", "bob", "cat", "ann", "leader", "admin", "hm1"),
        method="POST",
        data={"limit": "100"},
    ),
    Case(
        "sign-off request",
        "/training/signoffs/{request}/decline",
        ("olga", "bob", "cat", "ann", "leader", "hm1"),
        method="POST",
        data={"reason": "intruder"},
    ),
    Case(
        "sign-off request",
        "/training/signoffs/{request}/withdraw",
        ("bob", "cat", "olga", "hm1"),
        method="POST",
    ),
    # grant
    Case(
        "grant",
        "/training/grants/{grant}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    Case(
        "grant",
        "/training/grants/{grant}/revoke",
        ("olga", "bob", "cat", "ann", "leader", "admin", "hm1"),
        method="POST",
        data={"reason": "intruder"},
    ),
    Case(
        "grant",
        "/training/register/teams/{desk}",
        ("olga", "bob", "cat", "hm1"),
        ("sam", "leader", "admin"),
        "Ann Example",
    ),
    # tickets: the drill-down behind a rep's figures, and disputing one
    Case(
        "ticket",
        "/incentives/reps/{ann}/tickets?month={month}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    Case(
        "ticket",
        "/incentives/tickets/{ticket}/dispute",
        ("bob", "cat", "olga", "sam", "hm1"),
    ),
    Case(
        "ticket",
        "/incentives/tickets/{ticket}/dispute",
        ("bob", "cat", "olga", "sam", "hm1"),
        method="POST",
        data={"reason": "Not mine at all"},
    ),
    # scorecard (incentives): page and PDF, the team's, the organisation's
    Case(
        "scorecard",
        "/incentives/scorecards/reps/{ann}?month={month}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "Ann Example",
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/reps/{ann}.pdf?month={month}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        "%PDF",
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/teams/{desk}?month={month}",
        ("olga", "bob", "cat", "ann", "hm1"),
        ("sam", "leader", "admin"),
        "Ann Example",
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/teams/{desk}.pdf?month={month}",
        ("olga", "bob", "cat", "ann", "hm1"),
        ("sam", "leader", "admin"),
        "%PDF",
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/leadership.pdf?month={month}",
        ("sam", "olga", "ann", "hm1"),
        ("leader", "admin"),
        "%PDF",
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/batches/{job}",
        ("sam", "olga", "ann", "hm1"),
    ),
    Case(
        "scorecard",
        "/incentives/scorecards/batches/{job}/download",
        ("sam", "olga", "ann", "hm1"),
    ),
    Case(
        "scorecard",
        "/incentives/coaching",
        ("olga", "leader", "admin", "bob", "hm1"),
        method="POST",
        data={"rep_id": "{ann}", "scenario": "small", "month": MONTH},
    ),
    # dispute
    Case(
        "dispute",
        "/incentives/disputes/{dispute}",
        TRAINING_INTRUDERS,
        ANN_SEERS,
        DISPUTE_REASON,
    ),
    Case(
        "dispute",
        "/incentives/disputes/{dispute}/decide",
        ("olga", "bob", "cat", "ann", "leader", "admin", "hm1"),
        method="POST",
        data={"decision": "exclude", "note": "intruder"},
    ),
]


def _as(client: FlaskClient, login_as: Any, user: User) -> FlaskClient:
    client.delete_cookie("session", domain="frontline.test")
    return login_as(user)


def _call(client: FlaskClient, org: Org, case: Case) -> Any:
    url = org.url(case.path)
    if case.method == "GET":
        return client.get(url)
    data = {k: org.url(v) if isinstance(v, str) else v for k, v in case.data.items()}
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def _body(response: Any) -> str:
    if response.mimetype == "application/pdf":
        return "%PDF"
    return text(response)


@pytest.mark.parametrize("record", sorted({c.record for c in CASES}))
def test_records_outside_a_user_s_scope_are_refused_on_every_path(
    client: FlaskClient, login_as: Any, org: Org, record: str
) -> None:
    problems = []
    for case in (c for c in CASES if c.record == record):
        for name in case.refused:
            viewer = org.people[name]
            response = _call(_as(client, login_as, viewer), org, case)
            if response.status_code not in (403, 404):
                problems.append(f"{case.id} as {name}: {response.status_code}")
            elif case.marker not in ("", viewer.name) and case.marker in _body(
                response
            ):
                problems.append(f"{case.id} as {name}: the refusal shows the record")
        for name in case.allowed:
            response = _call(_as(client, login_as, org.people[name]), org, case)
            if response.status_code != 200 or case.marker not in _body(response):
                problems.append(
                    f"{case.id} as {name} (allowed): {response.status_code}"
                )
    assert not problems, "\n".join(problems)


def test_intruders_writes_changed_nothing(
    app, client: FlaskClient, login_as: Any, org: Org
) -> None:
    for case in (c for c in CASES if c.method == "POST"):
        for name in case.refused:
            _call(_as(client, login_as, org.people[name]), org, case)
    with app.app_context():
        candidate = db.session.get(Candidate, org.ids["candidate"])
        assert candidate.stage is Stage.INTERVIEW
        assert candidate.name == CANDIDATE
        assert db.session.get(Invitation, org.ids["invitation"]).revoked_at is None
        attempt = db.session.get(Attempt, org.ids["attempt"])
        assert len(attempt.path) == 2
        request = db.session.get(SignoffRequest, org.ids["request"])
        assert request.status is SignoffStatus.PENDING
        grant = db.session.get(Grant, org.ids["grant"])
        assert grant.revocation is None
        assert db.session.get(TicketDispute, org.ids["dispute"]).is_open
        assert not db.session.scalars(
            select(TicketDispute).where(TicketDispute.ticket_id == org.ids["ticket"])
        ).all()


# --- lists and downloads leave out what is not yours ---------------------------------------


@pytest.mark.parametrize(
    ("path", "outsiders", "insiders", "marker"),
    [
        (
            "/training/signoffs?status=all",
            ("bob", "cat", "olga"),
            ("sam",),
            "Ann Example",
        ),
        ("/training/assignments", ("olga",), ("sam",), "Ann Example"),
        ("/training/register", ("olga",), ("sam",), "Ann Example"),
        ("/training/register.csv", ("olga",), ("sam", "leader"), "ann@example.com"),
        (
            "/incentives/metrics?month={month}",
            ("bob", "cat", "olga"),
            ("sam",),
            "Ann Example",
        ),
        (
            "/incentives/metrics?month={month}&team={desk}",
            ("olga",),
            ("sam",),
            "Ann Example",
        ),
        (
            "/incentives/metrics.csv?month={month}&team={desk}",
            ("bob", "cat", "olga"),
            ("sam", "leader"),
            "ann@example.com",
        ),
        (
            "/incentives/scores?month={month}",
            ("bob", "cat", "olga"),
            ("sam",),
            "Ann Example",
        ),
        (
            "/incentives/scores.csv?month={month}",
            ("bob", "cat", "olga"),
            ("sam", "admin"),
            "ann@example.com",
        ),
        (
            "/incentives/disputes?status=all",
            ("bob", "cat", "olga"),
            ("sam",),
            DISPUTE_REASON,
        ),
    ],
)
def test_lists_and_exports_leave_out_other_people_s_records(
    client: FlaskClient,
    login_as: Any,
    org: Org,
    path: str,
    outsiders: tuple[str, ...],
    insiders: tuple[str, ...],
    marker: str,
) -> None:
    for name in insiders:
        response = _as(client, login_as, org.people[name]).get(org.url(path))
        assert response.status_code == 200, (name, response.status_code)
        assert marker in text(response), f"{name} should see it"
    for name in outsiders:
        response = _as(client, login_as, org.people[name]).get(org.url(path))
        assert response.status_code in (200, 403), (name, response.status_code)
        assert marker not in text(response), f"{name} sees {marker!r} on {path}"


def test_another_interviewer_s_notes_stay_hidden_until_one_s_own_scorecard_is_in(
    client: FlaskClient, login_as: Any, org: Org
) -> None:
    url = org.url("/recruiting/candidates/{candidate}")
    page = text(_as(client, login_as, org.people["hm2"]).get(url))
    assert CANDIDATE in page
    assert SECRET_NOTE not in page
    for name in ("hm1", "leader"):
        assert SECRET_NOTE in text(_as(client, login_as, org.people[name]).get(url))


def test_a_test_link_opens_only_its_own_test(
    app, client: FlaskClient, org: Org
) -> None:
    own = client.get(f"/recruiting/test/{org.link_token}")
    assert own.status_code == 200
    for guess in (org.link_token[:-1] + "x", "0", str(org.ids["invitation"])):
        response = client.get(f"/recruiting/test/{guess}")
        assert response.status_code == 404, guess
        response = client.post(
            f"/recruiting/test/{guess}/answer",
            data={"item": "x", "best": "a"},
            headers={
                "X-CSRFToken": csrf_token(client, f"/recruiting/test/{org.link_token}")
            },
        )
        assert response.status_code in (400, 404), guess
    with app.app_context():
        scorecards = db.session.scalars(select(InterviewScorecard)).all()
        assert [s.notes for s in scorecards] == [SECRET_NOTE]


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "refused"),
    [
        ("GET", "/api/v1/candidates?opening={opening}", (Role.REP, Role.SUPERVISOR)),
        ("GET", "/api/v1/openings", (Role.REP, Role.SUPERVISOR)),
        (
            "POST",
            "/api/v1/candidates/{waiting}/invitations",
            (Role.REP, Role.SUPERVISOR, Role.LEADERSHIP),
        ),
        ("GET", "/api/v1/reps/{email}/authorities", (Role.REP, Role.HIRING_MANAGER)),
        (
            "GET",
            "/api/v1/authority-check?rep={email}&authority=goodwill_credit",
            (Role.REP, Role.HIRING_MANAGER),
        ),
        (
            "GET",
            "/api/v1/metrics/{month}",
            (Role.REP, Role.SUPERVISOR, Role.HIRING_MANAGER),
        ),
    ],
)
def test_api_tokens_of_roles_outside_a_record_s_scope_get_no_data(
    client: FlaskClient, org: Org, method: str, path: str, refused: tuple[Role, ...]
) -> None:
    url = path.format(**org.ids, month=MONTH, email="ann@example.com")
    for role in Role:
        headers = {"Authorization": f"Bearer {org.tokens[role]}"}
        # Each allowed token makes a new link, replacing the one made before it.
        payload = {"replace": True} if method == "POST" else {}
        response = client.open(url, method=method, headers=headers, json=payload)
        body = response.get_data(as_text=True)
        if role in refused:
            assert response.status_code == 403, (role, response.status_code)
            assert CANDIDATE not in body
            assert "Ann Example" not in body
        else:
            assert response.status_code in (200, 201), (role, response.status_code)


def test_dates_in_the_past_do_not_widen_scope(
    client: FlaskClient, login_as: Any, org: Org
) -> None:
    """Month parameters are not a way round the record checks."""
    for month in ("1999-01", "2024-02", "9999-12", "x"):
        url = f"/incentives/reps/{org.ids['ann']}/tickets?month={month}"
        response = _as(client, login_as, org.people["cat"]).get(url)
        assert response.status_code == 403, month
    assert dt.date.today().year >= 2024


def test_choosing_a_rep_outside_one_s_teams_in_a_form_creates_nothing(
    app, client: FlaskClient, login_as: Any, org: Org
) -> None:
    olga = _as(client, login_as, org.people["olga"])
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    posts = [
        (
            "/training/assignments/new",
            {"target": "s:small", "who": f"rep:{org.ids['ann']}", "due_on": due},
        ),
        (
            "/training/assignments/new",
            {"target": "s:small", "who": f"team:{org.ids['desk']}", "due_on": due},
        ),
        (
            "/training/authorities/goodwill_credit/request",
            {"rep_id": str(org.ids["ann"]), "limit": "20"},
        ),
    ]
    with app.app_context():
        before = (
            len(db.session.scalars(select(Assignment)).all()),
            len(db.session.scalars(select(SignoffRequest)).all()),
        )
    for url, data in posts:
        response = olga.post(url, data={"csrf_token": csrf_token(olga, "/"), **data})
        # The form comes back (or is refused); it never reports success.
        assert response.status_code in (200, 400, 403), (url, response.status_code)
    with app.app_context():
        after = (
            len(db.session.scalars(select(Assignment)).all()),
            len(db.session.scalars(select(SignoffRequest)).all()),
        )
    assert after == before
