"""Placeholders in scenario text: ``{refund.limit}`` shows the playing rep's own limit of
an authority ("150 USD", "level 1", or "no refund authority"), so the text never
contradicts the register.

PURE: plain data in, plain data out; no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.scenarios import Scenario

#: ``{refund.limit}`` in a scenario's text: the playing rep's own limit of that authority.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\.limit\}")
_BRACED = re.compile(r"\{[^{}]*\}")


def _texts(node: Mapping[str, Any]) -> list[str]:
    """Every text of a node the rep reads: the note, the customer's words, the ending, each
    choice and its feedback."""
    texts = [node.get(name) for name in ("note", "customer", "end")]
    choices = node.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        if isinstance(choice, dict):
            texts += [choice.get("text"), choice.get("feedback")]
    return [t for t in texts if isinstance(t, str)]


def placeholder_errors(key: str, node: Mapping[str, Any]) -> list[str]:
    return [
        f"node {key!r}: {braced} is not a placeholder; write {{CODE.limit}} for the rep's "
        f"own limit of an authority, e.g. {{refund.limit}}"
        for text in _texts(node)
        for braced in _BRACED.findall(text)
        if not PLACEHOLDER.fullmatch(braced)
    ]


def placeholder_codes(scenario: Scenario) -> set[str]:
    """The authority codes a scenario's text names in placeholders."""
    codes: set[str] = set()
    for node in scenario.nodes.values():
        texts = [node.note, node.customer, node.end or ""]
        texts += [t for c in node.choices for t in (c.text, c.feedback)]
        for text in texts:
            codes.update(PLACEHOLDER.findall(text))
    return codes


def fill_placeholders(text: str, limits: Mapping[str, str]) -> str:
    """``text`` with each ``{CODE.limit}`` replaced by ``limits[CODE]`` (the rep's limit in
    words: "150 USD", or "no refund authority"); a code not in ``limits`` is left as
    written."""
    if "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: limits.get(m.group(1), m.group(0)), text)
