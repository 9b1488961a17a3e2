"""Writes for quality: rubrics and their versions, the monthly sample, reviews saved and
submitted, acknowledgements, disputes and their decisions; each audited."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.access import can_supervise_rep
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotAllowed
from core.people import User
from incentives.tickets.queries import (
    TicketFacts,
    solved_month,
    solved_ticket_facts,
)
from quality import queries
from quality import reviews as review_rules
from quality import rubrics as rubric_rules
from quality.models import QaHelpdeskLink, QaReview, QaRubric, QaRubricVersion
from quality.reviews import Decision, ReviewState
from quality.rubrics import Rubric, RubricInvalid
from quality.sampling import (
    Reason,
    SamplePlan,
    SampleTicket,
    pick_sample,
    refund_amount,
)
from training.queries import held_limit

logger = logging.getLogger(__name__)

Actor = User | str


def _actor(by: Actor) -> tuple[int | None, str]:
    return (by.id, by.email) if isinstance(by, User) else (None, str(by))


# --- rubrics ------------------------------------------------------------------------------


def save_rubric(rubric: Rubric, *, by: Actor) -> tuple[QaRubricVersion, str]:
    """Store ``rubric`` as its channel group's rubric.

    A version a submitted review was judged by is frozen: a change then makes the next
    version. An unfrozen current version is changed in place; an unchanged rubric
    changes nothing.

    :return: the version now current, and what happened: ``created``, ``new_version``,
        ``updated`` or ``unchanged``.
    """
    digest = rubric_rules.content_hash(rubric)
    data = rubric_rules.rubric_to_data(rubric)
    user_id, label = _actor(by)
    record = queries.get_rubric_for(rubric.channel_group)
    if record is None:
        record = QaRubric(channel_group=rubric.channel_group, name=rubric.name)
        db.session.add(record)
        db.session.flush()
        version = QaRubricVersion(
            rubric_id=record.id,
            version=1,
            definition=data,
            content_hash=digest,
            created_by_id=user_id,
            actor_label=label,
        )
        db.session.add(version)
        db.session.flush()
        audit.record(
            by,
            "quality.rubric.create",
            version,
            summary=f"Rubric '{rubric.name}' for {rubric.channel_group.label} created",
            data={"rubric": data},
        )
        return version, "created"
    current = record.current
    if current.content_hash == digest:
        return current, "unchanged"
    before = dict(current.definition)
    record.name = rubric.name
    if current.id in queries.locked_version_ids():
        version = QaRubricVersion(
            rubric_id=record.id,
            version=current.version + 1,
            definition=data,
            content_hash=digest,
            created_by_id=user_id,
            actor_label=label,
        )
        db.session.add(version)
        outcome = "new_version"
        summary = (
            f"Rubric '{rubric.name}' v{version.version} made (v{current.version} is "
            "frozen: submitted reviews used it)"
        )
    else:
        version = current
        version.definition = data
        version.content_hash = digest
        version.updated_at = utcnow()
        outcome = "updated"
        summary = f"Rubric '{rubric.name}' v{version.version} changed"
    db.session.flush()
    db.session.expire(record, ["versions"])
    audit.record(
        by,
        "quality.rubric.update",
        version,
        summary=summary,
        data={"before": before, "after": data},
    )
    return version, outcome


def import_rubric_yaml(
    text: str, *, by: Actor, group: str | None = None
) -> tuple[QaRubricVersion, str]:
    """Load a rubric from YAML (``qa rubrics load`` and the edit page).

    :param group: the channel group the text must be for (the edit page of a rubric).
    :raises InvalidInput: not YAML, or a rubric with problems, each with its line.
    """
    try:
        rubric = rubric_rules.parse_rubric_yaml(text)
    except RubricInvalid as e:
        raise InvalidInput({"text": e.errors}) from e
    if group is not None and rubric.channel_group.value != group:
        raise InvalidInput(
            {"text": [f"channel_group: this rubric is for {group}; keep it so."]}
        )
    return save_rubric(rubric, by=by)


def set_helpdesk_link(source: str, url_pattern: str, *, by: Actor) -> QaHelpdeskLink:
    """Where ``source``'s tickets open in the helpdesk (``{id}``: its ticket id).

    :raises InvalidInput: not an http(s) address with ``{id}`` in it.
    """
    pattern = url_pattern.strip()
    if not pattern.startswith(("https://", "http://")) or "{id}" not in pattern:
        raise InvalidInput(
            {
                "url_pattern": [
                    "Give an http(s) address with {id} where the ticket id goes."
                ]
            }
        )
    if len(pattern) > 500 or not source or len(source) > 32:
        raise InvalidInput({"url_pattern": ["At most 500 characters, please."]})
    link = db.session.get(QaHelpdeskLink, source)
    before = link.url_pattern if link else None
    if before == pattern:
        return link  # type: ignore[return-value]
    if link is None:
        link = QaHelpdeskLink(source=source, url_pattern=pattern)
        db.session.add(link)
    link.url_pattern = pattern
    link.updated_at = utcnow()
    audit.record(
        by,
        "quality.link.set",
        None,
        summary=f"Tickets from {source} open at {pattern}",
        before={"url_pattern": before},
        after={"url_pattern": pattern},
    )
    db.session.flush()
    return link


# --- sampling -----------------------------------------------------------------------------


@dataclass
class SampleOutcome:
    """What sampling a month did."""

    month: str
    created: int = 0
    #: Reps sampled before (left as they are).
    already: int = 0
    reps: int = 0
    #: Reps whose team has no supervisor to review them.
    no_reviewer: list[str] = field(default_factory=list)
    #: Channel groups with tickets but no rubric.
    no_rubric: list[str] = field(default_factory=list)


def sample_month(
    month: str,
    *,
    by: Actor,
    plan: SamplePlan | None = None,
    due_days: int = review_rules.DUE_DAYS,
) -> SampleOutcome:
    """Draw ``month``'s sample: per rep, targeted and random solved tickets, each a draft
    review assigned to the rep's supervisor, due ``due_days`` after the month.

    Idempotent: a rep sampled for the month before is left alone, and a ticket is
    reviewed at most once, so a second run adds nothing.
    """
    plan = plan or SamplePlan()
    outcome = SampleOutcome(month)
    facts = solved_ticket_facts(month)
    versions = queries.current_versions()
    outcome.no_rubric = sorted({f.channel_group for f in facts} - set(versions))
    done = queries.reps_sampled(month)
    reps = queries.reps_by_id(f.rep_id for f in facts if f.rep_id is not None)
    outcome.already = len(done & set(reps))
    rows = [
        _sample_row(f, reps[f.rep_id])
        for f in facts
        if f.rep_id is not None
        and f.rep_id not in done
        and f.channel_group in versions
        and reps[f.rep_id].is_active
    ]
    supervisors = queries.supervisors_by_team()
    facts_by_id = {f.id: f for f in facts}
    picks = pick_sample(rows, plan, seed=month)
    reviewed = queries.reviewed_ticket_ids([p.ticket_id for p in picks])
    due = review_rules.due_on(month, due_days)
    sampled_reps: set[int] = set()
    for pick in picks:
        rep = reps[pick.rep_id]
        reviewer = review_rules.default_reviewer(
            rep.id, supervisors.get(rep.team_id, []) if rep.team_id else []
        )
        if review_rules.reviewer_problem(reviewer, rep.id):
            if rep.email not in outcome.no_reviewer:
                outcome.no_reviewer.append(rep.email)
            continue
        if pick.ticket_id in reviewed:
            continue
        db.session.add(
            QaReview(
                ticket_id=pick.ticket_id,
                rep_id=rep.id,
                reviewer_id=reviewer,
                month=month,
                reason=pick.reason.value,
                rubric_version_id=versions[
                    facts_by_id[pick.ticket_id].channel_group
                ].id,
                due_on=due,
            )
        )
        outcome.created += 1
        sampled_reps.add(rep.id)
    outcome.reps = len(sampled_reps)
    db.session.flush()
    if outcome.created:
        audit.record(
            by,
            "quality.sample.draw",
            None,
            summary=f"Sample for {month}: {outcome.created} ticket"
            + ("" if outcome.created == 1 else "s")
            + f" of {outcome.reps} rep"
            + ("" if outcome.reps == 1 else "s"),
            data={"month": month, "created": outcome.created, "reps": outcome.reps},
        )
    return outcome


def _sample_row(facts: Any, rep: User) -> SampleTicket:
    refund = refund_amount(facts.tags)
    limit = None
    if refund is not None:
        held = held_limit(rep, "refund", facts.solved_at or facts.created_at)
        limit = held.limit if held is not None else None
    return SampleTicket(
        ticket_id=facts.id,
        rep_id=rep.id,
        channel_group=facts.channel_group,
        satisfied=facts.satisfied,
        reopens=facts.reopens,
        resolution_hours=(
            facts.resolution_min / 60 if facts.resolution_min is not None else None
        ),
        refund=refund,
        refund_limit=limit,
    )


# --- reviews ------------------------------------------------------------------------------


def _check_ratings(
    review: QaReview, ratings: Mapping[str, Any], comments: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    rubric = review.rubric_version.rules
    kept = {k: v for k, v in ratings.items() if v is not None}
    problems = rubric_rules.rating_problems(rubric, kept)
    if problems:
        raise InvalidInput({f"rating_{k}": [v] for k, v in problems.items()})
    notes = {k: v.strip()[:2000] for k, v in comments.items() if v and v.strip()}
    unknown = [k for k in notes if rubric.category(k) is None]
    if unknown:
        raise InvalidInput({"": ["This rubric has no category " + ", ".join(unknown)]})
    return kept, notes


def save_draft(
    review: QaReview,
    *,
    ratings: Mapping[str, Any],
    comments: Mapping[str, str],
    note: str,
    by: User,
) -> QaReview:
    """Keep the reviewer's work on a draft (the page saves on every change).

    :raises NotAllowed: not the reviewer.
    :raises Conflict: the review was submitted already.
    :raises InvalidInput: a rating off its category's scale.
    """
    _check_editor(review, by)
    kept, notes = _check_ratings(review, ratings, comments)
    review.ratings = kept
    review.comments = notes
    review.note = note.strip()[:5000]
    review.score = rubric_rules.score_review(review.rubric_version.rules, kept).score
    review.updated_at = utcnow()
    db.session.flush()
    return review


def _check_editor(review: QaReview, by: User) -> None:
    problem = review_rules.edit_problem(review.state, review.reviewer_id, by.id)
    if problem and by.id != review.reviewer_id:
        raise NotAllowed(problem)
    if problem:
        raise Conflict(problem)


def submit_review(
    review: QaReview,
    *,
    ratings: Mapping[str, Any],
    comments: Mapping[str, str],
    note: str,
    by: User,
) -> QaReview:
    """Submit a review: final from now on; the rep sees it.

    :raises InvalidInput: a category not rated yet.
    :raises Conflict: submitted already (a second submit, or two at once).
    """
    save_draft(review, ratings=ratings, comments=comments, note=note, by=by)
    result = rubric_rules.score_review(review.rubric_version.rules, review.ratings)
    if result.missing:
        rubric = review.rubric_version.rules
        raise InvalidInput(
            {
                f"rating_{key}": [
                    f"Rate {rubric.category(key).label} (or mark it not applicable)."  # type: ignore[union-attr]
                ]
                for key in result.missing
            }
        )
    now = utcnow()
    moved = db.session.execute(
        update(QaReview)
        .where(QaReview.id == review.id, QaReview.state == ReviewState.DRAFT)
        .values(
            state=ReviewState.SUBMITTED,
            submitted_at=now,
            score=result.score,
            critical_failed=bool(result.critical_failed),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict(
            "This review was submitted already; a submitted review is final."
        )
    db.session.refresh(review)
    audit.record(
        by,
        "quality.review.submit",
        review,
        summary=f"Review of ticket {review.ticket_id} for {review.rep.name} submitted: "
        + _score_text(result.score, result.critical_failed),
        data={"ratings": review.ratings, "score": result.score},
    )
    db.session.flush()
    return review


def _score_text(score: float | None, failed: tuple[str, ...]) -> str:
    if failed:
        return "0 (a critical category failed: " + ", ".join(failed) + ")"
    return "no score (nothing applied)" if score is None else f"{score:g}"


def acknowledge_review(review: QaReview, *, by: User) -> QaReview:
    """The rep has read the review.

    :raises NotAllowed: not the rep's review.
    :raises Conflict: not submitted, or acknowledged or disputed already.
    """
    _check_rep_action(review, by, "acknowledge")
    review.state = ReviewState.ACKNOWLEDGED
    review.acknowledged_at = utcnow()
    audit.record(
        by,
        "quality.review.acknowledge",
        review,
        summary=f"{by.name} acknowledged the review of ticket {review.ticket_id}",
    )
    db.session.flush()
    return review


def dispute_review(review: QaReview, *, reason: str, by: User) -> QaReview:
    """The rep disputes the review; a supervisor or admin other than the reviewer decides.

    :raises InvalidInput: no reason given.
    """
    _check_rep_action(review, by, "dispute")
    if not reason.strip():
        raise InvalidInput({"reason": ["Say what you think the review got wrong."]})
    review.state = ReviewState.DISPUTED
    review.dispute_reason = reason.strip()[:2000]
    review.disputed_at = utcnow()
    audit.record(
        by,
        "quality.review.dispute",
        review,
        summary=f"{by.name} disputed the review of ticket {review.ticket_id}",
        data={"reason": review.dispute_reason},
    )
    db.session.flush()
    return review


def _check_rep_action(review: QaReview, by: User, action: str) -> None:
    if by.id != review.rep_id:
        raise NotAllowed("Only the rep whose ticket was reviewed can do this.")
    problem = review_rules.rep_action_problem(review.state, action)
    if problem:
        raise Conflict(problem)


def decide_dispute(
    review: QaReview, *, decision: Decision, note: str, by: User, may_act: bool
) -> QaReview:
    """Decide a disputed review: upheld (it counts) or withdrawn (it no longer counts).

    :param may_act: ``by`` is an admin or supervises the rep's team.
    :raises NotAllowed: the reviewer, the rep, or someone who may not act for the rep.
    :raises Conflict: not disputed, or decided already (also by someone at the same time).
    :raises InvalidInput: no note given.
    """
    problem = review_rules.decide_problem(
        review.state,
        decider_id=by.id,
        reviewer_id=review.reviewer_id,
        rep_id=review.rep_id,
        may_act=may_act,
    )
    if problem and review.state is ReviewState.DISPUTED:
        raise NotAllowed(problem)
    if problem:
        raise Conflict(problem)
    if not note.strip():
        raise InvalidInput({"note": ["Say why, for the rep and the reviewer."]})
    moved = db.session.execute(
        update(QaReview)
        .where(QaReview.id == review.id, QaReview.state == ReviewState.DISPUTED)
        .values(
            state=ReviewState.DECIDED,
            decision=decision,
            decision_note=note.strip()[:2000],
            decided_at=utcnow(),
            decided_by_id=by.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict("This dispute has been decided already.")
    db.session.refresh(review)
    audit.record(
        by,
        "quality.review.decide",
        review,
        summary=f"Dispute about the review of ticket {review.ticket_id} decided: "
        + decision.label,
        data={"decision": decision.value, "note": review.decision_note},
    )
    db.session.flush()
    return review


# --- reviews done elsewhere (the API) -----------------------------------------------------


def record_outside_review(
    facts: TicketFacts,
    *,
    reviewer: User,
    ratings: Mapping[str, Any],
    comments: Mapping[str, str],
    note: str,
    by: Actor,
) -> QaReview:
    """A review done in another tool, submitted at once: checked as the review page checks
    a submit (every category rated, or not applicable where allowed; values on the
    scale), judged by the current rubric of the ticket's channel group.

    :raises InvalidInput: the ticket is not solved or credited to a rep, the reviewer may
        not review the rep, no rubric for the channel, or ratings with problems (each
        named by its category: ``ratings.empathy``).
    :raises Conflict: the ticket has a review already (one review per ticket).
    """
    if facts.rep_id is None:
        raise InvalidInput({"ticket": ["No rep is credited with this ticket."]})
    if facts.solved_at is None:
        raise InvalidInput({"ticket": ["This ticket is not solved yet."]})
    if queries.reviewed_ticket_ids([facts.id]):
        raise Conflict(_reviewed_already(facts))
    rep = db.session.get(User, facts.rep_id)
    if rep is None:  # pragma: no cover - an agent's rep is never deleted (RESTRICT)
        raise InvalidInput({"ticket": ["No rep is credited with this ticket."]})
    problem = review_rules.outside_reviewer_problem(
        reviewer.id,
        rep.id,
        supervises_rep=can_supervise_rep(reviewer.viewer(), rep.id, rep.team_id),
        active=reviewer.is_active,
    )
    if problem:
        raise InvalidInput({"reviewer": [problem]})
    version = queries.current_versions().get(facts.channel_group)
    if version is None:
        raise InvalidInput(
            {"ticket": [f"No rubric judges {facts.channel} tickets yet."]}
        )
    rubric = version.rules
    kept = {k: v for k, v in ratings.items() if v is not None}
    fields = {
        f"ratings.{key}": [message]
        for key, message in rubric_rules.rating_problems(rubric, kept).items()
    }
    result = rubric_rules.score_review(rubric, kept)
    for key in result.missing:
        label = rubric.category(key).label  # type: ignore[union-attr]
        fields[f"ratings.{key}"] = [
            f"Rate {label}"
            + (
                " (or mark it not applicable)."
                if rubric.category(key).allow_na
                else "."
            )  # type: ignore[union-attr]
        ]
    notes = {k: v.strip()[:2000] for k, v in comments.items() if v and v.strip()}
    for key in notes:
        if rubric.category(key) is None:
            fields[f"comments.{key}"] = ["This rubric has no such category."]
    if fields:
        raise InvalidInput(fields)
    month = solved_month(facts.solved_at)
    now = utcnow()
    review = QaReview(
        ticket_id=facts.id,
        rep_id=rep.id,
        reviewer_id=reviewer.id,
        month=month,
        reason=Reason.OUTSIDE.value,
        rubric_version_id=version.id,
        state=ReviewState.SUBMITTED,
        ratings=kept,
        comments=notes,
        note=note.strip()[:5000],
        score=result.score,
        critical_failed=bool(result.critical_failed),
        due_on=review_rules.due_on(month),
        submitted_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError as e:  # the same ticket sent twice at once
        raise Conflict(_reviewed_already(facts)) from e
    audit.record(
        by,
        "quality.review.submit",
        review,
        summary=f"Review of ticket {facts.external_id} for {rep.name} by "
        f"{reviewer.name}, done elsewhere, submitted: "
        + _score_text(result.score, result.critical_failed),
        data={
            "ratings": kept,
            "score": result.score,
            "reviewer": reviewer.email,
            "via": "api",
        },
    )
    db.session.flush()
    return review


def _reviewed_already(facts: TicketFacts) -> str:
    return (
        f"Ticket {facts.external_id} has a review already; a ticket is reviewed once, "
        "and a submitted review is final."
    )
