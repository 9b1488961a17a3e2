"""Payouts on the database (SQLite, and PostgreSQL when set): proration from working dates
and leave, adjustments, approval and what voids it, the export and the API, and imports
that meet a closed month.

The scoring world's March 2024 (see ``scoring_world``): Ann scores 20, eligible, and earns
100.00 USD; Bob is not eligible (0.00). March 2024 has 21 working days.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from incentives import panels
from incentives.scoring import close_review_queries, payout_operations, payout_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import Resolution
from incentives.scoring.payout_models import PayoutAdjustment, PayoutApproval
from incentives.tickets import operations as ticket_operations
from incentives.tickets import queries as ticket_queries
from incentives.tickets.models import Ticket
from tests.factories import make_api_token
from tests.helpers import post_form, text
from tests.incentives import scoring_world
from tests.incentives.scoring_world import ticket

MARCH, FEBRUARY = "2024-03", "2024-02"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def adjustment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PayoutAdjustment)) or 0


class TestOnTheDatabase:
    pytestmark = pytest.mark.usefixtures("app_ctx")

    @pytest.fixture
    def world(self) -> scoring_world.World:
        return scoring_world.build()

    def test_a_rep_who_started_mid_month_is_paid_for_their_days(self, world) -> None:
        whole = payout_queries.month_payouts(MARCH).line_of(world.ann.id)
        assert (whole.base, whole.final, whole.paid_days, whole.working_days) == (
            Decimal("100.00"),
            Decimal("100.00"),
            21,
            21,
        )
        payout_operations.save_work_dates(
            world.ann, started_on=dt.date(2024, 3, 11), left_on=None, by=world.sam
        )
        line = payout_queries.month_payouts(MARCH).line_of(world.ann.id)
        assert (line.base, line.paid_days, line.prorated, line.final) == (
            Decimal("100.00"),
            15,
            Decimal("71.43"),
            Decimal("71.43"),
        )
        assert str(line.share.factor) == "0.7143"
        # Leave and a holiday: 11 March to 29 March less 18-19 March, 29 March a holiday.
        payout_operations.add_leave(
            world.ann,
            first_day=dt.date(2024, 3, 18),
            last_day=dt.date(2024, 3, 19),
            note="Family leave",
            by=world.admin,
        )
        line = payout_queries.month_payouts(MARCH).line_of(world.ann.id)
        assert (line.paid_days, line.prorated) == (13, Decimal("61.90"))
        # Leave that overlaps is refused, and February (before the start) pays nothing.
        with pytest.raises(InvalidInput, match="overlaps"):
            payout_operations.add_leave(
                world.ann,
                first_day=dt.date(2024, 3, 19),
                last_day=dt.date(2024, 3, 20),
                note="",
                by=world.admin,
            )
        assert (
            payout_queries.month_payouts(FEBRUARY).line_of(world.ann.id).paid_days == 0
        )
        assert {"payout.dates", "payout.leave.add"} <= set(actions())

    def test_only_the_reps_supervisor_or_an_admin_changes_their_pay(
        self, world
    ) -> None:
        with pytest.raises(NotAllowed):
            payout_operations.save_work_dates(
                world.ann, started_on=None, left_on=None, by=world.olga
            )
        with pytest.raises(NotAllowed):
            payout_operations.add_adjustment(
                MARCH, world.ann, amount="10", reason="Covered nights", by=world.olga
            )
        with pytest.raises(NotAllowed):
            payout_operations.add_adjustment(
                MARCH, world.ann, amount="10", reason="Covered nights", by=world.leader
            )
        assert adjustment_count() == 0

    def test_adjustments_add_up_and_bad_ones_write_nothing(self, world) -> None:
        adjustment = payout_operations.add_adjustment(
            MARCH, world.ann, amount="25", reason="Covered nights", by=world.sam
        )
        line = payout_queries.month_payouts(MARCH).line_of(world.ann.id)
        assert (line.adjustments, line.final) == (Decimal("25.00"), Decimal("125.00"))
        assert adjustment.currency == "USD"
        assert adjustment.created_by_id == world.sam.id

        for month, amount, reason, message in [
            (MARCH, "25", "", "reason for the adjustment"),
            (MARCH, "abc", "Covered nights", "as a number"),
            (MARCH, "-130", "Clawback", "below zero"),
            ("2023-01", "25", "Covered nights", "has no tickets and no scores"),
            ("2099-01", "25", "Covered nights", "has no tickets and no scores"),
        ]:
            with pytest.raises(InvalidInput, match=message):
                payout_operations.add_adjustment(
                    month, world.ann, amount=amount, reason=reason, by=world.sam
                )
        assert adjustment_count() == 1

        with pytest.raises(InvalidInput, match="reason for removing"):
            payout_operations.remove_adjustment(adjustment, reason=" ", by=world.sam)
        payout_operations.remove_adjustment(
            adjustment, reason="Entered twice", by=world.sam
        )
        assert payout_queries.month_payouts(MARCH).line_of(world.ann.id).final == (
            Decimal("100.00")
        )
        assert adjustment.removed_at is not None  # kept on record
        with pytest.raises(Conflict):
            payout_operations.remove_adjustment(
                adjustment, reason="Entered twice", by=world.sam
            )
        assert actions().count("payout.adjust") == 1
        assert actions().count("payout.adjust.remove") == 1

    def test_leadership_approves_a_closed_month_and_it_stays_as_approved(
        self, world
    ) -> None:
        payout_operations.add_adjustment(
            MARCH, world.ann, amount="25", reason="Covered nights", by=world.sam
        )
        with pytest.raises(InvalidInput, match="is not closed"):
            payout_operations.approve_month(MARCH, by=world.leader)
        scoring_operations.close_month(MARCH, by=world.admin)
        with pytest.raises(NotAllowed):
            payout_operations.approve_month(MARCH, by=world.admin)
        draft = payout_queries.month_payouts(MARCH)
        assert (draft.status, draft.is_closed) == ("draft", True)

        approval = payout_operations.approve_month(MARCH, by=world.leader)
        assert (approval.total, approval.currency, approval.rep_count) == (
            Decimal("125.00"),
            "USD",
            3,
        )
        final = payout_queries.month_payouts(MARCH)
        assert final.status == "final"
        assert final.total == Decimal("125.00")
        with pytest.raises(Conflict, match="already approved"):
            payout_operations.approve_month(MARCH, by=world.leader)
        with pytest.raises(InvalidInput, match="approved and final"):
            payout_operations.add_adjustment(
                MARCH, world.ann, amount="5", reason="One more", by=world.sam
            )
        adjustment = db.session.scalar(select(PayoutAdjustment))
        with pytest.raises(InvalidInput, match="approved and final"):
            payout_operations.remove_adjustment(
                adjustment, reason="Entered twice", by=world.sam
            )
        # Dates changed later do not change the approved month.
        payout_operations.save_work_dates(
            world.ann, started_on=dt.date(2024, 3, 11), left_on=None, by=world.sam
        )
        assert payout_queries.month_payouts(MARCH).line_of(world.ann.id).final == (
            Decimal("125.00")
        )
        assert "payout.approve" in actions()

    def test_reopening_or_closing_anew_voids_the_approval(self, world) -> None:
        scoring_operations.close_month(MARCH, by=world.admin)
        payout_operations.approve_month(MARCH, by=world.leader)
        scoring_operations.reopen_month(MARCH, by=world.admin, reason="Late export")
        assert payout_queries.approval_in_force(MARCH) is None
        assert payout_queries.month_payouts(MARCH).status == "draft"
        payout_operations.add_adjustment(
            MARCH, world.ann, amount="10", reason="Late correction", by=world.sam
        )
        scoring_operations.close_month(MARCH, by=world.admin)
        assert payout_queries.approval_in_force(MARCH) is None
        again = payout_operations.approve_month(MARCH, by=world.leader)
        assert again.total == Decimal("110.00")
        assert len(payout_queries.approval_history(MARCH)) == 2
        assert db.session.scalar(select(func.count()).select_from(PayoutApproval)) == 2

    def test_the_dashboard_says_when_last_months_payouts_wait_for_approval(
        self, world, monkeypatch
    ) -> None:
        monkeypatch.setattr(ticket_queries, "current_month", lambda: "2024-04")
        scoring_operations.close_month(MARCH, by=world.admin, today_month="2024-04")
        waiting = panels.close_panel(world.leader)
        assert (waiting.context["closed"], waiting.context["approved"]) == (True, False)
        assert waiting.context["is_leader"]
        payout_operations.approve_month(MARCH, by=world.leader)
        assert panels.close_panel(world.admin).context["approved"]

    def test_an_import_into_a_closed_month_says_so_and_changes_nothing(
        self, world
    ) -> None:
        scoring_operations.close_month(MARCH, by=world.admin)
        before = scoring_queries.month_scores(MARCH).scores[world.ann.id]
        payout_before = payout_queries.month_payouts(MARCH).total
        records = [
            ticket("A9", world.ann, "2024-03-20T09:00:00Z", "2024-03-20T09:10:00Z"),
            ticket("A8", world.ann, "2024-03-21T09:00:00Z", "2024-03-21T09:10:00Z"),
            ticket("F9", world.ann, "2024-02-21T09:00:00Z", "2024-02-21T09:10:00Z"),
            # Already imported and unchanged: not counted.
            ticket(
                "A1", world.ann, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "good"
            ),
        ]
        dry = ticket_operations.import_ticket_records(
            records, source="desk", by="test", tz=scoring_world.UTC, dry_run=True
        )
        assert dry.closed_months == {MARCH: 2}
        outcome = ticket_operations.import_ticket_records(
            records, source="desk", by="test", tz=scoring_world.UTC
        )
        assert outcome.as_dict()["closed_months"] == {MARCH: 2}
        note = (
            "2 tickets of this import fall in March 2024, which is closed: its scores "
            "and payouts are unchanged (reopen the month to take them in)."
        )
        assert note in outcome.warnings
        assert note in dry.warnings
        assert note in outcome.record.notes
        assert scoring_queries.month_scores(MARCH).scores[world.ann.id] == before
        assert payout_queries.month_payouts(MARCH).total == payout_before


# --- over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def web(seed) -> scoring_world.World:
    with seed():
        built = scoring_world.build()
        payout_operations.save_work_dates(
            built.ann, started_on=dt.date(2024, 3, 11), left_on=None, by=built.admin
        )
        scoring_operations.close_month(MARCH, by=built.admin)
    return built


def test_a_rep_sees_only_their_own_payout_line(client, login_as, web) -> None:
    login_as(web.bob)
    page = text(client.get(f"/incentives/payouts?month={MARCH}"))
    assert "Bob Example" in page
    assert "Ann Example" not in page
    assert client.get(f"/incentives/payouts.csv?month={MARCH}").status_code == 403
    login_as(web.olga)
    page = text(client.get(f"/incentives/payouts?month={MARCH}"))
    assert "Cat Example" in page
    assert "Ann Example" not in page


def test_a_supervisor_adjusts_and_a_bad_form_says_why(
    client, login_as, web, app
) -> None:
    login_as(web.sam)
    page = text(client.get(f"/incentives/payouts?month={MARCH}"))
    assert "15 of 21 working days (× 0.7143)" in page  # noqa: RUF001
    url = f"/incentives/payouts/{MARCH}/adjustments"
    bad = post_form(client, url, {"rep_id": web.ann.id, "amount": "20", "reason": ""})
    assert bad.status_code == 400
    assert "Say in a few words the reason for the adjustment." in text(bad)
    good = post_form(
        client, url, {"rep_id": web.ann.id, "amount": "20", "reason": "Night cover"}
    )
    assert good.status_code == 302
    with app.app_context():
        line = payout_queries.month_payouts(MARCH).line_of(web.ann.id)
        assert line.final == Decimal("91.43")  # 71.43 + 20
    other = post_form(
        client, url, {"rep_id": web.cat.id, "amount": "20", "reason": "Night cover"}
    )
    assert other.status_code == 403


def test_the_export_and_the_api_agree_and_say_draft_or_final(
    client, login_as, web, app
) -> None:
    with app.app_context():
        token = make_api_token(Role.LEADERSHIP)
        db.session.commit()
    login_as(web.leader)
    draft = client.get(f"/incentives/payouts.csv?month={MARCH}")
    assert f"payouts-{MARCH}-draft.csv" in draft.headers["Content-Disposition"]
    post_form(client, f"/incentives/payouts/{MARCH}/approve")
    final = client.get(f"/incentives/payouts.csv?month={MARCH}")
    assert f"payouts-{MARCH}-final.csv" in final.headers["Content-Disposition"]
    rows = {
        r["email"]: r
        for r in csv.DictReader(
            io.StringIO(final.get_data(as_text=True).lstrip("\ufeff"))
        )
    }
    ann = rows["ann@example.com"]
    assert (ann["plan_version"], ann["closed"], ann["approved"]) == (
        "Desk plan v1",
        "yes",
        "yes",
    )
    assert (ann["base_payout"], ann["proration_factor"], ann["final_payout"]) == (
        "100.00",
        "0.7143",
        "71.43",
    )
    assert ann["points_timely_rate"] == "20.00"
    assert ann["points_csat"] == "0.00"

    body = client.get(
        f"/api/v1/payouts/{MARCH}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert (body["status"], body["approved"], body["closed"]) == ("final", True, True)
    api_ann = next(r for r in body["reps"] if r["email"] == "ann@example.com")
    assert api_ann["final_payout"] == ann["final_payout"]
    assert body["total"] == "71.43"
    outside = client.get(
        "/api/v1/payouts/2023-01", headers={"Authorization": f"Bearer {token}"}
    )
    assert outside.status_code == 400
    assert "no tickets" in outside.get_json()["error"]["message"]


def test_a_name_that_looks_like_a_formula_is_exported_as_text(
    client, login_as, seed
) -> None:
    with seed():
        world = scoring_world.build()
        world.ann.name = "=HYPERLINK(1)"
    login_as(world.admin)
    body = client.get(f"/incentives/payouts.csv?month={MARCH}").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body


def test_approving_an_open_month_is_refused_with_a_message(
    client, login_as, seed
) -> None:
    with seed():
        world = scoring_world.build()
    login_as(world.leader)
    response = post_form(
        client, f"/incentives/payouts/{MARCH}/approve", follow_redirects=True
    )
    assert "is not closed: close it before approving its payouts" in text(response)


# --- the close review and the change log of a month closed anew ---------------------------


def test_the_close_review_names_who_would_go_unpaid_and_the_change_in_pay(
    app_ctx,
) -> None:
    world = scoring_world.build()
    scoring_world.reimport(
        {
            **ticket("X1", world.ann, "2024-03-08T09:00:00Z", "2024-03-08T10:00:00Z"),
            "agent_email": "Temp Agent",
        },
        {
            **ticket("X2", world.ann, "2024-03-09T09:00:00Z", "2024-03-09T10:00:00Z"),
            "agent_email": "Temp Agent",
        },
    )
    review = close_review_queries.close_review(MARCH)
    assert [(a.label, a.tickets) for a in review.unmapped] == [("Temp Agent", 2)]
    assert review.unmapped_tickets == 2
    # March pays Ann 100.00; February paid nobody (Ann not eligible: 2 rated of 3).
    assert (review.payout_total, review.previous_total) == (
        Decimal("100.00"),
        Decimal("0.00"),
    )
    assert review.payout_change == Decimal("100.00")
    assert review.payout_change_percent is None  # nothing to compare a share with
    assert (review.plan_label, review.plan_changed) == ("Desk plan v1", False)
    assert close_review_queries.close_review(FEBRUARY).previous_total is None

    scoring_operations.close_month(FEBRUARY, by=world.admin)
    scoring_operations.save_plan(
        world.version.plan, scoring_world.plan_data(target_bonus=300), by=world.admin
    )
    changed = close_review_queries.close_review(MARCH)
    assert changed.plan_label == "Desk plan v2"
    assert changed.previous_plan_label == "Desk plan v1"
    assert changed.plan_changed
    assert changed.payout_total == Decimal("150.00")


def test_closing_anew_records_each_reps_old_and_new_score_and_payout(
    app_ctx,
) -> None:
    world = scoring_world.build()
    scoring_operations.close_month(MARCH, by=world.admin)
    assert close_review_queries.list_changes(MARCH) == []  # a first close: no log
    scoring_operations.reopen_month(MARCH, by=world.admin, reason="Late export")
    # Ann's A2 (late) is excluded after a dispute: timely 3 of 3, her score rises.
    a2 = db.session.get(Ticket, world.tickets["A2"])
    dispute = scoring_operations.file_dispute(a2, by=world.ann, reason="Not mine")
    scoring_operations.decide_dispute(
        dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE
    )
    scoring_operations.close_month(MARCH, by=world.admin)
    changes = {c.rep_email: c for c in close_review_queries.list_changes(MARCH)}
    assert set(changes) == {"ann@example.com", "bob@example.com", "cat@example.com"}
    ann = changes["ann@example.com"]
    assert round(ann.old_score, 2) == 20.0
    assert ann.new_score > ann.old_score
    assert ann.changed
    assert not changes["bob@example.com"].changed
    assert (ann.old_payout, ann.currency) == (Decimal("100.00"), "USD")
    assert ann.payout_change == ann.new_payout - Decimal("100.00")
    header, rows = close_review_queries.change_rows(list(changes.values()))
    first = dict(zip(header, rows[0], strict=True))
    assert first["email"] == "ann@example.com"
    assert first["changed"] == "yes"
    assert "month.reclose" in actions()


def test_the_change_log_page_keeps_to_the_viewers_reps(client, login_as, seed) -> None:
    with seed():
        world = scoring_world.build()
        scoring_operations.close_month(MARCH, by=world.admin)
        scoring_operations.reopen_month(MARCH, by=world.admin, reason="Late export")
        scoring_operations.close_month(MARCH, by=world.admin)
    login_as(world.bob)
    page = text(client.get(f"/incentives/months/{MARCH}/changes"))
    assert "Bob Example" in page
    assert "Ann Example" not in page
    login_as(world.leader)
    body = client.get(f"/incentives/months/{MARCH}/changes.csv").get_data(as_text=True)
    assert "ann@example.com" in body
    assert "bob@example.com" in body
    login_as(world.admin)
    close_page = text(client.get(f"/incentives/months/{MARCH}/close"))
    assert "before and after closing anew" in close_page


def test_the_close_page_shows_the_review_before_closing(client, login_as, seed) -> None:
    with seed():
        world = scoring_world.build()
        scoring_world.reimport(
            {
                **ticket(
                    "X1", world.ann, "2024-03-08T09:00:00Z", "2024-03-08T10:00:00Z"
                ),
                "agent_email": "Temp Agent",
            }
        )
    login_as(world.admin)
    page = " ".join(text(client.get(f"/incentives/months/{MARCH}/close")).split())
    assert (
        "1 ticket solved by 1 assignee linked to no rep: nobody is paid for them."
        in (page)
    )
    assert "<td>Temp Agent</td>" in page
    assert "100.00 USD — +100.00 USD against February 2024 (0.00 USD)" in page
    assert "Desk plan v1, as in February 2024." in page
