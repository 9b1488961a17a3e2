"""Blind review as an invariant: every recruiting page, form, export and API answer, and
the dashboard and audit trail, for blind candidates at every stage, seen by reviewers who
have not rated (a hiring manager, an admin), by leadership and by API tokens. None of them
may carry a candidate's name, e-mail, phone, source or notes, nor free text naming them.

The routes are read from the app's URL map, so a new recruiting route without a way to
reach it here fails :func:`test_every_recruiting_route_is_walked`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.access import Role
from core.db import db
from recruiting import invitation_operations, operations, review_operations
from recruiting.assessment import COMPETENCIES
from recruiting.models import Candidate, CandidateReveal, Invitation, RevealReason
from recruiting.pipeline import Recommendation, Stage
from tests.factories import make_api_token, make_team, make_user
from tests.helpers import csrf_token, post_form, text
from tests.recruiting.factories import answer_all, make_opening

SURNAME = "Quintessa"
#: Everything that would tell who a candidate is (compared case-insensitively).
IDENTIFYING = (SURNAME, "quirkfair", "quirknote", "7700 900")
FIRST_NAMES = {
    Stage.APPLIED: "Aurelio",
    Stage.SCREENING: "Berenike",
    Stage.ASSESSED: "Cosima",
    Stage.INTERVIEW: "Desmond",
    Stage.OFFER: "Eulalie",
    Stage.REJECTED: "Fennimore",
    Stage.WITHDRAWN: "Griselda",
}
#: Public pages: the candidate's own test, reached by the token in their link.
PUBLIC = {
    "recruiting.take",
    "recruiting.take_start",
    "recruiting.take_answer",
    "recruiting.take_submit",
}


@dataclass
class World:
    opening: int
    assessment: int
    candidates: dict[Stage, int]
    invitations: list[int]
    viewers: dict[str, object]
    tokens: dict[str, str]
    team: int
    other: object = None
    visited: set[str] = field(default_factory=set)


def _leaks(body: str) -> list[str]:
    lowered = body.lower()
    words = [*IDENTIFYING, *FIRST_NAMES.values()]
    return [word for word in words if word.lower() in lowered]


@pytest.fixture(scope="module")
def world(module_seed) -> World:
    """A blind opening with a candidate at each stage, moved, rated and interviewed by
    another manager who wrote their name into every free-text field there is. Built once
    for the module; each test runs in a savepoint of it (tests/conftest.py)."""
    with module_seed():
        other = make_user(Role.HIRING_MANAGER, name="Olwen Other")
        team = make_team("Phone team")
        opening = make_opening(other, team=team, title="Blind phone rep", blind=True)
        candidates: dict[Stage, int] = {}
        invitations: list[int] = []
        for index, (stage, first) in enumerate(FIRST_NAMES.items()):
            name = f"{first} {SURNAME}"
            candidate = operations.add_candidate(
                opening,
                operations.CandidateInput(
                    name=name,
                    email=f"{first.lower()}.{SURNAME.lower()}@example.org",
                    phone=f"+44 7700 900{index:03d}",
                    source="Quirkfair careers day",
                    notes=f"Quirknote: {first} knows our head of support.",
                ),
                by=other,
            )
            if stage is not Stage.APPLIED:
                operations.move_candidate(
                    candidate,
                    Stage.SCREENING,
                    f"{first} rang to say the CV was out of date",
                    by=other,
                )
            if stage in (Stage.SCREENING, Stage.APPLIED):
                invitation, _ = invitation_operations.create_invitation(
                    candidate, by=other
                )
                invitations.append(invitation.id)
            elif stage is not Stage.WITHDRAWN:
                answer_all(candidate, other)
                review_operations.rate_result(
                    candidate, by=other, rating=4, note=f"{name} reasons well."
                )
            if stage in (Stage.INTERVIEW, Stage.OFFER):
                operations.move_candidate(candidate, Stage.INTERVIEW, "", by=other)
                review_operations.submit_scorecard(
                    candidate,
                    by=other,
                    ratings=dict.fromkeys(COMPETENCIES, 4),
                    recommendation=Recommendation.HIRE,
                    notes=f"Met {first} on a video call; {SURNAME} is calm.",
                )
            if stage is Stage.OFFER:
                operations.move_candidate(candidate, Stage.OFFER, "", by=other)
            if stage in (Stage.REJECTED, Stage.WITHDRAWN):
                operations.move_candidate(
                    candidate, stage, f"{first} {SURNAME} took another job", by=other
                )
            invitations += [
                i.id
                for i in db.session.scalars(
                    select(Invitation).where(Invitation.candidate_id == candidate.id)
                )
                if i.id not in invitations
            ]
            candidates[stage] = candidate.id
        viewers = {
            "hiring manager": make_user(Role.HIRING_MANAGER, name="Hugo Unrated"),
            "admin": make_user(Role.ADMIN, name="Ada Unrated"),
            "leadership": make_user(Role.LEADERSHIP, name="Lena Leader"),
        }
        tokens = {
            "hiring manager": make_api_token(Role.HIRING_MANAGER),
            "leadership": make_api_token(Role.LEADERSHIP),
            "admin": make_api_token(Role.ADMIN),
        }
        return World(
            opening=opening.id,
            assessment=opening.assessment_id,
            candidates=candidates,
            invitations=invitations,
            viewers=viewers,
            tokens=tokens,
            team=team.id,
            other=other,
        )


def _values(world: World, argument: str) -> list[int]:
    return {
        "candidate_id": list(world.candidates.values()),
        "opening_id": [world.opening],
        "invitation_id": world.invitations,
        "assessment_id": [world.assessment],
    }[argument]


def _urls(app: Flask, world: World, prefixes: tuple[str, ...]) -> Iterator[tuple]:
    """(endpoint, method, url) for every route under ``prefixes``, each argument filled
    with every record it can name."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(prefixes) or rule.endpoint in PUBLIC:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        arguments = sorted(rule.arguments)
        combos: list[dict[str, int]] = [{}]
        for argument in arguments:
            combos = [
                {**combo, argument: value}
                for combo in combos
                for value in _values(world, argument)
            ]
        for combo in combos:
            path = rule.build(combo, append_unknown=False)[1]
            for method in methods:
                yield rule.endpoint, method, path


#: Forms as a reviewer would send them: each one a way someone could try to read a
#: candidate (a move to interview, a hire, an export, a new link...).
def _form(world: World, endpoint: str) -> dict[str, str]:
    return {
        "recruiting.candidate_move": {"to_stage": "interview", "reason": "why not"},
        "recruiting.candidate_invite": {"days": "7", "replace": "y"},
        "recruiting.candidate_hire": {"team_id": str(world.team)},
        "recruiting.candidate_edit": {"name": "Changed", "email": "x@example.org"},
        "recruiting.candidate_scorecard": {
            **{c.value: "3" for c in COMPETENCIES},
            "recommendation": "hire",
        },
        "recruiting.candidate_erase": {},
        "recruiting.opening_status": {"status": "open"},
    }.get(endpoint, {})


#: What a reviewer may post that shows them the candidate on purpose (rating the test,
#: choosing to see the details), or that changes other records; walked apart.
SKIPPED_POSTS = {
    "recruiting.candidate_rate",
    "recruiting.candidate_reveal",
    "recruiting.candidate_create",
    "recruiting.candidate_import",
    "recruiting.opening_create",
    "recruiting.opening_edit",
}


def _walk(client: FlaskClient, world: World, app: Flask) -> list[tuple[str, str]]:
    leaks = []
    for endpoint, method, url in _urls(app, world, ("recruiting.",)):
        world.visited.add(endpoint)
        if method == "GET":
            response = client.get(url, follow_redirects=True)
        elif endpoint in SKIPPED_POSTS:
            continue
        else:
            response = client.post(
                url,
                data={"csrf_token": csrf_token(client, "/"), **_form(world, endpoint)},
                follow_redirects=True,
            )
        assert response.status_code < 500, (url, response.status_code)
        found = _leaks(text(response))
        if found:
            leaks.append((f"{method} {url}", ", ".join(found)))
    for url in ("/", "/admin/audit", "/admin/audit?action=recruiting.candidate.create"):
        found = _leaks(text(client.get(url, follow_redirects=True)))
        if found:
            leaks.append((f"GET {url}", ", ".join(found)))
    return leaks


@pytest.mark.parametrize("who", ["hiring manager", "admin", "leadership"])
def test_no_recruiting_page_names_a_blind_candidate_to_who_has_not_rated(
    app, client, login_as, world, who
) -> None:
    login_as(world.viewers[who])
    assert _walk(client, world, app) == []


def test_every_recruiting_route_is_walked(app, client, login_as, world) -> None:
    login_as(world.viewers["hiring manager"])
    _walk(client, world, app)
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("recruiting.")
    }
    assert endpoints - PUBLIC - world.visited == set()


def test_the_api_names_no_blind_candidate_to_a_token(app, client, world) -> None:
    for who, secret in world.tokens.items():
        headers = {"Authorization": f"Bearer {secret}"}
        listed = client.get(
            f"/api/v1/candidates?opening={world.opening}&per_page=200", headers=headers
        )
        assert listed.status_code == 200, who
        assert _leaks(text(listed)) == [], who
        assert all(c["identity_hidden"] for c in listed.json["candidates"]), who
        assert _leaks(text(client.get("/api/v1/openings", headers=headers))) == []
    writer = {"Authorization": f"Bearer {world.tokens['hiring manager']}"}
    # Posting an e-mail already on file answers with the record, still unnamed.
    again = client.post(
        "/api/v1/candidates",
        headers=writer,
        json={
            "opening_id": world.opening,
            "name": "Someone Else",
            "email": f"cosima.{SURNAME.lower()}@example.org",
        },
    )
    assert again.status_code == 200
    assert again.json["id"] == world.candidates[Stage.ASSESSED]
    assert again.json["name"] is None
    assert again.json["email"] is None
    # The call that adds a candidate gets back what it sent, once.
    added = client.post(
        "/api/v1/candidates",
        headers=writer,
        json={
            "opening_id": world.opening,
            "name": "Hiroshi Newcomer",
            "email": "hiroshi@example.org",
        },
    )
    assert added.status_code == 201
    assert added.json["name"] == "Hiroshi Newcomer"
    listed = client.get(f"/api/v1/candidates?opening={world.opening}", headers=writer)
    assert "Hiroshi" not in text(listed)


def test_a_reviewer_sees_a_candidate_once_they_have_rated(
    app, client, login_as, world
) -> None:
    """The other side of the invariant: the walk would find the name if it showed."""
    hugo = world.viewers["hiring manager"]
    cosima = world.candidates[Stage.ASSESSED]
    url = f"/recruiting/candidates/{cosima}"
    login_as(hugo)
    assert (
        post_form(client, url + "/rating", {"rating": "3"}, token_from=url).status_code
        == 302
    )
    page = text(client.get(url))
    assert f"Cosima {SURNAME}" in page
    assert "cosima.quintessa@example.org" in page
    assert "Quirknote" in page
    assert "Cosima rang to say the CV was out of date" in page
    assert f"Cosima {SURNAME} reasons well." in page
    # Only Cosima shows; every other candidate stays hidden.
    leaks = _walk(client, world, app)
    assert leaks
    others = set(FIRST_NAMES.values()) - {"Cosima"}
    assert [
        (where, found) for where, found in leaks if set(found.split(", ")) & others
    ] == []


def test_free_text_naming_a_hidden_candidate_is_withheld(
    client, login_as, world
) -> None:
    login_as(world.viewers["leadership"])  # reads ratings and scorecards without rating
    page = text(client.get(f"/recruiting/candidates/{world.candidates[Stage.OFFER]}"))
    assert "[withheld] reasons well." in page
    assert "Met [withheld] on a video call; [withheld] is calm." in page
    assert "[withheld] rang to say the CV was out of date" in page
    rejected = text(
        client.get(f"/recruiting/candidates/{world.candidates[Stage.REJECTED]}")
    )
    assert "[withheld] took another job" in rejected


def test_moving_a_blind_candidate_to_interview_needs_the_mover_s_rating(
    app, client, login_as, world
) -> None:
    hugo = world.viewers["hiring manager"]
    cosima = world.candidates[Stage.ASSESSED]
    url = f"/recruiting/candidates/{cosima}"
    login_as(hugo)
    page = text(client.get(url))
    assert '<option value="interview"' not in page
    assert (
        "Blind review: rate the test result before you move them to interview." in page
    )
    refused = post_form(
        client, url + "/move", {"to_stage": "interview"}, token_from=url
    )
    assert refused.status_code == 400
    assert "rate the test result before you move them to interview" in text(refused)
    with app.app_context():
        assert db.session.get(Candidate, cosima).stage is Stage.ASSESSED
    post_form(client, url + "/rating", {"rating": "4"}, token_from=url)
    moved = post_form(client, url + "/move", {"to_stage": "interview"}, token_from=url)
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.get(Candidate, cosima).stage is Stage.INTERVIEW


def test_hiring_a_blind_candidate_needs_the_hirer_s_rating(
    app, client, login_as, world
) -> None:
    eulalie = world.candidates[Stage.OFFER]
    url = f"/recruiting/candidates/{eulalie}/hire"
    login_as(world.viewers["hiring manager"])
    page = client.get(url)
    assert page.status_code == 302
    refused = post_form(client, url, {"team_id": str(world.team)}, token_from="/")
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(Candidate, eulalie).stage is Stage.OFFER
    login_as(world.other)  # rated and interviewed
    hired = post_form(client, url, {"team_id": str(world.team)}, token_from=url)
    assert hired.headers["Location"].endswith("/hired")
    # Hired: a colleague now, named everywhere, to the reviewers who never rated too.
    login_as(world.viewers["hiring manager"])
    assert f"Eulalie {SURNAME}" in text(client.get(f"/recruiting/candidates/{eulalie}"))


def test_the_adder_sees_what_they_typed_on_the_confirmation_only(
    app, client, login_as, world
) -> None:
    hugo = world.viewers["hiring manager"]
    login_as(hugo)
    response = post_form(
        client,
        "/recruiting/candidates/new",
        {
            "opening_id": str(world.opening),
            "name": "Ingrid Typed",
            "email": "ingrid.typed@example.org",
        },
        token_from="/recruiting/candidates/new",
    )
    assert response.status_code == 302
    # Not to the candidate's page: that would tie the number to the name.
    assert response.headers["Location"].endswith(f"/openings/{world.opening}/board")
    confirmation = text(client.get(response.headers["Location"]))
    assert "Added Ingrid Typed to Blind phone rep." in confirmation
    with app.app_context():
        added = db.session.scalar(
            select(Candidate.id).where(Candidate.email == "ingrid.typed@example.org")
        )
    later = text(client.get(f"/recruiting/candidates/{added}"))
    assert "Ingrid" not in later
    assert f"Candidate #{added}" in later


def test_seeing_the_details_first_is_recorded_and_shown(
    app, client, login_as, world
) -> None:
    hugo = world.viewers["hiring manager"]
    berenike = world.candidates[Stage.SCREENING]
    url = f"/recruiting/candidates/{berenike}"
    login_as(hugo)
    assert "Berenike" not in text(client.get(url))
    response = post_form(
        client, url + "/reveal", {"reason": "send_link"}, token_from=url
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert f"Berenike {SURNAME}" in page
    assert "berenike.quintessa@example.org" in page
    assert "Saw the details before rating: Hugo Unrated" in page
    assert "to send the test link by hand" in page
    with app.app_context():
        reveals = db.session.scalars(select(CandidateReveal)).all()
        assert [(r.candidate_id, r.reason) for r in reveals] == [
            (berenike, RevealReason.SEND_LINK)
        ]
        # Asking twice records nothing more.
    post_form(client, url + "/reveal", {"reason": "contact"}, token_from=url)
    with app.app_context():
        assert len(db.session.scalars(select(CandidateReveal)).all()) == 1
    # Others still review blind.
    login_as(world.viewers["admin"])
    assert "Berenike" not in text(client.get(url))


def test_an_export_follows_what_the_exporter_may_see(
    app, client, login_as, world, seed
) -> None:
    desmond = world.candidates[Stage.INTERVIEW]
    url = f"/recruiting/candidates/{desmond}"
    login_as(world.viewers["hiring manager"])
    refused = post_form(client, url + "/export", token_from=url)
    assert refused.status_code == 302
    assert "Blind review" in text(client.get(refused.headers["Location"]))
    # Once rated: the details, but not the other interviewer's scorecard before one's own.
    post_form(client, url + "/rating", {"rating": "2"}, token_from=url)
    export = post_form(client, url + "/export", token_from=url).json
    assert export["candidate"]["name"] == f"Desmond {SURNAME}"
    assert export["interview_scorecards"] == []
    assert export["interview_scorecards_withheld"] == 1
    assert {r["rating"] for r in export["result_ratings"]} == {2, 4}
    levels = {c.value: "3" for c in COMPETENCIES}
    post_form(
        client,
        url + "/scorecard",
        {**levels, "recommendation": "no_hire"},
        token_from=url + "/scorecard",
    )
    export = post_form(client, url + "/export", token_from=url).json
    assert len(export["interview_scorecards"]) == 2
    assert export["interview_scorecards_withheld"] == 0


def test_a_possible_duplicate_does_not_tie_a_blind_candidate_to_a_named_one(
    app, client, login_as, world, seed
) -> None:
    cosima = world.candidates[Stage.ASSESSED]
    with seed():
        open_opening = make_opening(world.other, title="Open chat rep")
        named = operations.add_candidate(
            open_opening,
            operations.CandidateInput(
                name="Kit Named", email=f"cosima.{SURNAME.lower()}@example.org"
            ),
            by=world.other,
        )
        named_id, open_id = named.id, open_opening.id
        assert named.duplicate_of_id == cosima
    link_to_cosima = f'href="/recruiting/candidates/{cosima}"'
    link_to_named = f'href="/recruiting/candidates/{named_id}"'
    login_as(world.viewers["hiring manager"])
    assert link_to_cosima not in text(client.get(f"/recruiting/candidates/{named_id}"))
    for url in (
        f"/recruiting/openings/{open_id}/board",
        "/recruiting/candidates",
        "/recruiting/candidates?q=kit",
    ):
        page = text(client.get(url))
        assert f"Possible duplicate of Candidate #{cosima}" not in page, url
    assert link_to_named not in text(client.get(f"/recruiting/candidates/{cosima}"))
    pairs = text(client.get("/recruiting/candidates?duplicates=y"))
    assert link_to_named not in pairs
    assert link_to_cosima not in pairs
    token = {"Authorization": f"Bearer {world.tokens['hiring manager']}"}
    listed = client.get(f"/api/v1/candidates?opening={open_id}", headers=token).json
    assert [c["duplicate_of"] for c in listed["candidates"]] == [None]
    # Once the reviewer has rated the blind one, the pair is theirs to see.
    url = f"/recruiting/candidates/{cosima}"
    post_form(client, url + "/rating", {"rating": "3"}, token_from=url)
    assert link_to_cosima in text(client.get(f"/recruiting/candidates/{named_id}"))
    assert f"Possible duplicate of Candidate #{cosima}" in text(
        client.get("/recruiting/candidates?q=kit")
    )
    assert link_to_named in text(client.get("/recruiting/candidates?duplicates=y"))
