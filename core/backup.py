"""Backups that can be taken while people work, and restoring them.

SQLite uses its online backup API (a consistent snapshot, taken page by page while others
keep writing). PostgreSQL uses ``pg_dump`` in its custom format (a consistent snapshot in
one transaction) and ``pg_restore``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    import os

    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(
            f"{command[0]} is not installed (it comes with the PostgreSQL client)."
        )
    result = subprocess.run(  # noqa: S603 (fixed tool, arguments we built)
        [tool, *command[1:]],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def backup(database_url: str, out: Path) -> Path:
    """Write a consistent copy of the database to ``out``.

    :raises BackupError: the database kind is not supported or the tool failed.
    """
    url = make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        target = sqlite3.connect(out)
        try:
            with target:
                source.backup(target, pages=1024)
        finally:
            target.close()
            source.close()
        return out
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--file",
                str(out),
                url.database or "",
            ],
            env,
        )
        return out
    raise BackupError(
        f"Backups of {url.get_backend_name()} databases are not supported."
    )


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup made by :func:`backup`.

    Stop the app (and workers) first: connections open during a restore see it half done.

    :raises BackupError: the file is missing or not a backup of this kind of database.
    """
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        try:
            backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            backup_db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            raise BackupError(f"{source} is not a SQLite backup: {e}") from e
        target = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(
            [
                "pg_restore",
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url.database or "",
                str(source),
            ],
            env,
        )
        return
    raise BackupError(f"Restoring {url.get_backend_name()} databases is not supported.")
