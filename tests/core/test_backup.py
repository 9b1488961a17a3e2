"""Backups taken while people work restore to a working instance."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import accounts, backup
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


@pytest.fixture
def one_user_app(scratch_database_url: str) -> Iterator[Flask]:
    """An app on a scratch database holding one user, first@example.com."""
    app = make_test_app(scratch_database_url)
    with app.app_context():
        db.create_all()
        accounts.create_user(
            accounts.UserInput("first@example.com", "First", frozenset({Role.ADMIN})),
            by="test",
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def emails(app: Flask) -> set[str]:
    with app.app_context():
        db.session.remove()
        return set(db.session.scalars(select(User.email)))


def test_a_backup_is_readable_by_its_owner_only_whatever_the_umask(
    one_user_app: Flask, tmp_path: Path
) -> None:
    out = tmp_path / "backups" / "frontline.backup"
    old_umask = os.umask(0o002)  # a shared server's default: new files group-writable
    try:
        result = one_user_app.test_cli_runner().invoke(
            args=["backup", "--out", str(out)]
        )
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)
    assert os.listdir(out.parent) == ["frontline.backup"]  # no temporary file left


def test_an_interrupted_backup_leaves_the_previous_one_whole_and_no_half_file(
    one_user_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = one_user_app.config["SQLALCHEMY_DATABASE_URI"]
    folder = tmp_path / "backups"
    out = folder / "frontline.backup"
    backup.backup(url, out)
    previous = out.read_bytes()

    def half_written(path: object) -> None:
        with open(path, "wb") as f:
            f.write(previous[: len(previous) // 2])
        raise KeyboardInterrupt  # Ctrl-C, or the machine stopping, mid-write

    real_connect, real_run = sqlite3.connect, subprocess.run

    def connect(database: object, *args: object, **kwargs: object) -> object:
        if Path(str(database)).parent == folder:  # the backup being written
            half_written(database)
        return real_connect(database, *args, **kwargs)

    def run(command: list[str], *args: object, **kwargs: object) -> object:
        if "--file" in command:  # pg_dump writing the backup
            half_written(command[command.index("--file") + 1])
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(KeyboardInterrupt):
        backup.backup(url, out)
    monkeypatch.undo()
    assert out.read_bytes() == previous
    assert os.listdir(folder) == ["frontline.backup"]


@pytest.mark.parametrize(
    ("mode", "who"),
    [(0o664, "its group"), (0o646, "anyone on this machine"), (0o666, "anyone")],
    ids=["group-writable", "other-writable", "writable-by-all"],
)
def test_restore_refuses_a_backup_others_could_have_changed(
    one_user_app: Flask, tmp_path: Path, mode: int, who: str
) -> None:
    out = tmp_path / "frontline.backup"
    backup.backup(one_user_app.config["SQLALCHEMY_DATABASE_URI"], out)
    with one_user_app.app_context():
        accounts.create_user(
            accounts.UserInput("later@example.com", "Later", frozenset({Role.REP})),
            by="test",
        )
        db.session.commit()
    runner = one_user_app.test_cli_runner()

    out.chmod(mode)
    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert f"{out} can be changed by {who}" in message
    assert "nothing was restored" in message
    assert f"(chmod go-w {out}) and restore again." in message
    assert emails(one_user_app) == {"first@example.com", "later@example.com"}

    out.chmod(0o600)
    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert emails(one_user_app) == {"first@example.com"}
