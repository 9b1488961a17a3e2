"""A page of a list the query layer has already cut, shaped like Flask-SQLAlchemy's
pagination so that one ``pagination`` macro serves both."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


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
