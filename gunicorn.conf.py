"""Gunicorn settings for running Frontline in production: `gunicorn -c gunicorn.conf.py`.

Every value can be overridden from the environment, e.g. WEB_CONCURRENCY=5.
"""

import gc
import os
import sys
from typing import Any

wsgi_app = "app:create_app()"
bind = os.environ.get("FRONTLINE_BIND", "127.0.0.1:8000")
# Several worker processes, each with a few threads: pages wait on the database, not the CPU.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("FRONTLINE_THREADS", "4"))
# Each worker builds its own app and database pool after the fork (no shared connections).
preload_app = False
# How long a thread may keep the interpreter while another waits for it (Python's default
# is 5 ms). A page's thread gives it up at every database round trip and then waits for it
# again; beside a thread busy laying out a large page, each of those waits took up to 5 ms,
# so a quick request (the authority check) took many times its own work. 0.5 ms keeps the
# waits short: with one worker, two users loading the ranked list without a pause and one
# asking the check, the check's p95 went from 31-36 ms to 22 ms (bench.switch_interval).
switch_interval = float(os.environ.get("FRONTLINE_SWITCH_INTERVAL", "0.0005"))
timeout = int(os.environ.get("FRONTLINE_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that memory stays flat over weeks; not so often that a
# busy site restarts one every few minutes (a new worker starts cold: its first pages are
# slower). At 80 requests a second, 50,000 is about half an hour per worker.
max_requests = 50_000
max_requests_jitter = 5_000
# Uploads are limited by MAX_CONTENT_LENGTH in the app; headers stay small.
limit_request_field_size = 16384
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("FRONTLINE_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the proxy in front (set to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Warn when several workers would each count rate limits alone (no REDIS_URL)."""
    from core.config import unshared_limits_warning

    warning = unshared_limits_warning(server.cfg.workers, os.environ.get("REDIS_URL"))
    if warning:
        server.log.warning(warning)


def post_worker_init(worker: Any) -> None:
    """Compile every template before this worker serves its first request; then keep
    what the worker has loaded (the app, its modules and templates: about 200,000 objects)
    out of the cycle collector's full passes. They live as long as the worker, and each
    full pass over them stopped every thread of the worker for 80 ms or more."""
    from core.templating import compile_templates

    compile_templates(worker.wsgi)
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(switch_interval)
