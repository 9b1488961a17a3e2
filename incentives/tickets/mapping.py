"""The column-mapping file: how any other helpdesk's export is read (YAML in, a
:class:`~incentives.tickets.sources.SourceSpec` out).

PURE: no Flask, no database. ``static/incentives/mapping-example.yaml`` shows every key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from core import untrusted_yaml
from incentives.tickets.cells import MINUTES, UNIT_FACTORS
from incentives.tickets.clock import Clock
from incentives.tickets.metrics import Channel, Priority
from incentives.tickets.sources import (
    DURATION_FIELDS,
    FRONTLINE,
    PRIORITY_WORDS,
    TIME_FIELDS,
    Field,
    Satisfaction,
    Source,
    SourceSpec,
    header_names,
    normalise_header,
    normalise_word,
    numeric_scale,
)

#: A source name as tickets are keyed by it: ``zendesk``, ``helpscout-eu``...
SOURCE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class MappingError(ValueError):
    """A column-mapping file that cannot be used; ``problems`` says why, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


_MAPPING_KEYS = {
    "source",
    "timezone",
    "date_format",
    "dayfirst",
    "columns",
    "durations",
    "satisfaction",
    "channels",
    "priorities",
    "nulls",
    "channel_tags",
    "keep_last_by",
}
#: What a mapped file's cells may write for "nothing here", unless its mapping says.
DEFAULT_NULLS = ("?", "NULL", "N/A", "-")
#: Fields a mapping may give one value for the whole file.
CONSTANT_FIELDS = (Field.AGENT, Field.GROUP, Field.CHANNEL, Field.PRIORITY, Field.TAGS)
_DURATION_STEMS = {
    "first_response": "first_response_min",
    "resolution": "resolution_min",
}


def load_mapping(text: str) -> SourceSpec:
    """A :class:`SourceSpec` from a YAML mapping file (``static/incentives/mapping-example.yaml``).

    :raises MappingError: the file is not valid YAML or does not describe a usable mapping.
    """
    try:
        doc = untrusted_yaml.load(text)
    except yaml.YAMLError as e:
        raise MappingError([f"the mapping file is not valid YAML: {e}"]) from e
    if not isinstance(doc, dict):
        raise MappingError(
            ["the mapping file must be a YAML mapping (key: value lines)"]
        )
    problems: list[str] = []
    unknown = sorted(str(k) for k in set(doc) - _MAPPING_KEYS)
    if unknown:
        problems.append(f"unknown keys: {', '.join(map(str, unknown))}")

    name = str(doc.get("source") or "").strip().lower()
    if not SOURCE_NAME_RE.match(name):
        problems.append(
            "source: give the tool's name in lower case letters, digits, - or _ "
            "(at most 32 characters), e.g. 'zoho-desk'"
        )
    elif name in {s.value for s in Source}:
        problems.append(
            f"source: {name!r} is a built-in format: import its export with "
            f"--source {name} (no mapping), or choose another name"
        )

    timezone = doc.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        # OSError: a folder of zones ("Etc") or a name too long for a file name.
        except (ZoneInfoNotFoundError, ValueError, OSError):
            problems.append(f"timezone: {timezone!r} is not a known time zone")

    columns: dict[Field, tuple[str, ...]] = {}
    time_columns: dict[Field, str] = {}
    constants: dict[Field, str] = {}
    raw_columns = doc.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.append(
            "columns: map at least ticket_id and created_at to your columns"
        )
        raw_columns = {}
    for key, value in raw_columns.items():
        try:
            our = Field(str(key))
        except ValueError:
            problems.append(
                f"columns: {key!r} is not one of our fields "
                f"({', '.join(f.value for f in Field if f not in DURATION_FIELDS)})"
            )
            continue
        if our in DURATION_FIELDS:
            problems.append(f"columns: give {key} under durations instead")
            continue
        if isinstance(value, dict):
            _special_column(our, value, columns, time_columns, constants, problems)
            continue
        names = value if isinstance(value, list) else [value]
        if not names or not all(
            isinstance(n, str | int) and str(n).strip() for n in names
        ):
            problems.append(f"columns: {key} needs a column name")
            continue
        columns[our] = header_names(*(str(n) for n in names))

    units: dict[Field, str] = {}
    durations = doc.get("durations") or {}
    if not isinstance(durations, dict):
        problems.append("durations: expected first_response and/or resolution")
        durations = {}
    for key, value in durations.items():
        stem = _DURATION_STEMS.get(str(key))
        if stem is None or not isinstance(value, dict) or not value.get("column"):
            problems.append(
                f"durations: {key!r} must be first_response or resolution, "
                "each with a column (and unit, clock)"
            )
            continue
        unit = str(value.get("unit", MINUTES)).lower()
        clock = str(value.get("clock", Clock.CALENDAR.value)).lower()
        if unit not in UNIT_FACTORS:
            problems.append(f"durations: {key} unit must be seconds, minutes or hours")
            continue
        if clock not in {c.value for c in Clock}:
            problems.append(f"durations: {key} clock must be calendar or business")
            continue
        our = Field(f"{stem}_{clock}")
        columns[our] = header_names(str(value["column"]))
        units[our] = unit

    satisfaction = _mapping_satisfaction(doc.get("satisfaction"), problems)
    channels = _mapping_vocabulary(doc.get("channels"), Channel, "channels", problems)
    priorities = _mapping_vocabulary(
        doc.get("priorities"), Priority, "priorities", problems
    )

    for needed in (Field.TICKET_ID, Field.CREATED_AT):
        if needed not in columns:
            problems.append(f"columns: {needed.value} is required")
    _check_constants(constants, channels, priorities, problems)
    nulls = _mapping_nulls(doc.get("nulls", list(DEFAULT_NULLS)), problems)
    channel_tags = _mapping_vocabulary(
        doc.get("channel_tags"), Channel, "channel_tags", problems
    )
    fixed = constants.get(Field.CHANNEL)
    if channel_tags and fixed is not None and normalise_word(fixed) != Channel.OTHER:
        problems.append(
            f"channel_tags: every ticket's channel is {fixed!r}, so tags would never "
            "decide one; fix the channel as 'other' or leave channel_tags out"
        )
    keep_last_by = doc.get("keep_last_by")
    if keep_last_by is not None and not (
        isinstance(keep_last_by, str | int) and str(keep_last_by).strip()
    ):
        problems.append(
            "keep_last_by: give the column that orders each ticket's rows "
            "(an update time or count), e.g. 'Updated At'"
        )
        keep_last_by = None
    date_format = doc.get("date_format")
    if date_format is not None and "%" not in str(date_format):
        problems.append("date_format: use strftime codes, e.g. '%d/%m/%Y %H:%M'")
    if problems:
        raise MappingError(problems)
    return SourceSpec(
        name=name,
        label=name,
        columns=columns,
        satisfaction=satisfaction,
        duration_units=units,
        timezone=str(timezone) if timezone else None,
        date_format=str(date_format) if date_format else None,
        dayfirst=bool(doc.get("dayfirst", True)),
        channels=channels,
        priorities=priorities,
        nulls=nulls,
        time_columns=time_columns,
        constants=constants,
        channel_tags=channel_tags,
        keep_last_by=header_names(str(keep_last_by)) if keep_last_by else None,
        required_columns=frozenset(
            [
                *time_columns.values(),
                *([] if not keep_last_by else header_names(str(keep_last_by))),
            ]
        ),
    )


def _special_column(
    our: Field,
    value: dict[Any, Any],
    columns: dict[Field, tuple[str, ...]],
    time_columns: dict[Field, str],
    constants: dict[Field, str],
    problems: list[str],
) -> None:
    """A column given as ``{date: ..., time: ...}`` or ``{value: ...}``."""
    if set(value) == {"date", "time"}:
        if our not in TIME_FIELDS:
            problems.append(
                f"columns: {our.value} is not a time; only "
                f"{', '.join(f.value for f in TIME_FIELDS)} take a date and a time column"
            )
        elif not all(_named(value[k]) for k in ("date", "time")):
            problems.append(f"columns: {our.value} needs a date and a time column name")
        else:
            columns[our] = header_names(str(value["date"]))
            time_columns[our] = normalise_header(str(value["time"]))
        return
    if set(value) == {"value"}:
        if our not in CONSTANT_FIELDS:
            problems.append(
                f"columns: {our.value} cannot be one value for every ticket; only "
                f"{', '.join(f.value for f in CONSTANT_FIELDS)} can"
            )
        elif not _named(value["value"]):
            problems.append(f"columns: {our.value} needs a value")
        else:
            constants[our] = str(value["value"]).strip()
        return
    problems.append(
        f"columns: {our.value} takes a column name, a list of names, "
        "{date: COLUMN, time: COLUMN} or {value: VALUE}"
    )


def _named(value: Any) -> bool:
    return isinstance(value, str | int) and bool(str(value).strip())


def _check_constants(
    constants: dict[Field, str],
    channels: dict[str, Any],
    priorities: dict[str, Any],
    problems: list[str],
) -> None:
    """A fixed channel or priority must be one we read."""
    channel = constants.get(Field.CHANNEL)
    if channel is not None and (
        normalise_word(channel) not in channels
        and normalise_word(channel) not in {c.value for c in Channel}
    ):
        problems.append(
            f"columns: channel {channel!r} is not one of "
            f"{', '.join(c.value for c in Channel)}"
        )
    priority = constants.get(Field.PRIORITY)
    if priority is not None and (
        normalise_word(priority) not in priorities
        and normalise_word(priority) not in PRIORITY_WORDS
    ):
        problems.append(
            f"columns: priority {priority!r} is not one of low, normal, high, urgent"
        )


def _mapping_nulls(value: Any, problems: list[str]) -> frozenset[str]:
    # Unquoted in YAML, NULL is read as no value and a lone ? as an empty key.
    values = [
        "null" if v is None else "?" if v == {None: None} else v
        for v in _as_list(value)
    ]
    if not all(isinstance(v, str | int | float) for v in values):
        problems.append("nulls: list the texts that mean no value, e.g. [?, NULL, N/A]")
        return frozenset()
    return frozenset(str(v).strip().casefold() for v in values if str(v).strip())


def _mapping_satisfaction(value: Any, problems: list[str]) -> Satisfaction:
    if value is None:
        return FRONTLINE.satisfaction
    if not isinstance(value, dict):
        problems.append("satisfaction: expected satisfied/unsatisfied lists or a scale")
        return FRONTLINE.satisfaction
    not_rated = frozenset(normalise_word(v) for v in _as_list(value.get("not_rated")))
    if "scale" in value:
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(value["scale"]))
        if not match or int(match.group(1)) >= int(match.group(2)):
            problems.append("satisfaction: scale must look like 1-5")
            return FRONTLINE.satisfaction
        low, high = int(match.group(1)), int(match.group(2))
        start = value.get("satisfied_from", high - 1 if high - low >= 3 else high)
        if not isinstance(start, int) or not low < start <= high:
            problems.append(f"satisfaction: satisfied_from must be within {low}-{high}")
            return FRONTLINE.satisfaction
        scale = numeric_scale(low, high, start)
        return Satisfaction(scale.satisfied, scale.unsatisfied, not_rated)
    satisfied = value.get("satisfied") or []
    unsatisfied = value.get("unsatisfied") or []
    if (
        not isinstance(satisfied, list)
        or not isinstance(unsatisfied, list)
        or not satisfied
    ):
        problems.append("satisfaction: list the satisfied (and unsatisfied) values")
        return FRONTLINE.satisfaction
    return Satisfaction(
        frozenset(normalise_word(v) for v in satisfied),
        frozenset(normalise_word(v) for v in unsatisfied),
        not_rated,
    )


def _as_list(value: Any) -> list[Any]:
    """A YAML list as it is, a single value as a list of one, nothing as an empty list."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _mapping_vocabulary(
    value: Any, kind: type[enum.StrEnum], key: str, problems: list[str]
) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key}: expected 'their value: our value' pairs")
        return {}
    allowed = {m.value for m in kind}
    out = {}
    for theirs, ours in value.items():
        if str(ours).lower() not in allowed:
            problems.append(
                f"{key}: {ours!r} is not one of {', '.join(sorted(allowed))}"
            )
            continue
        out[normalise_word(theirs)] = kind(str(ours).lower())
    return out
