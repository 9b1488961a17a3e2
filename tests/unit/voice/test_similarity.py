"""Similar open reports: the words two reports share, whatever their order or form."""

from __future__ import annotations

import pytest

from voice.similarity import similar, words

OPEN = [
    (1, "Parcels to Leeds arrive crushed. The carrier left the box in the rain."),
    (2, "Refunds take three weeks to reach the card."),
    (3, "Kettle lid hinge snaps after a month of use."),
    (4, "Invoice shows the wrong VAT number for a business customer."),
]


def test_words_are_plain_and_stemmed() -> None:
    assert words("The Parcels were CRUSHED at the dépôt!") == [
        "parcel",
        "crush",
        "depot",
    ]


@pytest.mark.parametrize(
    ("text", "best"),
    [
        ("crushed parcel from Leeds, rain", 1),
        ("the box was crushed by the carrier in the rain", 1),
        ("customer refund has not reached her card after weeks", 2),
        ("hinge of the kettle lid snapped", 3),
        ("VAT number on the invoice is wrong", 4),
    ],
)
def test_the_closest_report_comes_first(text: str, best: int) -> None:
    matches = similar(text, OPEN)
    assert matches
    assert matches[0].report_id == best
    assert all(0 < m.score <= 1 for m in matches)


@pytest.mark.parametrize("text", ["", "the and of", "microwave door rattles loudly"])
def test_nothing_alike_suggests_nothing(text: str) -> None:
    assert similar(text, OPEN) == []


def test_the_same_text_scores_one_and_the_limit_holds() -> None:
    many = [(i, "late parcel to Leeds") for i in range(10)]
    matches = similar("late parcel to Leeds", many, limit=3)
    assert [m.report_id for m in matches] == [0, 1, 2]
    assert matches[0].score == pytest.approx(1.0)
