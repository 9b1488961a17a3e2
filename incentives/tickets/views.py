"""Ticket pages: the month's metrics and the tickets behind them, imports, agents, SLA
targets and opening hours. Their routes join the ``incentives`` blueprint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Response,
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

from core.access import Role, can_see_rep
from core.auth import current_viewer, role_required
from core.db import db
from core.downloads import csv_response
from core.errors import Conflict, ImportRejected, InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.pagination import Page, page_bounds
from core.params import choice_arg, id_arg, page_arg
from core.people import User
from core.settings import get_setting
from core.tabular import ErrorReport, error_report
from incentives import month_cache
from incentives.scoring import queries as scoring_queries
from incentives.tickets import (
    agent_matching,
    agent_operations,
    agent_queries,
    metrics,
    month_metrics,
    operations,
    queries,
)
from incentives.tickets.clock import WEEKDAYS, format_clock_time
from incentives.tickets.forms import (
    NOT_A_REP,
    AgentMapForm,
    AgentMapUploadForm,
    AgentSuggestionsForm,
    MappingDraftForm,
    OpeningHoursForm,
    TicketUploadForm,
    agent_form_prefix,
    sla_field_name,
    sla_targets_form,
)
from incentives.tickets.mapping_suggest import SAMPLE_BYTES, SuggestError, suggest
from incentives.tickets.metrics import Channel, Priority
from incentives.tickets.models import TicketAgent, TicketImport
from incentives.tickets.sources import Source
from incentives.views import (
    METRIC_ROLES,
    ORG_ROLES,
    PER_PAGE,
    UPLOAD_LIMIT,
    bp,
    chosen_month,
    me,
    month_asked,
    months_around,
)

# --- the month's metrics -----------------------------------------------------------------


@bp.route("/")
@role_required(*METRIC_ROLES)
def index() -> Any:
    return redirect(url_for("incentives.metric_list"))


@bp.route("/metrics")
@role_required(*METRIC_ROLES)
def metric_list() -> Any:
    scope = queries.scope_for(current_viewer())
    asked = month_asked()
    month = str(asked)
    team_id = id_arg("team", "team")
    result = month_cache.figures_for(asked, scope, team_id=team_id)
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
        months=months_around(month),
        team_id=team_id,
        team_choices=queries.team_choices(scope),
        sort=sort,
        descending=descending,
        columns=METRIC_TABLE,
        scope=scope,
        sla_note=month_metrics.sla_note(result.sla_recorded),
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


@bp.route("/metrics.csv")
@role_required(*METRIC_ROLES)
def metric_export() -> Any:
    scope = queries.scope_for(current_viewer())
    month = month_asked()
    result = month_cache.figures_for(month, scope, team_id=id_arg("team", "team"))
    header, rows = queries.export_rows(result.reps, closed=result.closed_label)
    return csv_response(f"metrics-{month}.csv", header, rows)


@bp.route("/reps/<int:rep_id>/tickets")
@role_required(*METRIC_ROLES)
def rep_tickets(rep_id: int) -> Any:
    rep = db.get_or_404(User, rep_id)
    if not rep.has_role(Role.REP):
        abort(404)
    if not can_see_rep(current_viewer(), rep.id, rep.team_id):
        abort(403)
    month = chosen_month()
    metric = choice_arg("metric", month_metrics.DRILLDOWN, "tickets_solved")
    measures = month_metrics.month_tickets(month, rep_id=rep.id)
    summary = month_cache.rep_summary(rep.id, month)  # disputes applied, or as closed
    tickets = month_metrics.behind(measures, metric)
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
        drilldown=month_metrics.DRILLDOWN,
        sla_note=month_metrics.sla_note(int(measures["sla_recorded"].sum())),
        columns=METRIC_TABLE,
        **month_steps(month),
    )


@bp.route("/unattributed")
@role_required(*ORG_ROLES)
def unattributed_tickets() -> Any:
    month = chosen_month()
    tickets = month_metrics.ticket_rows(month, rep_id=None)
    bounds = metrics.month_bounds(month, queries.org_timezone())
    return render_template(
        "incentives/unattributed_tickets.html",
        month=month,
        not_a_rep=agent_queries.count_not_a_rep_tickets(*bounds),
        page=frame_page(tickets, page_arg()),
        **month_steps(month),
    )


def month_steps(month: str) -> dict[str, str | None]:
    """The months a page steps to: the one before unless it is before the first month
    with tickets, the one after unless it is after the current month (``None``)."""
    before, after = metrics.shift_month(month, -1), metrics.shift_month(month, 1)
    first = queries.first_month()
    return {
        "month_before": before if first is not None and before >= first else None,
        "month_after": after if after <= queries.current_month() else None,
    }


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
        unknown_agents=agent_queries.count_unknown_agents(),
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
                    by=me(),
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
                if form.dry_run.data:  # checked only, good file or bad: nothing kept
                    db.session.rollback()
                else:
                    db.session.commit()
                    return _after_import(outcome)
    page = _import_page(form, outcome=outcome, limit_mb=limit_mb)
    if _wants_json():
        return jsonify({"html": page})
    return page


def _import_page(
    form: TicketUploadForm,
    *,
    outcome: operations.ImportOutcome | None = None,
    limit_mb: int | None = None,
    draft: MappingDraftForm | None = None,
) -> str:
    return render_template(
        "incentives/import_new.html",
        form=form,
        outcome=outcome,
        limit_mb=limit_mb if limit_mb is not None else get_setting(UPLOAD_LIMIT),
        sources=list(Source),
        draft=draft or MappingDraftForm(formdata=None),
    )


@bp.route("/imports/mapping-draft", methods=["POST"])
@role_required(Role.ADMIN)
def mapping_draft() -> Any:
    """A column mapping drafted from an export's header and first rows, as a download."""
    draft = MappingDraftForm()
    if draft.validate_on_submit():
        data = draft.file.data.read(SAMPLE_BYTES + 1)
        try:
            text = suggest(data[:SAMPLE_BYTES], cut=len(data) > SAMPLE_BYTES)
        except SuggestError as e:
            draft.file.errors.append(f"{draft.file.data.filename or 'This file'}: {e}.")
        else:
            return Response(
                text,
                mimetype="text/yaml",
                headers={"Content-Disposition": 'attachment; filename="mapping.yaml"'},
            )
    return _import_page(TicketUploadForm(formdata=None), draft=draft), 400


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
        count = len(outcome.warnings) + len(outcome.notes)  # what its page lists
        flash(
            f"Imported {outcome.filename}: {outcome.inserted} new, "
            f"{outcome.updated} updated, {outcome.unchanged} unchanged."
            + (
                f" {count} thing{'s' if count != 1 else ''} to check below."
                if count
                else ""
            ),
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
    return _agent_page()


def _agent_page(
    upload: AgentMapUploadForm | None = None,
    report: ErrorReport | None = None,
    outcome: agent_operations.AgentMapOutcome | None = None,
) -> str:
    reps = queries.rep_choices()
    names = dict(reps)
    suggestions = {s.agent_id: s for s in agent_queries.agent_suggestions()}
    rows = []
    for row in agent_queries.list_agents(unknown=True):
        form = AgentMapForm(
            formdata=None, prefix=agent_form_prefix(row.agent.id), reps=reps
        )
        suggestion = suggestions.get(row.agent.id)
        if suggestion is not None:
            form.rep_id.data = suggestion.rep_id
        rows.append((row, form, suggestion))
    return render_template(
        "incentives/agent_list.html",
        unknown=rows,
        suggested=len(suggestions),
        rep_names=names,
        accept_form=AgentSuggestionsForm(
            formdata=None, shown=agent_matching.fingerprint(suggestions.values())
        ),
        upload_form=upload or AgentMapUploadForm(formdata=None),
        report=report,
        outcome=outcome,
        map_limit_mb=agent_matching.MAX_MAP_BYTES // 1_000_000,
        mapped=agent_queries.list_agents(unknown=False),
        confirm_form=ConfirmForm(),
    )


@bp.route("/agents/accept-suggested", methods=["POST"])
@role_required(Role.ADMIN)
def agent_accept_suggested() -> Any:
    form = AgentSuggestionsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = agent_operations.accept_suggestions(shown=form.shown.data, by=me())
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(
            f"{outcome.changed} suggested mapping{'s' if outcome.changed != 1 else ''} "
            "accepted; their tickets follow.",
            "success",
        )
    return redirect(url_for("incentives.agent_list"))


@bp.route("/agents/upload", methods=["POST"])
@role_required(Role.ADMIN)
def agent_upload() -> Any:
    form = AgentMapUploadForm()
    if not form.validate_on_submit():
        return _agent_page(upload=form), 400
    data = form.file.data.read(agent_matching.MAX_MAP_BYTES + 1)
    try:
        outcome = agent_operations.map_agents_from_file(
            data,
            filename=form.file.data.filename or "agents.csv",
            by=me(),
            dry_run=form.dry_run.data,
        )
    except ImportRejected as e:
        db.session.rollback()
        form.file.errors.append(e.message)
        report = error_report(e.row_errors) if e.row_errors else None
        return _agent_page(upload=form, report=report), 400
    if outcome.dry_run:
        db.session.rollback()
        return _agent_page(upload=form, outcome=outcome)
    db.session.commit()
    flash(_map_outcome_words(outcome), "success")
    return redirect(url_for("incentives.agent_list"))


def _map_outcome_words(outcome: agent_operations.AgentMapOutcome) -> str:
    rows = f"{outcome.rows} agent{'s' if outcome.rows != 1 else ''}"
    return (
        f"{rows} in the file: {outcome.changed} mapped, "
        f"{outcome.unchanged} already as the file says."
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
        agent_operations.map_agent(agent, rep=rep, by=me(), not_a_rep=rep is None)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        who = rep.name if rep else "not a rep"
        if rep and rep.name.casefold() == agent.label.casefold():
            who = f"linked to {rep.name} ({rep.email})"  # not "Kim Lee is now Kim Lee"
        flash(f"{agent.label} is now {who}; their tickets follow.", "success")
    return redirect(url_for("incentives.agent_list"))


@bp.route("/agents/<int:agent_id>/unmap", methods=["POST"])
@role_required(Role.ADMIN)
def agent_unmap(agent_id: int) -> Any:
    agent = db.get_or_404(TicketAgent, agent_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    agent_operations.unmap_agent(agent, by=me())
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
            changed = operations.save_sla_targets(form.targets(), by=me())
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
            operations.save_opening_hours(form.days(), form.holiday_dates(), by=me())
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
