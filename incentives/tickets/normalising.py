"""The one normalisation path: raw text cells of any source to the tickets frame.

PURE: pandas in, pandas out; no Flask, no database. A file (``importing.parse_file``) and
an API batch (``importing.parse_records``) both end here, so a quirk handled for one
source is handled for all. Errors are :class:`core.tabular.RowError`, numbered as a
spreadsheet shows the file (the header is row 1); for each check the first
:data:`REPORT_LIMIT` are kept and the rest counted (:class:`Problems`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from core.tabular import REPORT_LIMIT, RowError
from incentives.tickets.cells import (
    BLANKS,
    MINUTES,
    SLA_MET_REASON,
    clean_cell,
    clean_column,
    distinct,
    parse_durations,
    parse_sla_verdicts,
    parse_times,
    parse_whole_numbers,
    partial_dates,
)
from incentives.tickets.metrics import Channel, Priority
from incentives.tickets.sources import (
    CHANNEL_WORDS,
    DURATION_FIELDS,
    PRIORITY_WORDS,
    TIME_FIELDS,
    Field,
    Satisfaction,
    SourceSpec,
    normalise_word,
)

#: Assignee texts that mean "nobody".
NOBODY = BLANKS | {"unassigned", "no agent", "(unassigned)", "nobody"}
#: The longest values kept; longer text is cut (tags, groups) or refused (ids).
MAX_ID = 64
MAX_AGENT = 254
MAX_GROUP = 120
MAX_TAGS = 500
#: More reopens than this is a broken export (and more than the column holds).
MAX_REOPENS = 10_000


#: The normalised tickets frame: column -> dtype. Index: the row number in the file.
TICKET_FRAME = {
    "external_id": "object",
    "agent_key": "category",  # lower-case name or e-mail; NaN for unassigned
    "agent_label": "category",  # as exported
    "group_name": "category",
    "channel": "category",
    "priority": "category",
    "created_at": "datetime64[us, UTC]",
    "first_response_at": "datetime64[us, UTC]",
    "solved_at": "datetime64[us, UTC]",
    "first_response_min_calendar": "float64",
    "first_response_min_business": "float64",
    "resolution_min_calendar": "float64",
    "resolution_min_business": "float64",
    "reopens": "float64",  # NaN: the file does not say
    "satisfied": "float64",  # 1 satisfied, 0 not, NaN not rated
    "nps": "float64",
    "tags": "object",
    "sla_met": "float64",  # the helpdesk's verdict: 1 met, 0 missed, NaN not given
}


@dataclass
class Reading:
    """What the chunks of one file share: the numeric satisfaction scale the first rated
    chunk settled on, and notes for the report."""

    scale: tuple[int, int, int] | None = None
    notes: list[str] = field(default_factory=list)


class Problems:
    """Row errors, kept per check: the first :data:`REPORT_LIMIT` in full, and a count.

    Any row in the overall first :data:`REPORT_LIMIT` is among the first of its own check,
    so the report stays exact while a file with a million bad rows costs little.
    """

    def __init__(self) -> None:
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.kept.extend(errors[:REPORT_LIMIT])
        self.total += len(errors) if total is None else total

    def add_where(
        self, mask: pd.Series, column: str, values: pd.Series, reason: str
    ) -> None:
        """One error for every row where ``mask`` holds, showing ``values``."""
        if not mask.any():
            return
        hit = values[mask.reindex(values.index, fill_value=False)]
        shown = hit.head(REPORT_LIMIT)
        self.add(
            [
                RowError(int(row), column, _shown(value), reason)
                for row, value in zip(shown.index, shown.tolist(), strict=True)
            ],
            total=len(hit),
        )

    def __bool__(self) -> bool:
        return self.total > 0


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def header_of(spec: SourceSpec, our: Field, headers: Mapping[str, str]) -> str:
    """The column of ``our`` field as the file writes it, for messages."""
    for name in spec.columns.get(our, ()):
        if name in headers:
            return headers[name]
    return our.value


def check_duplicates(tickets: pd.DataFrame, label: str, problems: Problems) -> None:
    ids = tickets["external_id"]
    repeated = ids.duplicated(keep="first") & ids.notna()
    if not repeated.any():
        return
    first_row = (
        pd.Series(ids.index, index=ids.index)
        .groupby(ids, sort=False)
        .transform("first")
    )
    hit = ids[repeated]
    problems.add(
        [
            RowError(
                int(row),
                label,
                _shown(value),
                f"ticket id already on row {int(first_row[row])}",
            )
            for row, value in hit.head(REPORT_LIMIT).items()
        ],
        total=len(hit),
    )


def normalise(
    raw: pd.DataFrame,
    spec: SourceSpec,
    headers: Mapping[str, str],
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
    problems: Problems,
    reading: Reading | None = None,
) -> pd.DataFrame:
    """Raw text cells (normalised headers; row numbers as index) to :data:`TICKET_FRAME`.

    Every source, file or API, goes through here.
    """
    reading = reading if reading is not None else Reading()
    zone = ZoneInfo(spec.timezone) if spec.timezone else tz
    if spec.nulls:
        raw = raw.apply(lambda col: _without_nulls(col, spec.nulls))
    index = raw.index
    out = pd.DataFrame(index=index)

    #: Rows of a field already told about (a date without its time of day).
    told: dict[Field, pd.Series] = {}

    def column(our: Field) -> tuple[pd.Series | None, str]:
        """The field's cells (first column given, then blanks filled from the next)."""
        if our in spec.constants:
            return pd.Series(spec.constants[our], index=index), f"{our.value} (fixed)"
        present = [n for n in spec.columns.get(our, ()) if n in raw.columns]
        if not present:
            return None, our.value
        values = raw[present[0]]
        for name in present[1:]:
            values = values.where(values.str.strip() != "", raw[name])
        label = headers.get(present[0], present[0])
        time_of_day = spec.time_columns.get(our)
        if time_of_day is not None and time_of_day in raw.columns:
            values, label = _date_and_time(
                values, raw[time_of_day], label, headers.get(time_of_day, time_of_day)
            )
            dates_only = values.str.endswith(_NO_TIME)
            if dates_only.any():
                values = values.str.removesuffix(_NO_TIME)
                problems.add_where(
                    dates_only, label, values, "a date but no time of day"
                )
                values = values.where(~dates_only, "")
                told[our] = dates_only
        return values, label

    ids, label = column(Field.TICKET_ID)
    if ids is None:
        raise ValueError("the ticket id column is required")  # _read_headers checked it
    ids = clean_column(ids)
    problems.add_where(ids == "", label, ids, "no ticket id")
    if max(map(len, ids.tolist()), default=0) > MAX_ID:
        problems.add_where(
            ids.str.len() > MAX_ID, label, ids, f"longer than {MAX_ID} characters"
        )
    out["external_id"] = ids.where(ids != "", None)

    agents, _ = column(Field.AGENT)
    out["agent_key"], out["agent_label"] = _agents(agents, index)
    groups, _ = column(Field.GROUP)
    out["group_name"] = _text_category(groups, index, MAX_GROUP)

    channels, label = column(Field.CHANNEL)
    out["channel"] = _vocabulary(
        channels,
        index,
        lambda v: _channel(v, spec),
        Channel.OTHER.value,
        label,
        problems,
        "not a channel; use one of " + ", ".join(c.value for c in Channel),
    )
    priorities, label = column(Field.PRIORITY)
    out["priority"] = _vocabulary(
        priorities,
        index,
        lambda v: _priority(v, spec),
        Priority.NORMAL.value,
        label,
        problems,
        "not a priority; use low, normal, high or urgent",
    )

    written: dict[Field, pd.Series] = {}
    for our in TIME_FIELDS:
        values, label = column(our)
        if values is None:
            out[our.value] = pd.Series(
                pd.NaT, index=index, dtype=TICKET_FRAME[our.value]
            )
            continue
        written[our] = values
        times, bad = parse_times(
            values, tz=zone, date_format=spec.date_format, dayfirst=spec.dayfirst
        )
        problems.add_where(
            bad,
            label,
            values,
            "not a date and time we can read (e.g. 2024-03-31 14:05 or 31/03/2024 14:05)",
        )
        if not spec.date_format:  # a mapping's own format says what a whole date is
            partial = partial_dates(values, times)
            for what in partial.dropna().unique():
                problems.add_where(
                    partial == what,
                    label,
                    values,
                    f"only part of a date and time: {what}",
                )
            bad = bad | partial.notna()
            times = times.where(partial.isna())
        if our in told:
            bad = bad | told[our]
        if our is Field.CREATED_AT:
            problems.add_where(
                times.isna() & ~bad,
                label,
                values,
                "no creation time (every ticket has one)",
            )
        if now is not None:
            late = times > pd.Timestamp(now) + pd.Timedelta(days=1)
            problems.add_where(late, label, values, "in the future")
        out[our.value] = times
    for our, reason in (
        (
            Field.FIRST_RESPONSE_AT,
            "the first reply comes before the ticket was created",
        ),
        (Field.SOLVED_AT, "solved before it was created"),
    ):
        if our in written:
            early = out[our.value] < out["created_at"]
            problems.add_where(
                early, header_of(spec, our, headers), written[our], reason
            )

    for our in DURATION_FIELDS:
        values, label = column(our)
        if values is None:
            out[our.value] = np.nan
            continue
        minutes, bad = parse_durations(values, spec.duration_units.get(our, MINUTES))
        problems.add_where(
            bad,
            label,
            values,
            "not a duration (a number, or hours:minutes such as 1:30)",
        )
        problems.add_where(minutes < 0, label, values, "a duration cannot be negative")
        problems.add_where(np.isinf(minutes), label, values, "not a finite duration")
        out[our.value] = minutes

    reopens, label = column(Field.REOPENS)
    if reopens is None:
        out["reopens"] = np.nan
    else:
        count, bad = parse_whole_numbers(reopens)
        problems.add_where(
            bad | (count < 0), label, reopens, "not a whole number of reopens"
        )
        problems.add_where(count > MAX_REOPENS, label, reopens, "too many reopens")
        # In a file that has the column, a blank cell means no reopen.
        out["reopens"] = count.fillna(0.0)

    ratings, label = column(Field.SATISFACTION)
    out["satisfied"] = (
        np.nan
        if ratings is None
        else _satisfaction(ratings, spec.satisfaction, label, problems, reading)
    )

    scores, label = column(Field.NPS)
    if scores is None:
        out["nps"] = np.nan
    else:
        nps, bad = parse_whole_numbers(scores)
        problems.add_where(
            bad | (nps < 0) | (nps > 10),
            label,
            scores,
            "an NPS score is a whole number 0-10",
        )
        out["nps"] = nps

    tags, _ = column(Field.TAGS)
    if tags is None:
        out["tags"] = None
    else:
        codes, results = distinct(tags, lambda v: v[:MAX_TAGS] or None)
        out["tags"] = np.array([*results, None], dtype=object)[codes]
        if spec.channel_tags:
            out["channel"] = _channel_from_tags(out["channel"], tags, spec)
    verdicts, label = column(Field.SLA_MET)
    if verdicts is None:
        out["sla_met"] = np.nan
    else:
        out["sla_met"], bad = parse_sla_verdicts(verdicts)
        problems.add_where(bad, label, verdicts, SLA_MET_REASON)

    if spec.keep_last_by is not None:
        out[ORDER] = _update_order(raw, spec.keep_last_by, zone)
    return out.astype(TICKET_FRAME)


#: Marks a date whose time-of-day cell is blank (never in a cell: it holds a NUL).
_NO_TIME = "\x00no time"


def _without_nulls(values: pd.Series, nulls: frozenset[str]) -> pd.Series:
    """``values`` with the cells that are one of ``nulls`` (any case) blank."""
    codes, results = distinct(values, lambda v: v.strip().casefold() in nulls)
    hit = np.array([*results, False], dtype=bool)[codes]
    return values.where(~hit, "") if hit.any() else values


def _date_and_time(
    dates: pd.Series, times: pd.Series, date_label: str, time_label: str
) -> tuple[pd.Series, str]:
    """A date column and a time-of-day column read as one: ``2024-03-31`` and
    ``14:05`` are ``2024-03-31 14:05``. A date without its time is marked (see
    :data:`_NO_TIME`); a time without a date is blank (as the date is)."""
    date, time = dates.str.strip(), times.str.strip()
    joined = (date + " " + time).where(time != "", date + _NO_TIME)
    return joined.where(date != "", ""), f"{date_label} + {time_label}"


def _channel_from_tags(
    channels: pd.Series, tags: pd.Series, spec: SourceSpec
) -> pd.Series:
    """``channels``, with a ticket filed under "other" given the channel of its first
    tag in ``spec.channel_tags`` (tags split on spaces, commas and semicolons)."""
    other = (channels == Channel.OTHER.value).to_numpy()
    if not other.any():
        return channels

    def by_tag(text: str) -> str | None:
        for tag in re.split(r"[\s,;]+", text.casefold()):
            if tag in spec.channel_tags:
                return spec.channel_tags[tag].value
        return None

    codes, results = distinct(tags[other], by_tag)
    found = np.array([*results, None], dtype=object)[codes]
    if all(f is None for f in found):
        return channels
    values = channels.astype(object).to_numpy().copy()
    values[np.flatnonzero(other)] = np.where(pd.isna(found), values[other], found)
    return pd.Series(values, index=channels.index).astype("category")


#: The column an event log's rows are ordered by (dropped once each ticket's last is kept).
ORDER = "_order"


def _update_order(raw: pd.DataFrame, names: Sequence[str], tz: ZoneInfo) -> pd.Series:
    """Each row's place among the updates: a count (``sys_mod_count``) or a time; NaN
    when the file has neither (the file's order decides)."""
    for name in names:
        if name not in raw.columns:
            continue
        values = raw[name]
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() >= (values.str.strip() != "").sum():
            return numbers.astype(float)
        times, _ = parse_times(values, tz=tz)
        return (times - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return pd.Series(np.nan, index=raw.index)


def keep_last_updates(tickets: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """An event log's last row per ticket id (by :data:`ORDER`, then row number), and
    how many rows were earlier updates."""
    if ORDER not in tickets.columns:
        return tickets, 0
    ids = tickets["external_id"]
    if not ids.duplicated().any():
        return tickets.drop(columns=ORDER), 0
    ordered = tickets.assign(_row=tickets.index).sort_values(
        [ORDER, "_row"], na_position="first", kind="stable"
    )
    last = ordered[~ordered["external_id"].duplicated(keep="last")]
    kept = tickets.loc[sorted(last.index)].drop(columns=ORDER)
    return kept, len(tickets) - len(kept)


def _vocabulary(
    values: pd.Series | None,
    index: pd.Index,
    fn: Callable[[str], str | None],
    default: str,
    label: str,
    problems: Problems,
    reason: str,
) -> pd.Series:
    """A channel or priority per row; ``fn`` gives ``""`` for blank, ``None`` for unknown."""
    if values is None:
        return pd.Series(pd.Categorical([default] * len(index)), index=index)
    codes, results = distinct(values, fn)
    unknown = [i for i, r in enumerate(results) if r is None]
    if unknown:
        problems.add_where(
            pd.Series(np.isin(codes, unknown), index=index), label, values, reason
        )
    table = np.array([r or default for r in results] + [default], dtype=object)
    return pd.Series(pd.Categorical(table[codes]), index=index)


def _channel(value: str, spec: SourceSpec) -> str | None:
    key = normalise_word(value)
    if key in BLANKS:
        return None if spec.strict_channels else ""
    if key in spec.channels:
        return spec.channels[key].value
    if key in {c.value for c in Channel}:
        return key
    if spec.strict_channels:
        return None
    words = set(re.split(r"[^a-z0-9]+", key)) - {""}
    for vocabulary, channel in CHANNEL_WORDS:
        if words & vocabulary:
            return channel.value
    return Channel.OTHER.value


def _priority(value: str, spec: SourceSpec) -> str | None:
    key = normalise_word(value)
    if key in BLANKS:
        return ""
    if key in spec.priorities:
        return spec.priorities[key].value
    found = PRIORITY_WORDS.get(key)
    return found.value if found else None


def _agents(values: pd.Series | None, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """(key, label) per row: the key is the label in lower case; NaN when unassigned."""
    if values is None:
        nobody = pd.Categorical(
            [None] * len(index), categories=pd.Index([], dtype=object)
        )
        return pd.Series(nobody, index=index), pd.Series(nobody.copy(), index=index)

    def clean(value: str) -> tuple[str, str] | None:
        label = " ".join(value.split())[:MAX_AGENT]
        key = label.casefold()[:MAX_AGENT]  # casefold may lengthen it: "ß" -> "ss"
        return None if key in NOBODY else (key, label)

    codes, results = distinct(values, clean)
    keys = np.array([r[0] if r else None for r in results] + [None], dtype=object)
    labels = np.array([r[1] if r else None for r in results] + [None], dtype=object)
    return (
        pd.Series(pd.Categorical(keys[codes]), index=index),
        pd.Series(pd.Categorical(labels[codes]), index=index),
    )


def _text_category(values: pd.Series | None, index: pd.Index, limit: int) -> pd.Series:
    if values is None:
        return pd.Series(
            pd.Categorical([None] * len(index), categories=pd.Index([], dtype=object)),
            index=index,
        )

    def clean(value: str) -> str | None:
        text = " ".join(value.split())[:limit]
        return None if text.casefold() in BLANKS else text

    codes, results = distinct(values, clean)
    table = np.array([*results, None], dtype=object)
    return pd.Series(pd.Categorical(table[codes]), index=index)


def _satisfaction(
    values: pd.Series,
    scale: Satisfaction,
    label: str,
    problems: Problems,
    reading: Reading,
) -> pd.Series:
    codes, results = distinct(values, scale.classify)
    if scale.numeric_scales and any(r is None for r in results):
        results = _on_numeric_scale(values, results, scale, label, reading)
    unknown = [i for i, r in enumerate(results) if r is None]
    if unknown:
        reason = f"not a satisfaction rating this source uses ({scale.describe()})"
        if reading.scale is not None:
            low, high, _ = reading.scale
            reason += f"; the file's scores are on the {low}-{high} scale"
        problems.add_where(
            pd.Series(np.isin(codes, unknown), index=values.index),
            label,
            values,
            reason + (f"; {scale.way_out}" if scale.way_out else ""),
        )
    table = np.array(
        [np.nan if r is None else r for r in results] + [np.nan], dtype=float
    )
    return pd.Series(table[codes], index=values.index)


def _on_numeric_scale(
    values: pd.Series,
    results: list[float | None],
    scale: Satisfaction,
    label: str,
    reading: Reading,
) -> list[float | None]:
    """Values on none of the scale's words read as scores on the numeric scale that holds
    them all (settled by the first chunk with scores, and told in the notes)."""
    _, uniques = pd.factorize(values, sort=False)
    numbers: dict[int, float] = {}
    for i, result in enumerate(results):
        text = clean_cell(str(uniques[i]))
        if result is None and re.fullmatch(r"\d{1,2}(?:[.,]0+)?", text):
            numbers[i] = float(text.replace(",", "."))
    if reading.scale is None:
        reading.scale = scale.scale_for(list(numbers.values()))
        if reading.scale is not None:
            low, high, start = reading.scale
            reading.notes.append(
                f"{label} is read as a {low}-{high} score: {start} and {high} count as "
                "satisfied, lower scores as not satisfied."
            )
    if reading.scale is None:
        return results
    low, high, start = reading.scale
    out = list(results)
    for i, number in numbers.items():
        if number.is_integer() and low <= number <= high:
            out[i] = 1.0 if number >= start else 0.0
    return out
