"""Reading one helpdesk cell: blanks, Excel's wrappers, dates and times, durations, numbers.

PURE: pandas in, pandas out; no Flask, no database. Every check runs over a whole column
(or its distinct values) at once: a million rows of a column with forty distinct values
cost forty calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

#: Dates before this year are placeholders for "not set" (1900-01-01, 1899-12-30, 1970...).
FIRST_REAL_YEAR = 1971
#: Cell texts that mean "nothing here".
BLANKS = frozenset({"", "-", "--", "n/a", "na", "null", "none", "nan", "nat", "(none)"})
#: Units a duration column may be written in, and minutes per unit.
SECONDS = "seconds"
MINUTES = "minutes"
HOURS = "hours"
UNIT_FACTORS = {SECONDS: 1 / 60, MINUTES: 1.0, HOURS: 60.0}


def clean_cell(value: str) -> str:
    """Spaces trimmed and Excel's ``="..."`` wrapper removed."""
    text = value.strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text


def clean_column(values: pd.Series) -> pd.Series:
    """:func:`clean_cell` on every cell of a column of text.

    A column that needs nothing done (a million plain ticket ids: no space anywhere, no
    Excel ``="`` wrapper) is recognised in one pass over its joined text, instead of
    three calls a cell.
    """
    joined = "\x00".join(values.tolist())
    if '="' not in joined and joined.split(maxsplit=1) == [joined]:
        return values
    return _unwrap_excel(values).str.strip()


def _unwrap_excel(values: pd.Series) -> pd.Series:
    """``="00123"`` (how Excel keeps leading zeros) becomes ``00123``."""
    wrapped = values.str.startswith('="', na=False)
    if not wrapped.any():
        return values
    return values.where(~wrapped, values[wrapped].map(clean_cell))


def distinct(
    values: pd.Series, fn: Callable[[str], Any]
) -> tuple[np.ndarray, list[Any]]:
    """``fn`` applied once per distinct value: (code of each row, result per value).

    A million rows of a column with forty distinct values cost forty calls.
    """
    codes, uniques = pd.factorize(values, sort=False)
    return codes, [fn(clean_cell(str(u))) for u in uniques]


_OFFSET_RE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_DAY_MONTH_RE = (
    r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?$"
)


def parse_times(
    values: pd.Series,
    *,
    tz: ZoneInfo,
    date_format: str | None = None,
    dayfirst: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Text cells to aware UTC times.

    Times with an offset (``Z``, ``+01:00``, ``+0100``, `` UTC``) keep it; times without
    one are local times in ``tz``. Without ``date_format``, ISO 8601 is read first, then
    day/month/year forms (see :func:`_day_month`). Blank cells, placeholders such as
    ``0000-00-00`` and dates before 1971 (``1900-01-01``) are "not set" (NaT).

    :return: (times as ``datetime64[us, UTC]``, mask of cells that are not dates).
    """
    bad = pd.Series(False, index=values.index)
    if date_format:
        text = values.map(clean_cell)
        blank = text.str.casefold().isin(BLANKS)
        parsed = pd.to_datetime(text.where(~blank), format=date_format, errors="coerce")
        times = _to_utc(parsed, tz)
        bad = ~blank & times.isna()
    else:
        times = _iso(values, tz)
        todo = times.isna() & (values != "")
        if todo.any():
            rest = values[todo].map(clean_cell)
            blank = rest.str.casefold().isin(BLANKS) | rest.str.match(
                r"^0{1,4}-0{1,2}-0{1,2}"
            )
            rest = rest[~blank]
            if len(rest):
                rest = rest.str.replace(r"\s*(?:UTC|GMT)$", "Z", regex=True)
                rest = rest.str.replace(r"\s+([+-]\d{2}:?\d{2})$", r"\1", regex=True)
                again = _iso(rest, tz)
                left = again.isna()
                if left.any():
                    again = again.where(~left, _day_month(rest[left], tz, dayfirst))
                times = times.copy()
                times.loc[again.index] = again
                bad.loc[again.index] = again.isna().to_numpy()
    placeholder = times.notna() & (times.dt.year < FIRST_REAL_YEAR)
    return times.where(~placeholder), bad


def _iso(values: pd.Series, tz: ZoneInfo) -> pd.Series:
    """ISO 8601; a column mixing offsets, or local times and offsets, is split first."""
    try:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    except ValueError:
        aware = values.str.contains(_OFFSET_RE, regex=True, na=False)
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
        if aware.any():
            out.loc[aware] = pd.to_datetime(
                values[aware], format="ISO8601", errors="coerce", utc=True
            ).astype("datetime64[us, UTC]")
        if (~aware).any():
            local = pd.to_datetime(values[~aware], format="ISO8601", errors="coerce")
            out.loc[~aware] = _to_utc(local, tz)
        return out
    return _to_utc(parsed, tz)


def _to_utc(parsed: pd.Series, tz: ZoneInfo) -> pd.Series:
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.astype("datetime64[us]").dt.tz_localize(
            tz,
            # A local time inside the hour repeated when clocks go back: take the first.
            ambiguous=np.ones(len(parsed), dtype=bool),
            nonexistent="shift_forward",
        )
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _day_month(values: pd.Series, tz: ZoneInfo, dayfirst: bool) -> pd.Series:
    """``31/03/2024 14:05``, ``03-31-24 2:05 PM``, ``31.03.2024``: the order from the data.

    A first number above 12 anywhere in the column means day first; a second number above
    12 means month first; when nothing decides, ``dayfirst`` does.
    """
    parts = values.str.extract(_DAY_MONTH_RE)
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    if (first > 12).any():
        dayfirst = True
    elif (second > 12).any():
        dayfirst = False
    day, month = (first, second) if dayfirst else (second, first)
    year = pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    hour = pd.to_numeric(parts[3], errors="coerce").fillna(0)
    meridiem = parts[6].str.lower()
    hour = hour.where(~((meridiem == "pm") & (hour < 12)), hour + 12)
    hour = hour.where(~((meridiem == "am") & (hour == 12)), 0)
    local = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": pd.to_numeric(parts[4], errors="coerce").fillna(0),
                "second": pd.to_numeric(parts[5], errors="coerce").fillna(0),
            },
            index=values.index,
        ),
        errors="coerce",
    )
    return _to_utc(local, tz)


#: Dates and times cut short, which ISO 8601 reads as the first moment they cover
#: (``2023-06`` as 1 June 00:00): a pattern, and what the cell has.
PARTIAL_DATES = [
    (r"\d{4}", "a year but no month or day"),
    (r"\d{4}[-/.]\d{1,2}", "a year and month but no day"),
    (
        r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?",
        "an hour but no minutes",
    ),
]


def partial_dates(values: pd.Series, times: pd.Series) -> pd.Series:
    """What is missing from each date cut short (e.g. ``2023-06``), else NaN.

    :param times: what :func:`parse_times` read from ``values``. A date cut short is read
        as a whole hour, so only whole quarter-hours in UTC (every time zone's offset is
        a multiple of 15 minutes) are looked at again.
    """
    found = pd.Series(np.nan, index=values.index, dtype=object)
    since_epoch = times.to_numpy(
        dtype="datetime64[us]", na_value=np.datetime64(1, "us")
    )
    quarter = np.timedelta64(15, "m")
    whole_hour = pd.Series(
        (since_epoch - since_epoch.astype("datetime64[h]")) % quarter
        == np.timedelta64(0, "us"),
        index=values.index,
    )
    if not whole_hour.any():
        return found
    candidates = values[whole_hour]
    codes, results = distinct(candidates, _partial_date)
    found.loc[candidates.index] = np.array([*results, None], dtype=object)[codes]
    return found


def _partial_date(text: str) -> str | None:
    for pattern, what in PARTIAL_DATES:
        if re.fullmatch(pattern, text):
            return what
    return None


def parse_durations(values: pd.Series, unit: str) -> tuple[pd.Series, pd.Series]:
    """Durations in ``unit``, or as a clock reading ``h:mm[:ss]``, to minutes.

    ``1,5`` is read with a decimal comma, ``1,234`` with a thousands separator.

    :return: (minutes, NaN for blank; mask of cells that are not durations).
    """
    factor = UNIT_FACTORS[unit]
    minutes = pd.to_numeric(values, errors="coerce") * factor
    bad = pd.Series(False, index=values.index)
    todo = minutes.isna() & (values != "")
    if todo.any():
        rest = values[todo].map(clean_cell)
        blank = rest.str.casefold().isin(BLANKS)
        parts = rest.str.extract(r"^(\d+):(\d{2})(?::(\d{2}))?$").astype(float)
        from_clock = parts[0] * 60 + parts[1] + parts[2].fillna(0) / 60
        decimal = rest.where(
            ~rest.str.fullmatch(r"\d+,\d{1,2}").astype(bool), rest.str.replace(",", ".")
        )
        decimal = decimal.where(
            ~rest.str.fullmatch(r"\d{1,3}(,\d{3})+").astype(bool),
            rest.str.replace(",", ""),
        )
        again = from_clock.fillna(pd.to_numeric(decimal, errors="coerce") * factor)
        minutes = minutes.copy()
        minutes.loc[rest.index] = again
        bad.loc[rest.index] = (~blank & again.isna()).to_numpy()
    return minutes, bad


def parse_whole_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (``3``, ``3.0``); blanks are NaN.

    :return: (numbers as float, mask of cells that are not whole numbers).
    """
    codes, results = distinct(values, _whole_number)
    table = np.array([*results, np.nan], dtype=float)
    number = pd.Series(table[codes], index=values.index)
    unknown = [i for i, r in enumerate(results) if r is None]
    bad = pd.Series(np.isin(codes, unknown), index=values.index)
    return number, bad


def _whole_number(text: str) -> float | None:
    """The number, NaN for blank, ``None`` when not a whole number."""
    if text.casefold() in BLANKS:
        return float("nan")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number.is_integer() else None


#: The helpdesk's own verdict on a ticket's SLA, as exports write it (lower case).
SLA_MET_WORDS = {
    **dict.fromkeys(("true", "yes", "1", "met", "made"), 1.0),
    **dict.fromkeys(("false", "no", "0", "breached", "missed"), 0.0),
}

SLA_MET_REASON = (
    "not an SLA outcome; use true/false, yes/no, 1/0, met/breached or made/missed"
)


def parse_sla_verdicts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whether each ticket met its SLA as the helpdesk recorded it: 1.0 met, 0.0 missed,
    NaN not given (blank); case-insensitive.

    :return: (verdicts as float, mask of cells that are none of :data:`SLA_MET_WORDS`).
    """
    codes, results = distinct(values, _sla_verdict)
    table = np.array([np.nan if r is None else r for r in results] + [np.nan])
    unknown = [i for i, r in enumerate(results) if r is None]
    bad = pd.Series(np.isin(codes, unknown), index=values.index)
    return pd.Series(table[codes], index=values.index, dtype="float64"), bad


def _sla_verdict(text: str) -> float | None:
    key = text.casefold()
    if key in BLANKS:
        return float("nan")
    return SLA_MET_WORDS.get(key)
