"""Policy impact reviews and ideas, written: who posts, comments, votes, decides and
triages; decisions out of order and bad input refused with nothing half-saved; what to
retrain; what a month decided and the adopted ideas a scorecard credits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput, NotAllowed
from tests.factories import make_team, make_user
from tests.training.factories import load_small, make_authority, make_grant, play
from tests.voice.factories import make_voice_world
from voice import upward_operations as ops
from voice import upward_queries
from voice.ideas import IdeaStatus
from voice.models import Idea, PolicyComment, PolicyReview, PolicyVote
from voice.policies import Outcome, PolicyStatus, Vote

pytestmark = pytest.mark.usefixtures("app_ctx")

TODAY = dt.date(2026, 11, 10)
CLOSES = dt.date(2026, 11, 20)


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def proposal(department_id: int, **changes) -> ops.ProposalInput:  # type: ignore[no-untyped-def]
    fields = {
        "title": "Photo proof before a replacement",
        "change": "The customer sends a photo of a damaged parcel first.",
        "department_id": department_id,
        "closes_on": CLOSES,
        **changes,
    }
    return ops.ProposalInput(**fields)


def test_leadership_and_a_departments_members_post_changes_and_others_cannot() -> None:
    w = make_voice_world()
    policy = ops.post_policy(proposal(w.logistics.id), by=w.leader, today=TODAY)
    assert (policy.status, policy.author_id, policy.closes_on) == (
        PolicyStatus.OPEN,
        w.leader.id,
        CLOSES,
    )
    mine = ops.post_policy(proposal(w.logistics.id), by=w.deputy, today=TODAY)
    assert mine.department_id == w.logistics.id
    with pytest.raises(InvalidInput) as refused:
        ops.post_policy(proposal(w.billing.id), by=w.deputy, today=TODAY)
    assert refused.value.errors["department_id"] == [
        "You post changes only for your own departments, not Billing."
    ]
    with pytest.raises(NotAllowed):
        ops.post_policy(proposal(w.logistics.id), by=w.rep, today=TODAY)
    assert count(PolicyReview) == 2
    assert actions().count("voice.policy.post") == 2


def test_a_bad_proposal_says_what_is_wrong_on_each_field_and_saves_nothing() -> None:
    w = make_voice_world()
    before = len(actions())
    with pytest.raises(InvalidInput) as refused:
        ops.post_policy(
            proposal(999_999, title=" ", change="", closes_on=dt.date(2026, 11, 1)),
            by=w.leader,
            today=TODAY,
        )
    assert refused.value.errors == {
        "title": ["Give the change a short title."],
        "change": ["Say what changes: the policy or procedure as it would be."],
        "closes_on": [
            "Give a date from today (10 Nov 2026) on: reps need time to comment."
        ],
        "department_id": ["Choose the department the change belongs to from the list."],
    }
    assert count(PolicyReview) == 0
    assert len(actions()) == before


def test_reps_comment_and_vote_once_each_changeable_until_comments_close() -> None:
    w = make_voice_world()
    policy = ops.post_policy(proposal(w.logistics.id), by=w.leader, today=TODAY)
    ops.comment_policy(
        policy, "Older customers cannot send photos.", by=w.rep, today=TODAY
    )
    assert ops.vote_policy(policy, "oppose", by=w.rep, today=TODAY) is None
    assert ops.vote_policy(policy, "concerned", by=w.rep, today=TODAY) is Vote.OPPOSE
    ops.vote_policy(policy, "support", by=w.other_rep, today=CLOSES)
    assert count(PolicyVote) == 2
    assert sorted(v.vote for v in policy.votes) == [Vote.CONCERNED, Vote.SUPPORT]
    after = CLOSES + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as late:
        ops.vote_policy(policy, "support", by=w.rep, today=after)
    assert late.value.errors == {"": ["Comments and votes closed on 20 Nov 2026."]}
    with pytest.raises(InvalidInput):
        ops.comment_policy(policy, "Late.", by=w.rep, today=after)
    with pytest.raises(InvalidInput) as empty:
        ops.comment_policy(policy, "  ", by=w.rep, today=TODAY)
    assert empty.value.errors == {
        "body": ["Say how the change would affect customers."]
    }
    assert count(PolicyComment) == 1
    assert actions().count("voice.policy.vote") == 3


def test_the_decision_waits_for_comments_to_close_is_made_once_and_closes_comments() -> (
    None
):
    w = make_voice_world()
    policy = ops.post_policy(proposal(w.logistics.id), by=w.deputy, today=TODAY)
    ops.vote_policy(policy, "oppose", by=w.rep, today=TODAY)
    with pytest.raises(InvalidInput) as early:
        ops.decide_policy(policy, "adopted", "Heard.", by=w.deputy, today=TODAY)
    assert "Comments are open until 20 Nov 2026" in early.value.errors["outcome"][0]
    with pytest.raises(NotAllowed):
        ops.decide_policy(policy, "adopted", "Heard.", by=w.rep, today=CLOSES)
    with pytest.raises(InvalidInput) as silent:
        ops.decide_policy(policy, "adopted", " ", by=w.leader, today=CLOSES)
    assert list(silent.value.errors) == ["note", "outcome"]
    assert policy.status is PolicyStatus.OPEN
    after = CLOSES + dt.timedelta(days=1)
    ops.decide_policy(
        policy, "amended", "Photos are optional by phone.", by=w.deputy, today=after
    )
    assert (policy.status, policy.outcome) == (PolicyStatus.DECIDED, Outcome.AMENDED)
    assert policy.decided_by_id == w.deputy.id
    with pytest.raises(InvalidInput) as twice:
        ops.decide_policy(policy, "dropped", "No.", by=w.leader, today=after)
    assert twice.value.errors == {
        "": ["The change is decided already; a decision is not made twice."]
    }
    with pytest.raises(InvalidInput):
        ops.vote_policy(policy, "support", by=w.other_rep, today=TODAY)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "voice.policy.decide")
    )
    assert event.data["votes"] == {"support": 0, "oppose": 1, "concerned": 0}


def test_a_proposal_can_be_dropped_before_comments_close() -> None:
    w = make_voice_world()
    policy = ops.post_policy(proposal(w.logistics.id), by=w.leader, today=TODAY)
    ops.decide_policy(policy, "dropped", "Withdrawn.", by=w.leader, today=TODAY)
    assert policy.outcome is Outcome.DROPPED


def test_an_adopted_change_names_what_to_retrain_and_supervisors_see_their_reps() -> (
    None
):
    w = make_voice_world()
    load_small()
    refund = make_authority("refund")
    play(w.rep, [0, 0])  # passes "small"
    make_grant(w.other_rep, refund, w.supervisor)
    elsewhere = make_user(Role.REP, name="Cy Elsewhere", team=make_team("Phone"))
    play(elsewhere, [0, 0])
    policy = ops.post_policy(proposal(w.logistics.id), by=w.leader, today=TODAY)
    with pytest.raises(InvalidInput) as not_yet:
        ops.link_training(policy, ["small"], [], by=w.leader)
    assert list(not_yet.value.errors) == [""]
    ops.decide_policy(
        policy, "adopted", "Heard.", by=w.leader, today=CLOSES + dt.timedelta(days=1)
    )
    with pytest.raises(InvalidInput) as unknown:
        ops.link_training(policy, ["nope"], ["nope"], by=w.leader)
    assert set(unknown.value.errors) == {"scenarios", "authorities"}
    with pytest.raises(NotAllowed):
        ops.link_training(policy, ["small"], [], by=w.supervisor)
    ops.link_training(policy, ["small", "small"], ["refund"], by=w.leader)
    assert [(link.kind.value, link.key) for link in policy.links] == [
        ("scenario", "small"),
        ("authority", "refund"),
    ]
    ours = upward_queries.retraining(
        policy, w.supervisor.viewer().supervised_team_ids, dt.datetime.now(dt.UTC)
    )
    assert ours.scenarios == {"small": "A small scenario"}
    assert ours.authorities == {"refund": "Refund"}
    assert [(r.name, r.passed, r.holds) for r in ours.rows] == [
        ("Ana Rep", ("A small scenario",), ()),
        ("Bo Rep", (), ("Refund",)),
    ]
    everyone = upward_queries.retraining(policy, None, dt.datetime.now(dt.UTC))
    assert [r.name for r in everyone.rows] == ["Ana Rep", "Bo Rep", "Cy Elsewhere"]
    assert "voice.policy.link" in actions()


def test_reps_submit_ideas_and_change_them_only_while_under_review() -> None:
    w = make_voice_world()
    idea = ops.submit_idea(
        ops.IdeaInput("Tracking links in texts", "Fewer calls.", w.logistics.id),
        by=w.rep,
    )
    assert idea.status is IdeaStatus.UNDER_REVIEW
    ops.edit_idea(idea, ops.IdeaInput("Tracking links", "Fewer calls.", None), by=w.rep)
    assert (idea.title, idea.department_id) == ("Tracking links", None)
    with pytest.raises(NotAllowed):
        ops.edit_idea(idea, ops.IdeaInput("Mine", "Now."), by=w.other_rep)
    with pytest.raises(NotAllowed):
        ops.submit_idea(ops.IdeaInput("T", "B"), by=w.leader)
    with pytest.raises(InvalidInput) as bad:
        ops.submit_idea(ops.IdeaInput("", "", 999_999), by=w.rep)
    assert set(bad.value.errors) == {"title", "body", "department_id"}
    assert count(Idea) == 1
    ops.triage_idea(idea, "planned", by=w.supervisor)
    with pytest.raises(NotAllowed):
        ops.edit_idea(idea, ops.IdeaInput("Later", "Now."), by=w.rep)
    assert actions().count("voice.idea.submit") == 1
    assert "voice.idea.edit" in actions()


def test_triage_in_order_a_decline_needs_a_reason_and_only_the_right_people_triage() -> (
    None
):
    w = make_voice_world()
    idea = ops.submit_idea(ops.IdeaInput("Refund button", "Quicker."), by=w.rep)
    loner = make_user(Role.REP, name="No Team")
    orphan = ops.submit_idea(ops.IdeaInput("Spare lids", "Cheaper."), by=loner)
    other_supervisor = make_user(Role.SUPERVISOR, name="Other Super")
    other_supervisor.supervised_teams = [make_team("Phone")]
    db.session.flush()
    with pytest.raises(NotAllowed):
        ops.triage_idea(idea, "planned", by=other_supervisor)
    with pytest.raises(NotAllowed):
        ops.triage_idea(idea, "planned", by=w.rep)
    # An idea whose author has no team: any supervisor triages it.
    ops.triage_idea(orphan, "adopted", by=other_supervisor)
    with pytest.raises(InvalidInput) as no_reason:
        ops.triage_idea(idea, "declined", " ", by=w.supervisor)
    assert no_reason.value.errors == {
        "reason": ["Say why it is declined: the author reads the reason."]
    }
    assert idea.status is IdeaStatus.UNDER_REVIEW
    step = ops.triage_idea(idea, "declined", "Auditors need the form.", by=w.leader)
    assert step.subject() == f"Your idea #{idea.id}: declined"
    with pytest.raises(InvalidInput) as final:
        ops.triage_idea(idea, "adopted", by=w.leader)
    assert final.value.errors == {"": ["The idea is declined; that decision is final."]}
    with pytest.raises(InvalidInput) as unknown:
        ops.triage_idea(orphan, "shelved", by=w.leader)
    assert list(unknown.value.errors) == ["status"]
    assert (idea.reason, idea.decided_by_id) == ("Auditors need the form.", w.leader.id)
    assert actions().count("voice.idea.triage") == 2


def test_a_month_reads_back_what_was_decided_and_the_adopted_ideas_to_credit() -> None:
    w = make_voice_world()
    nov = dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)
    dec = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
    policy = ops.post_policy(proposal(w.logistics.id), by=w.leader, today=TODAY)
    ops.vote_policy(policy, "support", by=w.rep, today=TODAY)
    ops.comment_policy(policy, "Good for customers.", by=w.rep, today=TODAY)
    ops.decide_policy(policy, "dropped", "Not now.", by=w.leader, today=TODAY, at=nov)
    adopted = ops.submit_idea(ops.IdeaInput("Tracking links", "Fewer calls."), by=w.rep)
    ops.triage_idea(adopted, "adopted", "Live.", by=w.leader, at=nov)
    declined = ops.submit_idea(ops.IdeaInput("Refund button", "Quick."), by=w.other_rep)
    ops.triage_idea(declined, "declined", "No.", by=w.leader, at=nov)
    later = ops.submit_idea(ops.IdeaInput("Spare lids", "Cheap."), by=w.rep)
    ops.triage_idea(later, "planned", by=w.leader, at=dec)
    ops.submit_idea(ops.IdeaInput("Open still", "Thinking."), by=w.rep)

    month = upward_queries.month_policies_and_ideas(db.session, "2026-11")
    assert [(p.title, p.outcome, p.comments) for p in month.policies] == [
        ("Photo proof before a replacement", Outcome.DROPPED, 1)
    ]
    assert month.policies[0].votes[Vote.SUPPORT] == 1
    assert [(i.title, i.author, i.status) for i in month.ideas] == [
        ("Tracking links", "Ana Rep", IdeaStatus.ADOPTED),
        ("Refund button", "Bo Rep", IdeaStatus.DECLINED),
    ]
    assert [i.title for i in month.ideas_in(IdeaStatus.DECLINED)] == ["Refund button"]
    december = upward_queries.month_policies_and_ideas(db.session, "2026-12")
    assert [(i.title, i.status) for i in december.ideas] == [
        ("Spare lids", IdeaStatus.PLANNED)
    ]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    credited = upward_queries.adopted_ideas([w.rep.id, w.other_rep.id], start, end)
    assert {k: [i.title for i in v] for k, v in credited.items()} == {
        w.rep.id: ["Tracking links"]
    }
