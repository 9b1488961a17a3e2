"""Training forms: answering a scenario, curricula, assignments, the catalogue, sign-offs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from core.forms import AmountField, MultiCheckboxField, SelectField, choices, strip

MAX_CURRICULUM_STEPS = 8


class AnswerForm(FlaskForm):
    """One decision in a scenario; ``step`` guards against answering a stale page."""

    choice = RadioField(
        "What do you do?",
        coerce=int,
        validators=[InputRequired("Choose one of the options.")],
    )
    step = HiddenField()
    submit = SubmitField("Answer")

    def __init__(self, *args: Any, options: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice.choices = choices(enumerate(options))


class CurriculumForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    steps = FieldList(
        SelectField("Scenario", default=""),
        label="Scenarios, in order",
        min_entries=MAX_CURRICULUM_STEPS,
        max_entries=MAX_CURRICULUM_STEPS,
    )
    is_onboarding = BooleanField(
        "Onboarding curriculum",
        description="Assigned automatically to every new rep (replaces the current one).",
    )
    submit = SubmitField("Save curriculum")

    def __init__(
        self, *args: Any, scenarios: list[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        options = choices([("", "—"), *scenarios])
        for n, entry in enumerate(self.steps, start=1):
            entry.choices = options
            entry.label.text = f"Step {n}"


class AssignmentForm(FlaskForm):
    """Assign a scenario (``s:KEY``) or a curriculum (``c:ID``) to a rep or a team."""

    target = SelectField("What", validators=[DataRequired("Choose what to assign.")])
    who = SelectField("Who", validators=[DataRequired("Choose a rep or a whole team.")])
    due_on = DateField("Due on", validators=[DataRequired("Give a due date.")])
    note = StringField(
        "Note for the rep", validators=[Optional(), Length(max=300)], filters=[strip]
    )
    submit = SubmitField("Assign")

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[str, str]] = (),
        people: list[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target.choices = choices([("", "Choose…"), *targets])
        self.who.choices = choices([("", "Choose…"), *people])


class AssignmentChangeForm(FlaskForm):
    """Move an assignment's due date or change its note."""

    due_on = DateField("Due on", validators=[DataRequired("Give a due date.")])
    note = StringField(
        "Note for the rep", validators=[Optional(), Length(max=300)], filters=[strip]
    )
    submit = SubmitField("Save")


class NoticeSettingsForm(FlaskForm):
    """Which kinds of training notice come by e-mail too (all of them are listed)."""

    by_email = MultiCheckboxField("Also send me by e-mail", choices=[])
    submit = SubmitField("Save")


class AuthorityForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message="Lower-case letters, digits and _."),
        ],
        filters=[strip],
        description="Used by the API, e.g. refund. Lower-case letters, digits and _.",
    )
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    description = TextAreaField(
        "What it lets a rep do", validators=[Optional(), Length(max=1000)]
    )
    unit = StringField(
        "Unit",
        validators=[DataRequired(), Length(max=16)],
        filters=[strip],
        description="A currency such as USD, or 'level' for graded permissions.",
    )
    max_limit = AmountField(
        "Maximum limit",
        places=2,
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"))],
    )
    two_person_limit = AmountField(
        "Two supervisors above",
        places=2,
        validators=[Optional(), NumberRange(min=Decimal(0))],
        description="Grants above this limit need two different supervisors. "
        "Empty: one supervisor always.",
    )
    validity_days = IntegerField(
        "Valid for (days)",
        validators=[InputRequired(), NumberRange(min=1, max=3650)],
        default=365,
        description="How long a grant lasts, and how recent a prerequisite pass must be.",
    )
    prerequisites = MultiCheckboxField(
        "Prerequisite scenarios", validators=[Optional()]
    )
    is_active = BooleanField("Offered", default=True)
    submit = SubmitField("Save authority")

    def __init__(
        self, *args: Any, scenarios: list[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prerequisites.choices = choices(scenarios)


class SignoffRequestForm(FlaskForm):
    rep_id = SelectField("Rep", coerce=int, validators=[DataRequired()])
    limit = AmountField(
        "Limit asked for",
        places=2,
        validators=[InputRequired("Give a limit."), NumberRange(min=Decimal("0.01"))],
    )
    note = TextAreaField(
        "Note for the supervisor", validators=[Optional(), Length(max=500)]
    )
    lower_confirmed = BooleanField("Yes, lower the limit held now to this one")
    submit = SubmitField("Ask for sign-off")

    def __init__(
        self, *args: Any, reps: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rep_id.choices = choices(reps)


class SignoffApproveForm(FlaskForm):
    limit = AmountField(
        "Approve at a limit of",
        places=2,
        validators=[InputRequired("Give the limit you approve.")],
    )
    submit = SubmitField("Approve")


class ReasonForm(FlaskForm):
    """Decline a request or revoke a grant: a reason is always recorded."""

    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Give a reason."), Length(max=500)],
        filters=[strip],
    )
    submit = SubmitField("Confirm")
