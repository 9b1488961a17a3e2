"""Calibration pages (Quality > Calibration): the sessions, a new one, a session with a
"Score" link per ticket and its results once closed, the scoring page of a ticket, and
each reviewer's drift from the group over time. Routes join ``quality.views.bp``.

The blind rule (``quality.calibration.may_see_rating``) is applied by the reads in
``calibration_queries``; these views never load a rating any other way.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from core.access import Role
from core.auth import current_viewer, role_required
from core.charts import line_chart
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import ConfirmForm, populate_errors
from core.people import User
from quality import calibration_operations as operations
from quality import calibration_queries as queries
from quality.calibration import SessionState, drift_text, rate_problem
from quality.forms import CalibrationForm, CalibrationRatingForm, ratings_from
from quality.models import QaCalibration
from quality.rubrics import NOT_APPLICABLE
from quality.views import OVERSIGHT_ROLES, _me, bp, today

CREATOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@bp.app_template_filter("qa_drift")
def _drift(value: float | None) -> str:
    return drift_text(value)


def _load(session_id: int) -> QaCalibration:
    session = queries.get_session(session_id)
    if session is None:
        abort(404)
    if not queries.can_view(current_viewer(), session):
        abort(403)
    return session


@bp.route("/calibration")
@role_required(*OVERSIGHT_ROLES)
def calibration_list() -> Any:
    sessions = queries.list_sessions(current_viewer())
    return render_template(
        "quality/calibration_list.html",
        sessions=sessions,
        progress={s.id: queries.progress(s) for s in sessions},
        today=today(),
    )


@bp.route("/calibration/new", methods=["GET", "POST"])
@role_required(*CREATOR_ROLES)
def calibration_new() -> Any:
    form = CalibrationForm()
    form.reviewer_ids.choices = queries.reviewer_choices()
    if form.validate_on_submit():
        try:
            session = operations.create_session(
                name=form.name.data,
                channel_group=form.channel_group.data,
                month=form.month.data,
                ticket_refs=form.ticket_list(),
                random_count=form.random_count.data,
                reviewer_ids=form.reviewer_ids.data or [],
                due_on=form.due_on.data,
                by=_me(),
                today=today(),
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(
                f"Calibration '{session.name}' created. Each reviewer can score its "
                "tickets now.",
                "success",
            )
            return redirect(
                url_for("quality.calibration_detail", session_id=session.id)
            )
    status = 400 if request.method == "POST" else 200
    return render_template("quality/calibration_new.html", form=form), status


@bp.route("/calibration/<int:session_id>")
@role_required(*OVERSIGHT_ROLES)
def calibration_detail(session_id: int) -> Any:
    session = _load(session_id)
    viewer = current_viewer()
    return render_template(
        "quality/calibration_detail.html",
        session=session,
        rubric=session.rubric_version.rules,
        labels=queries.ticket_labels(session),
        mine=queries.own_ratings(session, viewer.user_id),
        progress=queries.progress(session),
        results=queries.results(session, viewer.user_id),
        is_reviewer=viewer.user_id in session.reviewer_ids,
        may_close=session.state is SessionState.OPEN
        and (viewer.user_id == session.created_by_id or Role.ADMIN in viewer.roles),
        confirm=ConfirmForm(),
        today=today(),
        na=NOT_APPLICABLE,
    )


def _ticket_page(
    session: QaCalibration,
    ticket_id: int,
    form: CalibrationRatingForm,
    status: int = 200,
) -> Any:
    if ticket_id not in session.ticket_ids:
        abort(404)
    viewer = current_viewer()
    rubric = session.rubric_version.rules
    own = queries.own_rating(session, ticket_id, viewer.user_id)
    editable = (
        rate_problem(
            session.state,
            reviewer_ids=session.reviewer_ids,
            user_id=viewer.user_id,
            submitted=own is not None and own.submitted_at is not None,
        )
        is None
    )
    posted = request.method == "POST"
    facts, link = queries.ticket_and_link(ticket_id)
    if request.method == "GET" and own is not None:
        form.note.data = own.note
    others = {
        reviewer: row
        for (ticket, reviewer), row in queries.visible_comments(
            session, viewer.user_id
        ).items()
        if ticket == ticket_id and reviewer != viewer.user_id
    }
    return (
        render_template(
            "quality/calibration_ticket.html",
            session=session,
            ticket_id=ticket_id,
            label=queries.ticket_labels(session)[ticket_id],
            rubric=rubric,
            own=own,
            ratings=ratings_from(request.form, rubric)[0]
            if posted
            else (own.ratings if own else {}),
            comments=request.form if posted else (own.comments if own else {}),
            posted=posted,
            form=form,
            editable=editable,
            facts=facts,
            helpdesk_url=link,
            others=others,
            names={r.user_id: r.user.name for r in session.reviewers},
            na=NOT_APPLICABLE,
        ),
        status,
    )


@bp.route("/calibration/<int:session_id>/tickets/<int:ticket_id>")
@role_required(*OVERSIGHT_ROLES)
def calibration_ticket(session_id: int, ticket_id: int) -> Any:
    session = _load(session_id)
    return _ticket_page(session, ticket_id, CalibrationRatingForm())


def _rate(session_id: int, ticket_id: int, *, submit: bool) -> Any:
    session = _load(session_id)
    if ticket_id not in session.ticket_ids:
        abort(404)
    wants_json = not submit and request.accept_mimetypes.best == "application/json"
    form = CalibrationRatingForm()
    here = url_for(
        "quality.calibration_ticket", session_id=session_id, ticket_id=ticket_id
    )
    if not form.validate_on_submit():
        if wants_json:
            problems = "; ".join(m for msgs in form.errors.values() for m in msgs)
            return jsonify(error={"message": f"Not saved: {problems}"}), 400
        return _ticket_page(session, ticket_id, form, 400)
    ratings, comments = ratings_from(request.form, session.rubric_version.rules)
    action = operations.submit_rating if submit else operations.save_rating
    try:
        action(
            session,
            ticket_id,
            ratings=ratings,
            comments=comments,
            note=form.note.data or "",
            by=_me(),
        )
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except InvalidInput as e:
        db.session.rollback()
        if wants_json:
            return jsonify(error={"message": e.message}), 400
        populate_errors(form, e)
        return _ticket_page(_load(session_id), ticket_id, form, 400)
    except Conflict as e:
        db.session.rollback()
        if wants_json:
            return jsonify(error={"message": e.message}), 409
        flash(e.message, "error")
        return redirect(here)
    db.session.commit()
    if wants_json:
        return jsonify(saved=True)
    if submit:
        flash("Ratings submitted. You will see the others' once the session is closed.")
        return redirect(url_for("quality.calibration_detail", session_id=session_id))
    flash("Draft saved.", "success")
    return redirect(here)


@bp.route(
    "/calibration/<int:session_id>/tickets/<int:ticket_id>/save", methods=["POST"]
)
@role_required(*CREATOR_ROLES)
def calibration_save(session_id: int, ticket_id: int) -> Any:
    """Keep a draft: the page's autosave (JSON) and its Save button (a form)."""
    return _rate(session_id, ticket_id, submit=False)


@bp.route(
    "/calibration/<int:session_id>/tickets/<int:ticket_id>/submit", methods=["POST"]
)
@role_required(*CREATOR_ROLES)
def calibration_submit(session_id: int, ticket_id: int) -> Any:
    return _rate(session_id, ticket_id, submit=True)


@bp.route("/calibration/<int:session_id>/close", methods=["POST"])
@role_required(*CREATOR_ROLES)
def calibration_close(session_id: int) -> Any:
    session = _load(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.close_session(
            session, by=_me(), is_admin=Role.ADMIN in current_viewer().roles
        )
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash("Session closed. Everyone in it can see the ratings and the agreement.")
    return redirect(url_for("quality.calibration_detail", session_id=session_id))


@bp.route("/calibration/history")
@role_required(*queries.LEAD_ROLES)
def calibration_history() -> Any:
    return render_template(
        "quality/calibration_history.html",
        reviewers=queries.reviewers_with_history(),
    )


@bp.route("/calibration/reviewers/<int:user_id>")
@role_required(*OVERSIGHT_ROLES)
def calibration_reviewer(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if not queries.may_see_history(current_viewer(), user_id):
        abort(403)
    history = queries.reviewer_history(user_id)
    keys: dict[str, str] = {}
    for point in history:
        for category in point.categories:
            keys.setdefault(category.key, category.label)
    points = [
        (
            p.session.closed_at.strftime("%Y-%m-%d") if p.session.closed_at else "?",
            None if p.drift.overall is None else round(p.drift.overall * 100, 1),
        )
        for p in history
    ]
    reach = max([50.0, *(abs(v) for _n, v in points if v is not None)])
    chart = (
        line_chart(
            points,
            minimum=-min(100.0, reach),
            maximum=min(100.0, reach),
            label=f"{user.name}'s drift from the group, in points of the scale",
            value_format="{:+.0f}",
        )
        if points
        else None
    )
    return render_template(
        "quality/calibration_reviewer.html",
        user=user,
        history=history,
        keys=keys,
        chart=chart,
    )
