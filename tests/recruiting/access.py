"""Access rules for the recruiting endpoints.

Hiring managers and admins manage recruiting; leadership reads; reps and supervisors have
no access. The candidate's test pages are public: the token in the link is the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.access import Role
from recruiting import invitation_operations, operations
from recruiting.pipeline import Stage
from tests.access import PUBLIC, Access, World, roles

MANAGE = roles(Role.ADMIN, Role.HIRING_MANAGER)
READ = roles(Role.ADMIN, Role.HIRING_MANAGER, Role.LEADERSHIP)
DEFAULT_YAML = (
    Path(__file__).resolve().parents[2] / "recruiting/assessments/default.yaml"
).read_text()


def _candidate(opening, name: str, *stages: Stage, by):
    candidate = operations.add_candidate(
        opening,
        operations.CandidateInput(name=name, email=f"{name.lower()}@example.org"),
        by=by,
    )
    for stage in stages:
        operations.move_candidate(candidate, stage, "matrix", by=by)
    return candidate


def populate(world: World) -> None:
    """An opening with candidates at offer, at interview and with a test result, and an
    unused test link."""
    manager = world.users[Role.HIRING_MANAGER]
    assessment = operations.load_assessment(DEFAULT_YAML, by="test").assessment
    opening = operations.save_opening(
        None,
        operations.OpeningInput(
            title="Matrix opening",
            team_id=world.team.id,
            assessment_id=assessment.id,
            weights={"empathy": 1, "ownership": 1},
        ),
        by=manager,
    )
    at_offer = _candidate(opening, "Offer", Stage.INTERVIEW, Stage.OFFER, by=manager)
    at_interview = _candidate(opening, "Interview", Stage.INTERVIEW, by=manager)
    tested = _candidate(opening, "Tested", by=manager)
    invitation, _ = invitation_operations.create_invitation(tested, by=manager)
    invitation_operations.start_test(invitation)
    invitation_operations.submit_test(invitation)
    linked = _candidate(opening, "Linked", Stage.SCREENING, by=manager)
    link, token = invitation_operations.create_invitation(linked, by=manager)
    world.extra["recruiting"] = {
        "opening": opening.id,
        "assessment": assessment.id,
        "offer": at_offer.id,
        "interview": at_interview.id,
        "tested": tested.id,
        "linked": linked.id,
        "invitation": link.id,
        "token": token,
    }


def _url(template: str) -> Callable[[World], str]:
    return lambda w: template.format(**w.extra["recruiting"])


MATRIX: dict[str, Access] = {
    "recruiting.opening_list": Access(READ, "/recruiting/"),
    "recruiting.opening_create": Access(MANAGE, "/recruiting/openings/new"),
    "recruiting.opening_edit": Access(
        MANAGE, _url("/recruiting/openings/{opening}/edit")
    ),
    "recruiting.opening_status": Access(
        MANAGE,
        _url("/recruiting/openings/{opening}/status"),
        "POST",
        data={"status": "closed"},
    ),
    "recruiting.opening_board": Access(
        READ, _url("/recruiting/openings/{opening}/board")
    ),
    "recruiting.opening_ranked": Access(
        READ, _url("/recruiting/openings/{opening}/ranked")
    ),
    "recruiting.opening_compare": Access(
        READ, _url("/recruiting/openings/{opening}/compare?c={tested}&c={offer}")
    ),
    "recruiting.candidate_import": Access(
        MANAGE, _url("/recruiting/openings/{opening}/import")
    ),
    "recruiting.candidate_list": Access(READ, "/recruiting/candidates"),
    "recruiting.candidate_create": Access(MANAGE, "/recruiting/candidates/new"),
    "recruiting.candidate_detail": Access(
        READ, _url("/recruiting/candidates/{tested}")
    ),
    "recruiting.candidate_edit": Access(
        MANAGE, _url("/recruiting/candidates/{tested}/edit")
    ),
    "recruiting.candidate_move": Access(
        MANAGE,
        _url("/recruiting/candidates/{linked}/move"),
        "POST",
        data={"to_stage": "interview", "reason": ""},
    ),
    "recruiting.candidate_invite": Access(
        MANAGE,
        _url("/recruiting/candidates/{linked}/invitations"),
        "POST",
        data={"days": "7"},
    ),
    "recruiting.invitation_link": Access(
        MANAGE, _url("/recruiting/invitations/{invitation}/link")
    ),
    "recruiting.candidate_hired": Access(
        MANAGE, _url("/recruiting/candidates/{offer}/hired")
    ),
    "recruiting.candidate_reveal": Access(
        MANAGE,
        _url("/recruiting/candidates/{tested}/reveal"),
        "POST",
        data={"reason": "data_request"},
    ),
    "recruiting.invitation_revoke": Access(
        MANAGE, _url("/recruiting/invitations/{invitation}/revoke"), "POST"
    ),
    "recruiting.candidate_rate": Access(
        MANAGE,
        _url("/recruiting/candidates/{tested}/rating"),
        "POST",
        data={"rating": "4"},
    ),
    "recruiting.candidate_scorecard": Access(
        MANAGE, _url("/recruiting/candidates/{interview}/scorecard")
    ),
    "recruiting.candidate_hire": Access(
        MANAGE, _url("/recruiting/candidates/{offer}/hire")
    ),
    "recruiting.candidate_export": Access(
        MANAGE, _url("/recruiting/candidates/{tested}/export"), "POST"
    ),
    "recruiting.candidate_erase": Access(
        MANAGE, _url("/recruiting/candidates/{tested}/erase")
    ),
    "recruiting.assessment_list": Access(READ, "/recruiting/assessments"),
    "recruiting.assessment_detail": Access(
        READ, _url("/recruiting/assessments/{assessment}")
    ),
    # The candidate's test: public, reached only through the token.
    "recruiting.take": Access(PUBLIC, _url("/recruiting/test/{token}")),
    "recruiting.take_start": Access(
        PUBLIC, _url("/recruiting/test/{token}/start"), "POST"
    ),
    "recruiting.take_answer": Access(
        PUBLIC,
        _url("/recruiting/test/{token}/answer"),
        "POST",
        data={"item": "refund-within-authority", "best": "a"},
    ),
    "recruiting.take_submit": Access(
        PUBLIC, _url("/recruiting/test/{token}/submit"), "POST"
    ),
    # The API: tokens acting with a role.
    "recruiting_api.opening_list": Access(READ, "/api/v1/openings", api=True),
    "recruiting_api.candidate_list": Access(
        READ, _url("/api/v1/candidates?opening={opening}"), api=True
    ),
    "recruiting_api.candidate_create": Access(
        MANAGE,
        "/api/v1/candidates",
        "POST",
        data=lambda w: {
            "opening_id": w.extra["recruiting"]["opening"],
            "name": "Api Person",
            "email": "api.person@example.org",
        },
        api=True,
    ),
    "recruiting_api.invitation_create": Access(
        MANAGE,
        _url("/api/v1/candidates/{linked}/invitations"),
        "POST",
        data={},
        api=True,
    ),
}
