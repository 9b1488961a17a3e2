"""One truth per month: every surface shows the same figures for the same rep, team and
organisation, with accepted disputes applied, and a closed month as it was closed.

The surfaces walked: the month metrics page and its CSV, ``GET /api/v1/metrics/MONTH``,
the dashboard panels (a rep's month so far, a supervisor's teams, the organisation),
the scores page and its CSV, ``scores compute``, the rep, team and leadership scorecards
(pages and a PDF).

March 2024 of :mod:`tests.incentives.scoring_world`, with two accepted disputes: A3
(Ann's, 2 h, not satisfied, reopened) excluded, A4 (Ann's, 30 min, not rated) reassigned
to Bob. Then:

* Ann: A1 (1 h, satisfied) and A2 (10 h, late, satisfied): 2 solved, CSAT 100% of 2,
  reopen rate 0, resolution median 5.5 h; score: CSAT (2 + 5 x 0.8) / 7 = 85.71%, so
  22.86 points; timely 1 of 2 = 50%, the threshold: 0 points. 22.86.
* Bob: B1, B2 (1 h, satisfied) and A4: 3 solved, CSAT 100% of 2, resolution median 1 h,
  timely 100%: 40 + 22.86 = 62.86.
* Desk: the five tickets left to its reps; the organisation keeps all six (an excluded
  ticket stays in the organisation's figures): CSAT 4 of 5, 1 of 6 reopened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.access import Role
from core.db import db
from incentives import month_cache, panels
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import Resolution
from incentives.tickets import metrics
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket
from tests.core.test_pdf import pdf_text
from tests.factories import make_api_token
from tests.helpers import text
from tests.incentives import scoring_world
from tests.incentives.scoring_world import ticket

MARCH = "2024-03"
#: The figures compared, and how closely (the CSVs round them).
FIGURES = {
    "tickets_solved": 0,
    "first_response_median_min": 0.05,
    "resolution_median_h": 0.005,
    "reopen_rate": 0.00005,
    "csat_raw": 0.00005,
}
#: Hand-worked figures of March (see the module's docstring).
EXPECTED = {
    "ann@example.com": {
        "tickets_solved": 2,
        "resolution_median_h": 5.5,
        "reopen_rate": 0.0,
        "csat_raw": 1.0,
        "score": 22.857,
    },
    "bob@example.com": {
        "tickets_solved": 3,
        "resolution_median_h": 1.0,
        "reopen_rate": 0.0,
        "csat_raw": 1.0,
        "score": 62.857,
    },
    "Desk": {"tickets_solved": 5, "csat_raw": 1.0, "reopen_rate": 0.0},
    "organisation": {"tickets_solved": 6, "csat_raw": 0.8, "reopen_rate": 1 / 6},
}


@pytest.fixture
def world(seed) -> scoring_world.World:
    with seed():
        built = scoring_world.build()
        for key, resolution, to in (
            ("A3", Resolution.EXCLUDE, None),
            ("A4", Resolution.REASSIGN, "bob"),
        ):
            dispute = scoring_operations.file_dispute(
                db.session.get(Ticket, built.tickets[key]),
                by=built.ann,
                reason="Not mine",
            )
            scoring_operations.decide_dispute(
                dispute,
                by=built.sam,
                accept=True,
                resolution=resolution,
                reassign_to=getattr(built, to) if to else None,
            )
    return built


def number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)
    return None if math.isnan(number) else number


def pick(record: Any) -> dict[str, float | None]:
    return {column: number(record[column]) for column in FIGURES}


def csv_rows(body: str) -> dict[str, dict[str, str]]:
    return {
        row["rep_email"]: row
        for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))
    }


def same(left: dict[str, Any], right: dict[str, Any], where: str) -> None:
    for column, value in right.items():
        tolerance = FIGURES.get(column, 0.001)
        if value is None:
            assert left[column] is None, (where, column)
        else:
            assert left[column] == pytest.approx(value, abs=tolerance), (where, column)


def the_truth(month: str) -> dict[str, dict[str, Any]]:
    """Per rep (by e-mail), team (by name) and the organisation: the one function's
    figures, and each rep's score."""
    figures = month_cache.month_figures(month)
    scores = scoring_queries.month_scores(month)
    truth: dict[str, dict[str, Any]] = {}
    for rep_id, row in figures.reps.iterrows():
        score = scores.scores.get(int(rep_id))
        truth[str(row["email"])] = {
            **pick(row),
            "score": None if score is None else score.score,
            "rep_id": int(rep_id),
        }
    for _team_id, row in figures.teams.iterrows():
        truth[str(row["team_name"])] = pick(row)
    truth["organisation"] = pick(figures.organisation)
    return truth


def rep_figures(truth: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in truth.items() if "@" in k}


def walk(app, client, login_as, runner, world, tmp_path: Path) -> dict[str, Any]:
    """Every surface's figures of March, each checked against :func:`the_truth`;
    returns the truth and what the closed-month surfaces say."""
    with app.app_context():
        truth = the_truth(MARCH)
        label = month_cache.month_figures(MARCH).closed_label
        token = make_api_token(Role.LEADERSHIP)
        db.session.commit()
    for email, expected in EXPECTED.items():
        same(truth[email], expected, "hand-worked")
    reps = rep_figures(truth)

    # The metrics API.
    body = client.get(
        f"/api/v1/metrics/{MARCH}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    api_reps = {r["email"]: pick(r) for r in body["reps"]}
    assert set(api_reps) == set(reps)
    for email, figures in api_reps.items():
        same(figures, pick(reps[email]), f"API {email}")
    for team in body["teams"]:
        same(pick(team), truth[team["team"]], f"API {team['team']}")
    same(pick(body["organisation"]), truth["organisation"], "API organisation")
    if label:
        assert body["closed"]["by"]
        assert label.startswith("Closed on ")
        assert label.endswith(f"by {body['closed']['by']}")
    else:
        assert body["closed"] is None

    # The metrics download and the scores download; and ``scores compute``.
    login_as(world.admin)
    metrics_csv = csv_rows(text(client.get(f"/incentives/metrics.csv?month={MARCH}")))
    scores_csv = csv_rows(text(client.get(f"/incentives/scores.csv?month={MARCH}")))
    computed = runner.invoke(
        args=["scores", "compute", "--month", MARCH, "--format", "csv"]
    )
    assert computed.exit_code == 0, computed.output
    command_csv = csv_rows(computed.output)
    table = runner.invoke(args=["scores", "compute", "--month", MARCH]).output
    assert (label in table) if label else ("Open: scored now" in table)
    for name, rows in (
        ("metrics.csv", metrics_csv),
        ("scores.csv", scores_csv),
        ("scores compute", command_csv),
    ):
        assert set(rows) == set(reps), name
        for email, row in rows.items():
            same(pick(row), pick(reps[email]), f"{name} {email}")
            assert row["closed"] == label, name
    for rows in (scores_csv, command_csv):
        for email, row in rows.items():
            expected = reps[email]["score"]
            assert number(row["score"]) == (
                None if expected is None else pytest.approx(expected, abs=0.005)
            )

    # The metrics page: each rep's row shows their figures.
    page = text(client.get(f"/incentives/metrics?month={MARCH}"))
    for figures in reps.values():
        row = next(
            r
            for r in page.split("<tr>")
            if f"/incentives/reps/{figures['rep_id']}/tickets" in r
        )
        cells = [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r'<td class="num">(.*?)</td>', row, re.S)
        ]
        assert cells[0] == metrics.format_value(
            "tickets_solved", figures["tickets_solved"]
        )
        assert cells[4].startswith(
            metrics.format_value("csat_raw", figures["csat_raw"])
        )
    assert (label in page) if label else ("Closed on" not in page)

    # A rep's figures above the tickets behind them.
    for figures in reps.values():
        rep_page = text(
            client.get(f"/incentives/reps/{figures['rep_id']}/tickets?month={MARCH}")
        )
        cards = re.findall(
            r'<strong class="metric-card-value">(.*?)</strong>', rep_page
        )
        assert cards[0] == metrics.format_value(
            "tickets_solved", figures["tickets_solved"]
        )
        assert cards[4] == metrics.format_value("csat_raw", figures["csat_raw"])

    # The scores page, the team and leadership scorecards.
    scores_page = text(client.get(f"/incentives/scores?month={MARCH}"))
    team_page = text(
        client.get(f"/incentives/scorecards/teams/{world.desk.id}?month={MARCH}")
    )
    lead_page = text(client.get(f"/incentives/scorecards/leadership?month={MARCH}"))
    for shown in (scores_page, team_page, lead_page):
        assert (label in shown) if label else ("Closed on" not in shown)

    with app.app_context():
        ann, bob, desk = (
            db.session.merge(x) for x in (world.ann, world.bob, world.desk)
        )
        for user in (ann, bob):
            card = scorecard_queries.rep_scorecard(user, MARCH)
            expected = reps[user.email]
            assert card.tickets_solved == expected["tickets_solved"]
            assert card.score == pytest.approx(expected["score"])
            assert card.status.startswith(label or "Open")
        team = scorecard_queries.team_scorecard(desk, MARCH)
        assert {row.rep_id: row.score for row in team.rows} == pytest.approx(
            {reps[u.email]["rep_id"]: reps[u.email]["score"] for u in (ann, bob)}
        )
        pack = scorecard_queries.leadership_pack(MARCH)
        line = next(t for t in pack.teams if t.team_id == desk.id)
        assert (
            metrics.format_value("csat_raw", truth["Desk"]["csat_raw"]) in line.values
        )
        assert pack.status.startswith(label or "Open")

    # A PDF of Ann's scorecard.
    login_as(world.ann)
    pdf = client.get(f"/incentives/scorecards/reps/{world.ann.id}.pdf?month={MARCH}")
    assert pdf.status_code == 200
    words = " ".join(pdf_text(pdf.data, tmp_path).split())
    assert f"{reps['ann@example.com']['score']:.1f}" in words
    if label:
        assert label in words
    return {"truth": truth, "label": label}


def test_an_open_month_tells_one_story_on_every_surface(
    app, client, login_as, runner, world, tmp_path, monkeypatch
) -> None:
    walked = walk(app, client, login_as, runner, world, tmp_path)
    truth = walked["truth"]
    assert walked["label"] == ""
    # The dashboards of that month (it is "this month" here): a rep's month so far, a
    # supervisor's teams and the organisation's month.
    monkeypatch.setattr(ticket_queries, "current_month", lambda: MARCH)
    with app.app_context():
        ann, sam, lee = (
            db.session.merge(x) for x in (world.ann, world.sam, world.leader)
        )
        so_far = panels.rep_panel(ann).context["summary"]
        same(pick(so_far), pick(truth["ann@example.com"]), "month so far")
        (desk,) = panels.team_panel(sam).context["teams"]
        same(pick(desk), truth["Desk"], "team panel")
        organisation = panels.organisation_panel(lee).context["summary"]
        same(pick(organisation), truth["organisation"], "organisation panel")


def test_a_closed_month_is_read_from_its_close_on_every_surface_after_an_import(
    app, client, login_as, runner, world, tmp_path, seed
) -> None:
    with seed():
        admin = db.session.merge(world.admin)
        close = scoring_operations.close_month(MARCH, by=admin, today_month="2024-04")
        assert close.figures is not None
    closed = walk(app, client, login_as, runner, world, tmp_path)
    assert closed["label"].startswith("Closed on ")
    assert closed["label"].endswith("by Ada Admin")

    # A late export: A1 was not satisfied after all, one more ticket each for Ann and
    # Bob, and Cat's first. The live tickets change; the closed month does not.
    with seed():
        ann, bob, cat = (db.session.merge(x) for x in (world.ann, world.bob, world.cat))
        scoring_world.reimport(
            ticket("A1", ann, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "bad"),
            ticket("A9", ann, "2024-03-20T09:00:00Z", "2024-03-20T09:10:00Z", "good"),
            ticket("B9", bob, "2024-03-21T09:00:00Z", "2024-03-21T20:00:00Z", "bad"),
            ticket("C9", cat, "2024-03-22T09:00:00Z", "2024-03-22T09:20:00Z", "good"),
        )
    with app.app_context():
        solved = db.session.scalar(
            select(db.func.count(Ticket.id)).where(
                Ticket.solved_at.between(*metrics.month_bounds(MARCH, dt.UTC))
            )
        )
        assert solved == 9  # three more, and A1 changed
    after = walk(app, client, login_as, runner, world, tmp_path)
    assert after == closed

    # Reopened, the month reads the tickets as they are now, disputes still applied.
    with seed():
        admin = db.session.merge(world.admin)
        scoring_operations.reopen_month(MARCH, by=admin, reason="Late CSAT export")
    with app.app_context():
        live = the_truth(MARCH)
    assert live["ann@example.com"]["tickets_solved"] == 3  # A1, A2, A9
    assert live["cat@example.com"]["tickets_solved"] == 1
    assert live["organisation"]["tickets_solved"] == 9


def test_a_month_closed_before_closes_kept_their_figures_reads_its_scores(
    app, world, seed
) -> None:
    """Closes made before the whole figures were kept are read from the figures each
    rep was scored on and the organisation's and teams' summary; never from tickets."""
    with seed():
        admin = db.session.merge(world.admin)
        close = scoring_operations.close_month(MARCH, by=admin, today_month="2024-04")
        kept = the_truth(MARCH)
        close.figures = None
    month_cache.forget()
    with app.app_context():
        old = the_truth(MARCH)
        figures = month_cache.month_figures(MARCH)
        assert figures.closed_label.endswith("by Ada Admin")
        assert figures.groups is None
    for key, value in kept.items():
        same(old[key], {k: v for k, v in value.items() if k in FIGURES}, key)
    assert old["organisation"]["tickets_solved"] == 6
