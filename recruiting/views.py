"""Recruiting pages: openings, the board, ranked and blind review, candidates, test links,
interviews, hiring, export and erasure; and the candidate's own test page (no login).

Hiring managers and admins manage recruiting and interview candidates; leadership reads;
reps and supervisors have no access. The test pages are public: a candidate reaches only
their own test, through the token in the link.
"""

from __future__ import annotations

import json
import logging
from typing import Any

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
    url_for,
)
from flask_login import current_user

from core import accounts, mail, params, shown_once
from core.access import Role
from core.auth import current_viewer, role_required
from core.db import db, utcnow, will_write
from core.errors import Conflict, InvalidInput, NotAllowed, wants_json
from core.extensions import limiter
from core.forms import ConfirmForm, populate_errors
from core.params import whole_number
from core.people import User
from core.queries import team_choices
from core.settings import SettingSpec
from core.shell import NavItem, Panel, PanelProvider
from core.tabular import decode_upload, error_report
from core.templating import format_datetime
from recruiting import identity, operations, queries
from recruiting.assessment import COMPETENCIES, ItemType, is_complete, option_order
from recruiting.forms import (
    DEFAULT_WEIGHTS,
    AnswerForm,
    CandidateFilterForm,
    CandidateForm,
    CandidateImportForm,
    EraseForm,
    HireForm,
    InvitationForm,
    OpeningForm,
    RatingForm,
    RevealForm,
    ScorecardForm,
    StageMoveForm,
)
from recruiting.importing import parse_candidates
from recruiting.models import (
    Assessment,
    Candidate,
    Invitation,
    Opening,
    OpeningStatus,
    RevealReason,
)
from recruiting.pipeline import (
    ACTIVE_STAGES,
    BOARD_STAGES,
    LinkState,
    Recommendation,
    Stage,
    next_stage,
    seconds_left,
)

logger = logging.getLogger(__name__)

bp = Blueprint("recruiting", __name__, url_prefix="/recruiting")

MANAGERS = tuple(sorted(queries.MANAGERS))
READERS = tuple(sorted(queries.READERS))
manage_only = role_required(*MANAGERS)
readers_only = role_required(*READERS)

#: Requests per minute from one address on the candidate's test pages.
TEST_PAGE_LIMIT = "120 per minute"

#: Main navigation entries for this module.
NAV: list[NavItem] = [
    NavItem(
        "Recruiting",
        "recruiting.opening_list",
        frozenset(READERS),
        active_prefix="recruiting.",
    )
]
#: Organisation settings this module reads (shown on Admin > Settings).
SETTINGS: list[SettingSpec] = [
    SettingSpec(
        operations.RETENTION_KEY,
        "Keep rejected candidates' personal data for",
        "After this many months, `flask --app app candidates purge` erases the name, "
        "e-mail, phone and notes of rejected or withdrawn candidates. Scores stay, "
        "anonymous, for statistics.",
        default=6,
        minimum=1,
        maximum=120,
        unit="months",
    )
]


def hiring_panel(user: User) -> Panel | None:
    """Candidates per stage for everyone who reads recruiting; what waits on a manager."""
    if not user.has_role(*READERS):
        return None
    data = queries.hiring_panel(user.viewer())
    return Panel(
        "Hiring",
        "recruiting/_panel_hiring.html",
        {"data": data, "stages": BOARD_STAGES},
        order=40,
    )


#: Dashboard panel providers for this module.
PANELS: list[PanelProvider] = [hiring_panel]


@bp.context_processor
def _recruiting_context() -> dict[str, Any]:
    manager = current_user.is_authenticated and current_user.has_role(*MANAGERS)
    return {"can_manage": manager, "competencies": COMPETENCIES}


def _me() -> User:
    return current_user._get_current_object()


def _send(to: str, subject: str, body: str) -> bool:
    """E-mail one message when SMTP is set up; ``False`` (and a log line) otherwise."""
    return mail.send_if_configured(
        current_app.config, to=to, subject=subject, body=body
    )


# --- openings ---------------------------------------------------------------------------


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
            opening = operations.save_opening(opening, _opening_input(form), by=_me())
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
    operations.set_opening_status(opening, OpeningStatus(status), by=_me())
    db.session.commit()
    flash(f"{opening.title} is {status}.", "success")
    return redirect(url_for("recruiting.opening_board", opening_id=opening.id))


@bp.route("/openings/<int:opening_id>/board")
@readers_only
def opening_board(opening_id: int) -> Any:
    opening = db.get_or_404(Opening, opening_id)
    if operations.close_overdue_tests(opening_id=opening.id):
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
    if operations.close_overdue_tests(opening_id=opening.id):
        db.session.commit()
    show_all = request.args.get("stages") == "all"
    page = queries.ranked(
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
    compared = queries.compare(
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
                outcome = operations.import_candidates(opening, rows, by=_me())
            except InvalidInput as e:
                db.session.rollback()
                populate_errors(form, e)
            else:
                db.session.commit()
                flash(f"Imported {len(outcome.created)} candidate(s).", "success")
                if outcome.skipped:
                    rows_text = ", ".join(str(row) for row, _ in outcome.skipped)
                    flash(
                        f"{len(outcome.skipped)} row(s) were already candidates for this "
                        f"opening and were not added again (rows {rows_text}).",
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


# --- candidates -------------------------------------------------------------------------


@bp.route("/candidates")
@readers_only
def candidate_list() -> Any:
    form = CandidateFilterForm(request.args, openings=queries.opening_choices())
    form.validate()
    stage = form.stage.data if form.stage.data in set(Stage) else None
    f = queries.CandidateFilter(
        q=(form.q.data or "").strip(),
        opening_id=form.opening.data or None,
        stage=Stage(stage) if stage else None,
        duplicates_only=bool(form.duplicates.data),
    )
    page = queries.search_candidates(f, current_viewer(), page=params.page_arg())
    return render_template("recruiting/candidate_list.html", form=form, page=page)


def _candidate_input(form: CandidateForm) -> operations.CandidateInput:
    return operations.CandidateInput(
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.data,
        source=form.source.data,
        notes=form.notes.data,
        consent_on=form.consent_on.data,
    )


@bp.route("/candidates/new", methods=["GET", "POST"])
@manage_only
def candidate_create() -> Any:
    form = CandidateForm(openings=queries.opening_choices(open_only=True))
    if request.method == "GET":
        form.opening_id.data = params.id_arg("opening", "opening") or 0
    if form.validate_on_submit():
        opening = db.get_or_404(Opening, form.opening_id.data)
        try:
            candidate = operations.add_candidate(
                opening, _candidate_input(form), by=_me()
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            if candidate.duplicate_of_id:
                _flash_duplicate(candidate)
            if opening.blind_review:
                # What the adder typed, once; from now on the candidate is a number to
                # every reviewer until they have rated the test result.
                flash(
                    f"Added {form.name.data.strip()} to {opening.title}. Blind review: "
                    "from now on reviewers, you included, see this candidate by number "
                    "until they have rated the test result.",
                    "success",
                )
                return redirect(
                    url_for("recruiting.opening_board", opening_id=opening.id)
                )
            flash(f"Added {candidate.name} to {opening.title}.", "success")
            return redirect(
                url_for("recruiting.candidate_detail", candidate_id=candidate.id)
            )
    return render_template("recruiting/candidate_form.html", form=form, candidate=None)


def _flash_duplicate(candidate: Candidate) -> None:
    """Warn of a likely earlier record of the person just added, naming it only when
    blind review lets the adder see it (else the number would name a blind candidate)."""
    of = candidate.duplicate_of_id
    if of in identity.visible_ids(current_viewer(), [of]):
        flash(
            f"Possible duplicate of Candidate #{of} ({candidate.duplicate_reason}).",
            "warning",
        )
    else:
        flash(
            f"This person may already be a candidate ({candidate.duplicate_reason}) "
            "in an opening reviewed blind.",
            "warning",
        )


def _render_detail(candidate: Candidate, status: int = 200, **forms: Any) -> Any:
    """The candidate page, with any form that failed shown again with its messages."""
    view = queries.candidate_view(
        candidate, current_viewer(), retention_months=operations.retention_months()
    )
    forms.setdefault(
        "move_form",
        StageMoveForm(
            stages=view.moves, formdata=None, to_stage=next_stage(candidate.stage)
        ),
    )
    invite_form = forms.setdefault("invite_form", InvitationForm(formdata=None))
    if not any(link.state.is_open for link in view.links):
        del invite_form.replace  # nothing to replace
    forms.setdefault("reveal_form", RevealForm(formdata=None))
    forms.setdefault(
        "rating_form",
        RatingForm(
            formdata=None,
            rating=view.ratings.mine.rating if view.ratings.mine else None,
            note=view.ratings.mine.note if view.ratings.mine else "",
        ),
    )
    return (
        render_template(
            "recruiting/candidate_detail.html",
            view=view,
            candidate=candidate,
            opening=candidate.opening,
            weights=candidate.opening.weight_map,
            confirm_form=ConfirmForm(),
            **forms,
        ),
        status,
    )


@bp.route("/candidates/<int:candidate_id>")
@readers_only
def candidate_detail(candidate_id: int) -> Any:
    candidate = queries.get_candidate_for_page(candidate_id)
    if candidate is None:
        abort(404)
    if operations.close_overdue_tests(opening_id=candidate.opening_id):
        db.session.commit()
    return _render_detail(candidate)


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@manage_only
def candidate_edit(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    if candidate.is_erased:
        flash(
            "This candidate's personal data was erased; there is nothing to edit.",
            "error",
        )
        return redirect(
            url_for("recruiting.candidate_detail", candidate_id=candidate.id)
        )
    if queries.is_hidden_from(candidate, current_viewer()):
        flash(
            "Blind review: rate the test result before you see or edit the details.",
            "warning",
        )
        return redirect(
            url_for("recruiting.candidate_detail", candidate_id=candidate.id)
        )
    form = CandidateForm(obj=candidate)
    if form.validate_on_submit():
        try:
            operations.update_candidate(candidate, _candidate_input(form), by=_me())
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(
                url_for("recruiting.candidate_detail", candidate_id=candidate.id)
            )
    return render_template(
        "recruiting/candidate_form.html", form=form, candidate=candidate
    )


@bp.route("/candidates/<int:candidate_id>/move", methods=["POST"])
@manage_only
def candidate_move(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    form = StageMoveForm()
    if form.validate_on_submit():
        target = Stage(form.to_stage.data)
        try:
            operations.move_candidate(
                candidate, target, form.reason.data or "", by=_me()
            )
        except InvalidInput as e:
            db.session.rollback()
            if candidate.stage is target:
                # The same move posted twice (a second tab, a double click): done.
                flash(
                    f"{candidate.reference} is already at {target.label.lower()}.",
                    "info",
                )
                return _to_candidate(candidate)
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(
                f"{candidate.reference} moved to {candidate.stage.label.lower()}.",
                "success",
            )
            return redirect(
                url_for("recruiting.candidate_detail", candidate_id=candidate.id)
            )
    return _render_detail(candidate, 400, move_form=form)


@bp.route("/candidates/<int:candidate_id>/invitations", methods=["POST"])
@manage_only
def candidate_invite(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            invitation, token = operations.create_invitation(
                candidate,
                by=_me(),
                days=form.days.data,
                time_limit_minutes=form.time_limit_minutes.data,
                replace=bool(form.replace.data),
            )
        except operations.LinkAlreadyOpen as e:
            db.session.rollback()
            flash(
                f"{e.message} (The working link was made "
                f"{format_datetime(e.invitation.created_at)}.)",
                "warning",
            )
            return _to_candidate(candidate)
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            link = url_for("recruiting.take", token=token, _external=True)
            emailed = _send(
                candidate.email or "",
                f"Your assessment for {candidate.opening.title}",
                render_template(
                    "recruiting/invitation_email.txt",
                    candidate=candidate,
                    invitation=invitation,
                    link=link,
                ),
            )
            shown_once.keep("test-link", invitation.id, link=link, emailed=emailed)
            return redirect(
                url_for("recruiting.invitation_link", invitation_id=invitation.id)
            )
    return _render_detail(candidate, 400, invite_form=form)


@bp.route("/invitations/<int:invitation_id>/link")
@manage_only
def invitation_link(invitation_id: int) -> Any:
    """The test link just made, shown once to its maker (reloading does not show it)."""
    invitation = db.get_or_404(Invitation, invitation_id)
    candidate = invitation.candidate
    kept = shown_once.take("test-link", invitation.id)
    return render_template(
        "recruiting/invitation_link.html",
        candidate=candidate,
        person=identity.person_for(candidate, current_viewer()),
        invitation=invitation,
        link=kept["link"] if kept else None,
        emailed=bool(kept and kept["emailed"]),
        reveal_form=RevealForm(formdata=None),
    )


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@manage_only
def invitation_revoke(invitation_id: int) -> Any:
    invitation = db.get_or_404(Invitation, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.revoke_invitation(invitation, by=_me())
    db.session.commit()
    flash("That test link no longer works.", "success")
    return redirect(
        url_for("recruiting.candidate_detail", candidate_id=invitation.candidate_id)
    )


@bp.route("/candidates/<int:candidate_id>/rating", methods=["POST"])
@manage_only
def candidate_rate(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            operations.rate_result(
                candidate, by=_me(), rating=form.rating.data, note=form.note.data or ""
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash("Rating recorded.", "success")
            return redirect(
                url_for("recruiting.candidate_detail", candidate_id=candidate.id)
            )
    return _render_detail(candidate, 400, rating_form=form)


def _to_candidate(candidate: Candidate) -> Any:
    return redirect(url_for("recruiting.candidate_detail", candidate_id=candidate.id))


@bp.route("/candidates/<int:candidate_id>/scorecard", methods=["GET", "POST"])
@manage_only
def candidate_scorecard(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    sight = identity.sight(candidate, current_viewer())
    if sight.my_card is not None:
        flash("You have already submitted your scorecard for this candidate.", "info")
        return _to_candidate(candidate)
    form = ScorecardForm()
    if form.validate_on_submit():
        try:
            operations.submit_scorecard(
                candidate,
                by=_me(),
                ratings={c: form[c.value].data for c in COMPETENCIES},
                recommendation=Recommendation(form.recommendation.data),
                notes=form.notes.data or "",
            )
        except Conflict as e:
            db.session.rollback()
            flash(e.message, "info")
            return _to_candidate(candidate)
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            db.session.commit()
            flash(
                "Scorecard submitted. You can now read the other interviewers'.",
                "success",
            )
            return _to_candidate(candidate)
    return render_template(
        "recruiting/scorecard_form.html",
        form=form,
        candidate=candidate,
        person=sight.person,
    )


def _hire_refused(candidate: Candidate) -> str:
    """Why the viewer may not hire ``candidate`` from the hire page, or ``""``."""
    if candidate.stage is Stage.HIRED:
        return ""
    check = identity.blind_move_check(candidate, Stage.HIRED, _me().id)
    return "" if check else check.reason


@bp.route("/candidates/<int:candidate_id>/hire", methods=["GET", "POST"])
@manage_only
def candidate_hire(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    if candidate.stage is Stage.HIRED:
        flash(f"{candidate.name or candidate.reference} is already hired.", "info")
        return redirect(
            url_for("recruiting.candidate_hired", candidate_id=candidate.id)
        )
    refused = _hire_refused(candidate)
    if refused:
        flash(refused, "warning")
        return _to_candidate(candidate)
    form = HireForm(teams=team_choices())
    if request.method == "GET":
        form.team_id.data = candidate.opening.team_id
    if form.validate_on_submit():
        try:
            user = operations.hire_candidate(
                candidate,
                by=_me(),
                team_id=form.team_id.data,
                note=form.note.data or "",
            )
        except Conflict as e:
            # The same hire posted twice (a second tab, a double click): it is done.
            db.session.rollback()
            flash(e.message, "info")
            return redirect(
                url_for("recruiting.candidate_hired", candidate_id=candidate.id)
            )
        except InvalidInput as e:
            db.session.rollback()
            populate_errors(form, e)
        else:
            token = accounts.issue_password_link(user, by=_me())
            db.session.commit()
            link = url_for("auth.password_set", token=token, _external=True)
            emailed = _send(
                user.email,
                "Welcome to the team: your Frontline account",
                f"Hello {user.name},\n\nWelcome aboard. Use this link to set up your "
                f"Frontline account:\n\n{link}\n",
            )
            shown_once.keep("password-link", candidate.id, link=link, emailed=emailed)
            flash(f"{user.name} is hired and has a rep account.", "success")
            return redirect(
                url_for("recruiting.candidate_hired", candidate_id=candidate.id)
            )
    return render_template(
        "recruiting/candidate_hire.html",
        form=form,
        candidate=candidate,
        person=identity.person_for(candidate, current_viewer()),
    )


@bp.route("/candidates/<int:candidate_id>/hired")
@manage_only
def candidate_hired(candidate_id: int) -> Any:
    """After a hire: the new rep's account, and the link to set their password for whoever
    must pass it on: shown once, only when it could not be e-mailed (or to an admin)."""
    candidate = db.get_or_404(Candidate, candidate_id)
    if candidate.stage is not Stage.HIRED or candidate.hired_user is None:
        return _to_candidate(candidate)
    kept = shown_once.take("password-link", candidate.id)
    emailed = bool(kept and kept["emailed"])
    show_link = kept is not None and (not emailed or _me().has_role(Role.ADMIN))
    return render_template(
        "recruiting/hired.html",
        candidate=candidate,
        user=candidate.hired_user,
        link=kept["link"] if show_link else None,
        emailed=emailed,
        just_hired=kept is not None,
    )


@bp.route("/candidates/<int:candidate_id>/export", methods=["POST"])
@manage_only
def candidate_export(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        data = operations.export_candidate(candidate, by=_me())
    except NotAllowed as e:
        db.session.rollback()
        flash(e.message, "warning")
        return _to_candidate(candidate)
    db.session.commit()
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="candidate-{candidate.id}.json"'
        },
    )


@bp.route("/candidates/<int:candidate_id>/reveal", methods=["POST"])
@manage_only
def candidate_reveal(candidate_id: int) -> Any:
    """See a blind candidate's details before rating the test; recorded and shown."""
    candidate = db.get_or_404(Candidate, candidate_id)
    form = RevealForm()
    if not form.validate_on_submit():
        flash("Say why you need the details now.", "error")
        return _to_candidate(candidate)
    reason = RevealReason(form.reason.data)
    if operations.reveal_candidate(candidate, by=_me(), reason=reason) is not None:
        flash(
            "You see this candidate's details now. The candidate page shows that you "
            "saw them before rating the test.",
            "info",
        )
    db.session.commit()
    return _to_candidate(candidate)


@bp.route("/candidates/<int:candidate_id>/erase", methods=["GET", "POST"])
@manage_only
def candidate_erase(candidate_id: int) -> Any:
    candidate = db.get_or_404(Candidate, candidate_id)
    form = EraseForm()
    if form.validate_on_submit():
        operations.erase_candidate(candidate, by=_me(), why="request")
        db.session.commit()
        flash(f"The personal data of {candidate.reference} is erased.", "success")
        return redirect(
            url_for("recruiting.candidate_detail", candidate_id=candidate.id)
        )
    return render_template(
        "recruiting/candidate_erase.html", form=form, candidate=candidate
    )


# --- assessments ------------------------------------------------------------------------


@bp.route("/assessments")
@readers_only
def assessment_list() -> Any:
    return render_template(
        "recruiting/assessment_list.html", assessments=queries.list_assessments()
    )


@bp.route("/assessments/<int:assessment_id>")
@readers_only
def assessment_detail(assessment_id: int) -> Any:
    assessment = db.get_or_404(Assessment, assessment_id)
    return render_template(
        "recruiting/assessment_detail.html",
        view=queries.assessment_view(assessment),
        option_bars=queries.option_bars,
    )


# --- the candidate's test (public: the token is the key) --------------------------------

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
            operations.submit_test(invitation)
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
    answers = operations.answers_of(invitation.id)
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
        operations.start_test(invitation)
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
            operations.save_answer(invitation, form.item.data, best, worst)
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
        operations.submit_test(invitation)
    except Conflict as e:
        db.session.rollback()
        return _conflict_page(invitation, e)
    db.session.commit()
    return redirect(url_for("recruiting.take", token=token))
