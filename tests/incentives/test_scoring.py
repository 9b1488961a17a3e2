"""Scores on the database: live months, closed months that imports cannot change, plan
versions, disputes, coaching, the validity figures and the ``scores`` commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from flask import render_template
from sqlalchemy import delete, func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from core.jobs import Job, JobStatus
from core.people import User
from incentives import month_cache, panels
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import DisputeStatus, Resolution
from incentives.scoring.models import MonthScore, PlanVersion
from incentives.tickets import metrics, queries
from incentives.tickets.models import MonthMetricsSnapshot, Ticket
from tests.factories import make_user
from tests.incentives import scoring_world
from tests.incentives.scoring_world import ticket

pytestmark = pytest.mark.usefixtures("app_ctx")

MARCH, FEBRUARY = "2024-03", "2024-02"
MONTH_END = dt.date(2024, 3, 31)


@pytest.fixture
def world() -> scoring_world.World:
    return scoring_world.build()


def score_of(world: scoring_world.World, who: str, month: str = MARCH):
    return scoring_queries.month_scores(month).scores[getattr(world, who).id]


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_open_month_is_scored_from_its_tickets(world) -> None:
    scores = scoring_queries.month_scores(MARCH)
    assert not scores.is_closed
    assert scores.org_csat == pytest.approx(0.8)
    ann, bob = scores.scores[world.ann.id], scores.scores[world.bob.id]
    assert ann.score == pytest.approx(20.0)
    assert ann.eligible
    assert ann.payout == Decimal("100.00")
    assert bob.score == pytest.approx(22.857 + 40, abs=1e-3)
    assert not bob.eligible
    assert bob.reason == "2 rated tickets, under the 3 needed."
    assert scores.metrics[world.ann.id]["tickets_solved"] == 4
    assert scores.people[world.cat.id].team_name == "Other"  # active, no tickets
    assert scores.scores[world.cat.id].score is None


def forget_month_metrics() -> None:
    """No organisation figures kept in this process or stored for any worker."""
    month_cache.forget()
    db.session.execute(delete(MonthMetricsSnapshot))
    scoring_queries.forget_cached_scores()


def test_open_month_scores_come_from_the_stored_figures_alike(
    world, monkeypatch
) -> None:
    """When the organisation's month metrics are stored, an open month is scored from
    them, without reading the tickets again, and the scores are the same."""
    make_user(Role.REP, name="Gone Example", email="gone@example.com", is_active=False)
    scoring_world.reimport(
        ticket(
            "G1",
            db.session.scalar(select(User).filter_by(name="Gone Example")),
            "2024-03-08T09:00:00Z",
            "2024-03-08T10:00:00Z",
            "good",
        ),
    )
    forget_month_metrics()
    from_tickets = scoring_queries.compute_month(MARCH, world.version)
    forget_month_metrics()  # scoring stored the figures it computed: start again
    assert month_cache.warm(MARCH)
    month_cache.forget()  # read back what was stored, as another worker

    def read_tickets(month: str, *args, **kwargs) -> None:
        raise AssertionError(f"the tickets of {month} were read again")

    monkeypatch.setattr(month_cache, "compute_open", read_tickets)
    from_store = scoring_queries.compute_month(MARCH, world.version)
    assert from_store == from_tickets
    assert from_store.ticket_count == 7
    assert from_store.people[world.ann.id].name == "Ann Example"
    assert from_store.scores[world.ann.id].score == pytest.approx(20.0)


def test_stored_figures_are_not_used_once_a_dispute_moves_a_ticket(world) -> None:
    """The stored figures were worked out before the dispute was decided; once it is,
    they are no longer read: the month's figures are worked out again with the
    dispute applied, for its scores and its metrics alike."""
    forget_month_metrics()
    assert month_cache.warm(MARCH)
    dispute = dispute_a3(world)
    scoring_operations.decide_dispute(
        dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
    )
    assert month_cache.open_figures_at_hand(MARCH) is None
    assert score_of(world, "ann").tickets_solved == 3
    assert month_cache.rep_summary(world.ann.id, MARCH)["tickets_solved"] == 3


def test_dashboards_do_not_wait_for_months_being_computed(world, monkeypatch) -> None:
    """Just after an import, while its job computes the figures ahead, the score panels
    say the months are being updated instead of reading every ticket of them."""
    forget_month_metrics()
    current = queries.current_month()
    shown = [metrics.shift_month(current, -1), current]
    # The world's import is flushed, not committed: its job has not run yet.
    (job,) = db.session.scalars(select(Job).where(Job.kind == month_cache.WARM_UP_KIND))
    assert job.status is JobStatus.QUEUED
    assert set(shown) <= month_cache.months_being_computed()

    def read_tickets(month: str, *args, **kwargs) -> None:
        raise AssertionError(f"the tickets of {month} were read")

    with monkeypatch.context() as patch:
        patch.setattr(month_cache, "compute_open", read_tickets)
        assert scoring_queries.month_scores_at_hand(current) is None
        panel = panels.scorecard_panel(world.ann)
        assert panel is not None
        assert (panel.context["updating"], panel.context["months"]) == (shown, [])
        # So do the supervisor's and leadership's panels of last month.
        team = panels.team_scores_panel(world.sam)
        assert team is not None
        assert team.context["teams"] == []
        assert [name for _id, name in team.context["updating"]] == ["Desk"]
        assert team.context["coaching"] is None
        close = panels.close_panel(world.leader)
        assert close is not None
        assert close.context["updating"]
        assert (close.context["average"], close.context["payout"]) == ("…", "…")
        # Once the job has stored them, the scores come from the stored figures.
        for month in shown:
            assert month_cache.warm(month)
        job.status = JobStatus.DONE
        panel = panels.scorecard_panel(world.ann)
        assert panel.context["updating"] == []
        assert [m[0] for m in panel.context["months"]] == shown
        assert not panels.close_panel(world.leader).context["updating"]
    # The coaching count also reads the month before last, not computed ahead.
    team = panels.team_scores_panel(world.sam)
    assert team.context["updating"] == []
    assert [t[1] for t in team.context["teams"]] == ["Desk"]
    # No job on its way: the months are scored from their tickets, as ever.
    forget_month_metrics()
    panel = panels.scorecard_panel(world.ann)
    assert panel.context["updating"] == []
    assert [m[0] for m in panel.context["months"]] == shown


def test_a_rep_without_a_payout_is_told_why_on_their_dashboard(
    world, monkeypatch, app
) -> None:
    monkeypatch.setattr(queries, "current_month", lambda: "2024-04")
    for job in db.session.scalars(
        select(Job).where(Job.kind == month_cache.WARM_UP_KIND)
    ):
        job.status = JobStatus.DONE  # no month is being computed
    bob = panels.scorecard_panel(world.bob)
    ann = panels.scorecard_panel(world.ann)
    assert bob is not None
    assert ann is not None
    (march,) = [m for m in bob.context["months"] if m[0] == MARCH]
    assert march[2:] == ("not eligible", False, "2 rated tickets, under the 3 needed.")
    (march,) = [m for m in ann.context["months"] if m[0] == MARCH]
    assert march[4] is None
    with app.test_request_context():
        html = app.jinja_env.get_template("incentives/_panel_scorecard.html").render(
            ctx=bob.context
        )
    assert "No payout yet: 2 rated tickets, under the 3 needed." in html


def test_without_a_plan_there_are_metrics_but_no_scores(world) -> None:
    world.version.plan.is_active = False
    db.session.flush()
    scores = scoring_queries.month_scores(MARCH)
    assert scores.plan is None
    assert scores.scores == {}
    assert scores.metrics[world.ann.id]["tickets_solved"] == 4


def test_closing_freezes_the_month_against_later_imports(world) -> None:
    close = scoring_operations.close_month(MARCH, by=world.admin, note="Reviewed")
    assert close.plan_version_id == world.version.id
    assert close.ticket_count == 6
    assert db.session.scalar(select(func.count()).select_from(MonthScore)) == 3
    frozen = scoring_queries.month_scores(MARCH)
    assert frozen.is_closed

    # A late export: A1 was not satisfied after all, and one more ticket for Ann.
    scoring_world.reimport(
        ticket("A1", world.ann, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "bad"),
        ticket("A9", world.ann, "2024-03-20T09:00:00Z", "2024-03-20T09:10:00Z", "good"),
    )
    again = scoring_queries.month_scores(MARCH)
    assert again.scores[world.ann.id] == frozen.scores[world.ann.id]
    assert again.metrics[world.ann.id]["tickets_solved"] == 4
    assert scoring_queries.ticket_fingerprint(MARCH) != (
        close.ticket_fingerprint,
        close.ticket_count,
    )

    scoring_operations.reopen_month(MARCH, by=world.admin, reason="Late CSAT export")
    live = scoring_queries.month_scores(MARCH)
    assert not live.is_closed
    assert live.metrics[world.ann.id]["tickets_solved"] == 5
    assert live.scores[world.ann.id] != frozen.scores[world.ann.id]
    actions = audit_actions()
    assert actions.index("month.close") < actions.index("month.reopen")
    assert scoring_queries.close_history(MARCH)[0].reopen_reason == "Late CSAT export"


def test_one_reps_score_of_a_month_for_a_dashboard(world, monkeypatch) -> None:
    """A rep's score is worked out alone: from the stored month metrics in an open
    month, from the kept scores in a closed one; the same score as the whole month's."""
    whole = scoring_queries.month_scores(MARCH)
    scoring_queries.forget_cached_scores()
    month_cache.warm(MARCH)
    assert month_cache.open_figures_at_hand(MARCH) is not None

    def everyone(*args, **kwargs) -> None:
        raise AssertionError("the whole month was scored")

    with monkeypatch.context() as patch:
        patch.setattr(scoring_queries, "compute_month", everyone)
        for user in (world.ann, world.bob, world.cat, world.sam):
            live = scoring_queries.rep_month_score(MARCH, user.id)
            assert live is not None
            assert (live.is_closed, live.currency) == (False, "USD")
            assert live.score == whole.scores.get(user.id)
    assert whole.scores.get(world.sam.id) is None
    live = scoring_queries.rep_month_score(MARCH, world.bob.id)
    assert live is not None
    scoring_operations.close_month(MARCH, by=world.admin)
    scoring_queries.forget_cached_scores()
    alone = scoring_queries.rep_month_score(MARCH, world.bob.id)
    assert alone is not None
    assert (alone.is_closed, alone.currency) == (True, "USD")
    assert alone.score == scoring_queries.month_scores(MARCH).scores[world.bob.id]
    # Kept whole in this process now: the same score from there.
    assert scoring_queries.rep_month_score(MARCH, world.bob.id) == alone
    # Someone not scored that month.
    assert scoring_queries.rep_month_score(MARCH, world.sam.id).score is None


@pytest.mark.parametrize(
    ("month", "message"),
    [("2099-01", "is not over yet"), (MARCH, "already closed")],
)
def test_a_month_closes_once_and_only_when_over(
    world, month: str, message: str
) -> None:
    if month == MARCH:
        scoring_operations.close_month(MARCH, by=world.admin)
    with pytest.raises((InvalidInput, Conflict), match=message):
        scoring_operations.close_month(month, by=world.admin)


def test_open_disputes_hold_a_close_unless_confirmed(world) -> None:
    a3 = db.session.get(Ticket, world.tickets["A3"])
    scoring_operations.file_dispute(a3, by=world.ann, reason="Cat handled it")
    with pytest.raises(InvalidInput, match="still open") as caught:
        scoring_operations.close_month(MARCH, by=world.admin)
    assert caught.value.errors["confirm_disputes"] == [
        "1 dispute of this month is still open. Decide it first, "
        "or confirm closing with it open."
    ]
    close = scoring_operations.close_month(
        MARCH, by=world.admin, allow_open_disputes=True
    )
    assert close.open_disputes == 1


def test_reopening_needs_a_reason_and_a_closed_month(world) -> None:
    with pytest.raises(InvalidInput, match="not closed"):
        scoring_operations.reopen_month(MARCH, by=world.admin, reason="Why not")
    scoring_operations.close_month(MARCH, by=world.admin)
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.reopen_month(MARCH, by=world.admin, reason=" ")
    assert "reason" in caught.value.errors


def test_a_plan_changes_in_place_until_a_closed_month_used_it(world) -> None:
    first = world.version
    version, outcome = scoring_operations.save_plan(
        first.plan, scoring_world.plan_data(target_bonus=300), by=world.admin
    )
    assert (version.id, version.version, outcome) == (first.id, 1, "updated")
    assert version.rules.target_bonus == Decimal("300.00")

    scoring_operations.close_month(MARCH, by=world.admin)
    version, outcome = scoring_operations.save_plan(
        first.plan, scoring_world.plan_data(target_bonus=400), by=world.admin
    )
    assert (version.version, outcome) == (2, "new_version")
    frozen = db.session.get(PlanVersion, first.id)
    assert frozen.rules.target_bonus == Decimal("300.00")
    assert scoring_queries.month_scores(MARCH).plan_label == "Desk plan v1"
    assert scoring_queries.month_scores(FEBRUARY).plan_label == "Desk plan v2"
    assert scoring_queries.month_scores(FEBRUARY).scores[world.ann.id].target_bonus == (
        Decimal("400.00")
    )
    _same, outcome = scoring_operations.save_plan(
        first.plan, scoring_world.plan_data(target_bonus=400), by=world.admin
    )
    assert outcome == "unchanged"
    assert audit_actions().count("plan.update") == 2


def test_a_yaml_plan_with_an_unknown_team_is_refused(world) -> None:
    text = "\n".join(
        [
            "name: Desk plan",
            "currency: USD",
            "target_bonus: 200",
            "team_target_bonus: {Nowhere: 5}",
            "csat_prior_strength: 5",
            "metrics: {timely_rate: {weight: 100, threshold: 50, target: 90}}",
            "payout: {tiers: [{score: 10, amount: 5}]}",
        ]
    )
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.import_plan_yaml(text, by=world.admin)
    assert "team_target_bonus.Nowhere" in caught.value.errors


def test_a_team_override_pays_that_teams_reps(world) -> None:
    scoring_operations.save_plan(
        world.version.plan,
        scoring_world.plan_data(team_target_bonus={"Desk": 300}),
        by=world.admin,
    )
    assert score_of(world, "ann").payout == Decimal("150.00")


def test_only_one_plan_is_in_force(world) -> None:
    other, outcome = scoring_operations.save_plan(
        None, scoring_world.plan_data(name="Second plan"), by=world.admin
    )
    assert outcome == "created"
    assert not other.plan.is_active
    scoring_operations.activate_plan(other.plan, by=world.admin)
    assert scoring_queries.get_active_plan().name == "Second plan"
    assert not world.version.plan.is_active


# --- disputes ---------------------------------------------------------------------------


def dispute_a3(world):
    a3 = db.session.get(Ticket, world.tickets["A3"])
    return scoring_operations.file_dispute(a3, by=world.ann, reason="Cat handled it")


def test_an_accepted_exclusion_takes_the_ticket_off_the_reps_score(world) -> None:
    dispute = dispute_a3(world)
    assert score_of(world, "ann").score == pytest.approx(20.0)  # open: no change yet
    scoring_operations.decide_dispute(
        dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
    )
    assert dispute.status is DisputeStatus.ACCEPTED
    ann = score_of(world, "ann")
    # Without A3: 3 solved, timely 2/3, CSAT (2 + 4) / (2 + 5) = 85.71%, 2 rated.
    assert ann.tickets_solved == 3
    assert ann.score == pytest.approx(22.857 + 13.333, abs=1e-3)
    assert not ann.eligible
    assert scoring_queries.month_scores(MARCH).org_csat == pytest.approx(0.8)
    assert audit_actions()[-2:] == ["dispute.file", "dispute.decide"]


def test_an_accepted_reassignment_credits_the_other_rep(world) -> None:
    dispute = dispute_a3(world)
    scoring_operations.decide_dispute(
        dispute,
        by=world.sam,
        accept=True,
        resolution=Resolution.REASSIGN,
        reassign_to=world.bob,
    )
    bob = score_of(world, "bob")
    # Bob gains A3: 3 solved, all timely, CSAT (2 + 4) / (3 + 5) = 75%, 3 rated.
    assert bob.tickets_solved == 3
    assert bob.score == pytest.approx(40.0)
    assert bob.eligible
    assert score_of(world, "ann").tickets_solved == 3


def test_a_declined_dispute_changes_nothing_and_says_why(world) -> None:
    dispute = dispute_a3(world)
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.decide_dispute(dispute, by=world.sam, accept=False)
    assert "note" in caught.value.errors
    scoring_operations.decide_dispute(
        dispute, by=world.sam, accept=False, note="You replied twice on it"
    )
    assert dispute.status is DisputeStatus.DECLINED
    assert dispute.decision_note == "You replied twice on it"
    assert score_of(world, "ann").score == pytest.approx(20.0)
    with pytest.raises(Conflict):
        scoring_operations.decide_dispute(
            dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
        )


def test_only_the_reps_own_supervisor_decides(world) -> None:
    dispute = dispute_a3(world)
    for outsider in (world.olga, world.admin, world.ann):
        with pytest.raises(NotAllowed):
            scoring_operations.decide_dispute(
                dispute, by=outsider, accept=True, resolution=Resolution.EXCLUDE
            )


def test_a_rep_disputes_only_their_own_open_months_tickets_once(world) -> None:
    a3 = db.session.get(Ticket, world.tickets["A3"])
    with pytest.raises(NotAllowed):
        scoring_operations.file_dispute(a3, by=world.bob, reason="Not Ann's")
    with pytest.raises(InvalidInput) as caught:
        scoring_operations.file_dispute(a3, by=world.ann, reason="")
    assert "reason" in caught.value.errors
    scoring_operations.file_dispute(a3, by=world.ann, reason="Cat handled it")
    with pytest.raises(InvalidInput, match="already has an open dispute"):
        scoring_operations.file_dispute(a3, by=world.ann, reason="Again")
    b1 = db.session.get(Ticket, world.tickets["B1"])
    scoring_operations.close_month(MARCH, by=world.admin, allow_open_disputes=True)
    with pytest.raises(InvalidInput, match="closed"):
        scoring_operations.file_dispute(b1, by=world.bob, reason="Not mine at all")


def test_a_closed_months_dispute_waits_for_a_reopening(world) -> None:
    dispute = dispute_a3(world)
    scoring_operations.close_month(MARCH, by=world.admin, allow_open_disputes=True)
    with pytest.raises(InvalidInput, match="reopen it first"):
        scoring_operations.decide_dispute(
            dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
        )


# --- scorecards, coaching, validity -------------------------------------------------------


def test_two_months_under_the_csat_threshold_offer_coaching_scenarios(
    world, app
) -> None:
    from training import operations as training_operations
    from training import queries as training_queries

    training_operations.install_shipped_content(by="test")
    card = scorecard_queries.rep_scorecard(world.ann, MARCH)
    offers = {offer.metric: offer for offer in card.coaching}
    assert list(offers) == ["csat"]
    keys = {s.key for s in offers["csat"].scenarios}
    assert "refund-limits" in keys
    assert not any(s.assigned for s in offers["csat"].scenarios)

    made = scoring_operations.assign_coaching(
        world.ann, "refund-limits", by=world.sam, today=MONTH_END
    ).made
    assert made[0].scenario_key == "refund-limits"
    rows = training_queries.list_assignments(world.ann.viewer(), today=MONTH_END)
    assert [r.assignment.scenario_key for r in rows] == ["refund-limits"]
    again = scorecard_queries.rep_scorecard(world.ann, MARCH)
    assert {s.key: s.assigned for s in again.coaching[0].scenarios}["refund-limits"]
    # The team card says what is assigned, then what else is offered, as two sentences.
    with app.test_request_context():
        html = render_template(
            "incentives/_team_card.html",
            card=scorecard_queries.team_scorecard(world.desk, MARCH),
        )
    assert re.search(r"Assigned: [^<]+\. Also offered: ", html)
    with pytest.raises(NotAllowed):
        scoring_operations.assign_coaching(
            world.ann, "refund-limits", by=world.olga, today=MONTH_END
        )


def test_a_rep_scorecard_gathers_rank_trend_and_the_disputes(world) -> None:
    dispute_a3(world)
    card = scorecard_queries.rep_scorecard(world.ann, MARCH)
    assert card.score_text == "20.0"
    assert card.rank == "2nd of 2 in Desk"
    assert [m.month for m in card.months][-2:] == [FEBRUARY, MARCH]
    assert card.months[-2].score == "40.0"
    assert card.disputes.open == 1
    assert card.authorities == ()


def test_scorecards_show_the_authority_and_training_work_training_reports(
    world,
) -> None:
    from tests.training.factories import (
        SMALL,
        load_small,
        make_authority,
        make_grant,
        small_scenario,
    )
    from training import assignment_operations, operations

    load_small()
    operations.load_scenarios(
        [small_scenario(SMALL.replace("key: small", "key: small2"))], by="test"
    )
    refund = make_authority("refund")
    grant = make_grant(world.ann, refund, world.sam, limit=150)
    long_ago = dt.date(2020, 1, 1)
    for key, due in (
        ("small", dt.date(2020, 1, 15)),  # overdue
        ("small2", dt.date(2999, 12, 31)),  # still due
    ):
        assignment_operations.assign(
            assignment_operations.AssignmentInput(due_on=due, scenario_key=key),
            rep=world.ann,
            by=world.sam,
            today=long_ago,
        )
    card = scorecard_queries.rep_scorecard(world.ann, MARCH)
    until = grant.expires_at.astimezone(queries.org_timezone()).strftime("%d %b %Y")
    assert [(a.name, a.limit, a.until) for a in card.authorities] == [
        ("Refund", "150 USD", until)
    ]
    assert (card.training.open_assignments, card.training.overdue) == (2, 1)
    bob = scorecard_queries.rep_scorecard(world.bob, MARCH)
    assert (bob.authorities, bob.training.open_assignments) == ((), 0)
    pack = scorecard_queries.leadership_pack(MARCH)
    assert (pack.assignments_done, pack.assignments_overdue) == ("0%", 1)


def test_a_team_and_the_leadership_pack(world) -> None:
    team = scorecard_queries.team_scorecard(world.desk, MARCH)
    assert [row.name for row in team.rows] == ["Bob Example", "Ann Example"]
    assert team.summary.eligible == 1
    pack = scorecard_queries.leadership_pack(MARCH)
    assert pack.summary.reps == 3
    assert {line.name for line in pack.teams} == {"Desk", "Other"}
    assert not pack.validity.has_figures


def test_validity_reads_closed_months_of_reps_hired_through_frontline(
    world, monkeypatch
) -> None:
    from recruiting.queries import HireResult

    # One timely, unrated ticket each in December and January: with no ratings that
    # month, CSAT has no value, so timely carries all the weight and each scores 100.
    # Cat also solves one in February, when CSAT is 0% for everyone: 40 points.
    scoring_world.reimport(
        *(
            ticket(
                f"{who}-{m}",
                getattr(world, who),
                f"{m}-10T09:00:00Z",
                f"{m}-10T10:00:00Z",
            )
            for who in ("ann", "bob", "cat")
            for m in ("2023-12", "2024-01")
        ),
        ticket("cat-feb", world.cat, "2024-02-12T09:00:00Z", "2024-02-12T10:00:00Z"),
    )
    monkeypatch.setattr(
        "recruiting.queries.list_hire_results",
        lambda: [
            HireResult(world.ann.id, {"empathy": 80.0, "judgement": 10.0}, 70.0),
            HireResult(world.bob.id, {"empathy": 60.0, "judgement": 90.0}, 65.0),
            HireResult(world.cat.id, {"empathy": 40.0, "judgement": 50.0}, 60.0),
        ],
    )
    assert scorecard_queries.hiring_validity().n == 0  # nothing closed yet
    for month in ("2023-12", "2024-01", FEBRUARY, MARCH):
        scoring_operations.close_month(month, by=world.admin)
    result = scorecard_queries.hiring_validity()
    # Averages: Ann (100 + 100 + 40 + 20) / 4 = 65, Bob (100 + 100 + 62.86) / 3 = 87.6,
    # Cat (100 + 100 + 40) / 3 = 80.
    assert result.n == 3
    rho = {p.key: p.rho for p in result.predictors}
    assert rho["empathy"] == pytest.approx(-0.5)  # ranks 3, 2, 1 against 1, 3, 2
    assert rho["judgement"] == pytest.approx(1.0)
    assert rho["total"] == pytest.approx(-0.5)
    assert "Based on only 3 reps" in result.caution


# --- commands -----------------------------------------------------------------------------


def test_scores_compute_writes_score_eligible_payout_and_reason(world, runner) -> None:
    db.session.commit()
    result = runner.invoke(
        args=["scores", "compute", "--month", MARCH, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    by_email = {row["rep_email"]: row for row in rows}
    assert list(rows[0])[-6:] == [
        "score",
        "eligible",
        "base_payout",
        "final_payout",
        "currency",
        "reason",
    ]
    assert by_email["ann@example.com"]["score"] == "20.0"
    assert by_email["ann@example.com"]["eligible"] == "yes"
    # No dates on record, no adjustment: paid the base for the whole month.
    assert by_email["ann@example.com"]["base_payout"] == "100.00"
    assert by_email["ann@example.com"]["final_payout"] == "100.00"
    assert by_email["ann@example.com"]["timely_rate"] == "0.75"
    assert by_email["bob@example.com"]["eligible"] == "no"
    assert by_email["bob@example.com"]["reason"] == (
        "2 rated tickets, under the 3 needed."
    )


def test_scores_close_and_reopen_on_the_command_line(world, runner) -> None:
    db.session.commit()
    closed = runner.invoke(args=["scores", "close", "--month", MARCH, "--note", "ok"])
    assert closed.exit_code == 0, closed.output
    assert "March 2024 closed with Desk plan v1: 6 tickets" in closed.output
    again = runner.invoke(args=["scores", "close", "--month", MARCH])
    assert again.exit_code != 0
    assert "already closed" in again.output
    reopened = runner.invoke(
        args=["scores", "reopen", "--month", MARCH, "--reason", "Late export"]
    )
    assert reopened.exit_code == 0, reopened.output
    bad = runner.invoke(args=["scores", "compute", "--month", "March"])
    assert bad.exit_code != 0
    assert "YYYY-MM" in bad.output


def test_plans_load_lists_every_problem_and_saves_nothing(
    world, runner, tmp_path
) -> None:
    db.session.commit()
    path = tmp_path / "plan.yaml"
    path.write_text("name: Broken\ncurrency: dollars\nmetrics: {tickets_solved: {}}\n")
    result = runner.invoke(args=["plans", "load", str(path)])
    assert result.exit_code != 0
    assert "currency: Use a three-letter currency code" in result.output
    assert "Volume is shown, never rewarded" in result.output
    assert scoring_queries.get_plan_by_name("Broken") is None
    listed = runner.invoke(args=["plans", "list"])
    assert "* Desk plan v1" in listed.output


@pytest.mark.parametrize(
    ("current", "in_month", "elsewhere"), [("2024-04", 1, 0), ("2024-05", 0, 1)]
)
def test_the_close_panel_counts_its_own_months_open_disputes(
    world, monkeypatch, current, in_month, elsewhere
) -> None:
    """March's dispute counts under March, as March's pack counts it; shown April, it is
    one more open in another month."""
    dispute_a3(world)
    monkeypatch.setattr(queries, "current_month", lambda: current)
    for job in db.session.scalars(
        select(Job).where(Job.kind == month_cache.WARM_UP_KIND)
    ):
        job.status = JobStatus.DONE
    panel = panels.close_panel(world.leader)
    assert panel is not None
    assert (panel.context["open_disputes"], panel.context["open_elsewhere"]) == (
        in_month,
        elsewhere,
    )
