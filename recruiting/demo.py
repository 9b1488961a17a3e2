"""Recruiting demo data, added after the demo organisation's people exist.

Two openings with about forty candidates spread over every stage, most with a completed
assessment whose answers come from a seeded random "ability", some ratings and interview
scorecards, a few duplicates; and eight earlier hires linked to the demo reps, hired seven
to nine months ago, so hiring-test validity has people to follow. Idempotent: records are
found by opening title, candidate e-mail or hired account, and only missing ones are added.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.access import Role
from core.db import db, utcnow
from core.demo import DemoResult
from core.people import User
from recruiting import (
    identity,
    invitation_operations,
    operations,
    review_operations,
)
from recruiting.assessment import (
    COMPETENCIES,
    Answer,
    AssessmentSpec,
    Competency,
    Item,
    ItemType,
)
from recruiting.models import Candidate, Opening, RevealReason
from recruiting.pipeline import Recommendation, Stage

DEFAULT_ASSESSMENT = Path(__file__).parent / "assessments" / "default.yaml"
SEED = 20260301
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DemoOpening:
    title: str
    team: str
    channels: tuple[str, ...]
    weights: dict[str, int]
    blind: bool
    description: str


OPENINGS = (
    DemoOpening(
        "Chat & social rep — spring intake",
        "Chat & Social",
        ("chat", "social", "reviews"),
        {
            "empathy": 3,
            "ownership": 2,
            "communication": 3,
            "composure": 2,
            "judgement": 2,
        },
        False,
        "Live chat, Instagram and X, and replies on public review sites. Writes well, "
        "keeps a warm voice in public, and fixes the problem behind the post.",
    ),
    DemoOpening(
        "Phone & e-mail rep — spring intake",
        "Phone & Email",
        ("phone", "email"),
        {
            "empathy": 3,
            "ownership": 3,
            "communication": 2,
            "composure": 3,
            "judgement": 2,
        },
        True,
        "Inbound calls, callbacks and e-mail. Stays calm with upset callers and uses "
        "refund authority well. Reviewed blind.",
    ),
)

#: (name, opening index, stage, plan). Plans: "none" (no test), "sent", "expired",
#: "in_progress", "done" (completed test).
CANDIDATES = (
    ("Aiko Tanaka", 0, Stage.APPLIED, "none"),
    ("Bruno Costa", 0, Stage.APPLIED, "none"),
    ("Chiara Bianchi", 1, Stage.APPLIED, "none"),
    ("Dmitri Volkov", 1, Stage.APPLIED, "none"),
    ("Esi Boateng", 0, Stage.APPLIED, "none"),
    ("Felix Wagner", 1, Stage.APPLIED, "none"),
    ("Gabriela Ruiz", 0, Stage.SCREENING, "sent"),
    ("Hamid Karimi", 1, Stage.SCREENING, "sent"),
    ("Ines Moreau", 0, Stage.SCREENING, "expired"),
    ("Jonas Berg", 1, Stage.SCREENING, "in_progress"),
    ("Kavya Reddy", 0, Stage.SCREENING, "none"),
    ("Liam O'Connor", 0, Stage.ASSESSED, "done"),
    ("Maya Cohen", 0, Stage.ASSESSED, "done"),
    ("Nikolai Petrov", 1, Stage.ASSESSED, "done"),
    ("Olivia Brown", 1, Stage.ASSESSED, "done"),
    ("Pedro Santos", 0, Stage.ASSESSED, "done"),
    ("Qing Zhao", 1, Stage.ASSESSED, "done"),
    ("Rosa Jiménez", 0, Stage.ASSESSED, "done"),
    ("Samir Haddad", 1, Stage.ASSESSED, "done"),
    ("Tara Singh", 0, Stage.INTERVIEW, "done"),
    ("Umar Farouk", 1, Stage.INTERVIEW, "done"),
    ("Valentina Rossi", 0, Stage.INTERVIEW, "done"),
    ("Wei Chen", 1, Stage.INTERVIEW, "done"),
    ("Ximena Torres", 1, Stage.INTERVIEW, "done"),
    ("Yusuf Demir", 0, Stage.OFFER, "done"),
    ("Zoe Williams", 1, Stage.OFFER, "done"),
    ("Adrien Laurent", 0, Stage.REJECTED, "done"),
    ("Bianca Neumann", 1, Stage.REJECTED, "done"),
    ("Carlos Mendes", 0, Stage.REJECTED, "done"),
    ("Dana Levi", 1, Stage.REJECTED, "done"),
    ("Emeka Obi", 1, Stage.REJECTED, "none"),
    ("Freya Nilsson", 0, Stage.WITHDRAWN, "done"),
    ("Goran Ilić", 1, Stage.WITHDRAWN, "none"),
)

#: Candidates who also applied to the other opening (same e-mail): flagged duplicates.
DUPLICATES = (("Maya Cohen", 1, Stage.APPLIED), ("Wei Chen", 0, Stage.SCREENING))
SOURCES = ("Careers page", "Job board", "Referral", "LinkedIn", "University fair")
REJECTIONS = (
    "Test result well below what the role needs.",
    "Interview: blamed customers for most of the problems described.",
    "Could not work the evening shifts the team needs.",
    "Chose a candidate with stronger written English for public replies.",
    "No reply to two messages about next steps.",
)
HIRED_REPS = 8


def _email(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode().replace("'", "")
    return ".".join(ascii_name.lower().split()) + "@example.net"


@dataclass(frozen=True)
class Person:
    """A made-up candidate's aptitude: overall, and a tilt per competency."""

    ability: float
    tilt: dict[Competency, float]


def _person(rng: random.Random, ability: float | None = None) -> Person:
    return Person(
        ability=rng.gauss(0, 1) if ability is None else ability,
        tilt={c: rng.gauss(0, 0.5) for c in COMPETENCIES},
    )


def _pick(rng: random.Random, options: list, utilities: list[float], sharpness: float):
    weights = [math.exp(sharpness * u) for u in utilities]
    return rng.choices(options, weights=weights)[0]


def _answer(rng: random.Random, item: Item, person: Person) -> Answer:
    """What this person picks: better options more often the abler they are."""
    sharpness = max(0.02, 0.15 + 0.2 * person.ability)
    utility = [
        sum(points * (1 + person.tilt[c]) for c, points in option.points.items())
        for option in item.options
    ]
    options = list(item.options)
    best = _pick(rng, options, utility, sharpness)
    if item.type is ItemType.SINGLE:
        return Answer(best.key)
    rest = [(o, -u) for o, u in zip(options, utility, strict=True) if o is not best]
    worst = _pick(rng, [o for o, _ in rest], [u for _, u in rest], sharpness)
    return Answer(best.key, worst.key)


class _Builder:
    def __init__(self, result: DemoResult) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 (made-up demo data)
        self.now = utcnow().replace(second=0, microsecond=0)
        managers = result.by_role(Role.HIRING_MANAGER)
        self.managers = sorted(managers, key=lambda u: u.email)
        self.manager = self.managers[0]
        self.result = result
        outcome = operations.load_assessment(DEFAULT_ASSESSMENT.read_text(), by="demo")
        self.assessment = outcome.assessment
        self.spec: AssessmentSpec = self.assessment.parsed

    def openings(self) -> list[Opening]:
        found = []
        for demo in OPENINGS:
            opening = db.session.scalar(
                select(Opening).where(Opening.title == demo.title)
            )
            if opening is None:
                opening = operations.save_opening(
                    None,
                    operations.OpeningInput(
                        title=demo.title,
                        team_id=self.result.teams[demo.team].id,
                        assessment_id=self.assessment.id,
                        weights=demo.weights,
                        channels=demo.channels,
                        description=demo.description,
                        blind_review=demo.blind,
                    ),
                    by=self.manager,
                )
                opening.created_at = self.now - 75 * DAY
            found.append(opening)
        return found

    def take_test(
        self, candidate: Candidate, person: Person, invited: dt.datetime
    ) -> None:
        invitation, _ = invitation_operations.create_invitation(
            candidate, by=self.manager, at=invited
        )
        started = invited + self.rng.randint(2, 60) * dt.timedelta(hours=1)
        invitation_operations.start_test(invitation, at=started)
        at = started
        for item in self.spec.items:
            at += dt.timedelta(seconds=self.rng.randint(40, 95))
            answer = _answer(self.rng, item, person)
            invitation_operations.save_answer(
                invitation, item.key, answer.best, answer.worst, at=at
            )
        invitation_operations.submit_test(invitation, at=at + dt.timedelta(seconds=30))

    def candidate(
        self,
        opening: Opening,
        name: str,
        stage: Stage,
        plan: str,
        *,
        email: str | None = None,
        person: Person | None = None,
        created: dt.datetime | None = None,
    ) -> Candidate | None:
        email = email or _email(name)
        exists = db.session.scalar(
            select(Candidate.id).where(
                Candidate.opening_id == opening.id, Candidate.email == email
            )
        )
        if exists is not None:
            return None
        rng = self.rng
        person = person or _person(rng)
        if created is None:
            days = rng.randint(1, 9) if stage is Stage.APPLIED else rng.randint(20, 70)
            if stage in (Stage.REJECTED, Stage.WITHDRAWN):
                days = rng.randint(40, 260)
            created = (
                self.now - days * DAY - rng.randint(0, 600) * dt.timedelta(minutes=1)
            )
        candidate = operations.add_candidate(
            opening,
            operations.CandidateInput(
                name=name,
                email=email,
                phone=f"+44 7700 9{rng.randint(0, 99999):05d}",
                source=rng.choice(SOURCES),
                consent_on=created.date(),
            ),
            by=self.manager,
            at=created,
        )
        at = created + rng.randint(1, 3) * DAY
        if stage is not Stage.APPLIED:
            operations.move_candidate(
                candidate, Stage.SCREENING, "CV fits the role", by=self.manager, at=at
            )
        if plan == "done":
            self.take_test(candidate, person, at + dt.timedelta(hours=2))
            at = candidate.stage_changed_at
        elif plan == "sent":
            invitation_operations.create_invitation(
                candidate, by=self.manager, at=self.now - 2 * DAY
            )
        elif plan == "expired":
            invitation_operations.create_invitation(
                candidate, by=self.manager, at=self.now - 10 * DAY, days=7
            )
        elif plan == "in_progress":
            invitation, _ = invitation_operations.create_invitation(
                candidate, by=self.manager, at=self.now - 3 * DAY
            )
            started = self.now - dt.timedelta(minutes=6)
            invitation_operations.start_test(invitation, at=started)
            for n, item in enumerate(self.spec.items[:5]):
                answer = _answer(rng, item, person)
                invitation_operations.save_answer(
                    invitation,
                    item.key,
                    answer.best,
                    answer.worst,
                    at=started + dt.timedelta(minutes=n + 1),
                )
        self.advance(candidate, stage, person, at)
        return candidate

    def advance(
        self, candidate: Candidate, stage: Stage, person: Person, at: dt.datetime
    ) -> None:
        """Move the candidate on to ``stage``, with ratings and scorecards on the way."""
        rng = self.rng
        path = {
            Stage.INTERVIEW: [Stage.INTERVIEW],
            Stage.OFFER: [Stage.INTERVIEW, Stage.OFFER],
            Stage.HIRED: [Stage.INTERVIEW, Stage.OFFER],
        }.get(stage, [])
        if candidate.result is not None:
            for reviewer in self.managers:
                # In a blind opening whoever moves a candidate to interview has rated.
                mover = reviewer is self.manager and candidate.opening.blind_review
                if rng.random() < 0.6 or (mover and path):
                    self.rate(candidate, person, reviewer)
        for step in path:
            at = min(self.now - DAY, at + rng.randint(3, 9) * DAY)
            operations.move_candidate(candidate, step, "", by=self.manager, at=at)
            if step is Stage.INTERVIEW:
                for interviewer in self.managers[: rng.randint(1, len(self.managers))]:
                    blind = candidate.opening.blind_review
                    if blind and not identity.has_rated(candidate.id, interviewer.id):
                        # Reviewers of a blind opening rate the test before they meet.
                        self.rate(candidate, person, interviewer)
                    self.scorecard(candidate, person, interviewer, at + 2 * DAY)
        if stage in (Stage.REJECTED, Stage.WITHDRAWN):
            closed = min(self.now - DAY, at + rng.randint(3, 20) * DAY)
            reason = (
                rng.choice(REJECTIONS)
                if stage is Stage.REJECTED
                else "Accepted another offer."
            )
            operations.move_candidate(
                candidate, stage, reason, by=self.manager, at=closed
            )

    def rate(self, candidate: Candidate, person: Person, reviewer: User) -> None:
        rating = min(5, max(1, round(3 + person.ability + self.rng.gauss(0, 0.6))))
        review_operations.rate_result(candidate, by=reviewer, rating=rating)

    def scorecard(
        self, candidate: Candidate, person: Person, interviewer: User, at: dt.datetime
    ) -> None:
        ratings = {
            c: min(
                5,
                max(
                    1,
                    round(
                        3
                        + 0.8 * person.ability
                        + person.tilt[c]
                        + self.rng.gauss(0, 0.5)
                    ),
                ),
            )
            for c in COMPETENCIES
        }
        mean = sum(ratings.values()) / len(ratings)
        recommendation = (
            Recommendation.STRONG_HIRE
            if mean >= 4.2
            else Recommendation.HIRE
            if mean >= 3.2
            else Recommendation.NO_HIRE
            if mean >= 2.2
            else Recommendation.STRONG_NO_HIRE
        )
        card = review_operations.submit_scorecard(
            candidate,
            by=interviewer,
            ratings=ratings,
            recommendation=recommendation,
            notes="Gave concrete examples; see the ratings for the detail.",
        )
        card.submitted_at = min(at, self.now)

    def seen_first(self, openings: list[Opening]) -> None:
        """In the blind opening, a manager saw one candidate's details before rating,
        to send the test link by hand (recorded, and shown on the candidate page)."""
        blind = next((o for o in openings if o.blind_review), None)
        if blind is None or len(self.managers) < 2:
            return
        candidate = db.session.scalar(
            select(Candidate).where(
                Candidate.opening_id == blind.id,
                Candidate.email == _email("Hamid Karimi"),
            )
        )
        if candidate is not None:
            review_operations.reveal_candidate(
                candidate, by=self.managers[1], reason=RevealReason.SEND_LINK
            )

    def hired(self, openings: list[Opening]) -> int:
        """Link the first demo reps to candidacies that ended in a hire months ago."""
        by_team = {o.team_id: o for o in openings}
        per_team = HIRED_REPS // len(by_team)
        reps = [
            rep
            for team_id in by_team
            for rep in sorted(
                (r for r in self.result.by_role(Role.REP) if r.team_id == team_id),
                key=lambda u: u.email,
            )[:per_team]
        ]
        added = 0
        for index, rep in enumerate(reps):
            linked = db.session.scalar(
                select(Candidate.id).where(Candidate.hired_user_id == rep.id)
            )
            opening = by_team.get(rep.team_id)
            if linked is not None or opening is None:
                continue
            hired_at = self.now - (213 + index * 9) * DAY  # 7 to 9 months ago
            created = hired_at - self.rng.randint(35, 50) * DAY
            person = _person(self.rng)
            candidate = self.candidate(
                opening,
                rep.name,
                Stage.OFFER,
                "done",
                email=rep.email,
                person=person,
                created=created,
            )
            if candidate is None:
                continue
            operations.record_hire(
                candidate, rep, by=self.manager, note="Joined the team", at=hired_at
            )
            added += 1
        return added


def build(result: DemoResult) -> None:
    """Add this module's demo records; idempotent like every demo step."""
    if not result.by_role(Role.HIRING_MANAGER):
        return
    builder = _Builder(result)
    openings = builder.openings()
    added = 0
    for name, index, stage, plan in CANDIDATES:
        if builder.candidate(openings[index], name, stage, plan) is not None:
            added += 1
    for name, index, stage in DUPLICATES:
        if builder.candidate(openings[index], name, stage, "none") is not None:
            added += 1
    hires = builder.hired(openings)
    builder.seen_first(openings)
    db.session.flush()
    if added or hires:
        result.notes.append(
            f"Recruiting: {added} candidates in {len(openings)} openings, "
            f"{hires} earlier hires linked to demo reps."
        )
