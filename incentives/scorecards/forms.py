"""Scorecard forms: starting a month's batch of PDFs; a rep's scorecard e-mails."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class BatchForm(FlaskForm):
    month = StringField(validators=[DataRequired(), Length(max=7)])


class ScorecardMailForm(FlaskForm):
    """Whether the signed-in person gets their scorecard e-mailed when a month closes."""

    wanted = BooleanField("E-mail me my scorecard when a month closes")
