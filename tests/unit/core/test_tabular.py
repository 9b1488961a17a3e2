"""CSV helpers: encodings, formula-safe exports, error reports."""

from __future__ import annotations

import csv
import io

import pytest

from core.tabular import RowError, csv_text, decode_upload, error_report, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
        (42, 42),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_cells_that_would_run_as_formulas_are_made_text(value, expected) -> None:
    assert safe_cell(value) == expected


def test_csv_text_is_safe_and_round_trips() -> None:
    text = csv_text(["name", "note"], [["=1+1", 'a, "quoted"\nline'], ["Bo", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "note"], ["'=1+1", 'a, "quoted"\nline'], ["Bo", ""]]


def test_decode_upload_handles_bom_and_windows_1252() -> None:
    assert decode_upload("\ufeffname\nZoë".encode()) == "name\nZoë"
    assert decode_upload("name\nZoë".encode("cp1252")) == "name\nZoë"


def test_error_report_shows_the_first_hundred_and_counts_the_rest() -> None:
    errors = [
        RowError(row=n, column="email", value="x", reason="bad")
        for n in range(250, 0, -1)
    ]
    report = error_report(errors)
    assert [e.row for e in report.shown[:3]] == [1, 2, 3]
    assert len(report.shown) == 100
    assert report.more == 150
    assert report.total == 250
    assert str(errors[-1]) == "row 1, email: 'x' bad"
