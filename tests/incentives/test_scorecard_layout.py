"""Scorecard PDFs keep every text box apart at any value length: long names, six-digit
payouts, long currency codes, long metric notes. ``pdftotext -bbox-layout`` gives each
word's box; no two boxes on a page may overlap, and every box lies within the page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from incentives.scorecards import pdfs, rep_card, team_card
from incentives.scorecards.cards import (
    AuthorityHeld,
    CoachingOffer,
    DisputeCounts,
    IdeaCredit,
    ScenarioOffer,
    TrainingFacts,
)
from incentives.scoring import plans, rep_scores
from incentives.scoring.rep_scores import CloseInfo, MonthScores, Person
from voice.monthly import rep_reports
from voice.workflow import ProblemStatus

UTC = ZoneInfo("UTC")
NOW = dt.datetime(2026, 12, 9, 9, 30, tzinfo=dt.UTC)
#: Points two boxes may share (font boxes of neighbouring lines touch).
SLACK = 0.6

LONG_NAME = "Maximiliana Alexandrina Featherstonehaugh-Cholmondeley-Worthington"
LONG_TEAM = "Premium Enterprise Escalations and Priority Partner Support (EMEA North)"
PLAN = dataclasses.replace(
    plans.parse_plan(
        {
            "name": "Quarterly Premium Enterprise Service Excellence Incentive Plan",
            "currency": "USD",
            "target_bonus": 250000,
            "csat_prior_strength": 5,
            "eligibility": {"min_solved": 40, "min_rated": 10},
            "metrics": {
                "csat": {"weight": 20, "threshold": 80, "target": 95},
                "timely_rate": {
                    "weight": 15,
                    "threshold": 50,
                    "target": 90,
                    "stretch": 100,
                    "cap": 150,
                },
                "first_response_median_min": {
                    "weight": 15,
                    "threshold": 40,
                    "target": 10,
                    "stretch": 3,
                    "cap": 120,
                    "channel_groups": {"written": {"threshold": 480, "target": 120}},
                },
                "resolution_median_h": {"weight": 15, "threshold": 72, "target": 24},
                "nps": {"weight": 10, "threshold": 0, "target": 60},
                "reopen_rate": {"weight": 15, "threshold": 10, "target": 2},
                "review_followup_rate": {"weight": 5, "threshold": 50, "target": 100},
                "qa": {"weight": 5, "threshold": 60, "target": 90},
            },
            "payout": {
                "tiers": [
                    {"score": 20, "amount": 123456.78},
                    {"score": 50, "amount": 456789.12},
                    {"score": 90, "amount": 999999.99},
                ]
            },
        }
    ),
    # Longer than any plan may have today: the layout must not depend on three letters.
    currency="USDXT",
)


def month(name: str, rep_ids: range, *, closed: bool, lift: float = 0) -> MonthScores:
    people = {
        rep: Person(rep, f"{LONG_NAME} {rep}", f"rep{rep}@example.com", 7, LONG_TEAM)
        for rep in rep_ids
    }
    scores = {}
    for rep in rep_ids:
        values = {
            "csat_raw": 0.6 + lift / 2,
            "timely_rate": min(1.0, 0.45 + rep / 100 + lift),
            "first_response_median_min": 95.0 + rep,
            "resolution_median_h": 100.5,
            "nps": -35.0,
            "reopen_rate": max(0.0, 0.125 - lift / 4),
            "review_followup_rate": 0.333,
        }
        channels = {
            "live": {**values, "tickets_solved": 12, "first_response_median_min": 41.0},
            "written": {
                **values,
                "tickets_solved": 30,
                "first_response_median_min": 500.0,
            },
        }
        row = {
            **values,
            "tickets_solved": 42 + rep,
            "rated": 9 + rep,
            "satisfied": 5,
            "nps_responses": 4,
            "review_tickets": 3,
            # A QA score with a long review count: its line, trend and text.
            "qa_score": 55.5 + lift * 30,
            "qa_reviews": 12345,
        }
        scores[rep] = rep_scores.score_rep(
            rep_scores.RepMonth.from_row(rep, 7, row, channels), PLAN, org_csat=0.911
        )
    return MonthScores(
        month=name,
        close=CloseInfo(1, NOW, "Helen Carter-Featherstonehaugh", "", "f", 99, 0)
        if closed
        else None,
        plan_version_id=1,
        plan_label=f"{PLAN.name} v12",
        plan=PLAN,
        org_csat=0.911,
        scores=scores,
        people=people,
        metrics={
            rep: {"qa_score": 55.5 + lift * 30, "qa_reviews": 12345} for rep in rep_ids
        },
        organisation={"tickets_solved": 999999},
        teams={
            7: {
                "team_name": LONG_TEAM,
                "tickets_solved": 999999,
                "qa_score": 99.9,
                "qa_reviews": 123456,
            }
        },
    )


HISTORY = [
    # Scores that rise from none towards the top over the months: values on the chart.
    month(f"2026-{m:02d}", range(1, 13), closed=m < 12, lift=(m - 7) * 0.13)
    for m in range(7, 13)
]
COACHING = CoachingOffer(
    "reopen_rate",
    "Reopened",
    (
        ScenarioOffer("a", "Handling a third reopen of an enterprise escalation"),
        ScenarioOffer("b", "Setting expectations on a partner's priority ticket", True),
    ),
)


def boxes(data: bytes, tmp_path: Path, name: str) -> list[dict]:
    """Each page's size and word boxes from ``pdftotext -bbox-layout``."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    if os.environ.get("FRONTLINE_LAYOUT_DUMP"):
        shutil.copy(path, Path(os.environ["FRONTLINE_LAYOUT_DUMP"]) / path.name)
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    xhtml = re.sub(r"<!DOCTYPE[^>]*>", "", xhtml)
    root = ElementTree.fromstring(xhtml)  # noqa: S314 (our own renderer's output)
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        words = [
            (
                word.text or "",
                *(float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")),
            )
            for word in page.iter("{http://www.w3.org/1999/xhtml}word")
        ]
        pages.append(
            {
                "width": float(page.get("width", 0)),
                "height": float(page.get("height", 0)),
                "words": words,
            }
        )
    return pages


def collisions(pages: list[dict]) -> list[str]:
    """Words that overlap another on their page, or lie outside it."""
    found = []
    for number, page in enumerate(pages, start=1):
        words = sorted(page["words"], key=lambda w: w[1])
        for word in words:
            text, x0, y0, x1, y1 = word
            if x0 < -SLACK or y0 < -SLACK or x1 > page["width"] + SLACK:
                found.append(f"page {number}: {text!r} outside the page")
            if y1 > page["height"] + SLACK:
                found.append(f"page {number}: {text!r} outside the page")
        for index, (text, x0, y0, x1, y1) in enumerate(words):
            for other, ox0, oy0, ox1, oy1 in words[index + 1 :]:
                if ox0 >= x1 - SLACK:
                    continue
                if min(x1, ox1) - max(x0, ox0) > SLACK and (
                    min(y1, oy1) - max(y0, oy0) > SLACK
                ):
                    found.append(f"page {number}: {text!r} overlaps {other!r}")
    return found


def test_the_boxes_of_a_crowded_page_are_found_to_overlap() -> None:
    page = {
        "width": 100.0,
        "height": 100.0,
        "words": [("a", 10, 10, 30, 20), ("b", 25, 12, 40, 22), ("c", 50, 50, 60, 60)],
    }
    assert collisions([page]) == ["page 1: 'a' overlaps 'b'"]
    page["words"] = [("c", 95, 50, 110, 60)]
    assert collisions([page]) == ["page 1: 'c' outside the page"]


def rep_card_of(history: list[MonthScores]) -> rep_card.RepCard:
    return rep_card.rep_card(
        3,
        history,
        tz=UTC,
        authorities=[
            AuthorityHeld(
                "Goodwill refund without a supervisor's approval",
                "999,999 USDXT",
                "31 Dec 2027",
            )
        ],
        training=TrainingFacts(
            passed=(
                ("Handling a third reopen of an enterprise escalation", "02 Dec 2026"),
            ),
            passed_in_month=1,
            open_assignments=12,
            overdue=3,
        ),
        disputes=DisputeCounts(12, 34, 56),
        coaching=[COACHING],
        generated_at=NOW,
        ideas_adopted=[
            IdeaCredit(
                "Say the refund date at the end of every call, not only by e-mail, "
                "so customers stop calling back to ask when the money lands on "
                "their card, and the same for store credit and replacement parcels",
                "28 Nov 2026",
            ),
            IdeaCredit("Tracking links in texts", "30 Nov 2026"),
        ],
        problem_reports=rep_reports(
            [
                (
                    123456 + n,
                    "Enterprise customers on the premium plan are double charged "
                    "when a card is declined once and retried",
                    "Billing, Payments and Subscription Operations (EMEA North)",
                    state,
                )
                for n, state in enumerate(ProblemStatus)
            ]
        ),
    )


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "open"])
def test_a_rep_scorecard_with_extreme_values_has_no_overlapping_text(
    app, tmp_path: Path, closed: bool
) -> None:
    history = HISTORY[:-1] if closed else HISTORY
    card = rep_card_of(history)
    with app.test_request_context():
        data = pdfs.rep_pdf(card)
    pages = boxes(data, tmp_path, f"rep-{'closed' if closed else 'open'}")
    text = " ".join(w[0] for page in pages for w in page["words"])
    assert "Featherstonehaugh-Cholmondeley-Worthington" in text
    assert "USDXT" in text
    assert "Ideas adopted" in text
    assert "replacement parcels, adopted 28 Nov 2026" in text
    assert "#123456" in text
    assert "12,345 reviews" in text  # the QA score's line and its trend
    assert collisions(pages) == []


def test_a_team_scorecard_with_extreme_values_has_no_overlapping_text(
    app, tmp_path: Path
) -> None:
    card = team_card.team_card(
        7,
        LONG_TEAM,
        HISTORY,
        tz=UTC,
        supervisors=["Bartholomew Featherstonehaugh-Cholmondeley"],
        coaching={rep: [COACHING] for rep in range(1, 13)},
        open_disputes=123,
        finals={rep: Decimal("999999.99") for rep in range(1, 13)},
        generated_at=NOW,
    )
    with app.test_request_context():
        data = pdfs.team_pdf(card)
    pages = boxes(data, tmp_path, "team")
    text = " ".join(w[0] for page in pages for w in page["words"])
    assert "999,999.99" in text
    assert "123,456 reviews" in text  # the team's QA score and its trend
    assert collisions(pages) == []
