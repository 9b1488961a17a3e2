"""Recruiting reads: the SQL weighted total agrees with the rule, percentiles per version,
blind identities, and a fixed number of statements per page however long the list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event, select

from core.access import Role
from core.db import db
from recruiting import assessment as rules
from recruiting import (
    candidate_queries,
    operations,
    queries,
    ranking_queries,
    review_operations,
)
from recruiting.assessment import Answer
from recruiting.models import AssessmentResult, Opening
from recruiting.pipeline import Recommendation, Stage
from tests.factories import make_api_token, make_user
from tests.recruiting.factories import (
    DEFAULT_YAML,
    answer_all,
    make_candidate,
    make_opening,
    take_with,
)


def test_the_sql_weighted_total_agrees_with_the_rule(app_ctx) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    weights = {
        "empathy": 5,
        "ownership": 0,
        "communication": 2,
        "composure": 1,
        "judgement": 3,
    }
    opening = make_opening(manager, weights=weights)
    for pick in ("a", "b", "c", "d"):
        answer_all(make_candidate(opening, manager), manager, pick=pick)
    expression = queries.weighted_total_sql(opening.weight_map)
    for result, total in db.session.execute(select(AssessmentResult, expression)):
        assert round(total, 1) == rules.weighted_total(
            result.scores, opening.weight_map
        )


def test_ranked_list_orders_by_total_and_percentiles_stay_within_a_version(
    app_ctx,
) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    strong = make_candidate(opening, manager, name="Strong")
    weak = make_candidate(opening, manager, name="Weak")
    take_with(strong, manager, {"refund-within-authority": Answer("a")})
    take_with(weak, manager, {})
    # A later version: its results are compared only with each other.
    operations.load_assessment(
        DEFAULT_YAML.replace("cost 60 USD", "cost 61 USD"), by="test"
    )
    newer = make_candidate(opening, manager, name="Newer")
    take_with(newer, manager, {})
    viewer = manager.viewer()
    page = ranking_queries.ranked(opening, viewer)
    rows = [(r.person.name, r.result.version, r.result.percentile) for r in page.items]
    assert rows == [("Strong", 1, 75.0), ("Weak", 1, 25.0), ("Newer", 2, 50.0)]
    assert [r.rank for r in page.items] == [1, 2, 3]


def test_ranked_pages_count_everyone_and_a_page_past_the_end_shows_the_last(
    app_ctx,
) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    for number, pick in enumerate("abcda", start=1):
        answer_all(
            make_candidate(opening, manager, name=f"C{number}"), manager, pick=pick
        )
    viewer = manager.viewer()
    whole = ranking_queries.ranked(opening, viewer, per_page=10)
    order = [row.person.name for row in whole.items]
    totals = [row.result.total for row in whole.items]
    assert totals == sorted(totals, reverse=True)
    assert len(order) == 5

    second = ranking_queries.ranked(opening, viewer, page=2, per_page=2)
    assert (second.page, second.total) == (2, 5)
    assert [(r.rank, r.person.name) for r in second.items] == [
        (3, order[2]),
        (4, order[3]),
    ]
    past = ranking_queries.ranked(opening, viewer, page=9, per_page=2)
    assert (past.page, past.total) == (3, 5)
    assert [(r.rank, r.person.name) for r in past.items] == [(5, order[4])]

    nobody = ranking_queries.ranked(make_opening(manager), viewer, page=4)
    assert (nobody.page, nobody.total, nobody.items) == (1, 0, [])


def test_ranked_list_hides_closed_candidates_unless_asked(app_ctx) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    gone = make_candidate(opening, manager)
    answer_all(gone, manager)
    operations.move_candidate(gone, Stage.WITHDRAWN, "moved away", by=manager)
    assert ranking_queries.ranked(opening, manager.viewer()).total == 0
    everyone = ranking_queries.ranked(opening, manager.viewer(), stages=list(Stage))
    assert everyone.total == 1


def test_board_counts_every_stage_and_caps_the_cards(app_ctx) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    for _ in range(4):
        make_candidate(opening, manager)
    make_candidate(opening, manager, stage=Stage.REJECTED)
    columns = {
        c.stage: c for c in queries.board(opening, manager.viewer(), per_stage=3)
    }
    assert columns[Stage.APPLIED].count == 4
    assert len(columns[Stage.APPLIED].cards) == 3
    assert columns[Stage.APPLIED].more == 1
    assert columns[Stage.REJECTED].count == 1
    assert columns[Stage.HIRED].cards == []


# --- statements per page ----------------------------------------------------------------


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement run while the block runs."""
    with app.app_context():
        bind = db.engines[None]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", count)


def _add(seed, opening_id: int, manager, n: int) -> None:
    with seed():
        opening = db.session.get(Opening, opening_id)
        for _ in range(n):
            candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
            answer_all(candidate, manager)
            review_operations.rate_result(candidate, by=manager, rating=3)
        make_candidate(opening, manager, stage=Stage.INTERVIEW)


PAGES = [
    "/recruiting/openings/{opening}/board",
    "/recruiting/openings/{opening}/ranked",
    "/recruiting/openings/{opening}/compare?c={first}&c={second}",
    "/recruiting/candidates?opening={opening}",
    "/recruiting/candidates?q=example",
    "/recruiting/",
    "/api/v1/candidates?opening={opening}",
]


def test_pages_run_the_same_statements_for_three_candidates_or_twelve(
    app, client, seed, login_as
) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        secret = make_api_token(Role.HIRING_MANAGER)
        opening = make_opening(manager, blind=True)
        opening_id = opening.id
    _add(seed, opening_id, manager, 3)
    with app.app_context():
        first, second = db.session.scalars(
            select(AssessmentResult.candidate_id).order_by(AssessmentResult.id).limit(2)
        )
    login_as(manager)
    headers = {"Authorization": f"Bearer {secret}"}

    def measure() -> dict[str, int]:
        counts = {}
        for page in PAGES:
            url = page.format(opening=opening_id, first=first, second=second)
            client.get(url, headers=headers)  # warm: the token's last-used stamp
            with counting(app) as statements:
                response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            counts[url] = len(statements)
        return counts

    few = measure()
    _add(seed, opening_id, manager, 9)
    many = measure()
    assert many == few
    assert max(few.values()) <= 15, few


def test_a_candidate_page_runs_a_fixed_number_of_statements(
    app, client, seed, login_as
) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        others = [make_user(Role.HIRING_MANAGER) for _ in range(3)]
        opening = make_opening(manager)
        candidate = make_candidate(opening, manager, stage=Stage.SCREENING)
        answer_all(candidate, manager)
        operations.move_candidate(candidate, Stage.INTERVIEW, "", by=manager)
        for reviewer in [manager, *others]:
            review_operations.rate_result(candidate, by=reviewer, rating=4)
            review_operations.submit_scorecard(
                candidate,
                by=reviewer,
                ratings=dict.fromkeys(rules.COMPETENCIES, 3),
                recommendation=Recommendation.HIRE,
            )
    login_as(manager)
    url = f"/recruiting/candidates/{candidate.id}"
    client.get(url)
    with counting(app) as statements:
        assert client.get(url).status_code == 200
    # Session and user, the candidate, opening, history, links, ratings (with reviewers),
    # result, assessment, answers, scorecards (with interviewers), duplicates, account.
    assert len(statements) <= 25, "\n".join(s[:150] for s in statements)


def test_search_finds_by_id(app_ctx) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    candidate = make_candidate(opening, manager, name="Quentin Query")
    found = candidate_queries.search_candidates(
        candidate_queries.CandidateFilter(q=f"#{candidate.id}"), manager.viewer()
    )
    assert [row.person.name for row in found.items] == ["Quentin Query"]


def test_a_percentile_follows_new_results_though_totals_are_kept(app_ctx) -> None:
    manager = make_user(Role.HIRING_MANAGER)
    opening = make_opening(manager)
    first = answer_all(make_candidate(opening, manager), manager, pick="a")
    total = rules.weighted_total(first.scores, opening.weight_map)
    alone = queries.Populations(opening.weight_map)
    assert alone.percentile(first.assessment_id, total) == 50.0  # the only one

    answer_all(make_candidate(opening, manager), manager, pick="b")
    answer_all(make_candidate(opening, manager), manager, pick="c")
    later = queries.Populations(opening.weight_map)  # a new page, kept totals or not
    population = sorted(
        round(t, 1)
        for t in db.session.scalars(
            select(queries.weighted_total_sql(opening.weight_map))
        )
    )
    assert len(population) == 3
    assert rules.percentile(total, population) != 50.0
    assert later.percentile(first.assessment_id, total) == rules.percentile(
        total, population
    )
