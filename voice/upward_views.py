"""The pages for policy impact reviews (list, post, a change's page with comments and
votes, the decision beside what was heard, what to retrain) and improvement ideas (list,
submit, an idea's page, triage). They hang on :data:`voice.views.bp`; ``app.py`` imports
this module before it registers the blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from core import mail, params
from core.access import ORG_WIDE_ROLES, Role
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.errors import InvalidInput, NotAllowed
from core.forms import form_status, rollback_into
from voice import ideas, policies
from voice import queries as problem_queries
from voice import upward_operations as operations
from voice import upward_queries as queries
from voice.forms import (
    CommentForm,
    DecisionForm,
    IdeaForm,
    LinksForm,
    PolicyForm,
    TriageForm,
    VoteForm,
)
from voice.ideas import IdeaStatus
from voice.models import Idea, PolicyReview
from voice.policies import LinkKind, PolicyStatus
from voice.views import bp, signed_in_user

IDEA_FILTERS = ("", "open", *(s.value for s in IdeaStatus))


# --- policy impact reviews ----------------------------------------------------------------


@bp.route("/policies")
@role_required()
def policy_list() -> Any:
    status = params.choice_arg("status", ("", *(s.value for s in PolicyStatus)), "")
    viewer = current_viewer()
    return render_template(
        "voice/policy_list.html",
        page=queries.policy_page(status, params.page_arg()),
        status=status,
        can_post=policies.can_post(
            viewer, queries.member_department_ids(viewer.user_id), None
        ),
    )


def _may_post() -> None:
    viewer = current_viewer()
    if not policies.can_post(
        viewer, queries.member_department_ids(viewer.user_id), None
    ):
        abort(403)


@bp.route("/policies/new", methods=["GET", "POST"])
@role_required()
def policy_create() -> Any:
    _may_post()
    form = PolicyForm(departments=queries.policy_department_choices(current_viewer()))
    if form.validate_on_submit():
        try:
            policy = operations.post_policy(_proposal(form), by=signed_in_user())
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(
                f"Change #{policy.id} is posted; comments close on "
                f"{policies.day(policy.closes_on)}.",
                "success",
            )
            return redirect(url_for("voice.policy_detail", policy_id=policy.id))
    return render_template(
        "voice/policy_form.html", form=form, policy=None
    ), form_status()


def _proposal(form: PolicyForm) -> operations.ProposalInput:
    return operations.ProposalInput(
        title=form.title.data or "",
        change=form.change.data or "",
        department_id=form.department_id.data or None,
        closes_on=form.closes_on.data,
    )


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@role_required()
def policy_edit(policy_id: int) -> Any:
    policy = db.get_or_404(PolicyReview, policy_id)
    if not policies.can_edit(current_viewer(), policy.author_id, policy.status):
        abort(403)
    form = PolicyForm(departments=queries.policy_department_choices(current_viewer()))
    if request.method == "GET":
        form.title.data, form.change.data = policy.title, policy.change
        form.department_id.data = policy.department_id
        form.closes_on.data = policy.closes_on
    if form.validate_on_submit():
        try:
            operations.edit_policy(policy, _proposal(form), by=signed_in_user())
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash("The change is saved.", "success")
            return redirect(url_for("voice.policy_detail", policy_id=policy.id))
    return render_template(
        "voice/policy_form.html", form=form, policy=policy
    ), form_status()


@bp.route("/policies/<int:policy_id>")
@role_required()
def policy_detail(policy_id: int) -> Any:
    policy = queries.load_policy(policy_id) or abort(404)
    return _policy_page(policy, CommentForm(), VoteForm())


def _policy_page(
    policy: PolicyReview,
    comment_form: CommentForm,
    vote_form: VoteForm,
    status: int = 200,
) -> Any:
    viewer = current_viewer()
    mine = next((v.vote for v in policy.votes if v.user_id == viewer.user_id), None)
    if mine is not None and not vote_form.vote.data:
        vote_form.vote.data = mine.value
    links_form = None
    can_decide = policies.can_decide(viewer, policy.author_id)
    if can_decide and not policies.links_problems(policy.status, policy.outcome):
        scenarios, authorities = queries.link_choices()
        links_form = LinksForm(scenarios=scenarios, authorities=authorities)
        links_form.scenarios.data = policy.linked(LinkKind.SCENARIO)
        links_form.authorities.data = policy.linked(LinkKind.AUTHORITY)
    team_ids = None if viewer.has_any(ORG_WIDE_ROLES) else viewer.supervised_team_ids
    return render_template(
        "voice/policy_detail.html",
        policy=policy,
        counts=policies.vote_counts(v.vote for v in policy.votes),
        my_vote=mine,
        open_for_comments=policies.comments_open(
            policy.status, policy.closes_on, operations.org_today()
        ),
        closed_message=policies.closed_message(policy.status, policy.closes_on),
        can_edit=policies.can_edit(viewer, policy.author_id, policy.status),
        can_decide=can_decide and policy.status is PolicyStatus.OPEN,
        comment_form=comment_form,
        vote_form=vote_form,
        links_form=links_form,
        retraining=queries.retraining(policy, team_ids, utcnow())
        if policy.links
        else None,
        sees_reps=viewer.has_any({*ORG_WIDE_ROLES, Role.SUPERVISOR}),
    ), status


@bp.route("/policies/<int:policy_id>/comment", methods=["POST"])
@role_required()
def policy_comment(policy_id: int) -> Any:
    policy = queries.load_policy(policy_id) or abort(404)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            operations.comment_policy(policy, form.body.data or "", by=signed_in_user())
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash("Your comment is added.", "success")
            return redirect(url_for("voice.policy_detail", policy_id=policy_id))
    policy = queries.load_policy(policy_id) or abort(404)
    return _policy_page(policy, form, VoteForm(), 400)


@bp.route("/policies/<int:policy_id>/vote", methods=["POST"])
@role_required()
def policy_vote(policy_id: int) -> Any:
    policy = queries.load_policy(policy_id) or abort(404)
    form = VoteForm()
    if form.validate_on_submit():
        try:
            before = operations.vote_policy(
                policy, form.vote.data or "", by=signed_in_user()
            )
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            vote = policies.Vote(form.vote.data)
            flash(
                f"Your vote is now {vote.label.lower()}."
                if before
                else f"Your vote ({vote.label.lower()}) is counted.",
                "success",
            )
            return redirect(url_for("voice.policy_detail", policy_id=policy_id))
    policy = queries.load_policy(policy_id) or abort(404)
    return _policy_page(policy, CommentForm(), form, 400)


@bp.route("/policies/<int:policy_id>/decide", methods=["GET", "POST"])
@role_required()
def policy_decide(policy_id: int) -> Any:
    policy = queries.load_policy(policy_id) or abort(404)
    if not policies.can_decide(current_viewer(), policy.author_id):
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            operations.decide_policy(
                policy,
                form.outcome.data or "",
                form.note.data or "",
                by=signed_in_user(),
            )
        except InvalidInput as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(
                f"Change #{policy.id} is {policy.outcome.label.lower()}"  # type: ignore[union-attr]
                "; comments are closed.",
                "success",
            )
            return redirect(url_for("voice.policy_detail", policy_id=policy_id))
        policy = queries.load_policy(policy_id) or abort(404)
    return render_template(
        "voice/policy_decide.html",
        policy=policy,
        form=form,
        counts=policies.vote_counts(v.vote for v in policy.votes),
    ), form_status()


@bp.route("/policies/<int:policy_id>/retrain", methods=["POST"])
@role_required()
def policy_links(policy_id: int) -> Any:
    policy = queries.load_policy(policy_id) or abort(404)
    if not policies.can_decide(current_viewer(), policy.author_id):
        abort(403)
    scenarios, authorities = queries.link_choices()
    form = LinksForm(scenarios=scenarios, authorities=authorities)
    target = url_for("voice.policy_detail", policy_id=policy_id)
    if not form.validate_on_submit():
        flash(" ".join(m for msgs in form.errors.values() for m in msgs), "error")
        return redirect(target)
    try:
        operations.link_training(
            policy,
            form.scenarios.data or [],
            form.authorities.data or [],
            by=signed_in_user(),
        )
    except InvalidInput as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(target)
    db.session.commit()
    flash("Saved: supervisors see what to retrain.", "success")
    return redirect(target)


# --- ideas --------------------------------------------------------------------------------


@bp.route("/ideas")
@role_required()
def idea_list() -> Any:
    viewer = current_viewer()
    status = params.choice_arg("status", IDEA_FILTERS, "")
    triager = viewer.has_any(ideas.TRIAGE_ROLES)
    scope = params.choice_arg("scope", ("", "mine", "triage"), "")
    f = queries.IdeaFilter(
        status=status,
        author_id=viewer.user_id if scope == "mine" else None,
        triager=viewer if scope == "triage" and triager else None,
    )
    return render_template(
        "voice/idea_list.html",
        page=queries.idea_page(f, params.page_arg()),
        status=status,
        scope=scope,
        triager=triager,
        can_submit=ideas.can_submit(viewer),
        labels=ideas.IDEA_LABELS,
    )


@bp.route("/ideas/new", methods=["GET", "POST"])
@role_required(*ideas.SUBMITTING_ROLES)
def idea_create() -> Any:
    form = IdeaForm(departments=problem_queries.department_choices())
    if form.validate_on_submit():
        try:
            idea = operations.submit_idea(_idea_input(form), by=signed_in_user())
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash(
                f"Idea #{idea.id} is submitted; you will hear what becomes of it.",
                "success",
            )
            return redirect(url_for("voice.idea_detail", idea_id=idea.id))
    return render_template("voice/idea_form.html", form=form, idea=None), form_status()


def _idea_input(form: IdeaForm) -> operations.IdeaInput:
    return operations.IdeaInput(
        title=form.title.data or "",
        body=form.body.data or "",
        department_id=form.department_id.data or None,
    )


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@role_required(*ideas.SUBMITTING_ROLES)
def idea_edit(idea_id: int) -> Any:
    idea = db.get_or_404(Idea, idea_id)
    if not ideas.can_edit(current_viewer(), idea.author_id, idea.status):
        abort(403)
    form = IdeaForm(departments=problem_queries.department_choices())
    if request.method == "GET":
        form.title.data, form.body.data = idea.title, idea.body
        form.department_id.data = idea.department_id or 0
    if form.validate_on_submit():
        try:
            operations.edit_idea(idea, _idea_input(form), by=signed_in_user())
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            flash("Your idea is saved.", "success")
            return redirect(url_for("voice.idea_detail", idea_id=idea.id))
    return render_template("voice/idea_form.html", form=form, idea=idea), form_status()


@bp.route("/ideas/<int:idea_id>")
@role_required()
def idea_detail(idea_id: int) -> Any:
    idea = queries.load_idea(idea_id) or abort(404)
    return _idea_page(idea, TriageForm(allowed=ideas.next_statuses(idea.status)))


def _idea_page(idea: Idea, form: TriageForm, status: int = 200) -> Any:
    viewer = current_viewer()
    author = idea.author
    return render_template(
        "voice/idea_detail.html",
        idea=idea,
        form=form,
        can_edit=ideas.can_edit(viewer, idea.author_id, idea.status),
        can_triage=idea.status.is_open
        and ideas.can_triage(
            viewer, idea.author_id, author.team_id if author else None
        ),
    ), status


@bp.route("/ideas/<int:idea_id>/triage", methods=["POST"])
@role_required(*ideas.TRIAGE_ROLES)
def idea_triage(idea_id: int) -> Any:
    idea = queries.load_idea(idea_id) or abort(404)
    author = idea.author
    if not ideas.can_triage(
        current_viewer(), idea.author_id, author.team_id if author else None
    ):
        abort(403)
    form = TriageForm(allowed=list(IdeaStatus))
    if form.validate_on_submit():
        try:
            step = operations.triage_idea(
                idea,
                form.status.data or "",
                form.reason.data or "",
                by=signed_in_user(),
            )
        except (InvalidInput, NotAllowed) as e:
            rollback_into(form, e)
        else:
            db.session.commit()
            told = _tell(idea, step)
            flash(
                f"Idea #{idea.id} is now {step.status.label.lower()}.{told}", "success"
            )
            return redirect(url_for("voice.idea_detail", idea_id=idea.id))
    idea = queries.load_idea(idea_id) or abort(404)
    form.status.choices = [(s.value, s.label) for s in ideas.next_statuses(idea.status)]
    return _idea_page(idea, form, 400)


def _tell(idea: Idea, step: ideas.IdeaStep) -> str:
    """E-mail the author the step (when e-mail is set up); the words for the flash."""
    author = idea.author
    if author is None:
        return ""
    link = url_for("voice.idea_detail", idea_id=idea.id, _external=True)
    sent = mail.send_if_configured(
        current_app.config,
        to=author.email,
        subject=step.subject(),
        body=step.body(author.name, link),
    )
    if sent:
        return f" {author.name} was told by e-mail."
    return f" {author.name} sees it on their dashboard."
