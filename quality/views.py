"""Quality pages: rubrics (admins edit them), the reviewer's queue, the review page (it
autosaves), the rep's reviews with acknowledge and dispute, and disputes to decide."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from core.access import Role, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.pagination import Page
from core.params import month_value, page_arg
from core.people import User
from core.shell import NavItem
from incentives.scoring import queries as scoring_queries
from quality import calibration_queries, operations, queries
from quality import reviews as review_rules
from quality.coaching import FAIL_SHARE, TIMES
from quality.forms import (
    DecisionForm,
    DisputeForm,
    HelpdeskLinkForm,
    ReviewForm,
    RubricForm,
    ratings_from,
)
from quality.models import QaReview, QaRubric
from quality.reviews import Decision, ReviewState
from quality.rubrics import NOT_APPLICABLE, rubric_to_yaml, score_review
from quality.sampling import Reason

bp = Blueprint("quality", __name__, url_prefix="/quality")

QUALITY_ROLES = (Role.REP, Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN)
#: Reviews a page of Quality > Reviews lists.
PER_PAGE = 50

#: Main navigation entries for this module.
NAV: list[NavItem] = [
    NavItem("Quality", "quality.home", frozenset(QUALITY_ROLES), "quality."),
]


def _me() -> User:
    return current_user._get_current_object()


def today() -> dt.date:
    """Today in the organisation's time zone."""
    return (
        utcnow().astimezone(ZoneInfo(current_app.config["FRONTLINE_TIMEZONE"])).date()
    )


@bp.app_template_filter("qa_reason")
def _reason_label(value: str) -> str:
    try:
        return Reason(value).label
    except ValueError:
        return value


@bp.app_template_filter("qa_score")
def _score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


@bp.route("/")
@role_required(*QUALITY_ROLES)
def home() -> Any:
    if current_user.has_role(Role.SUPERVISOR):
        return redirect(url_for("quality.queue"))
    if current_user.has_role(Role.LEADERSHIP, Role.ADMIN):
        return redirect(url_for("quality.review_list"))
    return redirect(url_for("quality.mine"))


# --- rubrics ------------------------------------------------------------------------------


@bp.route("/rubrics")
@role_required(*OVERSIGHT_ROLES)
def rubric_list() -> Any:
    return _rubric_list(HelpdeskLinkForm())


def _rubric_list(form: HelpdeskLinkForm, status: int = 200) -> Any:
    return (
        render_template(
            "quality/rubric_list.html",
            rubrics=queries.list_rubrics(),
            links=queries.list_helpdesk_links(),
            link_form=form,
        ),
        status,
    )


@bp.route("/links", methods=["POST"])
@role_required(Role.ADMIN)
def link_save() -> Any:
    """Set where a source's tickets open in the helpdesk."""
    form = HelpdeskLinkForm()
    if not form.validate_on_submit():
        return _rubric_list(form, 400)
    try:
        operations.set_helpdesk_link(form.source.data, form.url_pattern.data, by=_me())
    except InvalidInput as e:
        db.session.rollback()
        populate_errors(form, e)
        return _rubric_list(form, 400)
    db.session.commit()
    flash(f"Tickets from {form.source.data} now open in the helpdesk.", "success")
    return redirect(url_for("quality.rubric_list"))


@bp.route("/rubrics/<int:rubric_id>")
@role_required(*OVERSIGHT_ROLES)
def rubric_detail(rubric_id: int) -> Any:
    rubric = db.get_or_404(QaRubric, rubric_id)
    return render_template(
        "quality/rubric_detail.html",
        rubric=rubric,
        counts=queries.review_counts_by_version(),
    )


@bp.route("/rubrics/new", methods=["GET", "POST"], endpoint="rubric_new")
@bp.route("/rubrics/<int:rubric_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rubric_edit(rubric_id: int | None = None) -> Any:
    rubric = db.get_or_404(QaRubric, rubric_id) if rubric_id is not None else None
    form = RubricForm()
    if request.method == "GET" and rubric is not None:
        form.text.data = rubric_to_yaml(rubric.current.rules)
    if form.validate_on_submit():
        try:
            version, outcome = operations.import_rubric_yaml(
                form.text.data,
                by=_me(),
                group=rubric.channel_group.value if rubric else None,
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(_rubric_news(version.label, outcome), "success")
            return redirect(
                url_for("quality.rubric_detail", rubric_id=version.rubric_id)
            )
    return render_template("quality/rubric_form.html", form=form, rubric=rubric)


def _rubric_news(label: str, outcome: str) -> str:
    return {
        "created": f"{label} created.",
        "new_version": f"{label} made: submitted reviews keep the version they used.",
        "updated": f"{label} changed.",
        "unchanged": f"Nothing changed in {label}.",
    }[outcome]


# --- reviewers ----------------------------------------------------------------------------


@bp.route("/queue")
@role_required(*OVERSIGHT_ROLES)
def queue() -> Any:
    reviews = queries.queue(current_user.id)
    return render_template(
        "quality/queue.html",
        reviews=reviews,
        calibration_waiting=calibration_queries.to_score_count(current_user.id),
        labels=queries.ticket_labels(reviews),
        today=today(),
    )


@bp.route("/reviews")
@role_required(*OVERSIGHT_ROLES)
def review_list() -> Any:
    months = queries.months_with_reviews()
    given = request.args.get("month")
    month = month_value(given) if given else (months[0] if months else None)
    viewer = current_viewer()
    page = (
        queries.month_review_page(viewer, month, page=page_arg(), per_page=PER_PAGE)
        if month
        else Page([], 1, PER_PAGE, 0)
    )
    return render_template(
        "quality/review_list.html",
        reviews=page.items,
        page=page,
        month=month,
        months=months,
        scores=queries.visible_month_scores(viewer, month) if month else [],
        team_scores=queries.team_scores(viewer, month) if month else [],
        closed=scoring_queries.closed_label(month) if month else "",
        labels=queries.ticket_labels(page.items),
        today=today(),
    )


@bp.route("/coaching")
@role_required(*OVERSIGHT_ROLES)
def coaching() -> Any:
    """Reps whose reviews of a month fail a category twice (scenarios tagged for it are
    offered) or fail a critical category about authority (their grant to review)."""
    months = queries.months_with_reviews()
    given = request.args.get("month")
    month = month_value(given) if given else (months[0] if months else None)
    viewer = current_viewer()
    rows = queries.coaching_rows(viewer, month, today()) if month else []
    return render_template(
        "quality/coaching.html",
        rows=rows,
        month=month,
        months=months,
        supervises={
            row.rep.id
            for row in rows
            if can_supervise_rep(viewer, row.rep.id, row.rep.team_id)
        },
        fail_share=FAIL_SHARE,
        times=TIMES,
    )


def _load_visible(review_id: int) -> QaReview:
    review = db.get_or_404(QaReview, review_id)
    if not queries.can_view(current_viewer(), review):
        abort(403)
    return review


@bp.route("/reviews/<int:review_id>")
@role_required(*QUALITY_ROLES)
def review_detail(review_id: int) -> Any:
    review = _load_visible(review_id)
    return _render_review(review, ReviewForm(obj=review))


def _render_review(review: QaReview, form: ReviewForm, status: int = 200) -> Any:
    rubric = review.rubric_version.rules
    viewer = current_viewer()
    ratings = (
        ratings_from(request.form, rubric)[0]
        if request.method == "POST"
        else review.ratings
    )
    return (
        render_template(
            "quality/review.html",
            review=review,
            rubric=rubric,
            ratings=ratings,
            comments=request.form if request.method == "POST" else review.comments,
            posted=request.method == "POST",
            form=form,
            context=queries.review_context(review),
            result=score_review(rubric, ratings),
            editable=review_rules.edit_problem(
                review.state, review.reviewer_id, viewer.user_id
            )
            is None,
            is_rep=viewer.user_id == review.rep_id,
            may_decide=review.state is ReviewState.DISPUTED
            and queries.may_decide(viewer, review)
            and viewer.user_id not in (review.reviewer_id, review.rep_id),
            dispute_form=DisputeForm(),
            decision_form=DecisionForm(),
            confirm=ConfirmForm(),
            na=NOT_APPLICABLE,
        ),
        status,
    )


@bp.route("/reviews/<int:review_id>/save", methods=["POST"])
@role_required(*OVERSIGHT_ROLES)
def review_save(review_id: int) -> Any:
    """Keep a draft: the page's autosave (JSON) and its Save button (a form)."""
    review = _load_visible(review_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    form = ReviewForm()
    if not form.validate_on_submit():
        if wants_json:
            problems = "; ".join(m for msgs in form.errors.values() for m in msgs)
            return jsonify(error={"message": f"Not saved: {problems}"}), 400
        return _render_review(review, form, 400)
    ratings, comments = ratings_from(request.form, review.rubric_version.rules)
    try:
        operations.save_draft(
            review,
            ratings=ratings,
            comments=comments,
            note=form.note.data or "",
            by=_me(),
        )
    except InvalidInput as e:
        db.session.rollback()
        if wants_json:
            return jsonify(error={"message": e.message}), 400
        populate_errors(form, e)
        return _render_review(db.get_or_404(QaReview, review_id), form, 400)
    except Conflict as e:
        db.session.rollback()
        if wants_json:
            return jsonify(error={"message": e.message}), 409
        flash(e.message, "error")
        return redirect(url_for("quality.review_detail", review_id=review_id))
    db.session.commit()
    if wants_json:
        return jsonify(saved=True, score=review.score)
    flash("Draft saved.", "success")
    return redirect(url_for("quality.review_detail", review_id=review_id))


@bp.route("/reviews/<int:review_id>/submit", methods=["POST"])
@role_required(*OVERSIGHT_ROLES)
def review_submit(review_id: int) -> Any:
    review = _load_visible(review_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_review(review, form, 400)
    ratings, comments = ratings_from(request.form, review.rubric_version.rules)
    try:
        operations.submit_review(
            review,
            ratings=ratings,
            comments=comments,
            note=form.note.data or "",
            by=_me(),
        )
    except InvalidInput as e:
        db.session.rollback()
        populate_errors(form, e)
        # The page shows what was posted again, so nothing typed is lost.
        return _render_review(db.get_or_404(QaReview, review_id), form, 400)
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("quality.review_detail", review_id=review_id))
    db.session.commit()
    flash("Review submitted. The rep can read it now.", "success")
    _flash_if_closed(review.month)
    return redirect(url_for("quality.queue"))


def _flash_if_closed(month: str) -> None:
    """A closed month keeps the QA scores it was closed with: say so when a review of it
    is submitted or decided (as an import into a closed month does)."""
    closed = scoring_queries.closed_label(month)
    if closed:
        flash(
            f"{month} {closed.replace('Closed on', 'was closed on', 1)}: its scores keep "
            "the QA scores it was closed with. This counts there once the month is "
            "reopened and closed again.",
            "info",
        )


# --- reps ---------------------------------------------------------------------------------


@bp.route("/mine")
@role_required(Role.REP)
def mine() -> Any:
    reviews = queries.reviews_of_rep(current_user.id)
    return render_template(
        "quality/mine.html",
        reviews=reviews,
        scores=sorted(queries.month_scores(reviews).items(), reverse=True),
        labels=queries.ticket_labels(reviews),
    )


@bp.route("/reviews/<int:review_id>/acknowledge", methods=["POST"])
@role_required(Role.REP)
def review_acknowledge(review_id: int) -> Any:
    review = _load_visible(review_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.acknowledge_review(review, by=_me())
    except Conflict as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash("Review acknowledged.", "success")
    return redirect(url_for("quality.review_detail", review_id=review_id))


@bp.route("/reviews/<int:review_id>/dispute", methods=["POST"])
@role_required(Role.REP)
def review_dispute(review_id: int) -> Any:
    review = _load_visible(review_id)
    form = DisputeForm()
    if not form.validate_on_submit():
        flash("Say what you think the review got wrong.", "error")
        return redirect(url_for("quality.review_detail", review_id=review_id))
    try:
        operations.dispute_review(review, reason=form.reason.data, by=_me())
    except (Conflict, InvalidInput) as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(
            "Dispute sent. A supervisor other than the reviewer will decide it.",
            "success",
        )
    return redirect(url_for("quality.review_detail", review_id=review_id))


# --- disputes -----------------------------------------------------------------------------


@bp.route("/disputes")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def dispute_list() -> Any:
    page = queries.disputes_to_decide(
        current_viewer(), page=page_arg(), per_page=PER_PAGE
    )
    return render_template(
        "quality/dispute_list.html",
        reviews=page.items,
        page=page,
        labels=queries.ticket_labels(page.items),
    )


@bp.route("/reviews/<int:review_id>/decide", methods=["POST"])
@role_required(Role.SUPERVISOR, Role.ADMIN)
def review_decide(review_id: int) -> Any:
    review = _load_visible(review_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Choose a decision and say why.", "error")
        return redirect(url_for("quality.review_detail", review_id=review_id))
    try:
        operations.decide_dispute(
            review,
            decision=Decision(form.decision.data),
            note=form.note.data,
            by=_me(),
            may_act=queries.may_decide(current_viewer(), review),
        )
    except (Conflict, InvalidInput) as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("quality.review_detail", review_id=review_id))
    db.session.commit()
    flash("Dispute decided. The rep and the reviewer can read the decision.", "success")
    _flash_if_closed(review.month)
    return redirect(url_for("quality.dispute_list"))
