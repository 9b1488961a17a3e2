"""Frontline configuration: defaults, the environment contract, and the start-up check."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The file ``make run`` writes a random key into, for local use only.
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)

DEFAULTS: dict[str, Any] = {
    "FRONTLINE_TIMEZONE": "UTC",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "frontline_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    #: Forms from people who are not logged in (login, password links, the candidate's
    #: test) are small: larger bodies are refused with 413 before they are read.
    "ANONYMOUS_MAX_CONTENT_LENGTH": 16 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    # An unreachable Redis answers within a second; the limiter then counts in-process.
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    "RATELIMIT_HEADERS_ENABLED": True,
    #: Login attempts per client address, whatever the accounts tried (then 429).
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    #: Login attempts per account from one address (then 429). The account alone is
    #: never blocked, only slowed: see core.login_throttle.
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
    "REDIS_URL": None,
    #: Files several hosts share (rendered scorecards); ``instance/storage`` when unset.
    "FRONTLINE_STORAGE_DIR": None,
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    "SMTP_FROM": "Frontline <frontline@localhost>",
    "HSTS": False,
    #: Reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    "FRONTLINE_PROXIES": 0,
    "USER_INVITATION_MAX_AGE": timedelta(days=7),
}


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 5:
        raise ConfigError(f"{name} must be a whole number from 0 to 5, not {value!r}")
    return number


def from_env(
    instance_path: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read the environment contract (DESIGN "Contracts") into Flask config values.

    :param instance_path: the app's instance folder; the default SQLite file and the local
        secret key live there.
    :param environ: the environment to read (``os.environ`` when omitted).
    :return: a config mapping layered over :data:`DEFAULTS`.
    """
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    config = dict(DEFAULTS)
    config["SQLALCHEMY_DATABASE_URI"] = database_uri(env.get("DATABASE_URL"), instance)
    secret = env.get("SECRET_KEY")
    if not secret and (instance / SECRET_KEY_FILE).is_file():
        secret = (instance / SECRET_KEY_FILE).read_text().strip()
    config["SECRET_KEY"] = secret or None
    if env.get("REDIS_URL"):
        config["REDIS_URL"] = env["REDIS_URL"]
        config["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    if env.get("FRONTLINE_STORAGE_DIR"):
        config["FRONTLINE_STORAGE_DIR"] = env["FRONTLINE_STORAGE_DIR"]
    if env.get("FRONTLINE_TIMEZONE"):
        config["FRONTLINE_TIMEZONE"] = env["FRONTLINE_TIMEZONE"]
    if env.get("FRONTLINE_HTTPS"):
        secure = _bool(env["FRONTLINE_HTTPS"])
        config["SESSION_COOKIE_SECURE"] = secure
        config["REMEMBER_COOKIE_SECURE"] = secure
        config["HSTS"] = secure
    if env.get("FRONTLINE_PROXIES"):
        config["FRONTLINE_PROXIES"] = _count(
            env["FRONTLINE_PROXIES"], "FRONTLINE_PROXIES"
        )
    for key in ("SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM"):
        if env.get(key):
            config[key] = env[key]
    if env.get("SMTP_PORT"):
        config["SMTP_PORT"] = int(env["SMTP_PORT"])
    for key in ("SMTP_STARTTLS", "SMTP_SSL"):
        if env.get(key):
            config[key] = _bool(env[key])
    return config


def database_uri(url: str | None, instance: Path) -> str:
    """SQLite under the instance folder by default; ``postgres://`` URLs use psycopg 3."""
    if not url:
        return f"sqlite:///{instance / 'frontline.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ConfigError(RuntimeError):
    """The configuration cannot run Frontline safely."""


def check(config: Mapping[str, Any]) -> None:
    """Refuse settings that would be unsafe or cannot work.

    :raises ConfigError: no ``SECRET_KEY`` outside debug or testing, or an unknown time zone.
    """
    relaxed = config.get("DEBUG") or config.get("TESTING")
    if not config.get("SECRET_KEY") and not relaxed:
        raise ConfigError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(for local use, `make run` writes one to instance/secret_key)."
        )
    try:
        ZoneInfo(config["FRONTLINE_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(
            f"FRONTLINE_TIMEZONE {config['FRONTLINE_TIMEZONE']!r} is not a known time zone"
        ) from e


def unshared_limits_warning(workers: int, redis_url: str | None) -> str | None:
    """The warning for starting several web workers without Redis, or None when all is well.

    Without ``REDIS_URL`` each worker counts rate limits in its own memory, so an address
    gets ``workers`` times the login attempts ``LOGIN_RATE_LIMIT`` allows.
    """
    if workers <= 1 or redis_url:
        return None
    return (
        f"REDIS_URL is not set, so each of the {workers} web workers counts login and "
        f"test-link rate limits on its own: an address may try {workers} times as often "
        "as LOGIN_RATE_LIMIT allows. Set REDIS_URL so that all workers share one count "
        "(or run a single worker)."
    )
