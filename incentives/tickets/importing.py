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
optional columns, and no assignee (an unassigned ticket).

Validation is vectorised: each check runs over a whole column (or its distinct values) at
once. Errors are :class:`core.tabular.RowError`, numbered as a spreadsheet shows the file
(the header is row 1); for each check the first :data:`REPORT_LIMIT` are kept and the rest
counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from core.tabular import ErrorReport, RowError, error_report
from incentives.tickets.metrics import month_label
from incentives.tickets.normalising import (
    TICKET_FRAME,
    Problems,
    check_duplicates,
    header_of,
    normalise,
)
from incentives.tickets.sources import FRONTLINE, Field, SourceSpec, normalise_header

#: Rows read and checked at a time; bounds memory on million-row files.
CHUNK_ROWS = 200_000
#: What a ticket's fingerprint covers: a re-import that changes none of it is "unchanged".
FINGERPRINT_COLUMNS = [c for c in TICKET_FRAME if c != "agent_label"]


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
    extra = _first_row_too_long(start, delimiter)
    if extra is not None:
        return _rejected(spec, [extra])
    try:
        chunks = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            sep=delimiter,
            index_col=False,
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            # Bytes Windows-1252 leaves undefined (0x81, 0x8d...) become U+FFFD, not a crash.
            encoding_errors="replace",
            chunksize=CHUNK_ROWS,
            engine="c",
        )
        return _parse_chunks(chunks, spec, tz=tz, now=now)
    except pd.errors.EmptyDataError:
        return _rejected(spec, [RowError(1, "", "", "the file is empty")])
    except pd.errors.ParserError as e:
        return _rejected(spec, [_parser_error(e)])


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


def _first_row_too_long(start: str, delimiter: str) -> RowError | None:
    """pandas reads extra cells in the first row as an index; catch that row ourselves."""
    text = io.StringIO(start.lstrip("\ufeff"), newline="")  # any line ending, as pandas
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
        first = next(reader)
    except (StopIteration, csv.Error):
        return None
    if len(first) > len(header):
        return RowError(
            2,
            "",
            "",
            f"this line has {len(first)} cells but the header has {len(header)} "
            "(a separator or quote out of place?)",
        )
    return None


def _parser_error(error: Exception) -> RowError:
    message = str(error)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, line, saw = match.groups()
        return RowError(
            int(line),
            "",
            "",
            f"this line has {saw} cells but the header has {expected} "
            "(a separator or quote out of place?)",
        )
    line_match = re.search(r"line (\d+)", message)
    if "EOF" in message:
        return RowError(
            int(line_match.group(1)) if line_match else 1,
            "",
            "",
            "a quoted cell is never closed (a stray double quote?)",
        )
    return RowError(1, "", "", f"the file cannot be read as CSV ({message[:160]})")


def _parse_chunks(
    chunks: Iterator[pd.DataFrame],
    spec: SourceSpec,
    *,
    tz: ZoneInfo,
    now: dt.datetime | None,
) -> ParsedTickets:
    problems = Problems()
    notes: list[str] = []
    frames: list[pd.DataFrame] = []
    headers: dict[str, str] | None = None
    rows = 0
    for chunk in chunks:
        if headers is None:
            headers = _read_headers(list(chunk.columns), spec, problems, notes)
            if problems:
                return ParsedTickets(
                    spec.name, empty_tickets(), problems.kept, problems.total, 0
                )
        # Numbered as a spreadsheet shows the file: the header is row 1.
        chunk.index = chunk.index + 2
        chunk.columns = [normalise_header(c) for c in chunk.columns]
        chunk = _drop_blank_rows(chunk, spec)
        rows += len(chunk)
        frames.append(
            normalise(chunk, spec, headers, tz=tz, now=now, problems=problems)
        )
    if headers is None:
        return _rejected(spec, [RowError(1, "", "", "the file has no header row")])
    tickets = _concat(frames)
    check_duplicates(tickets, header_of(spec, Field.TICKET_ID, headers), problems)
    if rows == 0:
        notes.append("The file has a header row but no tickets.")
    return ParsedTickets(spec.name, tickets, problems.kept, problems.total, rows, notes)


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
    for needed in sorted(spec.required):
        names = spec.columns.get(needed, ())
        if not any(n in headers for n in names):
            wanted = " or ".join(f"'{n}'" for n in names)
            problems.add(
                [RowError(1, needed.value, "", f"no {wanted} column in the header row")]
            )
    agent_names = spec.columns.get(Field.AGENT, ())
    if not any(n in headers for n in agent_names):
        notes.append(
            "The file has no assignee column: every ticket is imported as unassigned "
            "(it counts for its group and the organisation, not for a rep)."
        )
    return headers


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
    """
    hashed = pd.util.hash_pandas_object(tickets[FINGERPRINT_COLUMNS], index=False)
    return pd.Series(hashed.to_numpy().view(np.int64), index=tickets.index)


def closed_month_notes(counts: Mapping[str, int]) -> list[str]:
    """What an import says of its tickets that fall in closed months."""
    notes = []
    for month, count in sorted(counts.items()):
        tickets, fall = ("ticket", "falls") if count == 1 else ("tickets", "fall")
        notes.append(
            f"{count} {tickets} of this import {fall} in {month_label(month)}, "
            "which is closed: its scores and payouts are unchanged (reopen the month "
            "to take them in)."
        )
    return notes
