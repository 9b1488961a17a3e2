"""Recruiting pages: the recruiting blueprint, its navigation and settings, what every page
shares, and the candidate pages (list, form, detail, moves, test links, ratings,
interviews, hiring, export and erasure) and assessments.

The opening pages (``recruiting.opening_views``) and the candidate's own test pages
(``recruiting.take_views``, no login) add their routes to :data:`bp`; ``app.py`` imports
them before it registers the blueprint. The dashboard panel is ``recruiting.panels``.

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
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from core import accounts, mail, params, shown_once
from core.access import Role
from core.auth import current_viewer, role_required
from core.db import db
from core.errors import Conflict, InvalidInput, NotAllowed
from core.forms import ConfirmForm, populate_errors
from core.people import User
from core.queries import team_choices
from core.settings import SettingSpec
from core.shell import NavItem
from core.templating import format_datetime
from recruiting import (
    candidate_queries,
    identity,
    invitation_operations,
    operations,
    personal_data_operations,
    queries,
    review_operations,
)
from recruiting.assessment import COMPETENCIES
from recruiting.forms import (
    CandidateFilterForm,
    CandidateForm,
    EraseForm,
    HireForm,
    InvitationForm,
    RatingForm,
    RevealForm,
    ScorecardForm,
    StageMoveForm,
)
from recruiting.models import (
    Assessment,
    Candidate,
    Invitation,
    Opening,
    RevealReason,
)
from recruiting.pipeline import (
    Recommendation,
    Stage,
    next_stage,
)

logger = logging.getLogger(__name__)

bp = Blueprint("recruiting", __name__, url_prefix="/recruiting")

MANAGERS = tuple(sorted(queries.MANAGERS))
READERS = tuple(sorted(queries.READERS))
manage_only = role_required(*MANAGERS)
readers_only = role_required(*READERS)

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
        personal_data_operations.RETENTION_KEY,
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


@bp.context_processor
def _recruiting_context() -> dict[str, Any]:
    manager = current_user.is_authenticated and current_user.has_role(*MANAGERS)
    return {"can_manage": manager, "competencies": COMPETENCIES}


def me() -> User:
    return current_user._get_current_object()


def _send(to: str, subject: str, body: str) -> bool:
    """E-mail one message when SMTP is set up; ``False`` (and a log line) otherwise."""
    return mail.send_if_configured(
        current_app.config, to=to, subject=subject, body=body
    )


# --- candidates -------------------------------------------------------------------------


@bp.route("/candidates")
@readers_only
def candidate_list() -> Any:
    form = CandidateFilterForm(request.args, openings=queries.opening_choices())
    form.validate()
    stage = form.stage.data if form.stage.data in set(Stage) else None
    f = candidate_queries.CandidateFilter(
        q=(form.q.data or "").strip(),
        opening_id=form.opening.data or None,
        stage=Stage(stage) if stage else None,
        duplicates_only=bool(form.duplicates.data),
    )
    page = candidate_queries.search_candidates(
        f, current_viewer(), page=params.page_arg()
    )
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
                opening, _candidate_input(form), by=me()
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
    view = candidate_queries.candidate_view(
        candidate,
        current_viewer(),
        retention_months=personal_data_operations.retention_months(),
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
    candidate = candidate_queries.get_candidate_for_page(candidate_id)
    if candidate is None:
        abort(404)
    if invitation_operations.close_overdue_tests(opening_id=candidate.opening_id):
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
    if candidate_queries.is_hidden_from(candidate, current_viewer()):
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
            operations.update_candidate(candidate, _candidate_input(form), by=me())
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
                candidate, target, form.reason.data or "", by=me()
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
            invitation, token = invitation_operations.create_invitation(
                candidate,
                by=me(),
                days=form.days.data,
                time_limit_minutes=form.time_limit_minutes.data,
                replace=bool(form.replace.data),
            )
        except invitation_operations.LinkAlreadyOpen as e:
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
    invitation_operations.revoke_invitation(invitation, by=me())
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
            review_operations.rate_result(
                candidate, by=me(), rating=form.rating.data, note=form.note.data or ""
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
            review_operations.submit_scorecard(
                candidate,
                by=me(),
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
    check = identity.blind_move_check(candidate, Stage.HIRED, me().id)
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
                by=me(),
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
            token = accounts.issue_password_link(user, by=me())
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
    show_link = kept is not None and (not emailed or me().has_role(Role.ADMIN))
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
        data = personal_data_operations.export_candidate(candidate, by=me())
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
    if (
        review_operations.reveal_candidate(candidate, by=me(), reason=reason)
        is not None
    ):
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
        personal_data_operations.erase_candidate(candidate, by=me(), why="request")
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
