"""CSV helpers: encodings, formula-safe exports, error reports."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.tabular import (
    LINE_ENDS,
    RowError,
    csv_text,
    decode_upload,
    error_report,
    record_layout,
    safe_cell,
)


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


# --- counting each record's cells --------------------------------------------------------

_CELLS = st.lists(st.text(alphabet='ab ,;"\r\n', max_size=4), min_size=1, max_size=5)


@given(
    st.lists(_CELLS, min_size=1, max_size=6),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.booleans(),
    st.booleans(),
)
def test_each_record_has_the_cells_a_csv_reader_finds(
    rows: list[list[str]], newline: str, quote_all: bool, bom: bool
) -> None:
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(buffer, lineterminator=newline, quoting=quoting).writerows(rows)
    data = (("\ufeff" if bom else "") + buffer.getvalue()).encode()
    expected = [
        len(r)
        for r in csv.reader(
            io.StringIO(buffer.getvalue(), newline=""), skipinitialspace=True
        )
    ]
    layout = record_layout(data, ",")
    assert layout.records == len(expected)
    counted = [
        0 if layout.blank(data, i) and n == 0 else int(c)
        for i, (c, n) in enumerate(zip(layout.cells, expected, strict=True))
    ]
    assert counted == expected


@pytest.mark.parametrize(
    ("data", "cells", "breaks"),
    [
        (b"a,b\r\n1,2\r\n", [2, 2], [3, 3]),
        (b"a,b\n1,2", [2, 2], [1, 0]),
        (b"a,b\r1\r2,3\n", [2, 1, 2], [2, 2, 1]),
        (b'a,b\n"1,\r\n2",3\n', [2, 2], [1, 1]),
        (b'\xef\xbb\xbf"a","b"\n"x""y",z\n', [2, 2], [1, 1]),
        (b'a,b\n5" screen,x\n', [2, 2], []),  # a stray quote: counted by csv
    ],
)
def test_records_are_counted_with_how_each_ends(
    data: bytes, cells: list[int], breaks: list[int]
) -> None:
    layout = record_layout(data, ",")
    assert layout.cells.tolist() == cells
    assert layout.breaks.tolist() == breaks
    assert LINE_ENDS[3] == "line break (CR LF)"


def test_a_file_ending_inside_a_quoted_cell_is_marked() -> None:
    assert record_layout(b'a,b\n1,"2\n', ",").unclosed
    assert not record_layout(b'a,b\n1,"2"\n', ",").unclosed
