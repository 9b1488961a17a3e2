"""A rep's score as plain JSON data and back: what a closed month keeps of each score
(``MonthScore.detail``), every step included.

PURE: no Flask, no database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from incentives.scoring.plans import Direction, Tier
from incentives.scoring.rep_scores import ChannelPart, MetricLine, RepScore


def score_to_data(score: RepScore) -> dict[str, Any]:
    """A score as JSON-ready data (what a closed month keeps)."""
    return {
        "rep_id": score.rep_id,
        "team_id": score.team_id,
        "score": score.score,
        "eligible": score.eligible,
        "reasons": list(score.reasons),
        "tier": None
        if score.tier is None
        else {
            "min_score": score.tier.min_score,
            "percent": None if score.tier.percent is None else str(score.tier.percent),
            "amount": None if score.tier.amount is None else str(score.tier.amount),
        },
        "target_bonus": str(score.target_bonus),
        "payout": str(score.payout),
        "payout_note": score.payout_note,
        "tickets_solved": score.tickets_solved,
        "rated": score.rated,
        "csat_prior": score.csat_prior,
        "lines": [
            {
                "metric": line.metric,
                "label": line.label,
                "unit": line.unit,
                "direction": line.direction.value,
                "value": line.value,
                "raw": line.raw,
                "threshold": line.threshold,
                "target": line.target,
                "stretch": line.stretch,
                "cap": line.cap,
                "weight": line.weight,
                "effective_weight": line.effective_weight,
                "attainment": line.attainment,
                "contribution": line.contribution,
                "below_threshold": line.below_threshold,
                "note": line.note,
                **(
                    {"parts": [dataclasses.asdict(part) for part in line.parts]}
                    if line.parts
                    else {}
                ),
            }
            for line in score.lines
        ],
    }


def score_from_data(data: Mapping[str, Any]) -> RepScore:
    """A score kept by :func:`score_to_data`, as it was."""
    tier = data.get("tier")
    return RepScore(
        rep_id=int(data["rep_id"]),
        team_id=data.get("team_id"),
        lines=tuple(
            MetricLine(
                metric=line["metric"],
                label=line["label"],
                unit=line["unit"],
                direction=Direction(line["direction"]),
                value=line["value"],
                raw=line["raw"],
                threshold=line["threshold"],
                target=line["target"],
                stretch=line["stretch"],
                cap=line["cap"],
                weight=line["weight"],
                effective_weight=line["effective_weight"],
                attainment=line["attainment"],
                contribution=line["contribution"],
                below_threshold=line["below_threshold"],
                note=line.get("note", ""),
                parts=tuple(ChannelPart(**part) for part in line.get("parts", [])),
            )
            for line in data.get("lines", [])
        ),
        score=data.get("score"),
        eligible=bool(data.get("eligible")),
        reasons=tuple(data.get("reasons", [])),
        tier=None
        if not tier
        else Tier(
            tier["min_score"],
            None if tier["percent"] is None else Decimal(tier["percent"]),
            None if tier["amount"] is None else Decimal(tier["amount"]),
        ),
        target_bonus=Decimal(data.get("target_bonus", "0")),
        payout=Decimal(data.get("payout", "0")),
        payout_note=data.get("payout_note", ""),
        tickets_solved=int(data.get("tickets_solved", 0)),
        rated=int(data.get("rated", 0)),
        csat_prior=data.get("csat_prior"),
    )
