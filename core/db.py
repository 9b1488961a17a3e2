"""The database: declarative base, the shared ``db`` object, UTC datetimes and SQLite set-up."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from flask import Flask, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Engine, Enum, MetaData, Numeric, event
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database.

    Values are stored as naive UTC (SQLite keeps no time zone) and come back aware. Naive
    values are refused when written, so a local time can never be stored by mistake.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Any
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r} given; use an aware UTC datetime"
            )
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Any
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base for every Frontline model."""

    # One registry carries both, so Flask-SQLAlchemy's subclass of this base inherits them.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            dt.datetime: UTCDateTime(),
            Decimal: Numeric(12, 2),
            dict[str, Any]: JSON(),
            list[Any]: JSON(),
        },
    )


db = SQLAlchemy(model_class=Base)


def enum_column(kind: type[enum.Enum], length: int = 32) -> Enum:
    """A column type for a Python enum, stored as its values in a plain string column.

    Not a native enum, so SQLite and PostgreSQL behave alike and a new member needs no
    ``ALTER TYPE`` (docs/style.md, "SQLAlchemy 2.0 style").
    """
    return Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def init_app(app: Flask) -> None:
    """Bind ``db`` to the app and prepare SQLite engines.

    SQLite gets foreign keys, WAL for file databases, a busy timeout, and SQLAlchemy's
    documented pysqlite fix (driver autocommit off, ``BEGIN`` emitted by us) so that
    savepoints behave as on PostgreSQL.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _prepare_sqlite(engine)


def _prepare_sqlite(engine: Engine) -> None:
    is_file = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; "begin" below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if is_file:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(
            "BEGIN IMMEDIATE" if _takes_write_lock() else "BEGIN"
        )


#: Requests with these methods only read; every other request may write.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _takes_write_lock() -> bool:
    """Should this SQLite transaction take the write lock when it begins?

    In WAL mode, a transaction that reads first and writes later fails at once ("database
    is locked") if another writer committed in between; the busy timeout cannot help it.
    Requests that may write (POST and the like) therefore begin IMMEDIATE: writers queue
    up within the busy timeout instead of failing, while readers never wait.
    """
    if not has_request_context():
        return False
    return request.method not in READ_ONLY_METHODS or bool(
        request.environ.get(_WRITES_KEY)
    )


_WRITES_KEY = "frontline.db.writes"


def will_write() -> None:
    """Say that this request, which only reads as a rule (a GET), is about to write.

    Its transactions from the next one on begin by taking SQLite's write lock, as a POST's
    do: end the current one (commit) before reading what the write depends on, and the
    write waits its turn within the busy timeout instead of failing with "database is
    locked". On PostgreSQL nothing changes.
    """
    if has_request_context():
        request.environ[_WRITES_KEY] = True
