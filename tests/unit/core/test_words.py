"""Numbers in words: plurals and ordinals."""

from __future__ import annotations

import pytest

from core.words import counted, ordinal


@pytest.mark.parametrize(
    ("count", "word", "plural", "expected"),
    [
        (0, "candidate", None, "0 candidates"),
        (1, "candidate", None, "1 candidate"),
        (2, "candidate", None, "2 candidates"),
        (1200, "row", None, "1,200 rows"),
        (1, "reply", "replies", "1 reply"),
        (3, "reply", "replies", "3 replies"),
    ],
)
def test_counted(count, word, plural, expected) -> None:
    assert counted(count, word, plural) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0, "0th"), (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"),
        (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"),
        (23, "23rd"), (91, "91st"), (100, "100th"), (101, "101st"), (111, "111th"),
        (112, "112th"),
    ],
)  # fmt: skip
def test_ordinal(number, expected) -> None:
    assert ordinal(number) == expected
