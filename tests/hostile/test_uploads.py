"""Every upload form refuses a file over the size limit politely, and writes nothing.

The limit (``MAX_CONTENT_LENGTH``, 64 MB in production) is lowered to 32 KB here so the
test sends little. The answer is our 413 page (or, for the upload script, a 413 it can
tell apart); no candidate, ticket, import record or plan is added. A file the parser
cannot use is a form error, never a 500.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from incentives.scoring.models import IncentivePlan
from incentives.tickets.models import Ticket, TicketImport
from recruiting.models import Candidate
from tests.factories import make_user
from tests.helpers import csrf_token, text
from tests.recruiting.factories import make_opening

LIMIT = 32 * 1024
ROWS = "name,email\n" + "".join(f"Person {n},p{n}@example.com\n" for n in range(2000))
TICKETS = "ticket_id,channel,created_at\n" + "".join(
    f"T-{n},email,2024-03-01T08:00:00Z\n" for n in range(2000)
)


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", LIMIT)


@pytest.fixture
def admin(seed):
    with seed():
        user = make_user(Role.ADMIN, Role.HIRING_MANAGER, name="Upload Admin")
        opening = make_opening(user, title="Upload opening")
    return user, opening.id


def _counts(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Candidate, Ticket, TicketImport, IncentivePlan)
        )


def _uploads(opening_id: int) -> list[tuple[str, dict[str, Any]]]:
    big_csv = ROWS.encode()
    assert len(big_csv) > LIMIT
    return [
        (
            f"/recruiting/openings/{opening_id}/import",
            {"file": (io.BytesIO(big_csv), "candidates.csv")},
        ),
        (
            "/incentives/imports/new",
            {
                "file_format": "frontline",
                "file": (io.BytesIO(TICKETS.encode()), "tickets.csv"),
            },
        ),
        (
            "/incentives/imports/new",
            {
                "file_format": "mapped",
                "file": (io.BytesIO(b"a,b\n1,2\n"), "tickets.csv"),
                "mapping": (io.BytesIO(b"#" * (LIMIT + 1)), "mapping.yaml"),
            },
        ),
        (
            "/incentives/plans/import",
            {"file": (io.BytesIO(b"name: x\n" + b"#" * LIMIT), "plan.yaml")},
        ),
        (
            "/incentives/agents/upload",
            {"file": (io.BytesIO(b"agent,rep_email\n" + b"#" * LIMIT), "agents.csv")},
        ),
    ]


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("ajax", [False, True], ids=["form", "upload script"])
def test_a_file_over_the_limit_is_refused_politely_and_nothing_is_written(
    app: Flask, client: FlaskClient, login_as: Any, admin: Any, ajax: bool
) -> None:
    user, opening_id = admin
    login_as(user)
    before = _counts(app)
    for url, files in _uploads(opening_id):
        headers = {"X-CSRFToken": csrf_token(client, "/")}
        if ajax:
            headers["X-Requested-With"] = "XMLHttpRequest"
        response = client.post(
            url, data=files, headers=headers, content_type="multipart/form-data"
        )
        assert response.status_code == 413, (url, response.status_code)
        body = text(response)
        assert "That file is too large" in body, url
        assert "Traceback" not in body
    assert _counts(app) == before


def test_files_just_under_the_limit_are_read(
    app: Flask, client: FlaskClient, login_as: Any, admin: Any, monkeypatch
) -> None:
    """The same forms with the limit above the files: the limit is what refused them."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    user, opening_id = admin
    login_as(user)
    url, files = _uploads(opening_id)[0]
    response = client.post(
        url,
        data={**files, "csrf_token": csrf_token(client, url)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Candidate)) == 2000


@pytest.mark.parametrize(
    "content",
    [
        b"name: Broken\ncurrency: 2024-13-45\n",
        b"[" * 1000,
        b"\xff\xfe\x00n\x00a\x00m\x00e",
        b"name: !!python/object/apply:os.system [echo hi]\n",
    ],
    ids=["impossible date", "deep nesting", "utf-16", "python tag"],
)
def test_a_plan_file_that_is_not_a_plan_is_a_form_error(
    app: Flask, client: FlaskClient, login_as: Any, admin: Any, content: bytes
) -> None:
    login_as(admin[0])
    before = _counts(app)
    url = "/incentives/plans/import"
    response = client.post(
        url,
        data={
            "file": (io.BytesIO(content), "plan.yaml"),
            "csrf_token": csrf_token(client, url),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 400)
    assert "not valid YAML" in text(response) or "A plan is" in text(response)
    assert _counts(app) == before
