"""The voice module's forms: departments, problem reports, "+1"s and status moves; policy
changes (proposal, comment, vote, decision, the training they change) and ideas (submit,
triage).

The forms check shape (lengths, numbers); what a report must say and which moves are
allowed come back from the operations as field errors.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import (
    MultiCheckboxField,
    RecordSelectField,
    SelectField,
    choices,
    strip,
)
from voice import ideas, policies
from voice.ideas import IdeaStatus
from voice.policies import Outcome, Vote
from voice.workflow import (
    MAX_REASON,
    MAX_STORY,
    MAX_TITLE,
    Category,
    ProblemStatus,
    Severity,
)

ROTA_HELP = (
    "One line a shift: days and hours, the name and how to reach them, apart by |. "
    "For example: Mon-Fri 09:00-18:00 | Sam Patel | +44 20 7946 0000. Hours are in "
    "the organisation's time zone; 22:00-06:00 runs past midnight."
)


class DepartmentForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=80)], filters=[strip])
    description = TextAreaField(
        "What they look after", validators=[Optional(), Length(max=2000)]
    )
    owner_id = RecordSelectField(
        "Owner",
        validate_choice=False,
        description="Told when a report waits past the target.",
    )
    deputy_ids = MultiCheckboxField("Deputies", coerce=int, validators=[Optional()])
    member_ids = MultiCheckboxField(
        "Other members who respond", coerce=int, validators=[Optional()]
    )
    ack_target_hours = IntegerField(
        "Hours to acknowledge a report",
        default=24,
        validators=[InputRequired("Give a number of hours."), NumberRange(1, 720)],
    )
    rota = TextAreaField(
        "Contact rota",
        validators=[Optional(), Length(max=10_000)],
        description=ROTA_HELP,
        render_kw={"rows": 6},
    )
    active = BooleanField("Reps can send reports to it", default=True)
    submit = SubmitField("Save department")

    def __init__(
        self, *args: Any, people: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.owner_id.choices = choices([(0, "Nobody yet"), *people])
        self.deputy_ids.choices = choices(people)
        self.member_ids.choices = choices(people)


class ProblemForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[Length(max=MAX_TITLE)],
        filters=[strip],
        description="A few words: parcels to Leeds arrive damaged.",
    )
    story = TextAreaField(
        "The customer's story",
        validators=[Length(max=MAX_STORY)],
        description="What happened to the customer, in your words.",
        render_kw={"rows": 6},
    )
    category = SelectField(
        "Category",
        choices=choices([("", "Choose..."), *((c.value, c.label) for c in Category)]),
        validate_choice=False,
    )
    severity = SelectField(
        "Severity",
        choices=choices((s.value, s.label) for s in Severity),
        default=Severity.MEDIUM.value,
        validate_choice=False,
    )
    department_id = RecordSelectField("Department it needs", validate_choice=False)
    tickets = StringField(
        "Helpdesk tickets it affected",
        validators=[Optional(), Length(max=4000)],
        description="Ticket ids apart by commas or spaces: 48213, 48290.",
    )
    check = SubmitField("Check for similar reports")
    file = SubmitField("File the report")

    def __init__(
        self, *args: Any, departments: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = choices([(0, "Choose..."), *departments])


class SupportForm(FlaskForm):
    tickets = StringField(
        "Your tickets",
        validators=[Optional(), Length(max=4000)],
        description="Ticket ids apart by commas or spaces.",
    )
    note = TextAreaField(
        "Anything to add", validators=[Optional(), Length(max=MAX_REASON)]
    )
    submit = SubmitField("+1 and add my tickets")


class MoveForm(FlaskForm):
    status = SelectField(
        "What happens now",
        choices=choices((s.value, s.label) for s in ProblemStatus),
        validate_choice=False,
    )
    reason = TextAreaField(
        "Reason or note for the reporter",
        validators=[Optional(), Length(max=MAX_REASON)],
        description="Needed for won't fix: the reporter reads it.",
    )
    duplicate_of = IntegerField(
        "Repeats report number",
        validators=[Optional(), NumberRange(1, 2**31 - 1)],
    )
    submit = SubmitField("Save")

    def __init__(
        self, *args: Any, allowed: list[ProblemStatus] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices((s.value, s.label) for s in allowed)


# --- policy impact reviews ----------------------------------------------------------------


class PolicyForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[Length(max=policies.MAX_TITLE)],
        filters=[strip],
        description="A few words: refunds only to the original card.",
    )
    change = TextAreaField(
        "The change",
        validators=[Length(max=policies.MAX_CHANGE)],
        description="The policy or procedure as it would be, and from when.",
        render_kw={"rows": 6},
    )
    department_id = RecordSelectField("Department it belongs to", validate_choice=False)
    closes_on = DateField(
        "Comments close on",
        validators=[Optional()],
        description="Reps comment and vote until the end of this day.",
    )
    submit = SubmitField("Post for comments")

    def __init__(
        self, *args: Any, departments: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = choices([(0, "Choose..."), *departments])


class CommentForm(FlaskForm):
    body = TextAreaField(
        "What it would do to customers",
        validators=[Length(max=policies.MAX_COMMENT)],
        description="A customer you served, what they would meet, what would help.",
        render_kw={"rows": 4},
    )
    submit = SubmitField("Add my comment")


class VoteForm(FlaskForm):
    vote = SelectField(
        "Your vote",
        choices=choices((v.value, v.label) for v in Vote),
        validate_choice=False,
    )
    submit = SubmitField("Vote")


class DecisionForm(FlaskForm):
    outcome = SelectField(
        "Decision",
        choices=choices([("", "Choose..."), *((o.value, o.label) for o in Outcome)]),
        validate_choice=False,
    )
    note = TextAreaField(
        "What was heard",
        validators=[Length(max=policies.MAX_NOTE)],
        description="What the comments and votes said, and what the decision changed "
        "because of them. Everyone reads it.",
        render_kw={"rows": 5},
    )
    submit = SubmitField("Record the decision")


class LinksForm(FlaskForm):
    scenarios = MultiCheckboxField(
        "Training scenarios it changes", validators=[Optional()]
    )
    authorities = MultiCheckboxField("Authorities it changes", validators=[Optional()])
    submit = SubmitField("Save what to retrain")

    def __init__(
        self,
        *args: Any,
        scenarios: list[tuple[str, str]] = (),
        authorities: list[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scenarios.choices = choices(scenarios)
        self.authorities.choices = choices(authorities)


# --- ideas --------------------------------------------------------------------------------


class IdeaForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[Length(max=ideas.MAX_TITLE)],
        filters=[strip],
        description="A few words: a tracking link in every dispatch text.",
    )
    body = TextAreaField(
        "What and why",
        validators=[Length(max=ideas.MAX_BODY)],
        description="What you would change, and what it would do for customers or the "
        "team.",
        render_kw={"rows": 6},
    )
    department_id = RecordSelectField(
        "Department it concerns (if any)", validate_choice=False
    )
    submit = SubmitField("Submit the idea")

    def __init__(
        self, *args: Any, departments: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = choices([(0, "None in particular"), *departments])


class TriageForm(FlaskForm):
    status = SelectField(
        "What happens to it",
        choices=choices((s.value, s.label) for s in IdeaStatus),
        validate_choice=False,
    )
    reason = TextAreaField(
        "Reason or note for the author",
        validators=[Optional(), Length(max=ideas.MAX_REASON)],
        description="Needed to decline: the author reads it.",
    )
    submit = SubmitField("Save")

    def __init__(
        self, *args: Any, allowed: list[IdeaStatus] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices((s.value, s.label) for s in allowed)
