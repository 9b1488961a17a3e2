"""Numbers in words for pages, messages and commands: "1 candidate", "3 candidates",
"91st percentile". Registered as the template filters ``counted`` and ``ordinal``."""

from __future__ import annotations


def counted(count: int, word: str, plural: str | None = None) -> str:
    """``1 ticket``, ``3 tickets``, ``1,200 tickets``; ``plural`` for irregular words
    (``counted(2, "reply", "replies")``)."""
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``..``13th``, ``21st``, ``91st``,
    ``111th``."""
    if number % 100 in (11, 12, 13):
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
