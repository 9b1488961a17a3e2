"""Completing a curriculum: every scenario passed, completed when the last one was."""

from __future__ import annotations

import datetime as dt

import pytest

from training.completion import Pass, completion

T = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def passed(key: str, days: int) -> Pass:
    return Pass(key, T + dt.timedelta(days=days), 90, 1)


@pytest.mark.parametrize(
    ("keys", "passes", "done", "complete", "completed_at"),
    [
        (["a", "b"], {}, 0, False, None),
        (["a", "b"], {"a": passed("a", 1)}, 1, False, None),
        (
            ["a", "b"],
            {"a": passed("a", 5), "b": passed("b", 2)},
            2,
            True,
            T + dt.timedelta(days=5),
        ),
        (["a"], {"a": passed("a", 0), "z": passed("z", 9)}, 1, True, T),
        ([], {"a": passed("a", 0)}, 0, False, None),  # nothing to complete
    ],
)
def test_completion(keys, passes, done, complete, completed_at) -> None:
    result = completion(keys, passes)
    assert (result.passed, result.total) == (done, len(keys))
    assert result.complete is complete
    assert result.completed_at == completed_at
    assert [key for key, _pass in result.steps] == keys
