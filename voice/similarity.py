"""PURE: which open reports read like a new one, by the words they share.

Words are lower-cased, stripped of accents and of common words, and cut to a rough stem
(a plural's ``s``, ``ing``, ``ed``); each report is a TF-IDF vector over those words and
reports are compared by cosine similarity. Plain and predictable: two reports about "late
parcels from the Leeds depot" match whatever order the words come in.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: Below this similarity a report is not suggested.
THRESHOLD = 0.2
LIMIT = 5

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    """a about after again all also am an and any are as at be because been before
    being but by can could customer customers did do does doing for from had has have
    he her here him his how i if in into is it its just me more most my no not now of
    off on once only or other our out over same she should so some such than that the
    their them then there these they this those through to too under until up very was
    we were what when where which while who why will with would you your""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Match:
    report_id: int
    score: float


def words(text: str) -> list[str]:
    """The comparable words of ``text``: lower case, no accents, no common words, stems."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [
        _stem(w) for w in _WORD.findall(plain) if w not in STOP_WORDS and len(w) > 1
    ]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def similar(
    text: str,
    candidates: Iterable[tuple[int, str]],
    *,
    threshold: float = THRESHOLD,
    limit: int = LIMIT,
) -> list[Match]:
    """The candidates (id, text) most like ``text``, best first, at least ``threshold``."""
    documents = [(report_id, Counter(words(body))) for report_id, body in candidates]
    query = Counter(words(text))
    if not query or not documents:
        return []
    counts: Counter[str] = Counter()
    for _, bag in documents:
        counts.update(bag.keys())
    total = len(documents) + 1
    idf = {
        word: math.log((1 + total) / (1 + counts[word] + (word in query))) + 1
        for word in {*counts, *query}
    }
    query_vector = _vector(query, idf)
    matches = []
    for report_id, bag in documents:
        score = _cosine(query_vector, _vector(bag, idf))
        if score >= threshold:
            matches.append(Match(report_id, round(score, 3)))
    matches.sort(key=lambda m: (-m.score, m.report_id))
    return matches[:limit]


def _vector(bag: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    return {word: count * idf[word] for word, count in bag.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(weight * b.get(word, 0.0) for word, weight in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(
        sum(v * v for v in b.values())
    )
    return dot / norm if norm else 0.0
