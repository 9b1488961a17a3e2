"""The writes for policy impact reviews (post, change, comment, vote, decide, link the
training a change alters) and improvement ideas (submit, change, triage). Each loads, asks
the rules (:mod:`voice.policies`, :mod:`voice.ideas`), writes, audits and flushes; the face
commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core import audit
from core.db import db, utcnow
from core.errors import InvalidInput, NotAllowed
from core.people import User
from core.templating import org_timezone
from training import queries as training_queries
from voice import ideas, policies
from voice import upward_queries as queries
from voice.ideas import IdeaStatus, IdeaStep
from voice.models import (
    Department,
    Idea,
    PolicyComment,
    PolicyLink,
    PolicyReview,
    PolicyVote,
)
from voice.policies import LinkKind, Outcome, PolicyStatus, Vote
from voice.queries import open_department


def org_today() -> dt.date:
    return utcnow().astimezone(org_timezone()).date()


# --- policy impact reviews ----------------------------------------------------------------


@dataclass(frozen=True)
class ProposalInput:
    title: str
    change: str
    department_id: int | None
    closes_on: dt.date | None


def _check_proposal(
    data: ProposalInput, by: User, today: dt.date, was: dt.date | None = None
) -> Department:
    errors = policies.proposal_problems(
        data.title, data.change, data.closes_on, today, was=was
    )
    department = open_department(data.department_id)
    if department is None:
        errors["department_id"] = [
            "Choose the department the change belongs to from the list."
        ]
    elif not policies.can_post(
        by.viewer(), queries.member_department_ids(by.id), department.id
    ):
        errors["department_id"] = [
            f"You post changes only for your own departments, not {department.name}."
        ]
    if errors or department is None:
        raise InvalidInput(errors)
    return department


def post_policy(
    data: ProposalInput,
    *,
    by: User,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> PolicyReview:
    """Post a proposed change for comments.

    :raises NotAllowed: neither leadership, an admin nor a department's member.
    :raises InvalidInput: an empty title or change, no department or one the poster may
        not post for, a closing date missing, past or too far ahead.
    """
    member_of = queries.member_department_ids(by.id)
    if not policies.can_post(by.viewer(), member_of, None):
        raise NotAllowed("Leadership, admins and departments' members post changes.")
    today = today or org_today()
    department = _check_proposal(data, by, today)
    policy = PolicyReview(
        title=data.title.strip(),
        change=data.change.strip(),
        department_id=department.id,
        author_id=by.id,
        closes_on=data.closes_on,
        status=PolicyStatus.OPEN,
        created_at=at or utcnow(),
    )
    db.session.add(policy)
    db.session.flush()
    audit.record(
        by,
        "voice.policy.post",
        policy,
        summary=f"Policy change #{policy.id} posted for {department.name}: "
        f"{policy.title}",
        after=_policy_facts(policy),
    )
    return policy


def _policy_facts(policy: PolicyReview) -> dict[str, object]:
    return {
        "title": policy.title,
        "change": policy.change,
        "department_id": policy.department_id,
        "closes_on": policy.closes_on.isoformat() if policy.closes_on else None,
    }


def edit_policy(
    policy: PolicyReview,
    data: ProposalInput,
    *,
    by: User,
    today: dt.date | None = None,
) -> PolicyReview:
    """The poster changes their open proposal (its words, department or closing date).

    :raises NotAllowed: not the poster, or already decided.
    :raises InvalidInput: see :func:`post_policy`.
    """
    if not policies.can_edit(by.viewer(), policy.author_id, policy.status):
        raise NotAllowed("Only the poster changes a proposal, while it is open.")
    department = _check_proposal(data, by, today or org_today(), was=policy.closes_on)
    before = _policy_facts(policy)
    policy.title = data.title.strip()
    policy.change = data.change.strip()
    policy.department_id = department.id
    policy.closes_on = data.closes_on  # type: ignore[assignment]
    db.session.flush()
    audit.record(
        by,
        "voice.policy.edit",
        policy,
        summary=f"Policy change #{policy.id} changed by its poster",
        before=before,
        after=_policy_facts(policy),
    )
    return policy


def comment_policy(
    policy: PolicyReview,
    body: str,
    *,
    by: User,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> PolicyComment:
    """Say how the change would affect customers, while comments are open.

    :raises InvalidInput: comments closed, an empty or too long comment.
    """
    problems = policies.comment_problems(
        body, policy.status, policy.closes_on, today or org_today()
    )
    if problems:
        raise InvalidInput(problems)
    comment = PolicyComment(author_id=by.id, body=body.strip(), at=at or utcnow())
    policy.comments.append(comment)
    db.session.flush()
    audit.record(
        by,
        "voice.policy.comment",
        policy,
        summary=f"Comment on policy change #{policy.id}",
        data={"comment_id": comment.id},
    )
    return comment


def vote_policy(
    policy: PolicyReview,
    vote: str,
    *,
    by: User,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Vote | None:
    """Vote on a change, or change one's vote, while comments are open.

    :return: the vote it replaced, if any.
    :raises InvalidInput: comments closed, or not a vote.
    """
    problems = policies.vote_problems(
        vote, policy.status, policy.closes_on, today or org_today()
    )
    if problems:
        raise InvalidInput(problems)
    chosen = Vote(vote)
    mine = next((v for v in policy.votes if v.user_id == by.id), None)
    before = mine.vote if mine else None
    if mine is None:
        policy.votes.append(PolicyVote(user_id=by.id, vote=chosen, at=at or utcnow()))
    else:
        mine.vote, mine.at = chosen, at or utcnow()
    db.session.flush()
    audit.record(
        by,
        "voice.policy.vote",
        policy,
        summary=f"Vote on policy change #{policy.id}: {chosen.label.lower()}",
        before={"vote": before.value if before else None},
        after={"vote": chosen.value},
    )
    return before


def decide_policy(
    policy: PolicyReview,
    outcome: str,
    note: str,
    *,
    by: User,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> PolicyReview:
    """Record the decision (adopted, amended or dropped) and what was heard; comments
    close.

    :raises NotAllowed: neither the poster, leadership nor an admin.
    :raises InvalidInput: decided already, adopted or amended while comments are open, no
        outcome or no note.
    """
    if not policies.can_decide(by.viewer(), policy.author_id):
        raise NotAllowed("The poster, leadership or an admin decides a change.")
    problems = policies.decision_problems(
        policy.status, outcome, note, policy.closes_on, today or org_today()
    )
    if problems:
        raise InvalidInput(problems)
    policy.status = PolicyStatus.DECIDED
    policy.outcome = Outcome(outcome)
    policy.decision_note = note.strip()
    policy.decided_at = at or utcnow()
    policy.decided_by_id = by.id
    db.session.flush()
    counts = policies.vote_counts(v.vote for v in policy.votes)
    audit.record(
        by,
        "voice.policy.decide",
        policy,
        summary=f"Policy change #{policy.id}: {policy.outcome.label.lower()}",
        before={"status": PolicyStatus.OPEN.value},
        after={"status": policy.status.value, "outcome": policy.outcome.value},
        data={
            "votes": {v.value: n for v, n in counts.items()},
            "comments": len(policy.comments),
        },
    )
    return policy


def link_training(
    policy: PolicyReview,
    scenario_keys: Sequence[str],
    authority_codes: Sequence[str],
    *,
    by: User,
) -> PolicyReview:
    """Name the training scenarios and authorities an adopted change alters (replacing
    the ones named before).

    :raises NotAllowed: neither the poster, leadership nor an admin.
    :raises InvalidInput: the change was not adopted, or unknown scenarios or authorities.
    """
    if not policies.can_decide(by.viewer(), policy.author_id):
        raise NotAllowed("The poster, leadership or an admin links the training.")
    problems = policies.links_problems(policy.status, policy.outcome)
    titles = training_queries.scenario_titles()
    names = training_queries.authority_names()
    if set(scenario_keys) - set(titles):
        problems["scenarios"] = ["Choose scenarios from the list."]
    if set(authority_codes) - set(names):
        problems["authorities"] = ["Choose authorities from the list."]
    if problems:
        raise InvalidInput(problems)
    before = {
        "scenarios": policy.linked(LinkKind.SCENARIO),
        "authorities": policy.linked(LinkKind.AUTHORITY),
    }
    policy.links.clear()
    db.session.flush()
    for kind, keys in (
        (LinkKind.SCENARIO, scenario_keys),
        (LinkKind.AUTHORITY, authority_codes),
    ):
        for key in dict.fromkeys(keys):
            policy.links.append(PolicyLink(kind=kind, key=key))
    db.session.flush()
    audit.record(
        by,
        "voice.policy.link",
        policy,
        summary=f"Policy change #{policy.id}: training and authorities it changes",
        before=before,
        after={
            "scenarios": policy.linked(LinkKind.SCENARIO),
            "authorities": policy.linked(LinkKind.AUTHORITY),
        },
    )
    return policy


# --- ideas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaInput:
    title: str
    body: str
    department_id: int | None = None


def _check_idea(data: IdeaInput) -> None:
    errors = ideas.idea_problems(data.title, data.body)
    if data.department_id is not None and open_department(data.department_id) is None:
        errors["department_id"] = ["Choose a department from the list, or none."]
    if errors:
        raise InvalidInput(errors)


def submit_idea(data: IdeaInput, *, by: User, at: dt.datetime | None = None) -> Idea:
    """A rep or supervisor submits an improvement idea.

    :raises NotAllowed: a role that does not submit ideas.
    :raises InvalidInput: an empty title or text, an unknown department.
    """
    if not ideas.can_submit(by.viewer()):
        raise NotAllowed("Reps and supervisors submit ideas.")
    _check_idea(data)
    idea = Idea(
        title=data.title.strip(),
        body=data.body.strip(),
        department_id=data.department_id,
        author_id=by.id,
        status=IdeaStatus.UNDER_REVIEW,
        created_at=at or utcnow(),
    )
    db.session.add(idea)
    db.session.flush()
    audit.record(
        by,
        "voice.idea.submit",
        idea,
        summary=f"Idea #{idea.id} submitted: {idea.title}",
        after=_idea_facts(idea),
    )
    return idea


def _idea_facts(idea: Idea) -> dict[str, object]:
    return {
        "title": idea.title,
        "body": idea.body,
        "department_id": idea.department_id,
    }


def edit_idea(idea: Idea, data: IdeaInput, *, by: User) -> Idea:
    """The author changes their idea while it is under review.

    :raises NotAllowed: not the author, or already triaged.
    :raises InvalidInput: see :func:`submit_idea`.
    """
    if not ideas.can_edit(by.viewer(), idea.author_id, idea.status):
        raise NotAllowed("Only the author changes an idea, while it is under review.")
    _check_idea(data)
    before = _idea_facts(idea)
    idea.title = data.title.strip()
    idea.body = data.body.strip()
    idea.department_id = data.department_id
    db.session.flush()
    audit.record(
        by,
        "voice.idea.edit",
        idea,
        summary=f"Idea #{idea.id} changed by its author",
        before=before,
        after=_idea_facts(idea),
    )
    return idea


def triage_idea(
    idea: Idea,
    target: str,
    reason: str = "",
    *,
    by: User,
    at: dt.datetime | None = None,
) -> IdeaStep:
    """Plan, adopt or decline an idea; the step the author is told.

    :raises NotAllowed: not one who triages this idea (see :func:`ideas.can_triage`).
    :raises InvalidInput: a move out of order, a decline without a reason.
    """
    author = idea.author
    if not ideas.can_triage(
        by.viewer(), idea.author_id, author.team_id if author else None
    ):
        raise NotAllowed("Supervisors of the author's team and leadership triage it.")
    try:
        status = IdeaStatus(target)
    except ValueError as e:
        raise InvalidInput(
            {"status": ["Choose what happens to the idea from the list."]}
        ) from e
    problems = ideas.triage_problems(idea.status, status, reason)
    if problems:
        raise InvalidInput(problems)
    before = idea.status
    idea.status = status
    idea.reason = reason.strip()
    idea.decided_at = at or utcnow()
    idea.decided_by_id = by.id
    db.session.flush()
    audit.record(
        by,
        "voice.idea.triage",
        idea,
        summary=f"Idea #{idea.id}: {before.label} → {status.label}",
        before={"status": before.value},
        after={"status": status.value, "reason": idea.reason},
    )
    return IdeaStep(idea.id, idea.title, status, idea.reason)
