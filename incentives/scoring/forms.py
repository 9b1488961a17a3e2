"""Scoring forms: plans (field by field, or YAML), month close and reopening, disputes and
their decisions, and the coaching assignment."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.forms import SelectField, choices
from incentives.scoring.plans import DEFAULT_QA_MIN_REVIEWS, SCORED_METRICS
from incentives.tickets.metrics import ChannelGroup

#: Payout tier rows on the plan form.
TIER_ROWS = 5


def _metric_fields() -> list[tuple[str, str]]:
    return [(key, spec.label) for key, spec in SCORED_METRICS.items()]


class PlanForm(FlaskForm):
    """A plan, field by field. Numbers stay text here: ``plans.parse_plan`` checks them
    (the YAML import shares it), and its messages come back on the fields."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(
        "What it rewards, in a sentence or two",
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    currency = StringField(
        "Currency", default="USD", validators=[DataRequired(), Length(max=3)]
    )
    target_bonus = StringField(
        "Target bonus per rep per month",
        validators=[DataRequired()],
        description="What 100% pays; a team may have its own below.",
    )
    csat_prior_strength = StringField(
        "CSAT prior strength (k)",
        default="20",
        validators=[DataRequired()],
        description="CSAT = (satisfied + k × organisation CSAT) / (rated + k): "  # noqa: RUF001
        "a rep's few ratings count for little until they have many.",
    )
    min_solved = StringField("Minimum tickets solved", default="0")
    min_rated = StringField("Minimum rated tickets", default="0")
    qa_min_reviews = StringField(
        "QA score: reviews needed to count",
        default=str(DEFAULT_QA_MIN_REVIEWS),
        description="A rep with fewer counted reviews that month has no QA score: its "
        "weight is shared among the other metrics.",
    )
    tier_kind = SelectField(
        "Tiers pay",
        choices=choices(
            [("percent", "a % of the target bonus"), ("amount", "a fixed amount")]
        ),
        default="percent",
    )
    payout_cap = StringField(
        "Payout cap", description="The most anyone can get in a month (optional)."
    )
    submit = SubmitField("Save plan")

    def __init__(
        self, *args: Any, teams: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.teams = list(teams)

    @property
    def metric_rows(self) -> list[tuple[str, str, list[Any]]]:
        """(metric, label, [weight, threshold, target, stretch, cap] fields)."""
        return [
            (
                key,
                label,
                [self[f"{key}_{part}"] for part in METRIC_PARTS],
            )
            for key, label in _metric_fields()
        ]

    @property
    def channel_rows(self) -> list[tuple[str, str, list[Any]]]:
        """(metric label, channel group label, [threshold, target, stretch, cap] fields)
        for every metric and channel group."""
        return [
            (
                label,
                group.label,
                [self[_group_field(key, group.value, part)] for part in GROUP_PARTS],
            )
            for key, label in _metric_fields()
            if key not in SINGLE_VALUE
            for group in ChannelGroup
        ]

    @property
    def has_channel_values(self) -> bool:
        """Whether any value per channel group is filled in (or refused)."""
        return any(
            (field.data or "").strip() or field.errors
            for _metric, _group, fields in self.channel_rows
            for field in fields
        )

    @property
    def tier_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"tier{i}_score"], self[f"tier{i}_value"])
            for i in range(1, TIER_ROWS + 1)
        ]

    @property
    def team_fields(self) -> list[Any]:
        return [self[f"team_{team_id}"] for team_id, _name in self.teams]

    def as_data(self) -> dict[str, Any]:
        """The form as plan data for ``plans.parse_plan``."""
        metric_data = {}
        for key, _label in _metric_fields():
            values = {part: self[f"{key}_{part}"].data for part in METRIC_PARTS}
            if any((v or "").strip() for v in values.values()):
                metric_data[key] = {
                    part: value
                    for part, value in values.items()
                    if (value or "").strip()
                }
            groups = {}
            for group in [] if key in SINGLE_VALUE else ChannelGroup:
                own = {
                    part: self[_group_field(key, group.value, part)].data
                    for part in GROUP_PARTS
                }
                if any((v or "").strip() for v in own.values()):
                    groups[group.value] = {
                        part: value
                        for part, value in own.items()
                        if (value or "").strip()
                    }
            if groups:
                metric_data.setdefault(key, {})["channel_groups"] = groups
        tiers = []
        for score, value in self.tier_rows:
            if (score.data or "").strip() or (value.data or "").strip():
                tiers.append({"score": score.data, self.tier_kind.data: value.data})
        data: dict[str, Any] = {
            "name": self.name.data,
            "description": self.description.data or "",
            "currency": self.currency.data,
            "target_bonus": self.target_bonus.data,
            "csat_prior_strength": self.csat_prior_strength.data,
            "eligibility": {
                "min_solved": self.min_solved.data or "0",
                "min_rated": self.min_rated.data or "0",
            },
            "metrics": metric_data,
            "payout": {"tiers": tiers},
        }
        if (self.payout_cap.data or "").strip():
            data["payout"]["cap"] = self.payout_cap.data
        if "qa" in metric_data and (self.qa_min_reviews.data or "").strip():
            data["qa_min_reviews"] = self.qa_min_reviews.data
        bonuses = {
            name: self[f"team_{team_id}"].data
            for team_id, name in self.teams
            if (self[f"team_{team_id}"].data or "").strip()
        }
        if bonuses:
            data["team_target_bonus"] = bonuses
        return data

    def fill(self, data: dict[str, Any]) -> None:
        """Show stored plan data (``plans.plan_to_data``) in the fields."""
        for name in ("name", "description", "currency"):
            self[name].data = data.get(name, "")
        for name in ("target_bonus", "csat_prior_strength"):
            self[name].data = _text(data.get(name))
        self.min_solved.data = _text(data.get("eligibility", {}).get("min_solved", 0))
        self.min_rated.data = _text(data.get("eligibility", {}).get("min_rated", 0))
        self.qa_min_reviews.data = _text(
            data.get("qa_min_reviews", DEFAULT_QA_MIN_REVIEWS)
        )
        for key, values in data.get("metrics", {}).items():
            for part in METRIC_PARTS:
                if f"{key}_{part}" in self:
                    self[f"{key}_{part}"].data = _text(values.get(part))
            for group, own in values.get("channel_groups", {}).items():
                for part in GROUP_PARTS:
                    if _group_field(key, group, part) in self:
                        self[_group_field(key, group, part)].data = _text(own.get(part))
        tiers = data.get("payout", {}).get("tiers", [])
        self.tier_kind.data = "amount" if tiers and "amount" in tiers[0] else "percent"
        for i, tier in enumerate(tiers[:TIER_ROWS], start=1):
            self[f"tier{i}_score"].data = _text(tier.get("score"))
            self[f"tier{i}_value"].data = _text(tier.get("percent", tier.get("amount")))
        self.payout_cap.data = _text(data.get("payout", {}).get("cap"))
        by_name = data.get("team_target_bonus", {})
        for team_id, name in self.teams:
            self[f"team_{team_id}"].data = _text(by_name.get(name))


METRIC_PARTS = ("weight", "threshold", "target", "stretch", "cap")
#: Metrics with one value a month, never per channel group.
SINGLE_VALUE = frozenset({"qa"})
GROUP_PARTS = ("threshold", "target", "stretch", "cap")


def _group_field(metric: str, group: str, part: str) -> str:
    return f"{metric}__{group}_{part}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plan_field_name(key: str) -> str:
    """The form field a plan error key (``metrics.csat.target``) belongs on."""
    parts = key.split(".")
    if parts[0] == "metrics" and parts[2:3] == ["channel_groups"]:
        if len(parts) == 5:
            return _group_field(parts[1], parts[3], parts[4])
        if len(parts) == 4:
            return _group_field(parts[1], parts[3], "threshold")
        return f"{parts[1]}_weight"
    if parts[0] == "metrics" and len(parts) == 3:
        return f"{parts[1]}_{parts[2]}"
    if parts[0] == "metrics" and len(parts) == 2:
        return f"{parts[1]}_weight"
    if parts[0] == "eligibility" and len(parts) == 2:
        return parts[1]
    if parts[0] == "payout" and parts[1:2] == ["cap"]:
        return "payout_cap"
    if parts[0] == "payout" and len(parts) == 3:
        return f"tier{parts[2]}_score"
    return key


def plan_form(teams: list[tuple[int, str]], formdata: Any = None) -> PlanForm:
    """A plan form with a row per metric, per payout tier and per team."""

    class BoundPlanForm(PlanForm):
        pass

    for key, label in _metric_fields():
        unit = SCORED_METRICS[key].unit
        for part in METRIC_PARTS:
            shown = {
                "weight": f"{label}: weight",
                "threshold": f"{label}: threshold ({unit})",
                "target": f"{label}: target ({unit})",
                "stretch": f"{label}: stretch ({unit})",
                "cap": f"{label}: credit at stretch (%)",
            }[part]
            setattr(
                BoundPlanForm,
                f"{key}_{part}",
                StringField(shown, render_kw={"inputmode": "decimal"}),
            )
        for group in [] if key in SINGLE_VALUE else ChannelGroup:
            for part in GROUP_PARTS:
                shown = {
                    "threshold": f"threshold ({unit})",
                    "target": f"target ({unit})",
                    "stretch": f"stretch ({unit})",
                    "cap": "credit at stretch (%)",
                }[part]
                setattr(
                    BoundPlanForm,
                    _group_field(key, group.value, part),
                    StringField(
                        f"{label}, {group.label.lower()}: {shown}",
                        render_kw={"inputmode": "decimal"},
                    ),
                )
    for i in range(1, TIER_ROWS + 1):
        setattr(
            BoundPlanForm,
            f"tier{i}_score",
            StringField(f"Tier {i}: from score", render_kw={"inputmode": "decimal"}),
        )
        setattr(
            BoundPlanForm,
            f"tier{i}_value",
            StringField(f"Tier {i}: pays", render_kw={"inputmode": "decimal"}),
        )
    for team_id, name in teams:
        setattr(
            BoundPlanForm,
            f"team_{team_id}",
            StringField(f"{name}: target bonus", render_kw={"inputmode": "decimal"}),
        )
    if formdata is not None:
        return BoundPlanForm(formdata=formdata, teams=teams)
    return BoundPlanForm(teams=teams)


class PlanImportForm(FlaskForm):
    file = FileField(
        "Plan file (YAML)", render_kw={"accept": ".yaml,.yml,text/yaml,text/plain"}
    )
    text = TextAreaField(
        "…or paste the YAML",
        validators=[Optional(), Length(max=50_000)],
        render_kw={"rows": 14, "spellcheck": "false"},
    )
    submit = SubmitField("Load plan")

    def validate_text(self, field: Any) -> None:
        if not field.data and not self.file.data:
            raise ValidationError("Choose a YAML file or paste the plan.")


class MonthCloseForm(FlaskForm):
    note = StringField(
        "Note for the record",
        validators=[Optional(), Length(max=500)],
        description="E.g. reviewed with the team leads on Monday.",
    )
    confirm_disputes = BooleanField(
        "Close with the open disputes: they will no longer change this month"
    )
    submit = SubmitField("Close the month")


class MonthReopenForm(FlaskForm):
    reason = StringField(
        "Why reopen it?",
        validators=[DataRequired("Say why the month is reopened."), Length(max=500)],
    )
    plan_version = SelectField(
        "Plan version",
        choices=choices([("", "Keep the version it was closed with")]),
        validate_choice=False,
        description="Another version scores the month only if you pick it: you then "
        "see each rep's score and payout with it before confirming.",
    )
    #: Set on the confirmation page, once the differences were shown.
    confirm = HiddenField(default="")
    submit = SubmitField("Reopen the month")


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        "Why is this ticket not yours?",
        validators=[
            DataRequired("Say in a few words why."),
            Length(min=3, max=500, message="Use 3 to 500 characters."),
        ],
        description="E.g. a colleague handled it while I was on leave; "
        "it was reassigned to me only to close it.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Send the dispute")


def _rep_id(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


class DisputeDecisionForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=choices(
            [
                ("exclude", "Accept: the ticket counts for no rep"),
                ("reassign", "Accept: the ticket counts for another rep"),
                ("decline", "Decline: the ticket stays with the rep"),
            ]
        ),
        validators=[DataRequired("Choose a decision.")],
    )
    reassign_to = SelectField(
        "Rep who handled it",
        coerce=_rep_id,
        validators=[Optional()],
        validate_choice=False,
    )
    note = TextAreaField(
        "Reason",
        validators=[Optional(), Length(max=500)],
        description="Needed to decline: the rep sees it.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Record the decision")

    def __init__(
        self, *args: Any, reps: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.reassign_to.choices = choices([(0, "— Choose a rep —"), *reps])


class CoachingAssignForm(FlaskForm):
    rep_id = IntegerField(validators=[DataRequired(), NumberRange(1, 2**31 - 1)])
    scenario = StringField(validators=[DataRequired(), Length(max=80)])
    month = StringField(validators=[Optional(), Length(max=7)])


class PlanAcknowledgeForm(FlaskForm):
    """A rep's "I have read this plan", tied to the version as their page showed it."""

    version_id = IntegerField(validators=[DataRequired(), NumberRange(1, 2**31 - 1)])
    content_hash = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    submit = SubmitField("I have read this plan")


class PlanScheduleForm(FlaskForm):
    """From which month a plan version scores the organisation."""

    effective_from = StringField(
        "In force from (YYYY-MM)",
        validators=[Optional(), Length(max=7)],
        description="The first month it scores; a later version takes over from its own "
        "month. Empty: the plan in force applies from the start.",
        render_kw={"placeholder": "2024-03", "inputmode": "numeric"},
    )
    submit = SubmitField("Save the month")
