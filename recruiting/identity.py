"""What a viewer may see of a candidate: the one place blind review is decided.

In a blind opening a candidate's identity (name, e-mail, phone, source, notes, and any
free text that names them) is withheld from each viewer until that viewer has rated the
test result, or has chosen to see the details (a recorded act), and is shown again once
the candidate is hired (``pipeline.identity_hidden``). Every surface that shows a
candidate (pages, exports, the API, the dashboard, e-mail previews) takes a
:class:`Person` from here instead of reading the candidate's fields itself; searches use
:func:`searchable` so a hidden candidate cannot be found, and so named, by what the
searcher typed.

API tokens are not people and never rate: :data:`TOKEN_VIEWER_ID` stands for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select

from core.access import Role, Viewer
from core.db import db
from recruiting import pipeline
from recruiting.models import (
    Candidate,
    CandidateReveal,
    InterviewScorecard,
    Opening,
    ResultRating,
)
from recruiting.pipeline import Stage

#: Roles that review and interview candidates (and so may rate their tests).
REVIEWERS = frozenset({Role.ADMIN, Role.HIRING_MANAGER})
#: What stands in a hidden candidate's free text where their name or details were.
WITHHELD = "[withheld]"
#: The viewer id of callers that are not people (API tokens): no user has it.
TOKEN_VIEWER_ID = 0
#: How an API token looks at candidates: it has rated none.
TOKEN_VIEWER = Viewer(user_id=TOKEN_VIEWER_ID, roles=frozenset())
#: Name parts shorter than this are left in free text (initials, "Li" in "Lily"...).
_SHORTEST_TERM = 3


@dataclass(frozen=True)
class Person:
    """A candidate's identity as one viewer may see it."""

    id: int
    name: str
    email: str | None
    phone: str | None
    source: str | None
    notes: str | None
    #: Blind review keeps the identity from this viewer for now.
    hidden: bool
    erased: bool
    #: What :meth:`redact` takes out of free text (empty unless hidden).
    _terms: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def label(self) -> str:
        if self.hidden or self.erased or not self.name:
            return f"Candidate #{self.id}"
        return self.name

    def redact(self, text: str | None) -> str:
        """``text`` (a stage reason, a note) with this candidate's identity taken out
        when it is hidden from the viewer; unchanged otherwise."""
        if not text or not self._terms:
            return text or ""
        pattern = "|".join(re.escape(term) for term in self._terms)
        return re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", WITHHELD, text, flags=re.I)


def _terms(candidate: Candidate) -> tuple[str, ...]:
    name = (candidate.name or "").strip()
    terms = {name, candidate.email or "", candidate.phone or ""}
    terms |= {part for part in re.split(r"[\s,]+", name) if len(part) >= _SHORTEST_TERM}
    if candidate.email:
        local = candidate.email.partition("@")[0]
        if len(local) >= _SHORTEST_TERM:
            terms.add(local)
    # Longest first, so a full name is withheld whole rather than part by part.
    return tuple(sorted((t for t in terms if t), key=len, reverse=True))


def person(candidate: Candidate, *, blind: bool, has_seen: bool) -> Person:
    """How ``candidate`` appears to a viewer who has (or has not) seen their details."""
    hidden = pipeline.identity_hidden(
        blind=blind, stage=candidate.stage, has_seen=has_seen
    )
    return Person(
        id=candidate.id,
        name="" if hidden else candidate.name,
        email=None if hidden else candidate.email,
        phone=None if hidden else candidate.phone,
        source=None if hidden else candidate.source,
        notes=None if hidden else candidate.notes,
        hidden=hidden,
        erased=candidate.is_erased,
        _terms=_terms(candidate) if hidden else (),
    )


def has_seen(viewer: Viewer, candidate: Any = Candidate) -> ColumnElement[bool]:
    """SQL: has ``viewer`` rated the test of (or chosen to see) the candidate in the
    enclosing query's row? Select it as a column, or filter on it.

    :param candidate: :class:`Candidate`, or an alias of it.
    """
    rated = exists(
        select(ResultRating.id).where(
            ResultRating.candidate_id == candidate.id,
            ResultRating.reviewer_id == viewer.user_id,
        )
    )
    revealed = exists(
        select(CandidateReveal.id).where(
            CandidateReveal.candidate_id == candidate.id,
            CandidateReveal.user_id == viewer.user_id,
        )
    )
    return or_(rated, revealed)


def searchable(
    viewer: Viewer, candidate: Any = Candidate, opening: Any = Opening
) -> ColumnElement[bool]:
    """SQL twin of ``pipeline.identity_hidden`` negated: whose name, e-mail or phone may
    match what ``viewer`` searched for, and whose records may be linked to another
    candidate's. The query must join ``opening`` (:class:`Opening` or an alias of it)."""
    return or_(
        opening.blind_review.is_(False),
        candidate.stage == Stage.HIRED,
        has_seen(viewer, candidate),
    )


def visible_ids(viewer: Viewer, candidate_ids: Iterable[int | None]) -> set[int]:
    """Which of these candidates ``viewer`` may see the identity of, in one query."""
    ids = sorted({i for i in candidate_ids if i is not None})
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Candidate.id)
            .join(Opening, Opening.id == Candidate.opening_id)
            .where(Candidate.id.in_(ids), searchable(viewer))
        )
    )


def duplicate_link(this: Person, other_id: int | None, visible: set[int]) -> int | None:
    """The other record of the same person that ``this`` may point to, or ``None``.

    A possible duplicate ties two records to one person: shown only when the viewer may
    see both, or it would name a blind candidate through the other record.
    """
    if other_id is None or this.hidden or other_id not in visible:
        return None
    return other_id


def seen_ids(viewer: Viewer, candidate_ids: Iterable[int]) -> set[int]:
    """Which of these candidates ``viewer`` has rated or chosen to see, in one query."""
    ids = sorted(set(candidate_ids))
    if not ids or viewer.user_id == TOKEN_VIEWER_ID:
        return set()
    rated = select(ResultRating.candidate_id).where(
        ResultRating.reviewer_id == viewer.user_id,
        ResultRating.candidate_id.in_(ids),
    )
    revealed = select(CandidateReveal.candidate_id).where(
        CandidateReveal.user_id == viewer.user_id,
        CandidateReveal.candidate_id.in_(ids),
    )
    return set(db.session.scalars(rated.union(revealed)))


def person_for(candidate: Candidate, viewer: Viewer) -> Person:
    """How ``candidate`` appears to ``viewer`` (one query at most)."""
    blind = candidate.opening.blind_review
    seen = bool(blind) and candidate.id in seen_ids(viewer, [candidate.id])
    return person(candidate, blind=blind, has_seen=seen)


@dataclass(frozen=True)
class Sight:
    """What ``viewer`` may see of one candidate, worked out once for every surface."""

    person: Person
    #: The viewer's own rating of the test result.
    mine: ResultRating | None
    #: Every rating, oldest first, and whether the viewer may read the others'.
    ratings: list[ResultRating]
    ratings_visible: bool
    #: Every interview scorecard, and whether the viewer may read the others'.
    cards: list[InterviewScorecard]
    my_card: InterviewScorecard | None
    cards_visible: bool
    reveals: list[CandidateReveal]


def sight(candidate: Candidate, viewer: Viewer) -> Sight:
    """What ``viewer`` may see of ``candidate``: identity (blind review), the other
    reviewers' ratings (after one's own) and the other interviewers' scorecards (after
    one's own). The candidate page, its export and the forms that name the candidate
    all ask this."""
    ratings = list(
        db.session.scalars(
            select(ResultRating)
            .where(ResultRating.candidate_id == candidate.id)
            .order_by(ResultRating.rated_at)
        )
    )
    reveals = list(
        db.session.scalars(
            select(CandidateReveal)
            .where(CandidateReveal.candidate_id == candidate.id)
            .order_by(CandidateReveal.at)
        )
    )
    cards = list(
        db.session.scalars(
            select(InterviewScorecard)
            .where(InterviewScorecard.candidate_id == candidate.id)
            .order_by(InterviewScorecard.submitted_at)
        )
    )
    mine = next((r for r in ratings if r.reviewer_id == viewer.user_id), None)
    revealed = any(r.user_id == viewer.user_id for r in reveals)
    my_card = next((c for c in cards if c.interviewer_id == viewer.user_id), None)
    return Sight(
        person=person(
            candidate,
            blind=candidate.opening.blind_review,
            has_seen=mine is not None or revealed,
        ),
        mine=mine,
        ratings=ratings,
        ratings_visible=mine is not None or not viewer.has_any(REVIEWERS),
        cards=cards,
        my_card=my_card,
        cards_visible=pipeline.scorecards_visible(
            is_interviewer=viewer.has_any(REVIEWERS),
            has_submitted=my_card is not None,
            stage=candidate.stage,
        ),
        reveals=reveals,
    )


def has_rated(candidate_id: int, user_id: int) -> bool:
    """Has this user rated this candidate's test result?"""
    return (
        db.session.scalar(
            select(ResultRating.id).where(
                ResultRating.candidate_id == candidate_id,
                ResultRating.reviewer_id == user_id,
            )
        )
        is not None
    )


def blind_move_check(
    candidate: Candidate, target: Stage, user_id: int | None
) -> pipeline.Check:
    """May the person ``user_id`` move ``candidate`` to ``target`` under blind review?
    (``None``: not a person, such as the demo or a command, which blind review does not
    bind.)"""
    if user_id is None or not candidate.opening.blind_review:
        return pipeline.YES
    return pipeline.check_blind_move(
        target,
        blind=True,
        has_result=candidate.result is not None,
        has_rated=has_rated(candidate.id, user_id),
    )
