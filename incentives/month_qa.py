"""A month's QA scores as part of its figures: the one place they come in.

``month_cache`` adds them to every set of figures it computes (the organisation's, a
slice, one rep's row, some teams' rows), read from quality's counted reviews
(``quality.queries.month_qa``): ``qa_score`` (the mean of the counted reviews, 0-100,
NaN for none) and ``qa_reviews`` (how many) for each rep, each team and the organisation.
A close keeps them with the rest of the figures, so a review submitted or decided after
the month closed changes nothing in it until it is reopened. Every submit, dispute and
decision renews the figures' fingerprint (``month_cache``'s inputs token, through
:func:`changes_scores`), so an open month shows it at the next view.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from incentives.tickets.month_metrics import QA_COLUMNS, MonthMetrics
from quality.queries import (
    changes_qa_scores,
    month_qa,
    waiting_reviews,
    writes_reviews,
)
from quality.rubrics import MonthScore


def changes_scores(session: Session) -> bool:
    """Whether this flush changes a month's QA scores, or a statement since the last
    flush did (see the module's docstring)."""
    return bool(session.info.pop(_WRITTEN, False)) or changes_qa_scores(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    """Note a bulk write of reviews: the next flush renews the figures' fingerprint (a
    submit or a decision always flushes its audit record after it)."""
    if writes_reviews(state):
        state.session.info[_WRITTEN] = True


_WRITTEN = "incentives.qa_reviews_written"


def waiting(month: str) -> int:
    """The month's quality reviews that do not count yet (drafts, open disputes): a
    close keeps the QA scores without them."""
    return waiting_reviews(month)


def add(figures: MonthMetrics) -> MonthMetrics:
    """``figures`` with their QA columns filled in (in place; returned for chaining)."""
    qa = month_qa(figures.month)
    figures.reps = _with(figures.reps, qa.reps)
    figures.teams = _with(figures.teams, qa.teams)
    if figures.organisation is not None:
        figures.organisation = _row_with(figures.organisation, qa.organisation)
    return figures


def add_to_rep(row: pd.Series, rep_id: int, month: str) -> pd.Series:
    """One rep's row of figures with their QA columns."""
    return _row_with(row, month_qa(month).reps.get(rep_id))


def add_to_teams(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    """Teams' rows of figures with their QA columns."""
    return _with(frame, month_qa(month).teams)


def _with(frame: pd.DataFrame, scores: Mapping[int, MonthScore]) -> pd.DataFrame:
    found = [scores.get(int(i)) for i in frame.index]
    result = frame.copy()
    result["qa_score"] = pd.Series(
        [_score(s) for s in found], index=frame.index, dtype="float64"
    )
    result["qa_reviews"] = pd.Series(
        [s.reviews if s else 0 for s in found], index=frame.index, dtype="int64"
    )
    return result


def _row_with(row: pd.Series, score: MonthScore | None) -> pd.Series:
    extra = pd.Series(
        {"qa_score": _score(score), "qa_reviews": score.reviews if score else 0},
        dtype=object,
    )
    result = pd.concat([row.drop(QA_COLUMNS, errors="ignore"), extra])
    result.name = row.name
    return result


def _score(score: MonthScore | None) -> float:
    return math.nan if score is None or score.score is None else float(score.score)
