"""Training operations against the database: versions, attempts, assignments, sign-offs, grants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core import accounts
from core.access import Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.settings import set_setting
from tests.factories import make_team, make_user
from tests.training.factories import (
    SMALL,
    current,
    load_small,
    make_authority,
    make_grant,
    make_request,
    play,
    small_scenario,
)
from training import (
    assignment_operations,
    authority_operations,
    authority_queries,
    operations,
    queries,
)
from training.authority import decide
from training.models import (
    Assignment,
    Attempt,
    Grant,
    ScenarioVersion,
    SignoffRequest,
    TrainingRecordIsAppendOnly,
)
from training.scenarios import AttemptStatus, ScenarioError, parse_scenario

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def org():
    """A team with two supervisors and two reps, and another team with its own."""
    team, other = make_team(), make_team()
    sup1, sup2 = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    outsider = make_user(Role.SUPERVISOR)
    team.supervisors, other.supervisors = [sup1, sup2], [outsider]
    rep, rep2 = make_user(Role.REP, team=team), make_user(Role.REP, team=team)
    db.session.flush()
    load_small()
    return {
        "team": team,
        "sup1": sup1,
        "sup2": sup2,
        "outsider": outsider,
        "rep": rep,
        "rep2": rep2,
    }


# --- scenario versions --------------------------------------------------------------------


def test_loading_twice_keeps_one_version_and_a_change_makes_a_new_one(org) -> None:
    report = operations.load_scenarios([small_scenario()], by="test")
    assert report.unchanged == ["small"]
    changed = small_scenario(SMALL.replace("My order is late.", "Still late."))
    assert operations.load_scenarios([changed], by="test").updated == ["small"]
    versions = db.session.scalars(
        select(ScenarioVersion).where(ScenarioVersion.key == "small")
    ).all()
    assert sorted((v.version, v.is_current) for v in versions) == [
        (1, False),
        (2, True),
    ]


def test_attempts_keep_the_version_they_were_played_on(org) -> None:
    attempt = play(org["rep"], [0, 0])
    changed = small_scenario(SMALL.replace("So where is it?", "Where is it now?"))
    operations.load_scenarios([changed], by="test")
    db.session.expire_all()
    assert attempt.scenario_version.version == 1
    assert (
        attempt.scenario_version.scenario.node("middle").customer == "So where is it?"
    )
    assert current().version == 2
    assert play(org["rep"], [0, 0]).scenario_version.version == 2


def test_a_folder_with_one_bad_file_loads_nothing(tmp_path, org) -> None:
    (tmp_path / "good.yaml").write_text(SMALL.replace("key: small", "key: good"))
    (tmp_path / "bad.yaml").write_text(SMALL.replace("next: happy", "next: nowhere"))
    with pytest.raises(ScenarioError) as raised:
        operations.read_scenario_files(tmp_path)
    assert raised.value.errors == [
        "bad.yaml: node 'middle', choice 1: leads to 'nowhere', which does not exist",
        "bad.yaml: node 'middle', choice 2: leads to 'nowhere', which does not exist",
    ]


def test_a_placeholder_of_an_authority_nobody_has_loads_nothing(tmp_path, org) -> None:
    (tmp_path / "limits.yaml").write_text(
        SMALL.replace(
            "My order is late.", "Late; you hold {refund.limit} ({refnd.limit})"
        )
    )
    with pytest.raises(ScenarioError) as raised:
        operations.read_scenario_files(tmp_path)
    # refund is a shipped authority, added when installing: only the typo is refused.
    assert raised.value.errors == [
        "limits.yaml: {refnd.limit}: no authority has the code 'refnd'"
    ]


def test_the_path_keeps_the_words_the_rep_read_with_their_own_limit(org) -> None:
    text = SMALL.replace(
        "{text: Apologise and check the order, points: 10, feedback: Good, next: middle}",
        '{text: "Refund up to {refund.limit}", points: 10, '
        'feedback: "Within {refund.limit}", next: middle}',
    )
    operations.load_scenarios([parse_scenario(text, "small.yaml")], by="test")
    refund = make_authority()
    make_grant(org["rep"], refund, org["sup1"], limit=150)
    held = play(org["rep"], [0])
    assert (held.path[0]["text"], held.path[0]["feedback"]) == (
        "Refund up to 150 USD",
        "Within 150 USD",
    )
    none = play(org["rep2"], [0])
    assert none.path[0]["text"] == "Refund up to no refund authority"


# --- attempts -----------------------------------------------------------------------------


def test_an_attempt_records_its_path_score_and_pass(org) -> None:
    attempt = play(org["rep"], [0, 0])
    assert attempt.status is AttemptStatus.PASSED
    assert (attempt.points, attempt.percent, attempt.current_node) == (20, 100, "happy")
    assert [s["node"] for s in attempt.path] == ["start", "middle"]
    assert [s["points"] for s in attempt.path] == [10, 10]


def test_a_low_score_or_a_failing_ending_fails(org) -> None:
    assert play(org["rep"], [1, 0]).status is AttemptStatus.FAILED  # 50% < 75%
    late = utcnow() + dt.timedelta(hours=3)
    lost = play(org["rep"], [2], at=late)
    assert (lost.status, lost.current_node) == (AttemptStatus.FAILED, "lost")


def test_a_stale_page_cannot_answer_twice(org) -> None:
    rep = org["rep"]
    attempt = operations.start_attempt(rep, "small")
    operations.answer(attempt, choice_index=0, step=0, by=rep)
    with pytest.raises(Conflict):
        operations.answer(attempt, choice_index=1, step=0, by=rep)
    assert len(attempt.path) == 1


def test_reloading_resumes_the_attempt_in_progress(org) -> None:
    rep = org["rep"]
    first = operations.start_attempt(rep, "small")
    operations.answer(first, choice_index=0, step=0, by=rep)
    again = operations.start_attempt(rep, "small")
    assert again.id == first.id
    assert again.current_node == "middle"


def test_finished_attempts_are_never_overwritten(org) -> None:
    attempt = play(org["rep"], [0, 0])
    with pytest.raises(Conflict):
        operations.answer(attempt, choice_index=0, step=2, by=org["rep"])
    db.session.flush()
    attempt.points = 0
    with pytest.raises(TrainingRecordIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_only_the_rep_answers_their_attempt(org) -> None:
    attempt = operations.start_attempt(org["rep"], "small")
    with pytest.raises(NotAllowed):
        operations.answer(attempt, choice_index=0, step=0, by=org["rep2"])


def test_cool_down_and_attempt_limit_are_enforced(org) -> None:
    rep = org["rep"]
    start = utcnow() - dt.timedelta(hours=10)
    play(rep, [1, 1], at=start)
    with pytest.raises(NotAllowed, match="Take a break"):
        operations.start_attempt(rep, "small", at=start + dt.timedelta(hours=1))
    play(rep, [1, 1], at=start + dt.timedelta(hours=3))
    with pytest.raises(NotAllowed, match="all 2 attempts"):
        operations.start_attempt(rep, "small", at=start + dt.timedelta(hours=8))
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2


def test_only_reps_take_scenarios(org) -> None:
    with pytest.raises(NotAllowed):
        operations.start_attempt(org["sup1"], "small")


# --- curricula and assignments ------------------------------------------------------------


def _onboarding(by):
    return operations.save_curriculum(
        None,
        name="Onboarding",
        description="",
        scenario_keys=["small"],
        is_onboarding=True,
        by=by,
    )


def test_a_new_rep_gets_the_onboarding_curriculum_in_the_same_transaction(org) -> None:
    curriculum = _onboarding(org["sup1"])
    user = accounts.create_user(
        accounts.UserInput("new.rep@example.com", "New Rep", frozenset({Role.REP})),
        by="test",
    )
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.rep_id == user.id)
    )
    assert assignment.curriculum_id == curriculum.id
    assert assignment.due_on == utcnow().date() + dt.timedelta(days=21)


def test_becoming_a_rep_later_also_assigns_onboarding_once(org) -> None:
    _onboarding(org["sup1"])
    user = make_user(Role.HIRING_MANAGER)
    accounts.set_roles(user, {Role.HIRING_MANAGER, Role.REP}, by="test")
    accounts.set_roles(user, {Role.HIRING_MANAGER}, by="test")
    accounts.set_roles(user, {Role.HIRING_MANAGER, Role.REP}, by="test")
    count = select(func.count()).where(Assignment.rep_id == user.id)
    assert db.session.scalar(count) == 1


def test_only_one_curriculum_is_onboarding(org) -> None:
    first = _onboarding(org["sup1"])
    second = operations.save_curriculum(
        None,
        name="Second",
        description="",
        scenario_keys=["small"],
        is_onboarding=True,
        by=org["sup1"],
    )
    assert not first.is_onboarding
    assert second.is_onboarding


@pytest.mark.parametrize(
    ("keys", "message"),
    [([], "at least one"), (["small", "small"], "only once"), (["nope"], "Unknown")],
)
def test_curriculum_needs_known_distinct_scenarios(org, keys, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        operations.save_curriculum(
            None,
            name="X",
            description="",
            scenario_keys=keys,
            is_onboarding=False,
            by=org["sup1"],
        )


def test_assigning_to_a_team_gives_each_rep_the_work_and_tracks_progress(org) -> None:
    today = utcnow().date()
    made = assignment_operations.assign(
        assignment_operations.AssignmentInput(due_on=today, scenario_key="small"),
        team=org["team"],
        by=org["sup1"],
        today=today,
    ).made
    assert sorted(a.rep_id for a in made) == sorted([org["rep"].id, org["rep2"].id])
    play(org["rep"], [0, 0], at=utcnow())
    rows = queries.list_assignments(org["sup1"].viewer(), today=today)
    states = {r.assignment.rep_id: r.progress.state for r in rows}
    assert states == {org["rep"].id: "done", org["rep2"].id: "due"}
    later = today + dt.timedelta(days=1)
    overdue = queries.list_assignments(org["sup1"].viewer(), today=later)
    assert overdue[0].progress.state == "overdue"
    assert overdue[0].assignment.rep_id == org["rep2"].id


def test_a_supervisor_assigns_only_within_their_teams(org) -> None:
    today = utcnow().date()
    data = assignment_operations.AssignmentInput(due_on=today, scenario_key="small")
    with pytest.raises(NotAllowed):
        assignment_operations.assign(
            data, rep=org["rep"], by=org["outsider"], today=today
        )
    with pytest.raises(NotAllowed):
        assignment_operations.assign(
            data, team=org["team"], by=org["outsider"], today=today
        )
    with pytest.raises(InvalidInput, match="from today"):
        assignment_operations.assign(
            assignment_operations.AssignmentInput(
                due_on=today - dt.timedelta(days=1), scenario_key="small"
            ),
            rep=org["rep"],
            by=org["sup1"],
            today=today,
        )


# --- sign-offs ----------------------------------------------------------------------------


def test_a_request_needs_the_prerequisites_passed(org) -> None:
    refund = make_authority()
    with pytest.raises(InvalidInput, match="Pass the prerequisite"):
        make_request(org["rep"], refund)
    play(org["rep"], [0, 0])
    request = make_request(org["rep"], refund)
    assert request.status == "pending"
    # A second request (another tab, a double click) points at the one waiting.
    with pytest.raises(authority_operations.SignoffAlreadyPending) as raised:
        make_request(org["rep"], refund, 50, by=org["sup1"])
    assert raised.value.request_id == request.id


def test_a_stale_prerequisite_pass_does_not_count(org) -> None:
    refund = make_authority(validity_days=30)
    play(org["rep"], [0, 0], at=utcnow() - dt.timedelta(days=40))
    with pytest.raises(InvalidInput, match="Pass the prerequisite"):
        make_request(org["rep"], refund)


def test_only_the_rep_or_their_supervisor_asks(org) -> None:
    refund = make_authority()
    play(org["rep"], [0, 0])
    with pytest.raises(NotAllowed):
        make_request(org["rep"], refund, by=org["rep2"])
    assert (
        make_request(org["rep"], refund, by=org["sup1"]).requested_by_id
        == org["sup1"].id
    )


@pytest.fixture
def pending(org):
    refund = make_authority()
    play(org["rep"], [0, 0])
    return make_request(org["rep"], refund, 150)


def test_approval_makes_a_grant_at_the_approved_limit(org, pending) -> None:
    grant = authority_operations.approve_signoff(
        pending, by=org["sup1"], limit=Decimal(120)
    )
    assert (grant.limit, grant.rep_id, grant.request_id) == (
        Decimal(120),
        org["rep"].id,
        pending.id,
    )
    assert pending.status == "approved"
    assert grant.expires_at == grant.granted_at + dt.timedelta(days=365)
    facts = authority_queries.grant_facts(org["rep"].id)
    assert decide(facts, "refund", Decimal(120), utcnow()).allowed
    assert not decide(facts, "refund", Decimal(121), utcnow()).allowed


def test_supervisor_cannot_sign_off_own_request(org) -> None:
    refund = make_authority()
    play(org["rep"], [0, 0])
    request = make_request(org["rep"], refund, by=org["sup1"])
    with pytest.raises(NotAllowed, match="another supervisor"):
        authority_operations.approve_signoff(
            request, by=org["sup1"], limit=Decimal(100)
        )
    assert authority_operations.approve_signoff(
        request, by=org["sup2"], limit=Decimal(100)
    )


def test_a_supervisor_of_another_team_cannot_approve(org, pending) -> None:
    with pytest.raises(NotAllowed, match="Only a supervisor"):
        authority_operations.approve_signoff(
            pending, by=org["outsider"], limit=Decimal(100)
        )


def test_approval_above_the_catalogue_maximum_is_refused(org, pending) -> None:
    with pytest.raises(InvalidInput, match="maximum is 500 USD"):
        authority_operations.approve_signoff(
            pending, by=org["sup1"], limit=Decimal(501)
        )
    assert pending.status == "pending"


def test_above_the_two_person_limit_two_different_supervisors_approve(org) -> None:
    refund = make_authority()
    play(org["rep"], [0, 0])
    request = make_request(org["rep"], refund, 400)
    assert (
        authority_operations.approve_signoff(
            request, by=org["sup1"], limit=Decimal(400)
        )
        is None
    )
    assert request.status == "pending"
    # Approving again (a second click) is answered as already done.
    with pytest.raises(Conflict, match="already approved"):
        authority_operations.approve_signoff(
            request, by=org["sup1"], limit=Decimal(400)
        )
    grant = authority_operations.approve_signoff(
        request, by=org["sup2"], limit=Decimal(300)
    )
    assert grant.limit == Decimal(300)
    assert [a.supervisor_id for a in request.approvals] == [
        org["sup1"].id,
        org["sup2"].id,
    ]


def test_decline_needs_a_reason_and_closes_the_request(org, pending) -> None:
    with pytest.raises(InvalidInput):
        authority_operations.decline_signoff(pending, by=org["sup1"], reason="  ")
    authority_operations.decline_signoff(
        pending, by=org["sup1"], reason="Play it again first."
    )
    assert (pending.status, pending.decline_reason) == (
        "declined",
        "Play it again first.",
    )
    with pytest.raises(Conflict):
        authority_operations.approve_signoff(pending, by=org["sup2"], limit=Decimal(10))


def test_a_stale_copy_of_a_decided_request_cannot_be_approved(org, pending) -> None:
    # Another process declines it behind this session's back; our copy still says pending.
    db.session.execute(
        update(SignoffRequest)
        .where(SignoffRequest.id == pending.id)
        .values(status="declined")
        .execution_options(synchronize_session=False)
    )
    assert pending.status == "pending"
    with pytest.raises(Conflict, match="same moment"):
        authority_operations.approve_signoff(pending, by=org["sup2"], limit=Decimal(10))
    db.session.rollback()


def test_one_request_can_never_make_two_grants(org, pending) -> None:
    grant = authority_operations.approve_signoff(
        pending, by=org["sup1"], limit=Decimal(100)
    )
    db.session.add(
        Grant(
            rep_id=grant.rep_id,
            authority_id=grant.authority_id,
            limit=Decimal(1),
            unit="USD",
            expires_at=grant.expires_at,
            request_id=pending.id,
            granted_by_id=org["sup2"].id,
        )
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_withdraw_is_for_the_rep(org, pending) -> None:
    with pytest.raises(NotAllowed):
        authority_operations.withdraw_signoff(pending, by=org["rep2"])
    authority_operations.withdraw_signoff(pending, by=org["rep"])
    assert pending.status == "withdrawn"


# --- grants -------------------------------------------------------------------------------


def test_revocation_takes_effect_at_once_and_is_kept(org) -> None:
    refund = make_authority()
    grant = make_grant(org["rep"], refund, org["sup1"], limit=200)
    assert decide(
        authority_queries.grant_facts(org["rep"].id), "refund", Decimal(5), utcnow()
    ).allowed
    with pytest.raises(NotAllowed):
        authority_operations.revoke_grant(grant, by=org["outsider"], reason="x")
    with pytest.raises(InvalidInput):
        authority_operations.revoke_grant(grant, by=org["sup1"], reason="")
    authority_operations.revoke_grant(grant, by=org["sup1"], reason="Misused it.")
    decision = decide(
        authority_queries.grant_facts(org["rep"].id), "refund", Decimal(5), utcnow()
    )
    assert not decision.allowed
    assert decision.code == "revoked"
    assert db.session.get(Grant, grant.id).revocation.reason == "Misused it."
    with pytest.raises(Conflict):
        authority_operations.revoke_grant(grant, by=org["sup2"], reason="again")


def test_grants_are_append_only(org) -> None:
    grant = make_grant(org["rep"], make_authority(), org["sup1"])
    grant.limit = Decimal(999)
    with pytest.raises(TrainingRecordIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_expiring_grants_are_listed_soonest_first_without_replaced_ones(org) -> None:
    refund = make_authority(validity_days=100)
    now = utcnow()
    make_grant(org["rep"], refund, org["sup1"], granted_at=now - dt.timedelta(days=90))
    make_grant(org["rep2"], refund, org["sup1"], granted_at=now - dt.timedelta(days=80))
    # rep2 was re-certified: the old grant no longer needs attention.
    make_grant(org["rep2"], refund, org["sup1"], granted_at=now - dt.timedelta(days=1))
    make_grant(org["rep"], make_authority("other", prerequisites=()), org["sup1"])
    rows = authority_queries.list_expiring_grants(now)
    assert [(r.grant.rep_id, r.days_left) for r in rows] == [(org["rep"].id, 10)]
    assert authority_queries.list_expiring_grants(now, team_ids=frozenset({999})) == []


def test_the_register_answers_with_decide(org) -> None:
    refund = make_authority()
    make_grant(org["rep"], refund, org["sup1"], limit=75)
    register = authority_queries.register_for(
        [org["rep"], org["rep2"]], authority_queries.list_authorities(), utcnow()
    )
    assert register[org["rep"].id][0].decision.limit == Decimal(75)
    assert not register[org["rep2"].id][0].decision.allowed


def test_the_shipped_catalogue_installs_once(org) -> None:
    report, added = operations.install_shipped_content(by="test")
    assert len(report.added) >= 8
    assert set(added) == {
        "refund",
        "replacement",
        "goodwill_credit",
        "public_reply",
        "engineering_escalation",
    }
    report, added = operations.install_shipped_content(by="test")
    assert report.added == []
    assert report.updated == []
    assert added == []
    assert db.session.scalar(select(func.count()).select_from(SignoffRequest)) == 0


def test_scenarios_are_found_by_the_metric_they_coach(org) -> None:
    operations.install_shipped_content(by="test")
    keys = {v.key for v in queries.list_scenarios_for_metric("reopen_rate")}
    assert keys == {"angry-repeat-caller", "comeback-after-fix", "technical-fault"}
    assert queries.list_scenarios_for_metric("volume") == []


def test_the_onboarding_due_date_follows_the_setting(org) -> None:
    _onboarding(org["sup1"])
    set_setting(operations.ONBOARDING_DUE_DAYS.key, 7, by="test")
    user = make_user(Role.REP)
    assignment = operations.assign_onboarding(user, by="test")
    assert assignment.due_on == utcnow().date() + dt.timedelta(days=7)


def test_coverage_counts_active_reps_holding_each_authority_today() -> None:
    """Only the newest grant counts, and only while neither revoked nor expired; a
    deactivated rep is neither a holder nor counted among the reps."""
    sup = make_user(Role.SUPERVISOR)
    team = make_team(supervisors=[sup])
    load_small()
    refund = make_authority()
    replies = make_authority(
        "public_reply", unit="level", max_limit=2, two_person_limit=1
    )
    holds, expired, revoked, replaced, gone, none = (
        make_user(Role.REP, team=team) for _ in range(6)
    )
    long_ago = utcnow() - dt.timedelta(days=400)
    make_grant(holds, refund, sup)
    make_grant(holds, replies, sup, limit=1)
    make_grant(expired, refund, sup, granted_at=long_ago)
    authority_operations.revoke_grant(
        make_grant(revoked, refund, sup), by=sup, reason="Audit"
    )
    make_grant(replaced, refund, sup, granted_at=utcnow() - dt.timedelta(days=9))
    newer = make_grant(
        replaced, refund, sup, granted_at=utcnow() - dt.timedelta(days=2)
    )
    authority_operations.revoke_grant(newer, by=sup, reason="Audit")
    make_grant(gone, refund, sup)
    accounts.deactivate_user(gone, by="test")
    make_user(Role.SUPERVISOR)  # not a rep
    assert none.id  # a rep with no grant at all
    db.session.flush()
    counts = {
        a.code: (held, reps) for a, held, reps in authority_queries.coverage(utcnow())
    }
    assert counts == {"refund": (1, 5), "public_reply": (1, 5)}


# --- recertification ----------------------------------------------------------------------


def test_a_grant_ending_soon_gets_its_scenarios_assigned_again_once(org) -> None:
    now = utcnow()
    refund = make_authority(validity_days=365)  # prerequisite: small
    ending = make_grant(org["rep"], refund, org["sup1"], limit=100,
                        granted_at=now - dt.timedelta(days=350))  # fmt: skip
    make_grant(
        org["rep2"],
        refund,
        org["sup1"],
        limit=100,
        granted_at=now - dt.timedelta(days=100),
    )  # fmt: skip (not ending)
    today = now.date()
    made = assignment_operations.assign_recertification(
        at=now, within=dt.timedelta(days=30), today=today
    )
    assert [(m.assignment.rep_id, m.assignment.scenario_key) for m in made] == [
        (org["rep"].id, "small")
    ]
    (recert,) = made
    assert recert.grant_id == ending.id
    assert recert.assignment.due_on == ending.expires_at.date()
    assert recert.assignment.note.startswith("Recertification: Refund expires")
    # Run again the next day: nothing new.
    assert not assignment_operations.assign_recertification(
        at=now, within=dt.timedelta(days=30), today=today
    )
    # Passed since the grant was made: nothing to assign for a third rep.
    rep3 = make_user(Role.REP, team=org["team"])
    make_grant(rep3, refund, org["sup1"], limit=100,
               granted_at=now - dt.timedelta(days=355))  # fmt: skip
    play(rep3, [0, 0])
    assert not assignment_operations.assign_recertification(
        at=now, within=dt.timedelta(days=30), today=today
    )
