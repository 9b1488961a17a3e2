"""Voice demo data for policy impact reviews and ideas, added after the departments.

Three policy changes: one open for comments with comments and votes, one adopted that
names the training scenarios and authority it changes (so supervisors see who to
retrain), one dropped. A dozen ideas over the last four months in every state, among them
an idea of Amara Nwosu's adopted in the last closed month, so her scorecard for that month
credits it. Idempotent: each part is added once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.db import db, utcnow
from core.demo import DemoResult
from core.templating import org_timezone
from training import queries as training_queries
from voice import ideas, upward_operations
from voice import queries as problem_queries
from voice.ideas import IdeaStatus
from voice.models import Idea, PolicyReview

AMARA = "amara.nwosu@example.com"

#: (title, change, department, poster, days ago posted, days open, outcome or None,
#: note, scenario keys, authority codes)
POLICIES = [
    (
        "Refunds only to the original card",
        "From next month a refund goes back only to the card that paid. Reps may no "
        "longer refund to another card or as store credit without Billing's approval.",
        "Billing",
        "alex.morgan@example.com",
        4,
        10,
        None,
        "",
        (),
        (),
    ),
    (
        "Photo proof before replacing a damaged parcel",
        "Before a replacement is sent for a parcel that arrived damaged, the customer "
        "sends a photo of the box and the item. Reps may refund up to the usual limit "
        "without a photo when the customer cannot take one.",
        "Logistics",
        "daniel.okafor@example.com",
        52,
        14,
        "adopted",
        "Most comments said older customers struggle to send photos; the rule already "
        "lets reps skip the photo then, within their refund limit, and the repeat "
        "claims stop. The lost-shipment scenario and the refund authority change.",
        ("lost-shipment", "refund-limits"),
        ("refund",),
    ),
    (
        "Close the phone line on Sunday afternoons",
        "The phone line closes at 13:00 on Sundays; chat stays open.",
        "Product",
        "helen.carter@example.com",
        95,
        10,
        "dropped",
        "Votes were against it and comments showed Sunday afternoon is when "
        "customers setting up new kettles call: the line stays open.",
        (),
        (),
    ),
]

COMMENTS = [
    "A customer yesterday had lost the card she paid with; she would have no way to "
    "get her money back.",
    "Gift buyers often pay with a partner's card: the refund would go to someone else.",
    "Clearer for customers: they know where the money goes.",
    "Older customers often cannot send photos from a landline call.",
    "A photo would stop the repeat claims we see from a few accounts.",
    "Sunday afternoon is our busiest phone time for set-up questions.",
]
VOTES = ("oppose", "concerned", "support", "oppose", "support", "concerned", "oppose")

#: (title, what and why, department or None, author index, days ago, final status,
#: reason or note, days to decide)
IDEAS = [
    (
        "A tracking link in every dispatch text",
        "Half of our 'where is my order' chats would go if the dispatch text had the "
        "tracking link, not only the e-mail.",
        "Logistics",
        1,
        110,
        IdeaStatus.ADOPTED,
        "Live since last month: the texts carry the link.",
        9,
    ),
    (
        "Refund button for orders under 20",
        "Let reps refund small orders in one click instead of the three-screen form.",
        "Billing",
        2,
        100,
        IdeaStatus.DECLINED,
        "Refunds need the reason code for the auditors; we will shorten the form "
        "instead.",
        12,
    ),
    (
        "Macro for the Leeds depot delays",
        "A shared reply for the Leeds depot delays, with the carrier's real dates.",
        "Logistics",
        3,
        80,
        IdeaStatus.PLANNED,
        "Planned with the carrier's next timetable.",
        5,
    ),
    (
        "Kettle set-up video in the box",
        "A QR code to a one-minute set-up video would save many Sunday calls.",
        "Product",
        4,
        70,
        IdeaStatus.ADOPTED,
        "",
        20,
    ),
    (
        "Quiet hour for training on Fridays",
        "One hour a week with the queue covered, to take a training scenario.",
        None,
        6,
        60,
        IdeaStatus.DECLINED,
        "Fridays are our busiest day; try a quiet hour on Tuesdays instead.",
        7,
    ),
    (
        "Show the promised delivery slot on the order page",
        "Customers call to ask which slot they picked: show it on the order page.",
        "Logistics",
        7,
        45,
        IdeaStatus.PLANNED,
        "",
        10,
    ),
    (
        "Public review replies signed by name",
        "Replies on review sites read warmer with the rep's first name.",
        "Marketing",
        8,
        20,
        IdeaStatus.UNDER_REVIEW,
        "",
        0,
    ),
    (
        "Spare lids for the kettle sent free",
        "A lid costs little; sending one free saves a replacement kettle.",
        "Product",
        9,
        12,
        IdeaStatus.UNDER_REVIEW,
        "",
        0,
    ),
    (
        "Chat transcript e-mailed to the customer",
        "Customers ask for what we said; an e-mailed transcript ends the repeat chats.",
        None,
        10,
        3,
        IdeaStatus.UNDER_REVIEW,
        "",
        0,
    ),
]


def build(result: DemoResult) -> None:
    """Add the policy reviews and ideas; each part once."""
    if not db.session.scalar(select(func.count()).select_from(PolicyReview)):
        made = _policies(result)
        result.notes.append(
            f"Voice: {made} policy changes (open with comments and votes, adopted "
            "with what to retrain, dropped)."
        )
    if not db.session.scalar(select(func.count()).select_from(Idea)):
        made = _ideas(result)
        result.notes.append(f"Voice: {made} ideas in every state.")


def _policies(result: DemoResult) -> int:
    reps = sorted(
        (u for u in result.users.values() if u.team_id is not None),
        key=lambda u: u.email,
    )
    now = utcnow()
    made = 0
    for number, spec in enumerate(POLICIES):
        title, change, department_name, poster, ago, days_open = spec[:6]
        outcome, note, keys, codes = spec[6:]
        department = problem_queries.department_by_name(department_name)
        author = result.users.get(poster)
        if department is None or author is None:
            continue
        posted = now - dt.timedelta(days=ago)
        day = posted.astimezone(org_timezone()).date()
        policy = upward_operations.post_policy(
            upward_operations.ProposalInput(
                title, change, department.id, day + dt.timedelta(days=days_open)
            ),
            by=author,
            today=day,
            at=posted,
        )
        for n, rep in enumerate(reps[number : number + 7 - number]):
            at = posted + dt.timedelta(hours=5 + n * 7)
            upward_operations.vote_policy(
                policy, VOTES[(n + number) % len(VOTES)], by=rep, today=day, at=at
            )
            if n < 3:
                upward_operations.comment_policy(
                    policy,
                    COMMENTS[(number * 2 + n) % len(COMMENTS)],
                    by=rep,
                    today=day,
                    at=at,
                )
        if outcome is not None:
            decided = posted + dt.timedelta(days=days_open + 2)
            upward_operations.decide_policy(
                policy,
                outcome,
                note,
                by=author,
                today=decided.astimezone(org_timezone()).date(),
                at=decided,
            )
            # Only what the training demo made (its step may be left out).
            keys = [k for k in keys if k in training_queries.scenario_titles()]
            codes = [c for c in codes if c in training_queries.authority_names()]
            if keys or codes:
                upward_operations.link_training(policy, keys, codes, by=author)
        made += 1
    return made


def _ideas(result: DemoResult) -> int:
    reps = sorted(
        (u for u in result.users.values() if u.team_id is not None),
        key=lambda u: u.email,
    )
    leader = result.users.get("helen.carter@example.com")
    if not reps or leader is None:
        return 0
    now = utcnow()
    made = 0
    for title, body, department_name, author, ago, final, reason, days in IDEAS:
        department = (
            problem_queries.department_by_name(department_name)
            if department_name
            else None
        )
        rep = reps[author % len(reps)]
        created = now - dt.timedelta(days=ago, hours=author)
        idea = upward_operations.submit_idea(
            upward_operations.IdeaInput(
                title, body, department.id if department else None
            ),
            by=rep,
            at=created,
        )
        decided = created + dt.timedelta(days=days)
        if final is IdeaStatus.ADOPTED and days > 15:
            upward_operations.triage_idea(
                idea, "planned", "", by=leader, at=decided - dt.timedelta(days=8)
            )
        if final is not IdeaStatus.UNDER_REVIEW:
            upward_operations.triage_idea(idea, final, reason, by=leader, at=decided)
        made += 1
    amara = result.users.get(AMARA)
    if amara is not None:
        made += _credited(amara, leader, now)
    return made


def _credited(amara, leader, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    """Amara's idea, adopted in the middle of the last closed month (the month before
    this one): her scorecard for it credits the idea."""
    tz = org_timezone()
    this_month = now.astimezone(tz).strftime("%Y-%m")
    start, _end = ideas.month_bounds(this_month, tz)
    last_start, _ = ideas.month_bounds(
        (start - dt.timedelta(days=1)).astimezone(tz).strftime("%Y-%m"), tz
    )
    idea = upward_operations.submit_idea(
        upward_operations.IdeaInput(
            "Say the refund date on the phone, not only by e-mail",
            "Customers call back to ask when the refund lands; saying the date at the "
            "end of the call would save the second call.",
            None,
        ),
        by=amara,
        at=last_start + dt.timedelta(days=3),
    )
    upward_operations.triage_idea(
        idea,
        "adopted",
        "Every refund call now ends with the date; thank you, Amara.",
        by=leader,
        at=last_start + dt.timedelta(days=14),
    )
    return 1
