"""Scorecard PDFs kept with the fingerprint of what they show: a month's batch lays out
again only what changed (after one dispute, the rep's card, their team's page and the
pack), and a closed month's download is the kept file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from markupsafe import Markup

from core.db import db
from incentives.scorecards import kept
from incentives.scorecards import pdfs as scorecard_pdfs
from incentives.scorecards import queries as scorecard_queries
from incentives.scoring import operations as scoring_operations
from incentives.scoring.disputes import Resolution
from incentives.tickets.models import Ticket
from tests.incentives import scoring_world

MARCH = "2024-03"


@pytest.fixture
def world(app_ctx) -> scoring_world.World:
    world = scoring_world.build()
    scoring_operations.close_month(MARCH, by=world.admin)
    db.session.commit()
    return world


def _times(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*.pdf")
    }


def test_a_second_batch_keeps_everything_and_one_dispute_redoes_only_its_cards(
    world, tmp_path: Path
) -> None:
    first = scorecard_pdfs.render_month(MARCH, tmp_path, workers=0, keep=True)
    assert (first.kept, len(first.files)) == (0, 6)
    before = _times(tmp_path)

    again = scorecard_pdfs.render_month(MARCH, tmp_path, workers=0, keep=True)
    assert again.kept == 6
    assert _times(tmp_path) == before  # nothing laid out again
    assert sorted(again.files) == sorted(first.files)

    # Ann disputes A3 (not satisfied), it is excluded, and March is closed again.
    scoring_operations.reopen_month(MARCH, by=world.admin, reason="A dispute")
    ticket = db.session.get(Ticket, world.tickets["A3"])
    dispute = scoring_operations.file_dispute(ticket, by=world.ann, reason="Not mine")
    scoring_operations.decide_dispute(
        dispute, by=world.sam, accept=True, resolution=Resolution.EXCLUDE, note="Agreed"
    )
    scoring_operations.close_month(MARCH, by=world.admin)
    db.session.commit()

    third = scorecard_pdfs.render_month(MARCH, tmp_path, workers=0, keep=True)
    after = _times(tmp_path)
    redone = sorted(name for name in after if after[name] != before[name])
    # The organisation's CSAT moved (the Bayesian prior of everyone), so every rep with
    # a score changes; the Other team's page shows Cat only, who has no tickets.
    assert f"reps/ann-example-{world.ann.id}.pdf" in redone
    assert f"teams/desk-{world.desk.id}.pdf" in redone
    assert "leadership.pdf" in redone
    assert f"teams/other-{world.other.id}.pdf" not in redone
    assert third.kept == 6 - len(redone)


def test_a_closed_months_download_is_the_kept_file(
    world, client, login_as, monkeypatch
) -> None:
    login_as(world.ann)
    url = f"/incentives/scorecards/reps/{world.ann.id}.pdf?month={MARCH}"
    first = client.get(url)
    assert first.status_code == 200
    assert first.data.startswith(b"%PDF")

    def no_layout(card):
        raise AssertionError("laid out again")

    monkeypatch.setattr(scorecard_pdfs, "rep_pdf", no_layout)
    again = client.get(url)
    assert again.status_code == 200
    assert again.data == first.data


def test_an_open_months_download_is_laid_out_each_time(world, monkeypatch) -> None:
    calls = []
    card = scorecard_queries.rep_scorecard(world.ann, "2024-04")
    assert not card.is_closed
    scorecard_pdfs.kept_pdf(
        "2024-04", "reps/x.pdf", card, lambda c: calls.append(c) or b"%PDF"
    )
    scorecard_pdfs.kept_pdf(
        "2024-04", "reps/x.pdf", card, lambda c: calls.append(c) or b"%PDF"
    )
    assert len(calls) == 2


def _no_unordered(value, where: str) -> None:
    """A fingerprint is ``repr`` of the card: sets would print in a different order in
    another process (string hashing is salted per process)."""
    assert not isinstance(value, set | frozenset), where
    if dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            _no_unordered(getattr(value, item.name), f"{where}.{item.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_unordered(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple) and not isinstance(value, Markup):
        for index, item in enumerate(value):
            _no_unordered(item, f"{where}[{index}]")


def test_fingerprints_are_the_same_in_every_process(world) -> None:
    rep = scorecard_queries.rep_scorecard(world.ann, MARCH)
    team = scorecard_queries.team_scorecard(world.desk, MARCH)
    pack = scorecard_queries.leadership_pack(MARCH)
    for card in (rep, team, pack):
        _no_unordered(card, type(card).__name__)
    made_later = dataclasses.replace(rep, generated="01 Jan 2030, 09:00")
    assert kept.fingerprint(made_later) == kept.fingerprint(rep)
    # A re-close names another close: the same figures keep their PDF...
    reclosed = dataclasses.replace(rep, status="Closed on 2 May 2024 by Someone")
    assert kept.fingerprint(reclosed) == kept.fingerprint(rep)
    # ...but a month reopened is not the closed one.
    assert kept.fingerprint(dataclasses.replace(rep, is_closed=False)) != (
        kept.fingerprint(rep)
    )
    assert kept.fingerprint(dataclasses.replace(rep, name="Someone else")) != (
        kept.fingerprint(rep)
    )
