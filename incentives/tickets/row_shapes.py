"""A CSV file's rows that do not line up with its header: fewer or more cells than the
header, a line break inside a cell, a cut last line, named by row and cell.

PURE: no Flask, no database. pandas' parser pads short rows and stops at long ones without
saying which; these functions read the bytes again to say it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np

from core.tabular import LINE_ENDS, REPORT_LIMIT, RowError, record_layout


@dataclass(frozen=True)
class BrokenRows:
    """Rows whose cells do not line up with the header: the first problems in full, how
    many there are, and every such row's number."""

    errors: list[RowError]
    total: int
    rows: frozenset[int]


NO_BROKEN_ROWS = BrokenRows([], 0, frozenset())
#: A row split by line breaks is looked for over at most this many lines.
MAX_PARTS = 5


def broken_rows(data: bytes, delimiter: str, encoding: str) -> BrokenRows:
    """Rows with fewer or more cells than the header, from the file's bytes.

    pandas fills a short row's missing cells with blanks, so its cells alone cannot say
    which rows were short; this counts each row's cells as written
    (:func:`core.tabular.record_layout`). Runs only when the cheap check in
    :func:`_parse_chunks` finds the file's separators do not add up.
    """
    layout = record_layout(data, delimiter)
    if layout.records < 2 or layout.unclosed:  # pandas names an unclosed quote
        return NO_BROKEN_ROWS
    cells = layout.cells
    wanted = int(cells[0])
    odd = np.flatnonzero(cells != wanted)
    odd = odd[odd > 0]
    text_encoding = "utf-8" if encoding == "utf-8-sig" else encoding

    def blank(record: int) -> bool:
        if layout.breaks.size == 0:
            return layout.blank(data, record)
        text = layout.text(data, record)
        return not text.replace(delimiter.encode(), b"").replace(b'"', b"").strip()

    def tail(record: int) -> str:
        text = layout.text(data, record).decode(text_encoding, errors="replace")
        return text if len(text) <= 30 else "…" + text[-29:]

    def ended_by(record: int) -> str:
        kind = int(layout.breaks[record]) if layout.breaks.size else 0
        return LINE_ENDS[kind] or "line break"

    errors: dict[int, RowError] = {}
    rows: set[int] = set()
    for record in (int(r) for r in odd):
        if record + 1 in rows or blank(record):
            continue
        count = int(cells[record])
        row = record + 1
        if len(errors) >= 5 * REPORT_LIMIT:
            rows.add(row)
            continue
        if count > wanted:
            reason = (
                f"this row has {count} cells but the header has {wanted} "
                "(a separator or quote out of place?)"
            )  # more than one cell, always
            errors[row] = RowError(row, "", "", reason)
            rows.add(row)
            continue
        parts = _split_row(cells, layout.breaks, record, wanted)
        if parts is not None:
            first, last = parts
            errors[first + 1] = RowError(
                first + 1,
                "",
                tail(first),
                f"a {ended_by(first)} inside a cell splits this row over rows "
                f"{first + 1} to {last + 1} (put that cell in double quotes, or "
                "remove the line break)",
            )
            rows.add(first + 1)
            for part in range(first + 1, last + 1):
                errors[part + 1] = RowError(
                    part + 1,
                    "",
                    "",
                    f"the rest of row {first + 1}, split off by a "
                    f"{ended_by(part - 1)} inside a cell",
                )
                rows.add(part + 1)
            continue
        cut = record == layout.records - 1 and (
            layout.breaks.size == 0 or int(layout.breaks[record]) == 0
        )
        cells_written = f"{count} cell{'' if count == 1 else 's'}"
        reason = (
            f"the file ends in the middle of this row: it has {cells_written} of the "
            f"header's {wanted} (was the file cut off?)"
            if cut
            else f"this row has {cells_written} but the header has {wanted} "
            "(a cell left out?)"
        )
        errors[row] = RowError(row, "", "", reason)
        rows.add(row)
    shown = sorted(errors.values(), key=lambda e: e.row)
    return BrokenRows(shown, len(rows), frozenset(rows))


def _split_row(
    cells: np.ndarray, breaks: np.ndarray, record: int, wanted: int
) -> tuple[int, int] | None:
    """The records (first, last) a row was split into by line breaks inside a cell: the
    parts' cells add up to the header's (each break turns one cell into two)."""
    # A break in a row's last cell leaves a whole row, then a line of one cell; one in
    # its first cell, a line of one cell, then a whole line. When both could be, the line
    # ending that differs from the header's is the one inside a cell.
    if int(cells[record]) == 1 and record > 1 and int(cells[record - 1]) == wanted:
        stray_after = breaks.size and breaks[record] != breaks[0]
        stray_before = breaks.size and breaks[record - 1] != breaks[0]
        whole_next = record + 1 < len(cells) and int(cells[record + 1]) == wanted
        if not (stray_after and not stray_before and whole_next):
            return record - 1, record
    total, last = int(cells[record]), record
    while total < wanted and last + 1 < len(cells) and last - record < MAX_PARTS:
        following = int(cells[last + 1])
        # A whole line goes on only a row broken in its first cell (a line of one cell).
        if following > wanted or (following == wanted and total != 1):
            break
        last += 1
        total += following - 1
    if total == wanted and last > record:
        return record, last
    return None


def first_row_too_long(start: str, delimiter: str) -> RowError | None:
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


def parser_error(error: Exception) -> RowError:
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
