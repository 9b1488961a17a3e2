"""Forms for logging in, accounts, teams, API tokens and the audit filter."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import SelectField as _SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget, Select

from core import params, passwords
from core.access import Role
from core.db import db
from core.errors import InvalidInput, NotAllowed
from core.input_checks import MAX_ID
from core.people import TOKEN_ROLES

PASSWORD_HINT = (
    f"At least {passwords.MIN_LENGTH} characters; not a common password, your e-mail "
    "or your name. A few unrelated words are easy to remember and hard to guess."
)


def _password_rules(form: Any, field: Any) -> None:
    """The rules of :mod:`core.passwords`, for the person ``form.password_owner()`` names."""
    if field.data:
        email, name = form.password_owner()
        found = passwords.problems(field.data, email=email, name=name)
        if found:
            field.errors.extend(found)
            raise StopValidation


def strip(value: Any) -> Any:
    """Trim spaces that people paste around names and e-mails."""
    return value.strip() if isinstance(value, str) else value


def populate_errors(
    form: FlaskForm, error: InvalidInput, *, rename: dict[str, str] | None = None
) -> None:
    """Show an operation's :class:`InvalidInput` on the form: on its fields, or above it.

    :param rename: the form's name for a field the operation names otherwise
        (``{"password": "new_password"}``).
    """
    for name, messages in error.errors.items():
        name = (rename or {}).get(name, name)
        field = form._fields.get(name) if name else None
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def form_status() -> int:
    """A form page shown again after a post has errors on it: 400, not 200."""
    return 400 if request.method == "POST" else 200


def rollback_into(form: FlaskForm, error: InvalidInput | NotAllowed) -> None:
    """Undo the request's writes and show an operation's refusal on the form."""
    db.session.rollback()
    populate_errors(
        form, error if isinstance(error, InvalidInput) else InvalidInput(error.message)
    )


class AmountField(DecimalField):
    """A decimal number that a ``Numeric(12, 2)`` column can hold.

    ``DecimalField`` takes "NaN", "sNaN" and "Infinity" (which break its own range check
    and the database) and any size (PostgreSQL refuses what the column cannot hold);
    those are a message on the field instead.
    """

    #: Amounts are stored as ``Numeric(12, 2)``: below ten thousand million.
    LIMIT = Decimal("1e10")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.out_of_range = False
        super().process_formdata(valuelist)
        if self.data is not None and (
            not self.data.is_finite() or abs(self.data) >= self.LIMIT
        ):
            self.data, self.out_of_range = None, True
            raise ValueError(self.gettext("Enter a number below 10,000,000,000."))

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "out_of_range", False):
            raise StopValidation  # its message says it all; no "at least 0.01" as well


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes for choosing several values (roles, supervisors)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OptionList(Select):
    """WTForms' ``<select>``, with its plain options written directly.

    WTForms builds each option's attributes through its general ``html_params`` and
    ``Markup.format``, about 50 microseconds an option: a list of a thousand reps took
    most of a page's time. An option with no extra attributes is written here as the same
    HTML (``<option value="3" selected>Ann</option>``) in a fraction of that; any other
    goes the general way.
    """

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        label = choice.label or choice.value
        return Markup(  # noqa: S704 (the value and the label escaped here)
            f'<option value="{escape(choice.value)}"{selected}>{escape(label)}</option>'
        )


class SelectField(_SelectField):
    """A drop-down list; every form uses this one (see :class:`OptionList`)."""

    widget = OptionList()


class RecordSelectField(SelectField):
    """A drop-down list of records by id (0 for "any"), read from a query string.

    A value that is no id a record can have (``99999999999999999999``, ``abc``) leaves
    the field empty with a message, instead of a number the database cannot hold; a blank
    value is no choice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        number = params.whole_number(text)
        if number is None or number > MAX_ID:
            self.data = None
            raise ValueError(self.gettext("Pick one from the list."))
        self.data = number


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_CHOICES = choices((role.value, role.label) for role in Role)


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class _PasswordForm(FlaskForm):
    """A form that sets the password of a known person (``email``, ``name``)."""

    def __init__(
        self, *args: Any, email: str = "", name: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._owner = (email, name)

    def password_owner(self) -> tuple[str, str]:
        return self._owner


class PasswordChangeForm(_PasswordForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), _password_rules],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired(),
            EqualTo("new_password", "The two passwords differ."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class PasswordSetForm(_PasswordForm):
    new_password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), _password_rules],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat it",
        validators=[
            DataRequired(),
            EqualTo("new_password", "The two passwords differ."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password and log in")


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (logout, revoke, deactivate...)."""

    submit = SubmitField("Confirm")


class UserForm(FlaskForm):
    """Create or edit a user. ``teams`` is a list of (id, name) for the team choice."""

    name = StringField(
        "Full name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    roles = MultiCheckboxField(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[DataRequired("Choose at least one role.")],
    )
    team_id = SelectField("Team", coerce=int, validators=[Optional()])
    submit = SubmitField("Save")

    def __init__(
        self, *args: Any, teams: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.team_id.choices = choices([(0, "— No team —"), *teams])


class UserCreateForm(UserForm):
    access = RadioField(
        "How will they log in?",
        choices=choices(
            [
                ("invite", "Send them a link to choose their own password"),
                ("password", "Set a password now"),
            ]
        ),
        default="invite",
    )
    password = PasswordField(
        "Password",
        validators=[Optional(), _password_rules],
        description="Only when setting a password now; they can change it later. "
        f"At least {passwords.MIN_LENGTH} characters; not a common password, nor their "
        "e-mail or name.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create user")

    def password_owner(self) -> tuple[str, str]:
        return self.email.data or "", self.name.data or ""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.access.data == "password" and not self.password.data:
            self.password.errors = [
                *self.password.errors,
                "Enter a password, or choose to send a link instead.",
            ]
            valid = False
        return valid


class UserStatusForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Confirm")


class TeamForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    supervisor_ids = MultiCheckboxField(
        "Supervisors", coerce=int, validators=[Optional()]
    )
    submit = SubmitField("Save team")

    def __init__(
        self, *args: Any, supervisors: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.supervisor_ids.choices = choices(supervisors)


class ApiTokenForm(FlaskForm):
    name = StringField(
        "What is it for?",
        validators=[DataRequired(), Length(max=120)],
        description="For example: Zendesk nightly export, Help-centre widget.",
    )
    role = SelectField(
        "Acts as",
        choices=choices((role.value, role.label) for role in TOKEN_ROLES),
        validators=[DataRequired()],
        description="A token is not one person, so it cannot act as a rep.",
    )
    submit = SubmitField("Create token")


def _within_our_years(form: Any, field: Any) -> None:
    """A date Frontline can have records on, and can step a day past: from
    :data:`core.params.FIRST_YEAR` to next year."""
    last = params.last_year_allowed()
    if field.data is not None and not params.FIRST_YEAR <= field.data.year <= last:
        raise StopValidation(f"Pick a date from {params.FIRST_YEAR} to {last}.")


class AuditFilterForm(FlaskForm):
    """Filters for the audit page (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField(
        "Actor or summary contains", validators=[Optional(), Length(max=100)]
    )
    action = SelectField("Action", validators=[Optional()], validate_choice=False)
    subject_type = SelectField(
        "Record type", validators=[Optional()], validate_choice=False
    )
    subject_id = StringField("Record id", validators=[Optional(), Length(max=64)])
    date_from = DateField("From", validators=[Optional(), _within_our_years])
    date_to = DateField("To", validators=[Optional(), _within_our_years])
    include_logins = BooleanField("Include log-ins")

    def __init__(
        self,
        *args: Any,
        actions: list[str] = (),
        subject_types: list[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = choices([("", "Any action"), *[(a, a) for a in actions]])
        self.subject_type.choices = choices(
            [("", "Any record"), *[(s, s) for s in subject_types]]
        )


def settings_form(
    specs: Iterable[Any], values: dict[str, int], formdata: Any = None
) -> FlaskForm:
    """A form with one whole-number field per setting, filled with the current values."""

    class SettingsForm(FlaskForm):
        submit = SubmitField("Save settings")

    for spec in specs:
        label = f"{spec.label} ({spec.unit})" if spec.unit else spec.label
        setattr(
            SettingsForm,
            spec.key,
            IntegerField(
                label,
                # NumberRange also refuses an empty field; DataRequired would refuse 0.
                validators=[NumberRange(spec.minimum, spec.maximum)],
                description=spec.help,
                default=values.get(spec.key, spec.default),
            ),
        )
    return SettingsForm(formdata=formdata) if formdata is not None else SettingsForm()
