"""The JSON API fuzzed from its own OpenAPI document (Schemathesis, in-process WSGI).

Every operation in ``/api/v1/openapi.json`` is called with generated parameters and bodies
(valid ones and, for the request checks, ones that break the schema) using a token of a
role the endpoint allows, over a world with real openings, candidates, reps, authorities,
grants, tickets, a department and a problem report so that some generated ids and e-mails
hit records. Checks: never a 5xx; every status code is documented; every body matches the
documented schema and content type; requests that break the schema are refused with a
4xx. Bounded: a few dozen cases per operation.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode
from werkzeug.exceptions import HTTPException

from core.access import Role
from incentives.tickets import operations as ticket_operations
from tests.factories import make_api_token, make_team, make_user
from tests.quality.records import load_rubrics
from tests.recruiting.factories import make_candidate, make_opening
from tests.training.factories import load_small, make_authority, make_grant
from voice import operations as voice_operations

#: The role used for an endpoint, when it allows more than one.
PREFERENCE = [
    Role.ADMIN,
    Role.SUPERVISOR,
    Role.HIRING_MANAGER,
    Role.LEADERSHIP,
    Role.REP,
]
TICKETS = (
    "ticket_id,channel,agent_email,priority,created_at,first_response_at,solved_at,"
    "reopens,csat,nps,tags\n"
    "F-1,email,fuzz.rep@example.com,normal,2024-03-01T08:00:00Z,2024-03-01T08:30:00Z,"
    "2024-03-01T10:00:00Z,0,good,9,refund\n"
    "F-2,chat,fuzz.rep@example.com,high,2024-03-02T08:00:00Z,,2024-03-02T08:20:00Z,"
    "1,bad,3,\n"
)


@dataclass
class FuzzWorld:
    tokens: dict[Role, str]
    #: Per operation, parameters fixed to real records (the rest is generated), so that
    #: the cases reach found records as well as missing ones.
    known: dict[str, dict[str, Any]]


@pytest.fixture
def fuzz_world(seed) -> FuzzWorld:
    """Records for generated ids to hit, and a token per role."""
    with seed():
        team = make_team("Fuzz team")
        supervisor = make_user(Role.SUPERVISOR, name="Fuzz supervisor", team=team)
        team.supervisors = [supervisor]
        rep = make_user(
            Role.REP, name="Fuzz rep", email="fuzz.rep@example.com", team=team
        )
        manager = make_user(Role.HIRING_MANAGER, name="Fuzz manager")
        opening = make_opening(manager, team=team, title="Fuzz opening")
        candidates = [
            make_candidate(opening, manager, name=f"Fuzz candidate {n}")
            for n in range(3)
        ]
        load_small()
        authority = make_authority("refund")
        make_grant(rep, authority, supervisor, limit=200)
        ticket_operations.import_ticket_file(
            TICKETS.encode(),
            filename="fuzz.csv",
            file_format="frontline",
            by="fuzz",
            via="cli",
            tz=ZoneInfo("UTC"),
            now=dt.datetime(2024, 4, 1, tzinfo=dt.UTC),
        )
        load_rubrics()
        department = voice_operations.save_department(
            None,
            voice_operations.DepartmentInput(
                name="Fuzz logistics",
                owner_id=supervisor.id,
                rota_text="daily 00:00-24:00 | Fuzz desk | +44 20 7946 0000",
            ),
            by="fuzz",
        )
        problem = voice_operations.report_problem(
            voice_operations.ReportInput(
                title="Fuzz parcels crushed",
                story="The box arrived split.",
                category="shipping",
                severity="high",
                department_id=department.id,
                tickets_text="F-1",
            ),
            by=rep,
        ).report
        tokens = {role: make_api_token(role, name=f"fuzz {role}") for role in Role}
    return FuzzWorld(
        tokens,
        {
            "GET /authority-check": {
                "query": {"rep": rep.email, "authority": "refund"}
            },
            "GET /reps/{email}/authorities": {"path_parameters": {"email": rep.email}},
            "GET /candidates": {"query": {"opening": opening.id}},
            "POST /candidates": {
                "body": {
                    "opening_id": opening.id,
                    "name": "Fuzz applicant",
                    "email": "fuzz.applicant@example.com",
                }
            },
            "POST /candidates/{candidate_id}/invitations": {
                "path_parameters": {"candidate_id": candidates[0].id}
            },
            "POST /tickets": {
                "body": {
                    "source": "fuzz",
                    "tickets": [
                        {
                            "ticket_id": "F-1",
                            "channel": "email",
                            "created_at": "2024-03-04T09:00:00Z",
                        }
                    ],
                }
            },
            "GET /metrics/{month}": {"path_parameters": {"month": "2024-03"}},
            "GET /payouts/{month}": {"path_parameters": {"month": "2024-03"}},
            "GET /qa/reviews": {"query": {"month": "2024-03"}},
            "POST /qa/reviews": {
                "body": {
                    "source": "frontline",
                    "ticket": "F-2",
                    "reviewer": supervisor.email,
                    "ratings": {
                        "greeting": 1,
                        "empathy": 4,
                        "ownership": 3,
                        "resolution": "na",
                        "tone": 2,
                        "policy": 1,
                    },
                }
            },
            "GET /problems/{report_id}": {"path_parameters": {"report_id": problem.id}},
            "POST /problems": {
                "body": {
                    "reporter": rep.email,
                    "title": "Fuzz problem",
                    "story": "A customer's parcel was lost.",
                    "category": "shipping",
                    "department_id": department.id,
                    "tickets": ["F-2"],
                }
            },
            "POST /problems/{report_id}/status": {
                "path_parameters": {"report_id": problem.id},
                "body": {"by": supervisor.email, "state": "acknowledged"},
            },
            "GET /departments/{department_id}/on-call": {
                "path_parameters": {"department_id": department.id}
            },
        },
    )


def _role_for(app: Flask, case: Any) -> Role:
    """A role the endpoint lets in (its ``token_required`` roles), admin first."""
    adapter = app.url_map.bind("frontline.test")
    try:
        endpoint, _ = adapter.match(
            "/api/v1" + case.formatted_path, method=case.method.upper()
        )
    except HTTPException:  # a generated path that matches no route: any token will do
        return Role.ADMIN
    allowed = getattr(app.view_functions[endpoint], "allowed_roles", frozenset())
    return next((r for r in PREFERENCE if not allowed or r in allowed), Role.ADMIN)


#: Cases per operation: valid requests, and requests that break the schema (ten times
#: as many with ``HYPOTHESIS_PROFILE=thorough``).
_SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1
EXAMPLES = {GenerationMode.POSITIVE: 25 * _SCALE, GenerationMode.NEGATIVE: 15 * _SCALE}
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]


def _negates_only_the_token(case: Any) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    mutations = getattr(data, "mutations", None) or ()
    return bool(mutations) and all(m.parameter == "Authorization" for m in mutations)


def _fuzz(
    app: Flask, world: FuzzWorld, operation: Any, mode: GenerationMode
) -> set[int]:
    """Run one operation's cases; the status codes seen."""
    label = operation.label
    strategy = operation.as_strategy(generation_mode=mode)
    if label in world.known and mode is GenerationMode.POSITIVE:
        strategy |= operation.as_strategy(generation_mode=mode, **world.known[label])
    seen: set[int] = set()

    @given(case=strategy)
    @settings(max_examples=EXAMPLES[mode], **SETTINGS)
    def call(case: Any) -> None:
        # A query parameter with an empty name (``?opening=2&=null``) is how the
        # generator writes some negated parameters; it names no parameter of ours, so
        # ignoring it is right.
        assume(not case.query or "" not in case.query)
        # A valid token of ours, unless the case's flaw is its own token: then that
        # token is sent, and must be refused.
        headers = {}
        if not _negates_only_the_token(case):
            token = world.tokens[_role_for(app, case)]
            headers["Authorization"] = f"Bearer {token}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen.add(response.status_code)

    call()
    return seen


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_answers_as_documented(
    app: Flask, fuzz_world: FuzzWorld, mode: GenerationMode
) -> None:
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 8
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        try:
            statuses[operation.label] = _fuzz(app, fuzz_world, operation, mode)
        except Exception as e:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {e}")
    assert not failures, "\n\n".join(failures)
    if mode is GenerationMode.POSITIVE:
        # Valid requests with a token the endpoint accepts: never refused for the
        # token, and every operation reaches a real record at least once.
        for label, seen in statuses.items():
            assert not seen & {401, 403}, (label, seen)
            assert any(200 <= code < 300 for code in seen), (label, seen)


# --- what the fuzzing found, pinned -------------------------------------------------------

HUGE = "99999999999999999999999"


def _bearer(world: FuzzWorld, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/api/v1/candidates?opening={HUGE}", 400),
        (f"/api/v1/candidates?opening=-{HUGE}", 400),
        ("/api/v1/candidates?opening=1&page=0", 400),
        (f"/api/v1/candidates?opening=1&page={HUGE}", 400),
        ("/api/v1/candidates?opening=1&per_page=500", 400),
        ("/api/v1/candidates?opening=1&per_page=ten", 400),
    ],
)
def test_numbers_out_of_range_in_a_query_are_a_400_not_a_500(
    client, fuzz_world: FuzzWorld, url: str, status: int
) -> None:
    response = client.get(url, headers=_bearer(fuzz_world, Role.ADMIN))
    assert response.status_code == status
    assert response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/candidates/{HUGE}/invitations",
        f"/recruiting/candidates/{HUGE}",
        f"/training/grants/{HUGE}",
        f"/admin/users/{HUGE}",
    ],
)
def test_an_id_no_record_can_have_is_a_404(
    client, login_as, fuzz_world: FuzzWorld, seed, url: str
) -> None:
    with seed():
        admin = make_user(Role.ADMIN, Role.HIRING_MANAGER, name="Huge id admin")
    login_as(admin)
    if url.startswith("/api/"):
        response = client.post(url, json={}, headers=_bearer(fuzz_world, Role.ADMIN))
    else:
        response = client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"days": 0}, "days"), ({"time_limit_minutes": 0}, "time_limit_minutes")],
)
def test_a_zero_in_a_test_link_request_is_refused_not_replaced(
    client, fuzz_world: FuzzWorld, body: dict[str, int], field: str
) -> None:
    candidate_id = fuzz_world.known["POST /candidates/{candidate_id}/invitations"][
        "path_parameters"
    ]["candidate_id"]
    response = client.post(
        f"/api/v1/candidates/{candidate_id}/invitations",
        json=body,
        headers=_bearer(fuzz_world, Role.ADMIN),
    )
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_a_test_link_request_whose_body_is_not_json_is_refused(
    client, fuzz_world: FuzzWorld
) -> None:
    candidate_id = fuzz_world.known["POST /candidates/{candidate_id}/invitations"][
        "path_parameters"
    ]["candidate_id"]
    response = client.post(
        f"/api/v1/candidates/{candidate_id}/invitations",
        data=b"\xfe\xff{not json",
        headers={**_bearer(fuzz_world, Role.ADMIN), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
