"""Hostile text stays inert: in pages, SVG charts, PDFs and every CSV export.

People and files put text into Frontline that others later see: candidate names, notes,
sources and interview notes; assessment and scenario files; ticket tags, group names and
agent names from helpdesk exports; team and user names; dispute reasons, sign-off notes,
revocation reasons and plan names. Here each of them carries markup (``<script>``, an
``<img onerror>``, an attribute break-out) and the names also start with a spreadsheet
formula (``=HYPERLINK(...)``, ``+cmd|...``). Pages must show the text escaped and never the
markup; charts must stay well-formed SVG; PDFs must print the text as text; CSV cells must
never start a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from core import charts
from core.access import Role
from core.db import db
from core.people import User
from core.tabular import FORMULA_PREFIXES
from incentives.scoring import operations as scoring_operations
from incentives.scoring.models import IncentivePlan
from incentives.tickets import operations as ticket_operations
from incentives.tickets.models import Ticket, TicketImport
from recruiting import invitation_operations, review_operations
from recruiting import operations as recruiting
from recruiting.assessment import COMPETENCIES
from recruiting.pipeline import Recommendation, Stage
from tests.factories import make_user
from tests.helpers import text
from tests.incentives import scoring_world
from tests.recruiting.factories import DEFAULT_YAML, make_candidate
from tests.training.factories import load_small, make_authority, make_grant, play
from training import authority_operations
from training import operations as training
from training.scenarios import parse_scenario

#: Markup that would run or load something if a page wrote it out as HTML.
TAG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
BREAKOUT = '"><svg onload=alert(3)>'
RAW = (TAG, SCRIPT, BREAKOUT, "<svg onload")
#: A name that is both markup and a spreadsheet formula.
REP_NAME = f'=HYPERLINK("http://evil.example/","Ann") {TAG}'
TEAM_NAME = f"+cmd|' /C calc'!A0 {SCRIPT}"
SUPERVISOR_NAME = f"@SUM(1+1)*cmd {BREAKOUT}"
MONTH = "2024-03"


def hostile(label: str) -> str:
    """A label followed by all three kinds of markup."""
    return f"{label} {TAG} {SCRIPT} {BREAKOUT}"


def in_yaml(label: str) -> str:
    """:func:`hostile` as written inside a double-quoted YAML string below."""
    return hostile(label).replace('"', "'")


def _escaped(value: str) -> str:
    return str(escape(value))


SCENARIO = f"""
key: hostile-scenario
title: "{in_yaml("Scenario")}"
summary: "{in_yaml("Summary")}"
channel: chat
pass_mark: 50
start: start
nodes:
  start:
    note: "{in_yaml("Note")}"
    customer: "{in_yaml("Customer says")}"
    choices:
      - text: "{in_yaml("Choice")}"
        points: 5
        feedback: "{in_yaml("Feedback")}"
        next: done
  done:
    end: "{in_yaml("Ending")}"
"""


@dataclass
class Hostile:
    people: dict[str, User]
    ids: dict[str, Any]

    def url(self, template: str) -> str:
        return template.format(**self.ids, month=MONTH)


@pytest.fixture(scope="module")
def org(module_seed) -> Hostile:
    """Built once for the module; each test runs in a savepoint of it (tests/conftest.py)."""
    with module_seed():
        world = scoring_world.build()
        world.ann.name = REP_NAME
        world.desk.name = TEAM_NAME
        world.sam.name = SUPERVISOR_NAME
        hm = make_user(Role.HIRING_MANAGER, Role.ADMIN, name=hostile("Hiring"))
        # Tickets: a group, tags and an unknown agent, all hostile.
        outcome = ticket_operations.import_ticket_records(
            [
                {
                    **scoring_world.ticket(
                        "X1", world.ann, "2024-03-08T09:00:00Z", "2024-03-08T10:00:00Z"
                    ),
                    "group": hostile("Group"),
                    "tags": f"=1+1 {TAG}",
                },
                {
                    "ticket_id": "X2",
                    "channel": "email",
                    "agent_email": hostile("Agent"),
                    "created_at": "2024-03-09T09:00:00Z",
                    "solved_at": "2024-03-09T11:00:00Z",
                    "tags": SCRIPT,
                },
            ],
            source="desk",
            by="test",
            tz=scoring_world.UTC,
        )
        assert outcome.status == "imported", outcome.as_dict()
        ticket = db.session.get(Ticket, world.tickets["A3"])
        dispute = scoring_operations.file_dispute(
            ticket, by=world.ann, reason=hostile("Dispute")
        )
        plan, _ = scoring_operations.save_plan(
            None,
            scoring_operations.check_plan(
                {
                    **scoring_world.PLAN,
                    "name": f"Plan {TAG}",
                    "description": hostile("Plan"),
                }
            ),
            by="test",
        )
        # Recruiting: an assessment, an opening and a candidate, all hostile.
        data = yaml.safe_load(DEFAULT_YAML)
        data["key"], data["title"] = "hostile-judgement", f"Judgement {TAG}"
        first = data["items"][0]
        first["situation"] = hostile("Situation")
        first["options"][0]["text"] = hostile("Option")
        text_yaml = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        assessment = recruiting.load_assessment(text_yaml, by="test").assessment
        opening = recruiting.save_opening(
            None,
            recruiting.OpeningInput(
                title=hostile("Opening"),
                team_id=world.desk.id,
                assessment_id=assessment.id,
                weights=dict.fromkeys((c.value for c in COMPETENCIES), 1),
                channels=("chat",),
                description=hostile("Description"),
            ),
            by=hm,
        )
        candidate = make_candidate(
            opening, hm, name=hostile("Cand"), stage=Stage.INTERVIEW
        )
        candidate.notes = hostile("Notes")
        candidate.source = f"=cmd {TAG}"
        review_operations.submit_scorecard(
            candidate,
            by=hm,
            ratings=dict.fromkeys(COMPETENCIES, 3),
            recommendation=Recommendation.HIRE,
            notes=hostile("Interview"),
        )
        taker = make_candidate(opening, hm, name="Tess Taker")
        _, link = invitation_operations.create_invitation(taker, by=hm)
        invitation_operations.start_test(
            db.session.scalars(
                select(recruiting.Invitation).where(
                    recruiting.Invitation.candidate_id == taker.id
                )
            ).one()
        )
        # Training: a hostile scenario played by Ann, a request note and a revocation.
        load_small()
        training.load_scenarios([parse_scenario(SCENARIO)], by="test")
        attempt = play(world.ann, [0], key="hostile-scenario")
        refund = make_authority("refund", two_person_limit=None)
        play(world.ann, [0, 0])
        request = authority_operations.request_signoff(
            world.ann, refund, limit=Decimal(50), note=hostile("Request"), by=world.ann
        )
        credit = make_authority("goodwill_credit", prerequisites=())
        grant = make_grant(world.ann, credit, world.sam, limit=20)
        authority_operations.revoke_grant(
            grant, by=world.sam, reason=hostile("Revoked")
        )
        people = {
            "ann": world.ann,
            "sam": world.sam,
            "admin": world.admin,
            "leader": world.leader,
            "hm": hm,
        }
        ids = {
            "ann": world.ann.id,
            "desk": world.desk.id,
            "dispute": dispute.id,
            "plan": plan.plan_id,
            "opening": opening.id,
            "candidate": candidate.id,
            "assessment": assessment.id,
            "link": link,
            "attempt": attempt.id,
            "request": request.id,
            "grant": grant.id,
            "import": db.session.scalars(
                select(TicketImport.id).order_by(TicketImport.id.desc())
            ).first(),
        }
    return Hostile(people, ids)


def _as(client: FlaskClient, login_as: Any, user: User | None) -> FlaskClient:
    client.delete_cookie("session", domain="frontline.test")
    return login_as(user) if user is not None else client


#: (page, who looks, the hostile text it must show escaped)
PAGES = [
    ("/", "ann", REP_NAME),
    ("/", "sam", TEAM_NAME),
    ("/admin/teams", "admin", TEAM_NAME),
    ("/admin/users", "admin", REP_NAME),
    ("/admin/users/{ann}", "admin", TEAM_NAME),
    ("/admin/audit", "admin", hostile("Opening")),
    ("/recruiting/", "hm", hostile("Opening")),
    ("/recruiting/openings/{opening}/board", "hm", hostile("Cand")),
    ("/recruiting/candidates", "hm", hostile("Cand")),
    ("/recruiting/candidates/{candidate}", "hm", hostile("Notes")),
    ("/recruiting/candidates/{candidate}", "leader", hostile("Interview")),
    ("/recruiting/candidates/{candidate}/edit", "hm", hostile("Notes")),
    ("/recruiting/assessments/{assessment}", "hm", f"Judgement {TAG}"),
    ("/recruiting/test/{link}", None, hostile("Situation")),
    ("/training/scenarios/hostile-scenario", "admin", in_yaml("Choice")),
    ("/training/attempts/{attempt}", "ann", in_yaml("Feedback")),
    ("/training/register", "sam", REP_NAME),
    ("/training/register/reps/{ann}", "sam", REP_NAME),
    ("/training/signoffs/{request}", "sam", hostile("Request")),
    ("/training/grants/{grant}", "ann", hostile("Revoked")),
    ("/incentives/metrics?month={month}", "admin", hostile("Group")),
    ("/incentives/reps/{ann}/tickets?month={month}", "ann", hostile("Group")),
    ("/incentives/unattributed?month={month}", "admin", hostile("Agent")),
    ("/incentives/agents", "admin", hostile("Agent")),
    ("/incentives/imports/{import}", "admin", "desk"),
    ("/incentives/disputes/{dispute}", "sam", hostile("Dispute")),
    ("/incentives/disputes?status=all", "sam", hostile("Dispute")),
    ("/incentives/scores?month={month}", "sam", REP_NAME),
    ("/incentives/scorecards/reps/{ann}?month={month}", "ann", REP_NAME),
    ("/incentives/scorecards/teams/{desk}?month={month}", "sam", TEAM_NAME),
    ("/incentives/scorecards/leadership?month={month}", "leader", TEAM_NAME),
    ("/incentives/plans/{plan}", "admin", hostile("Plan")),
]


@pytest.mark.parametrize(
    ("path", "who", "shown"), PAGES, ids=[f"{p} as {w}" for p, w, _ in PAGES]
)
def test_hostile_text_is_shown_escaped_and_never_as_markup(
    client: FlaskClient, login_as: Any, org: Hostile, path: str, who: str, shown: str
) -> None:
    viewer = org.people[who] if who else None
    response = _as(client, login_as, viewer).get(org.url(path))
    assert response.status_code == 200, response.status_code
    body = text(response)
    for raw in RAW:
        assert raw not in body, f"{raw!r} written as markup on {path}"
    assert _escaped(shown) in body, f"the text is not on {path} (escaped)"


# --- SVG charts --------------------------------------------------------------------------


def _svg(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # noqa: S314 - our own SVG, checked to be well-formed
    assert root.tag.endswith("svg")
    return root


@pytest.mark.parametrize(
    "chart",
    [
        lambda name: charts.bar_strip([(name, 50), ("b", None)], label=name),
        lambda name: charts.bar_rows([(name, 70)], label=name),
        lambda name: charts.line_chart(
            [(name, 10.0), ("Apr", None), ("May", 30.0)],
            minimum=0,
            maximum=100,
            guides=[(50.0, name, name)],
            label=name,
        ),
        lambda name: charts.sparkline(
            [1.0, None, 3.0],
            minimum=0,
            maximum=5,
            guides=[(2.0, name, name)],
            label=name,
        ),
        lambda name: charts.histogram([(name, 3), ("x", 0)], label=name),
    ],
    ids=["bar_strip", "bar_rows", "line_chart", "sparkline", "histogram"],
)
def test_charts_escape_every_label_and_stay_well_formed(chart: Any) -> None:
    name = hostile("Label") + " & ' \u202e"
    svg = str(chart(name))
    for raw in RAW:
        assert raw not in svg
    root = _svg(svg)
    texts = [t for t in root.itertext()] + [root.get("aria-label", "")]
    assert any(TAG in t for t in texts), "the label is kept as text"
    assert not [
        e for e in root.iter() if e.tag.endswith(("script", "img", "foreignObject"))
    ]


# --- PDFs --------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


@pytest.mark.parametrize(
    ("path", "who", "printed"),
    [
        ("/incentives/scorecards/reps/{ann}.pdf?month={month}", "ann", TAG),
        ("/incentives/scorecards/teams/{desk}.pdf?month={month}", "sam", SCRIPT),
        ("/incentives/scorecards/leadership.pdf?month={month}", "leader", SCRIPT),
    ],
)
def test_pdfs_print_hostile_names_as_text(
    client: FlaskClient, login_as: Any, org: Hostile, path: str, who: str, printed: str
) -> None:
    response = _as(client, login_as, org.people[who]).get(org.url(path))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    # Escaped in the HTML, the markup is printed as characters; unescaped, the renderer
    # would have taken it for elements and printed nothing.
    assert printed in _pdf_text(response.data)


# --- CSV exports ---------------------------------------------------------------------------


def _cells(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    )


@pytest.mark.parametrize(
    ("path", "who", "hostile_cells"),
    [
        ("/training/register.csv", "admin", (REP_NAME, TEAM_NAME)),
        ("/incentives/metrics.csv?month={month}", "admin", (REP_NAME, TEAM_NAME)),
        ("/incentives/scores.csv?month={month}", "admin", (REP_NAME,)),
    ],
)
def test_csv_exports_never_start_a_cell_with_a_formula(
    client: FlaskClient,
    login_as: Any,
    org: Hostile,
    path: str,
    who: str,
    hostile_cells: tuple[str, ...],
) -> None:
    rows = _cells(_as(client, login_as, org.people[who]).get(org.url(path)))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_PREFIXES), f"formula cell {cell!r} in {path}"
    for value in hostile_cells:
        assert "'" + value in cells, f"{value!r} is not in {path} as text"


def test_the_scores_command_writes_safe_csv(runner, org: Hostile) -> None:
    result = runner.invoke(
        args=["scores", "compute", "--month", MONTH, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(result.output)) for c in row]
    assert "'" + REP_NAME in cells
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]


def test_the_candidate_export_is_json_a_browser_will_not_render(
    client: FlaskClient, login_as: Any, org: Hostile
) -> None:
    from tests.helpers import csrf_token

    hm = _as(client, login_as, org.people["hm"])
    url = org.url("/recruiting/candidates/{candidate}/export")
    response = hm.post(url, data={"csrf_token": csrf_token(hm, "/")})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_json()["candidate"]["notes"] == hostile("Notes")


def test_a_plan_export_is_a_download_not_a_page(
    client: FlaskClient, login_as: Any, org: Hostile, app
) -> None:
    with app.app_context():
        record = db.session.get(IncentivePlan, org.ids["plan"])
        version = record.current.id
    admin = _as(client, login_as, org.people["admin"])
    response = admin.get(f"/incentives/plans/{org.ids['plan']}/versions/{version}.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype != "text/html"
    assert dt.date.today().year >= 2024
