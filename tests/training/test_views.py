"""Training pages over HTTP: playing a scenario, sign-offs, the register, and record checks."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.access import Role
from core.db import db, utcnow
from core.settings import get_setting, specs
from tests.factories import make_team, make_user
from tests.helpers import post_form, text
from tests.recruiting.test_queries import counting
from tests.training.factories import (
    SMALL,
    load_small,
    make_authority,
    make_grant,
    make_request,
    play,
)
from training import (
    assignment_operations,
    authority_operations,
    authority_queries,
    operations,
)
from training.models import (
    Assignment,
    Attempt,
    Authority,
    Curriculum,
    Grant,
    SignoffRequest,
)
from training.scenarios import parse_scenario


@pytest.fixture
def org(seed):
    """Two teams; ``rep`` and ``rep2`` in ``team`` (led by ``sup`` and ``sup2``)."""
    with seed():
        team, other = make_team("Chat"), make_team("Phone")
        sup, sup2 = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
        outsider = make_user(Role.SUPERVISOR)
        team.supervisors, other.supervisors = [sup, sup2], [outsider]
        rep = make_user(Role.REP, team=team, name="Rita Rep")
        rep2 = make_user(Role.REP, team=team, name="Ray Rep")
        far = make_user(Role.REP, team=other, name="Far Rep")
        leader, admin = make_user(Role.LEADERSHIP), make_user(Role.ADMIN)
        load_small()
        make_authority()
    return dict(
        team=team, other=other, sup=sup, sup2=sup2, outsider=outsider, rep=rep,
        rep2=rep2, far=far, leader=leader, admin=admin,
    )  # fmt: skip


def _attempt_id(app: Flask, rep) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Attempt.id)
            .where(Attempt.rep_id == rep.id)
            .order_by(Attempt.id.desc())
        )


def test_a_rep_plays_a_scenario_one_decision_at_a_time(app, client, org, login_as):
    login_as(org["rep"])
    page = text(client.get("/training/scenarios/small"))
    assert "Start" in page
    assert "Map of the scenario" not in page
    response = post_form(client, "/training/scenarios/small/attempts")
    assert response.status_code == 302
    url = response.headers["Location"]
    page = text(client.get(url))
    assert "My order is late." in page
    assert "Decision 1" in page
    assert "So where is it?" not in page  # one decision at a time
    attempt_id = _attempt_id(app, org["rep"])
    answer = f"/training/attempts/{attempt_id}/answer"
    response = post_form(client, answer, {"choice": "0", "step": "0"}, token_from=url)
    assert response.status_code == 302
    page = text(client.get(url))
    assert "+10 points." in page
    assert "So where is it?" in page
    assert "Decision 2" in page
    # A reload of the old page (step 0) does not record a second answer.
    post_form(client, answer, {"choice": "1", "step": "0"}, token_from=url)
    post_form(client, answer, {"choice": "0", "step": "1"}, token_from=url)
    page = text(client.get(url))
    assert "Passed" in page
    assert "100%" in page
    assert "Sorted." in page
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert [s["choice"] for s in attempt.path] == [0, 0]


def test_answering_without_a_choice_shows_a_message(client, org, login_as, app):
    login_as(org["rep"])
    url = post_form(client, "/training/scenarios/small/attempts").headers["Location"]
    attempt_id = _attempt_id(app, org["rep"])
    response = post_form(
        client, f"/training/attempts/{attempt_id}/answer", {"step": "0"}, token_from=url
    )
    assert response.status_code == 400
    assert "Choose one of the options." in text(response)


def test_cool_down_is_explained_on_the_scenario_page(client, org, login_as, app, seed):
    with seed():
        play(org["rep"], [2])  # fails an hour ago; cool-down is two hours
    login_as(org["rep"])
    response = post_form(client, "/training/scenarios/small/attempts")
    page = text(client.get(response.headers["Location"]))
    assert "Take a break" in page


def test_during_a_cool_down_start_and_try_again_are_off_and_say_when(
    client, org, login_as, seed
):
    with seed():
        failed = play(org["rep"], [2])  # fails an hour ago; cool-down is two hours
        opens = failed.finished_at + dt.timedelta(hours=2)
    login_as(org["rep"])
    for url in ("/training/scenarios/small", f"/training/attempts/{failed.id}"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r"<button[^>]*disabled[^>]*>(Start|Try again)</button>", page)
        assert 'action="/training/scenarios/small/attempts"' not in page
        assert f"You can start again from {opens:%d %b %Y, %H:%M}" in text(
            client.get(url)
        )


def test_after_the_cool_down_try_again_is_a_button_again(client, org, login_as, seed):
    with seed():
        failed = play(org["rep"], [2], at=utcnow() - dt.timedelta(hours=3))
    login_as(org["rep"])
    page = client.get(f"/training/attempts/{failed.id}").get_data(as_text=True)
    assert 'action="/training/scenarios/small/attempts"' in page
    assert "disabled" not in page


def test_the_player_shows_the_reps_own_limit_in_the_scenarios_words(
    client, org, login_as, seed
):
    text_with = SMALL.replace(
        "    customer: My order is late.",
        '    note: "You hold {refund.limit}."\n    customer: My order is late.',
    )
    with seed():
        operations.load_scenarios([parse_scenario(text_with, "small.yaml")], by="test")
        refund = authority_queries.get_authority_by_code("refund")
        make_grant(org["rep"], refund, org["sup"], limit=150)
    for rep, words in ((org["rep"], "You hold 150 USD."),
                       (org["rep2"], "You hold no refund authority.")):  # fmt: skip
        login_as(rep)
        url = post_form(client, "/training/scenarios/small/attempts").headers[
            "Location"
        ]
        page = text(client.get(url))
        assert words in page
        assert "{refund.limit}" not in page


def test_a_post_without_csrf_token_is_refused(client, org, login_as):
    login_as(org["rep"])
    assert client.post("/training/scenarios/small/attempts").status_code == 400


def test_supervisors_see_the_map_with_points(client, org, login_as):
    login_as(org["sup"])
    page = text(client.get("/training/scenarios/small"))
    assert "Map of the scenario" in page
    assert "Give tracking and a date" in page


# --- record checks ------------------------------------------------------------------------


@pytest.fixture
def records(seed, org):
    with seed():
        refund = authority_queries.get_authority_by_code("refund")
        attempt = play(org["rep"], [0, 0])
        request = make_request(org["rep"], refund, 50)
        grant = make_grant(org["rep"], refund, org["sup"])
    return {"attempt": attempt.id, "request": request.id, "grant": grant.id}


@pytest.mark.parametrize(
    "path",
    [
        "/training/attempts/{attempt}",
        "/training/signoffs/{request}",
        "/training/grants/{grant}",
        "/training/register/reps/{rep}",
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 200), ("rep2", 403), ("far", 403), ("sup", 200), ("outsider", 403),
     ("leader", 200), ("admin", 200)],
)  # fmt: skip
def test_record_checks(app, org, records, path, who, status) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = org[who].get_id()
    url = path.format(rep=org["rep"].id, **records)
    assert client.get(url).status_code == status


def test_a_rep_cannot_answer_someone_elses_attempt(client, org, records, login_as):
    login_as(org["rep2"])
    response = post_form(
        client,
        f"/training/attempts/{records['attempt']}/answer",
        {"choice": "0", "step": "0"},
    )
    assert response.status_code == 403


def test_a_supervisor_of_another_team_cannot_approve_or_revoke(
    client, org, records, login_as
):
    login_as(org["outsider"])
    approve = post_form(
        client, f"/training/signoffs/{records['request']}/approve", {"limit": "50"}
    )
    revoke = post_form(
        client, f"/training/grants/{records['grant']}/revoke", {"reason": "no"}
    )
    assert (approve.status_code, revoke.status_code) == (403, 403)


def test_a_supervisor_sees_only_their_teams_in_the_register(client, org, login_as):
    login_as(org["sup"])
    page = text(client.get("/training/register"))
    assert "Rita Rep" in page
    assert "Far Rep" not in page
    assert client.get(f"/training/register/teams/{org['other'].id}").status_code == 403


def test_the_register_reads_no_roles_or_supervised_teams_of_the_reps_it_lists(
    app, client, org, seed, login_as
) -> None:
    login_as(org["sup"])
    client.get("/training/register")
    with counting(app) as statements:
        page = text(client.get("/training/register"))
    assert "Rita Rep" in page
    assert "Ray Rep" in page
    with seed():
        for n in range(6):
            make_user(Role.REP, team=db.session.merge(org["team"]), name=f"New Rep {n}")
    with counting(app) as more:
        page = text(client.get("/training/register"))
    assert "New Rep 5" in page
    assert len(more) == len(statements)
    # The viewer's own roles come with their user (a join); nobody else's are read.
    assert not [
        s for s in more if "FROM user_roles" in s or "FROM team_supervisors" in s
    ]


# --- sign-offs ----------------------------------------------------------------------------


def test_rep_requests_supervisor_approves_and_the_register_shows_it(
    app, client, org, login_as, seed
):
    with seed():
        play(org["rep"], [0, 0])
    login_as(org["rep"])
    page = text(client.get("/training/authorities/refund/request"))
    assert "Passed" in page
    response = post_form(
        client,
        "/training/authorities/refund/request",
        {"rep_id": org["rep"].id, "limit": "150", "note": "Ready"},
    )
    assert response.status_code == 302
    with app.app_context():
        request_id = db.session.scalar(select(SignoffRequest.id))
    # The rep cannot approve their own request.
    assert (
        post_form(
            client, f"/training/signoffs/{request_id}/approve", {"limit": "150"}
        ).status_code
        == 403
    )
    login_as(org["sup"])
    page = text(client.get(f"/training/signoffs/{request_id}"))
    assert "Evidence" in page
    assert "Apologise and check the order" in page
    response = post_form(
        client,
        f"/training/signoffs/{request_id}/approve",
        {"limit": "900"},
        token_from=f"/training/signoffs/{request_id}",
    )
    assert response.status_code == 400
    assert "The catalogue maximum is 500 USD" in text(response)
    response = post_form(
        client, f"/training/signoffs/{request_id}/approve", {"limit": "120"}
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"], follow_redirects=True))
    assert "The rep holds this authority from now." in page
    register = text(client.get(f"/training/register/reps/{org['rep'].id}"))
    assert "120 USD" in register


def test_asking_for_less_than_the_limit_held_is_warned_before_it_is_sent(
    app, client, org, login_as, seed
):
    with seed():
        play(org["rep"], [0, 0])
        make_grant(org["rep"], authority_queries.get_authority_by_code("refund"),
                   org["sup"], limit=150)  # fmt: skip
    login_as(org["rep"])
    url = "/training/authorities/refund/request"
    assert "You hold 150 USD now" in text(client.get(url))
    data = {"rep_id": org["rep"].id, "limit": "100"}
    response = post_form(client, url, data)
    assert response.status_code == 400
    assert "150 USD is held now, and an approval replaces it" in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(SignoffRequest.id))) == 0
    response = post_form(client, url, {**data, "lower_confirmed": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SignoffRequest.limit)) == Decimal(100)


def test_a_team_with_one_supervisor_is_told_nobody_can_approve_two_person_limits(
    client, org, login_as, seed
):
    with seed():
        play(org["far"], [0, 0])  # Phone has one supervisor
    login_as(org["far"])
    page = text(client.get("/training/authorities/refund/request"))
    assert (
        "Above 200 USD two supervisors must approve, and Phone has one supervisor"
        in page
    )
    assert "nobody in Phone can approve you" in text(
        client.get("/training/authorities")
    )
    login_as(org["rep"])  # Chat has two
    assert "two-person-gap" not in client.get(
        "/training/authorities/refund/request"
    ).get_data(as_text=True)
    assert "two-person-gaps" not in client.get("/training/authorities").get_data(
        as_text=True
    )
    login_as(org["admin"])
    page = text(client.get("/training/authorities"))
    gaps = page[page.find("two-person-gaps") :].split("</div>")[0]
    assert "nobody can approve a rep of Phone</strong>" in gaps
    assert "Chat" not in gaps


def test_who_cannot_decide_a_request_is_told_why(client, org, login_as, seed):
    with seed():
        play(org["rep"], [0, 0])
        play(org["rep2"], [0, 0])
        refund = authority_queries.get_authority_by_code("refund")
        request = make_request(org["rep"], refund, limit=300)  # two must approve
        authority_operations.approve_signoff(request, by=org["sup"], limit=Decimal(300))
        mine = make_request(org["rep2"], refund, by=org["sup2"])
    url = f"/training/signoffs/{request.id}"
    login_as(org["rep"])
    assert "nobody approves their own authority" in text(client.get(url))
    login_as(org["sup"])
    assert "you have approved, and a second supervisor must approve" in text(
        client.get(url)
    )
    login_as(org["sup2"])
    assert "why-not-me" not in client.get(url).get_data(as_text=True)
    assert "you made this request, so someone else decides" in text(
        client.get(f"/training/signoffs/{mine.id}")
    )


def test_a_rep_sees_a_declined_request_and_its_reason_by_default(
    client, org, login_as, seed
):
    with seed():
        play(org["rep"], [0, 0])
        request = make_request(
            org["rep"], authority_queries.get_authority_by_code("refund")
        )
        authority_operations.decline_signoff(
            request, by=org["sup"], reason="Shadow a senior first."
        )
    login_as(org["rep"])
    page = text(client.get("/training/signoffs"))
    assert "Declined" in page
    assert "Shadow a senior first." in page
    login_as(org["sup"])  # supervisors still start at what waits for them
    assert "No requests here." in text(client.get("/training/signoffs"))


def test_a_request_without_the_prerequisites_is_refused_with_a_reason(
    client, org, login_as
):
    login_as(org["rep"])
    response = post_form(
        client,
        "/training/authorities/refund/request",
        {"rep_id": org["rep"].id, "limit": "100"},
    )
    assert response.status_code == 400
    assert "Pass the prerequisite scenarios first" in text(response)


def test_decline_needs_a_reason(client, org, records, login_as):
    login_as(org["sup"])
    url = f"/training/signoffs/{records['request']}/decline"
    response = post_form(client, url, {"reason": ""})
    assert response.status_code == 400
    assert "Give a reason." in text(response)
    response = post_form(client, url, {"reason": "Practise more."})
    page = text(client.get(response.headers["Location"]))
    assert "Practise more." in page


def test_revoke_from_the_grant_page(app, client, org, records, login_as):
    login_as(org["sup"])
    url = f"/training/grants/{records['grant']}"
    response = post_form(client, url + "/revoke", {"reason": "Refunded a friend."})
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Revoked" in page
    assert "Refunded a friend." in page
    with app.app_context():
        assert db.session.get(Grant, records["grant"]).revocation is not None


# --- catalogue, curricula, assignments ----------------------------------------------------


def test_admin_adds_an_authority_and_bad_input_is_kept(app, client, org, login_as):
    login_as(org["admin"])
    data = {
        "code": "Bad Code",
        "name": "Courier upgrade",
        "unit": "USD",
        "max_limit": "40",
        "two_person_limit": "50",
        "validity_days": "365",
        "is_active": "y",
    }
    response = post_form(client, "/training/authorities/new", data)
    page = text(response)
    assert "Lower-case letters, digits and _." in page
    assert 'value="Courier upgrade"' in page
    data["code"] = "courier_upgrade"
    response = post_form(client, "/training/authorities/new", data)
    assert "Set it below the maximum" in text(response)
    data["two_person_limit"] = ""
    data["prerequisites"] = ["small"]
    response = post_form(client, "/training/authorities/new", data)
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(
            select(Authority).where(Authority.code == "courier_upgrade")
        )
        assert (made.max_limit, made.prerequisites) == (Decimal(40), ["small"])


def test_supervisor_builds_a_curriculum_and_assigns_it_to_the_team(
    app, client, org, login_as
):
    login_as(org["sup"])
    response = post_form(
        client,
        "/training/curricula/new",
        {"name": "Basics", "steps-0": "small", "steps-1": "small"},
    )
    assert "Each scenario can appear only once." in text(response)
    response = post_form(
        client, "/training/curricula/new", {"name": "Basics", "steps-0": "small"}
    )
    assert response.status_code == 302
    with app.app_context():
        curriculum_id = db.session.scalar(select(Curriculum.id))
    response = post_form(
        client,
        "/training/assignments/new",
        {
            "target": f"c:{curriculum_id}",
            "who": f"team:{org['team'].id}",
            "due_on": "2099-01-31",
        },
    )
    assert response.status_code == 302
    page = text(client.get("/training/assignments"))
    assert page.count("Basics") >= 2
    assert "Rita Rep" in page
    assert "Ray Rep" in page
    login_as(org["rep"])
    assert "Basics" in text(client.get("/training/"))


def test_the_register_exports_csv(client, org, records, login_as):
    login_as(org["leader"])
    response = client.get("/training/register.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "refund limit" in body
    assert re.search(r"Rita Rep,.*,100\.00,\d{4}-\d\d-\d\d", body)


def test_dashboards_show_training_panels(client, org, records, login_as):
    login_as(org["rep"])
    assert "Your training" in text(client.get("/"))
    login_as(org["sup"])
    page = text(client.get("/"))
    assert "Team training" in page
    assert "1</span> sign-off waiting" in page
    login_as(org["leader"])
    assert "Authority coverage" in text(client.get("/"))


def test_the_reps_dashboard_is_a_to_do_list_with_links_and_where_they_left_off(
    client, org, login_as, seed
):
    with seed():
        attempt = play(org["rep"], [0])  # one decision of two: still in progress
        assignment_operations.assign(
            assignment_operations.AssignmentInput(
                due_on=dt.date(2099, 1, 31), scenario_key="small"
            ),
            rep=org["rep"], by=org["sup"], today=dt.date.today(),
        )  # fmt: skip
    login_as(org["rep"])
    page = client.get("/").get_data(as_text=True)
    assert (
        f'href="/training/attempts/{attempt.id}">Continue A small scenario</a>' in page
    )
    assert 'href="/training/scenarios/small">' in page
    assert "next: A small scenario" in page


def test_a_passed_scenario_of_a_curriculum_offers_the_next_one(
    client, org, login_as, seed
):
    with seed():
        operations.load_scenarios(
            [parse_scenario(SMALL.replace("key: small", "key: second")
                            .replace("title: A small scenario", "title: The second"),
                            "second.yaml")],
            by="test",
        )  # fmt: skip
        basics = operations.save_curriculum(
            None, name="Basics", description="", scenario_keys=["small", "second"],
            is_onboarding=False, by=org["sup"],
        )  # fmt: skip
        assignment_operations.assign(
            assignment_operations.AssignmentInput(
                due_on=dt.date(2099, 1, 31), curriculum_id=basics.id
            ),
            rep=org["rep"], by=org["sup"], today=dt.date.today(),
        )  # fmt: skip
        passed = play(org["rep"], [0, 0])
    login_as(org["rep"])
    page = client.get(f"/training/attempts/{passed.id}").get_data(as_text=True)
    assert 'href="/training/scenarios/second">Next in Basics: The second</a>' in page


def test_a_completed_curriculum_has_a_certificate_and_the_team_a_completion_csv(
    client, org, login_as, seed, tmp_path
):
    with seed():
        basics = operations.save_curriculum(
            None, name="Basics", description="", scenario_keys=["small"],
            is_onboarding=False, by=org["sup"],
        )  # fmt: skip
        play(org["rep"], [0, 0])
    url = f"/training/curricula/{basics.id}/certificates/{org['rep'].id}.pdf"
    login_as(org["rep"])
    assert url in client.get("/training/").get_data(as_text=True)
    response = client.get(url)
    assert response.mimetype == "application/pdf"
    pdf_file = tmp_path / "certificate.pdf"
    pdf_file.write_bytes(response.data)
    words = subprocess.run(
        ["pdftotext", "-layout", str(pdf_file), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "CERTIFICATEOFCOMPLETION" in words.upper().replace(" ", "")  # spaced out
    assert "Rita Rep" in words
    assert "Basics" in words
    assert "A small scenario" in words
    assert "100%" in words
    # Not completed yet: no certificate.
    not_yet = f"/training/curricula/{basics.id}/certificates/{org['rep2'].id}.pdf"
    login_as(org["rep2"])
    assert client.get(not_yet).status_code == 404
    login_as(org["outsider"])  # supervises another team
    assert client.get(url).status_code == 403
    assert (
        client.get(f"/training/register/teams/{org['team'].id}/completion.csv")
    ).status_code == 403
    login_as(org["sup"])
    body = client.get(
        f"/training/register/teams/{org['team'].id}/completion.csv"
    ).get_data(as_text=True)
    assert "rep,email,curriculum,scenarios passed,scenarios,state,completed on" in body
    assert re.search(r"Rita Rep,[^,]+,Basics,1,1,completed,\d{4}-\d\d-\d\d", body)
    assert re.search(r"Ray Rep,[^,]+,Basics,0,1,not yet,\r?$", body, re.M)


def test_onboarding_follows_a_rep_made_on_the_admin_page(app, client, org, login_as):
    with app.app_context():
        operations.save_curriculum(
            None,
            name="Onboarding",
            description="",
            scenario_keys=["small"],
            is_onboarding=True,
            by=db.session.get(type(org["sup"]), org["sup"].id),
        )
        db.session.commit()
    login_as(org["admin"])
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Newly Hired",
            "email": "newly.hired@example.com",
            "roles": ["rep"],
            "team_id": org["team"].id,
            "access": "invite",
        },
    )
    assert response.status_code == 302  # to the page that shows the invitation link
    login_as(org["sup"])
    assert "Newly Hired" in text(client.get("/training/assignments"))


def test_admin_sets_the_onboarding_due_days(client, org, login_as, app):
    login_as(org["admin"])
    page = text(client.get("/admin/settings"))
    assert "Onboarding due after" in page
    with app.app_context():
        data = {spec.key: str(spec.default) for spec in specs()}
    assert 'name="training_onboarding_due_days"' in page
    data["training_onboarding_due_days"] = "10"
    response = post_form(client, "/admin/settings", data)
    assert response.status_code == 302
    with app.app_context():
        assert get_setting("training_onboarding_due_days") == 10


def _ask_for_goodwill(seed, org, n: int) -> None:
    """``n`` more reps in the team, each with a request ``sup2`` made for them."""
    with seed():
        goodwill = authority_queries.get_authority_by_code(
            "goodwill"
        ) or make_authority("goodwill", prerequisites=())
        for _ in range(n):
            rep = make_user(Role.REP, team=db.session.merge(org["team"]))
            make_request(rep, goodwill, by=db.session.merge(org["sup2"]))


def test_sign_off_pages_run_the_same_statements_for_two_requests_or_eight(
    app, client, org, seed, login_as
) -> None:
    _ask_for_goodwill(seed, org, 2)
    login_as(org["sup"])

    def measure() -> dict[str, int]:
        counts = {}
        for url in ("/training/signoffs", "/training/signoffs?status=all", "/"):
            client.get(url)
            with counting(app) as statements:
                assert client.get(url).status_code == 200, url
            counts[url] = len(statements)
        return counts

    few = measure()
    _ask_for_goodwill(seed, org, 6)
    assert "8</span> sign-offs waiting" in text(client.get("/"))
    assert measure() == few


# --- the same post again: reload, second tab, double click ----------------------------------


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _kind, message in session.get("_flashes", [])]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("1", "This attempt is finished; your answers are recorded below."),
        ("0", "This attempt is finished; your answers are recorded below."),
        ("abc", "This attempt is finished"),
        ("", "This attempt is finished"),
        ("²", "This attempt is finished"),
        ("9" * 5000, "This attempt is finished"),
    ],
    ids=["last-answer-again", "older-page", "letters", "empty", "superscript", "huge"],
)
def test_the_last_answer_sent_again_is_answered_already_done(
    app, client, org, login_as, step, message
):
    login_as(org["rep"])
    url = post_form(client, "/training/scenarios/small/attempts").headers["Location"]
    answer = f"/training/attempts/{_attempt_id(app, org['rep'])}/answer"
    post_form(client, answer, {"choice": "0", "step": "0"}, token_from=url)
    finished = post_form(client, answer, {"choice": "1", "step": "1"}, token_from=url)
    assert finished.status_code == 302
    _flashes(client)
    again = post_form(client, answer, {"choice": "1", "step": step}, token_from=url)
    assert again.status_code == 302
    assert again.headers["Location"].startswith(url)
    assert any(f.startswith(message) for f in _flashes(client))
    with app.app_context():
        path = db.session.get(Attempt, _attempt_id(app, org["rep"])).path
        assert [s["choice"] for s in path] == [0, 1]


def test_an_answer_sent_from_a_page_out_of_date_is_not_checked_against_the_new_question(
    app, client, org, login_as
):
    """The old page's choice 2 does not exist on the next question: still no 400."""
    login_as(org["rep"])
    url = post_form(client, "/training/scenarios/small/attempts").headers["Location"]
    answer = f"/training/attempts/{_attempt_id(app, org['rep'])}/answer"
    post_form(client, answer, {"choice": "0", "step": "0"}, token_from=url)
    again = post_form(client, answer, {"choice": "2", "step": "0"}, token_from=url)
    assert again.status_code == 302
    assert _flashes(client)[-1] == (
        "That question was already answered; here is where you are now."
    )


def test_asking_for_the_same_sign_off_twice_shows_the_request_waiting(
    app, client, org, login_as, seed
):
    with seed():
        play(org["rep"], [0, 0])
    login_as(org["rep"])
    url = "/training/authorities/refund/request"
    data = {"rep_id": org["rep"].id, "limit": "150"}
    assert post_form(client, url, data).headers["Location"] == "/training/signoffs"
    again = post_form(client, url, data)
    with app.app_context():
        request_ids = db.session.scalars(select(SignoffRequest.id)).all()
    assert len(request_ids) == 1
    assert again.status_code == 302
    assert again.headers["Location"] == f"/training/signoffs/{request_ids[0]}"
    assert "already waiting for a supervisor" in _flashes(client)[-1]


def test_a_second_click_on_approve_is_answered_already_done(
    app, client, org, login_as, seed
):
    with seed():
        play(org["rep"], [0, 0])
        request = make_request(
            org["rep"], authority_queries.get_authority_by_code("refund"), 300
        )
    login_as(org["sup"])
    url = f"/training/signoffs/{request.id}/approve"
    assert post_form(client, url, {"limit": "300"}).status_code == 302
    again = post_form(client, url, {"limit": "300"})
    assert again.status_code == 302
    assert again.headers["Location"] == f"/training/signoffs/{request.id}"
    assert _flashes(client)[-1].startswith("You have already approved this request")
    with app.app_context():
        assert len(db.session.get(SignoffRequest, request.id).approvals) == 1


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("decline", {"reason": "Not yet."}, "This request is already declined."),
        ("withdraw", {}, "This request is already withdrawn."),
    ],
)
def test_deciding_a_request_twice_is_answered_already_done(
    client, org, records, login_as, action, data, message
):
    login_as(org["rep" if action == "withdraw" else "sup"])
    url = f"/training/signoffs/{records['request']}/{action}"
    assert post_form(client, url, data).status_code == 302
    again = post_form(client, url, data)
    assert again.status_code == 302
    assert again.headers["Location"] == f"/training/signoffs/{records['request']}"
    assert _flashes(client)[-1] == message


def test_revoking_twice_is_answered_already_done(app, client, org, records, login_as):
    login_as(org["sup"])
    url = f"/training/grants/{records['grant']}/revoke"
    assert post_form(client, url, {"reason": "Under review."}).status_code == 302
    again = post_form(client, url, {"reason": "Under review."})
    assert again.status_code == 302
    assert _flashes(client)[-1] == "This grant was already revoked."


@pytest.mark.parametrize("whom", ["rep", "team"])
def test_assigning_the_same_work_twice_assigns_it_once(
    app, client, org, login_as, whom
):
    login_as(org["sup"])
    who = f"rep:{org['rep'].id}" if whom == "rep" else f"team:{org['team'].id}"
    due = (utcnow().date() + dt.timedelta(days=7)).isoformat()
    data = {"target": "s:small", "who": who, "due_on": due}
    first = post_form(client, "/training/assignments/new", data)
    assert first.status_code == 302
    again = post_form(client, "/training/assignments/new", data)
    assert again.status_code == 302
    assert again.headers["Location"] == "/training/assignments"
    assert _flashes(client)[-1].startswith("Nothing new:")
    with app.app_context():
        made = db.session.scalars(
            select(Assignment.rep_id).where(Assignment.scenario_key == "small")
        ).all()
    assert sorted(made) == sorted(
        [org["rep"].id] if whom == "rep" else [org["rep"].id, org["rep2"].id]
    )
    # A different due date moves the work still to do; it is not new work.
    data["due_on"] = (utcnow().date() + dt.timedelta(days=8)).isoformat()
    post_form(client, "/training/assignments/new", data)
    assert _flashes(client)[-1].startswith("Already assigned to")
    with app.app_context():
        assert db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.scenario_key == "small")
        ) == len(made)


@pytest.mark.parametrize(
    ("who", "url", "data", "message"),
    [
        ("sup", "/training/curricula/new", {"name": ""}, "This field is required."),
        (
            "sup",
            "/training/assignments/new",
            {"target": "s:small", "who": "", "due_on": ""},
            "Choose",
        ),
        ("admin", "/training/authorities/new", {"code": "Bad Code"}, "Lower-case"),
        (
            "rep",
            "/training/authorities/refund/request",
            {"rep_id": "{rep}", "limit": ""},
            "Give a limit.",
        ),
    ],
    ids=["curriculum", "assignment", "authority", "sign-off request"],
)
def test_a_form_posted_with_errors_comes_back_as_400(
    client, org, login_as, who, url, data, message
):
    login_as(org[who])
    data = {k: v.format(rep=org["rep"].id) for k, v in data.items()}
    response = post_form(client, url, data, token_from=url)
    assert response.status_code == 400
    assert message in text(response)


# --- changing and cancelling assignments -----------------------------------------------------


def test_assigning_the_same_work_again_moves_its_due_date_instead_of_doubling_it(
    app, client, org, login_as
):
    login_as(org["sup"])
    data = {"target": "s:small", "who": f"rep:{org['rep'].id}", "due_on": "2099-01-31"}
    post_form(client, "/training/assignments/new", data)
    response = post_form(
        client, "/training/assignments/new", {**data, "due_on": "2099-02-28"}
    )
    page = text(client.get(response.headers["Location"]))
    assert "Already assigned to Rita Rep, so its due date moved to 28 Feb 2099" in page
    with app.app_context():
        dues = db.session.scalars(
            select(Assignment.due_on).where(Assignment.rep_id == org["rep"].id)
        ).all()
    assert dues == [dt.date(2099, 2, 28)]
    login_as(org["rep"])
    page = text(client.get("/training/"))
    assert page.count("Due 28 Feb 2099") == 1
    assert "31 Jan 2099" not in page


def test_a_supervisor_moves_the_due_date_then_cancels_and_the_rep_reads_why(
    app, client, org, login_as, seed
):
    with seed():
        (assignment,) = assignment_operations.assign(
            assignment_operations.AssignmentInput(
                due_on=dt.date(2099, 1, 31), scenario_key="small"
            ),
            rep=org["rep"], by=org["sup"], today=dt.date.today(),
        ).made  # fmt: skip
    url = f"/training/assignments/{assignment.id}"
    login_as(org["outsider"])  # supervises another team
    assert client.get(url).status_code == 403
    login_as(org["sup"])
    assert f'href="{url}"' in client.get("/training/assignments").get_data(as_text=True)
    response = post_form(client, url, {"due_on": "2000-01-01", "note": ""})
    assert response.status_code == 400
    assert "Choose a due date from today on." in text(response)
    response = post_form(client, url, {"due_on": "2099-03-15", "note": "After launch"})
    assert response.status_code == 302
    response = post_form(client, f"{url}/cancel", {"cancel-reason": ""}, token_from=url)
    assert response.status_code == 400
    assert "Give a reason." in text(response)
    response = post_form(
        client,
        f"{url}/cancel",
        {"cancel-reason": "Covered by the new curriculum"},
        token_from=url,
    )
    assert response.status_code == 302
    assert "Nothing assigned" in text(client.get("/training/assignments"))
    assert "Cancelled by" in text(client.get(url))
    with app.app_context():
        kept = db.session.get(Assignment, assignment.id)
        assert (kept.due_on, kept.note) == (dt.date(2099, 3, 15), "After launch")
        assert kept.cancel_reason == "Covered by the new curriculum"
    login_as(org["rep"])
    page = text(client.get("/training/"))
    assert "Covered by the new curriculum" in page
    assert "Nothing due." in page


# --- notices ----------------------------------------------------------------------------------


def test_notices_are_raised_once_listed_read_and_mailed_by_preference(
    app, client, org, login_as, seed, runner, monkeypatch
):
    today = dt.date.today()
    with seed():
        assignment_operations.assign(
            assignment_operations.AssignmentInput(
                due_on=today + dt.timedelta(days=1), scenario_key="small"
            ),
            rep=org["rep"], by=org["sup"], today=today,
        )  # fmt: skip
        play(org["rep2"], [0, 0])
        refund = authority_queries.get_authority_by_code("refund")
        request = make_request(org["rep2"], refund)
        authority_operations.decline_signoff(
            request, by=org["sup"], reason="Shadow a senior first."
        )
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    # Rita does not want "due soon" by e-mail.
    login_as(org["rep"])
    response = post_form(
        client, "/training/notices/settings", {"by_email": ["overdue"]},
        token_from="/training/notices",
    )  # fmt: skip
    assert response.status_code == 302
    result = runner.invoke(args=["notices", "send"])
    assert result.exit_code == 0, result.output
    assert "2 new notices; 1 digest e-mailed." in result.output
    assert [m["To"] for m in sent] == [org["rep2"].email]
    assert "declined: Shadow a senior first." in sent[0].get_content()
    again = runner.invoke(args=["notices", "send"])
    assert "0 new notices; 0 digests e-mailed." in again.output
    page = text(client.get("/training/notices"))
    assert "1 unread notice" in page
    assert "A small scenario is due tomorrow" in page
    post_form(client, "/training/notices/read", {}, token_from="/training/notices")
    assert "All read" in text(client.get("/training/notices"))
    login_as(org["rep2"])  # each sees only their own
    page = text(client.get("/training/notices"))
    assert "A small scenario is due" not in page
    assert "Your sign-off for Refund was declined" in page
