"""Month metrics from tickets: the definitions, written once.

PURE pandas: DataFrames in, DataFrames out; no Flask, no database. ``queries.py`` loads the
tickets and settings and calls these functions; pages, the CLI and the API show what they
return.

**Which month.** A ticket counts in the month it was *solved*, in the organisation's time
zone (``FRONTLINE_TIMEZONE``). Tickets never solved count nowhere. Volume is shown, never
rewarded.

**Which clock.** Durations are measured in business hours when the organisation has set
opening hours, else in calendar time. A duration is taken from the ticket's timestamps when
both are known; otherwise from the duration the helpdesk exported on the same clock; failing
that, from the one it exported on the other clock. Each duration carries the clock it was
measured on, and a figure built from both clocks says ``mixed``.

The metrics, per rep, team, helpdesk group and for the organisation:

``tickets_solved``
    tickets solved in the month.
``first_response_median_min``
    median minutes from creation to the first reply, over tickets where it is known.
``resolution_median_h``
    median hours from creation to the (last) solve.
``timely_rate``
    share of solved tickets within SLA, over tickets where that is known: as the helpdesk
    recorded it (``sla_met``) where the export says, else resolution time within the SLA
    target for the ticket's channel and priority (on the same clock).
``csat_raw`` and ``rated``
    satisfied ratings / all ratings, and the number of ratings ("Offered" is no rating).
``nps`` and ``nps_responses``
    % of promoters (9-10) minus % of detractors (0-6), from -100 to 100, where given.
``reopen_rate``
    solved tickets reopened at least once / solved tickets (where the export says), charged
    to the rep who solved the ticket.
``review_followup_rate``
    public-review tickets (channel ``review``) that got a first reply within the review
    first-response target / public-review tickets; an unanswered review counts as missed.

Rates are fractions from 0 to 1 (NaN when there is nothing to divide by).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from incentives.tickets.clock import (
    Clock,
    WeeklyHours,
    business_minutes,
    calendar_minutes,
)

# Months are met here first: their type and check are re-exported.
from incentives.tickets.months import MONTH_RE as MONTH_RE
from incentives.tickets.months import InvalidMonth as InvalidMonth
from incentives.tickets.months import Month


class Channel(enum.StrEnum):
    """Where the customer reached us."""

    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"
    REVIEW = "review"
    WEB = "web"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.EMAIL: "E-mail",
    Channel.PHONE: "Phone",
    Channel.CHAT: "Chat",
    Channel.SOCIAL: "Social media",
    Channel.REVIEW: "Public review",
    Channel.WEB: "Web form",
    Channel.OTHER: "Other",
}


class ChannelGroup(enum.StrEnum):
    """Channels answered alike: a plan may set other thresholds and targets per group
    (a first reply in minutes on the phone, in hours by e-mail)."""

    LIVE = "live"
    WRITTEN = "written"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return CHANNEL_GROUP_LABELS[self]


CHANNEL_GROUP_OF = {
    Channel.PHONE: ChannelGroup.LIVE,
    Channel.CHAT: ChannelGroup.LIVE,
    Channel.EMAIL: ChannelGroup.WRITTEN,
    Channel.WEB: ChannelGroup.WRITTEN,
    Channel.OTHER: ChannelGroup.WRITTEN,
    Channel.SOCIAL: ChannelGroup.PUBLIC,
    Channel.REVIEW: ChannelGroup.PUBLIC,
}

CHANNEL_GROUP_LABELS = {
    ChannelGroup.LIVE: "Phone and chat",
    ChannelGroup.WRITTEN: "E-mail and web",
    ChannelGroup.PUBLIC: "Social and reviews",
}


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class SlaTarget:
    """How fast a ticket of one channel and priority should get a reply and be solved."""

    first_response_min: int
    resolution_h: float


def _targets(
    first_response: tuple[int, int, int, int], resolution: tuple[float, ...]
) -> dict[Priority, SlaTarget]:
    """Targets for (urgent, high, normal, low)."""
    order = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
    return {
        p: SlaTarget(f, r)
        for p, f, r in zip(order, first_response, resolution, strict=True)
    }


_BY_CHANNEL = {
    # Live channels are answered within minutes and mostly solved the same day.
    Channel.PHONE: _targets((2, 5, 10, 15), (2, 4, 8, 24)),
    Channel.CHAT: _targets((2, 5, 10, 15), (2, 4, 8, 24)),
    # Written channels: hours, not minutes.
    Channel.EMAIL: _targets((60, 120, 240, 480), (8, 24, 48, 96)),
    Channel.WEB: _targets((60, 120, 240, 480), (8, 24, 48, 96)),
    Channel.OTHER: _targets((60, 120, 240, 480), (8, 24, 48, 96)),
    # Public channels: everyone can see how long the customer waits.
    Channel.SOCIAL: _targets((30, 60, 120, 240), (4, 12, 24, 48)),
    Channel.REVIEW: _targets((60, 240, 720, 1440), (24, 48, 72, 120)),
}

#: Sensible starting targets; admins change them on the SLA targets page.
DEFAULT_SLA_TARGETS: dict[tuple[Channel, Priority], SlaTarget] = {
    (channel, priority): target
    for channel, targets in _BY_CHANNEL.items()
    for priority, target in targets.items()
}

#: The columns :func:`measure_tickets` reads. Times are aware UTC datetimes (NaT allowed).
TICKET_COLUMNS = {
    "ticket_pk": "int64",
    "rep_id": "Int64",  # NA: unattributed (no assignee, or an agent not mapped to a rep)
    "team_id": "Int64",  # the rep's team today; NA for none
    "group_name": "object",  # the helpdesk group; None for none
    "channel": "object",
    "priority": "object",
    "created_at": "datetime64[us, UTC]",
    "first_response_at": "datetime64[us, UTC]",
    "solved_at": "datetime64[us, UTC]",
    "first_response_min_calendar": "float64",  # durations the helpdesk exported
    "first_response_min_business": "float64",
    "resolution_min_calendar": "float64",
    "resolution_min_business": "float64",
    "reopens": "float64",  # NaN: the export did not say
    "satisfied": "float64",  # 1 satisfied, 0 not, NaN not rated
    "nps": "float64",  # 0-10, NaN not given
    "sla_met": "float64",  # the helpdesk's SLA verdict: 1 met, 0 missed, NaN not given
}

#: The metric columns every summary has, in display order.
METRIC_COLUMNS = [
    "tickets_solved",
    "first_response_median_min",
    "resolution_median_h",
    "timely_rate",
    "csat_raw",
    "rated",
    "satisfied",
    "nps",
    "nps_responses",
    "reopen_rate",
    "reopened",
    "review_tickets",
    "review_followup_rate",
    "first_response_clock",
    "resolution_clock",
]

NO_GROUP = "(no group)"
MIXED = "mixed"
# Re-exported: months are met here first.
__all__ = ["MONTH_RE", "InvalidMonth", "Month"]


def parse_month(text: str | Month) -> str:
    """``"2024-03"`` checked and returned as is (a :class:`Month` as its text).

    :raises InvalidMonth: not YYYY-MM, or no such month, or one whose end (or the month
        after it) the calendar cannot reach: years 1971 to 9998.
    """
    return str(Month.parse(text))


def month_of(moment: dt.datetime, tz: ZoneInfo) -> str:
    """The month (YYYY-MM) an aware datetime falls in, in ``tz``."""
    return moment.astimezone(tz).strftime("%Y-%m")


def months_of(moments: pd.Series, tz: ZoneInfo) -> list[str]:
    """The months (YYYY-MM, in ``tz``) aware datetimes fall in, oldest first; NaT counts
    nowhere. Vectorised, for a whole import at once."""
    local = moments.dropna().dt.tz_convert(tz)
    codes = np.unique(local.dt.year.to_numpy() * 100 + local.dt.month.to_numpy())
    return [f"{code // 100:04d}-{code % 100:02d}" for code in codes.tolist()]


def shift_month(month: str | Month, by: int) -> str:
    return str(Month.parse(month).shift(by))


def month_bounds(month: str | Month, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's first instant, in UTC.

    Local midnight on the 1st in ``tz``, so a month in Sydney starts the day before it does
    in UTC.
    """
    year, number = Month.parse(month).year, Month.parse(month).number
    start = dt.datetime(year, number, 1, tzinfo=tz)
    days = calendar.monthrange(year, number)[1]
    end = start.replace(tzinfo=None) + dt.timedelta(days=days)
    return start.astimezone(dt.UTC), end.replace(tzinfo=tz).astimezone(dt.UTC)


def sla_frame(targets: Mapping[tuple[str, str], SlaTarget]) -> pd.DataFrame:
    """Targets as a frame keyed by (channel, priority), ready to join to tickets."""
    rows = [
        (str(channel), str(priority), t.first_response_min, float(t.resolution_h))
        for (channel, priority), t in targets.items()
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "channel",
            "priority",
            "first_response_target_min",
            "resolution_target_h",
        ],
    )


def clock_for(hours: WeeklyHours | None) -> Clock:
    """Business hours when the organisation has opening hours, else calendar time."""
    return (
        Clock.BUSINESS if hours is not None and hours.is_open_at_all else Clock.CALENDAR
    )


#: How each clock label of the figures (``first_response_clock``, ``resolution_clock``) reads.
CLOCK_WORDS = {
    Clock.CALENDAR.value: "calendar time",
    Clock.BUSINESS.value: "business hours",
    MIXED: "partly business hours, partly calendar time",
}


def clock_words(label: object) -> str:
    """A figure's clock in words ("business hours"); "" when no duration was measured."""
    return CLOCK_WORDS.get(label, "") if isinstance(label, str) else ""


def combined_clock(labels: Iterable[object]) -> str | None:
    """The clock label of figures made of several rows' (``None`` and NaN are rows with no
    duration): their one clock, else :data:`MIXED`."""
    found = {label for label in labels if isinstance(label, str)}
    if not found:
        return None
    return found.pop() if len(found) == 1 else MIXED


def durations_words(first_response_clock: object, resolution_clock: object) -> str:
    """Which clock the first-reply and resolution figures were measured on, in a sentence:
    "First reply in business hours; resolution in calendar time." ("" when neither was
    measured)."""
    first, resolution = clock_words(first_response_clock), clock_words(resolution_clock)
    if first and first == resolution:
        return f"First reply and resolution in {first}."
    parts = [
        f"{name} in {words}"
        for name, words in (("first reply", first), ("resolution", resolution))
        if words
    ]
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def measure_tickets(
    tickets: pd.DataFrame,
    *,
    month: str,
    tz: ZoneInfo,
    targets: Mapping[tuple[str, str], SlaTarget] = DEFAULT_SLA_TARGETS,
    hours: WeeklyHours | None = None,
) -> pd.DataFrame:
    """The tickets solved in ``month``, each with its measures.

    :param tickets: :data:`TICKET_COLUMNS` (other columns are kept).
    :param month: YYYY-MM, in ``tz``.
    :param targets: SLA targets by (channel, priority); missing pairs use the defaults.
    :param hours: opening hours; ``None`` or none open measures in calendar time.
    :return: the rows of ``tickets`` solved in the month, plus ``first_response_min``,
        ``first_response_clock``, ``resolution_h``, ``resolution_clock``,
        ``first_response_target_min``, ``resolution_target_h``, and the 1/0/NaN flags
        ``timely``, ``sla_recorded`` (the helpdesk's verdict decided ``timely``),
        ``rated``, ``is_satisfied``, ``nps_given``, ``promoter``, ``detractor``,
        ``reopened``, ``is_review``, ``review_followed_up``.
    """
    start, end = month_bounds(month, tz)
    solved = tickets["solved_at"]
    frame = tickets.loc[solved.notna() & (solved >= start) & (solved < end)].copy()
    clock = clock_for(hours)

    def measured(since: str, until: str) -> pd.Series:
        if clock is Clock.BUSINESS and hours is not None:
            return business_minutes(frame[since], frame[until], hours, tz)
        return calendar_minutes(frame[since], frame[until])

    first, first_clock = _duration(
        measured("created_at", "first_response_at"), frame, "first_response_min", clock
    )
    resolution, resolution_clock = _duration(
        measured("created_at", "solved_at"), frame, "resolution_min", clock
    )
    frame["first_response_min"] = first
    frame["first_response_clock"] = first_clock
    frame["resolution_h"] = resolution / 60.0
    frame["resolution_clock"] = resolution_clock
    # Numeric twins of the clock labels: min/max over numbers stay vectorised when grouped.
    for column in ("first_response_clock", "resolution_clock"):
        frame[f"{column}_code"] = np.select(
            [
                frame[column] == Clock.CALENDAR.value,
                frame[column] == Clock.BUSINESS.value,
            ],
            [0.0, 1.0],
            np.nan,
        )

    merged_targets = {**DEFAULT_SLA_TARGETS, **targets}
    goals = sla_frame(merged_targets).set_index(["channel", "priority"])
    keys = pd.MultiIndex.from_arrays(
        [frame["channel"].astype(object), frame["priority"].astype(object)]
    )
    fallback = DEFAULT_SLA_TARGETS[(Channel.OTHER, Priority.NORMAL)]
    aligned = goals.reindex(keys)
    frame["first_response_target_min"] = (
        aligned["first_response_target_min"]
        .fillna(fallback.first_response_min)
        .to_numpy()
    )
    frame["resolution_target_h"] = (
        aligned["resolution_target_h"].fillna(fallback.resolution_h).to_numpy()
    )

    # The helpdesk's own SLA verdict, where it recorded one, decides; else our target.
    ours = frame["resolution_h"] <= frame["resolution_target_h"]
    frame["timely"] = frame["sla_met"].fillna(_flag(ours, frame["resolution_h"]))
    frame["sla_recorded"] = frame["sla_met"].notna().astype("float64")
    satisfied = frame["satisfied"]
    frame["rated"] = satisfied.notna().astype("float64")
    frame["is_satisfied"] = (satisfied == 1).astype("float64")
    nps = frame["nps"]
    frame["nps_given"] = nps.notna().astype("float64")
    frame["promoter"] = (nps >= 9).astype("float64")
    frame["detractor"] = (nps <= 6).astype("float64")
    frame["reopened"] = _flag(frame["reopens"] > 0, frame["reopens"])
    frame["is_review"] = (frame["channel"] == Channel.REVIEW.value).astype("float64")
    followed = first.notna() & (first <= frame["first_response_target_min"])
    frame["review_followed_up"] = (followed & (frame["is_review"] == 1)).astype(
        "float64"
    )
    return frame


def _duration(
    from_times: pd.Series, frame: pd.DataFrame, stem: str, clock: Clock
) -> tuple[pd.Series, pd.Series]:
    """Minutes from timestamps, else exported on ``clock``, else on the other clock."""
    other = Clock.CALENDAR if clock is Clock.BUSINESS else Clock.BUSINESS
    same_given = frame[f"{stem}_{clock.value}"]
    other_given = frame[f"{stem}_{other.value}"]
    minutes = from_times.fillna(same_given).fillna(other_given)
    on_clock = from_times.notna() | same_given.notna()
    clocks = np.where(
        on_clock, clock.value, np.where(other_given.notna(), other.value, None)
    )
    return minutes, pd.Series(clocks, index=frame.index, dtype="object")


def _flag(condition: pd.Series, known: pd.Series) -> pd.Series:
    """1.0 / 0.0 where ``known`` is not NaN, else NaN."""
    return condition.astype("float64").where(known.notna())


def summarise(
    measures: pd.DataFrame, by: str | list[str] | None = None
) -> pd.DataFrame:
    """The metrics (:data:`METRIC_COLUMNS`) of measured tickets, per value of ``by``.

    :param measures: the output of :func:`measure_tickets`.
    :param by: a column (or columns) to group by, or ``None`` for one row over everything
        (index 0).
    :return: one row per group, indexed by ``by``; an empty frame when there are no tickets
        (or, with ``by=None``, one row with ``tickets_solved`` 0).
    """
    data = measures.assign(_all=0)
    key = by or "_all"
    grouped = data.groupby(key, sort=True, observed=True)
    # A few calls over many columns each: fixed costs stay small for a single rep's month.
    sums = grouped[
        [
            "timely",
            "rated",
            "is_satisfied",
            "nps_given",
            "promoter",
            "detractor",
            "reopened",
            "is_review",
            "review_followed_up",
        ]
    ].sum()
    known = grouped[["timely", "reopened"]].count()
    medians = grouped[["first_response_min", "resolution_h"]].median()
    codes = ["first_response_clock_code", "resolution_clock_code"]
    lows, highs = grouped[codes].min(), grouped[codes].max()
    counts = pd.DataFrame(
        {
            "tickets_solved": grouped.size(),
            "first_response_median_min": medians["first_response_min"],
            "resolution_median_h": medians["resolution_h"],
            "timely": sums["timely"],
            "timely_known": known["timely"],
            "rated": sums["rated"],
            "satisfied": sums["is_satisfied"],
            "nps_responses": sums["nps_given"],
            "promoters": sums["promoter"],
            "detractors": sums["detractor"],
            "reopened": sums["reopened"],
            "reopen_known": known["reopened"],
            "review_tickets": sums["is_review"],
            "reviews_followed_up": sums["review_followed_up"],
        }
    )
    clocks = pd.DataFrame(
        {
            "fr_min": lows["first_response_clock_code"],
            "fr_max": highs["first_response_clock_code"],
            "res_min": lows["resolution_clock_code"],
            "res_max": highs["resolution_clock_code"],
        }
    )
    out = pd.DataFrame(index=counts.index)
    out["tickets_solved"] = counts["tickets_solved"].astype("int64")
    out["first_response_median_min"] = counts["first_response_median_min"]
    out["resolution_median_h"] = counts["resolution_median_h"]
    out["timely_rate"] = _ratio(counts["timely"], counts["timely_known"])
    out["csat_raw"] = _ratio(counts["satisfied"], counts["rated"])
    out["rated"] = counts["rated"].astype("int64")
    out["satisfied"] = counts["satisfied"].astype("int64")
    out["nps"] = (
        _ratio(counts["promoters"] - counts["detractors"], counts["nps_responses"])
        * 100.0
    )
    out["nps_responses"] = counts["nps_responses"].astype("int64")
    out["reopen_rate"] = _ratio(counts["reopened"], counts["reopen_known"])
    out["reopened"] = counts["reopened"].astype("int64")
    out["review_tickets"] = counts["review_tickets"].astype("int64")
    out["review_followup_rate"] = _ratio(
        counts["reviews_followed_up"], counts["review_tickets"]
    )
    out["first_response_clock"] = _clock_label(clocks["fr_min"], clocks["fr_max"])
    out["resolution_clock"] = _clock_label(clocks["res_min"], clocks["res_max"])
    if by is None:
        if out.empty:
            return empty_summary(index=pd.Index([0]))
        out.index = pd.Index([0])
    elif isinstance(by, list):
        out.index.names = by
    else:
        out.index.name = by
    return out[METRIC_COLUMNS]


def empty_summary(index: pd.Index | None = None) -> pd.DataFrame:
    """Metric rows with no tickets behind them: zero counts, NaN rates."""
    index = index if index is not None else pd.Index([])
    frame = pd.DataFrame(index=index, columns=METRIC_COLUMNS)
    for column in ("tickets_solved", "rated", "satisfied", "nps_responses", "reopened"):
        frame[column] = 0
    frame["review_tickets"] = 0
    for column in (
        "first_response_median_min",
        "resolution_median_h",
        "timely_rate",
        "csat_raw",
        "nps",
        "reopen_rate",
        "review_followup_rate",
    ):
        frame[column] = np.nan
    frame["first_response_clock"] = None
    frame["resolution_clock"] = None
    return frame.astype(
        {c: "int64" for c in COUNT_COLUMNS} | {c: "float64" for c in RATE_COLUMNS}
    )


COUNT_COLUMNS = (
    "tickets_solved",
    "rated",
    "satisfied",
    "nps_responses",
    "reopened",
    "review_tickets",
)
RATE_COLUMNS = (
    "first_response_median_min",
    "resolution_median_h",
    "timely_rate",
    "csat_raw",
    "nps",
    "reopen_rate",
    "review_followup_rate",
)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def _clock_label(low: pd.Series, high: pd.Series) -> pd.Series:
    """The clock codes of a group as a label: calendar, business, mixed or None."""
    label = np.select(
        [low.isna(), low != high, low == 0],
        [None, MIXED, Clock.CALENDAR.value],
        Clock.BUSINESS.value,
    )
    return pd.Series(label, index=low.index, dtype="object")


def rep_metrics(
    measures: pd.DataFrame, rep_ids: list[int] | None = None
) -> pd.DataFrame:
    """Per rep (index ``rep_id``), over attributed tickets only.

    :param rep_ids: reps to list even with no tickets (rows of zeros); others with tickets
        are kept too.
    """
    attributed = measures[measures["rep_id"].notna()].astype({"rep_id": "int64"})
    summary = summarise(attributed, "rep_id")
    return _with_rows(summary, rep_ids, "rep_id")


def rep_channel_metrics(measures: pd.DataFrame) -> pd.DataFrame:
    """Per rep and channel group (columns ``rep_id``, ``channel_group`` and
    :data:`METRIC_COLUMNS`), over attributed tickets: what a plan with thresholds per
    channel group scores. A channel this module does not know counts as written."""
    attributed = measures[measures["rep_id"].notna()].astype({"rep_id": "int64"})
    groups = (
        attributed["channel"]
        .map({c.value: g.value for c, g in CHANNEL_GROUP_OF.items()})
        .fillna(ChannelGroup.WRITTEN.value)
    )
    summary = summarise(
        attributed.assign(channel_group=groups.astype(object)),
        ["rep_id", "channel_group"],
    )
    return summary.reset_index()


def team_metrics(
    measures: pd.DataFrame, team_ids: list[int] | None = None
) -> pd.DataFrame:
    """Per team (index ``team_id``), over tickets of reps in a team."""
    in_team = measures[measures["team_id"].notna()].astype({"team_id": "int64"})
    return _with_rows(summarise(in_team, "team_id"), team_ids, "team_id")


def group_metrics(measures: pd.DataFrame) -> pd.DataFrame:
    """Per helpdesk group (index ``group_name``), attributed or not."""
    named = measures.assign(group_name=measures["group_name"].fillna(NO_GROUP))
    return summarise(named, "group_name")


def organisation_metrics(measures: pd.DataFrame) -> pd.Series:
    """The whole organisation, unattributed tickets included, as one row."""
    return summarise(measures).iloc[0]


def _with_rows(summary: pd.DataFrame, ids: list[int] | None, name: str) -> pd.DataFrame:
    if ids is None:
        return summary
    missing = [i for i in ids if i not in summary.index]
    if not missing:
        return summary
    extra = empty_summary(pd.Index(missing, name=name))
    combined = pd.concat([summary, extra]) if not summary.empty else extra
    combined.index.name = name
    return combined.astype(extra.dtypes.to_dict())


#: Sortable columns and the direction that shows the best first.
SORTABLE = {
    "name": False,
    "tickets_solved": True,
    "first_response_median_min": False,
    "resolution_median_h": False,
    "timely_rate": True,
    "csat_raw": True,
    "rated": True,
    "nps": True,
    "reopen_rate": False,
    "review_followup_rate": True,
}


def sort_rows(table: pd.DataFrame, column: str, descending: bool) -> pd.DataFrame:
    """Rows sorted by ``column``; blanks last; ties keep name order."""
    if column not in table.columns:
        column = "name"
    ordered = table.sort_values("name", kind="stable")
    return ordered.sort_values(
        column, ascending=not descending, kind="stable", na_position="last"
    )


def format_value(column: str, value: object) -> str:
    """A metric as people read it: ``12 min``, ``5.2 h``, ``87%``, ``+23``; ``—`` for none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if column in COUNT_COLUMNS or column in {
        "unattributed",
        "timely",
        "review_followups",
    }:
        return f"{int(value):,}"
    number = float(value)  # type: ignore[arg-type]
    if column == "first_response_median_min" or column == "first_response_min":
        return _minutes(number)
    if column in {"resolution_median_h", "resolution_h", "resolution_target_h"}:
        return _minutes(number * 60)
    if column == "nps":
        return f"{number:+.0f}" if round(number) else "0"
    if column.endswith("_rate") or column == "csat_raw":
        return f"{number * 100:.0f}%"
    return f"{number:g}"


def _minutes(minutes: float) -> str:
    if minutes < 10:
        return f"{minutes:.1f} min"
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        hours = minutes / 60
        return f"{hours:.1f} h"
    return f"{minutes / 1440:.1f} d"


def month_label(month: str | Month) -> str:
    """``"2024-03"`` as ``"March 2024"``."""
    return Month.parse(month).label
