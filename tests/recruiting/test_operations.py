"""Recruiting operations against the database: versions, candidates, moves, test links,
scoring, hiring, ratings, scorecards, export, erasure and retention."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.accounts import rep_created
from core.audit import AuditEvent
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.people import User, get_user_by_email, hash_token
from recruiting import assessment as rules
from recruiting import (
    invitation_operations,
    operations,
    personal_data_operations,
    queries,
    review_operations,
)
from recruiting.assessment import Answer, AssessmentInvalid
from recruiting.models import (
    Assessment,
    AssessmentResult,
    Candidate,
    InterviewScorecard,
    Invitation,
    OpeningStatus,
    ResultRating,
    StageChange,
)
from recruiting.pipeline import LinkState, Recommendation, Stage
from tests.factories import make_team, make_user
from tests.recruiting.factories import (
    DEFAULT_YAML,
    answer_all,
    load_default,
    make_candidate,
    make_opening,
    take_with,
)

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def manager() -> User:
    return make_user(Role.HIRING_MANAGER, name="Hana Manager")


@pytest.fixture
def opening(manager):
    return make_opening(manager)


def _audit_text() -> str:
    events = db.session.scalars(select(AuditEvent)).all()
    return json.dumps([[e.summary, e.data] for e in events], default=str)


# --- assessments and versions -----------------------------------------------------------


def test_a_changed_file_becomes_a_new_version_and_results_keep_theirs(manager) -> None:
    first = operations.load_assessment(DEFAULT_YAML, by="test")
    assert (first.created, first.assessment.version) == (True, 1)
    again = operations.load_assessment("# reloaded\n" + DEFAULT_YAML, by="test")
    assert (again.created, again.assessment.id) == (False, first.assessment.id)

    opening = make_opening(manager, assessment=first.assessment)
    closed = make_opening(manager, assessment=first.assessment)
    operations.set_opening_status(closed, OpeningStatus.CLOSED, by=manager)
    taken = answer_all(make_candidate(opening, manager), manager)

    changed = DEFAULT_YAML.replace("It cost 60 USD.", "It cost 65 USD.")
    second = operations.load_assessment(changed, by="test")
    assert (second.created, second.assessment.version) == (True, 2)
    assert second.moved_openings == [opening]
    assert opening.assessment_id == second.assessment.id
    assert closed.assessment_id == first.assessment.id
    assert taken.assessment_id == first.assessment.id
    # A new link for another candidate tests on the new version.
    invitation, _ = invitation_operations.create_invitation(
        make_candidate(opening, manager), by=manager
    )
    assert invitation.assessment_id == second.assessment.id


def test_an_invalid_file_stores_nothing() -> None:
    broken = DEFAULT_YAML.replace("type: most_least", "type: sometimes", 1)
    with pytest.raises(AssessmentInvalid) as caught:
        operations.load_assessment(broken, by="test")
    assert "Item 2 (one-star-review): 'type' must be" in caught.value.problems[0]
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


# --- openings ---------------------------------------------------------------------------


def test_opening_rules_come_back_as_field_errors(manager) -> None:
    assessment = load_default()
    data = operations.OpeningInput(
        title="Rep",
        team_id=999_999,
        assessment_id=assessment.id,
        weights=dict.fromkeys(("empathy", "ownership"), 0),
    )
    with pytest.raises(InvalidInput) as caught:
        operations.save_opening(None, data, by=manager)
    assert caught.value.errors == {
        "team_id": ["Choose a team."],
        "": ["Give at least one competency a weight above 0."],
    }


# --- candidates and duplicates ----------------------------------------------------------


def test_the_same_email_on_the_same_opening_is_refused_and_elsewhere_flagged(
    manager, opening
) -> None:
    first = make_candidate(opening, manager, email="ana@example.org")
    with pytest.raises(InvalidInput) as caught:
        make_candidate(opening, manager, email="ANA@example.org")
    assert caught.value.errors == {
        "email": ["ana@example.org is already a candidate for this opening."]
    }
    other = make_candidate(make_opening(manager), manager, email="ana@example.org")
    assert (other.duplicate_of_id, other.duplicate_reason) == (first.id, "same e-mail")
    by_phone = make_candidate(
        make_opening(manager), manager, phone="+44 7700 900123", email="x@example.org"
    )
    again = make_candidate(
        opening, manager, phone="0044 7700 900 123", email="y@example.org"
    )
    assert (again.duplicate_of_id, again.duplicate_reason) == (
        by_phone.id,
        "same phone",
    )


def test_adding_records_the_first_stage_and_audits_without_personal_data(
    manager, opening
) -> None:
    candidate = make_candidate(
        opening, manager, name="Zora Quill", email="zora@example.org"
    )
    history = db.session.scalars(
        select(StageChange).where(StageChange.candidate_id == candidate.id)
    ).all()
    assert [(h.from_stage, h.to_stage, h.by_label) for h in history] == [
        (None, Stage.APPLIED, "Hana Manager")
    ]
    text = _audit_text()
    assert f"Candidate #{candidate.id}" in text
    assert "Zora" not in text
    assert "zora@" not in text


def test_a_closed_opening_takes_no_candidates(manager, opening) -> None:
    operations.set_opening_status(opening, OpeningStatus.CLOSED, by=manager)
    with pytest.raises(InvalidInput, match="closed"):
        make_candidate(opening, manager)


def test_import_skips_repeats_and_flags_other_duplicates(manager, opening) -> None:
    from recruiting.importing import parse_candidates

    existing = make_candidate(opening, manager, email="old@example.org")
    elsewhere = make_candidate(
        make_opening(manager), manager, email="moved@example.org"
    )
    rows, errors = parse_candidates(
        "name,email\n"
        "Old,old@example.org\n"
        "New,new@example.org\n"
        "New again,NEW@example.org\n"
        "Moved,moved@example.org\n"
    )
    assert errors == []
    outcome = operations.import_candidates(opening, rows, by=manager)
    assert [c.email for c in outcome.created] == [
        "new@example.org",
        "moved@example.org",
    ]
    assert [row for row, _ in outcome.skipped] == [2, 4]
    assert outcome.skipped[0][1] == existing.id
    assert outcome.created[1].duplicate_of_id == elsewhere.id


# --- moves ------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_closes_open_links(manager, opening) -> None:
    candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
    invitation, _ = invitation_operations.create_invitation(candidate, by=manager)
    with pytest.raises(InvalidInput) as caught:
        operations.move_candidate(candidate, Stage.REJECTED, " ", by=manager)
    assert caught.value.errors == {"reason": ["Say why the candidate is rejected."]}
    operations.move_candidate(candidate, Stage.REJECTED, "Not a fit", by=manager)
    assert candidate.closed_at is not None
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    assert invitation.state() is LinkState.REVOKED
    operations.move_candidate(candidate, Stage.SCREENING, "Second look", by=manager)
    assert candidate.closed_at is None
    history = db.session.scalars(
        select(StageChange.to_stage)
        .where(StageChange.candidate_id == candidate.id)
        .order_by(StageChange.id)
    ).all()
    assert history == [Stage.APPLIED, Stage.SCREENING, Stage.REJECTED, Stage.SCREENING]


# --- test links: token lifecycle ----------------------------------------------------------


def test_only_the_tokens_hash_is_stored(manager, opening) -> None:
    invitation, token = invitation_operations.create_invitation(
        make_candidate(opening, manager), by=manager
    )
    assert invitation.token_hash == hash_token(token) != token
    assert len(token) >= 40
    stored = db.session.scalars(select(Invitation.token_hash)).all()
    assert token not in stored
    assert queries.get_invitation_by_token(token) is invitation
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert queries.get_invitation_by_token(tampered) is None


def test_a_new_link_replaces_the_working_one_only_when_asked(manager, opening) -> None:
    candidate = make_candidate(opening, manager)
    old, _ = invitation_operations.create_invitation(candidate, by=manager)
    with pytest.raises(invitation_operations.LinkAlreadyOpen) as refused:
        invitation_operations.create_invitation(candidate, by=manager)
    assert refused.value.invitation is old
    assert old.state() is LinkState.READY
    new, _ = invitation_operations.create_invitation(
        candidate, by=manager, replace=True
    )
    db.session.refresh(old)
    assert old.state() is LinkState.REVOKED
    assert new.state() is LinkState.READY
    assert old.revoke_reason == "Replaced by a new link"


def test_a_link_that_no_longer_works_is_replaced_without_asking(
    manager, opening
) -> None:
    candidate = make_candidate(opening, manager)
    made = utcnow() - dt.timedelta(days=8)
    old, _ = invitation_operations.create_invitation(
        candidate, by=manager, at=made, days=7
    )
    new, _ = invitation_operations.create_invitation(candidate, by=manager)
    assert old.state() is LinkState.REVOKED
    assert new.state() is LinkState.READY


def test_an_expired_link_cannot_be_started(manager, opening) -> None:
    made = utcnow() - dt.timedelta(days=8)
    invitation, _ = invitation_operations.create_invitation(
        make_candidate(opening, manager), by=manager, at=made, days=7
    )
    assert invitation.state() is LinkState.EXPIRED
    with pytest.raises(Conflict, match="expired"):
        invitation_operations.start_test(invitation)


def test_answers_save_as_given_and_replace_earlier_ones(manager, opening) -> None:
    invitation, _ = invitation_operations.create_invitation(
        make_candidate(opening, manager), by=manager
    )
    with pytest.raises(Conflict, match="Start the test first"):
        invitation_operations.save_answer(
            invitation, "refund-within-authority", "a", None
        )
    invitation_operations.start_test(invitation)
    invitation_operations.save_answer(invitation, "refund-within-authority", "b", None)
    invitation_operations.save_answer(invitation, "refund-within-authority", "a", None)
    invitation_operations.save_answer(
        invitation, "one-star-review", "a", None
    )  # half of most/least
    assert invitation_operations.answers_of(invitation.id) == {
        "refund-within-authority": Answer("a"),
        "one-star-review": Answer("a"),
    }
    with pytest.raises(InvalidInput, match="must be different"):
        invitation_operations.save_answer(invitation, "one-star-review", "a", "a")
    with pytest.raises(InvalidInput, match="not part of this test"):
        invitation_operations.save_answer(invitation, "no-such-item", "a", None)


def test_submitting_scores_the_answers_and_refuses_a_second_submit(
    manager, opening
) -> None:
    candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
    answers = {
        "refund-within-authority": Answer("a"),
        "one-star-review": Answer("a", "b"),
    }
    result = take_with(candidate, manager, answers)
    spec = result.assessment.parsed
    expected = rules.score_answers(spec, answers)
    assert result.scores == dict(expected.by_competency)
    assert result.overall == expected.overall
    assert (result.answered, result.item_count) == (2, len(spec.items))
    assert candidate.stage is Stage.ASSESSED
    invitation = db.session.get(Invitation, result.invitation_id)
    with pytest.raises(Conflict, match="already been submitted"):
        invitation_operations.submit_test(invitation)
    with pytest.raises(Conflict, match="already been submitted"):
        invitation_operations.save_answer(
            invitation, "refund-within-authority", "b", None
        )
    with pytest.raises(InvalidInput, match="already completed"):
        invitation_operations.create_invitation(candidate, by=manager)


def test_after_the_deadline_saved_answers_are_scored_as_they_stand(
    manager, opening
) -> None:
    candidate = make_candidate(opening, manager)
    invitation, _ = invitation_operations.create_invitation(
        candidate, by=manager, time_limit_minutes=10
    )
    start = utcnow() - dt.timedelta(minutes=15)
    invitation_operations.start_test(invitation, at=start)
    invitation_operations.save_answer(
        invitation, "refund-within-authority", "a", None, at=start
    )
    with pytest.raises(Conflict, match="time for this test is up"):
        invitation_operations.save_answer(
            invitation, "parcel-marked-delivered", "b", None
        )
    assert invitation_operations.close_overdue_tests(opening_id=opening.id) == 1
    result = candidate.result
    assert result.timed_out
    assert result.answered == 1
    assert result.submitted_at == invitation.deadline_at
    assert invitation_operations.close_overdue_tests(opening_id=opening.id) == 0


@pytest.mark.parametrize("closing", [Stage.REJECTED, Stage.WITHDRAWN])
def test_links_die_when_the_candidacy_closes(manager, opening, closing) -> None:
    candidate = make_candidate(opening, manager)
    invitation, _ = invitation_operations.create_invitation(candidate, by=manager)
    invitation_operations.start_test(invitation)
    operations.move_candidate(candidate, closing, "closing", by=manager)
    db.session.refresh(invitation)
    assert invitation.state() is LinkState.REVOKED
    with pytest.raises(Conflict):
        invitation_operations.save_answer(
            invitation, "refund-within-authority", "a", None
        )


# --- hiring -----------------------------------------------------------------------------


def test_hiring_creates_the_rep_account_links_it_and_announces_it(manager) -> None:
    team = make_team("Night shift")
    opening = make_opening(manager, team=team)
    candidate = make_candidate(
        opening, manager, name="Nia Newhire", email="nia@example.org", stage=Stage.OFFER
    )
    invitation, _ = invitation_operations.create_invitation(candidate, by=manager)
    announced: list[User] = []

    def receiver(user: User, **_: object) -> None:
        announced.append(user)

    with rep_created.connected_to(receiver):
        user = operations.hire_candidate(candidate, by=manager, team_id=team.id)
    assert get_user_by_email("nia@example.org") is user
    assert user.roles == frozenset({Role.REP})
    assert user.team_id == team.id
    assert announced == [user]
    assert candidate.hired_user_id == user.id
    assert candidate.stage is Stage.HIRED
    db.session.refresh(invitation)
    assert invitation.state() is LinkState.REVOKED


def test_hiring_needs_an_offer_and_a_free_email(manager, opening) -> None:
    early = make_candidate(opening, manager, stage=Stage.INTERVIEW)
    with pytest.raises(InvalidInput, match="Move the candidate to offer"):
        operations.hire_candidate(early, by=manager, team_id=opening.team_id)
    make_user(Role.REP, email="taken@example.org")
    taken = make_candidate(
        opening, manager, email="taken@example.org", stage=Stage.OFFER
    )
    with pytest.raises(InvalidInput, match="already logs in"):
        operations.hire_candidate(taken, by=manager, team_id=opening.team_id)


# --- ratings and scorecards -------------------------------------------------------------


def test_a_rating_needs_a_result_and_can_be_changed(manager, opening) -> None:
    candidate = make_candidate(opening, manager)
    with pytest.raises(InvalidInput, match="no test result"):
        review_operations.rate_result(candidate, by=manager, rating=4)
    answer_all(candidate, manager)
    review_operations.rate_result(candidate, by=manager, rating=4)
    review_operations.rate_result(
        candidate, by=manager, rating=2, note="weak on judgement"
    )
    ratings = db.session.scalars(select(ResultRating)).all()
    assert [(r.rating, r.note) for r in ratings] == [(2, "weak on judgement")]


def _levels(value: int) -> dict[rules.Competency, int]:
    return dict.fromkeys(rules.COMPETENCIES, value)


def test_a_scorecard_is_final_and_only_for_interviews(manager, opening) -> None:
    early = make_candidate(opening, manager, stage=Stage.ASSESSED)
    with pytest.raises(InvalidInput, match="interview or offer"):
        review_operations.submit_scorecard(
            early, by=manager, ratings=_levels(3), recommendation=Recommendation.HIRE
        )
    candidate = make_candidate(opening, manager, stage=Stage.INTERVIEW)
    review_operations.submit_scorecard(
        candidate, by=manager, ratings=_levels(4), recommendation=Recommendation.HIRE
    )
    with pytest.raises(Conflict, match="already submitted"):
        review_operations.submit_scorecard(
            candidate,
            by=manager,
            ratings=_levels(5),
            recommendation=Recommendation.HIRE,
        )
    with pytest.raises(InvalidInput) as caught:
        review_operations.submit_scorecard(
            candidate,
            by=make_user(Role.HIRING_MANAGER),
            ratings={**_levels(3), rules.Competency.COMPOSURE: 6},
            recommendation=Recommendation.NO_HIRE,
        )
    assert caught.value.errors == {"composure": ["Choose a level from 1 to 5."]}
    assert db.session.scalar(select(func.count()).select_from(InterviewScorecard)) == 1


# --- export, erasure, retention ---------------------------------------------------------


def test_export_holds_everything_about_the_candidate(manager, opening) -> None:
    candidate = make_candidate(
        opening, manager, name="Ezra Export", email="ezra@example.org"
    )
    answer_all(candidate, manager)
    data = personal_data_operations.export_candidate(candidate, by=manager)
    assert data["candidate"]["name"] == "Ezra Export"
    assert data["candidate"]["email"] == "ezra@example.org"
    assert len(data["test_links"][0]["answers"]) == 14
    assert set(data["result"]["scores"]) == {c.value for c in rules.COMPETENCIES}
    json.dumps(data)  # ready to download
    assert "Ezra" not in _audit_text()


def test_erasure_blanks_personal_data_and_keeps_anonymous_scores(
    manager, opening
) -> None:
    candidate = make_candidate(
        opening, manager, name="Erin Erase", email="erin@example.org"
    )
    result = answer_all(candidate, manager)
    review_operations.rate_result(
        candidate, by=manager, rating=3, note="Erin seemed nervous"
    )
    operations.move_candidate(
        candidate, Stage.REJECTED, "Erin took another job", by=manager
    )
    personal_data_operations.erase_candidate(candidate, by=manager, why="request")
    assert (candidate.name, candidate.email, candidate.phone, candidate.notes) == (
        "",
        None,
        None,
        None,
    )
    assert candidate.source is None
    assert candidate.is_erased
    reasons = db.session.scalars(
        select(StageChange.reason).where(StageChange.candidate_id == candidate.id)
    ).all()
    assert "Erin took another job" not in reasons
    assert (
        db.session.scalar(select(ResultRating.note)) == personal_data_operations.ERASED
    )
    assert db.session.get(AssessmentResult, result.id).overall == result.overall
    assert len(invitation_operations.answers_of(result.invitation_id)) == 14
    assert "Erin" not in _audit_text()
    assert "erin@" not in _audit_text()


def test_purge_erases_only_candidates_closed_longer_ago_than_the_retention(
    manager, opening
) -> None:
    now = utcnow()

    def closed(stage: Stage, months_ago: float) -> Candidate:
        candidate = make_candidate(opening, manager, stage=stage)
        candidate.closed_at = now - dt.timedelta(days=30.5 * months_ago)
        return candidate

    old_rejected = closed(Stage.REJECTED, 7)
    old_withdrawn = closed(Stage.WITHDRAWN, 6.5)
    recent = closed(Stage.REJECTED, 5)
    active = make_candidate(opening, manager, stage=Stage.INTERVIEW)
    erased = personal_data_operations.purge_candidates(months=6, by="cli", at=now)
    assert sorted(erased) == sorted([old_rejected.id, old_withdrawn.id])
    assert old_rejected.is_erased
    assert old_withdrawn.is_erased
    assert not recent.is_erased
    assert not active.is_erased
    assert personal_data_operations.purge_candidates(months=6, by="cli", at=now) == []
    assert personal_data_operations.purge_candidates(months=4, by="cli", at=now) == [
        recent.id
    ]


def test_retention_follows_the_admin_setting() -> None:
    from core import settings

    assert personal_data_operations.retention_months() == 6
    settings.set_setting(personal_data_operations.RETENTION_KEY, 3, by="test")
    assert personal_data_operations.retention_months() == 3
