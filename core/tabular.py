"""Reading uploaded CSV files and writing safe CSV exports.

Imports everywhere report bad rows the same way (:class:`RowError`, numbered as the person
sees the file: the header is row 1) and reject the whole file. Exports neutralise cells that
a spreadsheet would run as a formula. Plain functions over plain data, free of Flask: the
import rules use them, and :mod:`core.downloads` turns CSV text into a download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
#: How many row errors a report shows in full; the rest are counted.
REPORT_LIMIT = 100


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file.

    ``row`` counts lines as a spreadsheet shows them (the header is row 1).
    """

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        shown = f" {self.value!r}" if self.value else ""
        return f"{where}:{shown} {self.reason}"


@dataclass(frozen=True)
class ErrorReport:
    """The first :data:`REPORT_LIMIT` errors in full, and how many more there were."""

    shown: list[RowError]
    more: int

    @property
    def total(self) -> int:
        return len(self.shown) + self.more


def error_report(errors: Sequence[RowError], limit: int = REPORT_LIMIT) -> ErrorReport:
    ordered = sorted(errors, key=lambda e: (e.row, e.column))
    return ErrorReport(shown=list(ordered[:limit]), more=max(0, len(ordered) - limit))


#: How a record ends, by the code :func:`record_layout` gives it.
LINE_ENDS = {
    0: "",
    1: "line feed (LF)",
    2: "carriage return (CR)",
    3: "line break (CR LF)",
}
_QUOTE, _LF, _CR = 34, 10, 13
#: Bytes scanned at a time: bounds the scan's memory on large files.
_SCAN_BLOCK = 1 << 24


@dataclass(frozen=True)
class RecordLayout:
    """How many cells each record (a row, as a spreadsheet shows it) of a CSV file has.

    Index 0 is the header. ``starts`` and ``ends`` are byte offsets of each record's text
    (without its line break); ``breaks`` says how it ends (a key of :data:`LINE_ENDS`: 0
    when the file stops there without a line break). ``unclosed``: the file ends inside a
    quoted cell.
    """

    cells: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    breaks: np.ndarray
    unclosed: bool = False

    @property
    def records(self) -> int:
        return len(self.cells)

    def blank(self, data: bytes, record: int) -> bool:
        """Whether a record holds nothing but spaces and separators."""
        if self.breaks.size == 0:  # counted by the csv module, without offsets
            return bool(self.cells[record] == 0)
        text = data[int(self.starts[record]) : int(self.ends[record])]
        return not text.strip()

    def text(self, data: bytes, record: int) -> bytes:
        if self.breaks.size == 0:
            return b""
        return data[int(self.starts[record]) : int(self.ends[record])]


def record_layout(data: bytes, delimiter: str) -> RecordLayout:
    """The cells of each record of CSV ``data``, counted as a CSV reader splits them.

    Quoted cells may hold separators and line breaks; outside quotes, a CR, an LF or a
    CR LF ends a record. Counted over the bytes (UTF-8 or Windows-1252: separators, quotes
    and line breaks are single ASCII bytes in both), vectorised, in blocks. A file with a
    quote out of place (inside an unquoted cell, or text after a closing quote) is counted
    by :mod:`csv` instead, which reads such quotes as pandas' reader does.
    """
    layout = _scan(data, ord(delimiter))
    return layout if layout is not None else _layout_by_csv(data, delimiter)


def _scan(data: bytes, delimiter: int) -> RecordLayout | None:
    whole = np.frombuffer(data, dtype=np.uint8)
    first = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    size = len(whole)
    special = np.zeros(256, dtype=bool)
    special[[delimiter, _QUOTE, _LF, _CR]] = True
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(first, size, _SCAN_BLOCK):
        block = whole[start : start + _SCAN_BLOCK]
        at = np.flatnonzero(special[block])  # only the bytes that shape records
        parts.append((at + start, block[at]))
    at = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    byte = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.uint8)
    quote = byte == _QUOTE
    inside = False
    if quote.any():
        # Quotes before each byte, counted mod 2: odd means inside a quoted cell.
        parity = (np.cumsum(quote, dtype=np.uint8) - quote) & 1
        where = at[quote]
        before = np.where(where > first, whole[np.maximum(where - 1, 0)], _LF)
        after = np.where(where + 1 < size, whole[np.minimum(where + 1, size - 1)], -1)
        opening = parity[quote] == 0
        edge = np.isin(before, (delimiter, _LF, _CR, _QUOTE))
        ends_cell = np.isin(after, (delimiter, _LF, _CR, _QUOTE, -1))
        if (opening & ~edge).any() or (~opening & ~ends_cell).any():
            return None  # a quote out of place: let the csv module count
        inside = bool((parity[-1] + quote[-1]) & 1)
        keep = (parity == 0) & ~quote
        at, byte = at[keep], byte[keep]
    cr = byte == _CR
    lf_after = np.zeros(len(byte), dtype=bool)
    lf_after[:-1] = (byte[1:] == _LF) & (at[1:] == at[:-1] + 1)
    line_end = (byte == _LF) | (cr & ~lf_after)
    ends_at = at[line_end]
    separators = np.cumsum(byte == delimiter)
    before_end = separators[line_end]
    cells = np.diff(before_end, prepend=0) + 1
    kinds = np.where(byte[line_end] == _CR, 2, 1).astype(np.uint8)
    crlf = np.zeros(len(byte), dtype=bool)
    crlf[1:] = (byte[1:] == _LF) & cr[:-1] & (at[1:] == at[:-1] + 1)
    kinds[crlf[line_end]] = 3
    starts = np.concatenate(([first], ends_at + 1)).astype(np.int64)
    text_ends = ends_at - (kinds == 3)
    if starts[-1] < size:  # the last record has no line break after it
        total = int(separators[-1]) if len(separators) else 0
        done = int(before_end[-1]) if len(before_end) else 0
        cells = np.append(cells, total - done + 1)
        text_ends = np.append(text_ends, size)
        kinds = np.append(kinds, np.uint8(0))
    else:
        starts = starts[:-1]
    return RecordLayout(
        cells=cells, starts=starts, ends=text_ends, breaks=kinds, unclosed=inside
    )


def _layout_by_csv(data: bytes, delimiter: str) -> RecordLayout:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    cells = []
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True
    )
    try:
        for record in reader:
            cells.append(max(len(record), 1) if "".join(record).strip() else 0)
    except csv.Error:
        pass  # pandas' reader reports what the csv module could not read
    empty = np.zeros(0, dtype=np.int64)
    return RecordLayout(
        cells=np.array(cells, dtype=np.int64),
        starts=empty,
        ends=empty,
        breaks=np.zeros(0, dtype=np.uint8),
    )


def decode_upload(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without a BOM), else Windows-1252.

    Excel on Windows still saves "CSV" as Windows-1252; every byte decodes there, so a file
    is never refused for its encoding alone. NUL characters are dropped: no database text
    column holds them (PostgreSQL refuses them outright).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\x00", "")


def safe_cell(value: Any) -> Any:
    """A cell that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with every cell made :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return buffer.getvalue()


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as a plain-text table for a terminal: columns padded to their widest cell."""
    cells = [[str(h) for h in header]] + [
        ["" if v is None else str(v) for v in row] for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )
