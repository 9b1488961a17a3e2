"""Quality forms: a rubric's YAML, a review's note (its ratings are read per category),
a dispute and its decision, a calibration session and a calibration rating's note."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from core.forms import MultiCheckboxField, SelectField, choices
from quality.calibration import MAX_TICKETS
from quality.reviews import Decision
from quality.rubrics import NOT_APPLICABLE, ChannelGroup, Rubric


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RubricForm(FlaskForm):
    """A rubric as YAML text (see docs/quality.md for the format)."""

    text = TextAreaField(
        "Rubric (YAML)",
        validators=[DataRequired(), Length(max=50_000)],
        render_kw={"rows": 24, "spellcheck": "false"},
    )


class HelpdeskLinkForm(FlaskForm):
    """Where one source's tickets open in the helpdesk."""

    source = StringField(
        "Source",
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[a-z0-9_-]+$", message="Lower-case letters, digits, - or _."),
        ],
        filters=[strip],
        description="As tickets are imported: zendesk, freshdesk, or a mapping's name.",
    )
    url_pattern = StringField(
        "Ticket address",
        validators=[DataRequired(), Length(max=500)],
        filters=[strip],
        description="With {id} where the helpdesk's ticket id goes.",
    )


class ReviewForm(FlaskForm):
    """A review's free-text note; :func:`ratings_from` reads the ratings and comments."""

    note = TextAreaField("Note for the rep", validators=[Length(max=5000)])


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        "What did the review get wrong?",
        validators=[DataRequired(), Length(max=2000)],
        filters=[strip],
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=choices((d.value, d.label) for d in Decision),
        validators=[DataRequired()],
    )
    note = TextAreaField(
        "Why", validators=[DataRequired(), Length(max=2000)], filters=[strip]
    )


class CalibrationForm(FlaskForm):
    """A new calibration session: its rubric, tickets, reviewers and due date."""

    name = StringField(
        "Name",
        validators=[DataRequired("Give the session a name."), Length(max=120)],
        filters=[strip],
    )
    channel_group = SelectField(
        "Rubric",
        choices=choices((g.value, g.label) for g in ChannelGroup),
        validators=[DataRequired()],
        description="The channels' current rubric is used.",
    )
    month = StringField(
        "Month the tickets were solved in",
        validators=[
            DataRequired("Give a month."),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="A month as YYYY-MM."),
        ],
        filters=[strip],
        render_kw={"placeholder": "YYYY-MM", "inputmode": "numeric"},
    )
    ticket_refs = TextAreaField(
        "Tickets",
        validators=[Optional(), Length(max=2000)],
        description="Helpdesk ticket ids, separated by commas or lines; or leave this "
        "empty and pick some at random below.",
        render_kw={"rows": 3},
    )
    random_count = IntegerField(
        "Or this many at random",
        validators=[Optional(), NumberRange(1, MAX_TICKETS)],
        description=f"From 1 to {MAX_TICKETS}.",
    )
    reviewer_ids = MultiCheckboxField(
        "Reviewers",
        coerce=int,
        validators=[Optional()],
        description="Two or more supervisors or admins. Each scores every ticket "
        "without seeing the others' ratings until the session is closed.",
    )
    due_on = DateField("Due on", validators=[DataRequired("Give a due date.")])

    def ticket_list(self) -> list[str]:
        text = self.ticket_refs.data or ""
        return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


class CalibrationRatingForm(FlaskForm):
    """A calibration rating's note; :func:`ratings_from` reads the ratings."""

    note = TextAreaField(
        "Note for the other reviewers",
        validators=[Length(max=5000)],
        description="They read it once the session is closed.",
    )


def ratings_from(
    data: Mapping[str, str], rubric: Rubric
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ratings (``rating_<key>``: a number, ``na`` or empty) and comments
    (``comment_<key>``) posted for ``rubric``'s categories.

    A rating that is not a number is kept as given, so the rules say it is off the scale.
    """
    ratings: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for category in rubric.categories:
        raw = (data.get(f"rating_{category.key}") or "").strip()
        if raw == NOT_APPLICABLE:
            ratings[category.key] = NOT_APPLICABLE
        elif raw.lstrip("-").isdigit() and len(raw) < 4:
            ratings[category.key] = int(raw)
        elif raw:
            ratings[category.key] = raw[:20]
        comment = data.get(f"comment_{category.key}") or ""
        if comment.strip():
            comments[category.key] = comment[:2000]
    return ratings, comments
