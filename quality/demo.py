"""Quality demo data: the shipped rubric of each channel group, links to the demo helpdesks,
and the last three closed months sampled and reviewed, with reviews in every state.

Idempotent: rubrics unchanged load as unchanged, and a month sampled before is left as it
is (its reviews are walked through their states only when the month is first sampled).
In the latest month some reviews are still drafts and its disputes wait for a decision;
older months' disputes were decided by the admin (the reviewer never decides).
"""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import select

from core.db import db
from core.demo import ACTOR, DemoResult
from incentives.tickets.queries import current_month
from quality import operations
from quality.models import QaReview
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
