"""Backups taken while people work restore to a working instance."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from core import accounts
from core.access import Role
from core.db import db
from core.people import User
from tests.conftest import make_test_app


def test_a_backup_taken_during_writes_restores_to_a_working_instance(
    scratch_database_url: str, tmp_path: Path
) -> None:
    app: Flask = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        accounts.create_user(
            accounts.UserInput("first@example.com", "First", frozenset({Role.ADMIN})),
            by="test",
            password="a long passphrase",
        )
        db.session.commit()

    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        with app.app_context():
            while not stop.is_set() and n < 400:
                n += 1
                accounts.create_user(
                    accounts.UserInput(
                        f"w{n}@example.com", f"Writer {n}", frozenset({Role.REP})
                    ),
                    by="test",
                )
                db.session.commit()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    runner = app.test_cli_runner()
    out = tmp_path / "frontline.backup"
    try:
        result = runner.invoke(args=["backup", "--out", str(out)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    with app.app_context():
        written = db.session.scalar(select(func.count()).select_from(User))

    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        users = db.session.scalars(select(User)).all()
        # A consistent snapshot: the first user, and every user whose roles came with it.
        assert 1 <= len(users) <= written
        assert "first@example.com" in {u.email for u in users}
        assert all(u.roles for u in users)
        accounts.create_user(
            accounts.UserInput("after@example.com", "After", frozenset({Role.REP})),
            by="test",
        )
        db.session.commit()
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(
    scratch_database_url: str, tmp_path: Path
) -> None:
    app = make_test_app(scratch_database_url)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database")
    result = app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "not a" in result.output or "failed" in result.output
    with app.app_context():
        db.engine.dispose()
