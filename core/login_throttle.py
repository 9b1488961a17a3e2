"""Login throttling that slows guessing without letting anyone lock an account.

Two hard limits answer 429 (``core.auth`` declares them): ``LOGIN_RATE_LIMIT`` per client
address, whatever accounts it tries, and ``LOGIN_ACCOUNT_RATE_LIMIT`` per account from one
address. Neither is keyed by the account alone: a limit per account would let anyone who
types a victim's e-mail ten times shut the victim out.

The account alone gets a pause instead. Each failed login for an e-mail address is counted
for :data:`FAILURE_WINDOW` in the limiter's storage (Redis when ``REDIS_URL`` is set, so
every worker and host sees the same count); the next attempt for that address, right
password or not, waits :func:`login_delay` seconds before the password is checked: nothing
for the first few failures, then 1 s, doubling, and never more than :data:`MAX_DELAY`.
The right password from anyone therefore always gets in, at most a few seconds late.

A pause holds one of the worker's threads, so at most :data:`MAX_PAUSED` threads of a
worker pause at once; an attempt beyond that goes ahead unpaused (the hard limits still
count it) rather than leave the worker with no thread for anyone else.
"""

from __future__ import annotations

import logging
import threading
import time

from limits import parse

from core.extensions import limiter

logger = logging.getLogger(__name__)

#: Failures an account may have in the window before its logins are slowed.
FREE_FAILURES = 3
#: The first pause, in seconds; each further failure doubles it.
FIRST_DELAY = 1.0
#: The longest pause, in seconds.
MAX_DELAY = 5.0
#: How long a failed login counts towards the pause.
FAILURE_WINDOW = parse("1000 per 15 minutes")
#: Threads of one worker that may pause at the same time (gunicorn runs 4 per worker).
MAX_PAUSED = 2

_paused = threading.BoundedSemaphore(MAX_PAUSED)
#: How the pause is taken; tests replace it to record the delay instead of sleeping.
pause = time.sleep


def login_delay(
    failures: int,
    *,
    free: int = FREE_FAILURES,
    first: float = FIRST_DELAY,
    cap: float = MAX_DELAY,
) -> float:
    """Seconds to wait before checking a password for an account with ``failures`` recent
    failed logins: 0 for the first ``free`` ones, then ``first``, doubling, at most ``cap``."""
    if failures < free:
        return 0.0
    return min(cap, first * 2 ** min(failures - free, 16))


def _account(email: str) -> str:
    return email.strip().lower()


def recent_failures(email: str) -> int:
    """Failed logins for this e-mail address within :data:`FAILURE_WINDOW`.

    Counted in the limiter's storage, or in its in-process fallback while Redis is down.
    A storage that fails here counts as no failures: the hard limits still apply.
    """
    try:
        _, remaining = limiter.limiter.get_window_stats(
            FAILURE_WINDOW, "login-failures", _account(email)
        )
    except Exception:  # any storage error: the pause is a courtesy, not a lock
        logger.warning("Could not read the failed logins of an account", exc_info=True)
        return 0
    return FAILURE_WINDOW.amount - remaining


def record_failure(email: str) -> None:
    """Count one failed login for this e-mail address (known account or not)."""
    try:
        limiter.limiter.hit(FAILURE_WINDOW, "login-failures", _account(email))
    except Exception:  # as in recent_failures
        logger.warning("Could not count a failed login", exc_info=True)


def slow_down(email: str) -> float:
    """Pause before a password for ``email`` is checked, as long as its recent failures
    call for; return the seconds paused (0 when none, or when every pause slot is taken)."""
    delay = login_delay(recent_failures(email))
    if not delay:
        return 0.0
    if not _paused.acquire(blocking=False):
        logger.warning(
            "Login pause of %.0f s skipped: %d threads of this worker are pausing already",
            delay,
            MAX_PAUSED,
        )
        return 0.0
    try:
        pause(delay)
    finally:
        _paused.release()
    return delay
