"""Recruiting's forms: openings, candidates, imports, moves, test links, hiring, reviews,
interview scorecards, erasure, and the candidate's own test page."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from core.forms import (
    MultiCheckboxField,
    RecordSelectField,
    SelectField,
    choices,
    strip,
)
from recruiting.assessment import COMPETENCIES, INTERVIEW_LEVELS
from recruiting.models import CHANNELS, RevealReason
from recruiting.pipeline import BOARD_STAGES, Recommendation, Stage

#: Weights a new opening starts with.
DEFAULT_WEIGHTS = {
    "empathy": 3,
    "ownership": 3,
    "communication": 2,
    "composure": 2,
    "judgement": 2,
}


def _weight_field(competency: Any) -> IntegerField:
    return IntegerField(
        competency.label,
        validators=[InputRequired("Enter a weight."), NumberRange(0, 10)],
        default=DEFAULT_WEIGHTS[competency.value],
        description=competency.meaning,
        render_kw={"min": 0, "max": 10, "inputmode": "numeric"},
    )


class OpeningForm(FlaskForm):
    """Create or edit an opening; ``teams`` and ``assessments`` are (id, label) pairs."""

    title = StringField(
        "Title", validators=[DataRequired(), Length(max=160)], filters=[strip]
    )
    team_id = SelectField(
        "Team hired reps join", coerce=int, validators=[DataRequired()]
    )
    channels = MultiCheckboxField(
        "Channels served", choices=choices(CHANNELS.items()), validators=[Optional()]
    )
    assessment_id = SelectField(
        "Assessment",
        coerce=int,
        validators=[DataRequired()],
        description="New test links use this version; results keep the version taken.",
    )
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3}
    )
    empathy = _weight_field(COMPETENCIES[0])
    ownership = _weight_field(COMPETENCIES[1])
    communication = _weight_field(COMPETENCIES[2])
    composure = _weight_field(COMPETENCIES[3])
    judgement = _weight_field(COMPETENCIES[4])
    blind_review = BooleanField(
        "Blind review",
        description="Reviewers see test results without names until they rate them.",
    )
    submit = SubmitField("Save opening")

    def __init__(
        self,
        *args: Any,
        teams: list[tuple[int, str]] = (),
        assessments: list[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.team_id.choices = choices([(0, "— Choose a team —"), *teams])
        self.assessment_id.choices = choices(assessments)

    @property
    def weights(self) -> dict[str, int]:
        return {c.value: self[c.value].data for c in COMPETENCIES}


class CandidateForm(FlaskForm):
    """A candidate's details; ``openings`` limits the opening choice (create only)."""

    opening_id = SelectField("Opening", coerce=int, validators=[DataRequired()])
    name = StringField(
        "Full name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[strip],
    )
    phone = StringField(
        "Phone", validators=[Optional(), Length(max=40)], filters=[strip]
    )
    source = StringField(
        "Source",
        validators=[Optional(), Length(max=80)],
        filters=[strip],
        description="Where they came from: a job board, a referral, the careers page...",
    )
    consent_on = DateField(
        "Consent given on",
        validators=[Optional()],
        description="The day the candidate agreed to their data being kept.",
    )
    notes = TextAreaField(
        "Notes", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    submit = SubmitField("Save candidate")

    def __init__(
        self, *args: Any, openings: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if openings is None:
            del self.opening_id
        else:
            self.opening_id.choices = choices([(0, "— Choose an opening —"), *openings])


class CandidateImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file.")],
        description="Columns: name, email, phone, source, notes, consent_date (YYYY-MM-DD).",
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField("Import candidates")


STAGE_CHOICES = choices(
    (s.value, s.label) for s in BOARD_STAGES if s is not Stage.HIRED
)


class StageMoveForm(FlaskForm):
    to_stage = SelectField(
        "Move to", choices=STAGE_CHOICES, validators=[DataRequired()]
    )
    reason = TextAreaField(
        "Why",
        validators=[Optional(), Length(max=1000)],
        description="Needed to reject, withdraw, move back or reopen.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Move")

    def __init__(
        self, *args: Any, stages: list[Stage] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if stages is not None:
            self.to_stage.choices = choices((s.value, s.label) for s in stages)


class InvitationForm(FlaskForm):
    days = IntegerField(
        "Link works for (days)",
        validators=[InputRequired(), NumberRange(1, 60)],
        default=7,
        description="The candidate must start the test before the link expires.",
    )
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional(), NumberRange(1, 240)],
        description="Leave empty for the assessment's own limit.",
    )
    replace = BooleanField(
        "Replace the working link",
        description="The link the candidate has stops working, even mid-test.",
    )
    submit = SubmitField("Create test link")


class RevealForm(FlaskForm):
    reason = SelectField(
        "Why you need the details now",
        choices=choices(
            [
                ("", "Choose why"),
                *((r.value, r.label.capitalize()) for r in RevealReason),
            ]
        ),
        validators=[DataRequired()],
    )
    submit = SubmitField("Show the details")


class HireForm(FlaskForm):
    team_id = SelectField("Team", coerce=int, validators=[DataRequired()])
    note = TextAreaField(
        "Note for the history",
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField("Hire and create their account")

    def __init__(
        self, *args: Any, teams: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.team_id.choices = choices(teams)


RATING_CHOICES = choices(
    [
        (1, "1 — Weak"),
        (2, "2 — Below what we need"),
        (3, "3 — Solid"),
        (4, "4 — Strong"),
        (5, "5 — Outstanding"),
    ]
)


class RatingForm(FlaskForm):
    rating = RadioField(
        "Your rating of this test",
        coerce=int,
        choices=RATING_CHOICES,
        validators=[InputRequired()],
    )
    note = TextAreaField(
        "Note (optional)",
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField("Record rating")


def _level_field(competency: Any) -> RadioField:
    return RadioField(
        competency.label,
        coerce=int,
        choices=choices(
            (level, f"{level} — {text}")
            for level, text in enumerate(INTERVIEW_LEVELS[competency], start=1)
        ),
        validators=[InputRequired("Choose a level.")],
        description=competency.meaning,
    )


class ScorecardForm(FlaskForm):
    empathy = _level_field(COMPETENCIES[0])
    ownership = _level_field(COMPETENCIES[1])
    communication = _level_field(COMPETENCIES[2])
    composure = _level_field(COMPETENCIES[3])
    judgement = _level_field(COMPETENCIES[4])
    recommendation = RadioField(
        "Recommendation",
        choices=choices((r.value, r.label) for r in Recommendation),
        validators=[InputRequired("Choose a recommendation.")],
    )
    notes = TextAreaField(
        "Notes",
        validators=[Optional(), Length(max=4000)],
        description="What you saw and heard that supports your ratings.",
        render_kw={"rows": 4},
    )
    submit = SubmitField("Submit scorecard")


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I understand that name, e-mail, phone, source and notes are erased for good.",
        validators=[DataRequired("Tick the box to confirm.")],
    )
    submit = SubmitField("Erase personal data")


class CandidateFilterForm(FlaskForm):
    """Filters for the candidates list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Name, e-mail or #id", validators=[Optional(), Length(max=100)])
    opening = RecordSelectField(
        "Opening", validators=[Optional()], validate_choice=False
    )
    stage = SelectField("Stage", validators=[Optional()], validate_choice=False)
    duplicates = BooleanField("Possible duplicates only")

    def __init__(
        self, *args: Any, openings: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.opening.choices = choices([(0, "Any opening"), *openings])
        self.stage.choices = choices(
            [("", "Any stage"), *((s.value, s.label) for s in BOARD_STAGES)]
        )


class AnswerForm(FlaskForm):
    """One answer on the candidate's test page, and where to go next."""

    item = HiddenField(validators=[DataRequired()])
    best = StringField(validators=[Optional(), Length(max=40)])
    worst = StringField(validators=[Optional(), Length(max=40)])
    go = StringField(validators=[Optional(), Length(max=10)])
