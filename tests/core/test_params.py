"""Query-string parameters are read within bounds, or refused: 400 for the wrong form,
404 for a well-formed value that nothing can be (core.params)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from core import params
from core.errors import InvalidInput
from core.input_checks import MAX_ID

HUGE = "9" * 400
NEXT_YEAR = dt.datetime.now(dt.UTC).year + 1


def _read(app: Flask, query: str, helper: Callable[[], Any]) -> Any:
    """What ``helper`` gives for ``query``: its value, or the status it answers with."""
    with app.test_request_context(f"/?{query}"):
        try:
            return helper()
        except InvalidInput:
            return 400
        except HTTPException as e:
            return e.code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 1),
        ("page=", 1),
        ("page=3", 3),
        ("page=007", 7),
        ("page=%202%20", 2),
        (f"page={MAX_ID}", MAX_ID),
        (f"page={MAX_ID + 1}", 404),
        (f"page={HUGE}", 404),
        ("page=0", 400),
        ("page=-1", 400),
        ("page=abc", 400),
        ("page=1e3", 400),
        ("page=%D9%A3", 400),  # Arabic-Indic 3, which int() would take
        ("page=2&page=x", 2),
    ],
)
def test_a_page_number_is_a_whole_number_from_one_to_the_largest_id(
    app: Flask, query: str, expected: Any
) -> None:
    assert _read(app, query, params.page_arg) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", None),
        ("team=", None),
        ("team=5", 5),
        (f"team={MAX_ID}", MAX_ID),
        ("team=0", 404),
        (f"team={MAX_ID + 1}", 404),
        (f"team={HUGE}", 404),
        ("team=five", 400),
        ("team=-5", 400),
    ],
)
def test_an_id_in_a_filter_is_none_a_record_id_or_refused(
    app: Flask, query: str, expected: Any
) -> None:
    assert _read(app, query, lambda: params.id_arg("team", "team")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", []), ("c=1&c=2&c=", [1, 2]), ("c=1&c=x", 400), (f"c=1&c={HUGE}", 404)],
)
def test_repeated_ids_are_each_checked(app: Flask, query: str, expected: Any) -> None:
    assert _read(app, query, lambda: params.ids_arg("c", "candidate")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "2024-01"),
        ("month=", "2024-01"),
        ("month=2024-03", "2024-03"),
        ("month=2000-01", "2000-01"),
        (f"month={NEXT_YEAR}-12", f"{NEXT_YEAR}-12"),
        (f"month={NEXT_YEAR + 1}-01", 404),
        ("month=1999-12", 404),
        ("month=9999-12", 404),
        ("month=2024-13", 400),
        ("month=2024-00", 400),
        ("month=0000-00", 400),
        ("month=2024-3", 400),
        ("month=March", 400),
        ("month=%D9%A2%D9%A0%D9%A2%D9%A4-03", 400),  # 2024 in Arabic-Indic digits
    ],
)
def test_a_month_is_yyyy_mm_from_2000_to_next_year(
    app: Flask, query: str, expected: Any
) -> None:
    assert _read(app, query, lambda: params.month_arg(lambda: "2024-01")) == expected


def test_a_refused_month_says_what_to_send(app: Flask) -> None:
    with (
        app.test_request_context("/?month=2024-13"),
        pytest.raises(InvalidInput) as refused,
    ):
        params.month_arg(lambda: "2024-01")
    assert refused.value.errors == {
        "month": [f"Use a month like {params.this_month()}."]
    }
    with (
        app.test_request_context("/?month=1999-12"),
        pytest.raises(HTTPException) as missing,
    ):
        params.month_arg(lambda: "2024-01")
    assert missing.value.description.startswith("No figures for that month")


@pytest.mark.parametrize(
    ("query", "low", "expected"),
    [
        ("", 1, 50),
        ("per_page=20", 1, 20),
        ("per_page=", 1, 400),
        ("per_page=0", 1, 400),
        ("per_page=501", 1, 400),
        ("per_page=ten", 1, 400),
        ("per_page=-5", -10, -5),
        ("per_page=-50", -10, 400),
        (f"per_page={HUGE}", 1, 400),
    ],
)
def test_an_api_number_is_within_its_range_or_refused(
    app: Flask, query: str, low: int, expected: Any
) -> None:
    helper = lambda: params.int_arg("per_page", 50, low=low, high=500)  # noqa: E731
    assert _read(app, query, helper) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", None),
        ("amount=12.50", Decimal("12.50")),
        ("amount=0", Decimal("0")),
        ("amount=9999999999.99", Decimal("9999999999.99")),
        ("amount=1e10", 400),
        ("amount=1e999999999", 400),  # would take seconds and gigabytes to write out
        ("amount=-1", 400),
        ("amount=NaN", 400),
        ("amount=Infinity", 400),
        ("amount=ten", 400),
    ],
)
def test_an_amount_is_from_zero_to_what_a_column_holds(
    app: Flask, query: str, expected: Any
) -> None:
    assert _read(app, query, params.amount_arg) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", "name"), ("sort=csat", "csat"), ("sort=evil", "name"), ("sort=", "name")],
)
def test_a_choice_not_on_the_list_is_the_default(
    app: Flask, query: str, expected: str
) -> None:
    helper = lambda: params.choice_arg("sort", {"name", "csat"}, "name")  # noqa: E731
    assert _read(app, query, helper) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("q=%20%20Ann%20", "Ann"),
        ("q=" + "a" * 200, "a" * 200),
        ("q=" + "a" * 201, 400),
    ],
)
def test_search_text_is_trimmed_and_bounded(
    app: Flask, query: str, expected: Any
) -> None:
    assert _read(app, query, lambda: params.text_arg("q")) == expected
