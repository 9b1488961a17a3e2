"""Reading a helpdesk export (a CSV file) or an API batch into checked tickets.

PURE: pandas in, pandas out; no Flask, no database. Each source's format is a
:class:`~incentives.tickets.sources.SourceSpec`; whatever the source, the cells then go
through the one normalisation path (:mod:`incentives.tickets.normalising`), so a quirk
handled for one is handled for all.

Real exports are messy. Handled here and there: headers in any case or spacing, a
byte-order mark, Windows-1252 files, ``;`` or tab separators, Excel's ``="00123"`` cells,
quoted fields with line breaks, blank rows, blank and placeholder dates (``1900-01-01`` and
other dates before 1971 mean "not set"), day-first and month-first dates, local times
without an offset (read in the source's time zone), durations instead of timestamps
(minutes, hours or ``h:mm``, on the calendar or the business-hours clock), satisfaction as
good/bad, 1-5 or words, "Offered"/"Not Offered" meaning not rated, files with only some
optional columns, and no assignee (an unassigned ticket). Refused, each by its row: a row
with fewer or more cells than the header, a last row cut off, a row split by a stray line
break in an unquoted cell, and a date cut short (``2023-06``).

Validation is vectorised: each check runs over a whole column (or its distinct values) at
once. Errors are :class:`core.tabular.RowError`, numbered as a spreadsheet shows the file
(the header is row 1); for each check the first :data:`REPORT_LIMIT` are kept and the rest
counted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from core.tabular import (
    ErrorReport,
    RowError,
    error_report,
)
from incentives.tickets import row_shapes
from incentives.tickets.arrow_reading import read_cells
from incentives.tickets.import_notes import plural
from incentives.tickets.normalising import (
    ORDER,
    TICKET_FRAME,
    Problems,
    Reading,
    check_duplicates,
    header_of,
    keep_last_updates,
    normalise,
)
from incentives.tickets.sources import (
    FRONTLINE,
    SPECS,
    Field,
    SourceSpec,
    normalise_header,
)

#: Rows read and checked at a time; bounds memory on million-row files.
CHUNK_ROWS = 200_000
#: What a ticket's fingerprint covers: a re-import that changes none of it is "unchanged".
#: The helpdesk's SLA verdict is added only where given (:func:`fingerprints`).
FINGERPRINT_COLUMNS = [c for c in TICKET_FRAME if c not in ("agent_label", "sla_met")]


@dataclass
class ParsedTickets:
    """A file (or API batch) read and checked.

    ``tickets`` follows :data:`TICKET_FRAME`, indexed by row number; use it only when
    :attr:`ok` (no errors at all).
    """

    source: str
    tickets: pd.DataFrame
    errors: list[RowError]
    error_count: int
    rows: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def report(self) -> ErrorReport:
        """The first :data:`REPORT_LIMIT` problems in row order, and a count of the rest."""
        shown = error_report(self.errors).shown
        return ErrorReport(shown=shown, more=self.error_count - len(shown))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def empty_tickets() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TICKET_FRAME.items()})


def _rejected(spec: SourceSpec, errors: list[RowError], rows: int = 0) -> ParsedTickets:
    return ParsedTickets(spec.name, empty_tickets(), errors, len(errors), rows)


# --- reading a file ----------------------------------------------------------------------


def parse_file(
    data: bytes,
    spec: SourceSpec,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> ParsedTickets:
    """Read and check an exported CSV file.

    Every row must have as many cells as the header: a row with fewer or more, a last row
    cut off, and a row split by a line break inside an unquoted cell are each reported by
    their row, and their cells are not checked further (what is in them is misplaced).

    :param data: the file (UTF-8 with or without a BOM, or Windows-1252).
    :param spec: the source's format.
    :param tz: the organisation's time zone, for times written without an offset (unless
        the spec names its own zone).
    :param now: when given, times more than a day after it are refused: a day and month
        read the wrong way round often land in the future.
    """
    data = data.replace(b"\x00", b"")  # no text column holds NUL; PostgreSQL refuses it
    encoding = _encoding(data)
    start = data[:65536].decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(start)
    extra = row_shapes.first_row_too_long(start, delimiter)
    if extra is not None:
        return _shape_rejected(data, spec, delimiter, encoding, extra)
    try:
        parsed, whole = _read(data, spec, encoding, delimiter, tz=tz, now=now)
        if whole:
            return parsed
        broken = row_shapes.broken_rows(data, delimiter, encoding)
        if not broken.rows:  # blank lines only
            return parsed
        return _read(data, spec, encoding, delimiter, tz=tz, now=now, broken=broken)[0]
    except pd.errors.EmptyDataError:
        return _rejected(spec, [RowError(1, "", "", "the file is empty")])
    except pd.errors.ParserError as e:
        return _shape_rejected(
            data, spec, delimiter, encoding, row_shapes.parser_error(e)
        )


def _read(
    data: bytes,
    spec: SourceSpec,
    encoding: str,
    delimiter: str,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
    broken: row_shapes.BrokenRows | None = None,
) -> tuple[ParsedTickets, bool]:
    """The file read in chunks and checked; and whether every row is whole (see
    :func:`_parse_chunks`)."""
    chunks = read_cells(data, encoding, delimiter, CHUNK_ROWS)
    separators = data.count(delimiter.encode("ascii"))
    return _parse_chunks(
        chunks,
        spec,
        tz=tz,
        now=now,
        delimiter=delimiter,
        separators=separators,
        quoted=b'"' in data,
        broken=broken,
    )


def _shape_rejected(
    data: bytes, spec: SourceSpec, delimiter: str, encoding: str, fallback: RowError
) -> ParsedTickets:
    """A file pandas cannot read as a table: every row that does not line up, or what
    pandas said."""
    broken = row_shapes.broken_rows(data, delimiter, encoding)
    if not broken.rows:
        return _rejected(spec, [fallback])
    return ParsedTickets(spec.name, empty_tickets(), broken.errors, broken.total, 0)


def _encoding(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the bytes are UTF-8, else Windows-1252.

    The same rule as :func:`core.tabular.decode_upload`, but pandas decodes while it
    reads, so a large file is not held twice as text.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _sniff_delimiter(text: str) -> str:
    """Excel in many European locales saves "CSV" with semicolons; some tools use tabs."""
    # Lines may end in \r alone (Excel for Mac's "CSV (Macintosh)").
    header = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_chunks(
    chunks: Iterator[pd.DataFrame],
    spec: SourceSpec,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
    delimiter: str,
    separators: int,
    quoted: bool,
    broken: row_shapes.BrokenRows | None,
) -> tuple[ParsedTickets, bool]:
    """The tickets (or the problems) of a file read in chunks, and whether every row is
    whole.

    pandas fills the missing cells of a short row with blanks. The separators of a file
    whose rows are all whole add up: every separator is either inside a cell (pandas has
    it in the cell's text) or between two cells, ``header cells - 1`` of them a row. When
    they do not, the caller reads the file again with its ``broken`` rows left out.
    """
    problems = Problems()
    notes: list[str] = []
    reading = Reading()
    frames: list[pd.DataFrame] = []
    headers: dict[str, str] | None = None
    rows = records = inside = width = 0
    for chunk in chunks:
        if headers is None:
            raw = [str(c) for c in chunk.columns]
            width = len(raw)
            inside += _separators_in(raw, delimiter)
            named = raw
            if spec.zone_in_headers:
                named, zone = _zone_in_headers(raw)
                if zone is not None:
                    spec = replace(spec, timezone=zone)
                    notes.append(
                        f"Times are read in {zone}, the time zone the export's "
                        "headers name."
                    )
            headers = _read_headers(named, spec, problems, notes)
            if problems:
                return ParsedTickets(
                    spec.name, empty_tickets(), problems.kept, problems.total, 0
                ), True
            if broken is not None:
                problems.add(broken.errors, total=broken.total)
        records += len(chunk)
        if quoted:
            inside += sum(
                _separators_in(chunk[c].tolist(), delimiter) for c in chunk.columns
            )
        # Numbered as a spreadsheet shows the file: the header is row 1.
        chunk.index = chunk.index + 2
        chunk.columns = [normalise_header(c) for c in named]
        chunk = _drop_blank_rows(chunk, spec)
        if broken is not None and broken.rows:
            chunk = chunk.drop(index=chunk.index.intersection(list(broken.rows)))
        rows += len(chunk)
        frames.append(
            normalise(
                chunk,
                spec,
                headers,
                tz=tz,
                now=now,
                problems=problems,
                reading=reading,
            )
        )
    if headers is None:
        return _rejected(
            spec, [RowError(1, "", "", "the file has no header row")]
        ), True
    whole = separators - inside == (width - 1) * (records + 1)
    tickets, earlier = keep_last_updates(_concat(frames))
    notes.extend(reading.notes)
    if earlier:
        kept = len(tickets)
        notes.append(
            f"The file is an event log ({plural(rows, 'row', 'rows')} for "
            f"{plural(kept, 'ticket', 'tickets')}): the last update of each ticket "
            "is imported."
        )
    check_duplicates(tickets, header_of(spec, Field.TICKET_ID, headers), problems)
    if rows == 0 and not problems:
        notes.append("The file has a header row but no tickets.")
    return (
        ParsedTickets(spec.name, tickets, problems.kept, problems.total, rows, notes),
        whole,
    )


def _zone_in_headers(raw: list[str]) -> tuple[list[str], str | None]:
    """Headers such as ``Conversation started at (America/New_York)`` without the zone,
    and the zone they name (the first one, when it is a time zone we know)."""
    names, zone = [], None
    for header in raw:
        match = re.fullmatch(
            r"\s*(.*?)\s*\(([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)\)\s*", header
        )
        if match and _known_zone(match.group(2)):
            names.append(match.group(1))
            zone = zone or match.group(2)
        else:
            names.append(header)
    return names, zone


def _known_zone(name: str) -> bool:
    if "/" not in name and name not in {"UTC", "GMT"}:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _separators_in(texts: list[str], delimiter: str) -> int:
    return "\x00".join(texts).count(delimiter)


def _read_headers(
    raw: list[str], spec: SourceSpec, problems: Problems, notes: list[str]
) -> dict[str, str]:
    """Normalised header -> header as written; report missing and repeated columns."""
    headers: dict[str, str] = {}
    for original in (str(h) for h in raw):
        # pandas renames a repeated header "Group" to "Group.1"
        repeat = re.fullmatch(r"(.*)\.\d+", original)
        if repeat and normalise_header(repeat.group(1)) in headers:
            problems.add(
                [RowError(1, repeat.group(1).strip(), "", "this column appears twice")]
            )
            continue
        headers[normalise_header(original)] = original.strip().lstrip("\ufeff")
    missing = False
    for needed in sorted(spec.required):
        names = spec.columns.get(needed, ())
        if not any(n in headers for n in names):
            wanted = " or ".join(f"'{n}'" for n in names)
            problems.add(
                [RowError(1, needed.value, "", f"no {wanted} column in the header row")]
            )
            missing = True
    for name in sorted(spec.required_columns - set(headers)):
        problems.add([RowError(1, name, "", f"no '{name}' column in the header row")])
        missing = True
    if missing:
        other = looks_like(headers, besides=spec.name)
        if other is not None:
            problems.add(
                [
                    RowError(
                        1,
                        "",
                        "",
                        f"this looks like {_a(other.label)} export: choose "
                        f"{other.label} as the source (--source {other.name})",
                    )
                ]
            )
    notes.extend(dict.fromkeys(t for n, t in spec.column_notes.items() if n in headers))
    agent_names = spec.columns.get(Field.AGENT, ())
    if Field.AGENT not in spec.constants and not any(n in headers for n in agent_names):
        notes.append(
            "The file has no assignee column: every ticket is imported as unassigned "
            "(it counts for its group and the organisation, not for a rep)."
        )
    return headers


def _a(word: str) -> str:
    return f"{'an' if word[:1].upper() in 'AEIOU' else 'a'} {word}"


def looks_like(headers: Mapping[str, str], *, besides: str) -> SourceSpec | None:
    """The built-in source whose export this header is, when it says so: every column
    that source requires, and two or more that only its export has."""
    names = set(headers) | {
        normalise_header(n) for n in _zone_in_headers(list(headers.values()))[0]
    }
    best, score = None, 1
    for spec in SPECS.values():
        if spec.name == besides:
            continue
        if not all(
            any(n in names for n in spec.columns.get(f, ())) for f in spec.required
        ):
            continue
        found = len(spec.signature & names)
        if found > score:
            best, score = spec, found
    return best


def _drop_blank_rows(chunk: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Rows with nothing in any cell are skipped (they keep their numbers)."""
    id_column = next(
        (n for n in spec.columns[Field.TICKET_ID] if n in chunk.columns),
        chunk.columns[0],
    )
    candidates = chunk[id_column] == ""
    if not candidates.any():
        return chunk
    blank = (chunk[candidates].apply(lambda col: col.str.strip()) == "").all(axis=1)
    return chunk.drop(index=blank[blank].index)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return empty_tickets()
    if len(frames) == 1:
        return frames[0]
    columns = {}
    if ORDER in frames[0].columns:
        columns[ORDER] = pd.concat([f[ORDER] for f in frames])
    for column, dtype in TICKET_FRAME.items():
        parts = [f[column] for f in frames]
        if dtype == "category":
            columns[column] = pd.Series(
                union_categoricals([p.array for p in parts]),
                index=frames[0].index.append([f.index for f in frames[1:]]),
            )
        else:
            columns[column] = pd.concat(parts)
    return pd.DataFrame(columns)


# --- records from the API ----------------------------------------------------------------


def parse_records(
    records: Sequence[Any],
    spec: SourceSpec = FRONTLINE,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> ParsedTickets:
    """Check a JSON batch of tickets written with Frontline's CSV field names.

    ``row`` in the errors is the ticket's position in the batch, counting from 1.
    """
    problems = Problems()
    known = {name for names in spec.columns.values() for name in names}
    cleaned: list[dict[str, str]] = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.add(
                [RowError(position, "", "", "each ticket must be a JSON object")]
            )
            cleaned.append({})
            continue
        unknown = sorted(str(k) for k in record if normalise_header(k) not in known)
        if unknown:
            problems.add([RowError(position, unknown[0], "", "not a ticket field")])
        cleaned.append(
            {normalise_header(k): _record_text(v) for k, v in record.items()}
        )
    if problems:
        return ParsedTickets(
            spec.name, empty_tickets(), problems.kept, problems.total, len(records)
        )
    # Like a file's header: the fields some ticket in the batch has (and the required ones).
    seen = {key for record in cleaned for key in record} & known
    required = {spec.columns[f][0] for f in spec.required}
    names = sorted(seen | required)
    raw = pd.DataFrame(
        [[record.get(name, "") for name in names] for record in cleaned],
        columns=names,
        dtype=object,
    )
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    headers = {name: name.replace(" ", "_") for name in names}
    tickets = normalise(raw, spec, headers, tz=tz, now=now, problems=problems)
    check_duplicates(tickets, "ticket_id", problems)
    return ParsedTickets(spec.name, tickets, problems.kept, problems.total, len(raw))


def _record_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


# --- fingerprints ------------------------------------------------------------------------


def fingerprints(tickets: pd.DataFrame) -> pd.Series:
    """A 64-bit fingerprint of each ticket's content (:data:`FINGERPRINT_COLUMNS`).

    A re-imported ticket with the same fingerprint is unchanged and is not written again.
    A ticket without an SLA verdict keeps the fingerprint it had before verdicts were read.
    """
    hashed = pd.util.hash_pandas_object(tickets[FINGERPRINT_COLUMNS], index=False)
    given = tickets["sla_met"].notna()
    if given.any():
        with_verdict = pd.DataFrame({"h": hashed, "sla_met": tickets["sla_met"]})
        hashed = hashed.where(
            ~given, pd.util.hash_pandas_object(with_verdict, index=False)
        )
    return pd.Series(hashed.to_numpy().view(np.int64), index=tickets.index)
