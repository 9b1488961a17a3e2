"""With REDIS_URL set, the login limits and the failed-login count behind the login pause
are kept in Redis, shared by every worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from core.extensions import limiter
from tests.conftest import TEST_REDIS_URL, requires_redis
from tests.helpers import csrf_token

pytestmark = requires_redis()


@pytest.fixture
def redis_app(app: Flask) -> Iterator[Flask]:
    """The suite's app with its limiter counting in Redis, as a worker with REDIS_URL does."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)
    memory = app.config["RATELIMIT_STORAGE_URI"]
    app.config["RATELIMIT_STORAGE_URI"] = TEST_REDIS_URL
    limiter.init_app(app)
    yield app
    app.config["RATELIMIT_STORAGE_URI"] = memory
    limiter.init_app(app)
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)


def failed_login(app: Flask, address: str) -> int:
    client = app.test_client()
    token = csrf_token(client)
    return client.post(
        "/auth/login",
        data={
            "csrf_token": token,
            "email": "someone@example.com",
            "password": "wrong pass",
        },
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_login_attempts_are_counted_in_redis(redis_app: Flask) -> None:
    import redis

    statuses = [failed_login(redis_app, "192.0.2.7") for _ in range(11)]
    assert statuses[-1] == 429
    keys = [
        k.decode() for k in redis.Redis.from_url(TEST_REDIS_URL).scan_iter("LIMITS*")
    ]
    assert any("192.0.2.7" in k for k in keys), keys
    # The count lives in Redis, not in this process: clearing Redis lifts the limit.
    for key in keys:
        redis.Redis.from_url(TEST_REDIS_URL).delete(key)
    assert failed_login(redis_app, "192.0.2.7") == 200


def test_the_pause_after_failed_logins_is_counted_in_redis(
    redis_app: Flask, login_pauses: list[float]
) -> None:
    import redis

    for i in range(4):
        assert failed_login(redis_app, f"198.51.100.{i}") == 200
    assert login_pauses == [1.0]
    keys = [
        k.decode() for k in redis.Redis.from_url(TEST_REDIS_URL).scan_iter("LIMITS*")
    ]
    assert any("login-failures" in k and "someone@example.com" in k for k in keys), keys
    # Every worker reads the same count: another process's view is the one in Redis.
    for key in keys:
        redis.Redis.from_url(TEST_REDIS_URL).delete(key)
    failed_login(redis_app, "198.51.100.9")
    assert login_pauses == [1.0]
