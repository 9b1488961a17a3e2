"""Quality forms: a rubric's YAML, a review's note (its ratings are read per category),
a dispute and its decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from core.forms import choices
from quality.reviews import Decision
from quality.rubrics import NOT_APPLICABLE, Rubric


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
