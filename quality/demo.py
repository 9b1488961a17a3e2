"""Quality demo data: the shipped rubric of each channel group, links to the demo helpdesks,
the last three closed months sampled and reviewed, with reviews in every state, and two
calibration sessions: one closed (three reviewers, six tickets, some disagreement) and one
open, partly scored.

Idempotent: rubrics unchanged load as unchanged, and a month sampled before is left as it
is (its reviews are walked through their states only when the month is first sampled).
In the latest month some reviews are still drafts and its disputes wait for a decision;
older months' disputes were decided by the admin (the reviewer never decides).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import select

from core.db import db, utcnow
from core.demo import ACTOR, DemoResult
from incentives.tickets.queries import current_month
from quality import calibration_operations, calibration_queries, operations
from quality.models import QaCalibration, QaReview
from quality.reviews import Decision
from quality.rubrics import NOT_APPLICABLE

SHIPPED = Path(__file__).resolve().parent / "shipped"
LINKS = {
    "zendesk": "https://demo.zendesk.com/agent/tickets/{id}",
    "frontline": "https://helpdesk.example.com/tickets/{id}",
}
MONTHS_BACK = 3
ADMIN = "alex.morgan@example.com"


def shift(month: str, by: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def build(result: DemoResult) -> None:
    """Add this module's demo records; idempotent like every demo step."""
    loaded = []
    for path in sorted(SHIPPED.glob("*.yaml")):
        version, outcome = operations.import_rubric_yaml(path.read_text(), by=ACTOR)
        if outcome != "unchanged":
            loaded.append(version.label)
    for source, pattern in LINKS.items():
        operations.set_helpdesk_link(source, pattern, by=ACTOR)
    current = current_month()
    sampled = 0
    for back in range(MONTHS_BACK, 0, -1):
        month = shift(current, -back)
        outcome = operations.sample_month(month, by=ACTOR)
        if outcome.created:
            sampled += outcome.created
            _walk(month, latest=back == 1, admin=result.users.get(ADMIN))
    if loaded:
        result.notes.append("Quality: rubrics " + ", ".join(loaded) + " loaded.")
    if sampled:
        result.notes.append(
            f"Quality: {sampled} tickets sampled over the last {MONTHS_BACK} months, "
            "reviewed, acknowledged and disputed."
        )
    else:
        result.notes.append("Quality reviews already there; left as they were.")
    build_calibration(result)


def _ratings(review: QaReview, rng: random.Random) -> dict[str, object]:
    ratings: dict[str, object] = {}
    for category in review.rubric_version.rules.categories:
        points = category.scale.points
        if category.allow_na and rng.random() < 0.15:
            ratings[category.key] = NOT_APPLICABLE
        elif category.critical:
            ratings[category.key] = points[0] if rng.random() < 0.04 else points[-1]
        else:
            # Mostly good, sometimes not: the top two points far more often.
            ratings[category.key] = rng.choice([*points, *points[-2:] * 4])
    return ratings


def _counted(index: int, latest: bool) -> bool:
    """Is the review at ``index`` of the month submitted and left undisputed by the walk?"""
    if latest and index % 5 in (0, 1):
        return False  # not started, or a draft
    return index % 7 != 3


def _coached(reviews: list[QaReview], latest: bool) -> dict[int, set[str]]:
    """The latest month's rep to coach: empathy failed in two of their counted reviews and
    one critical category about authority failed, so the coaching page and their
    supervisor's dashboard show both suggestions. Review id to the categories to fail."""
    if not latest:
        return {}
    fit: dict[int, list[QaReview]] = {}
    for index, review in enumerate(reviews):
        keys = {c.key for c in review.rubric_version.rules.categories}
        if _counted(index, latest) and "empathy" in keys:
            fit.setdefault(review.rep_id, []).append(review)
    candidates = [rep for rep, found in fit.items() if len(found) >= 2]
    if not candidates:
        return {}
    rep = min(candidates, key=lambda r: (-len(fit[r]), r))
    first, second = fit[rep][:2]
    authority = {
        c.key for c in first.rubric_version.rules.categories if c.concerns_authority
    }
    return {first.id: {"empathy", *authority}, second.id: {"empathy"}}


def _walk(month: str, *, latest: bool, admin: object) -> None:
    """Review the month's sample: drafts left in the latest month, the rest submitted;
    some acknowledged, some disputed, older disputes decided; one rep of the latest
    month to coach (:func:`_coached`)."""
    reviews = list(
        db.session.scalars(
            select(QaReview).where(QaReview.month == month).order_by(QaReview.id)
        )
    )
    to_fail = _coached(reviews, latest)
    for index, review in enumerate(reviews):
        rng = random.Random(f"demo:{review.ticket_id}")  # noqa: S311 (demo ratings)
        if latest and index % 5 == 0:
            continue  # not started
        ratings = _ratings(review, rng)
        for category in review.rubric_version.rules.categories:
            if category.key in to_fail.get(review.id, ()):
                ratings[category.key] = category.scale.points[0]
        note = rng.choice(
            [
                "Clear and kind; well handled.",
                "Good fix. Next time, confirm the customer is happy before closing.",
                "Check the policy before promising a refund.",
                "",
            ]
        )
        if latest and index % 5 == 1:
            partial = dict(list(ratings.items())[:2])
            operations.save_draft(
                review, ratings=partial, comments={}, note="", by=review.reviewer
            )
            continue
        operations.submit_review(
            review,
            ratings=ratings,
            comments={"empathy": "The customer said twice they were upset."}
            if review.id in to_fail
            else {},
            note=note,
            by=review.reviewer,
        )
        if index % 7 == 3:
            operations.dispute_review(
                review,
                reason="The customer asked for this outcome; see the earlier ticket.",
                by=review.rep,
            )
            if not latest and admin is not None:
                operations.decide_dispute(
                    review,
                    decision=Decision.UPHELD if index % 2 else Decision.WITHDRAWN,
                    note="Read the whole conversation and the earlier ticket.",
                    by=admin,  # type: ignore[arg-type]
                    may_act=True,
                )
        elif index % 3 != 2:
            operations.acknowledge_review(review, by=review.rep)
    db.session.flush()


# --- calibration --------------------------------------------------------------------------

CLOSED_SESSION = "Phone and chat, calibration round 1"
OPEN_SESSION = "Phone and chat, calibration round 2"
REVIEWERS = (ADMIN, "grace.lee@example.com", "marco.rossi@example.com")
#: How each demo reviewer leans: the admin rates as the ticket deserves, Grace a little
#: strictly, Marco generously, so the results show some disagreement.
LEAN = {ADMIN: 0, "grace.lee@example.com": -1, "marco.rossi@example.com": 1}


def _calibration_ratings(
    session: QaCalibration, ticket_id: int, email: str
) -> dict[str, object]:
    deserved = random.Random(f"calibration:{ticket_id}")  # noqa: S311 (demo ratings)
    own = random.Random(f"calibration:{ticket_id}:{email}")  # noqa: S311
    ratings: dict[str, object] = {}
    for category in session.rubric_version.rules.categories:
        points = category.scale.points
        base = deserved.choice([*points, *points[-2:] * 2])
        if category.allow_na and deserved.random() < 0.2:
            ratings[category.key] = NOT_APPLICABLE
            continue
        if category.scale.value == "binary":
            flip = own.random() < 0.15 and not category.critical
            ratings[category.key] = 1 - base if flip else base
            continue
        step = LEAN[email] if own.random() < 0.5 else 0
        index = max(0, min(len(points) - 1, points.index(base) + step))
        ratings[category.key] = points[index]
    return ratings


def build_calibration(result: DemoResult) -> None:
    """One closed calibration session (3 reviewers, 6 tickets, some disagreement) and
    one open, part scored; left as they are when there."""
    people = [result.users.get(email) for email in REVIEWERS]
    if any(p is None for p in people):
        return
    names = set(db.session.scalars(select(QaCalibration.name)))
    today = utcnow().date()
    current = current_month()
    made = []
    for name, month, count in (
        (CLOSED_SESSION, shift(current, -2), 6),
        (OPEN_SESSION, shift(current, -1), 4),
    ):
        if name in names or not calibration_queries.month_tickets(month, "live"):
            continue
        closing = name == CLOSED_SESSION
        session = calibration_operations.create_session(
            name=name,
            channel_group="live",
            month=month,
            ticket_refs=[],
            random_count=count,
            reviewer_ids=[p.id for p in people],  # type: ignore[union-attr]
            due_on=today if closing else today + dt.timedelta(days=10),
            by=people[0],  # type: ignore[arg-type]
            today=today,
        )
        for person, email in zip(people, REVIEWERS, strict=True):
            for index, ticket_id in enumerate(session.ticket_ids):
                if not closing and (email == ADMIN or index >= 2 + LEAN[email]):
                    continue  # the open session: partly scored
                ratings = _calibration_ratings(session, ticket_id, email)
                act = (
                    calibration_operations.save_rating
                    if not closing and index == 1 + LEAN[email]
                    else calibration_operations.submit_rating
                )
                act(
                    session,
                    ticket_id,
                    ratings=ratings,
                    comments={},
                    note="",
                    by=person,  # type: ignore[arg-type]
                )
        if closing:
            calibration_operations.close_session(
                session,
                by=people[0],  # type: ignore[arg-type]
                is_admin=True,
            )
        made.append(name)
    if made:
        result.notes.append("Quality: calibration sessions " + ", ".join(made) + ".")
