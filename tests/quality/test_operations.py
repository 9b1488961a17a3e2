"""Quality operations and reads on the database: rubric versions, the monthly sample, a
review from draft to decision, who sees which review, and the audit trail."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.auth import Viewer
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from quality import operations, queries
from quality.models import QaReview
from quality.reviews import Decision, ReviewState
from quality.rubrics import parse_rubric_yaml
from quality.sampling import Reason, SamplePlan
from tests.factories import make_team, make_user
from tests.quality.records import (
    SHIPPED,
    best_ratings,
    import_tickets,
    load_rubrics,
    make_review,
    ticket,
)
from training import authority_operations
from training import operations as training_operations
from training.models import Grant

pytestmark = pytest.mark.usefixtures("app_ctx")


def viewer(user, team_ids=()) -> Viewer:
    return Viewer(user.id, frozenset(user.roles), frozenset(team_ids))


@pytest.fixture
def team():
    """A team led by a supervisor, with two reps; the rubrics loaded."""
    load_rubrics()
    supervisor = make_user(Role.SUPERVISOR, name="Sam Supervisor")
    team = make_team("Quality team", supervisors=[supervisor])
    reps = [make_user(Role.REP, name=f"Rep {n}", team=team) for n in (1, 2)]
    return team, supervisor, reps


def _month_of_tickets(
    reps, count: int = 8, extra_by_number: dict | None = None
) -> dict[str, int]:
    """``count`` rated chat tickets per rep solved in March 2024, keyed ``<rep>-<n>``;
    ``extra_by_number[n]`` changes ticket ``n`` of every rep."""
    records = []
    for rep in reps:
        for n in range(1, count + 1):
            fields = {"csat": "good", **(extra_by_number or {}).get(n, {})}
            records.append(
                ticket(
                    f"{rep.id}-{n}",
                    rep.email,
                    f"2024-03-{n + 1:02d}T10:00:00Z",
                    **fields,
                )
            )
    return import_tickets(records)


# --- rubrics ------------------------------------------------------------------------------


def test_a_rubric_changed_after_submitted_reviews_gets_a_new_version(team) -> None:
    _, supervisor, reps = team
    rubric = queries.get_rubric_for("live")
    first = rubric.current
    text = (SHIPPED / "live.yaml").read_text()
    # Unused: changed in place.
    changed, outcome = operations.import_rubric_yaml(
        text.replace("weight: 15", "weight: 25"), by="test"
    )
    assert (changed.id, changed.version, outcome) == (first.id, 1, "updated")
    ids = _month_of_tickets(reps[:1], count=1)
    review = make_review(
        ids[f"{reps[0].id}-1"],
        rep=reps[0],
        reviewer=supervisor,
        state=ReviewState.SUBMITTED,
    )
    again, outcome = operations.import_rubric_yaml(text, by="test")
    assert outcome == "new_version"
    assert again.version == 2
    db.session.refresh(review)
    assert review.rubric_version_id == first.id  # judged by the version it used
    assert operations.import_rubric_yaml(text, by="test")[1] == "unchanged"


def test_a_bad_rubric_is_refused_with_its_lines_and_nothing_changes(team) -> None:
    before = queries.get_rubric_for("live").current.content_hash
    text = (SHIPPED / "live.yaml").read_text().replace("scale: 1-3", "scale: 1-4", 1)
    with pytest.raises(InvalidInput) as caught:
        operations.import_rubric_yaml(text, by="test")
    assert caught.value.errors["text"] == [
        "line 19: categories[3].scale: one of binary, 1-3, 1-5"
    ]
    assert queries.get_rubric_for("live").current.content_hash == before


def test_the_edit_page_keeps_a_rubric_in_its_channel_group(team) -> None:
    text = (SHIPPED / "public.yaml").read_text()
    with pytest.raises(InvalidInput, match="this rubric is for live"):
        operations.import_rubric_yaml(text, by="test", group="live")


# --- sampling -----------------------------------------------------------------------------


def test_sampling_gives_each_rep_targeted_and_random_tickets_for_their_supervisor(
    team,
) -> None:
    _, supervisor, reps = team
    _month_of_tickets(reps, extra_by_number={2: {"csat": "bad"}, 3: {"reopens": "2"}})
    outcome = operations.sample_month(
        "2024-03", by="test", plan=SamplePlan(random_per_rep=2, targeted_per_rep=2)
    )
    assert (outcome.created, outcome.reps, outcome.already) == (8, 2, 0)
    reviews = list(db.session.scalars(select(QaReview).order_by(QaReview.id)))
    assert {r.reviewer_id for r in reviews} == {supervisor.id}
    for rep in reps:
        reasons = sorted(r.reason for r in reviews if r.rep_id == rep.id)
        assert reasons == sorted(
            [Reason.LOW_RATING, Reason.REOPENED, Reason.RANDOM, Reason.RANDOM]
        )
    assert {r.state for r in reviews} == {ReviewState.DRAFT}
    assert {r.due_on for r in reviews} == {dt.date(2024, 4, 14)}
    assert queries.queue(supervisor.id) == reviews


def test_sampling_twice_adds_nothing(team) -> None:
    _, _, reps = team
    _month_of_tickets(reps)
    first = operations.sample_month("2024-03", by="test")
    second = operations.sample_month("2024-03", by="test")
    assert first.created == 6  # nothing to target: three random tickets each
    assert (second.created, second.already) == (0, 2)
    assert db.session.scalar(select(func.count()).select_from(QaReview)) == 6
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "quality.sample.draw")
        )
        == 1
    )


def test_nobody_reviews_their_own_tickets(team) -> None:
    """A rep who leads their own team has nobody else to review them: left out, named."""
    lead = make_user(Role.REP, Role.SUPERVISOR, name="Lone lead")
    own = make_team("Own team", supervisors=[lead])
    lead.team = own
    db.session.flush()
    _month_of_tickets([lead], count=3)
    outcome = operations.sample_month("2024-03", by="test")
    assert outcome.created == 0
    assert outcome.no_reviewer == [lead.email]


def test_refunds_above_the_reps_authority_then_are_targeted(team) -> None:
    _, supervisor, reps = team
    rep = reps[0]
    shipped = next(
        a for a in training_operations.DEFAULT_AUTHORITIES if a.code == "refund"
    )
    refund = authority_operations.save_authority(
        None, dataclasses.replace(shipped, prerequisites=()), by="test"
    )
    db.session.add(
        Grant(
            rep_id=rep.id,
            authority_id=refund.id,
            limit=Decimal(150),
            unit="USD",
            granted_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            granted_by_id=supervisor.id,
        )
    )
    _month_of_tickets(
        [rep], extra_by_number={4: {"tags": "refund:120"}, 5: {"tags": "refund:400"}}
    )
    operations.sample_month(
        "2024-03", by="test", plan=SamplePlan(random_per_rep=0, targeted_per_rep=1)
    )
    review = db.session.scalar(select(QaReview))
    facts = queries.review_context(review)
    assert review.reason == Reason.OVER_AUTHORITY
    assert facts.ticket.tags == ("refund:400",)
    assert [(a.name, a.limit) for a in facts.authority] == [(refund.name, Decimal(150))]
    assert (facts.refund, facts.refund_within_limit) == (Decimal(400), False)


def test_tickets_of_a_channel_group_without_a_rubric_are_left_out(app_ctx) -> None:
    operations.save_rubric(
        parse_rubric_yaml((SHIPPED / "written.yaml").read_text()), by="test"
    )
    supervisor = make_user(Role.SUPERVISOR)
    rep = make_user(Role.REP, team=make_team(supervisors=[supervisor]))
    import_tickets([ticket("C-1", rep.email, "2024-03-05T10:00:00Z")])
    outcome = operations.sample_month("2024-03", by="test")
    assert (outcome.created, outcome.no_rubric) == (0, ["live"])


# --- a review's life ----------------------------------------------------------------------


@pytest.fixture
def draft(team):
    _, supervisor, reps = team
    ids = _month_of_tickets(reps[:1], count=1)
    return make_review(ids[f"{reps[0].id}-1"], rep=reps[0], reviewer=supervisor)


def test_a_draft_keeps_partial_ratings_and_shows_the_score_so_far(draft) -> None:
    operations.save_draft(
        draft,
        ratings={"empathy": 3, "resolution": "na"},
        comments={"empathy": " Warm enough ", "tone": ""},
        note="First pass",
        by=draft.reviewer,
    )
    assert draft.ratings == {"empathy": 3, "resolution": "na"}
    assert draft.comments == {"empathy": "Warm enough"}
    assert draft.score == 50.0
    assert draft.state is ReviewState.DRAFT


def test_submit_needs_every_category_and_names_the_missing_ones(draft) -> None:
    with pytest.raises(InvalidInput) as caught:
        operations.submit_review(
            draft, ratings={"empathy": 5}, comments={}, note="", by=draft.reviewer
        )
    assert set(caught.value.errors) == {
        "rating_greeting",
        "rating_ownership",
        "rating_resolution",
        "rating_tone",
        "rating_policy",
    }


def test_a_submitted_review_is_final(draft) -> None:
    ratings = best_ratings(draft)
    operations.submit_review(
        draft, ratings=ratings, comments={}, note="", by=draft.reviewer
    )
    assert (draft.state, draft.score, draft.critical_failed) == (
        ReviewState.SUBMITTED,
        100.0,
        False,
    )
    with pytest.raises(Conflict, match="submitted review is final"):
        operations.submit_review(
            draft, ratings=ratings, comments={}, note="", by=draft.reviewer
        )
    with pytest.raises(Conflict):
        operations.save_draft(
            draft, ratings={}, comments={}, note="later", by=draft.reviewer
        )


def test_a_failed_critical_category_zeroes_the_review(draft) -> None:
    ratings = {**best_ratings(draft), "policy": 0}
    operations.submit_review(
        draft, ratings=ratings, comments={}, note="", by=draft.reviewer
    )
    assert (draft.score, draft.critical_failed) == (0.0, True)


def test_only_the_reviewer_changes_a_review(draft, team) -> None:
    _, _, reps = team
    other = make_user(Role.SUPERVISOR)
    for person in (other, reps[0]):
        with pytest.raises(NotAllowed):
            operations.save_draft(draft, ratings={}, comments={}, note="", by=person)


def test_a_rating_off_the_scale_is_refused(draft) -> None:
    with pytest.raises(InvalidInput) as caught:
        operations.save_draft(
            draft, ratings={"empathy": 9}, comments={}, note="", by=draft.reviewer
        )
    assert caught.value.errors == {"rating_empathy": ["Rate Empathy on its scale."]}


def test_the_rep_acknowledges_or_disputes_and_someone_else_decides(team) -> None:
    the_team, supervisor, reps = team
    rep = reps[0]
    ids = _month_of_tickets([rep], count=3)
    acked = make_review(
        ids[f"{rep.id}-1"], rep=rep, reviewer=supervisor, state=ReviewState.SUBMITTED
    )
    operations.acknowledge_review(acked, by=rep)
    with pytest.raises(Conflict, match="acknowledged this review already"):
        operations.acknowledge_review(acked, by=rep)
    with pytest.raises(NotAllowed):
        operations.acknowledge_review(acked, by=reps[1])

    review = make_review(
        ids[f"{rep.id}-2"], rep=rep, reviewer=supervisor, state=ReviewState.SUBMITTED
    )
    with pytest.raises(InvalidInput):
        operations.dispute_review(review, reason="  ", by=rep)
    operations.dispute_review(review, reason="The customer asked for it", by=rep)
    assert review.state is ReviewState.DISPUTED
    second = make_user(Role.SUPERVISOR, name="Second supervisor")
    the_team.supervisors.append(second)
    db.session.flush()
    with pytest.raises(NotAllowed, match="reviewer cannot decide"):
        operations.decide_dispute(
            review,
            decision=Decision.WITHDRAWN,
            note="Mine",
            by=supervisor,
            may_act=queries.may_decide(viewer(supervisor, [the_team.id]), review),
        )
    outsider = make_user(Role.SUPERVISOR)
    assert not queries.may_decide(viewer(outsider), review)
    operations.decide_dispute(
        review,
        decision=Decision.WITHDRAWN,
        note="The earlier ticket shows it",
        by=second,
        may_act=queries.may_decide(viewer(second, [the_team.id]), review),
    )
    assert (review.state, review.decision, review.decided_by_id) == (
        ReviewState.DECIDED,
        Decision.WITHDRAWN,
        second.id,
    )
    with pytest.raises(Conflict, match="decided already"):
        operations.decide_dispute(
            review, decision=Decision.UPHELD, note="again", by=second, may_act=True
        )
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("quality.review.%"))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == [
        "quality.review.submit",
        "quality.review.acknowledge",
        "quality.review.submit",
        "quality.review.dispute",
        "quality.review.decide",
    ]
    # The withdrawn review no longer counts; the acknowledged one does.
    scores = queries.month_scores([acked, review])
    assert scores[(rep.id, "2024-03")].reviews == 1
    assert scores[(rep.id, "2024-03")].small_sample


def test_who_sees_which_review(team) -> None:
    the_team, supervisor, reps = team
    rep, colleague = reps
    ids = _month_of_tickets([rep], count=2)
    draft = make_review(ids[f"{rep.id}-1"], rep=rep, reviewer=supervisor)
    done = make_review(
        ids[f"{rep.id}-2"], rep=rep, reviewer=supervisor, state=ReviewState.SUBMITTED
    )
    elsewhere = make_user(Role.SUPERVISOR)
    leader = make_user(Role.LEADERSHIP)
    cases = {
        "rep": (viewer(rep), {done.id}),
        "colleague": (viewer(colleague), set()),
        "supervisor": (viewer(supervisor, [the_team.id]), {draft.id, done.id}),
        "elsewhere": (viewer(elsewhere, [the_team.id + 999]), set()),
        "leadership": (viewer(leader), {draft.id, done.id}),
    }
    for name, (who, expected) in cases.items():
        listed = {r.id for r in queries.list_reviews(who)}
        assert listed == expected, name
        for review in (draft, done):
            assert queries.can_view(who, review) is (review.id in expected), name
