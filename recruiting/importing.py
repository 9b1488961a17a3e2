"""Reading a candidates CSV into checked rows, or row-numbered errors (no database).

Columns (header names are case-insensitive; only ``name`` and ``email`` are required):
``name, email, phone, source, notes, consent_date`` (``consent_date`` as YYYY-MM-DD).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from core.tabular import RowError

COLUMNS = ("name", "email", "phone", "source", "notes", "consent_date")
REQUIRED = ("name", "email")
#: Header spellings people use for our columns.
ALIASES = {
    "full name": "name",
    "full_name": "name",
    "e-mail": "email",
    "email address": "email",
    "telephone": "phone",
    "phone number": "phone",
    "consent": "consent_date",
    "consent date": "consent_date",
}
LIMITS = {"name": 120, "email": 254, "phone": 40, "source": 80, "notes": 2000}
MAX_ROWS = 5000


@dataclass(frozen=True)
class CandidateRow:
    """One good row; ``row`` is its line number as a spreadsheet shows it."""

    row: int
    name: str
    email: str
    phone: str | None = None
    source: str | None = None
    notes: str | None = None
    consent_on: dt.date | None = None


def check_email(value: str) -> str | None:
    """The e-mail, normalized to lower case, or ``None`` when it is not an address."""
    try:
        return validate_email(
            value.strip(), check_deliverability=False
        ).normalized.lower()
    except EmailNotValidError:
        return None


def parse_candidates(text: str) -> tuple[list[CandidateRow], list[RowError]]:
    """Check every row of a candidates CSV.

    :return: the good rows and every problem found; the caller imports nothing unless
        the problem list is empty.
    """
    # newline="": lines may end in \r\n, \n or \r alone (older Mac spreadsheets).
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader)
    except csv.Error as e:
        # A cell over the csv module's size limit, or a stray quote at the end of the file.
        return [], [
            RowError(max(reader.line_num, 1), "", "", f"Cannot read this line: {e}.")
        ]


def _parse(reader: Any) -> tuple[list[CandidateRow], list[RowError]]:
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        return [], [
            RowError(
                1, "", "", "The file is empty; the first row must name the columns."
            )
        ]
    columns = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    errors = [
        RowError(1, name, name, f"Unknown column; use {', '.join(COLUMNS)}.")
        for name in columns
        if name not in COLUMNS
    ]
    errors += [
        RowError(1, name, "", "A required column is missing.")
        for name in REQUIRED
        if name not in columns
    ]
    repeated = {name for name in columns if columns.count(name) > 1}
    errors += [
        RowError(1, name, name, "This column appears twice.") for name in repeated
    ]
    if errors:
        return [], errors
    rows: list[CandidateRow] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(
                RowError(number, "", "", f"Import at most {MAX_ROWS} rows at a time.")
            )
            break
        row, row_errors = _row(number, columns, cells)
        errors += row_errors
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(2, "", "", "The file has a header but no candidates."))
    return rows, errors


def _row(
    number: int, columns: list[str], cells: list[str]
) -> tuple[CandidateRow | None, list[RowError]]:
    if len(cells) > len(columns):
        return None, [
            RowError(
                number,
                "",
                "",
                f"{len(cells)} cells, but the header names {len(columns)}.",
            )
        ]
    values = {
        c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns)
    }
    errors = []
    for name in REQUIRED:
        if not values.get(name):
            errors.append(RowError(number, name, "", "Required."))
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors.append(
                RowError(
                    number,
                    name,
                    values[name][:40] + "…",
                    f"Longer than {limit} characters.",
                )
            )
    email = check_email(values["email"]) if values.get("email") else None
    if values.get("email") and email is None:
        errors.append(
            RowError(number, "email", values["email"], "Not a valid e-mail address.")
        )
    consent_on = None
    if values.get("consent_date"):
        try:
            consent_on = dt.date.fromisoformat(values["consent_date"])
        except ValueError:
            errors.append(
                RowError(
                    number,
                    "consent_date",
                    values["consent_date"],
                    "Use a date like 2026-03-31.",
                )
            )
    if errors:
        return None, errors
    return (
        CandidateRow(
            row=number,
            name=values["name"],
            email=email or "",
            phone=values.get("phone") or None,
            source=values.get("source") or None,
            notes=values.get("notes") or None,
            consent_on=consent_on,
        ),
        [],
    )
