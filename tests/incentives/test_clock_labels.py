"""Clocks labelled truthfully: every page and PDF that shows first-reply or resolution
figures says which clock those figures were measured on, read from the figures themselves
(``first_response_clock`` and ``resolution_clock``), not from the organisation's setting.

The organisation has no opening hours (its setting: calendar time). Lucia's helpdesk
exported first-reply times in business hours only, and resolution as timestamps: her
first-reply figures are business hours, her resolution figures calendar time. Mo's tickets
carry timestamps only: calendar time throughout. Together, the organisation's and team's
first reply is partly one, partly the other.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from core.access import Role
from core.db import db
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plans
from incentives.tickets import operations
from incentives.tickets import queries as ticket_queries
from tests.core.test_pdf import pdf_text
from tests.factories import make_team, make_user
from tests.helpers import text

MONTH = "2024-03"
MAPPING = """
source: clockdesk
timezone: UTC
date_format: "%Y-%m-%d %H:%M"
columns:
  ticket_id: Id
  agent: Agent
  channel: Type
  created_at: Created
  solved_at: Closed
  satisfaction: Rating
durations:
  first_response: {column: First reply (business minutes), unit: minutes, clock: business}
satisfaction:
  satisfied: [good]
  unsatisfied: [bad]
  not_rated: [""]
"""
EXPORT = (
    "Id,Agent,Type,Created,Closed,First reply (business minutes),Rating\n"
    "L-1,lucia@example.com,email,2024-03-04 09:00,2024-03-04 13:00,30,good\n"
    "L-2,lucia@example.com,email,2024-03-05 09:00,2024-03-05 11:00,50,good\n"
    "L-3,lucia@example.com,email,2024-03-06 09:00,2024-03-06 10:00,10,bad\n"
)
PLAN = {
    "name": "Clock plan",
    "currency": "USD",
    "target_bonus": 100,
    "csat_prior_strength": 5,
    "metrics": {
        "first_response_median_min": {"weight": 50, "threshold": 240, "target": 30},
        "resolution_median_h": {"weight": 50, "threshold": 24, "target": 2},
    },
    "payout": {"tiers": [{"score": 10, "percent": 100}]},
}
LUCIA = "First reply in business hours; resolution in calendar time."
MIXED = (
    "First reply in partly business hours, partly calendar time; "
    "resolution in calendar time."
)


@pytest.fixture
def org(seed):
    with seed():
        desk = make_team("Desk")
        lucia = make_user(
            Role.REP, email="lucia@example.com", name="Lucia Rep", team=desk
        )
        mo = make_user(Role.REP, email="mo@example.com", name="Mo Rep", team=desk)
        sup = make_user(Role.SUPERVISOR, name="Sue Visor")
        desk.supervisors = [sup]
        admin = make_user(Role.ADMIN, name="Ada Admin")
        lead = make_user(Role.LEADERSHIP, name="Lee Lead")
        outcome = operations.import_ticket_file(
            EXPORT.encode(),
            filename="clockdesk.csv",
            file_format="mapped",
            mapping_text=MAPPING,
            by="test",
            via="cli",
            tz=ZoneInfo("UTC"),
        )
        assert not outcome.rejected, outcome.report
        operations.import_ticket_records(
            [
                {
                    "ticket_id": f"M-{n}",
                    "channel": "chat",
                    "agent_email": "mo@example.com",
                    "created_at": "2024-03-07T09:00:00Z",
                    "first_response_at": "2024-03-07T09:05:00Z",
                    "solved_at": "2024-03-07T10:00:00Z",
                }
                for n in (1, 2)
            ],
            source="frontline-clock",
            by="test",
            tz=ZoneInfo("UTC"),
        )
        scoring_operations.save_plan(None, plans.parse_plan(PLAN), by="test")
    return {
        "lucia": lucia,
        "mo": mo,
        "desk": desk,
        "sup": sup,
        "admin": admin,
        "lead": lead,
    }


def test_the_metrics_page_names_the_clocks_its_figures_used(org, login_as) -> None:
    page = text(login_as(org["lead"]).get(f"/incentives/metrics?month={MONTH}"))
    assert "Durations in" not in page  # the setting said calendar time for everything
    assert MIXED in page
    own = text(login_as(org["lucia"]).get(f"/incentives/metrics?month={MONTH}"))
    assert LUCIA in own
    assert "partly" not in own
    mo = text(login_as(org["mo"]).get(f"/incentives/metrics?month={MONTH}"))
    assert "First reply and resolution in calendar time." in mo


def test_a_reps_tickets_page_names_the_clocks(org, login_as) -> None:
    page = text(
        login_as(org["lead"]).get(
            f"/incentives/reps/{org['lucia'].id}/tickets?month={MONTH}"
        )
    )
    assert LUCIA in page
    assert "Each ticket below marks a duration in business hours with" in page


def test_the_dashboards_name_the_clocks(org, login_as, monkeypatch) -> None:
    monkeypatch.setattr(ticket_queries, "current_month", lambda: MONTH)
    rep = text(login_as(org["lucia"]).get("/"))
    assert "Your month so far" in rep
    assert LUCIA in rep
    team = text(login_as(org["sup"]).get("/"))
    assert "First reply in partly business hours, partly calendar time." in team
    organisation = text(login_as(org["lead"]).get("/"))
    assert MIXED in organisation


def test_the_rep_scorecard_and_its_pdf_mark_each_durations_clock(
    org, login_as, tmp_path
) -> None:
    client = login_as(org["lucia"])
    page = text(
        client.get(f"/incentives/scorecards/reps/{org['lucia'].id}?month={MONTH}")
    )
    assert "First reply<small>in business hours</small>" in page
    assert "Resolution<small>in calendar time</small>" in page
    pdf = client.get(f"/incentives/scorecards/reps/{org['lucia'].id}.pdf?month={MONTH}")
    assert pdf.status_code == 200
    words = " ".join(pdf_text(pdf.data, tmp_path).split())
    assert "in business hours" in words
    assert "in calendar time" in words
    mo = text(
        login_as(org["lead"]).get(
            f"/incentives/scorecards/reps/{org['mo'].id}?month={MONTH}"
        )
    )
    assert "First reply<small>in calendar time</small>" in mo
    assert "in business hours" not in mo


def test_the_team_card_and_leadership_pack_and_their_pdfs_name_the_clocks(
    org, login_as, tmp_path
) -> None:
    client = login_as(org["lead"])
    team_url = f"/incentives/scorecards/teams/{org['desk'].id}"
    assert MIXED in text(client.get(f"{team_url}?month={MONTH}"))
    team_pdf = client.get(f"{team_url}.pdf?month={MONTH}")
    assert MIXED in " ".join(pdf_text(team_pdf.data, tmp_path).split())
    assert MIXED in text(client.get(f"/incentives/scorecards/leadership?month={MONTH}"))
    pack_pdf = client.get(f"/incentives/scorecards/leadership.pdf?month={MONTH}")
    assert MIXED in " ".join(pdf_text(pack_pdf.data, tmp_path).split())


def test_scores_compute_names_the_clocks_of_the_figures(org, runner) -> None:
    result = runner.invoke(args=["scores", "compute", "--month", MONTH])
    assert result.exit_code == 0, result.output
    assert f"2024-03 in UTC. {MIXED}" in result.output
    shown = runner.invoke(args=["metrics", "show", "--month", MONTH, "--by", "rep"])
    assert MIXED in shown.output


def set_opening_hours(app, admin) -> None:
    with app.app_context():
        operations.save_opening_hours(
            {day: (9 * 60, 17 * 60) for day in range(5)}, {}, by=db.session.merge(admin)
        )
        db.session.commit()


def test_labels_follow_the_figures_when_opening_hours_are_set(
    org, login_as, app
) -> None:
    set_opening_hours(app, org["admin"])
    page = text(login_as(org["lead"]).get(f"/incentives/metrics?month={MONTH}"))
    assert "First reply and resolution in business hours." in page
    assert MIXED not in page


def test_a_closed_month_keeps_the_clocks_it_was_closed_with(
    org, login_as, runner, app
) -> None:
    closed = runner.invoke(
        args=["scores", "close", "--month", MONTH, "--with-open-disputes"]
    )
    assert closed.exit_code == 0, closed.output
    set_opening_hours(app, org["admin"])
    page = text(login_as(org["lead"]).get(f"/incentives/metrics?month={MONTH}"))
    assert "Closed on" in page
    assert MIXED in page  # as closed, whatever the clock set since
