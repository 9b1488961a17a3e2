"""Access rules for the voice endpoints (roles); the record checks (whose report, which
department) are in ``tests/voice/test_access.py``."""

from __future__ import annotations

import datetime as dt

from core.access import Role
from tests.access import ANYONE_LOGGED_IN, Access, World, roles
from voice import operations, upward_operations

ADMIN = roles(Role.ADMIN)
REPORTERS = roles(Role.REP, Role.SUPERVISOR)
REACTION = roles(Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)
#: API tokens: every token role reads; supervisor and admin tokens file and move, for
#: the person they name (whose own rights on the pages are checked in tests/voice).
TOKEN_READERS = roles(Role.ADMIN, Role.HIRING_MANAGER, Role.SUPERVISOR, Role.LEADERSHIP)
TOKEN_WRITERS = roles(Role.ADMIN, Role.SUPERVISOR)


def populate(world: World) -> None:
    """A department every world user responds for, a report by ``world.rep`` and one by
    ``world.other_rep``; a policy change and an idea, both by ``world.rep``."""
    others = [u.id for role, u in world.users.items() if role != Role.ADMIN]
    department = operations.save_department(
        None,
        operations.DepartmentInput(
            name="Matrix department",
            owner_id=world.users[Role.ADMIN].id,
            member_ids=tuple(others),
            rota_text="Every day 00:00-24:00 | Desk | +44 20 7946 0000",
        ),
        by="test",
    )
    reports = {}
    for key, reporter in (("own", world.rep), ("others", world.other_rep)):
        reports[key] = operations.report_problem(
            operations.ReportInput(
                title=f"Matrix problem {key}",
                story="A parcel arrived crushed.",
                category="shipping",
                severity="medium",
                department_id=department.id,
            ),
            by=reporter,
        ).report.id
    policy = upward_operations.post_policy(
        upward_operations.ProposalInput(
            "Matrix policy",
            "Refunds only to the card that paid.",
            department.id,
            dt.date.today() + dt.timedelta(days=10),
        ),
        by=world.rep,
        today=dt.date.today(),
    )
    idea = upward_operations.submit_idea(
        upward_operations.IdeaInput("Matrix idea", "Tracking links in texts."),
        by=world.rep,
    )
    world.extra.update(
        department_id=department.id,
        report_id=reports["own"],
        other_report_id=reports["others"],
        policy_id=policy.id,
        idea_id=idea.id,
    )


def _policy(tail: str = ""):  # type: ignore[no-untyped-def]
    return lambda w: f"/voice/policies/{w.extra['policy_id']}{tail}"


def _idea(tail: str = ""):  # type: ignore[no-untyped-def]
    return lambda w: f"/voice/ideas/{w.extra['idea_id']}{tail}"


#: The poster of the matrix policy (world.rep), leadership and admins.
DECIDERS = roles(Role.REP, Role.LEADERSHIP, Role.ADMIN)
#: Who triages world.rep's idea: the supervisor of their team, leadership, admins.
TRIAGERS = roles(Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)


MATRIX: dict[str, Access] = {
    "voice.department_list": Access(ANYONE_LOGGED_IN, "/voice/departments"),
    "voice.department_create": Access(ADMIN, "/voice/departments/new"),
    "voice.department_edit": Access(
        ADMIN, lambda w: f"/voice/departments/{w.extra['department_id']}/edit"
    ),
    "voice.reaction_overview": Access(REACTION, "/voice/reaction"),
    # Every world user is a member of the department: each gets its figures.
    "voice.department_reaction": Access(
        ANYONE_LOGGED_IN,
        lambda w: f"/voice/departments/{w.extra['department_id']}/reaction",
    ),
    "voice.problem_list": Access(ANYONE_LOGGED_IN, "/voice/problems"),
    "voice.problem_create": Access(REPORTERS, "/voice/problems/new"),
    "voice.problem_detail": Access(
        ANYONE_LOGGED_IN, lambda w: f"/voice/problems/{w.extra['report_id']}"
    ),
    # Only the reporter (world.rep) edits; the supervisor is refused by the record check.
    "voice.problem_edit": Access(
        roles(Role.REP), lambda w: f"/voice/problems/{w.extra['report_id']}/edit"
    ),
    "voice.problem_support": Access(
        REPORTERS,
        lambda w: f"/voice/problems/{w.extra['other_report_id']}/support",
        "POST",
        {"tickets": "M-1"},
    ),
    "voice.problem_status": Access(
        ANYONE_LOGGED_IN,
        lambda w: f"/voice/problems/{w.extra['report_id']}/status",
        "POST",
        {"status": "acknowledged"},
    ),
    # Policy changes: everyone reads, comments and votes; every world user but the admin
    # is a member of the department (and admins post for any), so everyone may post.
    "voice.policy_list": Access(ANYONE_LOGGED_IN, "/voice/policies"),
    "voice.policy_create": Access(ANYONE_LOGGED_IN, "/voice/policies/new"),
    "voice.policy_detail": Access(ANYONE_LOGGED_IN, _policy()),
    # Only the poster (world.rep) changes it.
    "voice.policy_edit": Access(roles(Role.REP), _policy("/edit")),
    "voice.policy_comment": Access(
        ANYONE_LOGGED_IN, _policy("/comment"), "POST", {"body": "It hurts gift buyers."}
    ),
    "voice.policy_vote": Access(
        ANYONE_LOGGED_IN, _policy("/vote"), "POST", {"vote": "concerned"}
    ),
    "voice.policy_decide": Access(DECIDERS, _policy("/decide")),
    "voice.policy_links": Access(
        DECIDERS, _policy("/retrain"), "POST", {"scenarios": "lost-shipment"}
    ),
    # Ideas: everyone reads; reps and supervisors submit; only the author edits.
    "voice.idea_list": Access(ANYONE_LOGGED_IN, "/voice/ideas"),
    "voice.idea_create": Access(REPORTERS, "/voice/ideas/new"),
    "voice.idea_detail": Access(ANYONE_LOGGED_IN, _idea()),
    "voice.idea_edit": Access(roles(Role.REP), _idea("/edit")),
    "voice.idea_triage": Access(
        TRIAGERS, _idea("/triage"), "POST", {"status": "planned"}
    ),
    "voice_api.problem_list": Access(TOKEN_READERS, "/api/v1/problems", api=True),
    "voice_api.problem_create": Access(
        TOKEN_WRITERS,
        "/api/v1/problems",
        "POST",
        lambda w: {
            "reporter": w.rep.email,
            "title": "Matrix problem by API",
            "story": "A parcel arrived crushed.",
            "category": "shipping",
            "department_id": w.extra["department_id"],
        },
        api=True,
    ),
    "voice_api.problem_detail": Access(
        TOKEN_READERS, lambda w: f"/api/v1/problems/{w.extra['report_id']}", api=True
    ),
    "voice_api.problem_status": Access(
        TOKEN_WRITERS,
        lambda w: f"/api/v1/problems/{w.extra['other_report_id']}/status",
        "POST",
        # The department's owner is the world's admin.
        lambda w: {"by": w.users[Role.ADMIN].email, "state": "acknowledged"},
        api=True,
    ),
    "voice_api.department_on_call": Access(
        TOKEN_READERS,
        lambda w: f"/api/v1/departments/{w.extra['department_id']}/on-call",
        api=True,
    ),
}
