"""Incentives pages over HTTP: what each person sees, record checks, uploads and settings."""

from __future__ import annotations

import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.db import db
from core.settings import set_setting
from incentives.tickets import operations
from incentives.tickets.models import (
    Holiday,
    OpeningHours,
    SlaTargetSetting,
    Ticket,
    TicketAgent,
    TicketImport,
)
from tests.factories import make_team, make_user
from tests.helpers import csrf_token, post_form, text

DATA = Path(__file__).parent / "data"
MONTH = "2024-03"


@pytest.fixture
def org(seed):
    with seed():
        chat, phone = make_team("Chat"), make_team("Phone")
        ana = make_user(Role.REP, email="ana@example.com", name="Ana Rep", team=chat)
        bo = make_user(Role.REP, email="bo@example.com", name="Bo Rep", team=chat)
        cy = make_user(Role.REP, email="cy@example.com", name="Cy Rep", team=phone)
        sup = make_user(Role.SUPERVISOR, name="Sue Visor")
        chat.supervisors = [sup]
        admin = make_user(Role.ADMIN, name="Ada Admin")
        lead = make_user(Role.LEADERSHIP, name="Lee Lead")
        hiring = make_user(Role.HIRING_MANAGER, name="Hal Hiring")
        operations.import_ticket_records(
            [
                _ticket("A-1", "ana@example.com", csat="good"),
                _ticket("A-2", "ana@example.com", csat="bad"),
                _ticket("B-1", "bo@example.com"),
                _ticket("C-1", "cy@example.com", channel="phone"),
                _ticket("U-1", "Mystery Agent"),
            ],
            source="web-test",
            by="test",
            tz=ZoneInfo("UTC"),
        )
    return {
        "chat": chat,
        "phone": phone,
        "ana": ana,
        "bo": bo,
        "cy": cy,
        "sup": sup,
        "admin": admin,
        "lead": lead,
        "hiring": hiring,
    }


def _ticket(ticket_id: str, agent: str, **extra) -> dict:
    return {
        "ticket_id": ticket_id,
        "channel": extra.pop("channel", "chat"),
        "agent_email": agent,
        "created_at": "2024-03-04T09:00:00Z",
        "first_response_at": "2024-03-04T09:05:00Z",
        "solved_at": "2024-03-04T10:00:00Z",
        **extra,
    }


def metrics_page(client, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"month": MONTH, **args}.items())
    response = client.get(f"/incentives/metrics?{query}")
    assert response.status_code == 200
    return text(response)


# --- what each person sees ---------------------------------------------------------------


def test_leadership_sees_every_rep_teams_groups_and_the_organisation(
    org, login_as
) -> None:
    page = metrics_page(login_as(org["lead"]))
    for name in ("Ana Rep", "Bo Rep", "Cy Rep"):
        assert name in page
    assert "Organisation" in page
    assert "Helpdesk groups" in page
    assert "1 solved ticket without a rep" in page
    assert "Upload" not in page


def test_a_rep_sees_their_own_figures_only(org, login_as) -> None:
    page = metrics_page(login_as(org["ana"]))
    assert "Your figures" in page
    assert "Bo Rep" not in page
    assert "Cy Rep" not in page
    assert "Organisation" not in page
    assert "50%" in page  # one good, one bad rating


def test_a_supervisor_sees_their_team_and_no_other(org, login_as) -> None:
    page = metrics_page(login_as(org["sup"]), team=org["phone"].id)
    assert "Ana Rep" in page
    assert "Bo Rep" in page
    assert "Cy Rep" not in page
    assert "Organisation" not in page


def test_each_figure_links_to_the_tickets_behind_it(org, login_as) -> None:
    response = login_as(org["lead"]).get(f"/incentives/metrics?month={MONTH}")
    html = response.get_data(as_text=True)
    ana = org["ana"].id
    tickets = f"/incentives/reps/{ana}/tickets?month={MONTH}"
    assert f'<a href="{tickets}">Ana Rep</a>' in html
    for metric in ("tickets_solved", "csat_raw", "timely_rate"):
        assert f'href="{tickets}&amp;metric={metric}"' in html
    # Cy's CSAT has no value (nothing rated): no link on it.
    assert (
        f"/incentives/reps/{org['cy'].id}/tickets?month={MONTH}&amp;metric=csat_raw"
        not in html
    )
    # Team and group rows have no drill-down.
    assert html.count("&amp;metric=tickets_solved") == 3


def test_rows_sort_by_any_metric(org, login_as) -> None:
    page = metrics_page(login_as(org["admin"]), sort="csat_raw", dir="desc")
    assert page.index("Ana Rep") < page.index("Bo Rep")  # 50% before no ratings
    page = metrics_page(login_as(org["admin"]), sort="name", dir="desc")
    assert page.index("Cy Rep") < page.index("Bo Rep") < page.index("Ana Rep")


def test_a_month_that_does_not_exist_is_refused_with_an_example(org, login_as) -> None:
    response = login_as(org["admin"]).get("/incentives/metrics?month=2024-13")
    assert response.status_code == 400
    assert "Use a month like" in text(response)


def test_no_month_shows_the_current_one(org, login_as) -> None:
    for query in ("", "?month="):
        response = login_as(org["admin"]).get(f"/incentives/metrics{query}")
        assert response.status_code == 200


def test_metrics_download_is_safe_csv_of_the_viewer_s_reps(org, login_as) -> None:
    response = login_as(org["sup"]).get(f"/incentives/metrics.csv?month={MONTH}")
    assert response.mimetype == "text/csv"
    body = text(response)
    assert body.startswith("\ufeffrep_email,rep_name,team,tickets_solved")
    assert "ana@example.com" in body
    assert "bo@example.com" in body
    assert "cy@example.com" not in body


# --- record checks -----------------------------------------------------------------------


def test_a_rep_opens_their_own_tickets_but_not_another_rep_s(org, login_as) -> None:
    client = login_as(org["ana"])
    own = client.get(f"/incentives/reps/{org['ana'].id}/tickets?month={MONTH}")
    assert own.status_code == 200
    assert "A-1" in text(own)
    assert "A-2" in text(own)
    assert (
        client.get(f"/incentives/reps/{org['bo'].id}/tickets?month={MONTH}").status_code
        == 403
    )


def test_a_supervisor_opens_their_team_s_reps_only(org, login_as) -> None:
    client = login_as(org["sup"])
    assert (
        client.get(f"/incentives/reps/{org['bo'].id}/tickets?month={MONTH}").status_code
        == 200
    )
    assert (
        client.get(f"/incentives/reps/{org['cy'].id}/tickets?month={MONTH}").status_code
        == 403
    )


def test_a_drilldown_shows_the_tickets_behind_one_number(org, login_as) -> None:
    client = login_as(org["lead"])
    rated = text(
        client.get(
            f"/incentives/reps/{org['ana'].id}/tickets?month={MONTH}&metric=csat_raw"
        )
    )
    assert "satisfied" in rated
    assert "unsatisfied" in rated
    reviews = text(
        client.get(
            f"/incentives/reps/{org['ana'].id}/tickets?month={MONTH}&metric=review_followup_rate"
        )
    )
    assert "No tickets here" in reviews


def test_someone_who_is_not_a_rep_has_no_ticket_page(org, login_as) -> None:
    client = login_as(org["admin"])
    assert client.get(f"/incentives/reps/{org['sup'].id}/tickets").status_code == 404
    assert client.get("/incentives/reps/999999/tickets").status_code == 404


def test_unattributed_tickets_list_the_unknown_agent(org, login_as) -> None:
    page = text(login_as(org["admin"]).get(f"/incentives/unattributed?month={MONTH}"))
    assert "U-1" in page
    assert "Mystery Agent" in page
    assert "A-1" not in page


def test_unattributed_tickets_include_those_no_agent_handled(
    org, login_as, seed
) -> None:
    with seed():
        operations.import_ticket_records(
            [_ticket("N-1", ""), _ticket("N-2", "", solved_at="2024-04-02T10:00:00Z")],
            source="web-test-unassigned",
            by="test",
            tz=ZoneInfo("UTC"),
        )
    page = text(login_as(org["lead"]).get(f"/incentives/unattributed?month={MONTH}"))
    assert "N-1" in page
    assert "U-1" in page
    assert "N-2" not in page  # solved in April
    assert "A-1" not in page


# --- dashboard panels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("ana", "Your month so far", "Organisation this month"),
        ("sup", "Team metrics this month", "Organisation this month"),
        ("lead", "Organisation this month", "Your month so far"),
        ("hiring", "Your account", "Organisation this month"),
    ],
)
def test_dashboard_panels_by_role(org, login_as, who, shown, hidden) -> None:
    page = text(login_as(org[who]).get("/"))
    assert shown in page
    assert hidden not in page


# --- uploads -----------------------------------------------------------------------------


def upload(client, name: str, file_format: str = "frontline", **fields):
    data = {
        "file_format": file_format,
        "file": (io.BytesIO((DATA / name).read_bytes()), name),
        **fields,
    }
    return post_form(
        client, "/incentives/imports/new", data, token_from="/incentives/imports/new"
    )


def ticket_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_an_admin_uploads_a_file_and_lands_on_its_import(org, login_as, app) -> None:
    client = login_as(org["admin"])
    response = upload(client, "frontline_tickets.csv")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Imported frontline_tickets.csv: 5 new, 0 updated, 0 unchanged." in page
    assert "<dt>Read as</dt><dd>Frontline CSV</dd>" in page
    with app.app_context():
        record = db.session.scalar(
            select(TicketImport).order_by(TicketImport.id.desc())
        )
        assert (record.via, record.actor_label, record.inserted) == (
            "web",
            org["admin"].email,
            5,
        )


def test_an_imported_file_s_page_lists_its_warnings(org, login_as) -> None:
    client = login_as(org["admin"])
    response = upload(client, "frontline_tickets.csv")
    page = text(client.get(response.headers["Location"]))
    assert "3 things to check below." in page
    assert "1 ticket has no solve time: it counts in no month" in page
    again = text(
        client.get(upload(client, "frontline_tickets.csv").headers["Location"])
    )
    assert "This same file was imported before" in again


def test_a_rejected_upload_shows_the_report_and_imports_nothing(
    org, login_as, app
) -> None:
    client = login_as(org["admin"])
    with app.app_context():
        before = ticket_count()
    response = upload(client, "frontline_bad_rows.csv")
    page = text(client.get(response.headers["Location"]))
    assert "Nothing was imported from frontline_bad_rows.csv." in page
    assert "9 problems found" in page
    assert "ticket id already on row 2" in page
    with app.app_context():
        assert ticket_count() == before


def test_a_dry_run_reports_without_writing(org, login_as, app) -> None:
    client = login_as(org["admin"])
    with app.app_context():
        before = (
            ticket_count(),
            db.session.scalar(select(func.count()).select_from(TicketImport)),
        )
    response = upload(client, "frontline_tickets.csv", dry_run="y")
    assert response.status_code == 200
    assert "Check only — nothing was written." in text(response)
    assert "add <strong>5</strong> new tickets" in text(response)
    page = text(response)
    assert "Check before trusting the month's figures (3):" in page
    assert "1 ticket has no solve time" in page
    assert "1 ticket has no agent" in page
    assert "2 agents appear for the first time" in page
    with app.app_context():
        assert (
            ticket_count(),
            db.session.scalar(select(func.count()).select_from(TicketImport)),
        ) == before


def test_a_helpdesk_export_checked_on_the_web_shows_its_notes(org, login_as) -> None:
    client = login_as(org["admin"])
    response = upload(
        client, "exports/servicenow_event_log.csv", "servicenow", dry_run="y"
    )
    assert response.status_code == 200
    page = text(response)
    assert "add <strong>4</strong> new tickets" in page
    assert "event log (12 rows for 4 tickets)" in page


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("helpscout", "Great counts as satisfied"),
        ("gorgias", "4 and 5 count as satisfied"),
    ],
)
def test_helpscout_and_gorgias_exports_upload_with_their_own_source(
    org, login_as, app, name, note
) -> None:
    client = login_as(org["admin"])
    checked = upload(client, f"exports/{name}.csv", name, dry_run="y")
    assert checked.status_code == 200
    assert "add <strong>24</strong> new tickets" in text(checked)
    assert note in text(checked)
    imported = upload(client, f"exports/{name}.csv", name)
    assert imported.status_code == 302
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.source == name)
        )
    assert stored == 24


def test_a_gorgias_file_uploaded_as_zendesk_is_told_to_choose_gorgias(
    org, login_as
) -> None:
    response = upload(
        login_as(org["admin"]), "exports/gorgias.csv", "zendesk", dry_run="y"
    )
    assert response.status_code == 200
    assert "this looks like a Gorgias export: choose Gorgias as the source" in text(
        response
    )


def test_a_file_uploaded_as_the_wrong_helpdesk_says_which_it_looks_like(
    org, login_as
) -> None:
    client = login_as(org["admin"])
    response = upload(client, "exports/servicenow.csv", "zendesk", dry_run="y")
    assert response.status_code == 200
    assert (
        "this looks like a ServiceNow export: choose ServiceNow as the source"
        in text(response)
    )


def test_a_dry_run_of_a_bad_file_shows_the_report_and_records_nothing(
    org, login_as, app
) -> None:
    client = login_as(org["admin"])
    with app.app_context():
        before = (
            ticket_count(),
            db.session.scalar(select(func.count()).select_from(TicketImport)),
        )
    response = upload(client, "frontline_bad_rows.csv", dry_run="y")
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was imported from frontline_bad_rows.csv." in page
    assert "9 problems found" in page
    assert "ticket id already on row 2" in page
    assert "This was a check only: nothing was recorded." in page
    with app.app_context():
        assert (
            ticket_count(),
            db.session.scalar(select(func.count()).select_from(TicketImport)),
        ) == before


def test_a_dry_run_of_a_bad_file_answers_the_upload_script_with_the_report(
    org, login_as
) -> None:
    client = login_as(org["admin"])
    response = client.post(
        "/incentives/imports/new",
        data={
            "csrf_token": csrf_token(client, "/incentives/imports/new"),
            "file_format": "frontline",
            "dry_run": "y",
            "file": (
                io.BytesIO((DATA / "frontline_bad_rows.csv").read_bytes()),
                "bad.csv",
            ),
        },
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert "ticket id already on row 2" in response.get_json()["html"]


def test_the_upload_script_gets_json(org, login_as) -> None:
    client = login_as(org["admin"])
    token = csrf_token(client, "/incentives/imports/new")
    response = client.post(
        "/incentives/imports/new",
        data={
            "csrf_token": token,
            "file_format": "zendesk",
            "file": (io.BytesIO((DATA / "zendesk_export.csv").read_bytes()), "z.csv"),
        },
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert re.fullmatch(r"/incentives/imports/\d+", response.get_json()["location"])
    missing = client.post(
        "/incentives/imports/new",
        data={"csrf_token": token, "file_format": "zendesk"},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert missing.status_code == 200
    assert 'id="import-area"' in missing.get_json()["html"]
    assert "Choose the exported CSV file." in missing.get_json()["html"]


def test_a_mapped_upload_needs_its_mapping_file(org, login_as) -> None:
    client = login_as(org["admin"])
    response = upload(client, "helpscout_export.csv", "mapped")
    assert response.status_code == 200
    assert "Give the mapping file for this tool." in text(response)
    ok = upload(
        client,
        "helpscout_export.csv",
        "mapped",
        mapping=(io.BytesIO((DATA / "helpscout_mapping.yaml").read_bytes()), "m.yaml"),
    )
    assert ok.status_code == 302


def test_a_broken_mapping_file_is_explained_on_the_form(org, login_as) -> None:
    response = upload(
        login_as(org["admin"]),
        "helpscout_export.csv",
        "mapped",
        mapping=(io.BytesIO(b"source: hs\ncolumns: {ticket_id: A}\n"), "m.yaml"),
    )
    assert response.status_code == 200
    assert "Mapping file: columns: created_at is required" in text(response)


def test_a_file_over_the_upload_limit_is_sent_to_the_command_line(
    org, login_as, app
) -> None:
    with app.app_context():
        set_setting("tickets_upload_max_mb", 1, by="test")
        db.session.commit()
    client = login_as(org["admin"])
    token = csrf_token(client, "/incentives/imports/new")
    big = b"ticket_id,channel,created_at\n" + b"x" * (1024 * 1024 + 10)
    # Built by hand: the test client would spool a body this size to a temporary file.
    boundary = "frontline-test-boundary"

    def part(name: str, value: str, extra: str = "") -> str:
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n'
            f"\r\n{value}"
        )

    body = (
        (
            part("csrf_token", token + "\r\n")
            + part("file_format", "frontline\r\n")
            + part("file", "", '; filename="big.csv"\r\nContent-Type: text/csv')
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/incentives/imports/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 200
    assert "the limit here is 1 MB" in text(response)


def test_an_upload_without_a_csrf_token_is_refused(org, login_as) -> None:
    response = login_as(org["admin"]).post(
        "/incentives/imports/new",
        data={"file_format": "frontline", "file": (io.BytesIO(b"x"), "x.csv")},
    )
    assert response.status_code == 400


def test_the_import_list_shows_rejected_and_imported_files(org, login_as) -> None:
    client = login_as(org["admin"])
    upload(client, "frontline_bad_rows.csv")
    page = text(client.get("/incentives/imports"))
    assert "frontline_bad_rows.csv" in page
    assert "rejected · 9 problems" in page
    assert "1 agent not linked to a rep" in page


# --- agents, SLA targets, opening hours --------------------------------------------------


def test_an_admin_maps_an_unknown_agent_to_a_rep(org, login_as, app) -> None:
    client = login_as(org["admin"])
    page = text(client.get("/incentives/agents"))
    assert "Mystery Agent" in page
    with app.app_context():
        agent_id = db.session.scalar(
            select(TicketAgent.id).where(TicketAgent.key == "mystery agent")
        )
    # the page's own form for this agent: its action and its field names
    form = re.search(
        rf'<form method="post" action="(/incentives/agents/{agent_id}/map)".*?</form>',
        page,
        re.S,
    )
    assert form is not None
    field = re.search(r'<select[^>]* name="([^"]+)"', form.group(0)).group(1)
    token = re.search(r'name="([^"]*csrf_token)"[^>]*value="([^"]+)"', form.group(0))
    response = client.post(
        form.group(1), data={token.group(1): token.group(2), field: org["cy"].id}
    )
    assert response.status_code == 302
    assert "Mystery Agent is now Cy Rep" in text(client.get("/incentives/agents"))
    cy_page = text(client.get(f"/incentives/reps/{org['cy'].id}/tickets?month={MONTH}"))
    assert "U-1" in cy_page
    response = post_form(
        client,
        f"/incentives/agents/{agent_id}/unmap",
        {},
        token_from="/incentives/agents",
    )
    assert response.status_code == 302
    assert "U-1" not in text(
        client.get(f"/incentives/reps/{org['cy'].id}/tickets?month={MONTH}")
    )


def test_mapping_without_choosing_a_rep_changes_nothing(org, login_as, app) -> None:
    client = login_as(org["admin"])
    with app.app_context():
        agent_id = db.session.scalar(
            select(TicketAgent.id).where(TicketAgent.key == "mystery agent")
        )
    post_form(
        client,
        f"/incentives/agents/{agent_id}/map",
        {f"agent{agent_id}-rep_id": 0},
        token_from="/incentives/agents",
    )
    assert "Choose the rep this agent is" in text(client.get("/incentives/agents"))
    with app.app_context():
        assert db.session.get(TicketAgent, agent_id).rep_id is None


def test_an_admin_changes_an_sla_target(org, login_as, app) -> None:
    client = login_as(org["admin"])
    page = text(client.get("/incentives/sla"))
    values = dict(
        re.findall(r'name="((?:fr|res)_[a-z]+_[a-z]+)"[^>]*value="([^"]*)"', page)
    )
    assert len(values) == 56
    values["res_email_urgent"] = "6"
    response = post_form(
        client, "/incentives/sla", values, token_from="/incentives/sla"
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(SlaTargetSetting))
        assert (row.channel, row.priority, row.resolution_h) == ("email", "urgent", 6.0)
    values["fr_chat_low"] = "0"
    bad = post_form(client, "/incentives/sla", values, token_from="/incentives/sla")
    assert bad.status_code == 200
    assert "From 1 minute to 30 days." in text(bad)


def test_an_admin_sets_opening_hours_and_holidays(org, login_as, app) -> None:
    client = login_as(org["admin"])
    fields = {f"opens_{d}": "09:00" for d in range(5)} | {
        f"closes_{d}": "17:30" for d in range(5)
    }
    fields["holidays"] = "2024-12-25 Christmas Day\n2024-12-26 Boxing Day"
    response = post_form(
        client,
        "/incentives/opening-hours",
        fields,
        token_from="/incentives/opening-hours",
    )
    assert response.status_code == 302
    page = text(client.get("/incentives/opening-hours"))
    assert "business hours" in page
    assert "2024-12-26 Boxing Day" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OpeningHours)) == 5
        assert db.session.scalar(select(func.count()).select_from(Holiday)) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"opens_0": "09:00"}, "Give both times for Monday, or neither."),
        ({"opens_0": "18:00", "closes_0": "09:00"}, "Closing must come after opening."),
        ({"opens_0": "9h", "closes_0": "17:00"}, "is not a time like 09:00"),
        (
            {"holidays": "25/12/2024 Christmas"},
            "Line 1: &#39;25/12/2024&#39; is not a date",
        ),
    ],
)
def test_opening_hours_mistakes_are_explained(org, login_as, fields, message) -> None:
    client = login_as(org["admin"])
    response = post_form(
        client,
        "/incentives/opening-hours",
        fields,
        token_from="/incentives/opening-hours",
    )
    assert response.status_code == 200
    assert message in text(response)


# --- months that exist -------------------------------------------------------------------


def test_pages_offer_no_month_before_the_first_data_and_none_after_now(
    org, login_as, monkeypatch
) -> None:
    from incentives.tickets import queries

    monkeypatch.setattr(queries, "current_month", lambda: "2024-04")
    client = login_as(org["admin"])
    page = text(client.get(f"/incentives/metrics?month={MONTH}"))
    offered = re.findall(r'<option value="(\d{4}-\d{2})"', page)
    assert offered == ["2024-04", "2024-03"]  # the data begin in March; now is April
    # The tickets of the first month step only forward; of the current month only back.
    first = text(client.get(f"/incentives/reps/{org['ana'].id}/tickets?month={MONTH}"))
    assert 'rel="prev"' not in first
    assert "April 2024 →" in first
    now = text(client.get(f"/incentives/reps/{org['ana'].id}/tickets?month=2024-04"))
    assert "← March 2024" in now
    assert 'rel="next"' not in now
    # A future month asked for by hand is not offered in the picker.
    later = text(client.get("/incentives/metrics?month=2024-09"))
    assert "2024-09" not in re.findall(r'<option value="(\d{4}-\d{2})"', later)
    unattributed = text(client.get("/incentives/unattributed?month=2024-04"))
    assert 'rel="next"' not in unattributed
