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
