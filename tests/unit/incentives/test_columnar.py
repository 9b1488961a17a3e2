"""Frames and series as plain JSON data and back: dtypes, labels and missing values kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from incentives.tickets import columnar


def through_json(data: dict) -> dict:
    """As a database's JSON column gives it back (strict JSON: no NaN, no Infinity)."""
    return json.loads(json.dumps(data, allow_nan=False))


def test_every_kind_of_column_comes_back_equal() -> None:
    frame = pd.DataFrame(
        {
            "count": np.array([3, 0, 7], dtype="int64"),
            "rate": [0.5, np.nan, np.inf],
            "team_id": pd.array([1, None, 2], dtype="Int64"),
            "name": pd.Series(["Ana", None, "Cy"], dtype="str"),
            "labels": pd.Series(["Ana", None, "Cy"], dtype=object),
            "mixed": pd.Series([True, np.nan, None], dtype=object),
            "numbers": pd.Series([np.int64(2), 1.5, float("nan")], dtype=object),
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
            "small": np.array([1, 2, 3], dtype="int32"),
        }
    ).set_axis(pd.Index([11, 12, 13], name="rep_id"))
    assert frame["labels"].iloc[1] is None
    back = columnar.frame_from_data(through_json(columnar.frame_to_data(frame)))
    pd.testing.assert_frame_equal(back, frame)
    assert back["labels"].iloc[1] is None
    assert back["mixed"].iloc[2] is None
    assert np.isnan(back["mixed"].iloc[1])


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": [1.0, 2.0]}),  # a RangeIndex
        pd.DataFrame({"a": pd.Series([], dtype="float64")}),  # no rows
        pd.DataFrame(index=pd.Index([1, 2], name="team_id")),  # no columns
        pd.DataFrame({"x": [1, 2]}, index=pd.Index(["b", "a"], dtype=object)),
        pd.DataFrame({"x": [1, 2]}, index=pd.Index(["b", "a"], dtype="str")),
        pd.DataFrame([[1, 2]], columns=pd.Index(["a", "a"], dtype=object)),
    ],
)
def test_labels_and_shapes_come_back_equal(frame: pd.DataFrame) -> None:
    back = columnar.frame_from_data(through_json(columnar.frame_to_data(frame)))
    pd.testing.assert_frame_equal(back, frame)


def test_a_series_keeps_its_name_and_mixed_values() -> None:
    series = pd.Series(
        [np.int64(4), 0.25, np.nan, "calendar", None],
        index=["tickets_solved", "csat_raw", "nps", "first_response_clock", "other"],
        name=np.int64(0),
        dtype=object,
    )
    back = columnar.series_from_data(through_json(columnar.series_to_data(series)))
    pd.testing.assert_series_equal(back, series)
    assert back.name == 0
    assert back["other"] is None


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"at": pd.to_datetime(["2024-03-01"], utc=True)}),
        pd.DataFrame({"kind": pd.Categorical(["a"])}),
        pd.DataFrame({"a": [1]}, index=pd.MultiIndex.from_tuples([(1, 2)])),
        pd.DataFrame({"thing": pd.Series([object()], dtype=object)}),
    ],
)
def test_what_cannot_come_back_equal_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not supported"):
        columnar.frame_to_data(frame)


def test_data_of_another_format_is_refused() -> None:
    data = columnar.frame_to_data(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="format"):
        columnar.frame_from_data({**data, "format": 99})
