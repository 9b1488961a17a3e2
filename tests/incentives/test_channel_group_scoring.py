"""A plan with values per channel group scores a month from its tickets: a rep's e-mail
tickets against the e-mail values, chat against the chat values, and a closed month keeps
those steps as they were."""

from __future__ import annotations

import pytest

from incentives import month_cache
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plan_operations
from incentives.scoring import queries as scoring_queries
from incentives.tickets import operations
from tests.incentives import scoring_world

MARCH = "2024-03"
TIMELY = {
    "weight": 40,
    "threshold": 50,
    "target": 100,
    # E-mail is solved in hours, not minutes: a lower bar for e-mail and web tickets.
    "channel_groups": {"written": {"threshold": 0, "target": 50}},
}


def email(key: str, who, created: str, solved: str) -> dict:
    return {**scoring_world.ticket(key, who, created, solved), "channel": "email"}


@pytest.fixture
def world(app_ctx) -> scoring_world.World:
    world = scoring_world.build()
    # Bob also answered two e-mails in March: one within the 48 h e-mail target (normal
    # priority), one late (72 h) -> e-mail timely 1 of 2 = 50%.
    outcome = operations.import_ticket_records(
        [
            email("E1", world.bob, "2024-03-11T09:00:00Z", "2024-03-11T12:00:00Z"),
            email("E2", world.bob, "2024-03-12T09:00:00Z", "2024-03-15T09:00:00Z"),
        ],
        source="mail",
        by="test",
        tz=scoring_world.UTC,
    )
    assert outcome.status == "imported", outcome.as_dict()
    metrics_ = {**scoring_world.PLAN["metrics"], "timely_rate": TIMELY}
    version, _ = scoring_operations.save_plan(
        world.version.plan, scoring_world.plan_data(metrics=metrics_), by="test"
    )
    plan_operations.schedule_version(
        version, effective_from="2024-01", team_ids=[], by=world.admin
    )
    world.version = version
    return world


def test_each_channel_group_is_scored_on_its_own_values(world) -> None:
    scores = scoring_queries.month_scores(MARCH)
    bob = scores.scores[world.bob.id]
    timely = next(line for line in bob.lines if line.metric == "timely_rate")
    # Overall Bob solved 3 of 4 in time (75%); on the chat values alone that is half
    # credit. Per group: chat 2 of 2 = 100% -> full credit on 2 tickets; e-mail 1 of 2
    # = 50%, at the e-mail target -> full credit on 2 tickets. Blended: 100%.
    assert timely.value == pytest.approx(75.0)
    assert [(p.group, p.value, p.attainment, p.count) for p in timely.parts] == [
        ("live", 100.0, 1.0, 2),
        ("written", 50.0, 1.0, 2),
    ]
    assert timely.attainment == pytest.approx(1.0)
    assert "E-mail and web: 50% (threshold 0%, target 50%)" in timely.note
    # Ann only worked chat: scored on the metric's own values, as before.
    ann = scores.scores[world.ann.id]
    ann_timely = next(line for line in ann.lines if line.metric == "timely_rate")
    assert [p.group for p in ann_timely.parts] == ["live"]
    assert ann_timely.attainment == pytest.approx(0.5)


def test_a_closed_month_keeps_the_steps_per_channel_group(world) -> None:
    live = scoring_queries.month_scores(MARCH).scores[world.bob.id]
    scoring_operations.close_month(MARCH, by=world.admin)
    month_cache.forget()
    closed = scoring_queries.month_scores(MARCH)
    assert closed.is_closed
    assert closed.scores[world.bob.id] == live
    figures = month_cache.month_figures(MARCH)
    assert figures.rep_channel_rows[world.bob.id]["written"]["tickets_solved"] == 2
