"""Access rules for the training endpoints."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from core.access import Role
from core.db import db, utcnow
from tests.access import Access, World, roles
from training import authority_operations, operations
from training.models import Assignment, Attempt, Grant, SignoffRequest
from training.scenarios import Scenario, parse_scenario

TRAINING = roles(Role.REP, Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
OVERSIGHT = roles(Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
ADMIN = roles(Role.ADMIN)
REP = roles(Role.REP)
SUPERVISOR = roles(Role.SUPERVISOR)
KEY = "refund-limits"


def populate(world: World) -> None:
    """A loaded catalogue, an attempt in progress, a pending request and a grant.

    All belong to ``world.rep``, whom ``world.users[SUPERVISOR]`` supervises.
    """
    # Only what the paths need: this runs before every test of the whole matrix.
    operations.load_scenarios(_shipped(), by="test")
    rep, supervisor = world.rep, world.users[Role.SUPERVISOR]
    refund, replacement = (
        authority_operations.save_authority(None, data, by="test")
        for data in operations.DEFAULT_AUTHORITIES
        if data.code in ("refund", "replacement")
    )
    db.session.add(
        SignoffRequest(
            rep_id=rep.id,
            authority_id=refund.id,
            limit=Decimal(100),
            requested_by_id=rep.id,
        )
    )
    request = SignoffRequest(
        rep_id=rep.id,
        authority_id=replacement.id,
        limit=Decimal(50),
        requested_by_id=rep.id,
    )
    db.session.add(request)
    db.session.flush()
    grant = Grant(
        rep_id=rep.id,
        authority_id=replacement.id,
        limit=Decimal(50),
        unit="USD",
        expires_at=utcnow() + dt.timedelta(days=100),
        granted_by_id=supervisor.id,
    )
    db.session.add(grant)
    attempt = operations.start_attempt(rep, KEY)
    assignment = Assignment(
        rep_id=rep.id,
        scenario_key=KEY,
        due_on=utcnow().date() + dt.timedelta(days=30),
        assigned_by_id=supervisor.id,
    )
    db.session.add(assignment)
    db.session.flush()
    world.extra.update(
        attempt_id=attempt.id,
        request_id=db.session.scalar(
            db.select(SignoffRequest.id).where(SignoffRequest.authority_id == refund.id)
        ),
        grant_id=grant.id,
        curriculum_id=operations.save_curriculum(
            None,
            name="Matrix curriculum",
            description="",
            scenario_keys=[KEY],
            is_onboarding=False,
            by=supervisor,
        ).id,
        authority_id=refund.id,
        assignment_id=assignment.id,
    )
    assert db.session.get(Attempt, attempt.id) is not None


@functools.cache
def _shipped() -> tuple[Scenario, ...]:
    files = ("refund-limits.yaml", "lost-shipment.yaml")
    return tuple(
        parse_scenario((operations.SHIPPED_SCENARIOS / name).read_text(), name)
        for name in files
    )


def _extra(name: str, template: str):
    return lambda w: template.format(w.extra[name])


MATRIX: dict[str, Access] = {
    "training.home": Access(TRAINING, "/training/"),
    "training.scenario_list": Access(TRAINING, "/training/scenarios"),
    "training.scenario_detail": Access(TRAINING, f"/training/scenarios/{KEY}"),
    "training.attempt_start": Access(
        REP, f"/training/scenarios/{KEY}/attempts", "POST"
    ),
    "training.attempt_detail": Access(
        TRAINING, _extra("attempt_id", "/training/attempts/{}")
    ),
    "training.attempt_answer": Access(
        REP,
        _extra("attempt_id", "/training/attempts/{}/answer"),
        "POST",
        data={"choice": "0", "step": "0"},
    ),
    "training.curriculum_list": Access(OVERSIGHT, "/training/curricula"),
    "training.curriculum_create": Access(
        roles(Role.SUPERVISOR, Role.ADMIN), "/training/curricula/new"
    ),
    "training.curriculum_edit": Access(
        roles(Role.SUPERVISOR, Role.ADMIN),
        _extra("curriculum_id", "/training/curricula/{}/edit"),
    ),
    "training.assignment_list": Access(OVERSIGHT, "/training/assignments"),
    "training.assignment_create": Access(SUPERVISOR, "/training/assignments/new"),
    "training.assignment_change": Access(
        SUPERVISOR, _extra("assignment_id", "/training/assignments/{}")
    ),
    "training.assignment_cancel": Access(
        SUPERVISOR,
        _extra("assignment_id", "/training/assignments/{}/cancel"),
        "POST",
        data={"cancel-reason": "Matrix check."},
    ),
    "training.authority_list": Access(TRAINING, "/training/authorities"),
    "training.authority_create": Access(ADMIN, "/training/authorities/new"),
    "training.authority_edit": Access(
        ADMIN, _extra("authority_id", "/training/authorities/{}/edit")
    ),
    "training.signoff_list": Access(TRAINING, "/training/signoffs"),
    "training.signoff_create": Access(
        roles(Role.REP, Role.SUPERVISOR), "/training/authorities/refund/request"
    ),
    "training.signoff_detail": Access(
        TRAINING, _extra("request_id", "/training/signoffs/{}")
    ),
    "training.signoff_approve": Access(
        SUPERVISOR,
        _extra("request_id", "/training/signoffs/{}/approve"),
        "POST",
        data={"limit": "100"},
    ),
    "training.signoff_decline": Access(
        SUPERVISOR,
        _extra("request_id", "/training/signoffs/{}/decline"),
        "POST",
        data={"reason": "Not yet."},
    ),
    "training.signoff_withdraw": Access(
        REP, _extra("request_id", "/training/signoffs/{}/withdraw"), "POST"
    ),
    "training.grant_detail": Access(
        TRAINING, _extra("grant_id", "/training/grants/{}")
    ),
    "training.grant_revoke": Access(
        SUPERVISOR,
        _extra("grant_id", "/training/grants/{}/revoke"),
        "POST",
        data={"reason": "Matrix check."},
    ),
    "training.register_rep": Access(
        TRAINING, lambda w: f"/training/register/reps/{w.rep.id}"
    ),
    "training.register_matrix": Access(OVERSIGHT, "/training/register"),
    "training.notice_list": Access(TRAINING, "/training/notices"),
    "training.notice_read": Access(TRAINING, "/training/notices/read", "POST"),
    "training.notice_settings": Access(
        TRAINING, "/training/notices/settings", "POST", {"by_email": ["overdue"]}
    ),
    "training.completion_csv": Access(
        OVERSIGHT, lambda w: f"/training/register/teams/{w.team.id}/completion.csv"
    ),
    "training.certificate_pdf": Access(
        TRAINING,
        lambda w: (
            f"/training/curricula/{w.extra['curriculum_id']}/certificates/"
            f"{w.rep.id}.pdf"
        ),
    ),
    "training.register_csv": Access(OVERSIGHT, "/training/register.csv"),
    "training.register_team": Access(
        OVERSIGHT, lambda w: f"/training/register/teams/{w.team.id}"
    ),
    "training_api.authority_check": Access(
        OVERSIGHT,
        lambda w: (
            f"/api/v1/authority-check?rep={w.rep.email}&authority=refund&amount=5"
        ),
        api=True,
    ),
    "training_api.rep_authorities": Access(
        OVERSIGHT, lambda w: f"/api/v1/reps/{w.rep.email}/authorities", api=True
    ),
}
