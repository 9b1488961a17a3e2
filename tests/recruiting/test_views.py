"""Recruiting pages over HTTP: forms, imports, moves, blind review, scorecard visibility,
hiring, export and erasure, and what leadership may read."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.people import User
from recruiting import personal_data_operations
from recruiting.assessment import COMPETENCIES
from recruiting.models import Candidate, InterviewScorecard, Opening
from recruiting.pipeline import Recommendation, Stage
from tests.factories import make_team, make_user
from tests.helpers import post_form, text
from tests.recruiting.factories import (
    answer_all,
    load_default,
    make_candidate,
    make_opening,
)


@pytest.fixture
def org(seed):
    """Two hiring managers, leadership, an opening and a few candidates."""
    with seed():
        priya = make_user(Role.HIRING_MANAGER, name="Priya Manager")
        daniel = make_user(Role.HIRING_MANAGER, name="Daniel Manager")
        helen = make_user(Role.LEADERSHIP, name="Helen Leader")
        team = make_team("Chat team")
        opening = make_opening(priya, team=team, title="Chat rep")
        blind = make_opening(priya, team=team, title="Blind rep", blind=True)
        tested = make_candidate(
            blind, priya, name="Bianca Blind", email="bianca@example.org"
        )
        answer_all(tested, priya)
        interviewee = make_candidate(
            opening,
            priya,
            name="Ivan Interview",
            email="ivan@example.org",
            stage=Stage.INTERVIEW,
        )
        offered = make_candidate(
            opening,
            priya,
            name="Olga Offer",
            email="olga@example.org",
            stage=Stage.OFFER,
        )
        world = {
            "priya": priya,
            "daniel": daniel,
            "helen": helen,
            "team": team.id,
            "opening": opening.id,
            "blind": blind.id,
            "tested": tested.id,
            "interviewee": interviewee.id,
            "offered": offered.id,
        }
    return world


def _count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_creating_an_opening_through_the_form(app, client, login_as, org) -> None:
    login_as(org["priya"])
    with app.app_context():
        assessment_id = load_default().id
        db.session.commit()
    form = {
        "title": "Weekend chat rep",
        "team_id": org["team"],
        "channels": ["chat", "social"],
        "assessment_id": assessment_id,
        "empathy": "0",
        "ownership": "0",
        "communication": "0",
        "composure": "0",
        "judgement": "0",
    }
    response = post_form(client, "/recruiting/openings/new", form)
    assert response.status_code == 200
    assert "Give at least one competency a weight above 0." in text(response)
    assert 'value="Weekend chat rep"' in text(response)
    response = post_form(client, "/recruiting/openings/new", {**form, "empathy": "4"})
    assert response.status_code == 302
    with app.app_context():
        opening = db.session.scalar(
            select(Opening).where(Opening.title == "Weekend chat rep")
        )
        assert opening.weights["empathy"] == 4
        assert opening.channels == ["chat", "social"]
    listed = text(client.get("/recruiting/"))
    assert "Weekend chat rep" in listed
    # every stage's column says which stage it counts, in full
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", listed)
    assert [s.label for s in Stage] == headers[2 : 2 + len(Stage)]


def test_a_bad_candidate_form_is_shown_again_with_messages(
    client, login_as, org
) -> None:
    login_as(org["priya"])
    response = post_form(
        client,
        "/recruiting/candidates/new",
        {"opening_id": org["opening"], "name": "Nora New", "email": "olga@example.org"},
    )
    assert response.status_code == 200
    assert "olga@example.org is already a candidate for this opening." in text(response)
    assert 'value="Nora New"' in text(response)
    response = post_form(
        client,
        "/recruiting/candidates/new",
        {"opening_id": org["opening"], "name": "Nora New", "email": "nora@example.org"},
    )
    assert response.status_code == 302


def test_a_csv_with_bad_rows_imports_nothing_and_reports_each_row(
    app, client, login_as, org
) -> None:
    login_as(org["priya"])
    before = _count(app, Candidate)
    csv = b"name,email\nGood One,good1@example.org\nBad,not-an-email\n,missing@example.org\n"
    url = f"/recruiting/openings/{org['opening']}/import"
    response = post_form(
        client,
        url,
        {"file": (io.BytesIO(csv), "people.csv")},
        content_type="multipart/form-data",
        token_from=url,
    )
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was imported from people.csv" in page
    assert re.search(r"<td class=\"num\">3</td><td>email</td>", page)
    assert re.search(r"<td class=\"num\">4</td><td>name</td>", page)
    assert _count(app, Candidate) == before
    good = b"name,email\nGood One,good1@example.org\nOlga Again,olga@example.org\n"
    response = post_form(
        client,
        url,
        {"file": (io.BytesIO(good), "people.csv")},
        content_type="multipart/form-data",
        token_from=url,
        follow_redirects=True,
    )
    assert "Imported 1 candidate." in text(response)
    assert "not added again (row 3)" in text(response)
    assert _count(app, Candidate) == before + 1


def test_a_move_without_a_required_reason_changes_nothing(
    app, client, login_as, org
) -> None:
    login_as(org["priya"])
    url = f"/recruiting/candidates/{org['interviewee']}"
    response = post_form(
        client, url + "/move", {"to_stage": "rejected", "reason": ""}, token_from=url
    )
    assert response.status_code == 400
    assert "Say why the candidate is rejected." in text(response)
    response = post_form(
        client,
        url + "/move",
        {"to_stage": "rejected", "reason": "Weak examples"},
        token_from=url,
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Candidate, org["interviewee"]).stage is Stage.REJECTED
    page = text(client.get(url))
    assert "Weak examples" in page
    assert "by Priya Manager" in page


def test_blind_review_hides_identity_until_the_reviewer_rates(
    client, login_as, org
) -> None:
    url = f"/recruiting/candidates/{org['tested']}"
    ranked = f"/recruiting/openings/{org['blind']}/ranked"
    login_as(org["daniel"])
    for page in (
        client.get(url),
        client.get(ranked),
        client.get("/recruiting/candidates"),
    ):
        assert "Bianca" not in text(page)
        assert "bianca@" not in text(page)
    assert f"Candidate #{org['tested']}" in text(client.get(ranked))
    # Searching by the hidden name does not find (and so name) them.
    search = client.get("/recruiting/candidates?q=bianca")
    assert search.status_code == 200
    assert "No candidate matches these filters." in text(search)
    # Nor does the whole e-mail: it would tell which number the address is.
    exact = text(client.get("/recruiting/candidates?q=bianca@example.org"))
    assert f"Candidate #{org['tested']}" not in exact
    assert "No candidate matches these filters." in exact
    edit = client.get(url + "/edit")
    assert edit.status_code == 302
    assert "Bianca" not in text(client.get(url))
    response = post_form(client, url + "/rating", {"rating": "4"}, token_from=url)
    assert response.status_code == 302
    assert "Bianca Blind" in text(client.get(url))
    assert "Bianca Blind" in text(client.get(ranked))
    assert "Bianca Blind" in text(client.get("/recruiting/candidates?q=bianca"))
    # Another reviewer who has not rated still reviews blind.
    login_as(org["helen"])
    assert "Bianca" not in text(client.get(url))


def test_interviewers_see_others_scorecards_only_after_submitting_their_own(
    client, login_as, org
) -> None:
    url = f"/recruiting/candidates/{org['interviewee']}"
    levels = {c.value: "4" for c in COMPETENCIES}
    login_as(org["priya"])
    response = post_form(
        client,
        url + "/scorecard",
        {**levels, "recommendation": "hire", "notes": "Priya's private view"},
        token_from=url + "/scorecard",
    )
    assert response.status_code == 302
    login_as(org["daniel"])
    page = text(client.get(url))
    assert "Priya's private view" not in page
    assert "1 scorecard submitted. Submit yours to read it." in page
    post_form(
        client,
        url + "/scorecard",
        {**levels, "recommendation": "no_hire", "notes": "Daniel's view"},
        token_from=url + "/scorecard",
    )
    page = text(client.get(url))
    assert "Priya&#39;s private view" in page
    assert "Daniel&#39;s view" in page
    # Leadership does not interview: reads them all.
    login_as(org["helen"])
    assert "Priya&#39;s private view" in text(client.get(url))


def test_a_scorecard_form_with_gaps_is_shown_again(app, client, login_as, org) -> None:
    login_as(org["priya"])
    url = f"/recruiting/candidates/{org['interviewee']}/scorecard"
    response = post_form(client, url, {"empathy": "3", "notes": "kept"}, token_from=url)
    assert response.status_code == 200
    assert "Choose a level." in text(response)
    assert "Choose a recommendation." in text(response)
    assert "kept" in text(response)
    assert _count(app, InterviewScorecard) == 0


def test_hiring_through_the_page_makes_the_account_and_shows_a_password_link(
    app, client, login_as, org
) -> None:
    login_as(org["priya"])
    url = f"/recruiting/candidates/{org['offered']}/hire"
    response = post_form(client, url, {"team_id": org["team"]}, token_from=url)
    # Post/redirect/get: the link is shown once, on the page the post leads to.
    assert response.status_code == 302
    hired = response.headers["Location"]
    assert hired.endswith(f"/recruiting/candidates/{org['offered']}/hired")
    page = text(client.get(hired))
    assert "Olga Offer is hired" in page
    assert "/auth/set-password/" in page
    # Reloading does not show it again, and posting the hire again changes nothing.
    assert "/auth/set-password/" not in text(client.get(hired))
    again = post_form(client, url, {"team_id": org["team"]}, token_from=hired)
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/hired")
    assert "is already hired" in text(client.get(hired))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "olga@example.org"))
        assert user.roles == frozenset({Role.REP})
        assert user.team_id == org["team"]
        assert db.session.get(Candidate, org["offered"]).hired_user_id == user.id


def test_export_downloads_json_and_erasure_needs_a_tick(
    app, client, login_as, org
) -> None:
    login_as(org["priya"])
    url = f"/recruiting/candidates/{org['offered']}"
    response = post_form(client, url + "/export", token_from=url)
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.json["candidate"]["email"] == "olga@example.org"
    response = post_form(client, url + "/erase", {}, token_from=url + "/erase")
    assert "Tick the box to confirm." in text(response)
    response = post_form(
        client, url + "/erase", {"confirm": "y"}, token_from=url + "/erase"
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Olga" not in page
    assert "olga@" not in page
    assert "The personal data was erased" in page
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_type == "Candidate")
        ).all()
        assert {"recruiting.candidate.export", "recruiting.candidate.erase"} <= set(
            actions
        )


def test_leadership_reads_without_any_way_to_change(client, login_as, org) -> None:
    login_as(org["helen"])
    page = text(client.get(f"/recruiting/candidates/{org['offered']}"))
    assert "Olga Offer" in page
    assert "/move" not in page
    assert "/hire" not in page
    assert "/erase" not in page
    board = text(client.get(f"/recruiting/openings/{org['opening']}/board"))
    assert "Add a candidate" not in board


def test_compare_leaves_out_candidates_of_other_openings(
    seed, client, login_as
) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager, title="Here")
        other = make_opening(manager, title="Elsewhere")
        ids = []
        for name, where in (
            ("Ann Here", opening),
            ("Ben Here", opening),
            ("Cid Away", other),
        ):
            candidate = make_candidate(where, manager, name=name)
            answer_all(candidate, manager)
            ids.append(candidate.id)
    login_as(manager)
    query = "&".join(f"c={i}" for i in ids)
    page = text(client.get(f"/recruiting/openings/{opening.id}/compare?{query}"))
    assert "Ann Here" in page
    assert "Ben Here" in page
    assert "Cid Away" not in page
    response = client.get(f"/recruiting/openings/{other.id}/compare?c={ids[2]}")
    assert response.status_code == 302  # one candidate is not a comparison


def test_the_dashboard_shows_hiring_work_waiting(client, login_as, org) -> None:
    login_as(org["daniel"])
    page = text(client.get("/"))
    assert "Hiring" in page
    assert "test result waiting for your rating" in page
    assert "Ivan Interview" in page  # a scorecard to fill in


def test_assessment_page_shows_items_and_statistics(seed, client, login_as) -> None:
    with seed():
        manager = make_user(Role.HIRING_MANAGER)
        opening = make_opening(manager)
        for pick in ("a", "b", "a"):
            answer_all(make_candidate(opening, manager), manager, pick=pick)
        assessment_id = opening.assessment_id
    login_as(manager)
    page = text(client.get(f"/recruiting/assessments/{assessment_id}"))
    assert "3 results on this version" in page
    assert "Refund without approval" in page
    assert "needs 20 results" in page
    assert 'aria-label="How often each option was chosen: a 2, b 1' in page
    # Kept by the process, and worked out again when a new result arrives.
    url = f"/recruiting/assessments/{assessment_id}"
    assert "a 2, b 1" in text(client.get(url))
    with seed():
        answer_all(make_candidate(opening, manager), manager, pick="b")
    page = text(client.get(url))
    assert "4 results on this version" in page
    assert 'aria-label="How often each option was chosen: a 2, b 2' in page


def test_recommendation_labels_read_well() -> None:
    assert Recommendation.STRONG_NO_HIRE.label == "Strong no hire"
    assert personal_data_operations.ERASE_REASONS["request"] == "the candidate asked"


def test_a_test_link_is_e_mailed_when_smtp_is_set_up(
    app, client, login_as, org, monkeypatch
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    login_as(org["priya"])
    url = f"/recruiting/candidates/{org['interviewee']}"
    response = post_form(client, url + "/invitations", {"days": "5"}, token_from=url)
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    link = re.search(
        r'value="(http[^"]+/recruiting/test/[^"]+)"', text(response)
    ).group(1)
    assert "We have e-mailed this link" in text(response)
    assert len(sent) == 1
    assert sent[0]["To"] == "ivan@example.org"
    assert link in sent[0].get_content()
    assert "Chat rep" in sent[0]["Subject"]


@pytest.mark.parametrize(
    ("role", "shown"), [(Role.HIRING_MANAGER, False), (Role.ADMIN, True)]
)
def test_an_e_mailed_password_link_is_shown_only_to_an_admin(
    app, client, login_as, org, seed, monkeypatch, role, shown
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    with seed():
        hirer = make_user(role, name="Hilda Hirer")
    login_as(hirer)
    url = f"/recruiting/candidates/{org['offered']}/hire"
    response = post_form(client, url, {"team_id": org["team"]}, token_from=url)
    page = text(client.get(response.headers["Location"]))
    assert "We have e-mailed them a link to set their password" in page
    assert ("/auth/set-password/" in page) is shown
    assert [m["To"] for m in sent] == ["olga@example.org"]
    assert "/auth/set-password/" in sent[0].get_content()
