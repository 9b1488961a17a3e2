"""Query-string parameters, read one way everywhere: bounded, or refused in plain words.

Views and API endpoints read ``request.args`` only through these helpers. Each gives back a
value that every later step can handle - a page or an id a database column can hold, a
month the calendar can step around, one of a list of choices - or ends the request:

- 400 when the value is not of the right form, saying what to send instead
  ("Use a month like 2026-11");
- 404 when it is well formed but nothing can be there: a page or an id past any a record
  can have, a month outside the years Frontline keeps figures for.

An absent or empty parameter is its default. Whole numbers are plain digits 0-9:
``int()`` also takes " 7", "7_000", "+7" and Arabic-Indic digits, which no link of
ours writes. Months stay "YYYY-MM" text, as the rest of the app passes them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation

from flask import abort, request

from core.errors import InvalidInput
from core.input_checks import MAX_ID

#: The first year a month may be asked for; the last is next year.
FIRST_YEAR = 2000
#: The longest free text (a search) a query string may carry.
MAX_TEXT = 200
#: Amounts are stored as ``Numeric(12, 2)``: below ten thousand million. (A larger one
#: would also take seconds and gigabytes to write out: ``1e999999999``.)
AMOUNT_LIMIT = Decimal("1e10")

_WHOLE = re.compile(r"[0-9]+")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _given(name: str) -> str | None:
    """The parameter's text, or None when it is absent or blank."""
    text = request.args.get(name)
    if text is None or not text.strip():
        return None
    return text.strip()


def whole_number(text: str) -> int | None:
    """``text`` as a whole number, if it is plain digits (leading zeros allowed); one
    longer than any id is :data:`MAX_ID` + 1, without converting all its digits."""
    if not _WHOLE.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 12 else MAX_ID + 1


def page_arg(name: str = "page") -> int:
    """The page of a list asked for; 1 when absent.

    :raises InvalidInput: not a whole number from 1 (400).
    :raises NotFound: past any page a list can have (404).
    """
    text = _given(name)
    if text is None:
        return 1
    number = whole_number(text)
    if number is None or number < 1:
        raise InvalidInput({name: ["Use a page number from 1, like 2."]})
    if number > MAX_ID:
        abort(
            404,
            "There is no such page: the list is shorter. Start from its first page.",
        )
    return number


def id_arg(name: str, label: str) -> int | None:
    """The id of a record picked in a filter (``?team=3``); None when absent.

    :param label: what the id names, for the messages ("team").
    :raises InvalidInput: not a whole number (400).
    :raises NotFound: 0, or past any id a record can have (404).
    """
    text = _given(name)
    return None if text is None else _id(name, text, label)


def ids_arg(name: str, label: str) -> list[int]:
    """Every id given for a repeated parameter (``?c=3&c=5``), blanks left out."""
    return [
        _id(name, text.strip(), label)
        for text in request.args.getlist(name)
        if text.strip()
    ]


def _id(name: str, text: str, label: str) -> int:
    number = whole_number(text)
    if number is None:
        raise InvalidInput(
            {name: [f"Pick the {label} from the list: “{name}” takes its number."]}
        )
    if not 1 <= number <= MAX_ID:
        abort(404, f"There is no such {label}. Pick one from the list.")
    return number


def int_arg(
    name: str, default: int | None = None, *, low: int = 1, high: int = MAX_ID
) -> int | None:
    """A whole number from ``low`` to ``high`` (an API's ``per_page``); the default when
    absent. Strict, as an API is: an empty value is not absent.

    :raises InvalidInput: anything else (400).
    """
    text = request.args.get(name)
    if text is None:
        return default
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    number = whole_number(digits)
    if number is None or not low <= sign * number <= high:
        raise InvalidInput({name: [f"Send a whole number from {low} to {high}."]})
    return sign * number


def amount_arg(name: str = "amount") -> Decimal | None:
    """An amount of money or a level, from 0 to below :data:`AMOUNT_LIMIT`; None when
    absent.

    :raises InvalidInput: not a number, negative, or too large (400).
    """
    text = _given(name)
    if text is None:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as e:
        raise InvalidInput({name: ["Give the amount as a number."]}) from e
    if not amount.is_finite() or amount < 0:
        raise InvalidInput({name: ["Give an amount of zero or more."]})
    if amount >= AMOUNT_LIMIT:
        raise InvalidInput({name: ["Give an amount below 10,000,000,000."]})
    return amount


def this_month() -> str:
    """The current month, "YYYY-MM" (UTC: only an example and a bound)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m")


def last_year_allowed() -> int:
    """The latest year a month or a date may be asked for: next year."""
    return dt.datetime.now(dt.UTC).year + 1


def last_month_allowed() -> str:
    """The latest month that may be asked for: December of next year."""
    return f"{last_year_allowed():04d}-12"


def month_value(text: str, name: str = "month") -> str:
    """``text`` checked as a month ("2024-03") and returned as is.

    :raises InvalidInput: not a month written YYYY-MM (400).
    :raises NotFound: a month before :data:`FIRST_YEAR` or after next year (404).
    """
    text = text.strip()
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput({name: [f"Use a month like {this_month()}."]})
    if not f"{FIRST_YEAR:04d}-01" <= text <= last_month_allowed():
        abort(
            404,
            f"No figures for that month: months from {FIRST_YEAR}-01 to "
            f"{last_month_allowed()} can have them.",
        )
    return text


def month_arg(default: Callable[[], str], name: str = "month") -> str:
    """The month asked for (see :func:`month_value`); ``default()`` when absent."""
    text = _given(name)
    return default() if text is None else month_value(text, name)


def choice_arg(name: str, choices: Collection[str], default: str) -> str:
    """One of ``choices`` (a sort order, a status tab); the default when absent or not one
    of them, so that an old link still opens the page."""
    text = request.args.get(name)
    return text if text is not None and text in choices else default


def text_arg(name: str, max_length: int = MAX_TEXT) -> str:
    """Free text (a search), without the spaces around it; "" when absent.

    :raises InvalidInput: longer than ``max_length`` characters (400).
    """
    text = (request.args.get(name) or "").strip()
    if len(text) > max_length:
        raise InvalidInput(
            {name: [f"Use at most {max_length} characters; shorten the text."]}
        )
    return text
