"""Scorecard pages: a rep's, a team's and the leadership pack, on the web and as PDFs, and
the month's batch of PDFs. Their routes join the ``incentives`` blueprint."""

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
    send_file,
    url_for,
)
from flask_login import current_user

from core import jobs
from core.access import Role, can_see_rep, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db
from core.jobs import Job, JobStatus
from core.people import Team, User
from core.templating import format_datetime
from incentives.scorecards import delivery, pdfs, queries
from incentives.scorecards.forms import BatchForm, ScorecardMailForm
from incentives.tickets import metrics
from incentives.views import (
    METRIC_ROLES,
    ORG_ROLES,
    SUPERVISING_ROLES,
    bp,
    me,
    score_months,
    scorecard_month,
)


def _rep_or_404(rep_id: int) -> User:
    rep = db.get_or_404(User, rep_id)
    if not rep.has_role(Role.REP):
        abort(404)
    if not can_see_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    return rep


def _team_or_403(team_id: int) -> Team:
    team = db.get_or_404(Team, team_id)
    viewer = current_viewer()
    if not (viewer.sees_all_reps or team.id in viewer.supervised_team_ids):
        abort(403)
    return team


@bp.route("/scorecards/reps/<int:rep_id>")
@role_required(*METRIC_ROLES)
def scorecard_rep(rep_id: int) -> Any:
    rep = _rep_or_404(rep_id)
    month = scorecard_month()
    # The what-if: a GET form on the page, re-scored here with the plan's own maths.
    asked = "metric" in request.args or "value" in request.args
    what_if = (
        (request.args.get("metric", "")[:60], request.args.get("value", "")[:30])
        if asked
        else None
    )
    card = queries.rep_scorecard(rep, month, what_if=what_if)
    viewer = current_viewer()
    return render_template(
        "incentives/scorecard_rep.html",
        card=card,
        rep=rep,
        months=score_months(month),
        coaching_form=can_supervise_rep(viewer, rep.id, rep.team_id),
        what_if_form=True,
        is_self=viewer.user_id == rep.id,
        mail_form=ScorecardMailForm(wanted=delivery.wants_mail(rep.id))
        if viewer.user_id == rep.id
        else None,
    )


@bp.route("/scorecards/mail", methods=["POST"])
@role_required(*METRIC_ROLES)
def scorecard_mail() -> Any:
    """The signed-in person's own scorecard e-mails, on or off (nobody else's)."""
    form = ScorecardMailForm()
    back = url_for("incentives.scorecard_rep", rep_id=current_user.id)
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(back)
    wanted = bool(form.wanted.data)
    if delivery.set_wants_mail(current_user, wanted, by=current_user):
        db.session.commit()
    flash(
        "Your scorecard will be e-mailed to you when a month closes."
        if wanted
        else "Your scorecard will no longer be e-mailed to you.",
        "success",
    )
    return redirect(back)


@bp.route("/scorecards/reps/<int:rep_id>.pdf")
@role_required(*METRIC_ROLES)
def scorecard_rep_pdf(rep_id: int) -> Any:
    rep = _rep_or_404(rep_id)
    month = scorecard_month()
    card = queries.rep_scorecard(rep, month)
    return _pdf(
        pdfs.kept_pdf(month, f"reps/{pdfs.rep_filename(card)}", card, pdfs.rep_pdf),
        f"scorecard-{month}-{pdfs.rep_filename(card)}",
    )


@bp.route("/scorecards/teams/<int:team_id>")
@role_required(*SUPERVISING_ROLES)
def scorecard_team(team_id: int) -> Any:
    team = _team_or_403(team_id)
    month = scorecard_month()
    return render_template(
        "incentives/scorecard_team.html",
        card=queries.team_scorecard(team, month),
        team=team,
        months=score_months(month),
    )


@bp.route("/scorecards/teams/<int:team_id>.pdf")
@role_required(*SUPERVISING_ROLES)
def scorecard_team_pdf(team_id: int) -> Any:
    team = _team_or_403(team_id)
    month = scorecard_month()
    card = queries.team_scorecard(team, month)
    return _pdf(
        pdfs.kept_pdf(month, f"teams/{pdfs.team_filename(card)}", card, pdfs.team_pdf),
        f"team-{month}-{pdfs.team_filename(card)}",
    )


@bp.route("/scorecards/leadership")
@role_required(*ORG_ROLES)
def scorecard_leadership() -> Any:
    month = scorecard_month()
    return render_template(
        "incentives/scorecard_leadership.html",
        pack=queries.leadership_pack(month),
        months=score_months(month),
        batch_form=BatchForm(month=month),
    )


@bp.route("/scorecards/leadership.pdf")
@role_required(*ORG_ROLES)
def scorecard_leadership_pdf() -> Any:
    month = scorecard_month()
    pack = queries.leadership_pack(month)
    return _pdf(
        pdfs.kept_pdf(month, "leadership.pdf", pack, pdfs.leadership_pdf),
        f"leadership-{month}.pdf",
    )


def _pdf(data: bytes, filename: str) -> Any:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- batches of scorecards (background jobs) ----------------------------------------------


def _batch_or_404(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id)
    if job.kind != queries.BATCH_KIND:
        abort(404)
    return job


@bp.route("/scorecards/batches", methods=["POST"])
@role_required(*ORG_ROLES)
def batch_create() -> Any:
    form = BatchForm()
    try:
        month = (
            metrics.parse_month(form.month.data or "")
            if form.validate_on_submit()
            else None
        )
    except metrics.InvalidMonth:
        month = None
    if month is None:
        flash("Choose a month to render.", "error")
        return redirect(url_for("incentives.scorecard_leadership"))
    # One batch per month at a time: a second start finds the one queued or running.
    job, started = jobs.enqueue_once(
        pdfs.render_month_job,
        month,
        kind=queries.BATCH_KIND,
        by=me(),
        message=f"Scorecards of {metrics.month_label(month)}: waiting to start",
    )
    db.session.commit()
    if not started:
        flash(_already_started(job, month), "info")
    return redirect(url_for("incentives.batch_detail", job_id=job.id))


def _already_started(job: Job, month: str) -> str:
    state = "running" if job.status is JobStatus.RUNNING else "waiting to start"
    who = job.created_by.name if job.created_by else "the system"
    return (
        f"A batch for {metrics.month_label(month)} is already {state}, started by "
        f"{who} at {format_datetime(job.created_at)}. Here is its progress; it was not "
        "started a second time."
    )


@bp.route("/scorecards/batches/<int:job_id>")
@role_required(*ORG_ROLES)
def batch_detail(job_id: int) -> Any:
    job = _batch_or_404(job_id)
    return render_template("incentives/batch_detail.html", job=job)


@bp.route("/scorecards/batches/<int:job_id>.json")
@role_required(*ORG_ROLES)
def batch_status(job_id: int) -> Any:
    job = _batch_or_404(job_id)
    data = job.as_dict()
    if job.status is JobStatus.DONE and job.result.get("zip"):
        data["download"] = url_for("incentives.batch_download", job_id=job.id)
    return jsonify(data)


@bp.route("/scorecards/batches/<int:job_id>/download")
@role_required(*ORG_ROLES)
def batch_download(job_id: int) -> Any:
    job = _batch_or_404(job_id)
    name = job.result.get("zip") if job.status is JobStatus.DONE else None
    if not name:
        abort(404)
    path = jobs.job_dir(job.id) / name
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype="application/zip", as_attachment=True, download_name=name
    )
