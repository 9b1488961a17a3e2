"""A page of a list the query layer has already cut, shaped like Flask-SQLAlchemy's
pagination so that one ``pagination`` macro serves both; and one page of a query's rows
read together with their count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from core.db import db


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, which page, how many a page, how many in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_bounds(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """The page to show (``page`` kept within the pages there are) and its row slice."""
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    return page, (page - 1) * per_page, page * per_page


def counted_rows(
    stmt: Select[Any], page: int, per_page: int, *, clamp: bool = True
) -> tuple[list[Any], int, int]:
    """One page of ``stmt``'s rows and how many rows there are in all, in one query.

    The count rides on every row as a window over the whole result (``count(*) over
    ()``), so the database reads the matching rows once instead of once to count them and
    again for the page. A page past the end brings no row back: then the rows are counted
    on their own and, with ``clamp``, the last page is read instead.

    The window holds every matching row until the page is cut, so ``stmt`` should select
    ids only (then load the page's rows by id): over 10,000 full rows of candidates it was
    twice as slow as counting and paging apart.

    :param stmt: the query, ordered.
    :return: the page's rows (without the count), the count, and the page read.
    """
    counted = stmt.add_columns(func.count().over())

    def read(number: int) -> list[Any]:
        offset = (number - 1) * per_page
        return list(db.session.execute(counted.limit(per_page).offset(offset)))

    page = max(1, page)
    rows = read(page)
    if rows:
        total = rows[0][-1]
    else:
        total = db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        last = max(1, math.ceil(total / per_page))
        if clamp and page > last:
            page = last
            rows = read(page) if total else []
    return [row[:-1] for row in rows], total, page
