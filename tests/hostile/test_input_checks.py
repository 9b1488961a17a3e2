"""Requests carrying a NUL character are refused with a 400 that says why, never a 500.

PostgreSQL cannot store NUL in text; without the check, a name with one in it fails inside
the database driver. Run on PostgreSQL too (``FRONTLINE_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from core.people import Team
from tests.factories import make_api_token, make_team, make_user
from tests.helpers import post_form, text


@pytest.fixture
def admin(seed):
    with seed():
        user = make_user(Role.ADMIN, name="Nul Admin")
    return user


def _teams() -> int:
    return db.session.scalar(select(func.count()).select_from(Team))


def test_a_form_field_with_nul_is_refused_and_nothing_is_saved(
    app, client, login_as, admin
) -> None:
    login_as(admin)
    with app.app_context():
        before = _teams()
    response = post_form(
        client,
        "/admin/teams/new",
        {"name": "Night\x00shift", "description": ""},
        token_from="/admin/teams/new",
    )
    assert response.status_code == 400
    assert "NUL character" in text(response)
    with app.app_context():
        assert _teams() == before


def test_the_same_form_without_nul_is_saved(app, client, login_as, admin) -> None:
    login_as(admin)
    response = post_form(
        client,
        "/admin/teams/new",
        {"name": "Night shift", "description": ""},
        token_from="/admin/teams/new",
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/recruiting/candidates?q=ab%00c", "/admin/users?q=%00", "/admin/audit?x=%00"],
)
def test_a_query_string_with_nul_is_refused(client, login_as, admin, url: str) -> None:
    login_as(admin)
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in text(response)


def test_api_values_and_paths_with_nul_are_refused_as_json(app, client, seed) -> None:
    with seed():
        admin_token = make_api_token(Role.ADMIN, name="nul admin")
        supervisor_token = make_api_token(Role.SUPERVISOR, name="nul supervisor")
    response = client.post(
        "/api/v1/candidates",
        json={"opening_id": 1, "name": "A\x00", "email": "a@example.com"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 400
    assert "NUL character" in response.get_json()["error"]["message"]
    response = client.get(
        "/api/v1/reps/a%00b@example.com/authorities",
        headers={"Authorization": f"Bearer {supervisor_token}"},
    )
    assert response.status_code == 400
    assert response.is_json


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/users?team={HUGE}",
        f"/recruiting/candidates?page={HUGE}",
        "/recruiting/candidates?page=-3",
        f"/recruiting/candidates/new?opening={HUGE}",
        f"/recruiting/openings/1/compare?c={HUGE}&c=1",
        f"/training/authorities/refund/request?rep={HUGE}",
        f"/incentives/metrics?team={HUGE}",
        f"/incentives/metrics.csv?team={HUGE}",
        f"/incentives/unattributed?page={HUGE}",
        f"/incentives/imports/{HUGE}",
        f"/incentives/scorecards/reps/{HUGE}",
        f"/incentives/plans/1?version={HUGE}",
    ],
)
def test_numbers_out_of_range_in_a_page_address_never_give_a_500(
    client, login_as, seed, url: str
) -> None:
    with seed():
        user = make_user(
            Role.ADMIN, Role.HIRING_MANAGER, Role.SUPERVISOR, Role.LEADERSHIP
        )
    login_as(user)
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_a_coaching_form_naming_a_rep_id_out_of_range_is_refused(
    client, login_as, seed
) -> None:
    with seed():
        supervisor = make_user(Role.SUPERVISOR)
    login_as(supervisor)
    response = post_form(
        client,
        "/incentives/coaching",
        {"rep_id": HUGE, "scenario": "small", "month": "2024-03"},
        token_from="/",
    )
    assert response.status_code in (400, 404)


@pytest.fixture
def authority_world(seed):
    from tests.training.factories import load_small, make_authority, make_request, play

    with seed():
        admin = make_user(Role.ADMIN, name="Amount Admin")
        supervisor = make_user(Role.SUPERVISOR, name="Amount Supervisor")
        team = make_team("Amount team", supervisors=[supervisor])
        rep = make_user(Role.REP, name="Amount Rep", team=team)
        load_small()
        make_authority("refund", two_person_limit=None)
        play(rep, [0, 0])
        request = make_request(rep, make_authority("goodwill_credit", prerequisites=()))
    return {"admin": admin, "supervisor": supervisor, "rep": rep, "request": request.id}


AMOUNTS = ["NaN", "sNaN", "-Infinity", "1e15", "12345678901.5"]


@pytest.mark.parametrize("value", AMOUNTS)
@pytest.mark.parametrize(
    ("who", "url", "fields"),
    [
        (
            "admin",
            "/training/authorities/new",
            {
                "code": "amount_test",
                "name": "Amount",
                "unit": "USD",
                "validity_days": "365",
            },
        ),
        ("rep", "/training/authorities/refund/request", {}),
        ("supervisor", "/training/signoffs/{request}/approve", {}),
        ("admin", "/incentives/sla", {}),
    ],
    ids=["authority", "sign-off request", "sign-off approval", "sla targets"],
)
def test_amounts_no_column_can_hold_are_a_form_error_not_a_500(
    app, client, login_as, authority_world, who: str, url: str, fields: dict, value: str
) -> None:
    url = url.format(request=authority_world["request"])
    login_as(authority_world[who])
    form = client.get(url if "approve" not in url else url.rsplit("/", 1)[0])
    assert form.status_code == 200
    names = set(re.findall(r'name="([a-z_0-9]+)"', text(form)))
    data = {name: "1" for name in names if name.startswith("res_")}
    data |= {n: value for n in ("max_limit", "two_person_limit", "limit") if n in names}
    data |= {k: v for k, v in fields.items()}
    if "res_chat_normal" in names:
        data["res_chat_normal"] = value
    assert data, names
    response = post_form(client, url, data, token_from="/")
    assert response.status_code in (200, 400), response.status_code
    assert "10,000,000,000" in text(response) or "number" in text(response).lower()


def test_an_amount_out_of_range_shows_one_message_and_leaves_empty_fields_alone(
    client, login_as, authority_world
) -> None:
    login_as(authority_world["admin"])
    url = "/training/authorities/new"
    fields = {
        "code": "big_refund",
        "name": "Big",
        "unit": "USD",
        "validity_days": "365",
    }
    response = post_form(
        client,
        url,
        {**fields, "max_limit": "1e15", "two_person_limit": ""},
        token_from=url,
    )
    page = text(response)
    assert page.count("Enter a number below 10,000,000,000.") == 1
    assert "Not a valid decimal value" not in page
    assert "Number must be at least" not in page
    response = post_form(
        client,
        url,
        {**fields, "max_limit": "250", "two_person_limit": ""},
        token_from=url,
    )
    assert response.status_code == 302
