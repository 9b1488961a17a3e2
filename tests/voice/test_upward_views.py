"""The policy and idea pages: a change posted, commented on, voted on and decided beside
what was heard, with what to retrain for supervisors; an idea submitted, triaged and its
author told; bad input and record checks on the pages; the scorecard's recognition."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.access import Role
from core.db import db
from tests.factories import make_team, make_user
from tests.helpers import post_form, text
from tests.training.factories import load_small, play
from tests.voice.factories import make_voice_world
from voice import upward_operations as ops
from voice.ideas import IdeaStatus
from voice.models import Idea, PolicyReview
from voice.policies import Outcome, PolicyStatus


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world(seed):  # type: ignore[no-untyped-def]
    with seed():
        w = make_voice_world()
        load_small()
        play(w.rep, [0, 0])
        past = dt.date.today() - dt.timedelta(days=20)
        closed = ops.post_policy(
            ops.ProposalInput(
                "Photo proof first",
                "A photo of the damaged parcel before a replacement.",
                w.logistics.id,
                past + dt.timedelta(days=7),
            ),
            by=w.deputy,
            today=past,
        )
        ops.vote_policy(closed, "oppose", by=w.rep, today=past)
        ops.comment_policy(
            closed, "Older customers cannot send photos.", by=w.rep, today=past
        )
        w.closed_id = closed.id
        idea = ops.submit_idea(
            ops.IdeaInput("Tracking links in texts", "Fewer where-is-it chats."),
            by=w.rep,
        )
        w.idea_id = idea.id
        w.stranger_supervisor = make_user(Role.SUPERVISOR, name="Stranger Super")
        w.stranger_supervisor.supervised_teams = [make_team("Phone")]
    return w


def test_a_change_is_posted_commented_voted_and_bad_input_is_shown(
    app, world, client, login_as
) -> None:
    login_as(world.leader)
    bad = post_form(
        client,
        "/voice/policies/new",
        {"title": "", "change": " ", "department_id": "424242", "closes_on": ""},
    )
    assert bad.status_code == 400
    for message in (
        "Give the change a short title.",
        "Say what changes: the policy or procedure as it would be.",
        "Choose the department the change belongs to from the list.",
        "Give the date comments close.",
    ):
        assert message in text(bad)
    closes = dt.date.today() + dt.timedelta(days=10)
    posted = post_form(
        client,
        "/voice/policies/new",
        {
            "title": "Refunds only to the original card",
            "change": "Refunds go back to the card that paid.",
            "department_id": str(world.billing.id),
            "closes_on": closes.isoformat(),
        },
    )
    assert posted.status_code == 302, text(posted)
    url = posted.headers["Location"]
    login_as(world.rep)
    page = words(text(client.get(url)))
    assert "Open for comments" in page
    assert "0 support · 0 oppose · 0 concerned" in page
    assert "Record the decision" not in page
    empty = post_form(client, url + "/comment", {"body": " "}, token_from=url)
    assert empty.status_code == 400
    assert "Say how the change would affect customers." in text(empty)
    assert (
        post_form(
            client, url + "/comment", {"body": "Gift buyers lose out."}, token_from=url
        ).status_code
        == 302
    )
    voted = post_form(client, url + "/vote", {"vote": "oppose"}, token_from=url)
    assert voted.status_code == 302
    changed = post_form(client, url + "/vote", {"vote": "concerned"}, token_from=url)
    page = words(text(client.get(changed.headers["Location"])))
    assert "Your vote is now concerned." in page
    assert "0 support · 0 oppose · 1 concerned" in page
    assert "Gift buyers lose out." in page
    assert "1 comment" in page
    login_as(world.leader)
    early = post_form(
        client,
        url + "/decide",
        {"outcome": "adopted", "note": "Heard."},
        token_from=url + "/decide",
    )
    assert early.status_code == 400
    assert "adopt or amend it after they close" in text(early)


def test_the_decision_page_shows_what_was_heard_and_supervisors_see_who_to_retrain(
    app, world, client, login_as
) -> None:
    url = f"/voice/policies/{world.closed_id}"
    login_as(world.rep)
    page = words(text(client.get(url)))
    assert "Comments and votes closed on" in page
    assert client.get(url + "/decide").status_code == 403
    login_as(world.deputy)
    decide = words(text(client.get(url + "/decide")))
    assert "0 support · 1 oppose · 0 concerned" in decide
    assert "Older customers cannot send photos." in decide
    silent = post_form(
        client, url + "/decide", {"outcome": "adopted", "note": ""}, token_from=url
    )
    assert silent.status_code == 400
    assert "Say what was heard and what it changed" in text(silent)
    done = post_form(
        client,
        url + "/decide",
        {"outcome": "adopted", "note": "Photos optional by phone."},
        token_from=url,
    )
    assert done.status_code == 302
    again = post_form(
        client, url + "/decide", {"outcome": "dropped", "note": "No."}, token_from=url
    )
    assert again.status_code == 400
    linked = post_form(client, url + "/retrain", {"scenarios": "small"}, token_from=url)
    assert linked.status_code == 302
    with app.app_context():
        policy = db.session.get(PolicyReview, world.closed_id)
        assert (policy.status, policy.outcome) == (
            PolicyStatus.DECIDED,
            Outcome.ADOPTED,
        )
        assert [link.key for link in policy.links] == ["small"]
    login_as(world.supervisor)
    page = words(text(client.get(url)))
    assert "Scenarios it changes: A small scenario" in page
    assert "1 rep to retrain in your teams" in page
    assert "Ana Rep : passed A small scenario" in page
    dashboard = words(text(client.get("/")))
    assert "What to retrain" in dashboard
    assert "Retrain: A small scenario" in dashboard


def test_an_idea_is_triaged_and_its_author_told(
    app, world, client, login_as, monkeypatch
) -> None:
    sent = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(
        "core.mail.send",
        lambda config, messages: sent.extend(messages) or len(messages),
    )
    login_as(world.other_rep)
    bad = post_form(client, "/voice/ideas/new", {"title": "", "body": ""})
    assert bad.status_code == 400
    assert "Say what you would change and why it would help." in text(bad)
    made = post_form(
        client,
        "/voice/ideas/new",
        {"title": "Spare lids", "body": "Cheaper than kettles.", "department_id": "0"},
    )
    assert made.status_code == 302
    url = f"/voice/ideas/{world.idea_id}"
    login_as(world.supervisor)
    assert "Ideas to triage" in words(text(client.get("/")))
    refused = post_form(
        client, url + "/triage", {"status": "declined", "reason": ""}, token_from=url
    )
    assert refused.status_code == 400
    assert "Say why it is declined: the author reads the reason." in text(refused)
    declined = post_form(
        client,
        url + "/triage",
        {"status": "declined", "reason": "The texts cannot carry links yet."},
        token_from=url,
    )
    assert declined.status_code == 302
    assert "Ana Rep was told by e-mail." in words(text(client.get(url)))
    assert [(m["To"], m["Subject"]) for m in sent] == [
        ("ana@example.com", f"Your idea #{world.idea_id}: declined")
    ]
    out_of_order = post_form(
        client, url + "/triage", {"status": "adopted"}, token_from=url
    )
    assert out_of_order.status_code == 400
    assert "that decision is final" in text(out_of_order)
    login_as(world.rep)
    dashboard = words(text(client.get("/")))
    assert "Your ideas" in dashboard
    assert "Why: The texts cannot carry links yet." in dashboard
    with app.app_context():
        idea = db.session.get(Idea, world.idea_id)
        assert idea.status is IdeaStatus.DECLINED


@pytest.mark.parametrize(
    ("who", "method", "tail", "form", "status"),
    [
        ("rep", "GET", "/edit", None, 200),
        ("other_rep", "GET", "/edit", None, 403),
        ("supervisor", "GET", "/edit", None, 403),
        ("stranger_supervisor", "POST", "/triage", {"status": "planned"}, 403),
        ("supervisor", "POST", "/triage", {"status": "planned"}, 302),
        ("leader", "POST", "/triage", {"status": "planned"}, 302),
        ("owner", "POST", "/triage", {"status": "planned"}, 403),
    ],
)
def test_idea_record_checks(
    app, world, client, login_as, who, method, tail, form, status
) -> None:  # type: ignore[no-untyped-def]
    login_as(getattr(world, who))
    url = f"/voice/ideas/{world.idea_id}{tail}"
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, form, token_from="/voice/ideas")
    assert response.status_code == status


def test_policy_record_checks(app, world, client, login_as) -> None:
    url = f"/voice/policies/{world.closed_id}"
    for who, code in (("deputy", 200), ("rep", 403), ("leader", 403)):
        login_as(getattr(world, who))
        assert client.get(url + "/edit").status_code == code, who
    # Only the poster, leadership and admins link training.
    login_as(world.supervisor)
    assert (
        post_form(
            client, url + "/retrain", {"scenarios": "small"}, token_from=url
        ).status_code
        == 403
    )
    # A rep who is no department's member may not post a change at all.
    login_as(world.rep)
    assert client.get("/voice/policies/new").status_code == 403
    assert "Post a change" not in text(client.get("/voice/policies"))


def test_the_menu_and_tabs_lead_to_policies_and_ideas(world, client, login_as) -> None:
    login_as(world.rep)
    page = text(client.get("/voice/ideas"))
    assert ">Voice<" in page
    for tab in ("Problems", "Policies", "Ideas", "Who to reach"):
        assert f">{tab}</a>" in page
    assert "Tracking links in texts" in page
    assert "Photo proof first" in text(client.get("/voice/policies"))


def test_the_scorecard_credits_the_ideas_adopted_in_its_month(
    app, world, client, login_as
) -> None:
    with app.app_context():
        idea = db.session.get(Idea, world.idea_id)
        ops.triage_idea(
            idea,
            "adopted",
            "Live.",
            by=db.session.get(type(world.leader), world.leader.id),
            at=dt.datetime(2026, 11, 12, 10, tzinfo=dt.UTC),
        )
        db.session.commit()
    login_as(world.rep)
    base = f"/incentives/scorecards/reps/{world.rep.id}"
    november = words(text(client.get(base + "?month=2026-11")))
    assert "Ideas adopted" in november
    assert "Tracking links in texts, adopted 12 Nov 2026" in november
    assert "Ideas adopted" not in words(text(client.get(base + "?month=2026-10")))
    with app.app_context():
        assert db.session.scalars(select(Idea.status)).all() == [IdeaStatus.ADOPTED]


def test_the_leadership_pack_tells_the_months_policy_changes_and_ideas(
    app, world, client, login_as
) -> None:
    november = dt.datetime(2026, 11, 12, 10, tzinfo=dt.UTC)
    with app.app_context():
        leader = db.session.get(type(world.leader), world.leader.id)
        ops.decide_policy(
            db.session.get(PolicyReview, world.closed_id),
            "dropped",
            "Too many customers cannot send photos.",
            by=leader,
            at=november,
        )
        ops.triage_idea(
            db.session.get(Idea, world.idea_id), "adopted", "Live.", by=leader,
            at=november,
        )  # fmt: skip
        db.session.commit()
    login_as(world.leader)
    pack = words(text(client.get("/incentives/scorecards/leadership?month=2026-11")))
    assert "Policy changes decided" in pack
    assert (
        "Photo proof first · Logistics: Dropped after 1 comment; 0 for, 1 against, "
        "0 concerned"
    ) in pack
    assert "1 idea adopted, 0 planned, 0 declined in November 2026." in pack
    assert "Tracking links in texts · Ana Rep: Adopted" in pack
    october = words(text(client.get("/incentives/scorecards/leadership?month=2026-10")))
    assert "No policy change was decided in October 2026." in october
    assert "No idea was triaged in October 2026." in october
