"""Ticket forms: ticket upload, agent mapping, SLA targets and opening hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from core.forms import AmountField, SelectField, choices
from incentives.tickets.clock import WEEKDAYS, InvalidHours, parse_clock_time
from incentives.tickets.metrics import Channel, Priority, SlaTarget
from incentives.tickets.sources import Source

NOT_A_REP = -1


class TicketUploadForm(FlaskForm):
    file_format = SelectField(
        "Exported from",
        choices=choices((s.value, s.label) for s in Source),
        default=Source.ZENDESK.value,
    )
    file = FileField(
        "Export file (CSV)",
        validators=[FileRequired("Choose the exported CSV file.")],
        render_kw={"accept": ".csv,.txt,text/csv"},
    )
    mapping = FileField(
        "Column mapping (YAML)",
        description="Only for 'Any other tool': which of its columns hold our fields.",
        render_kw={"accept": ".yaml,.yml,text/yaml,text/plain"},
    )
    dry_run = BooleanField("Check only: report what would change and write nothing")
    submit = SubmitField("Import tickets")

    def validate_mapping(self, field: Any) -> None:
        wants = self.file_format.data == Source.MAPPED.value
        if wants and not field.data:
            raise ValidationError("Give the mapping file for this tool.")
        if field.data and not wants:
            raise ValidationError("A mapping file is only used for 'Any other tool'.")


class AgentMapForm(FlaskForm):
    """Link one agent to a rep, or mark them as not a rep.

    Build it with ``prefix=agent_form_prefix(agent_id)``: one form per agent on a page.
    """

    rep_id = SelectField(
        "This is", coerce=int, validators=[DataRequired("Choose a rep.")]
    )
    submit = SubmitField("Map")

    def __init__(
        self, *args: Any, reps: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rep_id.choices = choices(
            [
                (0, "— Choose a rep —"),
                *reps,
                (NOT_A_REP, "Not a rep (bot, team lead...)"),
            ]
        )


class AgentSuggestionsForm(FlaskForm):
    """Accept every suggested mapping at once; ``shown`` fingerprints those the page showed."""

    shown = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Accept all suggested")


class MappingDraftForm(FlaskForm):
    """An export to draft a column mapping from (its header and first rows are read)."""

    file = FileField(
        "Export to draft a mapping from (CSV)",
        validators=[FileRequired("Choose the export to draft a mapping from.")],
        render_kw={"accept": ".csv,.txt,text/csv"},
        id="draft-file",  # the import form on the same page has its own "file"
    )
    submit = SubmitField("Draft a mapping")


class AgentMapUploadForm(FlaskForm):
    """An agent-to-rep CSV file: ``agent,rep_email`` ("not a rep" for bots and leads)."""

    file = FileField(
        "Agent-to-rep file (CSV)",
        validators=[FileRequired("Choose the CSV file of agents and rep e-mails.")],
        render_kw={"accept": ".csv,.txt,text/csv"},
    )
    dry_run = BooleanField("Check only: report what would change and change nothing")
    submit = SubmitField("Map agents from file")


def agent_form_prefix(agent_id: int) -> str:
    return f"agent{agent_id}"


def sla_field_name(kind: str, channel: Channel, priority: Priority) -> str:
    return f"{kind}_{channel.value}_{priority.value}"


def sla_targets_form(
    targets: dict[tuple[str, str], SlaTarget], formdata: Any = None
) -> FlaskForm:
    """One first-reply (minutes) and one resolution (hours) field per channel and priority."""

    class SlaTargetsForm(FlaskForm):
        submit = SubmitField("Save targets")

        def targets(self) -> dict[tuple[str, str], SlaTarget]:
            return {
                (channel.value, priority.value): SlaTarget(
                    int(self[sla_field_name("fr", channel, priority)].data),
                    float(self[sla_field_name("res", channel, priority)].data),
                )
                for channel in Channel
                for priority in Priority
            }

    for channel in Channel:
        for priority in Priority:
            target = targets[(channel.value, priority.value)]
            setattr(
                SlaTargetsForm,
                sla_field_name("fr", channel, priority),
                IntegerField(
                    f"{channel.label}, {priority.label}: first reply (minutes)",
                    validators=[
                        InputRequired("Enter minutes."),
                        NumberRange(1, 60 * 24 * 30, "From 1 minute to 30 days."),
                    ],
                    default=target.first_response_min,
                ),
            )
            setattr(
                SlaTargetsForm,
                sla_field_name("res", channel, priority),
                AmountField(
                    f"{channel.label}, {priority.label}: resolution (hours)",
                    places=None,
                    validators=[
                        InputRequired("Enter hours."),
                        NumberRange(0.1, 24 * 90, "From 0.1 hour to 90 days."),
                    ],
                    # 6, not 6.0; 1.5 stays 1.5
                    default=f"{target.resolution_h:g}",
                ),
            )
    return (
        SlaTargetsForm(formdata=formdata) if formdata is not None else SlaTargetsForm()
    )


def _clock_time(form: Any, field: Any) -> None:
    if field.data:
        try:
            parse_clock_time(field.data)
        except InvalidHours as e:
            raise ValidationError(str(e)) from e


class OpeningHoursForm(FlaskForm):
    """Opening hours per weekday (blank = closed) and holidays, one per line."""

    holidays = TextAreaField(
        "Holidays",
        validators=[Optional()],
        description="One per line: a date, then a name. E.g. 2025-12-25 Christmas Day.",
        render_kw={"rows": 6},
    )
    submit = SubmitField("Save opening hours")

    def days(self) -> dict[int, tuple[int, int]]:
        out = {}
        for i, _name in enumerate(WEEKDAYS):
            opens, closes = self[f"opens_{i}"].data, self[f"closes_{i}"].data
            if opens and closes:
                out[i] = (parse_clock_time(opens), parse_clock_time(closes))
        return out

    def holiday_dates(self) -> dict[dt.date, str]:
        out: dict[dt.date, str] = {}
        for line in (self.holidays.data or "").splitlines():
            date_text, _, name = line.strip().partition(" ")
            if date_text:
                out[dt.date.fromisoformat(date_text)] = name.strip()
        return out

    def validate_holidays(self, field: Any) -> None:
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            date_text = line.strip().partition(" ")[0]
            if not date_text:
                continue
            try:
                dt.date.fromisoformat(date_text)
            except ValueError as e:
                raise ValidationError(
                    f"Line {number}: {date_text!r} is not a date like 2025-12-25."
                ) from e

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for i, name in enumerate(WEEKDAYS):
            opens, closes = self[f"opens_{i}"], self[f"closes_{i}"]
            if bool(opens.data) != bool(closes.data):
                closes.errors = [
                    *closes.errors,
                    f"Give both times for {name}, or neither.",
                ]
                valid = False
            elif (
                opens.data
                and closes.data
                and not opens.errors
                and not closes.errors
                and parse_clock_time(opens.data) >= parse_clock_time(closes.data)
            ):
                closes.errors = [*closes.errors, "Closing must come after opening."]
                valid = False
        return valid


for _i, _name in enumerate(WEEKDAYS):
    setattr(
        OpeningHoursForm,
        f"opens_{_i}",
        StringField(
            f"{_name} opens",
            validators=[Optional(), _clock_time],
            render_kw={"placeholder": "closed", "inputmode": "numeric"},
        ),
    )
    setattr(
        OpeningHoursForm,
        f"closes_{_i}",
        StringField(
            f"{_name} closes",
            validators=[Optional(), _clock_time],
            render_kw={"placeholder": "closed", "inputmode": "numeric"},
        ),
    )
