"""DataFrames and Series as plain JSON data, and back, with their dtypes.

PURE: pandas and numpy only. Used to keep computed figures in the database without pickle:
a frame becomes ``{"index": ..., "columns": ..., "data": [...]}`` where each column carries
its dtype and its values as a JSON-ready list, so that :func:`frame_from_data` gives back a
frame equal to the original (``pandas.testing.assert_frame_equal``): same dtypes, same
index and column labels, NaN where there was NaN and ``None`` where there was ``None``.

Missing values are ``null`` in typed columns (float, nullable integer, string); in object
columns, where ``None`` and NaN differ, a float that is not finite is written as
``{"float": "nan"}`` (or ``"inf"``, ``"-inf"``), which strict JSON (PostgreSQL's) accepts.

Supported: numeric, boolean and string dtypes (numpy or pandas' nullable ones) and object
columns holding ``None``, strings, booleans, integers and floats. Anything else (dates,
categories, a MultiIndex) raises :class:`ValueError` rather than come back different.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

#: Bumped when the layout changes; data of another format is not read.
FORMAT = 1

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def frame_to_data(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as JSON-ready data (see the module's docstring)."""
    if frame.attrs:
        raise ValueError("frames with attrs are not supported")
    return {
        "format": FORMAT,
        "index": _index_to_data(frame.index),
        "columns": _index_to_data(frame.columns),
        "data": [_values_to_data(frame.iloc[:, i]) for i in range(frame.shape[1])],
    }


def frame_from_data(data: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`frame_to_data` was given."""
    _check_format(data)
    index = _index_from_data(data["index"])
    columns = _index_from_data(data["columns"])
    values = [_values_from_data(column) for column in data["data"]]
    if len(values) != len(columns):
        raise ValueError("the columns and their values do not match")
    frame = pd.DataFrame(
        {i: v.set_axis(index) for i, v in enumerate(values)}, index=index
    )
    frame.columns = columns
    return frame


def series_to_data(series: pd.Series) -> dict[str, Any]:
    """A series as JSON-ready data, its name included."""
    return {
        "format": FORMAT,
        "name": _scalar_to_data(series.name),
        "index": _index_to_data(series.index),
        "values": _values_to_data(series),
    }


def series_from_data(data: dict[str, Any]) -> pd.Series:
    """The series :func:`series_to_data` was given."""
    _check_format(data)
    index = _index_from_data(data["index"])
    values = _values_from_data(data["values"])
    series = values.set_axis(index)
    series.name = _scalar_from_data(data["name"])
    return series


def _check_format(data: dict[str, Any]) -> None:
    if data.get("format") != FORMAT:
        raise ValueError(f"data of format {data.get('format')!r}, not {FORMAT}")


def _index_to_data(index: pd.Index) -> dict[str, Any]:
    if isinstance(index, pd.MultiIndex):
        raise ValueError("a MultiIndex is not supported")
    if isinstance(index, pd.RangeIndex):
        return {
            "range": [index.start, index.stop, index.step],
            "name": _scalar_to_data(index.name),
        }
    return {
        "values": _values_to_data(pd.Series(index, copy=False)),
        "name": _scalar_to_data(index.name),
    }


def _index_from_data(data: dict[str, Any]) -> pd.Index:
    name = _scalar_from_data(data["name"])
    if "range" in data:
        start, stop, step = data["range"]
        return pd.RangeIndex(start, stop, step, name=name)
    return pd.Index(_values_from_data(data["values"]), name=name)


def _values_to_data(values: pd.Series) -> dict[str, Any]:
    """One column: ``{"dtype": ..., "values": [...]}``."""
    dtype = values.dtype
    name = str(dtype)
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return {"dtype": name, "values": [_scalar_to_data(v) for v in values]}
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return {"dtype": name, "values": [_float_to_data(v) for v in values.tolist()]}
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return {"dtype": name, "values": values.tolist()}
    if isinstance(dtype, pd.StringDtype):
        return {
            "dtype": name,
            "values": [None if pd.isna(v) else str(v) for v in values.tolist()],
        }
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb":
        return {
            "dtype": name,
            "values": [None if pd.isna(v) else _scalar_to_data(v) for v in values],
        }
    raise ValueError(f"columns of dtype {name} are not supported")


def _values_from_data(data: dict[str, Any]) -> pd.Series:
    name, values = data["dtype"], data["values"]
    if name == "object":
        return pd.Series([_scalar_from_data(v) for v in values], dtype=object)
    dtype = pd.api.types.pandas_dtype(name)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        numbers = [_NON_FINITE[v] if isinstance(v, str) else v for v in values]
        return pd.Series(np.array(numbers, dtype=dtype), copy=False)
    return pd.Series(values, dtype=dtype)


def _float_to_data(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _scalar_to_data(value: Any) -> Any:
    """One value of an object column (or a label): JSON-ready, its type kept."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"float": "nan" if math.isnan(number) else str(number)}
    raise ValueError(f"values of type {type(value).__name__} are not supported")


def _scalar_from_data(value: Any) -> Any:
    if isinstance(value, dict):
        return _NON_FINITE[value["float"]]
    return value
