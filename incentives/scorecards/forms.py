"""Scorecard forms: starting a month's batch of PDFs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class BatchForm(FlaskForm):
    month = StringField(validators=[DataRequired(), Length(max=7)])
