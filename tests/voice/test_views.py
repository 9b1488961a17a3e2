"""The voice pages: a rep reports a problem from a ticket (similar reports first), the
Logistics owner acknowledges and fixes it, the rep is told; bad input on the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import db
from tests.helpers import post_form, text
from tests.voice.factories import import_tickets, make_voice_world, report
from voice.models import ProblemReport
from voice.workflow import ProblemStatus


@pytest.fixture
def world(seed):  # type: ignore[no-untyped-def]
    with seed():
        w = make_voice_world()
        import_tickets("48213")
        earlier = report(w.logistics, w.other_rep, tickets="48213")
    w.earlier_id = earlier.id  # type: ignore[attr-defined]
    return w


def flashes(html: str) -> list[str]:
    return [
        m.strip() for m in re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', html)
    ]


FORM = {
    "title": "Crushed box from Leeds",
    "story": "The carrier left her parcel in the rain; the box split open.",
    "category": "shipping",
    "severity": "high",
    "tickets": "48213 ZZ-404",
}


def test_a_rep_reports_from_a_ticket_and_the_owner_fixes_it_and_the_rep_is_told(
    app, world, client, login_as, monkeypatch
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    login_as(world.rep)
    page = client.get("/voice/problems/new?ticket=48213")
    assert 'value="48213"' in text(page)
    form = {**FORM, "department_id": str(world.logistics.id)}
    checked = post_form(client, "/voice/problems/new", {**form, "check": "1"})
    assert checked.status_code == 200
    assert "Similar open reports" in text(checked)
    assert f"/voice/problems/{world.earlier_id}/support" in text(checked)
    filed = post_form(client, "/voice/problems/new", {**form, "file": "1"})
    assert filed.status_code == 302
    report_id = int(filed.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(filed.headers["Location"])
    assert flashes(text(shown)) == [
        "Ticket ZZ-404 is not among the imported tickets; it is kept as text.",
        f"Report #{report_id} filed for Logistics; you will hear of each step.",
    ]
    assert "Reach Logistics now:" in text(shown)
    assert "Sam Patel</strong>, +44 20 7946 0101" in text(shown)

    owner = app.test_client()
    login_as_other(owner, world.owner)
    url = f"/voice/problems/{report_id}"
    assert "Move it on" in text(owner.get(url))
    for status in ("acknowledged", "fixed"):
        moved = post_form(owner, url + "/status", {"status": status}, token_from=url)
        assert moved.status_code == 302, text(moved)
    assert "Ana Rep was told by e-mail." in text(owner.get(url))
    assert [(m["To"], m["Subject"]) for m in sent] == [
        ("ana@example.com", f"Your problem report #{report_id}: acknowledged"),
        ("ana@example.com", f"Your problem report #{report_id}: fixed"),
    ]
    assert "Logistics moved your report" in sent[1].get_content()
    with app.app_context():
        row = db.session.get(ProblemReport, report_id)
        assert row.status == ProblemStatus.FIXED
        assert [t.external_id for t in row.tickets] == ["48213", "ZZ-404"]


def login_as_other(client, user) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_bad_reports_show_every_message_and_save_nothing(
    app, world, client, login_as
) -> None:
    login_as(world.rep)
    with app.app_context():
        before = db.session.scalars(select(ProblemReport.id)).all()
    response = post_form(
        client,
        "/voice/problems/new",
        {
            "title": "",
            "story": " ",
            "category": "",
            "severity": "high",
            "department_id": "424242",
            "tickets": "",
            "file": "1",
        },
    )
    assert response.status_code == 400
    page = text(response)
    for message in (
        "Give the problem a short title.",
        "Tell the customer&#39;s story: what happened to them, in your words.",
        "Choose a category from the list.",
        "Choose the department the problem needs from the list.",
    ):
        assert message in page
    with app.app_context():
        assert db.session.scalars(select(ProblemReport.id)).all() == before


def test_a_wont_fix_without_a_reason_is_refused_on_the_page(
    app, world, client, login_as
) -> None:
    login_as(world.owner)
    url = f"/voice/problems/{world.earlier_id}"
    response = post_form(
        client, url + "/status", {"status": "wont_fix", "reason": ""}, token_from=url
    )
    assert response.status_code == 400
    assert "Say why it will not be fixed: the reporter reads the reason." in text(
        response
    )
    response = post_form(client, url + "/status", {"status": "fixed"}, token_from=url)
    assert response.status_code == 400
    assert "A report that is new cannot be moved to fixed" in text(response)
    with app.app_context():
        assert (
            db.session.get(ProblemReport, world.earlier_id).status == ProblemStatus.NEW
        )
    response = post_form(
        client,
        url + "/status",
        {"status": "wont_fix", "reason": "Carrier contract ends."},
        token_from=url,
    )
    assert response.status_code == 302
    login_as(world.other_rep)
    page = text(client.get(url))
    assert "The reason Logistics gave: Carrier contract ends." in page


def test_a_plus_one_from_the_similar_list(world, client, login_as) -> None:
    login_as(world.rep)
    url = f"/voice/problems/{world.earlier_id}"
    response = post_form(
        client, url + "/support", {"tickets": "48213 77"}, token_from=url
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Your +1 is added to the report." in page
    assert "Ticket 77 is not among the imported tickets; it is kept as text." in page
    assert "1 +1</h2>" in page
    assert "2 tickets</h2>" in page
    again = post_form(client, url + "/support", {"tickets": ""}, token_from=url)
    assert again.status_code == 302
    assert "You have already added your +1 to this report." in text(client.get(url))


def test_the_problems_list_filters_and_counts(world, client, login_as) -> None:
    login_as(world.rep)
    page = text(client.get("/voice/problems"))
    assert "Parcels to Leeds arrive crushed" in page
    assert "1 in all" in page
    mine = text(client.get("/voice/problems?scope=mine"))
    assert "No reports match." in mine
    closed = text(client.get("/voice/problems?status=closed"))
    assert "No reports match." in closed
    assert client.get("/voice/problems?page=0").status_code == 400


def test_who_to_reach_and_the_reaction_pages(world, client, login_as) -> None:
    login_as(world.rep)
    page = text(client.get("/voice/departments"))
    assert "Sam Patel</strong>, +44 20 7946 0101, until 24:00" in page
    assert "Nobody on the rota now" in page  # Billing has no rota
    login_as(world.leader)
    overview = text(client.get("/voice/reaction"))
    assert "Logistics" in overview
    assert "Billing" in overview
    figures = text(client.get(f"/voice/departments/{world.logistics.id}/reaction"))
    assert "within 8 hours" in figures
    assert "1 open" in figures


def test_an_admin_keeps_a_department_and_its_rota(world, client, login_as) -> None:
    login_as(world.admin)
    url = f"/voice/departments/{world.logistics.id}/edit"
    form = text(client.get(url))
    assert "Every day 00:00-24:00 | Sam Patel | +44 20 7946 0101" in form
    bad = post_form(
        client,
        url,
        {
            "name": "Logistics",
            "owner_id": str(world.owner.id),
            "ack_target_hours": "8",
            "rota": "Mon-Fri 08:00-18:00 | Sam | 1\nWeekdays 9-5 | Sam | 1",
            "active": "y",
        },
        token_from=url,
    )
    assert bad.status_code == 400
    assert "Line 2: " in text(bad)
    good = post_form(
        client,
        url,
        {
            "name": "Logistics",
            "owner_id": str(world.owner.id),
            "ack_target_hours": "4",
            "deputy_ids": [str(world.deputy.id)],
            "rota": "Mon-Fri 08:00-18:00 | Sam | 1",
            "active": "y",
        },
        token_from=url,
    )
    assert good.status_code == 302
    assert "Logistics saved." in text(client.get("/voice/departments"))


def test_the_dashboard_shows_reporters_and_members_their_reports(
    world, client, login_as
) -> None:
    login_as(world.other_rep)
    page = text(client.get("/"))
    assert "Your problem reports" in page
    assert "Parcels to Leeds arrive crushed" in page
    login_as(world.deputy)
    page = text(client.get("/"))
    assert "Open reports for Logistics" in page
    login_as(world.leader)
    page = text(client.get("/"))
    assert "Your problem reports" not in page
    assert "Open reports for" not in page
