"""A month's scores as people read them: the score list's rows, the CSV's cells, money and
score texts.

PURE: no Flask, no database. The score list, the month close page, ``scores compute`` and
the scorecards all format scores through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from incentives.scoring.rep_scores import MonthScores, RepScore, rank


def money(amount: Decimal | float | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f} {currency}".strip()


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.1f}"


#: The columns ``scores compute --format csv`` adds after the metrics: the base payout
#: is what the score earns for a whole month; the final payout is the one paid (prorated
#: by working days, adjustments added: the payouts page's).
SCORE_COLUMNS = [
    "score",
    "eligible",
    "base_payout",
    "final_payout",
    "currency",
    "reason",
]


def score_cells(
    score: RepScore | None, currency: str, final: Decimal | None
) -> list[object]:
    """A rep's score as CSV cells: score, eligible, base and final payout, currency,
    reason."""
    if score is None:
        return ["", "", "", "", currency, "No plan in force."]
    return [
        "" if score.score is None else round(score.score, 2),
        "yes" if score.eligible else "no",
        f"{score.payout:.2f}",
        "" if final is None else f"{final:.2f}",
        currency,
        score.reason,
    ]


@dataclass(frozen=True)
class ScoreRow:
    """A rep's line in a month's score list."""

    rep_id: int
    name: str
    email: str
    team_id: int | None
    team_name: str
    score: float | None
    score_text: str
    rank: int | None
    eligible: bool
    reason: str
    #: What the score earns for a whole month, before proration and adjustments.
    base_payout: str
    #: The payout paid: the payouts page's.
    payout: str
    tickets_solved: int
    below: tuple[str, ...]
    #: The plan version that scored the rep when it is not the month's (their team's).
    plan_label: str = ""
    #: The month's QA score and its reviews ("82.5 · 4 reviews"); "" with none counted.
    qa: str = ""


def qa_cell(figures: Mapping[str, object]) -> str:
    """A rep's QA score of the month as the score list shows it, "" with none counted."""
    score, reviews = figures.get("qa_score"), figures.get("qa_reviews")
    if score is None or not reviews:
        return ""
    reviews = int(reviews)  # type: ignore[call-overload]
    counted = "1 review" if reviews == 1 else f"{reviews:,} reviews"
    return f"{float(score):.1f} · {counted}"  # type: ignore[arg-type]


def score_rows(
    scores: MonthScores,
    rep_ids: frozenset[int] | None,
    finals: Mapping[int, Decimal],
) -> list[ScoreRow]:
    """Every scored rep the viewer may see (``rep_ids`` None: all), by team then rank;
    ``finals``: rep id -> final payout (``payout_queries.payouts_of``)."""
    ranks: dict[int, int] = {}
    for team_id in {p.team_id for p in scores.people.values()}:
        ranks.update(rank(scores.team_scores(team_id)))
    rows = []
    for rep_id, score in scores.scores.items():
        if rep_ids is not None and rep_id not in rep_ids:
            continue
        person = scores.people[rep_id]
        rows.append(
            ScoreRow(
                rep_id,
                person.name,
                person.email,
                person.team_id,
                person.team_name or "No team",
                score.score,
                score_text(score.score),
                ranks.get(rep_id),
                score.eligible,
                score.reason,
                money(score.payout, scores.currency),
                money(finals.get(rep_id), scores.currency),
                score.tickets_solved,
                tuple(line.label for line in score.lines if line.below_threshold),
                scores.rep_plans.get(rep_id, (None, ""))[1],
                qa_cell(scores.metrics.get(rep_id, {})),
            )
        )
    rows.sort(
        key=lambda r: (r.team_name.casefold(), r.rank is None, r.rank or 0, r.name)
    )
    return rows
