"""A large SQLite load staged in a file of its own: the same tickets as rows bound one by
one, the live database never opened by the staging driver, and the staging file gone
once the import's transaction has ended."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import adbc_driver_sqlite.dbapi
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from core.db import db
from incentives.tickets import bulk, importing, operations, staging
from incentives.tickets.models import Ticket
from incentives.tickets.sources import SPECS, Source

DATA = Path(__file__).parent / "data"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)
#: Exports with every kind of column: durations, ratings, tags, unassigned tickets.
FILES = [
    ("frontline_tickets.csv", "frontline"),
    ("zendesk_export.csv", "zendesk"),
    ("freshdesk_export.csv", "freshdesk"),
    ("exports/servicenow.csv", "servicenow"),
    ("exports/intercom.csv", "intercom"),
]


def checked_frame(name: str, source: str) -> pd.DataFrame:
    parsed = importing.parse_file(
        (DATA / name).read_bytes(), SPECS[Source(source)], tz=UTC, now=NOW
    )
    assert parsed.ok, parsed.errors
    tickets = parsed.tickets
    agents = [None if i % 3 == 0 else i for i in range(len(tickets))]
    return tickets.assign(
        agent_id=pd.Series(agents, index=tickets.index, dtype=object),
        fingerprint=importing.fingerprints(tickets),
    )


@pytest.mark.parametrize(("name", "source"), FILES)
def test_staged_columns_hold_the_values_bound_row_by_row(name, source) -> None:
    frame = checked_frame(name, source)
    columns = [c for c in bulk.COLUMNS if c not in ("source", "import_id")]
    table = staging.arrow_table(frame, columns)
    staged = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    bound = bulk.rows(frame, source=source, import_id=1, columns=columns)
    assert staged == bound
    # the times are text as SQLAlchemy writes them, to the microsecond
    assert all(
        t is None or len(t) == 26 for t in table.column("created_at").to_pylist()
    )


def _sqlite_only() -> None:
    if db.session.connection().dialect.name != "sqlite":
        pytest.skip("staging is for SQLite")


def _stored() -> list[tuple]:
    columns = [c for c in Ticket.__table__.columns if c.key not in ("id", "import_id")]
    return [
        tuple(row)
        for row in db.session.execute(
            select(*columns).order_by(Ticket.source, Ticket.external_id)
        )
    ]


@pytest.mark.usefixtures("app_ctx")
def test_a_staged_import_stores_what_a_bound_one_does(monkeypatch) -> None:
    _sqlite_only()

    def import_all() -> None:
        for name, source in FILES:
            outcome = operations.import_ticket_file(
                (DATA / name).read_bytes(),
                filename=name,
                file_format=source,
                by="test",
                via="cli",
                tz=UTC,
                now=NOW,
            )
            assert outcome.inserted > 0

    with db.session.begin_nested() as bound:
        import_all()
        expected = _stored()
        bound.rollback()
    assert _stored() == []
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)
    import_all()
    assert _stored() == expected
    assert len(expected) > 20


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every file the staging driver opens."""
    paths: list[str] = []
    connect = adbc_driver_sqlite.dbapi.connect

    def watched(uri: str, *args, **kwargs):
        paths.append(uri)
        return connect(uri, *args, **kwargs)

    monkeypatch.setattr(adbc_driver_sqlite.dbapi, "connect", watched)
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)
    return paths


def _attached() -> list[str]:
    rows = db.session.connection().exec_driver_sql("PRAGMA database_list")
    return [row[1] for row in rows if row[1] not in ("main", "temp")]


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_staging_file_is_separate_and_gone_when_the_transaction_ends(
    race_app, opened, end
) -> None:
    with race_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("staging is for SQLite")
        live = Path(db.engine.url.database).resolve()
        outcome = operations.import_ticket_file(
            (DATA / "frontline_tickets.csv").read_bytes(),
            filename="frontline_tickets.csv",
            file_format="frontline",
            by="test",
            via="cli",
            tz=UTC,
            now=NOW,
        )
        assert outcome.inserted > 0
        assert len(opened) == 1
        staged = Path(opened[0]).resolve()
        assert staged != live
        assert staged.parent != live.parent
        assert staged.exists()
        assert len(_attached()) == 1
        getattr(db.session, end)()
        assert not staged.exists()
        assert not staged.parent.exists()
        assert _attached() == []
        tickets = db.session.scalar(select(sa.func.count()).select_from(Ticket))
        assert tickets == (outcome.inserted if end == "commit" else 0)


AWKWARD = (
    "ticket_id,channel,agent_email,priority,created_at,first_response_at,solved_at,"
    "reopens,csat,nps,tags,group\n"
    "Q-1,email,ann@example.com,normal,2024-03-01T08:00:00.123456Z,,2024-03-02T08:00:00Z,"
    '2,good,10,"say ""hi"", then\nbye","Desk, ""A"""\n'
    "Q-2,chat,,low,2024-03-03 12:00:00,,,,bad,0,,\n"
    "Q-3,phone,bo@example.com,high,2024-03-04T09:00:00+02:00,,,0,,,\\N,\\\n"
)


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(("name", "source"), [*FILES, ("awkward", "frontline")])
def test_every_value_reads_back_as_checked(name, source, monkeypatch) -> None:
    """Written through COPY (PostgreSQL) or staged (SQLite, every load here), each ticket
    reads back through the ORM with the values the file's check gave."""
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)
    data = AWKWARD.encode() if name == "awkward" else (DATA / name).read_bytes()
    parsed = importing.parse_file(data, SPECS[Source(source)], tz=UTC, now=NOW)
    assert parsed.ok, parsed.errors
    outcome = operations.import_ticket_file(
        data, filename=name, file_format=source, by="t", via="cli", tz=UTC, now=NOW
    )
    assert outcome.inserted == len(parsed.tickets)
    stored = {
        t.external_id: t
        for t in db.session.scalars(select(Ticket).where(Ticket.source == source))
    }
    for _, want in parsed.tickets.iterrows():
        ticket = stored[want["external_id"]]
        for column in ("created_at", "first_response_at", "solved_at"):
            expected = None if pd.isna(want[column]) else want[column].to_pydatetime()
            assert getattr(ticket, column) == expected
        for column in ("tags", "group_name"):
            expected = None if pd.isna(want[column]) else want[column]
            assert getattr(ticket, column) == expected
        for column in ("reopens", "nps", "satisfied", *bulk.COLUMNS[9:13]):
            value = getattr(ticket, column)
            assert (value is None) == pd.isna(want[column]), column
            if value is not None:
                assert value == want[column], column
    if name == "awkward":
        assert stored["Q-1"].tags == 'say "hi", then\nbye'
        assert stored["Q-1"].group_name == 'Desk, "A"'
        assert stored["Q-3"].tags == "\\N"
        assert stored["Q-3"].group_name == "\\"
        assert stored["Q-1"].created_at.microsecond == 123456


def test_a_killed_import_s_staging_folder_is_removed_by_the_next(tmp_path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    abandoned = tmp_path / f"frontline-staging-{gone.pid}-abc"
    mine = tmp_path / f"frontline-staging-{os.getpid()}-def"
    other = tmp_path / "frontline-staging-notapid-x"
    for folder in (abandoned, mine, other):
        folder.mkdir()
        (folder / "tickets.db").write_bytes(b"")
    assert staging.remove_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists()
    assert mine.exists()
    assert other.exists()
