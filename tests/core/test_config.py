"""Configuration from the environment, and the start-up check."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from core.config import ConfigError, check, database_uri, from_env
from core.db import db
from core.extensions import limiter
from tests.conftest import TEST_CONFIG
from tests.helpers import csrf_token


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


def test_the_number_of_trusted_proxies_is_read_and_checked(tmp_path: Path) -> None:
    assert from_env(str(tmp_path), {})["FRONTLINE_PROXIES"] == 0
    assert from_env(str(tmp_path), {"FRONTLINE_PROXIES": "1"})["FRONTLINE_PROXIES"] == 1
    for bad in ("yes", "-1", "9"):
        with pytest.raises(ConfigError, match="FRONTLINE_PROXIES"):
            from_env(str(tmp_path), {"FRONTLINE_PROXIES": bad})


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_trusted_proxy_the_login_limit_counts_each_client(
    tmp_path: Path, proxies: int
) -> None:
    """Two people behind one proxy: with FRONTLINE_PROXIES=1 each has their own limit;
    without it, the proxy's address is the only one seen and they share it."""
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.db'}",
            "FRONTLINE_PROXIES": proxies,
            "LOGIN_RATE_LIMIT": "2 per minute",
        }
    )
    with app.app_context():
        db.create_all()
    limiter.reset()

    def attempt(client, address: str) -> int:
        return client.post(
            "/auth/login",
            data={
                "csrf_token": csrf_token(client),
                "email": f"nobody.{address}@example.com",
                "password": "wrong password",
            },
            headers={"X-Forwarded-For": address},
        ).status_code

    first, second = app.test_client(), app.test_client()
    assert [attempt(first, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert attempt(second, "198.51.100.4") == (200 if proxies else 429)
    limiter.reset()
    with app.app_context():
        db.engine.dispose()
