"""The QA score in incentives: in the month's figures (one place), scored by a plan that
weights it, kept by a close whatever is decided after, and on every surface: the scores
page and CSV, the metrics CSV and API, the scorecards (pages and PDF), Quality > Reviews.

March 2024 of :mod:`tests.incentives.scoring_world`, with quality reviews of the reps'
tickets (each review at the top of every scale scores 100, at the bottom 0):

* Ann: A1 100 (acknowledged), A2 100, A3 0 (submitted): 66.7 on 3 reviews.
* Bob: B1 100 submitted; B2 100 but disputed (it waits for a decision): 100.0 on 1.
* Desk (Ann and Bob): 100, 100, 0, 100: 75.0 on 4. Other (Cat): none. The organisation
  as Desk.

The QA plan: CSAT 40, timely 30, QA 30 (no credit at 60, full at 90), from 2 reviews.
Ann's QA 66.7 earns (66.7 - 60) / 30 = 22% of its weight; Bob's single review is under
the minimum: no value, its weight shared between CSAT and timely.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from core.access import Role
from core.db import db
from incentives import month_cache
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.models import MonthScore
from quality import operations as quality_operations
from quality.models import QaReview
from quality.reviews import Decision
from tests.core.test_pdf import pdf_text
from tests.factories import make_api_token
from tests.helpers import post_form, text
from tests.incentives import scoring_world
from tests.quality.records import best_ratings, load_rubrics, make_review

MARCH = "2024-03"
QA_PLAN = {
    **scoring_world.PLAN,
    "metrics": {
        "csat": {"weight": 40, "threshold": 80, "target": 95},
        "timely_rate": {"weight": 30, "threshold": 50, "target": 100},
        "qa": {"weight": 30, "threshold": 60, "target": 90},
    },
    "qa_min_reviews": 2,
}


def worst_ratings(review: QaReview) -> dict[str, object]:
    return {c.key: c.scale.points[0] for c in review.rubric_version.rules.categories}


def review(world, key: str, rep, *, worst: bool = False, dispute: bool = False):
    """A submitted review of ticket ``key`` by the rep's supervisor: every category at
    the top of its scale (100), or at the bottom (0)."""
    made = make_review(world.tickets[key], rep=rep, reviewer=world.sam)
    ratings = worst_ratings(made) if worst else best_ratings(made)
    quality_operations.submit_review(
        made, ratings=ratings, comments={}, note="", by=world.sam
    )
    if dispute:
        quality_operations.dispute_review(made, reason="Not how it went", by=rep)
    return made


def build_world() -> scoring_world.World:
    world = scoring_world.build()
    load_rubrics()
    first = review(world, "A1", world.ann)
    quality_operations.acknowledge_review(first, by=world.ann)  # counts as submitted
    review(world, "A2", world.ann)
    review(world, "A3", world.ann, worst=True)
    review(world, "B1", world.bob)
    review(world, "B2", world.bob, dispute=True)
    return world


@pytest.fixture
def world(seed) -> scoring_world.World:
    with seed():
        return build_world()


@pytest.fixture
def qa_world(seed) -> scoring_world.World:
    """The world with the QA plan as the plan's next version (in force)."""
    with seed():
        built = build_world()
        scoring_operations.save_plan(
            built.version.plan, scoring_operations.check_plan(QA_PLAN), by=built.admin
        )
    return built


def qa_of(figures_row: Any) -> tuple[float | None, int]:
    score = figures_row["qa_score"]
    return (None if score != score else round(float(score), 1)), int(
        figures_row["qa_reviews"]
    )


def csv_rows(body: str, key: str = "rep_email") -> dict[str, dict[str, str]]:
    return {r[key]: r for r in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}


def decide_b2(world, decision: Decision) -> None:
    disputed = db.session.scalar(
        select(QaReview).where(QaReview.ticket_id == world.tickets["B2"])
    )
    quality_operations.decide_dispute(
        disputed, decision=decision, note="Checked", by=world.admin, may_act=True
    )


# --- the month's figures ------------------------------------------------------------------


def test_the_month_s_figures_carry_each_rep_s_team_s_and_the_organisation_s_qa(
    app, world
) -> None:
    with app.app_context():
        figures = month_cache.month_figures(MARCH)
        assert qa_of(figures.reps.loc[world.ann.id]) == (66.7, 3)
        assert qa_of(figures.reps.loc[world.bob.id]) == (100.0, 1)  # B2 waits
        assert qa_of(figures.reps.loc[world.cat.id]) == (None, 0)
        assert qa_of(figures.teams.loc[world.desk.id]) == (75.0, 4)
        assert qa_of(figures.teams.loc[world.other.id]) == (None, 0)
        assert qa_of(figures.organisation) == (75.0, 4)
        # A rep's or a team's slice, and a supervisor's view, read the same figures.
        assert qa_of(month_cache.rep_summary(world.ann.id, MARCH)) == (66.7, 3)
        team = month_cache.team_summary([world.desk.id], MARCH)
        assert qa_of(team.loc[world.desk.id]) == (75.0, 4)


def test_slices_computed_alone_carry_the_same_qa_scores(app, world) -> None:
    """Without the organisation's figures at hand, a rep's row and a team's rows are
    worked out from their own tickets: their QA scores come in the same way."""
    with app.app_context():
        month_cache.forget()
        alone = month_cache.rep_summary(world.ann.id, MARCH)
        assert qa_of(alone) == (66.7, 3)
        teams = month_cache.team_summary([world.desk.id, world.other.id], MARCH)
        assert qa_of(teams.loc[world.desk.id]) == (75.0, 4)


def test_an_open_month_follows_every_submit_and_decision(app, seed, world) -> None:
    with app.app_context():
        before = month_cache.figures_version()
        assert qa_of(month_cache.month_figures(MARCH).reps.loc[world.bob.id]) == (
            100.0,
            1,
        )
    with seed():
        decide_b2(world, Decision.UPHELD)
    with app.app_context():
        assert month_cache.figures_version() != before
        figures = month_cache.month_figures(MARCH)
        assert qa_of(figures.reps.loc[world.bob.id]) == (100.0, 2)
        assert qa_of(figures.teams.loc[world.desk.id]) == (80.0, 5)
    with seed():
        review(world, "A4", world.ann, worst=True)  # a new submit counts at once
    with app.app_context():
        assert qa_of(month_cache.month_figures(MARCH).reps.loc[world.ann.id]) == (
            50.0,
            4,
        )


def test_a_draft_saved_leaves_the_fingerprint_alone_a_submit_renews_it(
    app, seed, world
) -> None:
    with seed():
        draft = make_review(world.tickets["A4"], rep=world.ann, reviewer=world.sam)
    with app.app_context():
        before = month_cache.figures_version()
    with seed():
        draft = db.session.merge(draft)
        quality_operations.save_draft(
            draft,
            ratings=best_ratings(draft),
            comments={},
            note="Half way",
            by=db.session.merge(world.sam),
        )
    with app.app_context():
        assert month_cache.figures_version() == before
    with seed():
        draft = db.session.merge(draft)
        quality_operations.submit_review(
            draft,
            ratings=best_ratings(draft),
            comments={},
            note="Done",
            by=db.session.merge(world.sam),
        )
    with app.app_context():
        assert month_cache.figures_version() != before
        assert qa_of(month_cache.month_figures(MARCH).reps.loc[world.ann.id]) == (
            75.0,
            4,
        )


def test_a_withdrawn_review_stops_counting(app, seed, world) -> None:
    with seed():
        decide_b2(world, Decision.WITHDRAWN)
    with app.app_context():
        figures = month_cache.month_figures(MARCH)
        assert qa_of(figures.reps.loc[world.bob.id]) == (100.0, 1)


# --- scoring ------------------------------------------------------------------------------


def test_a_plan_weighting_qa_scores_it_from_its_minimum_of_reviews(
    app, qa_world
) -> None:
    with app.app_context():
        scores = scoring_queries.month_scores(MARCH)
        ann = {line.metric: line for line in scores.scores[qa_world.ann.id].lines}
        bob = {line.metric: line for line in scores.scores[qa_world.bob.id].lines}
    assert ann["qa"].value == pytest.approx(66.7)
    assert ann["qa"].attainment == pytest.approx((66.7 - 60) / 30)
    assert ann["qa"].effective_weight == pytest.approx(30)
    assert ann["qa"].contribution == pytest.approx((66.7 - 60) / 30 * 30)
    assert bob["qa"].value is None
    assert bob["qa"].raw == pytest.approx(100.0)
    assert bob["qa"].note.startswith("1 review this month, under the 2 the plan needs")
    assert bob["csat"].effective_weight == pytest.approx(40 / 70 * 100)
    assert bob["timely_rate"].effective_weight == pytest.approx(30 / 70 * 100)


def test_a_closed_month_keeps_its_qa_whatever_is_decided_after(
    app, seed, qa_world
) -> None:
    with seed():
        scoring_operations.close_month(MARCH, by=qa_world.admin, today_month="2024-04")
    with app.app_context():
        closed = scoring_queries.month_scores(MARCH)
        bob_before = closed.scores[qa_world.bob.id].score
        kept = db.session.scalar(
            select(MonthScore.metrics).where(MonthScore.rep_id == qa_world.bob.id)
        )
        assert (kept["qa_score"], kept["qa_reviews"]) == (100.0, 1)
    # Bob's dispute is upheld after the close, and one more review of Ann comes in.
    with seed():
        decide_b2(qa_world, Decision.UPHELD)
        review(qa_world, "A4", qa_world.ann, worst=True)
    with app.app_context():
        month_cache.forget()
        figures = month_cache.month_figures(MARCH)
        assert figures.closed_label.startswith("Closed on ")
        assert qa_of(figures.reps.loc[qa_world.bob.id]) == (100.0, 1)
        assert qa_of(figures.reps.loc[qa_world.ann.id]) == (66.7, 3)
        assert qa_of(figures.teams.loc[qa_world.desk.id]) == (75.0, 4)
        again = scoring_queries.month_scores(MARCH)
        assert again.scores[qa_world.bob.id].score == bob_before
        bob_qa = next(
            ln for ln in again.scores[qa_world.bob.id].lines if ln.metric == "qa"
        )
        assert bob_qa.value is None
    # Reopened, the month reads the reviews as they are now.
    with seed():
        scoring_operations.reopen_month(MARCH, by=qa_world.admin, reason="QA decided")
    with app.app_context():
        live = month_cache.month_figures(MARCH)
        assert qa_of(live.reps.loc[qa_world.bob.id]) == (100.0, 2)
        assert qa_of(live.reps.loc[qa_world.ann.id]) == (50.0, 4)
        rescored = scoring_queries.month_scores(MARCH)
        bob_qa = next(
            ln for ln in rescored.scores[qa_world.bob.id].lines if ln.metric == "qa"
        )
        assert bob_qa.value == pytest.approx(100.0)


# --- surfaces -----------------------------------------------------------------------------


def test_the_csvs_and_the_metrics_api_give_the_qa_scores(
    app, client, login_as, qa_world
) -> None:
    with app.app_context():
        token = make_api_token(Role.LEADERSHIP)
        db.session.commit()
    body = client.get(
        f"/api/v1/metrics/{MARCH}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    reps = {r["email"]: r for r in body["reps"]}
    assert (
        reps["ann@example.com"]["qa_score"],
        reps["ann@example.com"]["qa_reviews"],
    ) == (
        pytest.approx(66.7),
        3,
    )
    assert reps["cat@example.com"]["qa_score"] is None
    teams = {t["team"]: t for t in body["teams"]}
    assert (teams["Desk"]["qa_score"], teams["Desk"]["qa_reviews"]) == (75.0, 4)
    assert body["organisation"]["qa_reviews"] == 4
    assert all(g["qa_score"] is None for g in body["groups"])

    login_as(qa_world.admin)
    scores = csv_rows(text(client.get(f"/incentives/scores.csv?month={MARCH}")))
    assert (
        scores["ann@example.com"]["qa_score"],
        scores["ann@example.com"]["qa_reviews"],
    ) == (
        "66.7",
        "3",
    )
    assert scores["cat@example.com"]["qa_score"] == ""
    header = list(scores["ann@example.com"])
    assert header.index("qa_reviews") < header.index("closed") < header.index("score")
    metrics = csv_rows(text(client.get(f"/incentives/metrics.csv?month={MARCH}")))
    assert metrics["bob@example.com"]["qa_score"] == "100.0"
    payouts = client.get(
        f"/api/v1/payouts/{MARCH}", headers={"Authorization": f"Bearer {token}"}
    )
    ann_line = next(
        r for r in payouts.get_json()["reps"] if r["email"] == "ann@example.com"
    )
    assert ann_line["points"]["qa"] == pytest.approx((66.7 - 60) / 30 * 30, abs=0.01)


def test_the_pages_and_the_pdf_show_the_qa_score(
    app, client, login_as, qa_world, tmp_path
) -> None:
    login_as(qa_world.sam)
    page = text(client.get(f"/incentives/scores?month={MARCH}"))
    assert "QA score" in page
    assert "66.7 · 3 reviews" in page
    card = text(
        client.get(f"/incentives/scorecards/reps/{qa_world.ann.id}?month={MARCH}")
    )
    assert "QA score, six months" in card
    assert "66.7 on 3 reviews" in card
    bob = text(
        client.get(f"/incentives/scorecards/reps/{qa_world.bob.id}?month={MARCH}")
    )
    assert "1 review this month, under the 2 the plan needs" in bob
    team = text(
        client.get(f"/incentives/scorecards/teams/{qa_world.desk.id}?month={MARCH}")
    )
    assert "QA score, six months" in team
    assert "75.0 on 4 reviews" in team
    pdf = client.get(
        f"/incentives/scorecards/teams/{qa_world.desk.id}.pdf?month={MARCH}"
    )
    assert pdf.status_code == 200
    assert "75.0 on 4 reviews" in pdf_text(pdf.data, tmp_path)
    login_as(qa_world.ann)
    own = client.get(f"/incentives/scorecards/reps/{qa_world.ann.id}.pdf?month={MARCH}")
    assert "66.7 on 3 reviews" in pdf_text(own.data, tmp_path)
    words = text(client.get("/incentives/my-plan"))
    assert "at least 2 reviews that month" in words


def test_a_scorecard_without_reviews_shows_no_qa_trend(
    app, client, login_as, seed
) -> None:
    with seed():
        built = scoring_world.build()
    login_as(built.sam)
    card = text(client.get(f"/incentives/scorecards/reps/{built.ann.id}?month={MARCH}"))
    assert "Score, six months" in card
    assert "QA score, six months" not in card


# --- Quality > Reviews: who sees which team's score ---------------------------------------


def test_quality_reviews_shows_the_team_scores_a_viewer_oversees(
    app, client, login_as, world
) -> None:
    login_as(world.sam)
    page = text(client.get(f"/quality/reviews?month={MARCH}"))
    assert "QA score per team" in page
    assert "Desk: 75 (4 reviews)" in page
    login_as(world.olga)  # leads Other: no counted review there, and none of Desk's
    other = text(client.get(f"/quality/reviews?month={MARCH}"))
    assert "Desk:" not in other
    assert "QA score per team" not in other
    login_as(world.leader)
    assert "Desk: 75 (4 reviews)" in text(client.get(f"/quality/reviews?month={MARCH}"))
    login_as(world.ann)
    assert client.get(f"/quality/reviews?month={MARCH}").status_code == 403


def test_a_decision_on_a_closed_month_s_review_says_it_does_not_change_it(
    app, client, login_as, seed, world
) -> None:
    with seed():
        scoring_operations.close_month(MARCH, by=world.admin, today_month="2024-04")
        disputed = db.session.scalar(
            select(QaReview.id).where(QaReview.ticket_id == world.tickets["B2"])
        )
    login_as(world.admin)
    decided = post_form(
        client,
        f"/quality/reviews/{disputed}/decide",
        {"decision": "upheld", "note": "It stands"},
        follow_redirects=True,
    )
    page = text(decided)
    assert "Dispute decided." in page
    assert "2024-03 was closed on " in page
    assert "keep the QA scores it was closed with" in page
    with app.app_context():
        assert db.session.get(QaReview, disputed).decision is Decision.UPHELD
        figures = month_cache.month_figures(MARCH)
        assert qa_of(figures.reps.loc[world.bob.id]) == (100.0, 1)


def test_quality_reviews_says_a_closed_month_keeps_its_qa_scores(
    app, client, login_as, seed, world
) -> None:
    with seed():
        scoring_operations.close_month(MARCH, by=world.admin, today_month="2024-04")
    login_as(world.sam)
    page = text(client.get(f"/quality/reviews?month={MARCH}"))
    assert "Closed on " in page
    assert "keep the QA scores it was closed with" in page


# --- the plan form ------------------------------------------------------------------------


def plan_form(**fields: str) -> dict[str, str]:
    return {
        "name": "QA plan",
        "currency": "USD",
        "target_bonus": "200",
        "csat_prior_strength": "5",
        "min_solved": "0",
        "min_rated": "0",
        "tier_kind": "percent",
        "tier1_score": "10",
        "tier1_value": "100",
        "timely_rate_weight": "70",
        "timely_rate_threshold": "50",
        "timely_rate_target": "100",
        **fields,
    }


def test_an_admin_saves_a_plan_weighting_qa_with_its_minimum(
    app, client, login_as, seed
) -> None:
    with seed():
        from tests.factories import make_user

        admin = make_user(Role.ADMIN)
    login_as(admin)
    form = client.get("/incentives/plans/new")
    assert "QA score: reviews needed to count" in text(form)
    assert 'name="qa__live_threshold"' not in text(form)  # one value a month
    sent = post_form(
        client,
        "/incentives/plans/new",
        data=plan_form(
            qa_weight="30", qa_threshold="60", qa_target="90", qa_min_reviews="4"
        ),
    )
    assert sent.status_code == 302, text(sent)
    with app.app_context():
        version = scoring_queries.get_active_version()
        assert version.rules.qa_min_reviews == 4
        assert version.rules.term("qa").weight == 30
    page = text(client.get(sent.headers["Location"]))
    assert "at least 4 counted reviews" in page
    refused = post_form(
        client,
        "/incentives/plans/new",
        data=plan_form(
            qa_weight="30", qa_threshold="60", qa_target="90", qa_min_reviews="0"
        ),
    )
    assert refused.status_code in (200, 400)
    assert "Enter a number from 1 to 100." in text(refused)


def test_the_close_review_counts_the_quality_reviews_still_waiting(
    app, client, login_as, seed, world
) -> None:
    login_as(world.admin)
    page = " ".join(text(client.get(f"/incentives/months/{MARCH}/close")).split())
    assert "Quality reviews waiting" in page
    assert "1 review of the month not submitted yet or disputed: it does not count" in (
        page
    )
    with seed():
        decide_b2(world, Decision.UPHELD)
    page = " ".join(text(client.get(f"/incentives/months/{MARCH}/close")).split())
    assert "Quality reviews waiting" not in page
