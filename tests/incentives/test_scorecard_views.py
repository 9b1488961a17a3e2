"""Scores, scorecards, plans, month close, disputes, coaching and batches over HTTP: who
sees which record, forms shown again with their messages, PDFs with the right numbers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.jobs import Job, JobStatus
from incentives.scoring.models import (
    IncentivePlan,
    MonthClose,
    PlanVersion,
    TicketDispute,
    plan_from_definition,
)
from tests.core.test_pdf import pdf_text
from tests.helpers import post_form, text
from tests.incentives import scoring_world

MARCH = "2024-03"


@pytest.fixture(scope="module")
def world(module_seed) -> scoring_world.World:
    """Built once for the module; each test runs in a savepoint of it (tests/conftest.py)."""
    with module_seed():
        built = scoring_world.build()
    return built


@pytest.fixture
def scalar(app):
    """Read one value outside the requests, in an app context of its own."""

    def read(stmt):
        with app.app_context():
            return db.session.scalar(stmt)

    return read


def has_line(layout: str, *parts: str) -> bool:
    """Some line of the laid-out text holds every part, in this order."""
    for line in layout.splitlines():
        position = 0
        for part in parts:
            position = line.find(part, position)
            if position < 0:
                break
            position += len(part)
        else:
            return True
    return False


def url(path: str, **args: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/incentives{path}" + (f"?{query}" if query else "")


# --- who sees which scorecard --------------------------------------------------------------


def test_a_rep_gets_only_their_own_scorecard(client, login_as, world) -> None:
    login_as(world.ann)
    own = client.get(url(f"/scorecards/reps/{world.ann.id}", month=MARCH))
    assert own.status_code == 200
    assert "Ann Example" in text(own)
    assert "2nd of 2 in Desk" in text(own)
    for path in (
        f"/scorecards/reps/{world.bob.id}",
        f"/scorecards/reps/{world.bob.id}.pdf",
        f"/scorecards/teams/{world.desk.id}",
        f"/scorecards/teams/{world.desk.id}.pdf",
        "/scorecards/leadership",
    ):
        assert client.get(url(path, month=MARCH)).status_code == 403, path


def test_a_supervisor_gets_only_their_teams_scorecards(client, login_as, world) -> None:
    login_as(world.sam)
    for path in (
        f"/scorecards/reps/{world.ann.id}",
        f"/scorecards/reps/{world.bob.id}",
        f"/scorecards/teams/{world.desk.id}",
    ):
        assert client.get(url(path, month=MARCH)).status_code == 200, path
    for path in (
        f"/scorecards/reps/{world.cat.id}",
        f"/scorecards/reps/{world.cat.id}.pdf",
        f"/scorecards/teams/{world.other.id}",
        f"/scorecards/teams/{world.other.id}.pdf",
    ):
        assert client.get(url(path, month=MARCH)).status_code == 403, path


def test_scores_and_their_csv_keep_to_the_viewers_reps(client, login_as, world) -> None:
    login_as(world.sam)
    page = text(client.get(url("/scores", month=MARCH)))
    assert "Ann Example" in page
    assert "Cat Example" not in page
    csv_text = text(client.get(url("/scores.csv", month=MARCH)))
    assert "ann@example.com" in csv_text
    assert "bob@example.com" in csv_text
    assert "cat@example.com" not in csv_text
    assert csv_text.splitlines()[0].endswith(
        "score,eligible,base_payout,final_payout,currency,reason"
    )


def test_the_pdf_shows_the_reps_numbers(
    client, login_as, world, tmp_path: Path
) -> None:
    login_as(world.ann)
    response = client.get(url(f"/scorecards/reps/{world.ann.id}.pdf", month=MARCH))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    layout = pdf_text(response.data, tmp_path)
    words = " ".join(layout.split())
    assert "Desk · March 2024 · Desk plan v1" in words
    assert has_line(layout, "SCORE", "PAYOUT", "ELIGIBILITY")
    assert has_line(layout, "20.0", "100.00 USD", "Eligible")  # 15+ points: 50% of 200
    assert "2nd of 2 in Desk" in words
    # value (Bayesian), threshold, target, credit, weight, points; the mark sits under
    # the value, clear of the threshold column; the trend's lines are named.
    assert has_line(layout, "CSAT", "75%")
    assert has_line(layout, "80% → 95%", "0% × 60 = 0.0", "threshold 80%")  # noqa: RUF001
    assert has_line(layout, "66.7% as rated", "below threshold")
    assert has_line(layout, "Solved in time", "75%", "50% → 100%", "50% × 40 = 20.0")  # noqa: RUF001
    assert "target 95%" in layout
    assert "Next: the 80-point tier, 60 points away, pays 200.00 USD." in words
    assert "(2 satisfied + 5 × 80.0% organisation) / (3 rated + 5)" in words  # noqa: RUF001
    assert "Page 1 of 1" in words


def test_an_ineligible_reps_pdf_says_why(
    client, login_as, world, tmp_path: Path
) -> None:
    login_as(world.sam)
    response = client.get(url(f"/scorecards/reps/{world.bob.id}.pdf", month=MARCH))
    layout = pdf_text(response.data, tmp_path)
    assert has_line(layout, "62.9", "0.00 USD", "Not eligible")
    assert has_line(layout, "2 rated tickets, under the 3")


# --- what to do next -----------------------------------------------------------------------


def test_the_rep_page_says_what_the_next_tier_needs_and_pays(
    client, login_as, world
) -> None:
    login_as(world.ann)
    page = text(client.get(url(f"/scorecards/reps/{world.ann.id}", month=MARCH)))
    # 20 points: CSAT 75% (no credit, weight 60), solved in time 50% credit x 40.
    assert "Next: the 80-point tier, 60 points away, pays 200.00 USD." in page
    assert "CSAT: 75% now; 95% would reach it, others held." in page
    assert "Solved in time: cannot reach it alone, even at its best (100%)." in page


def test_a_what_if_rescores_the_month_with_the_plan(client, login_as, world) -> None:
    login_as(world.ann)
    page = text(
        client.get(
            url(
                f"/scorecards/reps/{world.ann.id}", month=MARCH, metric="csat", value=95
            )
        )
    )
    # CSAT at its target: full credit x 60 + the 20 points held = 80: the top tier.
    assert "What if: score 80.0, pays 200.00 USD." in page
    assert "80+ points: 100% of 200.00 USD." in page
    # The figures of the month itself are unchanged.
    assert "2nd of 2 in Desk" in page


@pytest.mark.parametrize(
    ("metric", "value", "message"),
    [
        ("csat", "lots", "Enter a number for CSAT."),
        ("csat", "", "Enter a number for CSAT."),
        ("csat", "1e999", "Enter a number for CSAT."),
        ("csat", "nan", "Enter a number for CSAT."),
        ("csat", "250", "Enter CSAT from 0% to 100%."),
        ("nps", "10", "Choose one of the plan&#39;s metrics."),
        ("<script>", "1", "Choose one of the plan&#39;s metrics."),
        ("csat", "9" * 5000, "Enter CSAT from 0% to 100%."),
    ],
)
def test_a_what_if_with_bad_values_says_what_is_wrong(
    client, login_as, world, metric, value, message
) -> None:
    login_as(world.ann)
    response = client.get(
        url(f"/scorecards/reps/{world.ann.id}"),
        query_string={"month": MARCH, "metric": metric, "value": value},
    )
    assert response.status_code == 200
    assert message in text(response)
    assert "<script>" not in response.get_data(as_text=True).split("<body", 1)[1]


def test_a_what_if_keeps_to_the_viewers_reps(client, login_as, world) -> None:
    login_as(world.ann)
    response = client.get(
        url(f"/scorecards/reps/{world.bob.id}", month=MARCH, metric="csat", value=95)
    )
    assert response.status_code == 403
    login_as(world.sam)
    response = client.get(
        url(f"/scorecards/reps/{world.cat.id}", month=MARCH, metric="csat", value=95)
    )
    assert response.status_code == 403


# --- plans ------------------------------------------------------------------------------------


def plan_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Second plan",
        "currency": "EUR",
        "target_bonus": "150",
        "csat_prior_strength": "10",
        "min_solved": "1",
        "min_rated": "0",
        "tier_kind": "percent",
        "csat_weight": "50",
        "csat_threshold": "80",
        "csat_target": "90",
        "timely_rate_weight": "40",
        "timely_rate_threshold": "60",
        "timely_rate_target": "95",
        "tier1_score": "50",
        "tier1_value": "100",
    }
    data.update(changes)
    return data


def test_a_plan_form_with_problems_is_shown_again_with_them(
    client, login_as, world, scalar
) -> None:
    login_as(world.admin)
    response = post_form(
        client,
        url("/plans/new"),
        plan_form(tickets_solved="5"),
        token_from=url("/plans/new"),
    )
    assert response.status_code == 200
    page = text(response)
    assert "The weights add up to 90; they must add up to 100." in page
    assert 'value="Second plan"' in page  # nothing typed is lost
    assert (
        scalar(select(IncentivePlan.id).where(IncentivePlan.name == "Second plan"))
        is None
    )

    response = post_form(
        client,
        url("/plans/new"),
        plan_form(csat_weight="60", csat_target="75"),
        token_from=url("/plans/new"),
    )
    assert "The target must be above the threshold" in text(response)


def test_a_good_plan_form_saves_the_plan(client, login_as, world, scalar) -> None:
    login_as(world.admin)
    response = post_form(
        client,
        url("/plans/new"),
        plan_form(csat_weight="60", **{f"team_{world.desk.id}": "175"}),
        token_from=url("/plans/new"),
    )
    assert response.status_code == 302
    named = IncentivePlan.name == "Second plan"
    rules = plan_from_definition(
        scalar(select(PlanVersion.definition).join(IncentivePlan).where(named))
    )
    assert [t.metric for t in rules.terms] == ["csat", "timely_rate"]
    assert rules.bonus_for(world.desk.id) == 175
    assert scalar(select(IncentivePlan.is_active).where(named)) is False
    detail = client.get(response.headers["Location"], follow_redirects=True)
    assert "Second plan v1 saved." in text(detail)


def test_a_plan_form_takes_values_per_channel_group(
    client, login_as, world, scalar
) -> None:
    login_as(world.admin)
    refused = post_form(
        client,
        url("/plans/new"),
        plan_form(
            csat_weight="60",
            timely_rate__written_threshold="70",
            timely_rate__written_target="65",
        ),
        token_from=url("/plans/new"),
    )
    page = text(refused)
    assert refused.status_code == 200
    assert "The target must be above the threshold" in page
    assert '<details class="plan-channels" open>' in page
    assert 'value="70"' in page  # nothing typed is lost

    saved = post_form(
        client,
        url("/plans/new"),
        plan_form(
            csat_weight="60",
            timely_rate__written_threshold="40",
            timely_rate__written_target="80",
        ),
        token_from=url("/plans/new"),
    )
    assert saved.status_code == 302
    named = IncentivePlan.name == "Second plan"
    rules = plan_from_definition(
        scalar(select(PlanVersion.definition).join(IncentivePlan).where(named))
    )
    term = rules.term("timely_rate")
    assert [(g.group, g.threshold, g.target) for g in term.channel_groups] == [
        ("written", 40.0, 80.0)
    ]
    detail = text(client.get(saved.headers["Location"], follow_redirects=True))
    assert "Solved in time, e-mail and web tickets" in detail
    edit = text(client.get(saved.headers["Location"] + "/edit"))
    assert 'name="timely_rate__written_threshold" type="text" value="40"' in edit


def test_editing_a_frozen_plan_makes_a_new_version(
    client, login_as, world, scalar
) -> None:
    with client.application.app_context():
        from incentives.scoring import operations as scoring_operations

        scoring_operations.close_month(MARCH, by="test")
        db.session.commit()
    login_as(world.admin)
    edit = url(f"/plans/{world.version.plan_id}/edit")
    page = client.get(edit)
    assert "saving makes a new version" in text(page)
    response = post_form(
        client,
        edit,
        {
            **plan_form(name="Desk plan", csat_weight="60", csat_target="95"),
            "csat_threshold": "80",
            "tier1_score": "15",
            "tier1_value": "50",
        },
        token_from=edit,
        follow_redirects=True,
    )
    assert "saved as a new version" in text(response)
    newest = select(func.max(PlanVersion.version)).where(
        PlanVersion.plan_id == world.version.plan_id
    )
    assert scalar(newest) == 2


def test_a_yaml_import_lists_every_problem(client, login_as, world) -> None:
    login_as(world.admin)
    page = url("/plans/import")
    response = post_form(
        client,
        page,
        {"text": "name: X\ncurrency: usd\nmetrics:\n  tickets_solved: {weight: 100}\n"},
        token_from=page,
    )
    body = text(response)
    assert response.status_code == 200
    assert "tickets_solved: Volume is shown, never rewarded" in body
    assert "target bonus: Enter a number." in body
    example = (
        Path(__file__).parents[2] / "static/incentives/plan-example.yaml"
    ).read_text()
    unknown_team = post_form(client, page, {"text": example}, token_from=page)
    assert "target bonus of Phone &amp; Email: No team has this name" in text(
        unknown_team
    )
    example = example.replace("Phone & Email: 275", f"{world.desk.name}: 275")
    response = post_form(client, page, {"text": example}, token_from=page)
    assert response.status_code == 302


# --- month close ----------------------------------------------------------------------------


def test_close_waits_for_open_disputes_then_freezes_and_reopens(
    client, login_as, world, scalar
) -> None:
    login_as(world.ann)
    dispute_page = url(f"/tickets/{world.tickets['A3']}/dispute")
    post_form(
        client, dispute_page, {"reason": "Cat took this one"}, token_from=dispute_page
    )

    login_as(world.admin)
    close = url(f"/months/{MARCH}/close")
    review = text(client.get(close))
    assert "1 dispute is still open." in review
    assert "Ann Example: ticket A3" in review
    refused = post_form(client, close, {"note": "First go"}, token_from=close)
    assert refused.status_code == 200
    assert "Decide it first, or confirm closing with it open." in text(refused)
    assert scalar(select(MonthClose.id)) is None

    done = post_form(
        client, close, {"note": "Reviewed", "confirm_disputes": "y"}, token_from=close
    )
    assert done.status_code == 302
    closed_page = text(client.get(close))
    assert "Closed" in closed_page
    assert "Reopen the month" in closed_page

    reopened = post_form(
        client,
        url(f"/months/{MARCH}/reopen"),
        {"reason": "A late CSAT file"},
        token_from=close,
        follow_redirects=True,
    )
    assert "is open again" in text(reopened)
    assert scalar(select(MonthClose.reopen_reason)) == "A late CSAT file"


# --- disputes and coaching ------------------------------------------------------------------


def test_a_dispute_from_the_drill_down_to_the_supervisors_decision(
    client, login_as, world, scalar
) -> None:
    login_as(world.ann)
    tickets = text(client.get(url(f"/reps/{world.ann.id}/tickets", month=MARCH)))
    assert f"/incentives/tickets/{world.tickets['A3']}/dispute" in tickets
    form = url(f"/tickets/{world.tickets['A3']}/dispute")
    empty = post_form(client, form, {"reason": ""}, token_from=form)
    assert "Say in a few words why." in text(empty)
    sent = post_form(client, form, {"reason": "Cat took this one"}, token_from=form)
    assert sent.status_code == 302
    dispute_id = scalar(select(TicketDispute.id))
    assert client.get(url(f"/tickets/{world.tickets['B1']}/dispute")).status_code == 403

    login_as(world.bob)
    assert client.get(url(f"/disputes/{dispute_id}")).status_code == 403
    login_as(world.olga)
    assert client.get(url(f"/disputes/{dispute_id}")).status_code == 403

    login_as(world.sam)
    assert "Cat took this one" in text(client.get(url("/disputes")))
    detail = url(f"/disputes/{dispute_id}")
    no_rep = post_form(
        client,
        detail + "/decide",
        {"decision": "reassign", "reassign_to": "0"},
        token_from=detail,
    )
    assert "Choose the rep who handled it." in text(no_rep)
    decided = post_form(
        client,
        detail + "/decide",
        {"decision": "reassign", "reassign_to": str(world.bob.id)},
        token_from=detail,
        follow_redirects=True,
    )
    assert "the ticket counts for Bob Example" in text(decided)
    scores = text(client.get(url("/scores", month=MARCH)))
    assert "40.0" in scores  # Bob with A3: 3 rated, eligible at 40 points


def test_coaching_is_assigned_in_one_click(client, login_as, world) -> None:
    with client.application.app_context():
        from training import operations as training_operations

        training_operations.install_shipped_content(by="test")
        db.session.commit()
    login_as(world.sam)
    card = url(f"/scorecards/reps/{world.ann.id}", month=MARCH)
    page = text(client.get(card))
    assert "Under threshold two months running" in page
    assert "Assign “A refund within your limit, and one beyond it”" in page
    done = post_form(
        client,
        url("/coaching"),
        {"rep_id": world.ann.id, "scenario": "refund-limits", "month": MARCH},
        token_from=card,
        follow_redirects=True,
    )
    assert "Assigned to Ann Example, due in two weeks." in text(done)
    assert "A refund within your limit, and one beyond it: assigned" in text(done)

    login_as(world.olga)
    refused = post_form(
        client,
        url("/coaching"),
        {"rep_id": world.ann.id, "scenario": "refund-limits"},
        token_from="/",
    )
    assert refused.status_code == 403


# --- batches ---------------------------------------------------------------------------------


def test_a_batch_renders_every_scorecard_of_the_month_into_a_zip(
    client, login_as, world, scalar
) -> None:
    login_as(world.leader)
    page = url("/scorecards/leadership", month=MARCH)
    response = post_form(
        client, url("/scorecards/batches"), {"month": MARCH}, token_from=page
    )
    assert response.status_code == 302
    job_id = scalar(select(Job.id).order_by(Job.id.desc()))
    assert scalar(select(Job.status).where(Job.id == job_id)) is JobStatus.DONE
    assert scalar(select(Job.created_by_id).where(Job.id == job_id)) == world.leader.id
    status = client.get(url(f"/scorecards/batches/{job_id}.json")).get_json()
    assert status["status"] == "done"
    assert status["percent"] == 100
    assert "Download the zip" in text(client.get(response.headers["Location"]))
    archive = client.get(status["download"])
    names = set(zipfile.ZipFile(io.BytesIO(archive.data)).namelist())
    archive.close()
    assert names == {
        "leadership.pdf",
        f"reps/ann-example-{world.ann.id}.pdf",
        f"reps/bob-example-{world.bob.id}.pdf",
        f"reps/cat-example-{world.cat.id}.pdf",
        f"teams/desk-{world.desk.id}.pdf",
        f"teams/other-{world.other.id}.pdf",
    }


def test_a_batch_without_a_month_is_refused_politely(
    client, login_as, world, scalar
) -> None:
    login_as(world.leader)
    page = url("/scorecards/leadership")
    response = post_form(
        client,
        url("/scorecards/batches"),
        {"month": "soon"},
        token_from=page,
        follow_redirects=True,
    )
    assert "Choose a month to render." in text(response)
    assert scalar(select(Job.id).where(Job.kind == "scorecards.render")) is None


def test_a_rep_turns_their_scorecard_emails_off_and_on(
    client, login_as, world, scalar
) -> None:
    from core.audit import AuditEvent
    from incentives.scorecards.models import ScorecardMailOptOut

    login_as(world.ann)
    page = url(f"/scorecards/reps/{world.ann.id}", month=MARCH)
    shown = text(client.get(page))
    assert "E-mail me my scorecard when a month closes" in shown
    assert '<input checked id="wanted" name="wanted"' in shown
    off = post_form(client, url("/scorecards/mail"), {}, token_from=page)
    assert off.status_code == 302
    assert "no longer be e-mailed" in text(client.get(off.headers["Location"]))
    opted_out = select(ScorecardMailOptOut.user_id)
    assert scalar(opted_out) == world.ann.id
    assert scalar(
        select(AuditEvent.action).where(AuditEvent.action == "scorecard.mail_off")
    )
    on = post_form(client, url("/scorecards/mail"), {"wanted": "y"}, token_from=page)
    assert on.status_code == 302
    assert scalar(opted_out) is None
    # A supervisor reading Ann's scorecard sees no switch: it is hers alone.
    login_as(world.sam)
    assert "E-mail me my scorecard" not in text(client.get(page))
