"""Payout forms: an adjustment and its removal, the approval, a rep's working dates and
leave. The operations check amounts, reasons and dates; their messages come back on the
fields."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import SelectField


def _rep_id(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 0


class AdjustmentForm(FlaskForm):
    rep_id = SelectField("Rep", coerce=_rep_id, validate_choice=False)
    amount = StringField(
        "Amount",
        validators=[Optional(), Length(max=20)],
        description="Added to the payout; a minus sign takes off (e.g. -25.50).",
    )
    reason = TextAreaField(
        "Reason",
        validators=[Optional(), Length(max=500)],
        description="Kept with the adjustment and shown on the payout export's page.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Add the adjustment")


class AdjustmentRemoveForm(FlaskForm):
    reason = StringField("Why remove it?", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Remove")


class ApprovalForm(FlaskForm):
    submit = SubmitField("Approve these payouts")


class WorkDatesForm(FlaskForm):
    started_on = DateField(
        "Started on",
        validators=[Optional()],
        description="Blank: with us before the data begins.",
    )
    left_on = DateField(
        "Last working day", validators=[Optional()], description="Blank: still here."
    )
    submit = SubmitField("Save the dates")


class LeaveForm(FlaskForm):
    first_day = DateField("First day of leave", validators=[DataRequired()])
    last_day = DateField("Last day of leave", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Add the leave")
