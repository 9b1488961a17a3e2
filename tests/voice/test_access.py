"""The voice pages' record checks, beside the roles the access matrix checks: a reporter
edits only their own open report, a "+1" goes on someone else's, only a department's
members move its reports, and its figures are for oversight and its members."""

from __future__ import annotations

import pytest

from tests.helpers import post_form
from tests.voice.factories import make_voice_world, report
from voice import operations


@pytest.fixture
def world(seed):  # type: ignore[no-untyped-def]
    with seed():
        w = make_voice_world()
        w.report_id = report(w.logistics, w.rep).id
        closed = report(w.logistics, w.rep)
        operations.move_problem(closed, "wont_fix", reason="No.", by=w.owner)
        w.closed_id = closed.id
    return w


#: (who, method, path, form, status): a person failing the record check gets 403.
CASES = [
    # Editing: only the reporter, only while open.
    ("rep", "GET", "/voice/problems/{report_id}/edit", None, 200),
    ("other_rep", "GET", "/voice/problems/{report_id}/edit", None, 403),
    ("supervisor", "GET", "/voice/problems/{report_id}/edit", None, 403),
    ("rep", "GET", "/voice/problems/{closed_id}/edit", None, 403),
    # A +1: someone else's open report.
    ("other_rep", "POST", "/voice/problems/{report_id}/support", {"tickets": "1"}, 302),
    (
        "supervisor",
        "POST",
        "/voice/problems/{report_id}/support",
        {"tickets": "1"},
        302,
    ),
    ("rep", "POST", "/voice/problems/{report_id}/support", {"tickets": "1"}, 403),
    ("other_rep", "POST", "/voice/problems/{closed_id}/support", {"tickets": "1"}, 403),
    # Moves: the department's owner and deputies, nobody else.
    (
        "deputy",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        302,
    ),
    (
        "owner",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        302,
    ),
    (
        "billing_owner",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        403,
    ),
    (
        "leader",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        403,
    ),
    (
        "admin",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        403,
    ),
    (
        "rep",
        "POST",
        "/voice/problems/{report_id}/status",
        {"status": "acknowledged"},
        403,
    ),
    # A department's figures: oversight roles and its own members.
    ("owner", "GET", "/voice/departments/{logistics}/reaction", None, 200),
    ("billing_owner", "GET", "/voice/departments/{logistics}/reaction", None, 403),
    ("billing_owner", "GET", "/voice/departments/{billing}/reaction", None, 200),
    ("rep", "GET", "/voice/departments/{logistics}/reaction", None, 403),
    ("supervisor", "GET", "/voice/departments/{logistics}/reaction", None, 200),
    ("leader", "GET", "/voice/departments/{logistics}/reaction", None, 200),
    # Everyone reads every report, whoever filed it.
    ("other_rep", "GET", "/voice/problems/{report_id}", None, 200),
    ("billing_owner", "GET", "/voice/problems/{closed_id}", None, 200),
]


@pytest.mark.parametrize(("who", "method", "path", "form", "status"), CASES)
def test_record_checks(
    world, client, login_as, who, method, path, form, status
) -> None:  # type: ignore[no-untyped-def]
    url = path.format(
        report_id=world.report_id,
        closed_id=world.closed_id,
        logistics=world.logistics.id,
        billing=world.billing.id,
    )
    login_as(getattr(world, who))
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, form, token_from="/voice/problems")
    assert response.status_code == status, (who, url, response.status_code)


def test_a_member_sees_move_buttons_and_others_do_not(world, client, login_as) -> None:
    url = f"/voice/problems/{world.report_id}"
    login_as(world.deputy)
    assert "Move it on" in client.get(url).get_data(as_text=True)
    login_as(world.leader)
    assert "Move it on" not in client.get(url).get_data(as_text=True)
