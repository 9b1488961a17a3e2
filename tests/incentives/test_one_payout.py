"""One payout per rep and month on every surface: the final payout (the scored payout,
prorated by working days, plus adjustments; as approved once approved), never the scored
payout under the same name. The sibling of :mod:`tests.incentives.test_one_truth`.

The surfaces walked: the payouts page, its CSV and ``GET /api/v1/payouts/MONTH`` (the
truth: ``payout_queries.month_payouts``), the scores page and its CSV, ``scores compute``,
the rep's and the close dashboard panels, the rep, team and leadership scorecards (pages
and PDFs) and the close review.

March 2024 of :mod:`tests.incentives.scoring_world`: Ann (score 20) earns 100.00 USD for
the whole month but started on 11 March: 15 of 21 working days, 71.43. Bob (not eligible,
0.00) gets a 25.00 adjustment for night cover. Paid in all: 96.43.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.access import Role
from core.db import db
from incentives import panels
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import close_review_queries, payout_operations, payout_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring.tables import money
from incentives.tickets import queries as ticket_queries
from tests.core.test_pdf import pdf_text
from tests.factories import make_api_token
from tests.helpers import post_form, text
from tests.incentives import scoring_world

MARCH = "2024-03"
#: Hand-worked final payouts (see the module's docstring).
EXPECTED = {"ann@example.com": Decimal("71.43"), "bob@example.com": Decimal("25.00")}


@pytest.fixture
def world(seed) -> scoring_world.World:
    with seed():
        built = scoring_world.build()
        payout_operations.save_work_dates(
            built.ann, started_on=dt.date(2024, 3, 11), left_on=None, by=built.sam
        )
        payout_operations.add_adjustment(
            MARCH, built.bob, amount="25", reason="Covered nights", by=built.sam
        )
    return built


def csv_rows(body: str, key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}


def walk(app, client, login_as, runner, world, tmp_path: Path) -> dict[str, Any]:
    """Every surface's payouts of March, each checked against the payouts of
    ``payout_queries.month_payouts``; returns them and the total."""
    with app.app_context():
        truth = payout_queries.month_payouts(MARCH)
        finals = {line.email: line.final for line in truth.lines}
        ids = {line.email: line.rep_id for line in truth.lines}
        total, currency = truth.total, truth.currency
        token = make_api_token(Role.LEADERSHIP)
        db.session.commit()
    assert {e: finals[e] for e in EXPECTED} == EXPECTED
    assert total == sum(EXPECTED.values())
    shown = {email: money(amount, currency) for email, amount in finals.items()}

    # The API and the payouts download: the truth as written out.
    body = client.get(
        f"/api/v1/payouts/{MARCH}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert {r["email"]: Decimal(r["final_payout"]) for r in body["reps"]} == finals
    assert Decimal(body["total"]) == total
    login_as(world.admin)
    payout_csv = csv_rows(
        text(client.get(f"/incentives/payouts.csv?month={MARCH}")), "email"
    )
    assert {e: Decimal(r["final_payout"]) for e, r in payout_csv.items()} == finals
    payout_page = text(client.get(f"/incentives/payouts?month={MARCH}"))
    foot = re.search(r"<tfoot>.*?<strong>(.*?)</strong>", payout_page, re.S)
    assert foot is not None
    assert foot.group(1) == money(total, currency)

    # The scores download and ``scores compute``: the base payout and the final one.
    scores_csv = csv_rows(
        text(client.get(f"/incentives/scores.csv?month={MARCH}")), "rep_email"
    )
    computed = runner.invoke(
        args=["scores", "compute", "--month", MARCH, "--format", "csv"]
    )
    assert computed.exit_code == 0, computed.output
    for name, rows in (
        ("scores.csv", scores_csv),
        ("scores compute", csv_rows(computed.output, "rep_email")),
    ):
        assert {e: Decimal(r["final_payout"]) for e, r in rows.items()} == finals, name
        assert rows["ann@example.com"]["base_payout"] == "100.00", name

    # The scores page: each row's payout is the final one, the base one beside it.
    scores_page = text(client.get(f"/incentives/scores?month={MARCH}"))
    for email, rep_id in ids.items():
        row = next(
            r
            for r in scores_page.split("<tr>")
            if f"/incentives/scorecards/reps/{rep_id}?" in r
        )
        payout = re.search(r'data-label="Payout">(.*?)</td>', row, re.S)
        assert payout is not None
        assert re.sub(r"<[^>]+>", "", payout.group(1)).strip() == shown[email]
    assert "Base payout" in scores_page

    # The close review, and the month close page while the month is open.
    with app.app_context():
        assert close_review_queries.close_review(MARCH).payout_total == total
    if not truth.is_closed:
        close_page = text(client.get(f"/incentives/months/{MARCH}/close"))
        assert f"{total:,.2f} {currency}" in close_page
        for amount in shown.values():
            assert f'data-label="Payout">{amount}</td>' in close_page

    # The scorecards: each rep's, the team's and the leadership pack, and their PDFs.
    with app.app_context():
        desk = db.session.merge(world.desk)
        for rep in (world.ann, world.bob):
            email = rep.email
            card = scorecard_queries.rep_scorecard(db.session.merge(rep), MARCH)
            assert (card.payout, card.payout_text) == (finals[email], shown[email])
            assert card.months[-1].payout == shown[email]
        team = scorecard_queries.team_scorecard(desk, MARCH)
        assert {row.rep_id: row.payout for row in team.rows} == {
            ids[e]: shown[e] for e in EXPECTED
        }
        assert team.summary.payout == money(sum(EXPECTED.values()), currency)
        pack = scorecard_queries.leadership_pack(MARCH)
        assert pack.summary.payout == money(total, currency)
        (line,) = [t for t in pack.teams if t.team_id == desk.id]
        assert line.summary.payout == team.summary.payout
        # A month's batch of scorecards reads the same.
        maker = scorecard_queries.MonthCardMaker(MARCH)
        for rep in maker.reps:
            assert maker.rep_card(rep).payout == finals[rep.email]
    for path, words in (
        (f"/incentives/scorecards/reps/{world.ann.id}.pdf", [shown["ann@example.com"]]),
        (f"/incentives/scorecards/teams/{world.desk.id}.pdf", [team.summary.payout]),
        ("/incentives/scorecards/leadership.pdf", [money(total, currency)]),
    ):
        pdf = client.get(f"{path}?month={MARCH}")
        assert pdf.status_code == 200, path
        found = " ".join(pdf_text(pdf.data, tmp_path).split())
        for word in words:
            assert word in found, path
    lead_page = text(client.get(f"/incentives/scorecards/leadership?month={MARCH}"))
    assert money(total, currency) in lead_page

    # The dashboards, with March as last month: the rep's scores and the close panel.
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(ticket_queries, "current_month", lambda: "2024-04")
        for rep in (world.ann, world.bob):
            panel = panels.scorecard_panel(db.session.merge(rep))
            assert panel is not None
            (march,) = [m for m in panel.context["months"] if m[0] == MARCH]
            assert march[2] == shown[rep.email]
        close = panels.close_panel(db.session.merge(world.leader))
        assert close is not None
        assert close.context["payout"] == money(total, currency)
    return {"finals": finals, "total": total}


def test_an_open_month_pays_one_figure_per_rep_on_every_surface(
    app, client, login_as, runner, world, tmp_path
) -> None:
    walked = walk(app, client, login_as, runner, world, tmp_path)
    assert walked["total"] == Decimal("96.43")


def test_an_approved_month_reads_its_approved_lines_everywhere(
    app, client, login_as, runner, world, tmp_path, seed
) -> None:
    with seed():
        admin = db.session.merge(world.admin)
        scoring_operations.close_month(MARCH, by=admin, today_month="2024-04")
    login_as(world.leader)
    post_form(client, f"/incentives/payouts/{MARCH}/approve")
    approved = walk(app, client, login_as, runner, world, tmp_path)
    assert approved["total"] == Decimal("96.43")
    # Ann's dates change after the approval: the approved month does not.
    with seed():
        payout_operations.save_work_dates(
            db.session.merge(world.ann),
            started_on=dt.date(2024, 3, 18),
            left_on=None,
            by=db.session.merge(world.sam),
        )
    assert walk(app, client, login_as, runner, world, tmp_path) == approved
