"""Backups that can be taken while people work, and restoring them.

SQLite uses its online backup API (a consistent snapshot, taken page by page while others
keep writing). PostgreSQL uses ``pg_dump`` in its custom format (a consistent snapshot in
one transaction) and ``pg_restore``.

A backup holds password and token hashes and candidates' personal data, so it is written
readable by its owner only (0600), to a temporary name in the same folder, and renamed
into place once complete: an interrupted backup never leaves a half file under the name
asked for, and a previous backup there stays whole until the new one replaces it. A
restore refuses a file that other users could have changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
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
    """Write a consistent copy of the database to ``out``, readable by its owner only.

    The copy is written to a private temporary file beside ``out`` and renamed to ``out``
    when complete; on any failure the temporary file is removed and ``out`` is untouched.

    :raises BackupError: the database kind is not supported or the tool failed.
    """
    url = make_url(database_url)
    kind = url.get_backend_name()
    if kind == "sqlite":
        write = _write_sqlite
    elif kind == "postgresql":
        write = _write_postgres
    else:
        raise BackupError(f"Backups of {kind} databases are not supported.")
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 and exclusively, whatever the umask.
    fd, name = tempfile.mkstemp(
        dir=out.parent, prefix=f".{out.name}.", suffix=".partial"
    )
    os.close(fd)
    partial = Path(name)
    try:
        write(url, partial)
        os.chmod(partial, 0o600)  # the tool may not keep it so; be sure
        _fsync(partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync(out.parent)
    return out


def _write_sqlite(url: URL, path: Path) -> None:
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    target = sqlite3.connect(path)
    try:
        with target:
            source.backup(target, pages=1024)
    finally:
        target.close()
        source.close()


def _write_postgres(url: URL, path: Path) -> None:
    args, env = _pg_args(url)
    _run(
        ["pg_dump", *args, "--format=custom", "--file", str(path), url.database or ""],
        env,
    )


def _fsync(path: Path) -> None:
    """Push ``path`` (a file, or a folder's list of names) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def _check_private(source: Path) -> None:
    mode = source.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "anyone on this machine" if mode & stat.S_IWOTH else "its group"
        raise BackupError(
            f"{source} can be changed by {who} (its permissions are "
            f"{stat.filemode(mode)}), so it may not be the backup that was taken; "
            "nothing was restored. If you trust it, make it writable by its owner only "
            f"(chmod go-w {source}) and restore again."
        )


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup made by :func:`backup`.

    Stop the app (and workers) first: connections open during a restore see it half done.

    :raises BackupError: the file is missing, other users can change it, or it is not
        a backup of this kind of database.
    """
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    _check_private(source)
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
