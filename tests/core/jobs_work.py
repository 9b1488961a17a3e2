"""Work for the job tests, importable by an RQ worker process."""

from __future__ import annotations

import time
from typing import Any

from core.errors import InvalidInput
from core.jobs import JobContext


def count_to(context: JobContext, n: int) -> dict[str, Any]:
    for done in range(1, n + 1):
        context.progress(done, n, f"{done} of {n}")
    (context.folder / "count.txt").write_text(str(n))
    return {"counted": n}


def refuse(context: JobContext) -> None:
    raise InvalidInput("There is nothing to count.")


def crash(context: JobContext) -> None:
    raise RuntimeError("internal detail that users must not see")


def wait_for_go(context: JobContext, seconds: float) -> dict[str, Any]:
    """Run until a file named ``go`` appears in the job's folder (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while not (context.folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"went": (context.folder / "go").exists()}


def read_then_report(context: JobContext, seconds: float) -> dict[str, Any]:
    """Read, wait for ``go`` (another writer commits meanwhile), then report progress."""
    from sqlalchemy import func, select

    from core.db import db
    from core.people import Team

    teams = db.session.scalar(select(func.count(Team.id)))
    (context.folder / "read").touch()
    deadline = time.monotonic() + seconds
    while not (context.folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    context.progress(1, 1, "Counted the teams")
    return {"teams": teams}


def report_priority(context: JobContext) -> dict[str, Any]:
    """The CPU niceness the job runs at, and its session's (``None``: no autogroups)."""
    import os

    from core.jobs import session_niceness

    return {
        "niceness": os.getpriority(os.PRIO_PROCESS, 0),
        "session": session_niceness(),
    }
