"""Calibration over HTTP: an admin sets a session up, the reviewers score blind, the
session is closed and everyone in it compares; the blind rule holds on every page, and
calibration ratings never reach the rep or the rep's QA score."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import Conflict
from core.people import User
from quality import calibration_operations, calibration_queries
from quality import queries as quality_queries
from quality.calibration import SessionState
from quality.models import QaCalibration, QaCalibrationRating, QaReview
from tests.factories import make_team, make_user
from tests.helpers import csrf_token, post_form, text
from tests.quality.records import import_tickets, load_rubrics, ticket

MARK = "SECRET-COMMENT-OF-{}-END"


@pytest.fixture(scope="module")
def org(module_seed):
    """Three supervisors (two lead the rep's team), a rep with four chat tickets solved
    in March 2024, leadership and an admin."""
    with module_seed():
        load_rubrics()
        sup, sup2, sup3 = (make_user(Role.SUPERVISOR) for _ in range(3))
        team = make_team("Chat", supervisors=[sup, sup2])
        rep = make_user(Role.REP, team=team, name="Rita Rep")
        leader, admin = make_user(Role.LEADERSHIP), make_user(Role.ADMIN)
        import_tickets(
            [
                ticket(f"C-{n}", rep.email, f"2024-03-0{n}T10:00:00Z")
                for n in (1, 2, 3, 4)
            ]
            + [ticket("M-1", rep.email, "2024-03-05T10:00:00Z", channel="email")]
        )
    return dict(
        sup=sup, sup2=sup2, sup3=sup3, rep=rep, leader=leader, admin=admin
    )  # fmt: skip


def ratings(empathy: int, *, comment: str = "") -> dict[str, str]:
    return {
        "rating_greeting": "1",
        "rating_empathy": str(empathy),
        "rating_ownership": "3",
        "rating_resolution": "na",
        "rating_tone": "2",
        "rating_policy": "1",
        "comment_empathy": comment,
        "note": comment,
    }


def _create(client, org, **fields):
    data = {
        "name": "March round",
        "channel_group": "live",
        "month": "2024-03",
        "ticket_refs": "C-1, C-2\nC-3",
        "reviewer_ids": [org["sup"].id, org["sup2"].id, org["sup3"].id],
        "due_on": "2099-01-31",
        **fields,
    }
    return post_form(
        client, "/quality/calibration/new", data, token_from="/quality/calibration/new"
    )


def _sessions(app) -> list[QaCalibration]:
    with app.app_context():
        return list(db.session.scalars(select(QaCalibration)))


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"reviewer_ids": []}, "Choose at least 2 reviewers."),
        ({"ticket_refs": "C-1, NOPE-9"}, "solved in that month: NOPE-9"),
        # An e-mail ticket is not judged by the phone and chat rubric.
        ({"ticket_refs": "M-1"}, "solved in that month: M-1"),
        ({"ticket_refs": "", "random_count": ""}, "Name the tickets, or say how many"),
        ({"ticket_refs": "", "random_count": "3", "month": "2023-01"}, "No tickets"),
        ({"month": "March"}, "A month as YYYY-MM."),
        ({"month": "0000-01"}, "A month from 2000-01"),
        ({"due_on": "2001-01-01"}, "Give a date from today on."),
    ],
)
def test_a_bad_session_is_refused_with_a_message(
    app, client, org, login_as, fields, field_error
):
    login_as(org["admin"])
    response = _create(client, org, **fields)
    assert response.status_code == 400
    assert field_error in text(response)
    assert _sessions(app) == []


def test_random_tickets_from_a_month(app, client, org, login_as):
    login_as(org["sup"])
    response = _create(client, org, ticket_refs="", random_count="2")
    assert response.status_code == 302
    (session,) = _sessions(app)
    with app.app_context():
        session = db.session.get(QaCalibration, session.id)
        assert len(session.ticket_ids) == 2
        assert session.created_by_id == org["sup"].id
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "quality.calibration.create")
        )
        assert "2 tickets, 3 reviewers" in event.summary


def _pages(client, session_id: int, ticket_ids: list[int], user_ids: list[int]):
    """Every page that could show a calibration rating, as one text."""
    paths = [
        "/",
        "/quality/calibration",
        f"/quality/calibration/{session_id}",
        "/quality/calibration/history",
        "/quality/reviews?month=2024-03",
        "/quality/queue",
        "/quality/mine",
        *(f"/quality/calibration/{session_id}/tickets/{t}" for t in ticket_ids),
        *(f"/quality/calibration/reviewers/{u}" for u in user_ids),
    ]
    return " ".join(client.get(path).get_data(as_text=True) for path in paths)


def test_blind_until_closed_then_compared(app, client, org, login_as):
    login_as(org["admin"])
    assert _create(client, org).status_code == 302
    (session,) = _sessions(app)
    with app.app_context():
        tickets = db.session.get(QaCalibration, session.id).ticket_ids
    base = f"/quality/calibration/{session.id}"
    reviewers = ("sup", "sup2", "sup3")
    users = [org[k].id for k in reviewers]

    # The first reviewer scores every ticket (the autosave keeps a draft first).
    login_as(org["sup"])
    detail = text(client.get(base))
    assert detail.count("Score") >= 3
    assert "Agreement" not in detail
    page = f"{base}/tickets/{tickets[0]}"
    saved = client.post(
        f"{page}/save",
        data={"csrf_token": csrf_token(client, page), "rating_empathy": "4"},
        headers={"Accept": "application/json"},
    )
    assert saved.get_json() == {"saved": True}
    missing = post_form(
        client, f"{page}/submit", {"rating_empathy": "4"}, token_from=page
    )
    assert missing.status_code == 400
    assert "Rate Greeting and verification" in text(missing)
    for index, ticket_id in enumerate(tickets):
        page = f"{base}/tickets/{ticket_id}"
        done = post_form(
            client, f"{page}/submit",
            ratings(5 - index, comment=MARK.format("sup")), token_from=page,
        )  # fmt: skip
        assert done.status_code == 302
    again = post_form(client, f"{page}/submit", ratings(1), token_from=page)
    assert again.status_code == 302  # refused, flashed, nothing changed
    with app.app_context():
        row = db.session.scalar(
            select(QaCalibrationRating).where(
                QaCalibrationRating.ticket_id == tickets[-1],
                QaCalibrationRating.reviewer_id == org["sup"].id,
            )
        )
        assert row.ratings["empathy"] == 3

    # The third reviewer's queue says what waits for them.
    login_as(org["sup3"])
    assert "Calibration: 3 tickets to score" in text(client.get("/quality/queue"))

    # The second reviewer scores one ticket; the third nothing yet.
    login_as(org["sup2"])
    page = f"{base}/tickets/{tickets[0]}"
    post_form(client, f"{page}/submit", ratings(2, comment=MARK.format("sup2")),
              token_from=page)  # fmt: skip

    # The invariant: while open, nobody sees another reviewer's comments or note, on
    # any page; the first reviewer has submitted all of theirs and still does not.
    for key in ("sup", "sup2", "sup3", "admin", "leader", "rep"):
        login_as(org[key])
        seen = _pages(client, session.id, tickets, users)
        for other in ("sup", "sup2"):
            if other != key:
                assert MARK.format(other) not in seen, (key, other)
        assert "Ratings side by side" not in seen
    login_as(org["sup"])
    assert MARK.format("sup") in client.get(f"{base}/tickets/{tickets[0]}").get_data(
        as_text=True
    )
    # The reads say so too: another's ratings are not there while the session is open.
    with app.app_context():
        open_session = calibration_queries.get_session(session.id)
        assert set(
            calibration_queries.visible_ratings(open_session, org["sup"].id)
        ) == {org["sup"].id}
        assert calibration_queries.results(open_session, org["admin"].id) is None
        # The audit trail carries no ratings.
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "quality.calibration.submit")
        ):
            assert set(event.data) == {"ticket_id"}

    # Only the creator or an admin closes it.
    login_as(org["sup2"])
    token = csrf_token(client, base)
    assert client.post(f"{base}/close", data={"csrf_token": token}).status_code == 403
    login_as(org["admin"])
    closed = client.post(
        f"{base}/close", data={"csrf_token": csrf_token(client, base)},
        follow_redirects=True,
    )  # fmt: skip
    assert "Session closed" in text(closed)
    page = text(closed)
    assert "Agreement" in page
    assert "Ratings side by side" in page
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert re.search(r"Empathy 1-5 \(ordinal\) -?[0-9]\.[0-9]{3} ", plain)
    # Tickets only the first reviewer rated give "not enough ratings" elsewhere.
    assert "Tone and pace 1-3 (ordinal) not enough ratings" in plain
    assert "wide" in page  # 5 against 2 on the first ticket: 75% of the scale

    # Now each reviewer sees the others' ratings of a ticket.
    login_as(org["sup2"])
    seen = text(client.get(f"{base}/tickets/{tickets[0]}"))
    assert MARK.format("sup") in seen
    late = client.post(
        f"{base}/tickets/{tickets[1]}/save",
        data={"csrf_token": csrf_token(client, base), "rating_empathy": "4"},
        headers={"Accept": "application/json"},
    )
    assert late.status_code == 409
    assert "closed" in late.get_json()["error"]["message"]

    # The rep never sees any of it, and no review was made or scored.
    login_as(org["rep"])
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/tickets/{tickets[0]}").status_code == 403
    assert MARK.format("sup") not in client.get("/quality/mine").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QaReview)) == 0
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.like("quality.calibration.%")
                )
            )
        )
        assert actions == {
            "quality.calibration.create",
            "quality.calibration.submit",
            "quality.calibration.close",
        }

    # Drift: shown to leadership and admins, and to the reviewer; not to a peer.
    login_as(org["leader"])
    history = text(client.get("/quality/calibration/history"))
    assert org["sup"].name in history
    assert org["sup2"].name in history
    mine = text(client.get(f"/quality/calibration/reviewers/{org['sup'].id}"))
    assert "March round" in mine
    assert "<svg" in client.get(
        f"/quality/calibration/reviewers/{org['sup'].id}"
    ).get_data(as_text=True)
    login_as(org["sup2"])
    assert (
        client.get(f"/quality/calibration/reviewers/{org['sup'].id}").status_code == 403
    )
    assert (
        client.get(f"/quality/calibration/reviewers/{org['sup2'].id}").status_code
        == 200
    )
    assert client.get("/quality/calibration/history").status_code == 403


def test_a_second_close_and_a_late_submit_are_refused(app, org):
    with app.app_context():
        facts = calibration_queries.month_tickets("2024-03", "live")
        admin = db.session.get(User, org["admin"].id)
        sup = db.session.get(User, org["sup"].id)
        session = calibration_operations.create_session(
            name="Quick", channel_group="live", month="2024-03",
            ticket_refs=[facts[0].external_id], random_count=None,
            reviewer_ids=[org["sup"].id, org["sup2"].id],
            due_on=dt.date(2099, 1, 1), by=admin, today=dt.date(2024, 1, 1),
        )  # fmt: skip
        # The rubric version a session uses no longer changes in place.
        assert session.rubric_version_id in quality_queries.locked_version_ids()
        calibration_operations.close_session(session, by=admin, is_admin=True)
        assert session.state is SessionState.CLOSED
        with pytest.raises(Conflict):
            calibration_operations.close_session(session, by=admin, is_admin=True)
        with pytest.raises(Conflict):
            calibration_operations.save_rating(
                session, facts[0].id, ratings={"empathy": 3}, comments={}, note="",
                by=sup,
            )  # fmt: skip
        db.session.rollback()
