"""Incentives pages: month metrics, drill-downs, ticket imports, agents, SLA targets, hours;
scores, month close, scorecards (web and PDF), batches, disputes, coaching and plans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from core import jobs
from core.access import Role, can_see_rep, can_supervise_rep
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.jobs import Job, JobStatus
from core.pagination import Page, page_bounds
from core.params import choice_arg, id_arg, month_arg, month_value, page_arg
from core.people import Team, User
from core.settings import SettingSpec, get_setting
from core.shell import NavItem, Panel, PanelProvider
from core.tabular import csv_response
from core.templating import format_datetime
from incentives import (
    metrics,
    operations,
    plans,
    queries,
    scorecard_pdfs,
    scorecard_queries,
    scorecards,
    scoring_operations,
    scoring_queries,
)
from incentives.clock import WEEKDAYS, format_clock_time
from incentives.disputes import DisputeStatus, Resolution
from incentives.forms import (
    NOT_A_REP,
    AgentMapForm,
    BatchForm,
    CoachingAssignForm,
    DisputeDecisionForm,
    DisputeForm,
    MonthCloseForm,
    MonthReopenForm,
    OpeningHoursForm,
    PlanImportForm,
    TicketUploadForm,
    agent_form_prefix,
    plan_field_name,
    plan_form,
    sla_field_name,
    sla_targets_form,
)
from incentives.importing import Source
from incentives.metrics import Channel, Priority
from incentives.models import (
    IncentivePlan,
    PlanVersion,
    Ticket,
    TicketAgent,
    TicketDispute,
    TicketImport,
)

bp = Blueprint("incentives", __name__, url_prefix="/incentives")

METRIC_ROLES = (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR, Role.REP)
ORG_ROLES = (Role.ADMIN, Role.LEADERSHIP)
#: Roles that read team scorecards (supervisors only their own teams').
SUPERVISING_ROLES = (Role.ADMIN, Role.LEADERSHIP, Role.SUPERVISOR)
UPLOAD_LIMIT = "tickets_upload_max_mb"
PER_PAGE = 50

#: Main navigation entries for this module.
NAV: list[NavItem] = [
    NavItem(
        "Incentives",
        "incentives.metric_list",
        frozenset(METRIC_ROLES),
        active_prefix="incentives.",
    )
]
#: Organisation settings this module reads (shown on Admin > Settings).
SETTINGS: list[SettingSpec] = [
    SettingSpec(
        UPLOAD_LIMIT,
        "Largest ticket file uploaded in the app",
        "Bigger helpdesk exports are imported with the `tickets import` command.",
        default=50,
        minimum=1,
        maximum=64,
        unit="MB",
    )
]


@bp.app_template_filter("metric_value")
def metric_value(value: Any, column: str) -> str:
    return metrics.format_value(column, value)


@bp.app_template_filter("channel_label")
def channel_label(value: str) -> str:
    return Channel(value).label if value in set(Channel) else str(value)


@bp.app_template_filter("plan_value")
def plan_value(value: Any, unit: str) -> str:
    """A plan's number in its unit (``80%``, ``12 min``); plain for no unit."""
    if unit:
        return plans.format_metric(unit, float(value))
    return f"{float(value):g}"


@bp.app_template_filter("month_label")
def month_label(month: str) -> str:
    return metrics.month_label(month)


def _me() -> User:
    return current_user._get_current_object()


def _month_arg() -> str:
    """The month asked for, else the current one."""
    return month_arg(default=queries.current_month)


# --- the month's metrics -----------------------------------------------------------------


@bp.route("/")
@role_required(*METRIC_ROLES)
def index() -> Any:
    return redirect(url_for("incentives.metric_list"))


@bp.route("/metrics")
@role_required(*METRIC_ROLES)
def metric_list() -> Any:
    scope = queries.scope_for(current_viewer())
    month = _month_arg()
    team_id = id_arg("team", "team")
    result = queries.month_metrics(month, scope, team_id=team_id)
    sort = choice_arg("sort", metrics.SORTABLE, "name")
    order = choice_arg("dir", {"asc", "desc"}, "asc" if sort == "name" else "desc")
    descending = order == "desc"
    reps = metrics.sort_rows(result.reps, sort, descending)
    return render_template(
        "incentives/metric_list.html",
        result=result,
        reps=queries.metric_records(reps),
        teams=queries.metric_records(result.teams),
        groups=queries.metric_records(result.groups)
        if result.groups is not None
        else None,
        organisation=result.organisation,
        month=month,
        months=_months_around(month),
        team_id=team_id,
        team_choices=queries.team_choices(scope),
        sort=sort,
        descending=descending,
        columns=METRIC_TABLE,
        scope=scope,
    )


@dataclass(frozen=True)
class MetricColumn:
    key: str
    label: str
    title: str


#: The metric columns of the tables, in order (``key`` is also the drill-down metric).
METRIC_TABLE = [
    MetricColumn("tickets_solved", "Solved", "Tickets solved in the month"),
    MetricColumn(
        "first_response_median_min", "First reply", "Median time to the first reply"
    ),
    MetricColumn("resolution_median_h", "Resolution", "Median time to solve"),
    MetricColumn("timely_rate", "Timely", "Share solved within the SLA target"),
    MetricColumn("csat_raw", "CSAT", "Satisfied ratings / all ratings"),
    MetricColumn("nps", "NPS", "% promoters (9-10) minus % detractors (0-6)"),
    MetricColumn("reopen_rate", "Reopened", "Share of solved tickets reopened"),
    MetricColumn(
        "review_followup_rate",
        "Reviews",
        "Public reviews answered within their first-reply target",
    ),
]


def _months_around(month: str) -> list[str]:
    """Months with tickets, plus the one shown and the current one."""
    months = set(queries.months_with_tickets()) | {month, queries.current_month()}
    return sorted(months, reverse=True)


@bp.route("/metrics.csv")
@role_required(*METRIC_ROLES)
def metric_export() -> Any:
    scope = queries.scope_for(current_viewer())
    month = _month_arg()
    result = queries.month_metrics(month, scope, team_id=id_arg("team", "team"))
    header, rows = queries.export_rows(result.reps)
    return csv_response(f"metrics-{month}.csv", header, rows)


@bp.route("/reps/<int:rep_id>/tickets")
@role_required(*METRIC_ROLES)
def rep_tickets(rep_id: int) -> Any:
    rep = db.get_or_404(User, rep_id)
    if not rep.has_role(Role.REP):
        abort(404)
    if not can_see_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    month = _month_arg()
    metric = choice_arg("metric", queries.DRILLDOWN, "tickets_solved")
    measures = queries.month_tickets(month, rep_id=rep.id)
    summary = metrics.rep_metrics(measures, rep_ids=[rep.id]).loc[rep.id]
    tickets = queries.behind(measures, metric)
    page = frame_page(tickets, page_arg())
    return render_template(
        "incentives/rep_tickets.html",
        rep=rep,
        month=month,
        metric=metric,
        summary=summary,
        page=page,
        disputes=scoring_queries.disputes_by_ticket(
            [int(t["ticket_pk"]) for t in page.items]
        ),
        can_dispute=current_user.id == rep.id
        and scoring_queries.get_close(month) is None,
        drilldown=queries.DRILLDOWN,
        columns=METRIC_TABLE,
        month_before=metrics.shift_month(month, -1),
        month_after=metrics.shift_month(month, 1),
    )


@bp.route("/unattributed")
@role_required(*ORG_ROLES)
def unattributed_tickets() -> Any:
    month = _month_arg()
    tickets = queries.ticket_rows(month, rep_id=None)
    return render_template(
        "incentives/unattributed_tickets.html",
        month=month,
        page=frame_page(tickets, page_arg()),
        month_before=metrics.shift_month(month, -1),
        month_after=metrics.shift_month(month, 1),
    )


def frame_page(frame: Any, page: int, per_page: int = PER_PAGE) -> Page:
    """A page of a DataFrame's rows, as records for the templates."""
    page, first, last = page_bounds(len(frame), page, per_page)
    return Page(
        queries.metric_records(frame.iloc[first:last]), page, per_page, len(frame)
    )


# --- imports -----------------------------------------------------------------------------


@bp.route("/imports")
@role_required(*ORG_ROLES)
def import_list() -> Any:
    page = db.paginate(
        queries.query_imports(), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "incentives/import_list.html",
        page=page,
        unknown_agents=queries.count_unknown_agents(),
    )


@bp.route("/imports/<int:import_id>")
@role_required(*ORG_ROLES)
def import_detail(import_id: int) -> Any:
    record = db.get_or_404(TicketImport, import_id)
    return render_template("incentives/import_detail.html", record=record)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@bp.route("/imports/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_new() -> Any:
    form = TicketUploadForm()
    limit_mb = get_setting(UPLOAD_LIMIT)
    outcome = None
    if form.validate_on_submit():
        data = form.file.data.read()
        if len(data) > limit_mb * 1024 * 1024:
            form.file.errors.append(
                f"This file is {len(data) / 1048576:.0f} MB; the limit here is {limit_mb} MB. "
                "Import it with the `tickets import` command."
            )
        else:
            try:
                outcome = operations.import_ticket_file(
                    data,
                    filename=form.file.data.filename or "upload.csv",
                    file_format=form.file_format.data,
                    mapping_text=_mapping_text(form),
                    by=_me(),
                    via="web",
                    tz=queries.org_timezone(),
                    dry_run=form.dry_run.data,
                )
            except (InvalidInput, Conflict) as e:
                db.session.rollback()
                populate_errors(
                    form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
                )
            else:
                if outcome.dry_run:
                    db.session.rollback()
                else:
                    db.session.commit()
                    return _after_import(outcome)
    page = render_template(
        "incentives/import_new.html",
        form=form,
        outcome=outcome,
        limit_mb=limit_mb,
        sources=list(Source),
    )
    if _wants_json():
        return jsonify({"html": page})
    return page


def _mapping_text(form: TicketUploadForm) -> str | None:
    if not form.mapping.data:
        return None
    raw = form.mapping.data.read()
    return raw.decode("utf-8-sig", errors="replace")


def _after_import(outcome: operations.ImportOutcome) -> Any:
    assert outcome.record is not None  # noqa: S101 (a written import has its record)
    if outcome.rejected:
        flash(
            "Nothing was imported: fix the rows listed below and upload again.", "error"
        )
    else:
        flash(
            f"Imported {outcome.filename}: {outcome.inserted} new, "
            f"{outcome.updated} updated, {outcome.unchanged} unchanged.",
            "success",
        )
    location = url_for("incentives.import_detail", import_id=outcome.record.id)
    if _wants_json():
        return jsonify({"location": location})
    return redirect(location)


# --- agents ------------------------------------------------------------------------------


@bp.route("/agents")
@role_required(Role.ADMIN)
def agent_list() -> Any:
    reps = queries.rep_choices()
    unknown = queries.list_agents(unknown=True)
    return render_template(
        "incentives/agent_list.html",
        unknown=[
            (row, AgentMapForm(prefix=agent_form_prefix(row.agent.id), reps=reps))
            for row in unknown
        ],
        mapped=queries.list_agents(unknown=False),
        confirm_form=ConfirmForm(),
    )


@bp.route("/agents/<int:agent_id>/map", methods=["POST"])
@role_required(Role.ADMIN)
def agent_map(agent_id: int) -> Any:
    agent = db.get_or_404(TicketAgent, agent_id)
    form = AgentMapForm(prefix=agent_form_prefix(agent.id), reps=queries.rep_choices())
    if not form.validate_on_submit():
        flash("Choose the rep this agent is, then press Map.", "error")
        return redirect(url_for("incentives.agent_list"))
    rep = None
    if form.rep_id.data != NOT_A_REP:
        rep = db.get_or_404(User, form.rep_id.data)
    try:
        operations.map_agent(agent, rep=rep, by=_me(), not_a_rep=rep is None)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        who = rep.name if rep else "not a rep"
        flash(f"{agent.label} is now {who}; their tickets follow.", "success")
    return redirect(url_for("incentives.agent_list"))


@bp.route("/agents/<int:agent_id>/unmap", methods=["POST"])
@role_required(Role.ADMIN)
def agent_unmap(agent_id: int) -> Any:
    agent = db.get_or_404(TicketAgent, agent_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.unmap_agent(agent, by=_me())
    db.session.commit()
    flash(f"The mapping of {agent.label} was removed.", "success")
    return redirect(url_for("incentives.agent_list"))


# --- SLA targets and opening hours -------------------------------------------------------


@bp.route("/sla", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def sla_edit() -> Any:
    targets = queries.get_sla_targets()
    form = sla_targets_form(targets, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            changed = operations.save_sla_targets(form.targets(), by=_me())
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(f"SLA targets saved ({changed} changed).", "success")
            return redirect(url_for("incentives.sla_edit"))
    return render_template(
        "incentives/sla_edit.html",
        form=form,
        channels=list(Channel),
        priorities=list(Priority),
        field_name=sla_field_name,
        clock=queries.get_clock(),
    )


@bp.route("/opening-hours", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def hours_edit() -> Any:
    form = OpeningHoursForm()
    if request.method == "GET":
        hours = queries.get_opening_hours()
        for i in range(7):
            interval = hours.days[i] if hours else None
            if interval:
                form[f"opens_{i}"].data = format_clock_time(interval[0])
                form[f"closes_{i}"].data = format_clock_time(interval[1])
        form.holidays.data = "\n".join(
            f"{h.day.isoformat()} {h.name}".strip() for h in queries.list_holidays()
        )
    if form.validate_on_submit():
        try:
            operations.save_opening_hours(form.days(), form.holiday_dates(), by=_me())
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Opening hours saved.", "success")
            return redirect(url_for("incentives.hours_edit"))
    return render_template(
        "incentives/hours_edit.html",
        form=form,
        weekdays=list(enumerate(WEEKDAYS)),
        clock=queries.get_clock(),
        timezone=current_app.config["FRONTLINE_TIMEZONE"],
    )


# --- scores, month close, scorecards ------------------------------------------------------


def _scorecard_month() -> str:
    """The month asked for, else the last full month (the one a scorecard is usually for)."""
    return month_arg(default=lambda: metrics.shift_month(queries.current_month(), -1))


def _score_months(month: str) -> list[str]:
    months = set(_months_around(month)) | set(scoring_queries.closes_in_force())
    return sorted(months, reverse=True)


@bp.route("/scores")
@role_required(*METRIC_ROLES)
def score_list() -> Any:
    viewer = current_viewer()
    scope = queries.scope_for(viewer)
    month = _scorecard_month()
    scores = scoring_queries.month_scores(month)
    rows = scorecards.score_rows(scores, scope.rep_ids)
    return render_template(
        "incentives/score_list.html",
        month=month,
        months=_score_months(month),
        scores=scores,
        rows=rows,
        scope=scope,
        teams=queries.team_choices(scope) if scope.team_ids != frozenset() else [],
        open_disputes=scoring_queries.count_open_disputes(month),
        close_history=scoring_queries.close_history(month)
        if viewer.has_any(ORG_ROLES)
        else [],
        batches=_recent_batches() if viewer.has_any(ORG_ROLES) else [],
        plan=scoring_queries.get_active_version(),
        today_month=queries.current_month(),
    )


@bp.route("/scores.csv")
@role_required(*METRIC_ROLES)
def score_export() -> Any:
    scope = queries.scope_for(current_viewer())
    month = _scorecard_month()
    header, rows = scoring_queries.export_rows(
        scoring_queries.month_scores(month), scope.rep_ids
    )
    return csv_response(f"scores-{month}.csv", header, rows)


@bp.route("/months/<month>/close", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def month_close(month: str) -> Any:
    month = _path_month(month)
    form = MonthCloseForm()
    if form.validate_on_submit():
        try:
            scoring_operations.close_month(
                month,
                by=_me(),
                note=form.note.data or "",
                allow_open_disputes=form.confirm_disputes.data,
            )
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            populate_errors(
                form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
            )
        else:
            db.session.commit()
            flash(
                f"{metrics.month_label(month)} is closed: its scores are final.",
                "success",
            )
            return redirect(url_for("incentives.score_list", month=month))
    scores = scoring_queries.month_scores(month)
    viewer = current_viewer()
    return render_template(
        "incentives/month_close.html",
        month=month,
        form=form,
        reopen_form=MonthReopenForm(),
        scores=scores,
        rows=scorecards.score_rows(scores, None),
        disputes=scoring_queries.list_disputes(viewer, month=month),
        is_over=month < queries.current_month(),
        plan=scoring_queries.get_active_version(),
        history=scoring_queries.close_history(month),
    )


@bp.route("/months/<month>/reopen", methods=["POST"])
@role_required(Role.ADMIN)
def month_reopen(month: str) -> Any:
    month = _path_month(month)
    form = MonthReopenForm()
    if not form.validate_on_submit():
        flash("Say why the month is reopened.", "error")
        return redirect(url_for("incentives.month_close", month=month))
    try:
        scoring_operations.reopen_month(month, by=_me(), reason=form.reason.data)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(
            f"{metrics.month_label(month)} is open again: scores are worked out live "
            "until it closes anew.",
            "success",
        )
    return redirect(url_for("incentives.month_close", month=month))


def _path_month(text: str) -> str:
    return month_value(text)


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
    month = _scorecard_month()
    card = scorecard_queries.rep_scorecard(rep, month)
    viewer = current_viewer()
    return render_template(
        "incentives/scorecard_rep.html",
        card=card,
        rep=rep,
        months=_score_months(month),
        coaching_form=can_supervise_rep(viewer, rep.id, rep.team_id),
        is_self=viewer.user_id == rep.id,
    )


@bp.route("/scorecards/reps/<int:rep_id>.pdf")
@role_required(*METRIC_ROLES)
def scorecard_rep_pdf(rep_id: int) -> Any:
    rep = _rep_or_404(rep_id)
    month = _scorecard_month()
    card = scorecard_queries.rep_scorecard(rep, month)
    return _pdf(
        scorecard_pdfs.rep_pdf(card),
        f"scorecard-{month}-{scorecard_pdfs.rep_filename(card)}",
    )


@bp.route("/scorecards/teams/<int:team_id>")
@role_required(*SUPERVISING_ROLES)
def scorecard_team(team_id: int) -> Any:
    team = _team_or_403(team_id)
    month = _scorecard_month()
    return render_template(
        "incentives/scorecard_team.html",
        card=scorecard_queries.team_scorecard(team, month),
        team=team,
        months=_score_months(month),
    )


@bp.route("/scorecards/teams/<int:team_id>.pdf")
@role_required(*SUPERVISING_ROLES)
def scorecard_team_pdf(team_id: int) -> Any:
    team = _team_or_403(team_id)
    month = _scorecard_month()
    card = scorecard_queries.team_scorecard(team, month)
    return _pdf(
        scorecard_pdfs.team_pdf(card),
        f"team-{month}-{scorecard_pdfs.team_filename(card)}",
    )


@bp.route("/scorecards/leadership")
@role_required(*ORG_ROLES)
def scorecard_leadership() -> Any:
    month = _scorecard_month()
    return render_template(
        "incentives/scorecard_leadership.html",
        pack=scorecard_queries.leadership_pack(month),
        months=_score_months(month),
        batch_form=BatchForm(month=month),
    )


@bp.route("/scorecards/leadership.pdf")
@role_required(*ORG_ROLES)
def scorecard_leadership_pdf() -> Any:
    month = _scorecard_month()
    pack = scorecard_queries.leadership_pack(month)
    return _pdf(scorecard_pdfs.leadership_pdf(pack), f"leadership-{month}.pdf")


def _pdf(data: bytes, filename: str) -> Any:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- batches of scorecards (background jobs) ----------------------------------------------

BATCH_KIND = "scorecards.render"


def _recent_batches() -> list[Job]:
    return list(
        db.session.scalars(
            select(Job).where(Job.kind == BATCH_KIND).order_by(Job.id.desc()).limit(5)
        )
    )


def _batch_or_404(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id)
    if job.kind != BATCH_KIND:
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
        scorecard_pdfs.render_month_job,
        month,
        kind=BATCH_KIND,
        by=_me(),
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


# --- disputes ------------------------------------------------------------------------------


@bp.route("/tickets/<int:ticket_id>/dispute", methods=["GET", "POST"])
@role_required(Role.REP)
def dispute_create(ticket_id: int) -> Any:
    ticket = db.get_or_404(Ticket, ticket_id)
    rep_id = ticket.agent.rep_id if ticket.agent else None
    if rep_id != current_user.id:
        abort(403)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            dispute = scoring_operations.file_dispute(
                ticket, by=_me(), reason=form.reason.data
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Your dispute was sent to your supervisor.", "success")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute.id))
    return render_template(
        "incentives/dispute_form.html",
        form=form,
        ticket=ticket,
        month=metrics.month_of(ticket.solved_at, queries.org_timezone())
        if ticket.solved_at
        else None,
        existing=scoring_queries.disputes_by_ticket([ticket.id]).get(ticket.id),
    )


@bp.route("/disputes")
@role_required(*METRIC_ROLES)
def dispute_list() -> Any:
    viewer = current_viewer()
    status = choice_arg("status", {*DisputeStatus, "all"}, "open")
    chosen = DisputeStatus(status) if status != "all" else None
    return render_template(
        "incentives/dispute_list.html",
        disputes=scoring_queries.list_disputes(viewer, status=chosen),
        status=status if chosen else "all",
        statuses=list(DisputeStatus),
        viewer=viewer,
    )


def _dispute_or_403(dispute_id: int) -> TicketDispute:
    dispute = db.get_or_404(TicketDispute, dispute_id)
    if not can_see_rep(current_viewer(), dispute.rep_id, dispute.rep.team_id):
        abort(403)
    return dispute


@bp.route("/disputes/<int:dispute_id>")
@role_required(*METRIC_ROLES)
def dispute_detail(dispute_id: int) -> Any:
    dispute = _dispute_or_403(dispute_id)
    viewer = current_viewer()
    can_decide = dispute.is_open and can_supervise_rep(
        viewer, dispute.rep_id, dispute.rep.team_id
    )
    return render_template(
        "incentives/dispute_detail.html",
        dispute=dispute,
        form=_decision_form(dispute) if can_decide else None,
        closed=scoring_queries.get_close(dispute.month) is not None,
    )


def _decision_form(dispute: TicketDispute) -> DisputeDecisionForm:
    reps = [(i, n) for i, n in queries.rep_choices() if i != dispute.rep_id]
    return DisputeDecisionForm(reps=reps)


@bp.route("/disputes/<int:dispute_id>/decide", methods=["POST"])
@role_required(Role.SUPERVISOR)
def dispute_decide(dispute_id: int) -> Any:
    dispute = _dispute_or_403(dispute_id)
    if not can_supervise_rep(current_viewer(), dispute.rep_id, dispute.rep.team_id):
        abort(403)
    form = _decision_form(dispute)
    if form.validate_on_submit():
        accept = form.decision.data != "decline"
        reassign_to = (
            db.session.get(User, form.reassign_to.data)
            if form.reassign_to.data
            else None
        )
        try:
            scoring_operations.decide_dispute(
                dispute,
                by=_me(),
                accept=accept,
                resolution=Resolution(form.decision.data) if accept else None,
                reassign_to=reassign_to,
                note=form.note.data or "",
            )
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            populate_errors(
                form, e if isinstance(e, InvalidInput) else InvalidInput(e.message)
            )
        else:
            db.session.commit()
            flash("Decision recorded; the month's scores follow it.", "success")
            return redirect(url_for("incentives.dispute_detail", dispute_id=dispute.id))
    return render_template(
        "incentives/dispute_detail.html",
        dispute=dispute,
        form=form,
        closed=scoring_queries.get_close(dispute.month) is not None,
    ), 200


# --- coaching ------------------------------------------------------------------------------


@bp.route("/coaching", methods=["POST"])
@role_required(Role.SUPERVISOR)
def coaching_assign() -> Any:
    form = CoachingAssignForm()
    if not form.validate_on_submit():
        abort(400)
    rep = db.get_or_404(User, form.rep_id.data)
    if not can_supervise_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    today = utcnow().astimezone(queries.org_timezone()).date()
    try:
        scoring_operations.assign_coaching(
            rep, form.scenario.data, by=_me(), today=today
        )
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(f"Assigned to {rep.name}, due in two weeks.", "success")
    month = form.month.data if metrics.MONTH_RE.match(form.month.data or "") else None
    return redirect(url_for("incentives.scorecard_rep", rep_id=rep.id, month=month))


# --- plans ---------------------------------------------------------------------------------


@bp.route("/plans")
@role_required(Role.ADMIN)
def plan_list() -> Any:
    return render_template(
        "incentives/plan_list.html",
        plans=scoring_queries.list_plans(),
        locked=scoring_queries.locked_version_ids(),
    )


@bp.route("/plans/<int:plan_id>")
@role_required(Role.ADMIN)
def plan_detail(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    version_id = id_arg("version", "plan version")
    version = next((v for v in record.versions if v.id == version_id), record.current)
    return render_template(
        "incentives/plan_detail.html",
        record=record,
        version=version,
        plan=version.rules,
        yaml_text=plans.plan_to_yaml(version.rules),
        locked=scoring_queries.locked_version_ids(),
        months=scoring_queries.months_using(version.id),
        activate_form=ConfirmForm(),
    )


def _plan_form(formdata: Any = None) -> Any:
    teams = queries.team_choices(queries.Scope(None, None, organisation=True))
    return plan_form(teams, formdata)


def _save_plan_form(form: Any, record: IncentivePlan | None) -> Any:
    try:
        plan = scoring_operations.check_plan(form.as_data())
        version, outcome = scoring_operations.save_plan(record, plan, by=_me())
    except InvalidInput as e:
        db.session.rollback()
        populate_errors(
            form, InvalidInput({plan_field_name(k): v for k, v in e.errors.items()})
        )
        return None
    db.session.commit()
    flash(PLAN_OUTCOMES[outcome].format(label=version.label), "success")
    return redirect(url_for("incentives.plan_detail", plan_id=version.plan_id))


PLAN_OUTCOMES = {
    "created": "{label} saved.",
    "updated": "{label} changed.",
    "new_version": "{label} saved as a new version: the one before is frozen, closed "
    "months used it.",
    "unchanged": "Nothing changed in {label}.",
}


@bp.route("/plans/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_create() -> Any:
    form = _plan_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        done = _save_plan_form(form, None)
        if done is not None:
            return done
    return render_template("incentives/plan_form.html", form=form, record=None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_edit(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    form = _plan_form(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.fill(record.current.definition)
    elif form.validate():
        done = _save_plan_form(form, record)
        if done is not None:
            return done
    return render_template(
        "incentives/plan_form.html",
        form=form,
        record=record,
        frozen=record.current.id in scoring_queries.locked_version_ids(),
    )


@bp.route("/plans/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def plan_import() -> Any:
    form = PlanImportForm()
    if form.validate_on_submit():
        text = (
            form.file.data.read().decode("utf-8-sig", errors="replace")
            if form.file.data
            else form.text.data
        )
        try:
            version, outcome = scoring_operations.import_plan_yaml(text, by=_me())
        except InvalidInput as e:
            db.session.rollback()
            form.form_errors.extend(plans.PlanInvalid(e.errors).problems)
        else:
            db.session.commit()
            flash(PLAN_OUTCOMES[outcome].format(label=version.label), "success")
            return redirect(url_for("incentives.plan_detail", plan_id=version.plan_id))
    return render_template("incentives/plan_import.html", form=form)


@bp.route("/plans/<int:plan_id>/activate", methods=["POST"])
@role_required(Role.ADMIN)
def plan_activate(plan_id: int) -> Any:
    record = db.get_or_404(IncentivePlan, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    scoring_operations.activate_plan(record, by=_me())
    db.session.commit()
    flash(f"{record.name} is in force: open months are scored with it.", "success")
    return redirect(url_for("incentives.plan_detail", plan_id=record.id))


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>.yaml")
@role_required(Role.ADMIN)
def plan_version_yaml(plan_id: int, version_id: int) -> Any:
    version = db.get_or_404(PlanVersion, version_id)
    if version.plan_id != plan_id:
        abort(404)
    return Response(
        plans.plan_to_yaml(version.rules),
        mimetype="text/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}-v{version.version}.yaml"'
        },
    )


# --- dashboard panels --------------------------------------------------------------------


def rep_panel(user: User) -> Panel | None:
    if not user.has_role(Role.REP):
        return None
    month = queries.current_month()
    return Panel(
        "Your month so far",
        "incentives/_panel_rep.html",
        {
            "month": month,
            "rep_id": user.id,
            "summary": queries.rep_month_summary(user.id, month),
            "columns": METRIC_TABLE,
        },
        order=20,
    )


def team_panel(user: User) -> Panel | None:
    if not user.has_role(Role.SUPERVISOR) or not user.supervised_teams:
        return None
    month = queries.current_month()
    teams = queries.team_month_summary([t.id for t in user.supervised_teams], month)
    return Panel(
        "Team metrics this month",
        "incentives/_panel_team.html",
        {"month": month, "teams": queries.metric_records(teams)},
        order=25,
    )


def organisation_panel(user: User) -> Panel | None:
    if not user.has_role(*ORG_ROLES):
        return None
    month = queries.current_month()
    return Panel(
        "Organisation this month",
        "incentives/_panel_organisation.html",
        {
            "month": month,
            "summary": queries.organisation_month_summary(month),
            "unknown_agents": queries.count_unknown_agents(),
            "last_import": queries.last_import(),
            "is_admin": user.has_role(Role.ADMIN),
        },
        order=5,  # first: the month at a glance, across the whole width
        wide=True,
    )


_Found = TypeVar("_Found")


def _unless_updating(month: str, get: Callable[[bool], _Found | None]) -> _Found | None:
    """What a dashboard panel shows of ``month``: ``get(False)`` (without reading the
    month's tickets), else ``get(True)``, unless a background job is computing the month's
    figures (just after an import): then ``None``, and the panel says the month is being
    updated. A dashboard never waits for a month to be scored from its tickets; its
    scorecard pages still score it at once."""
    found = get(False)
    if found is None and month not in queries.months_being_computed():
        found = get(True)
    return found


def _scores_unless_updating(month: str) -> scorecards.MonthScores | None:
    return _unless_updating(
        month,
        lambda read_tickets: (
            scoring_queries.month_scores(month)
            if read_tickets
            else scoring_queries.month_scores_at_hand(month)
        ),
    )


def scorecard_panel(user: User) -> Panel | None:
    """A rep's last closed month and the month so far, with their payouts; a month whose
    figures are being computed says so (:func:`_unless_updating`)."""
    if not user.has_role(Role.REP):
        return None
    current = queries.current_month()
    months = []
    updating = []
    for month in (metrics.shift_month(current, -1), current):
        found = _unless_updating(
            month,
            lambda read_tickets, month=month: scoring_queries.rep_month_score(
                month, user.id, read_tickets=read_tickets
            ),
        )
        if found is None:
            updating.append(month)
        elif found.score is not None:
            score = found.score
            months.append(
                (
                    month,
                    scorecards.score_text(score.score),
                    scorecards.money(score.payout, found.currency)
                    if score.eligible
                    else "not eligible",
                    found.is_closed,
                )
            )
    if not months and not updating:
        return None
    open_disputes = sum(
        1
        for d in scoring_queries.list_disputes(user.viewer(), rep_id=user.id)
        if d.is_open
    )
    return Panel(
        "Your scores",
        "incentives/_panel_scorecard.html",
        {
            "rep_id": user.id,
            "months": months,
            "updating": updating,
            "open_disputes": open_disputes,
        },
        order=21,
    )


def team_scores_panel(user: User) -> Panel | None:
    """A supervisor's teams last month, disputes to decide and reps to coach."""
    if not user.has_role(Role.SUPERVISOR) or not user.supervised_teams:
        return None
    month = metrics.shift_month(queries.current_month(), -1)
    scores = _scores_unless_updating(month)
    viewer = user.viewer()
    teams = []
    coaching = None
    if scores is not None:
        by_team: dict[int | None, list[Any]] = {}
        for rep_id, score in scores.scores.items():
            by_team.setdefault(scores.people[rep_id].team_id, []).append(score)
        for team in user.supervised_teams:
            summary = scorecards.summarise(by_team.get(team.id, []), scores.currency)
            teams.append(
                (team.id, team.name, summary.average, summary.eligible, summary.reps)
            )
        coaching = scorecard_queries.count_to_coach(
            scorecard_queries.rep_ids_in_teams(viewer.supervised_team_ids), month
        )
    return Panel(
        "Team scorecards",
        "incentives/_panel_team_scores.html",
        {
            "month": month,
            "teams": teams,
            "updating": [(team.id, team.name) for team in user.supervised_teams]
            if scores is None
            else [],
            "open_disputes": sum(
                1 for d in scoring_queries.list_disputes(viewer) if d.rep_id != user.id
            ),
            "coaching": coaching,
        },
        order=26,
    )


def close_panel(user: User) -> Panel | None:
    """Last month's close, average and payouts, for leadership and admins."""
    if not user.has_role(*ORG_ROLES):
        return None
    month = metrics.shift_month(queries.current_month(), -1)
    scores = _scores_unless_updating(month)
    summary = (
        scorecards.summarise(list(scores.scores.values()), scores.currency)
        if scores is not None
        else None
    )
    return Panel(
        "Scores and month close",
        "incentives/_panel_close.html",
        {
            "month": month,
            # A closed month's scores are always at hand.
            "closed": scores is not None and scores.is_closed,
            "updating": scores is None,
            "average": summary.average if summary else "…",
            "payout": summary.payout if summary else "…",
            "open_disputes": scoring_queries.count_open_disputes(),
            "is_admin": user.has_role(Role.ADMIN),
        },
        order=31,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [
    rep_panel,
    scorecard_panel,
    team_panel,
    team_scores_panel,
    organisation_panel,
    close_panel,
]
