"""One page of a query's rows read with their count: the same rows and count as reading
them apart, and a page past the end shows the last page (or nothing, when asked)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from core.pagination import counted_rows
from core.people import Team
from tests.factories import make_team


def _teams() -> list[str]:
    names = [f"Pagination {letter}" for letter in "ABCDEFG"]
    for name in reversed(names):
        make_team(name)
    return names


def _query():  # type: ignore[no-untyped-def]
    return (
        select(Team.name)
        .where(Team.name.like("Pagination %"))
        .order_by(Team.name.desc())
    )


def test_a_page_comes_with_the_count_of_every_row(app_ctx) -> None:
    names = sorted(_teams(), reverse=True)
    rows, total, page = counted_rows(_query(), 2, 3)
    assert (total, page) == (7, 2)
    assert [name for (name,) in rows] == names[3:6]
    assert total == db.session.scalar(
        select(func.count()).select_from(_query().subquery())
    )
    last, _total, _page = counted_rows(_query(), 3, 3)
    assert [name for (name,) in last] == names[6:]


def test_a_page_past_the_end_shows_the_last_one_unless_told_not_to(app_ctx) -> None:
    names = sorted(_teams(), reverse=True)
    rows, total, page = counted_rows(_query(), 9, 3)
    assert (total, page, [name for (name,) in rows]) == (7, 3, names[6:])
    rows, total, page = counted_rows(_query(), 9, 3, clamp=False)
    assert (rows, total, page) == ([], 7, 9)
    rows, total, page = counted_rows(_query(), -4, 3)
    assert (total, page) == (7, 1)
    assert [name for (name,) in rows] == names[:3]


def test_nothing_to_list(app_ctx) -> None:
    assert counted_rows(_query(), 1, 10) == ([], 0, 1)
    assert counted_rows(_query(), 5, 10) == ([], 0, 1)
