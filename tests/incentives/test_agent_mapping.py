"""Agent mapping at scale: suggestions and accepting them all, an agent-to-rep file on the
Agents page and with ``agents map --file``, and agents marked "not a rep" leaving the
unlinked lists."""

from __future__ import annotations

import re
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.audit import AuditEvent
from core.db import db
from core.errors import InvalidInput
from core.people import User
from incentives.tickets import (
    agent_matching,
    agent_operations,
    agent_queries,
    operations,
)
from incentives.tickets.models import AgentMatch, TicketAgent
from tests.factories import make_team, make_user
from tests.helpers import csrf_token, post_form, text

MONTH = "2024-03"


def _ticket(ticket_id: str, agent: str) -> dict:
    return {
        "ticket_id": ticket_id,
        "channel": "chat",
        "agent_email": agent,
        "created_at": "2024-03-04T09:00:00Z",
        "first_response_at": "2024-03-04T09:05:00Z",
        "solved_at": "2024-03-04T10:00:00Z",
    }


@pytest.fixture
def org(seed):
    with seed():
        team = make_team("Chat")
        isaac = make_user(
            Role.REP, email="isaac@example.com", name="Isaac Ménsah", team=team
        )
        ana = make_user(Role.REP, email="ana@example.com", name="Ana Rep", team=team)
        make_user(Role.REP, email="kim1@example.com", name="Kim Lee", team=team)
        make_user(Role.REP, email="kim2@example.com", name="kim lee", team=team)
        admin = make_user(Role.ADMIN, name="Ada Admin")
        lead = make_user(Role.LEADERSHIP, name="Lee Lead")
        operations.import_ticket_records(
            [
                _ticket("T-1", "isaac mensah"),
                _ticket("T-2", "Isaac Mensah"),  # the same agent (one key)
                _ticket("T-3", "Ana  REP"),
                _ticket("T-4", "Kim Lee"),  # two reps of that name
                _ticket("T-5", "Support Bot"),
                _ticket("T-6", "Mystery Agent"),
            ],
            source="agents-test",
            by="test",
            tz=ZoneInfo("UTC"),
        )
    return {"isaac": isaac, "ana": ana, "admin": admin, "lead": lead}


def agent(app, key: str) -> TicketAgent:
    with app.app_context():
        found = db.session.scalar(select(TicketAgent).where(TicketAgent.key == key))
        db.session.expunge(found)
        return found


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(AuditEvent.action == action)
        )


def shown_fingerprint(page: str) -> str:
    return re.search(r'name="shown"[^>]*value="([^"]+)"', page).group(1)


# --- suggestions -------------------------------------------------------------------------


def test_the_agents_page_suggests_reps_by_name_leaving_case_and_accents_aside(
    org, login_as
) -> None:
    page = text(login_as(org["admin"]).get("/incentives/agents"))
    assert "2 agents have a suggested rep" in page
    assert "Accept all 2 suggested" in page
    row = re.search(r"<tr>\s*<td[^>]*>isaac mensah</td>.*?</tr>", page, re.S).group(0)
    assert "Isaac Ménsah · isaac@example.com" in row
    assert "(same name)" in row
    # the row's own select has the suggested rep chosen
    assert re.search(rf'<option selected value="{org["isaac"].id}"', row) or re.search(
        rf'<option value="{org["isaac"].id}" selected', row
    )
    kim = re.search(r"<tr>\s*<td[^>]*>Kim Lee</td>.*?</tr>", page, re.S).group(0)
    assert "(same name)" not in kim  # two reps are named Kim Lee: nobody is guessed


def test_accept_all_suggested_maps_them_in_one_audited_post(org, login_as, app) -> None:
    client = login_as(org["admin"])
    page = text(client.get("/incentives/agents"))
    response = client.post(
        "/incentives/agents/accept-suggested",
        data={
            "csrf_token": csrf_token(client, "/incentives/agents"),
            "shown": shown_fingerprint(page),
        },
    )
    assert response.status_code == 302
    after = text(client.get("/incentives/agents"))
    assert "2 suggested mappings accepted" in after
    isaac, ana = agent(app, "isaac mensah"), agent(app, "ana rep")
    assert (isaac.rep_id, isaac.match) == (org["isaac"].id, AgentMatch.ALIAS)
    assert (ana.rep_id, ana.match) == (org["ana"].id, AgentMatch.ALIAS)
    assert agent(app, "kim lee").rep_id is None
    assert audit_count(app, "tickets.agent_map") == 2
    assert audit_count(app, "tickets.agent_suggestions_accept") == 1
    assert "Accept all" not in after  # nothing left to suggest
    isaac_page = text(
        client.get(f"/incentives/reps/{org['isaac'].id}/tickets?month={MONTH}")
    )
    assert "T-1" in isaac_page


def test_suggestions_that_changed_since_the_page_are_not_accepted(
    org, login_as, app, seed
) -> None:
    client = login_as(org["admin"])
    shown = shown_fingerprint(text(client.get("/incentives/agents")))
    with seed():  # meanwhile a rep named like the bot joins
        make_user(Role.REP, email="bot@example.com", name="Support Bot")
    response = post_form(
        client,
        "/incentives/agents/accept-suggested",
        {"shown": shown},
        token_from="/incentives/agents",
    )
    assert response.status_code == 302
    assert "The suggestions changed since the page was shown" in text(
        client.get("/incentives/agents")
    )
    assert agent(app, "isaac mensah").rep_id is None  # all or nothing
    assert audit_count(app, "tickets.agent_map") == 0


def test_accepting_needs_the_csrf_token(org, login_as, app) -> None:
    client = login_as(org["admin"])
    shown = shown_fingerprint(text(client.get("/incentives/agents")))
    response = client.post("/incentives/agents/accept-suggested", data={"shown": shown})
    assert response.status_code == 400
    assert agent(app, "isaac mensah").rep_id is None


def test_with_nothing_to_suggest_accepting_says_so(app) -> None:
    with (
        app.app_context(),
        pytest.raises(InvalidInput, match="no suggestion to accept"),
    ):
        agent_operations.accept_suggestions(
            shown=agent_matching.fingerprint([]), by="test"
        )


def test_an_email_suggestion_for_an_assignee_written_with_a_name(org, app) -> None:
    with app.app_context():
        operations.import_ticket_records(
            [_ticket("E-1", "A. Rep <ANA@example.com>")],
            source="agents-test-2",
            by="test",
            tz=ZoneInfo("UTC"),
        )
        found = {
            s.agent_id: (s.rep_id, s.reason) for s in agent_queries.agent_suggestions()
        }
        written = db.session.scalar(
            select(TicketAgent.id).where(TicketAgent.key == "a. rep <ana@example.com>")
        )
        assert found[written] == (org["ana"].id, agent_matching.SuggestionReason.EMAIL)


# --- "not a rep" -------------------------------------------------------------------------


def test_a_not_a_rep_agent_leaves_the_unattributed_page(org, login_as, app) -> None:
    client = login_as(org["lead"])
    before = text(client.get(f"/incentives/unattributed?month={MONTH}"))
    assert "Support Bot" in before
    assert "T-5" in before
    with app.app_context():
        bot = db.session.scalar(
            select(TicketAgent).where(TicketAgent.key == "support bot")
        )
        agent_operations.map_agent(bot, rep=None, by="test", not_a_rep=True)
        db.session.commit()
    after = text(client.get(f"/incentives/unattributed?month={MONTH}"))
    assert "T-5" not in after
    assert "Support Bot" not in after
    assert "T-6" in after  # Mystery Agent is still to link
    assert "Not listed: 1 ticket by agents marked as not a rep" in after
    agents_page = text(login_as(org["admin"]).get("/incentives/agents"))
    unknown = agents_page.split('id="upload-heading"')[0]
    assert "Support Bot" not in unknown


# --- an agent-to-rep file on the page ----------------------------------------------------

GOOD = (
    "agent,rep_email\n"
    "Isaac Mensah,isaac@example.com\n"
    "Kim Lee,kim2@example.com\n"
    "Support Bot,not a rep\n"
)


def upload(client, content: str | bytes, *, dry_run: bool = False):
    data = content.encode() if isinstance(content, str) else content
    form = {
        "csrf_token": csrf_token(client, "/incentives/agents"),
        "file": (BytesIO(data), "agents.csv"),
    }
    if dry_run:
        form["dry_run"] = "y"
    return client.post(
        "/incentives/agents/upload", data=form, content_type="multipart/form-data"
    )


def test_an_agent_file_maps_every_row_and_again_changes_nothing(
    org, login_as, app
) -> None:
    client = login_as(org["admin"])
    response = upload(client, GOOD)
    assert response.status_code == 302
    assert "3 agents in the file: 3 mapped, 0 already as the file says" in text(
        client.get("/incentives/agents")
    )
    assert agent(app, "isaac mensah").rep_id == org["isaac"].id
    assert agent(app, "kim lee").match is AgentMatch.ALIAS
    assert agent(app, "support bot").match is AgentMatch.NOT_A_REP
    assert audit_count(app, "tickets.agent_map") == 3
    assert audit_count(app, "tickets.agent_map_file") == 1
    again = upload(client, GOOD)
    assert again.status_code == 302
    assert "3 agents in the file: 0 mapped, 3 already as the file says" in text(
        client.get("/incentives/agents")
    )
    assert audit_count(app, "tickets.agent_map") == 3  # nothing new happened


def test_a_file_with_bad_rows_changes_nothing_and_numbers_them(
    org, login_as, app
) -> None:
    client = login_as(org["admin"])
    response = upload(
        client,
        "agent,rep_email\n"
        "Isaac Mensah,isaac@example.com\n"
        "Nobody Known,ana@example.com\n"
        "Ana Rep,someone@example.com\n"
        "Kim Lee,Kim\n",
    )
    assert response.status_code == 400
    page = text(response)
    assert "3 problems found; no agent was mapped" in page
    for row, reason in (
        (3, "no agent of this name or e-mail has been imported"),
        (4, "no active rep has this login e-mail"),
    ):
        assert re.search(rf'<td class="num">{row}</td>.*?{reason}', page, re.S)
    assert re.search(r'<td class="num">5</td>.*?not an e-mail address', page, re.S)
    assert agent(app, "isaac mensah").rep_id is None
    assert audit_count(app, "tickets.agent_map") == 0


def test_a_check_only_upload_reports_and_changes_nothing(org, login_as, app) -> None:
    client = login_as(org["admin"])
    response = upload(client, GOOD, dry_run=True)
    assert response.status_code == 200
    assert "mapping it would change 3 and leave 0 as they are" in text(response)
    assert agent(app, "isaac mensah").rep_id is None


def test_a_file_over_the_limit_is_refused(org, login_as, app) -> None:
    client = login_as(org["admin"])
    token = csrf_token(client, "/incentives/agents")
    big = GOOD.encode() + b"x" * agent_matching.MAX_MAP_BYTES
    # Built by hand: the test client would spool a body this size to a temporary file.
    boundary = "frontline-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n'
            f"\r\n{token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/incentives/agents/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    page = text(response)
    assert "is larger than 1 MB, the most an agent-to-rep file may be" in page
    assert "problems found" not in page  # no empty row report
    assert agent(app, "isaac mensah").rep_id is None


def test_an_upload_without_a_file_shows_the_form_again(org, login_as) -> None:
    client = login_as(org["admin"])
    response = post_form(
        client, "/incentives/agents/upload", {}, token_from="/incentives/agents"
    )
    assert response.status_code == 400
    assert "Choose the CSV file of agents and rep e-mails." in text(response)


# --- agents map --file -------------------------------------------------------------------


def test_the_command_maps_a_file_as_the_page_does(org, runner, app, tmp_path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(GOOD)
    dry = runner.invoke(args=["agents", "map", "--file", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing changed: agents.csv lists 3 agents; 3 would be mapped" in (
        dry.output
    )
    assert agent(app, "isaac mensah").rep_id is None
    result = runner.invoke(args=["agents", "map", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "agents.csv: 3 agents — 3 mapped, 0 already as the file says." in (
        result.output
    )
    assert agent(app, "isaac mensah").rep_id == org["isaac"].id
    again = runner.invoke(args=["agents", "map", "--file", str(path)])
    assert "0 mapped, 3 already as the file says" in again.output


def test_the_command_rejects_a_bad_file_whole(org, runner, app, tmp_path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text("agent,rep_email\nIsaac Mensah,isaac@example.com\nWho,x@y.zz\n")
    result = runner.invoke(args=["agents", "map", "--file", str(path)])
    assert result.exit_code == 1
    assert "row 3, agent: 'Who' no agent of this name or e-mail" in result.output
    assert "row 3, rep_email: 'x@y.zz' no active rep has this login e-mail" in (
        result.output
    )
    assert "2 problems found; no agent was mapped" in result.output
    assert agent(app, "isaac mensah").rep_id is None
    missing = runner.invoke(args=["agents", "map", "--file", str(tmp_path / "no.csv")])
    assert missing.exit_code == 2


def test_mapping_an_agent_to_a_rep_of_the_same_name_names_the_reps_email(
    org, login_as, app
) -> None:
    client = login_as(org["admin"])
    kim = agent(app, "kim lee")
    with app.app_context():
        rep_id = db.session.scalar(
            select(User.id).where(User.email == "kim2@example.com")
        )
    page = text(client.get("/incentives/agents"))
    form = re.search(
        rf'<form method="post" action="(/incentives/agents/{kim.id}/map)".*?</form>',
        page,
        re.S,
    ).group(0)
    token = re.search(r'name="([^"]*csrf_token)"[^>]*value="([^"]+)"', form)
    field = re.search(r'<select[^>]* name="([^"]+)"', form).group(1)
    client.post(
        f"/incentives/agents/{kim.id}/map",
        data={token.group(1): token.group(2), field: rep_id},
    )
    after = text(client.get("/incentives/agents"))
    assert (
        "Kim Lee is now linked to kim lee (kim2@example.com); their tickets follow."
        in after
    )
