"""Drafting a column mapping on the import page: an export in, its mapping as a download,
the same text as ``tickets mapping suggest``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.access import Role
from incentives.tickets.mapping import load_mapping
from incentives.tickets.mapping_suggest import suggest
from tests.factories import make_user
from tests.helpers import csrf_token, text

EXPORTS = Path(__file__).parent / "data" / "exports"
PAGE = "/incentives/imports/new"
DRAFT = "/incentives/imports/mapping-draft"


@pytest.fixture
def admin(seed):
    with seed():
        return make_user(Role.ADMIN, name="Ada Admin")


def draft(client, data: bytes, name: str = "export.csv"):
    return client.post(
        DRAFT,
        data={
            "csrf_token": csrf_token(client, PAGE),
            "file": (io.BytesIO(data), name),
        },
    )


def test_the_import_page_offers_a_draft_and_downloads_the_suggested_mapping(
    admin, login_as
) -> None:
    client = login_as(admin)
    page = text(client.get(PAGE))
    assert "draft one from your export below" in page
    assert "Draft a mapping" in page
    data = (EXPORTS / "servicenow_event_log.csv").read_bytes()
    response = draft(client, data, "incidents.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/yaml"
    assert 'filename="mapping.yaml"' in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body == suggest(data)
    assert load_mapping(body.replace("source: mytool", "source: itdesk"))


def test_a_file_without_a_header_is_told_on_the_page(admin, login_as) -> None:
    client = login_as(admin)
    response = draft(client, b"\n\n", "blank.csv")
    assert response.status_code == 400
    assert "blank.csv: the file&#39;s first line is blank" in text(response)


def test_no_file_is_asked_for(admin, login_as) -> None:
    client = login_as(admin)
    response = client.post(DRAFT, data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 400
    assert "Choose the export to draft a mapping from." in text(response)


def test_each_file_field_on_the_import_page_has_its_own_label(admin, login_as) -> None:
    """Two forms share the page: each label must point at its own file field."""
    client = login_as(admin)
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('id="file"') == 1
    assert page.count('id="draft-file"') == 1
    assert '<label for="draft-file">Export to draft a mapping from (CSV)' in page
    response = draft(client, b"\n\n", "blank.csv")
    body = response.get_data(as_text=True)
    assert 'action="/incentives/imports/mapping-draft#mapping-draft"' in body
    assert 'aria-describedby="draft-file-help"' in body
