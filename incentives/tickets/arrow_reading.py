"""Reading an export's cells: pyarrow's CSV reader where it reads the file exactly as
pandas' C parser would, the C parser for the rest.

PURE: bytes in, frames of text out; no Flask, no database. Both readers give the same
frames: every cell as text (pandas' ``str`` dtype), blank cells as ``""``, rows numbered
from 0 across chunks, columns named as pandas names them (a repeated ``Group`` becomes
``Group.1``). :mod:`incentives.tickets.importing` checks them, whichever read them.

pyarrow reads a large file several times faster (on all cores, and without a Python string
per cell), but it is used only where it cannot differ from the C parser: a UTF-8 file whose
header is one line, whose rows all have the header's number of cells (no row cut short or
split by a stray line break; a blank line reads as a row of blank cells in both) and whose
cells do not start with a space (pandas drops spaces after a separator). Anything else --
Windows-1252, a ragged or broken row, an unclosed quote -- goes to the C parser, which is
what reports such rows by number.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

#: A header (or a cell) pandas would read differently: spaces it drops, a line break.
_UNSAFE_HEADER = re.compile(r"[\r\n]|^ ")


def read_cells(
    data: bytes, encoding: str, delimiter: str, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The file's rows, ``chunk_rows`` at a time.

    Raises what pandas raises (:class:`pandas.errors.EmptyDataError`,
    :class:`pandas.errors.ParserError`) for a file it cannot read as a table, possibly
    only once the chunks are read.
    """
    frames = arrow_cells(data, encoding, delimiter, chunk_rows)
    if frames is not None:
        return iter(frames)
    return pandas_cells(data, encoding, delimiter, chunk_rows)


def pandas_cells(
    data: bytes, encoding: str, delimiter: str, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The file read by pandas' C parser (reads any file pandas can)."""
    chunks = pd.read_csv(
        io.BytesIO(data),
        chunksize=chunk_rows,
        engine="c",
        **_pandas_options(encoding, delimiter),
    )
    for chunk in chunks:
        yield chunk.astype("str")


def _pandas_options(encoding: str, delimiter: str) -> dict[str, object]:
    return {
        "encoding": encoding,
        "sep": delimiter,
        "index_col": False,
        "dtype": object,
        "na_filter": False,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "skipinitialspace": True,
        # Bytes Windows-1252 leaves undefined (0x81, 0x8d...) become U+FFFD, not a crash.
        "encoding_errors": "replace",
    }


def arrow_cells(
    data: bytes, encoding: str, delimiter: str, chunk_rows: int
) -> list[pd.DataFrame] | None:
    """The file read by pyarrow, or None when pyarrow could read it otherwise than pandas
    (then the C parser must)."""
    if encoding != "utf-8-sig":
        return None
    try:
        header = pd.read_csv(
            io.BytesIO(data),
            nrows=0,
            engine="c",
            **_pandas_options(encoding, delimiter),
        ).columns
    except ValueError:  # pandas' own errors; the C parser reports them
        return None
    if len(header) == 0 or any(_UNSAFE_HEADER.search(str(h)) for h in header):
        return None
    positions = [f"c{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=positions),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(positions, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (
        pa.ArrowException,
        ValueError,
    ):  # a row pyarrow cannot read: pandas says which
        return None
    if any(pc.any(pc.starts_with(column, " ")).as_py() for column in table.columns):
        return None
    frames = []
    for start in range(0, max(table.num_rows, 1), chunk_rows):
        part = table.slice(start, chunk_rows)
        frame = pd.DataFrame(
            {i: pd.Series(column, dtype="str") for i, column in enumerate(part.columns)}
        )
        frame.columns = header
        frame.index = pd.RangeIndex(start, start + part.num_rows)
        frames.append(frame)
    return frames
