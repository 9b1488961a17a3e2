"""Incentives demo data: six months of tickets for the demo reps, imported as files would be;
then a plan, disputes and the past months closed, so scorecards show trends at once.

The Chat & Social team's tickets arrive as a Zendesk export (assignees by name, mapped to
reps once, as an admin would), the Phone & Email team's as Frontline CSV (assignees by
e-mail). Both go through the same import operation as an upload, so the import history
shows them; a third, small file with two bad rows shows what a rejected import looks like.
Times are relative to today with a fixed seed: every start shows full months and the
current month so far. Idempotent: nothing is added once a demo import exists.

Scoring (:func:`build_scores`) loads the example plan, files and decides a few disputes
(one ticket excluded, one reassigned, one declined), closes every past month as an admin
would, and leaves two disputes open in the current month. Each part is added once.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.access import Role
from core.db import db, utcnow
from core.demo import ACTOR, DemoResult
from core.people import User
from core.settings import get_setting, set_setting
from incentives.scorecards import delivery
from incentives.scorecards.leadership import PAYOUT_BUDGET_SETTING
from incentives.scoring import operations as scoring_operations
from incentives.scoring import plan_operations, plans
from incentives.scoring import queries as scoring_queries
from incentives.scoring.disputes import Resolution
from incentives.scoring.models import (
    IncentivePlan,
    MonthClose,
    PlanAcknowledgement,
    PlanVersion,
    TicketDispute,
)
from incentives.scoring.payout_demo import build_payouts, build_reclose
from incentives.tickets import agent_operations, metrics, operations, queries
from incentives.tickets.models import Ticket, TicketAgent, TicketImport
from incentives.tickets.sources import FRONTLINE_COLUMNS, Source

SEED = 20240501
MONTHS = 6
CHAT_TEAM, PHONE_TEAM = "Chat & Social", "Phone & Email"
#: Assignees the demo leaves for an admin to map (a contractor) or dismiss (a bot).
UNMAPPED_AGENTS = ("Sam Taylor (contractor)", "Answer Bot")


@dataclass(frozen=True)
class ChannelShape:
    """How tickets on a channel behave: share of a team's work, and typical times."""

    channel: str
    share: float
    first_reply_min: float  # median
    resolution_min: float  # median
    rated: float  # share of tickets with a satisfaction rating


CHAT_SHAPES = [
    ChannelShape("chat", 0.58, 1.5, 14, 0.22),
    ChannelShape("social", 0.27, 24, 300, 0.12),
    ChannelShape("review", 0.15, 300, 1500, 0.05),
]
PHONE_SHAPES = [
    ChannelShape("phone", 0.48, 0.8, 9, 0.12),
    ChannelShape("email", 0.40, 150, 1100, 0.2),
    ChannelShape("web", 0.12, 200, 1300, 0.18),
]
PRIORITIES = (["low", "normal", "high", "urgent"], [0.22, 0.55, 0.18, 0.05])
ZENDESK_VIA = {"chat": "Chat", "social": "Twitter", "review": "Trustpilot review"}


def build(result: DemoResult) -> None:
    """Add this module's demo records; idempotent like every demo step."""
    build_tickets(result)
    build_scoring(result)


def build_scoring(result: DemoResult) -> None:
    """Plans, disputes, closes and payouts: a step of its own, after the tickets and the
    quality reviews of them (so the months close with their QA scores)."""
    build_scores(result)
    build_reclose(result)
    build_payouts(result)


def build_tickets(result: DemoResult) -> None:
    """Six months of tickets, imported once."""
    if db.session.scalar(
        select(TicketImport.id).where(TicketImport.via == "demo").limit(1)
    ):
        result.notes.append("Incentives tickets already there; left as they were.")
        return
    tz = queries.org_timezone()
    now = utcnow()
    rng = np.random.default_rng(SEED)
    reps = sorted(result.by_role(Role.REP), key=lambda u: u.email)
    chat = [u for u in reps if u.team and u.team.name == CHAT_TEAM]
    phone = [u for u in reps if u.team and u.team.name == PHONE_TEAM]
    start = _first_month_start(now, tz)

    chat_tickets = _tickets(
        rng, chat, CHAT_SHAPES, start, now, tz, extra=UNMAPPED_AGENTS
    )
    phone_tickets = _tickets(rng, phone, PHONE_SHAPES, start, now, tz)
    total = 0
    outcome = operations.import_ticket_file(
        _zendesk_csv(chat_tickets, tz),
        filename="zendesk-chat-social-export.csv",
        file_format=Source.ZENDESK,
        by=ACTOR,
        via="demo",
        tz=tz,
        now=now,
    )
    total += outcome.inserted
    _map_names(chat)
    outcome = operations.import_ticket_file(
        _frontline_csv(phone_tickets, tz),
        filename="phone-email-tickets.csv",
        file_format=Source.FRONTLINE,
        by=ACTOR,
        via="demo",
        tz=tz,
        now=now,
    )
    total += outcome.inserted
    operations.import_ticket_file(
        _late_file(),
        filename="phone-email-late-fixes.csv",
        file_format=Source.FRONTLINE,
        by=ACTOR,
        via="demo",
        tz=tz,
        now=now,
    )
    db.session.flush()
    result.notes.append(
        f"Incentives: {total:,} tickets over {MONTHS} months imported from a Zendesk export "
        f"and a Frontline CSV (plus one rejected file); {len(UNMAPPED_AGENTS)} agents "
        "left to map."
    )


def _first_month_start(now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    month = metrics.shift_month(metrics.month_of(now, tz), -(MONTHS - 1))
    return metrics.month_bounds(month, tz)[0]  # type: ignore[arg-type]


def _tickets(
    rng: np.random.Generator,
    reps: list[User],
    shapes: list[ChannelShape],
    start: dt.datetime,
    now: dt.datetime,
    tz: dt.tzinfo,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Tickets created from ``start`` to ``now`` for ``reps`` (plus a few ``extra`` names)."""
    days = (now - start).total_seconds() / 86400
    per_rep_day = 7.5
    agents = [u.name for u in reps] + list(extra)
    weights = np.array([1.0] * len(reps) + [0.25] * len(extra))
    n = int(days * per_rep_day * weights.sum())
    # Busier on weekdays and in working hours: draw days, then hours from a daytime curve.
    day = rng.uniform(0, days, n * 2)
    weekday = (start + pd.to_timedelta(day, unit="D")).weekday if False else None  # noqa: F841
    created = pd.Timestamp(start) + pd.to_timedelta(np.floor(day), unit="D")
    keep = ~((created.day_of_week >= 5) & (rng.random(n * 2) < 0.6))
    created = created[keep][:n]
    hour = np.clip(rng.normal(13.5, 3.2, len(created)), 7, 22.9)
    created = created + pd.to_timedelta(hour, unit="h")
    n = len(created)
    agent = rng.choice(len(agents), size=n, p=weights / weights.sum())
    skill = rng.lognormal(0, 0.22, len(agents))  # >1 slower
    care = np.clip(
        rng.normal(0.86, 0.05, len(agents)), 0.7, 0.97
    )  # chance a rating is good
    shape_index = rng.choice(len(shapes), size=n, p=[s.share for s in shapes])
    priority = rng.choice(PRIORITIES[0], size=n, p=PRIORITIES[1])
    urgency = np.select(
        [priority == "urgent", priority == "high", priority == "low"],
        [0.5, 0.75, 1.4],
        1.0,
    )
    first = np.array([shapes[i].first_reply_min for i in shape_index])
    resolve = np.array([shapes[i].resolution_min for i in shape_index])
    first_min = first * skill[agent] * urgency * rng.lognormal(0, 0.9, n)
    # Written channels have long tails: some tickets wait days for a customer or a colleague.
    spread = np.array(
        [1.0 if shapes[i].channel in ("chat", "phone") else 1.35 for i in shape_index]
    )
    resolution_min = np.maximum(
        first_min + 1, resolve * skill[agent] * urgency * rng.lognormal(0, spread)
    )
    first_at = created + pd.to_timedelta(first_min, unit="m")
    solved_at = created + pd.to_timedelta(resolution_min, unit="m")
    open_now = solved_at >= pd.Timestamp(now)
    rated = rng.random(n) < np.array([shapes[i].rated for i in shape_index])
    good = rng.random(n) < care[agent]
    nps_given = rng.random(n) < 0.07
    nps = np.where(
        good,
        rng.choice([7, 8, 9, 10], n, p=[0.1, 0.25, 0.35, 0.3]),
        rng.integers(0, 8, n),
    )
    reopened = rng.random(n) < np.clip(0.02 + (skill[agent] - 1) * 0.1, 0.01, 0.12)
    unassigned = rng.random(n) < 0.012
    frame = pd.DataFrame(
        {
            "created_at": created,
            "first_response_at": first_at.where(first_at < pd.Timestamp(now)),
            "solved_at": solved_at.where(~open_now),
            "agent": np.where(unassigned, "", np.array(agents, dtype=object)[agent]),
            "email": np.where(
                unassigned,
                "",
                np.array([u.email for u in reps] + [""] * len(extra), dtype=object)[
                    agent
                ],
            ),
            "channel": np.array([shapes[i].channel for i in shape_index]),
            "priority": priority,
            "satisfied": np.where(rated & ~open_now, np.where(good, 1, 0), -1),
            "nps": np.where(nps_given & ~open_now, nps, -1),
            "reopens": np.where(reopened & ~open_now, rng.integers(1, 3, n), 0),
        }
    ).sort_values("created_at", ignore_index=True)
    return frame


def _local(times: pd.Series, tz: dt.tzinfo) -> pd.Series:
    return times.dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")


def _zendesk_csv(tickets: pd.DataFrame, tz: dt.tzinfo) -> bytes:
    """A Zendesk ticket export: local times without offsets, durations in minutes."""
    first = (
        tickets["first_response_at"] - tickets["created_at"]
    ).dt.total_seconds() / 60
    full = (tickets["solved_at"] - tickets["created_at"]).dt.total_seconds() / 60
    frame = pd.DataFrame(
        {
            "Id": np.arange(48211, 48211 + len(tickets)),
            "Assignee": tickets["agent"],
            "Group": np.where(
                tickets["channel"] == "chat", "Live chat", "Social & reviews"
            ),
            "Status": np.where(tickets["solved_at"].isna(), "Open", "Solved"),
            "Priority": tickets["priority"].str.capitalize(),
            "Via": tickets["channel"].map(ZENDESK_VIA),
            "Created at": _local(tickets["created_at"], tz),
            "Solved at": _local(tickets["solved_at"], tz),
            "Satisfaction Score": np.select(
                [
                    tickets["satisfied"] == 1,
                    tickets["satisfied"] == 0,
                    tickets["solved_at"].notna(),
                ],
                ["Good", "Bad", "Offered"],
                "Unoffered",
            ),
            "Reopens": tickets["reopens"],
            "First reply time in minutes": first.round().astype("Int64"),
            "Full resolution time in minutes": full.round().astype("Int64"),
            "Tags": np.where(tickets["channel"] == "review", "public_review", ""),
        }
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return ("\ufeff" + buffer.getvalue()).encode()


def _frontline_csv(tickets: pd.DataFrame, tz: dt.tzinfo) -> bytes:
    """Frontline's own CSV: ISO times with an offset, agents by e-mail, CSAT 1-5."""

    def iso(values: pd.Series) -> pd.Series:
        return values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")

    csat = np.select(
        [tickets["satisfied"] == 1, tickets["satisfied"] == 0],
        [
            np.where(tickets.index % 3 == 0, "4", "5"),
            np.where(tickets.index % 2 == 0, "2", "3"),
        ],
        "",
    )
    frame = pd.DataFrame(
        {
            "ticket_id": [f"PE-{10230 + i}" for i in range(len(tickets))],
            "channel": tickets["channel"],
            "agent_email": tickets["email"],
            "priority": tickets["priority"],
            "created_at": iso(tickets["created_at"]),
            "first_response_at": iso(tickets["first_response_at"]),
            "solved_at": iso(tickets["solved_at"]),
            "reopens": tickets["reopens"],
            "csat": csat,
            "nps": np.where(tickets["nps"] >= 0, tickets["nps"].astype(str), ""),
            "tags": "",
            "group": np.where(
                tickets["channel"] == "phone", "Phone desk", "E-mail & web"
            ),
        }
    )[[*FRONTLINE_COLUMNS, "group"]]
    return frame.to_csv(index=False).encode()


def _late_file() -> bytes:
    """Two tickets with mistakes, as a person might type them: the file is rejected."""
    rows = [
        ",".join(FRONTLINE_COLUMNS),
        "PE-99001,phone,lucia.fernandez@example.com,high,yesterday afternoon,,,0,,,",
        "PE-99002,fax,kofi.asante@example.com,normal,2025-01-06T09:00:00Z,,,0,,,",
    ]
    return ("\n".join(rows) + "\n").encode()


def _map_names(reps: list[User]) -> None:
    """Link the Zendesk assignee names to the reps, as an admin does on the Agents page."""
    for rep in reps:
        agent = db.session.scalar(
            select(TicketAgent).where(TicketAgent.key == rep.name.casefold())
        )
        if agent is not None and agent.is_unknown:
            agent_operations.map_agent(agent, rep=rep, by=ACTOR)


PLAN_FILE = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "incentives"
    / "plan-example.yaml"
)
ADMIN = "alex.morgan@example.com"
SUPERVISOR_OF = {
    CHAT_TEAM: "grace.lee@example.com",
    PHONE_TEAM: "marco.rossi@example.com",
}


@dataclass(frozen=True)
class DemoDispute:
    """A dispute the demo files: whose ticket, how many months back, and its fate."""

    rep: str
    months_back: int
    reason: str
    decision: str  # exclude, reassign, decline, or open
    note: str = ""
    reassign_to: str = ""


DISPUTES = [
    DemoDispute(
        "ben.fischer@example.com",
        2,
        "I was on leave that week; the chat was routed to me after it was solved.",
        "exclude",
        "Confirmed with the rota: Ben was away.",
    ),
    DemoDispute(
        "hana.suzuki@example.com",
        1,
        "Isaac took this call and fixed it; it was only closed from my queue.",
        "reassign",
        "Isaac's call notes confirm it.",
        "isaac.mensah@example.com",
    ),
    DemoDispute(
        "julia.kowalska@example.com",
        2,
        "The customer reopened it because of a courier delay, not my answer.",
        "decline",
        "Reopens count whoever caused them; the timely rate covers this case.",
    ),
    DemoDispute(
        "george.papadopoulos@example.com",
        0,
        "Julia picked this call up from the overflow queue and solved it.",
        "reassign",
        "The call recording has Julia on it.",
        "julia.kowalska@example.com",
    ),
    DemoDispute(
        "amara.nwosu@example.com",
        0,
        "This review reply was written by Grace during the launch rush.",
        "open",
    ),
    DemoDispute(
        "kofi.asante@example.com",
        0,
        "Merged into another ticket by the helpdesk; I never replied to it.",
        "open",
    ),
]


#: A rep who turned off their scorecard e-mails (the switch on their scorecard page).
NO_SCORECARD_MAIL = "lucia.fernandez@example.com"
#: The demo's monthly payout budget: a little under what the demo months pay.
DEMO_BUDGET = 2500


def build_scores(result: DemoResult) -> None:
    """A plan in force, disputes, and every past month closed; each part added once."""
    if not result.by_role(Role.REP) or ADMIN not in result.users:
        return
    if db.session.scalar(select(IncentivePlan.id).limit(1)) is None:
        scoring_operations.import_plan_yaml(
            PLAN_FILE.read_text(encoding="utf-8"), by=result.users[ADMIN]
        )
        result.notes.append("Incentives: the example plan is in force.")
    if db.session.scalar(select(PlanAcknowledgement.id).limit(1)) is None:
        read = _acknowledge_plan(result)
        result.notes.append(
            f"Incentives: {read} reps acknowledged the plan; "
            f"{', '.join(NOT_YET_READ)} not yet."
        )
    quiet = result.users.get(NO_SCORECARD_MAIL)
    if quiet is not None and delivery.wants_mail(quiet.id):
        delivery.set_wants_mail(quiet, False, by=quiet)
        result.notes.append(
            f"Incentives: {NO_SCORECARD_MAIL} turned their scorecard e-mails off."
        )
    if get_setting(PAYOUT_BUDGET_SETTING) == 0:
        set_setting(PAYOUT_BUDGET_SETTING, DEMO_BUDGET, by=result.users[ADMIN])
        result.notes.append(f"Incentives: a payout budget of {DEMO_BUDGET:,} a month.")
    tz = queries.org_timezone()
    current = queries.current_month()
    if (
        db.session.scalar(
            select(PlanVersion.id)
            .where(PlanVersion.effective_from.is_not(None))
            .limit(1)
        )
        is None
    ):
        result.notes.append(_schedule_plans(result, current))
    if db.session.scalar(select(TicketDispute.id).limit(1)) is None:
        made = [_dispute(result, d, current, tz) for d in DISPUTES]
        result.notes.append(
            f"Incentives: {sum(1 for m in made if m)} disputes (accepted, declined, open)."
        )
    if db.session.scalar(select(MonthClose.id).limit(1)) is None:
        admin = result.users[ADMIN]
        closed = 0
        for back in range(MONTHS - 1, 0, -1):
            month = metrics.shift_month(current, -back)
            if scoring_queries.get_close(month) is not None:
                continue
            close = scoring_operations.close_month(
                month,
                by=admin,
                note="Reviewed with both team leads.",
                allow_open_disputes=True,
            )
            # As if closed on the 2nd of the next month, mid-morning.
            next_start = metrics.month_bounds(metrics.shift_month(month, 1), tz)[0]
            close.closed_at = min(next_start + dt.timedelta(days=1, hours=10), utcnow())
            closed += 1
        db.session.flush()
        result.notes.append(f"Incentives: {closed} past months closed.")


def _schedule_plans(result: DemoResult, current: str) -> str:
    """The example plan in force from the first demo month for everyone, and a pilot
    plan for the Phone & Email team from two months back (it beats the organisation's
    for that team: last month was closed with it, this month is scored with it)."""
    admin = result.users[ADMIN]
    house = scoring_queries.get_active_version()
    if house is None:
        return "Incentives: no plan to schedule."
    first = metrics.shift_month(current, -(MONTHS - 1))
    plan_operations.schedule_version(house, effective_from=first, team_ids=[], by=admin)
    team_id = scoring_queries.team_ids_by_name().get(PHONE_TEAM)
    if team_id is None:
        return f"Incentives: {house.label} in force from {first}."
    data = plans.plan_to_data(house.rules)
    data.pop("team_target_bonus", None)
    data.update(name="Phone & Email pilot", target_bonus=300)
    # The team answers e-mail too: solved in time on e-mail is judged on its own bar.
    timely = data["metrics"].get("timely_rate")
    if timely is not None:
        timely["channel_groups"] = {"written": {"threshold": 80, "target": 92}}
    # The pilot also rewards how conversations were handled: the QA score of the
    # month's quality reviews, from 3 counted reviews on.
    data["metrics"] = {**_pilot_terms(data["metrics"]), "qa": PILOT_QA}
    data["qa_min_reviews"] = 3
    pilot, _ = scoring_operations.save_plan(
        None, scoring_operations.check_plan(data), by=admin
    )
    start = metrics.shift_month(current, -2)
    plan_operations.schedule_version(
        pilot, effective_from=start, team_ids=[team_id], by=admin
    )
    return (
        f"Incentives: {house.label} in force from {first}; {pilot.label} scores "
        f"{PHONE_TEAM} from {start}."
    )


#: The pilot's QA score term: no credit at 60, full at 85 (a score out of 100).
PILOT_QA = {"weight": 20, "threshold": 60, "target": 85}


def _pilot_terms(terms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The house plan's terms with 20 points given up for QA: CSAT and solved in time
    each give 10."""
    terms = {key: dict(values) for key, values in terms.items()}
    for key in ("csat", "timely_rate"):
        if key in terms:
            terms[key]["weight"] = int(terms[key]["weight"]) - 10
    return terms


#: Reps who have not yet acknowledged the plan they are paid on.
NOT_YET_READ = ("farah.haddad@example.com", "kofi.asante@example.com")


def _acknowledge_plan(result: DemoResult) -> int:
    """Every rep but :data:`NOT_YET_READ` acknowledged the plan in force a while ago."""
    version = scoring_queries.get_active_version()
    if version is None:
        return 0
    read = 0
    for rep in sorted(result.by_role(Role.REP), key=lambda u: u.email):
        if rep.email in NOT_YET_READ:
            continue
        ack = plan_operations.acknowledge_plan(
            version, by=rep, content_hash=version.content_hash
        )
        ack.acknowledged_at = min(
            version.created_at + dt.timedelta(days=1, hours=read), utcnow()
        )
        read += 1
    return read


def _dispute(
    result: DemoResult, item: DemoDispute, current: str, tz: dt.tzinfo
) -> TicketDispute | None:
    rep = result.users.get(item.rep)
    if rep is None or rep.team is None:
        return None
    month = metrics.shift_month(current, -item.months_back)
    start, end = metrics.month_bounds(month, tz)  # type: ignore[arg-type]
    ticket = db.session.scalar(
        select(Ticket)
        .join(TicketAgent, TicketAgent.id == Ticket.agent_id)
        .where(
            TicketAgent.rep_id == rep.id,
            Ticket.solved_at >= start,
            Ticket.solved_at < end,
        )
        .order_by(Ticket.solved_at, Ticket.id)
        .offset(7)
        .limit(1)
    )
    if ticket is None:
        return None
    dispute = scoring_operations.file_dispute(ticket, by=rep, reason=item.reason)
    dispute.filed_at = min(ticket.solved_at + dt.timedelta(days=2), utcnow())
    if item.decision == "open":
        return dispute
    supervisor = result.users[SUPERVISOR_OF[rep.team.name]]
    scoring_operations.decide_dispute(
        dispute,
        by=supervisor,
        accept=item.decision != "decline",
        resolution=None if item.decision == "decline" else Resolution(item.decision),
        reassign_to=result.users.get(item.reassign_to),
        note=item.note,
    )
    dispute.decided_at = min(dispute.filed_at + dt.timedelta(days=1), utcnow())
    return dispute
