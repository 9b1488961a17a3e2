"""Recruiting's opening pages: the openings, an opening's form and status, its board, ranked
list, side-by-side comparison and candidate import. Their routes join the ``recruiting``
blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from core import params
from core.auth import current_viewer
from core.db import db
from core.errors import InvalidInput
from core.forms import ConfirmForm, populate_errors
from core.queries import team_choices
from core.tabular import decode_upload, error_report
from core.words import counted
from recruiting import invitation_operations, operations, queries, ranking_queries
from recruiting.assessment import COMPETENCIES
from recruiting.forms import DEFAULT_WEIGHTS, CandidateImportForm, OpeningForm
from recruiting.importing import parse_candidates
from recruiting.models import Opening, OpeningStatus
from recruiting.pipeline import ACTIVE_STAGES, BOARD_STAGES
from recruiting.views import bp, manage_only, me, readers_only


@bp.route("/")
@readers_only
def opening_list() -> Any:
    return render_template(
        "recruiting/opening_list.html",
        openings=queries.list_openings(),
        stages=BOARD_STAGES,
    )


def _opening_input(form: OpeningForm) -> operations.OpeningInput:
    return operations.OpeningInput(
        title=form.title.data,
        team_id=form.team_id.data,
        assessment_id=form.assessment_id.data,
        weights=form.weights,
        channels=form.channels.data or [],
        description=form.description.data or "",
        blind_review=form.blind_review.data,
    )


@bp.route("/openings/new", methods=["GET", "POST"])
@bp.route(
    "/openings/<int:opening_id>/edit", methods=["GET", "POST"], endpoint="opening_edit"
)
@manage_only
def opening_create(opening_id: int | None = None) -> Any:
    opening = db.get_or_404(Opening, opening_id) if opening_id is not None else None
    form = OpeningForm(
        obj=opening, teams=team_choices(), assessments=queries.assessment_choices()
    )
    if request.method == "GET":
        weights = opening.weights if opening else DEFAULT_WEIGHTS
        for competency in COMPETENCIES:
            form[competency.value].data = weights.get(competency.value, 0)
    if form.validate_on_submit():
        try:
            opening = operations.save_opening(opening, _opening_input(form), by=me())
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(f"Saved opening {opening.title}.", "success")
            return redirect(url_for("recruiting.opening_board", opening_id=opening.id))
    return render_template("recruiting/opening_form.html", form=form, opening=opening)


@bp.route("/openings/<int:opening_id>/status", methods=["POST"])
@manage_only
def opening_status(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    status = request.form.get("status", "")
    if not ConfirmForm().validate_on_submit() or status not in set(OpeningStatus):
        abort(400)
    operations.set_opening_status(opening, OpeningStatus(status), by=me())
    db.session.commit()
    flash(f"{opening.title} is {status}.", "success")
    return redirect(url_for("recruiting.opening_board", opening_id=opening.id))


@bp.route("/openings/<int:opening_id>/board")
@readers_only
def opening_board(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    if invitation_operations.close_overdue_tests(opening_id=opening.id):
        db.session.commit()
    return render_template(
        "recruiting/opening_board.html",
        opening=opening,
        columns=queries.board(opening, current_viewer()),
        tab="board",
    )


@bp.route("/openings/<int:opening_id>/ranked")
@readers_only
def opening_ranked(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    if invitation_operations.close_overdue_tests(opening_id=opening.id):
        db.session.commit()
    show_all = request.args.get("stages") == "all"
    page = ranking_queries.ranked(
        opening,
        current_viewer(),
        stages=BOARD_STAGES if show_all else ACTIVE_STAGES,
        page=params.page_arg(),
    )
    return render_template(
        "recruiting/opening_ranked.html",
        opening=opening,
        page=page,
        show_all=show_all,
        weights=opening.weight_map,
        tab="ranked",
    )


@bp.route("/openings/<int:opening_id>/compare")
@readers_only
def opening_compare(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    compared = ranking_queries.compare(
        opening, current_viewer(), params.ids_arg("c", "candidate")
    )
    if len(compared) < 2:
        flash("Tick two to four candidates with results to compare them.", "warning")
        return redirect(url_for("recruiting.opening_ranked", opening_id=opening.id))
    return render_template(
        "recruiting/opening_compare.html",
        opening=opening,
        compared=compared,
        weights=opening.weight_map,
        tab="ranked",
    )


@bp.route("/openings/<int:opening_id>/import", methods=["GET", "POST"])
@manage_only
def candidate_import(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    form = CandidateImportForm()
    report = None
    if form.validate_on_submit():
        rows, errors = parse_candidates(decode_upload(form.file.data.read()))
        if errors:
            report = error_report(errors)
        else:
            try:
                outcome = operations.import_candidates(opening, rows, by=me())
            except InvalidInput as e:
                db.session.rollback()
                populate_errors(form, e)
            else:
                db.session.commit()
                flash(
                    f"Imported {counted(len(outcome.created), 'candidate')}.", "success"
                )
                if outcome.skipped:
                    rows_text = ", ".join(str(row) for row, _ in outcome.skipped)
                    flash(
                        f"{counted(len(outcome.skipped), 'row')} "
                        f"{'was' if len(outcome.skipped) == 1 else 'were'} already "
                        f"{'a candidate' if len(outcome.skipped) == 1 else 'candidates'} "
                        f"for this opening and not added again "
                        f"(row{'s' if len(outcome.skipped) > 1 else ''} {rows_text}).",
                        "warning",
                    )
                return redirect(
                    url_for("recruiting.opening_board", opening_id=opening.id)
                )
    return render_template(
        "recruiting/candidate_import.html",
        opening=opening,
        form=form,
        report=report,
        filename=form.file.data.filename if report and form.file.data else None,
        tab="import",
    )
