"""The background worker's entry point: what ``rq worker --url "$REDIS_URL" frontline`` runs.

``core.jobs`` puts each job on the queue as a call to :func:`perform` with the job's id
(naming this function, never importing it: core builds no app). A worker builds the app
from its environment (``DATABASE_URL``, ``SECRET_KEY``...) once, keeps it for the jobs that
follow, and runs each job at a lower CPU priority than the web (``core.jobs.perform``).
"""

from __future__ import annotations

from flask import Flask

from app import create_app
from core import jobs

_APP: Flask | None = None


def worker_app() -> Flask:
    """This worker's app, built from the environment on first use."""
    global _APP
    if _APP is None:
        _APP = create_app()
    return _APP


def perform(job_id: int) -> None:
    """Run job ``job_id``: the function an RQ worker calls for each job."""
    jobs.perform(job_id, worker_app)
