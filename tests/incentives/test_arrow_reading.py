"""pyarrow and pandas' C parser read every file alike: the same cells, the same tickets,
the same problems on the same rows.

Each awkward file is read both ways: the cells each reader gives (when pyarrow takes the
file at all), then the whole check with pyarrow allowed and with the C parser alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from incentives.tickets import arrow_reading, importing
from incentives.tickets.importing import parse_file
from incentives.tickets.sources import FRONTLINE, SPECS, Source, SourceSpec

DATA = Path(__file__).parent / "data"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)
HEADER = "ticket_id,channel,agent_email,priority,created_at,solved_at,csat,tags"
ROW = "T{n},email,ann@example.com,normal,2024-03-0{d}T08:00:00Z,2024-03-0{d}T09:00:00Z,{c},"


def rows(count: int, sep: str = ",", end: str = "\n") -> str:
    lines = [HEADER.replace(",", sep)]
    lines += [
        ROW.format(n=n, d=n % 9 + 1, c=n % 5 + 1).replace(",", sep)
        for n in range(count)
    ]
    return end.join(lines) + end


#: Files pyarrow reads, as the C parser would.
ARROW_READS: dict[str, bytes] = {
    "plain": rows(5).encode(),
    "byte-order mark": b"\xef\xbb\xbf" + rows(4).encode(),
    "semicolons": rows(4, ";").encode(),
    "tabs": rows(3, "\t").encode(),
    "Windows line ends": rows(4, end="\r\n").encode(),
    "Mac line ends": rows(4, end="\r").encode(),
    "no line break at the end": rows(3).rstrip("\n").encode(),
    "quoted line breaks": (
        HEADER + ",subject\nT1,email,ann@example.com,normal,2024-03-01 08:00,"
        '2024-03-01 09:00,5,,"first line\nsecond, line"\n'
        'T2,chat,,low,2024-03-02 08:00,,,"a, b","line\r\nbreak"\n'
    ).encode(),
    "Excel cells": (
        HEADER + '\n="00123",email,ann@example.com,normal,2024-03-01T08:00:00Z,,="4",\n'
        '="00124",phone,bo@example.com,high,2024-03-02T08:00:00Z,,,"say ""hi"""\n'
    ).encode(),
    "trailing blank columns": (
        HEADER + ",,\n" + "\n".join(ROW.format(n=n, d=2, c=3) + ",," for n in range(3))
    ).encode(),
    "a row of empty cells": (
        rows(2) + ",,,,,,,\n" + ROW.format(n=9, d=3, c=1) + "\n"
    ).encode(),
    "blank lines": (rows(2) + "\n\n" + ROW.format(n=7, d=5, c=4) + "\n").encode(),
    "header only": (HEADER + "\n").encode(),
    "missing column": b"ticket_id,channel\nT1,email\n",
    "duplicate ids": (rows(2) + ROW.format(n=0, d=4, c=2) + "\n").encode(),
    "bad cells": (
        HEADER + "\nT1,fax,ann@example.com,normal,2024-03,2024-03-01T09:00:00Z,9,\n"
        "T2,email,,soon,yesterday,,,\n"
    ).encode(),
    "repeated header": (
        HEADER + ",channel\n" + ROW.format(n=1, d=1, c=1) + ",chat\n"
    ).encode(),
    "quote inside a cell": (
        HEADER + '\nT1,email,,normal,2024-03-01T08:00:00Z,,,size 5"\n'
    ).encode(),
    "UTF-8 text": (
        HEADER + "\nT1,email,zoë@example.com,normal,2024-03-01,,,café\n"
    ).encode(),
}

#: Files only the C parser reads, each for its own reason.
PANDAS_READS: dict[str, bytes] = {
    "Windows-1252": (
        HEADER + "\nT1,email,zoë@example.com,normal,2024-03-01,,,café\n"
    ).encode("cp1252"),
    "last line cut": (rows(3) + "T9,email,ann@exa").encode(),
    "too few cells": (
        rows(2) + "T8,email,ann@example.com\n" + ROW.format(n=9, d=1, c=1) + "\n"
    ).encode(),
    "too many cells": (rows(3) + ROW.format(n=8, d=1, c=1) + ",extra,more\n").encode(),
    "first row too long": (HEADER + "\n" + ROW.format(n=1, d=1, c=1) + ",x\n").encode(),
    "bare CR in a cell": (
        rows(2) + "T7,email,ann@example.com,normal,2024-03-01T08:00:00Z,2024-03-01"
        "T09:00:00Z,4,split\rtag\n" + ROW.format(n=8, d=2, c=2) + "\n"
    ).encode(),
    "spaces after separators": (
        HEADER + '\nT1, email, "ann@example.com",normal,2024-03-01T08:00:00Z,,,\n'
    ).encode(),
    "unclosed quote": (rows(2) + 'T5,email,"ann@example.com,normal\n').encode(),
    "empty": b"",
    "only blank lines": b"\n\n\n",
}

EXPORTS = sorted((DATA / "exports").glob("*.csv"))


def export_spec(path: Path) -> SourceSpec:
    name = path.stem.removesuffix("_event_log")
    return SPECS[Source(name)]


def cells_both_ways(data: bytes, chunk_rows: int = 2):
    encoding = importing._encoding(data)
    delimiter = importing._sniff_delimiter(data[:65536].decode(encoding, "replace"))
    arrow = arrow_reading.arrow_cells(data, encoding, delimiter, chunk_rows)
    pandas = list(arrow_reading.pandas_cells(data, encoding, delimiter, chunk_rows))
    return arrow, pandas


def parsed_both_ways(
    data: bytes, spec: SourceSpec, monkeypatch: pytest.MonkeyPatch
) -> tuple[importing.ParsedTickets, importing.ParsedTickets, list[str]]:
    """The file checked with pyarrow allowed, then with the C parser alone; and which
    reader the first used."""
    used: list[str] = []
    arrow_cells = arrow_reading.arrow_cells

    def watched(*args):
        frames = arrow_cells(*args)
        used.append("pandas" if frames is None else "arrow")
        return frames

    with monkeypatch.context() as m:
        m.setattr(arrow_reading, "arrow_cells", watched)
        with_arrow = parse_file(data, spec, tz=UTC, now=NOW)
    with monkeypatch.context() as m:
        m.setattr(arrow_reading, "arrow_cells", lambda *args: None)
        pandas_only = parse_file(data, spec, tz=UTC, now=NOW)
    return with_arrow, pandas_only, used


def assert_same(a: importing.ParsedTickets, b: importing.ParsedTickets) -> None:
    assert a.errors == b.errors
    assert (a.error_count, a.rows, a.notes, a.source) == (
        b.error_count,
        b.rows,
        b.notes,
        b.source,
    )
    pd.testing.assert_frame_equal(a.tickets, b.tickets)


@pytest.mark.parametrize("name", list(ARROW_READS))
def test_pyarrow_reads_the_cells_the_c_parser_reads(name: str) -> None:
    arrow, pandas = cells_both_ways(ARROW_READS[name])
    assert arrow is not None, "pyarrow should read this file"
    assert len(arrow) == len(pandas)
    for ours, theirs in zip(arrow, pandas, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("name", list(ARROW_READS))
def test_awkward_files_give_the_same_tickets_and_problems(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_arrow, pandas_only, used = parsed_both_ways(
        ARROW_READS[name], FRONTLINE, monkeypatch
    )
    assert used == ["arrow"]
    assert_same(with_arrow, pandas_only)


@pytest.mark.parametrize("name", list(PANDAS_READS))
def test_files_pyarrow_could_read_otherwise_go_to_the_c_parser(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = PANDAS_READS[name]
    with_arrow, pandas_only, used = parsed_both_ways(data, FRONTLINE, monkeypatch)
    assert set(used) <= {"pandas"}
    assert_same(with_arrow, pandas_only)


def test_broken_rows_keep_their_row_numbered_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed, _, _ = parsed_both_ways(
        PANDAS_READS["too few cells"], FRONTLINE, monkeypatch
    )
    assert [(e.row, e.reason) for e in parsed.errors] == [
        (4, "this row has 3 cells but the header has 8 (a cell left out?)")
    ]
    cut, _, _ = parsed_both_ways(PANDAS_READS["last line cut"], FRONTLINE, monkeypatch)
    assert [e.row for e in cut.errors] == [5]
    assert "the file ends in the middle of this row" in cut.errors[0].reason


@pytest.mark.parametrize("path", EXPORTS, ids=[p.stem for p in EXPORTS])
def test_shipped_exports_read_alike(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_arrow, pandas_only, used = parsed_both_ways(
        path.read_bytes(), export_spec(path), monkeypatch
    )
    assert used == ["arrow"]
    assert_same(with_arrow, pandas_only)
    assert with_arrow.rows > 0


@pytest.mark.parametrize(
    "name",
    [
        "frontline_tickets.csv",
        "frontline_excel_resaved.csv",
        "frontline_bad_rows.csv",
        "zendesk_export.csv",
        "freshdesk_export.csv",
        "zendesk_no_assignee.csv",
    ],
)
def test_example_files_read_alike(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SPECS[Source(name.split("_")[0])]
    with_arrow, pandas_only, _ = parsed_both_ways(
        (DATA / name).read_bytes(), spec, monkeypatch
    )
    assert_same(with_arrow, pandas_only)


def test_chunks_number_rows_across_the_file() -> None:
    arrow, pandas = cells_both_ways(rows(7).encode(), chunk_rows=3)
    assert arrow is not None
    assert [list(f.index) for f in arrow] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [list(f.index) for f in pandas] == [[0, 1, 2], [3, 4, 5], [6]]
