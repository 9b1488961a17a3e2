"""Scorecards e-mailed over SMTP, received by a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from core.db import db
from core.jobs import Job, JobStatus
from incentives.scorecards import delivery
from incentives.scoring import operations as scoring_operations
from tests.core.test_pdf import pdf_text
from tests.incentives import scoring_world

pytestmark = pytest.mark.usefixtures("app_ctx")

MARCH = "2024-03"


class Inbox:
    """Keeps every message the server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "SMTP_FROM", "Frontline <scores@example.com>")
    yield inbox
    controller.stop()


@pytest.fixture
def world() -> scoring_world.World:
    built = scoring_world.build()
    scoring_operations.close_month(MARCH, by=built.admin)
    db.session.commit()
    return built


def attachments(message: Message) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }


def test_leaders_get_the_pack_and_supervisors_their_teams_scorecards(
    runner, world, smtp: Inbox, tmp_path: Path
) -> None:
    result = runner.invoke(args=["scorecards", "send", "--month", MARCH])
    assert result.exit_code == 0, result.output
    assert "Sent 3 messages." in result.output
    by_rcpt = {
        rcpt[0]: msg for rcpt, msg in zip(smtp.recipients, smtp.messages, strict=True)
    }
    assert set(by_rcpt) == {"lee@example.com", "sam@example.com", "olga@example.com"}

    pack = by_rcpt["lee@example.com"]
    assert pack["Subject"] == "Frontline leadership pack, March 2024"
    assert pack["From"] == "Frontline <scores@example.com>"
    assert list(attachments(pack)) == ["leadership.pdf"]
    assert "final figures of the closed month" in pack.get_payload()[0].get_payload()

    desk = by_rcpt["sam@example.com"]
    files = attachments(desk)
    assert desk["Subject"] == "Frontline scorecards, Desk, March 2024"
    assert set(files) == {
        f"desk-{world.desk.id}.pdf",
        f"ann-example-{world.ann.id}.pdf",
        f"bob-example-{world.bob.id}.pdf",
    }
    ann = " ".join(pdf_text(files[f"ann-example-{world.ann.id}.pdf"], tmp_path).split())
    assert "Ann Example" in ann
    assert "100.00 USD" in ann
    assert "Closed" in ann
    other = attachments(by_rcpt["olga@example.com"])
    assert f"cat-example-{world.cat.id}.pdf" in other
    assert f"ann-example-{world.ann.id}.pdf" not in other


def test_a_dry_run_lists_the_messages_and_sends_none(
    runner, world, smtp: Inbox
) -> None:
    result = runner.invoke(args=["scorecards", "send", "--month", MARCH, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "sam@example.com: Frontline scorecards, Desk, March 2024 (3 PDF)"
        in result.output
    )
    assert "Dry run: 3 messages not sent." in result.output
    assert smtp.messages == []


def test_an_open_month_is_not_sent_unless_asked(runner, world, smtp: Inbox) -> None:
    result = runner.invoke(args=["scorecards", "send", "--month", "2024-02"])
    assert result.exit_code != 0
    assert "February 2024 is not closed" in result.output
    assert smtp.messages == []


def test_no_smtp_server_is_a_clear_error(runner, app, monkeypatch, world) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    result = runner.invoke(args=["scorecards", "send", "--month", MARCH])
    assert result.exit_code != 0
    assert "Could not send e-mail through 127.0.0.1" in result.output


# --- each rep their own, when a month closes ------------------------------------------------


def _by_rcpt(inbox: Inbox) -> dict[str, Message]:
    return {
        rcpt[0]: msg for rcpt, msg in zip(inbox.recipients, inbox.messages, strict=True)
    }


def test_closing_a_month_emails_each_rep_their_own_scorecard(
    smtp: Inbox, tmp_path: Path
) -> None:
    world = scoring_world.build()
    delivery.set_wants_mail(world.bob, False, by=world.bob)
    scoring_operations.close_month(MARCH, by=world.admin)
    assert smtp.messages == []  # nothing before the close commits
    db.session.commit()
    job = db.session.scalar(select(Job).where(Job.kind == delivery.REP_MAIL_KIND))
    assert job.status is JobStatus.DONE, job.error
    assert job.result == {"sent": 2}
    received = _by_rcpt(smtp)
    # Bob turned his e-mails off; Ann and Cat get theirs, each only their own.
    assert set(received) == {"ann@example.com", "cat@example.com"}
    ann = received["ann@example.com"]
    assert ann["Subject"] == "Your Frontline scorecard, March 2024"
    assert list(attachments(ann)) == [f"ann-example-{world.ann.id}.pdf"]
    body = ann.get_payload()[0].get_payload(decode=True).decode()
    assert "final figures of the closed month" in body
    assert 'untick "E-mail me my scorecard"' in body
    card = " ".join(
        pdf_text(attachments(ann)[f"ann-example-{world.ann.id}.pdf"], tmp_path).split()
    )
    assert "Ann Example" in card
    assert "100.00 USD" in card


def test_a_close_rolled_back_or_without_smtp_queues_nothing(app, smtp: Inbox) -> None:
    world = scoring_world.build()
    db.session.commit()
    scoring_operations.close_month(MARCH, by=world.admin)
    db.session.rollback()
    mail_jobs = select(Job.id).where(Job.kind == delivery.REP_MAIL_KIND)
    assert db.session.scalar(mail_jobs) is None
    assert smtp.messages == []
    app.config["SMTP_HOST"] = ""
    scoring_operations.close_month(MARCH, by=world.admin)
    db.session.commit()
    assert db.session.scalar(mail_jobs) is None


def test_a_month_reopened_before_the_mails_went_sends_none(smtp: Inbox) -> None:
    world = scoring_world.build()
    close = scoring_operations.close_month(MARCH, by=world.admin)
    db.session.flush()
    stale = close.id
    scoring_operations.reopen_month(MARCH, by=world.admin, reason="Late export")
    db.session.flush()

    class Context:
        def progress(self, *args) -> None:
            pass

    outcome = delivery.send_rep_cards_job(Context(), MARCH, stale)
    assert outcome["sent"] == 0
    assert "reopened" in outcome["skipped"]
