"""Whatever a helpdesk's API sends, its records become whole export rows or are counted as
not tickets: never a crash, never a row split or lost on the way to the import."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from incentives.tickets.importing import parse_file
from incentives.tickets.sources import FRESHDESK, ZENDESK
from incentives.tickets.vendor_records import freshdesk_batch, zendesk_batch
from tests.hostile.strategies import HOSTILE_TEXTS

NOW = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from([*HOSTILE_TEXTS, "2024-03-04T09:00:00Z", "a\r\nb", '"', "\r"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def ticket_like(fields: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        values,
        st.fixed_dictionaries({}, optional={f: values for f in fields}),
    )


ZENDESK_FIELDS = [
    "id",
    "status",
    "assignee_id",
    "group_id",
    "via",
    "priority",
    "created_at",
    "satisfaction_rating",
    "tags",
]
FRESHDESK_FIELDS = [
    "id",
    "responder_id",
    "group_id",
    "source",
    "priority",
    "created_at",
    "stats",
    "tags",
]


def read_back(batch, spec) -> None:
    parsed = parse_file(batch.csv_bytes(), spec, tz=ZoneInfo("UTC"), now=NOW)
    # Every ticket is one row: none split by a line break, none dropped as blank.
    assert parsed.rows == len(batch.rows)
    assert len(batch.ticket_ids) == len(batch.rows)


@given(
    tickets=st.lists(ticket_like(ZENDESK_FIELDS), max_size=6),
    users=st.lists(values, max_size=3),
    metric_sets=st.lists(values, max_size=3),
)
def test_any_zendesk_answer_becomes_whole_rows(tickets, users, metric_sets) -> None:
    batch = zendesk_batch(tickets, users=users, groups=users, metric_sets=metric_sets)
    assert len(batch.rows) + batch.malformed + sum(batch.left_out.values()) <= len(
        tickets
    )
    read_back(batch, ZENDESK)


@given(
    tickets=st.lists(ticket_like(FRESHDESK_FIELDS), max_size=6),
    agents=st.lists(values, max_size=3),
    ratings=st.lists(values, max_size=3),
)
def test_any_freshdesk_answer_becomes_whole_rows(tickets, agents, ratings) -> None:
    batch = freshdesk_batch(tickets, agents=agents, groups=agents, ratings=ratings)
    read_back(batch, FRESHDESK)
