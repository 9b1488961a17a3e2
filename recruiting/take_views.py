"""The candidate's own test pages (no login: a candidate reaches only their own test,
through the token in the link). Their routes join the ``recruiting`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from core.db import db, utcnow, will_write
from core.errors import Conflict, InvalidInput, wants_json
from core.extensions import limiter
from core.forms import ConfirmForm
from core.params import whole_number
from recruiting import invitation_operations, queries
from recruiting.assessment import ItemType, is_complete, option_order
from recruiting.forms import AnswerForm
from recruiting.models import Invitation
from recruiting.pipeline import LinkState, seconds_left
from recruiting.views import bp

#: Requests per minute from one address on the candidate's test pages.
TEST_PAGE_LIMIT = "120 per minute"


_CLOSED_PAGES = {
    LinkState.EXPIRED: 410,
    LinkState.REVOKED: 410,
    LinkState.CLOSED: 410,
}


def _load_link(token: str) -> Invitation:
    invitation = queries.get_invitation_by_token(token)
    if invitation is None:
        abort(Response(render_template("recruiting/take_closed.html", state=None), 404))
    return invitation


def _closed_page(state: LinkState | None) -> Any:
    return render_template(
        "recruiting/take_closed.html", state=state
    ), _CLOSED_PAGES.get(state, 404)


def _conflict_page(invitation: Invitation, error: Conflict) -> Any:
    return render_template(
        "recruiting/take_done.html", invitation=invitation, message=error.message
    ), 409


def _state_now(invitation: Invitation) -> LinkState:
    """The link's state, scoring the saved answers first if time has run out.

    Opening a timed-out link (a GET) writes: the read so far ends, and the state is read
    again in a transaction that holds the write lock, so that the score is written once
    even when the candidate's last answer or another tab's request got there first.
    """
    state = invitation.state()
    if state is LinkState.TIMED_OUT:
        will_write()
        db.session.commit()
        state = invitation.state()
        if state is LinkState.TIMED_OUT:
            invitation_operations.submit_test(invitation)
            db.session.commit()
            state = LinkState.SUBMITTED
    return state


def _item_number(invitation: Invitation, answered: set[str]) -> int | None:
    """The item to show: ``?q=N``, else the first unanswered; ``None`` for the review."""
    items = invitation.assessment.parsed.items
    # A candidate's own address bar: anything unexpected just shows the next question.
    wanted = request.args.get("q", "")
    if wanted == "review":
        return None
    number = whole_number(wanted)
    if number is not None and 1 <= number <= len(items):
        return number
    return next(
        (n for n, i in enumerate(items, start=1) if i.key not in answered), None
    )


@bp.route("/test/<token>")
@limiter.limit(TEST_PAGE_LIMIT)
def take(token: str) -> Any:
    invitation = _load_link(token)
    state = _state_now(invitation)
    if state is LinkState.SUBMITTED:
        return render_template(
            "recruiting/take_done.html", invitation=invitation, message=""
        )
    if not state.is_open:
        return _closed_page(state)
    spec = invitation.assessment.parsed
    if state is LinkState.READY:
        return render_template(
            "recruiting/take_intro.html",
            invitation=invitation,
            spec=spec,
            form=ConfirmForm(),
        )
    answers = invitation_operations.answers_of(invitation.id)
    complete = {i.key for i in spec.items if is_complete(i, answers.get(i.key))}
    number = _item_number(invitation, complete)
    context = {
        "invitation": invitation,
        "spec": spec,
        "token": token,
        "complete": complete,
        "seconds_left": seconds_left(invitation.deadline_at, utcnow()),
        "form": AnswerForm(formdata=None),
    }
    if number is None:
        return render_template("recruiting/take_review.html", **context)
    item = spec.items[number - 1]
    return render_template(
        "recruiting/take_item.html",
        number=number,
        item=item,
        options=option_order(item, str(invitation.id)),
        answer=answers.get(item.key),
        is_most_least=item.type is ItemType.MOST_LEAST,
        **context,
    )


@bp.route("/test/<token>/start", methods=["POST"])
@limiter.limit(TEST_PAGE_LIMIT)
def take_start(token: str) -> Any:
    invitation = _load_link(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitation_operations.start_test(invitation)
    except Conflict:
        db.session.rollback()
        return redirect(url_for("recruiting.take", token=token))
    db.session.commit()
    return redirect(url_for("recruiting.take", token=token))


@bp.route("/test/<token>/answer", methods=["POST"])
@limiter.limit(TEST_PAGE_LIMIT)
def take_answer(token: str) -> Any:
    invitation = _load_link(token)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    best, worst = form.best.data or None, form.worst.data or None
    try:
        if best or worst:
            invitation_operations.save_answer(invitation, form.item.data, best, worst)
    except (Conflict, InvalidInput) as e:
        if wants_json():
            raise  # the error handler answers the page's script in JSON
        db.session.rollback()
        if isinstance(e, Conflict):
            # The test page explains the state (time up, already submitted...).
            return redirect(url_for("recruiting.take", token=token))
        flash(e.message, "error")
        return redirect(
            url_for(
                "recruiting.take", token=token, q=_position(invitation, form.item.data)
            )
        )
    db.session.commit()
    if wants_json():
        return jsonify(
            {
                "saved": True,
                "seconds_left": seconds_left(invitation.deadline_at, utcnow()),
            }
        )
    return redirect(
        url_for("recruiting.take", token=token, q=_next_position(invitation, form))
    )


def _position(invitation: Invitation, item_key: str) -> int | None:
    keys = [i.key for i in invitation.assessment.parsed.items]
    return keys.index(item_key) + 1 if item_key in keys else None


def _next_position(invitation: Invitation, form: AnswerForm) -> str | int | None:
    """Where the navigation button pressed leads: next, previous, a number, the review."""
    here = _position(invitation, form.item.data) or 1
    count = len(invitation.assessment.parsed.items)
    go = form.go.data or "next"
    if go == "review":
        return "review"
    if go == "prev":
        return max(1, here - 1)
    number = whole_number(go)
    if number is not None and 1 <= number <= count:
        return number
    return here + 1 if here < count else "review"


@bp.route("/test/<token>/submit", methods=["POST"])
@limiter.limit(TEST_PAGE_LIMIT)
def take_submit(token: str) -> Any:
    invitation = _load_link(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitation_operations.submit_test(invitation)
    except Conflict as e:
        db.session.rollback()
        return _conflict_page(invitation, e)
    db.session.commit()
    return redirect(url_for("recruiting.take", token=token))
