"""Certificates and completion: a PDF certificate per curriculum a rep has completed, and
each team's completion as CSV. Their routes join the ``training`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template

from core import pdf
from core.access import Role
from core.auth import current_viewer, role_required
from core.db import db, utcnow
from core.downloads import csv_response
from core.people import Team, User
from core.templating import format_date
from training import queries
from training.completion import completion
from training.models import Curriculum
from training.views import OVERSIGHT_ROLES, TRAINING_ROLES, bp, check_sees


@bp.route("/curricula/<int:curriculum_id>/certificates/<int:rep_id>.pdf")
@role_required(*TRAINING_ROLES)
def certificate_pdf(curriculum_id: int, rep_id: int) -> Any:
    curriculum = db.get_or_404(Curriculum, curriculum_id)
    rep = db.get_or_404(User, rep_id)
    check_sees(rep)
    done = completion(
        curriculum.scenario_keys, queries.latest_passes([rep.id]).get(rep.id, {})
    )
    if not done.complete:
        abort(404)
    html = render_template(
        "pdf/certificate.html",
        rep=rep,
        curriculum=curriculum,
        done=done,
        titles=queries.scenario_titles(),
        made=utcnow(),
    )
    slug = "".join(c if c.isalnum() else "-" for c in curriculum.name.lower())
    return Response(
        pdf.render_pdf(html),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="certificate-{slug}-{rep.id}.pdf"'
        },
    )


@bp.route("/register/teams/<int:team_id>/completion.csv")
@role_required(*OVERSIGHT_ROLES)
def completion_csv(team_id: int) -> Any:
    team = db.get_or_404(Team, team_id)
    viewer = current_viewer()
    if not viewer.sees_all_reps and team.id not in viewer.supervised_team_ids:
        abort(403)
    reps = [r for r in team.members if r.is_active and Role.REP in r.roles]
    curricula = queries.list_curricula()
    passes = queries.latest_passes(r.id for r in reps)
    rows = []
    for rep in sorted(reps, key=lambda r: r.name):
        for curriculum in curricula:
            done = completion(curriculum.scenario_keys, passes.get(rep.id, {}))
            rows.append(
                (
                    rep.name,
                    rep.email,
                    curriculum.name,
                    done.passed,
                    done.total,
                    "completed" if done.complete else "not yet",
                    format_date(done.completed_at, "%Y-%m-%d")
                    if done.completed_at
                    else "",
                )
            )
    return csv_response(
        f"completion-{team.id}.csv",
        (
            "rep",
            "email",
            "curriculum",
            "scenarios passed",
            "scenarios",
            "state",
            "completed on",
        ),
        rows,
    )
