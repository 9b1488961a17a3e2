"""The Notices page: what a person was told about their training, and which kinds they
want by e-mail. Its routes join the ``training`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from core.auth import role_required
from core.db import db, utcnow
from core.forms import ConfirmForm
from training import notice_operations
from training.forms import NoticeSettingsForm
from training.notices import NoticeKind
from training.views import TRAINING_ROLES, bp, signed_in_user


def _settings_form(**kwargs: Any) -> NoticeSettingsForm:
    form = NoticeSettingsForm(**kwargs)
    form.by_email.choices = [(str(k), k.label) for k in NoticeKind]
    return form


@bp.route("/notices")
@role_required(*TRAINING_ROLES)
def notice_list() -> Any:
    me = signed_in_user()
    form = _settings_form(formdata=None)
    muted = notice_operations.muted_kinds(me.id)
    form.by_email.data = [str(k) for k in NoticeKind if str(k) not in muted]
    return render_template(
        "training/notice_list.html",
        notices=notice_operations.list_notices(me.id),
        unread=notice_operations.count_unread(me.id),
        labels={str(k): k.label for k in NoticeKind},
        form=form,
        read_form=ConfirmForm(),
    )


@bp.route("/notices/read", methods=["POST"])
@role_required(*TRAINING_ROLES)
def notice_read() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = notice_operations.mark_read(signed_in_user(), utcnow())
    db.session.commit()
    flash(
        "Marked read." if count else "Nothing was unread.",
        "success" if count else "info",
    )
    return redirect(url_for("training.notice_list"))


@bp.route("/notices/settings", methods=["POST"])
@role_required(*TRAINING_ROLES)
def notice_settings() -> Any:
    form = _settings_form()
    if not form.validate_on_submit():
        abort(400)
    wanted = set(form.by_email.data or [])
    notice_operations.set_muted(
        signed_in_user(), [str(k) for k in NoticeKind if str(k) not in wanted]
    )
    db.session.commit()
    flash("Saved: the daily e-mail brings the kinds you ticked.", "success")
    return redirect(url_for("training.notice_list"))
