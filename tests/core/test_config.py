"""Configuration from the environment, and the start-up check."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from core.config import ConfigError, check, database_uri, from_env


def test_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = from_env(str(tmp_path), environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'frontline.db'}"
    assert config["SECRET_KEY"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/frontline.db", "sqlite:////srv/frontline.db"),
    ],
)
def test_database_url_uses_psycopg_for_postgres(given: str, expected: str) -> None:
    assert database_uri(given, Path("/x")) == expected


def test_environment_contract_is_read(tmp_path: Path) -> None:
    config = from_env(
        str(tmp_path),
        environ={
            "DATABASE_URL": "postgresql://db/frontline",
            "SECRET_KEY": "s3cret",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "FRONTLINE_TIMEZONE": "Europe/Paris",
            "SMTP_HOST": "mail.example.com",
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            "FRONTLINE_HTTPS": "1",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/frontline"
    assert config["SECRET_KEY"] == "s3cret"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["FRONTLINE_TIMEZONE"] == "Europe/Paris"
    assert (config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_STARTTLS"]) == (
        "mail.example.com",
        587,
        True,
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["HSTS"] is True


def test_local_secret_key_file_is_used_when_the_environment_has_none(
    tmp_path: Path,
) -> None:
    (tmp_path / "secret_key").write_text("from-file\n")
    assert from_env(str(tmp_path), environ={})["SECRET_KEY"] == "from-file"
    assert from_env(str(tmp_path), environ={"SECRET_KEY": "env"})["SECRET_KEY"] == "env"


def test_refuses_to_start_without_a_secret_key_in_production() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check({"SECRET_KEY": None, "FRONTLINE_TIMEZONE": "UTC"})
    check({"SECRET_KEY": None, "TESTING": True, "FRONTLINE_TIMEZONE": "UTC"})
    check({"SECRET_KEY": None, "DEBUG": True, "FRONTLINE_TIMEZONE": "UTC"})


def test_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        check({"SECRET_KEY": "x", "FRONTLINE_TIMEZONE": "Mars/Olympus"})


def test_create_app_refuses_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("core.config.SECRET_KEY_FILE", "no-such-file")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_session_cookie_is_http_only_and_same_site(app) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
