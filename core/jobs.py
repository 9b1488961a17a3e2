"""Background jobs: long work (a month's scorecards) run off the request, with progress.

:func:`enqueue` stores a :class:`Job` row in the caller's transaction. When that
transaction commits, the job starts: on the RQ queue when ``REDIS_URL`` is set (any host
running ``rq worker`` picks it up), else in a thread of this process with its own app
context. Work is named by its import path, so an RQ worker on another host finds it, and
takes JSON-ready arguments. Progress, result and error are written to the job's row, so
any web worker can show them; files a job makes go under :func:`storage_dir`, a folder
hosts can share.

A job function takes a :class:`JobContext` then its arguments, calls
``context.progress(done, total)`` as it goes, and returns a JSON-ready result.

:func:`enqueue_once` starts a job only when no job of its kind with the same arguments is
queued or running (one scorecard batch per month): it takes a lock for the rest of the
transaction first, so two requests at the same moment still make one job.

``JOBS_BACKEND`` (``thread``, ``rq`` or ``eager``) overrides the choice; tests use
``eager``, which runs the job at once when the transaction commits.

A running job's runner writes a heartbeat to its row every :data:`HEARTBEAT_EVERY`
seconds. When the process running it dies (a worker killed, a host lost), nothing marks the
row finished; once its heartbeat is older than :data:`STALE_AFTER` (``JOBS_STALE_AFTER``
seconds in the config) the job is shown as interrupted, a failure people can act on by
starting the work again.

Jobs are a boundary like a command: :func:`perform` commits its own progress.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Enum, ForeignKey, String, event, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import db, utcnow
from core.people import User

logger = logging.getLogger(__name__)

#: The RQ queue jobs go to (``rq worker frontline``).
DEFAULT_QUEUE = "frontline"
#: What an RQ worker calls for each job, with its id: the worker's entry point
#: (``worker.py``, beside ``app.py``), named here and never imported: building the app is
#: the worker's business.
WORKER_ENTRY = "worker.perform"
#: An RQ job may run this long before RQ stops it.
RQ_TIMEOUT = 3600
#: Progress is written at most this often (seconds), and always at the end.
PROGRESS_EVERY = 0.5
#: A running job's runner says it is alive this often (seconds).
HEARTBEAT_EVERY = 10.0
#: A running job not heard from for this long (seconds) has lost its runner.
STALE_AFTER = 60.0
#: How much lower than the web's requests an RQ worker's jobs run on the CPU (a Unix
#: niceness, 0-19; ``FRONTLINE_JOB_NICENESS``): a month's metrics or scorecards then use
#: the cores the requests leave idle, instead of slowing every page while they run.
JOB_NICENESS = 10
#: Where Linux shows the niceness of this process's session.
AUTOGROUP = Path("/proc/self/autogroup")
#: Shown for a job whose runner died.
INTERRUPTED = (
    "The job stopped before it finished: the process running it ended "
    "(restarted or killed). Start it again."
)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to start",
            "running": "Running",
            "done": "Done",
            "failed": "Failed",
        }[self.value]


class Job(db.Model):
    """A piece of background work and how far it got."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the job does, e.g. ``scorecards.render``; pages filter on it.
    kind: Mapped[str] = mapped_column(String(64), index=True)
    #: ``module:function`` of the work.
    function: Mapped[str] = mapped_column(String(200))
    #: ``{"args": [...]}``: JSON-ready arguments.
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(
        Enum(
            JobStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=JobStatus.QUEUED,
    )
    #: Where it runs: thread, rq or eager.
    backend: Mapped[str] = mapped_column(String(16), default="")
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: What it is doing now, for people.
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Why it failed, for people (the details go to the log).
    error: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: When its runner last said it was alive (while running).
    heartbeat_at: Mapped[dt.datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def interrupted(self) -> bool:
        """Running, but its runner has not been heard from for :func:`stale_after`; or
        waiting that long for a thread of a web process that must have died before it
        started (an RQ job may wait for a worker as long as it takes)."""
        if self.status is JobStatus.RUNNING:
            last = self.heartbeat_at or self.started_at
        elif self.status is JobStatus.QUEUED and self.backend == "thread":
            last = self.created_at
        else:
            return False
        return last is not None and (utcnow() - last).total_seconds() > stale_after()

    @property
    def state(self) -> JobStatus:
        """The status to show: an interrupted job counts as failed."""
        return JobStatus.FAILED if self.interrupted else self.status

    @property
    def state_label(self) -> str:
        return "Interrupted" if self.interrupted else self.status.label

    @property
    def problem(self) -> str:
        """Why it failed, for people."""
        return INTERRUPTED if self.interrupted else self.error

    @property
    def is_finished(self) -> bool:
        return self.state in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status is JobStatus.DONE:
            return 100
        return int(100 * self.progress / self.total) if self.total else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.state.value,
            "status_label": self.state_label,
            "progress": self.progress,
            "total": self.total,
            "percent": self.percent,
            "message": self.message,
            "error": self.problem,
            "finished": self.is_finished,
        }


def stale_after() -> float:
    """Seconds without a heartbeat after which a running job counts as interrupted."""
    configured = has_app_context() and current_app.config.get("JOBS_STALE_AFTER")
    return float(configured) if configured else STALE_AFTER


def storage_dir(*parts: str | int) -> Path:
    """A folder under the shared storage (``FRONTLINE_STORAGE_DIR``), created if needed."""
    root = current_app.config.get("FRONTLINE_STORAGE_DIR") or os.path.join(
        current_app.instance_path, "storage"
    )
    path = Path(root).joinpath(*(str(p) for p in parts))
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_dir(job_id: int) -> Path:
    """Where job ``job_id`` keeps its files."""
    return storage_dir("jobs", job_id)


def backend() -> str:
    """How jobs run here: ``rq`` with ``REDIS_URL``, else ``thread``; or ``JOBS_BACKEND``."""
    chosen = current_app.config.get("JOBS_BACKEND")
    if chosen:
        return str(chosen)
    return "rq" if current_app.config.get("REDIS_URL") else "thread"


def enqueue(
    fn: Callable[..., Any],
    *args: Any,
    kind: str,
    by: User | None = None,
    total: int = 0,
    message: str = "Waiting to start",
) -> Job:
    """Store a job running ``fn(context, *args)``; it starts when the session commits.

    Nothing runs if the transaction is rolled back.

    :param fn: a module-level function (found again by its import path).
    :param args: JSON-ready arguments.
    :param total: steps expected, for the progress bar (the job may set it later).
    :return: the flushed job.
    """
    path = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in path:
        raise ValueError(f"{path} is not importable; jobs need a module-level function")
    job = Job(
        kind=kind,
        function=path,
        params={"args": list(args)},
        created_by_id=by.id if by is not None else None,
        total=total,
        message=message,
        backend=backend(),
    )
    db.session.add(job)
    db.session.flush()
    _start_on_commit(db.session(), job.id)
    return job


def enqueue_once(
    fn: Callable[..., Any],
    *args: Any,
    kind: str,
    by: User | None = None,
    total: int = 0,
    message: str = "Waiting to start",
) -> tuple[Job, bool]:
    """:func:`enqueue`, unless a job of ``kind`` with the same arguments is still queued
    or running: then that job. A finished job, or one whose runner died
    (:attr:`Job.interrupted`), does not count.

    Safe when two requests ask at the same moment: the check and the new row happen under
    a lock on (``kind``, ``args``) held until the transaction ends, so the second asker
    waits for the first to commit and then finds its job.

    :return: the job, and whether it is new (started when the session commits).
    """
    _lock_until_transaction_ends(f"{kind}:{args!r}")
    existing = active(kind, *args)
    if existing is not None:
        return existing, False
    job = enqueue(fn, *args, kind=kind, by=by, total=total, message=message)
    return job, True


def active(kind: str, *args: Any) -> Job | None:
    """The newest job of ``kind`` with these arguments that is queued or running and has
    not lost its runner; ``None`` if there is none."""
    unfinished = db.session.scalars(
        select(Job)
        .where(Job.kind == kind, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .order_by(Job.id.desc())
    )
    wanted = list(args)
    return next(
        (
            job
            for job in unfinished
            if job.params.get("args") == wanted and not job.interrupted
        ),
        None,
    )


def _lock_until_transaction_ends(name: str) -> None:
    """Let one transaction at a time past this point for ``name``.

    PostgreSQL: a transaction-level advisory lock on a number made from ``name``; it is
    released at commit or rollback. SQLite has one writer at a time: a write that changes
    nothing takes the write lock now (a request that may write holds it from its first
    statement, see ``core.db``), and it too is kept until the transaction ends.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif connection.dialect.name == "sqlite":
        connection.execute(update(Job).where(Job.id.is_(None)).values(id=Job.id))


def _start_on_commit(session: Session, job_id: int) -> None:
    pending: list[int] = session.info.setdefault("frontline.jobs", [])
    pending.append(job_id)
    if session.info.get("frontline.jobs.listening"):
        return
    session.info["frontline.jobs.listening"] = True
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @event.listens_for(session, "after_commit")
    def _committed(committed: Session) -> None:
        ids = list(committed.info.get("frontline.jobs", []))
        committed.info["frontline.jobs"] = []
        for pending_id in ids:
            _dispatch(app, pending_id)

    @event.listens_for(session, "after_rollback")
    def _rolled_back(rolled_back: Session) -> None:
        rolled_back.info["frontline.jobs"] = []


def _dispatch(app: Flask, job_id: int) -> None:
    with app.app_context():
        how = backend()
        if how == "rq":
            from redis import Redis
            from redis.exceptions import RedisError
            from rq import Queue

            try:
                queue = Queue(
                    app.config.get("RQ_QUEUE") or DEFAULT_QUEUE,
                    connection=Redis.from_url(
                        app.config["REDIS_URL"], socket_connect_timeout=2
                    ),
                )
                queue.enqueue(
                    WORKER_ENTRY,
                    job_id,
                    job_timeout=RQ_TIMEOUT,
                    result_ttl=3600,
                )
            except RedisError as e:
                # Redis is down: the job runs here rather than not at all (the person
                # who started it sees it progress as usual).
                logger.warning(
                    "Redis cannot be reached (%s): job %s runs in this process instead",
                    e,
                    job_id,
                )
                how = "thread"
            else:
                logger.info("Job %s queued on RQ", job_id)
                return
    if how == "eager":
        _run_in_app(app, job_id)
        return
    thread = threading.Thread(
        target=_run_in_app, args=(app, job_id), name=f"job-{job_id}", daemon=True
    )
    with _THREADS_LOCK:
        _THREADS[job_id] = thread
    thread.start()


#: Jobs running in threads of this process, so that a command can wait for them.
_THREADS: dict[int, threading.Thread] = {}
_THREADS_LOCK = threading.Lock()


def wait(job_id: int, timeout: float | None = None) -> bool:
    """Wait for a job that runs in a thread of this process (a command must, before it
    exits, or its job stops with it); jobs running elsewhere are not waited for.

    :return: ``False`` when the timeout passed first.
    """
    with _THREADS_LOCK:
        thread = _THREADS.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def wait_all(timeout: float | None = None) -> bool:
    """Wait for every job running in a thread of this process (a command that may have
    started jobs it does not know of, such as the e-mails a month's close sends).

    :return: ``False`` when the timeout passed before they all ended.
    """
    with _THREADS_LOCK:
        threads = list(_THREADS.values())
    deadline = None if timeout is None else time.monotonic() + timeout
    for thread in threads:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        thread.join(left)
    return not any(thread.is_alive() for thread in threads)


def _run_in_app(app: Flask, job_id: int) -> None:
    try:
        with app.app_context():
            run(job_id)
            db.session.remove()
    finally:
        with _THREADS_LOCK:
            _THREADS.pop(job_id, None)


def perform(job_id: int, worker_app: Callable[[], Flask]) -> None:
    """Run a job in a worker process of its own: what ``worker.perform``, the function an
    RQ worker calls for each job (:data:`WORKER_ENTRY`), does.

    The process's CPU priority is lowered first (see :func:`yield_to_requests`); the job
    then runs in the app ``worker_app()`` gives (a worker builds it once, from its
    environment, and keeps it). Inside an app context already, the job just runs.
    """
    if has_app_context():
        run(job_id)
        return
    yield_to_requests(job_niceness())
    with worker_app().app_context():
        run(job_id)
        db.session.remove()


def job_niceness() -> int:
    """``FRONTLINE_JOB_NICENESS``, else ``JOB_NICENESS``."""
    return int(os.environ.get("FRONTLINE_JOB_NICENESS", JOB_NICENESS))


def yield_to_requests(niceness: int) -> None:
    """Lower this process's CPU priority to ``niceness`` (never raising it: only root may).

    RQ runs each job in a process forked for it, and the processes a job starts (a
    scorecard batch's) inherit the priority. On Linux a niceness only weighs against
    processes of the same session, and a service (gunicorn, ``rq worker``) runs in a
    session of its own, so the session's own niceness (its "autogroup") is lowered too:
    that is what weighs the worker's jobs against the web's requests.
    """
    niceness = min(niceness, 19)
    try:
        if niceness > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except (AttributeError, OSError):  # no priorities on this platform
        logger.warning("Jobs run at the same CPU priority as the web")
        return
    session = session_niceness()
    if session is not None and niceness > session:
        try:
            AUTOGROUP.write_text(str(niceness))
        except OSError:
            logger.warning("Jobs run at their session's CPU priority")


def command_yields_to_requests() -> bool:
    """Run a bulk command (an import, a batch of PDFs) below the web, as a job runs.

    Only a command that leads its own session (started under ``setsid``, as the cron
    lines in docs/operations.md are, or as a systemd service) lowers its priority: the
    session is then the command's alone. Typed in a shell, a command runs at full speed for whoever
    waits on it, and the shell's session keeps its priority. Returns whether it yielded.
    """
    if not hasattr(os, "getsid") or os.getsid(0) != os.getpid():
        return False
    yield_to_requests(job_niceness())
    return True


def session_niceness() -> int | None:
    """The niceness of this process's session ("autogroup"), or ``None`` when it has none.

    Linux shows ``/autogroup-123 nice 0``; the file is empty for a process still in the
    first session, the one PID 1 started in, and absent where there are no autogroups.
    """
    try:
        return int(AUTOGROUP.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


class JobContext:
    """What a running job gets: its id, its folder, and a way to report progress."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last = 0.0

    @property
    def folder(self) -> Path:
        return job_dir(self.job_id)

    def progress(
        self, done: int, total: int | None = None, message: str | None = None
    ) -> None:
        """Record how far the job got (written at most every half second)."""
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        values: dict[str, Any] = {"progress": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message[:200]
        # End the job's transaction first: on SQLite, one that has only read so far cannot
        # write once another writer has committed; a new one that starts with this write
        # waits its turn within the busy timeout instead.
        db.session.commit()
        db.session.execute(update(Job).where(Job.id == self.job_id).values(**values))
        db.session.commit()


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def run(job_id: int) -> Job | None:
    """Run job ``job_id`` here, now, recording start, progress, result or failure.

    A job that is not waiting (already run, or gone) is left alone.

    Every change of state begins with its write: on SQLite, a transaction that reads first
    cannot write once another writer (the heartbeat, a web request) has committed.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            message="Starting",
        )
    ).rowcount
    db.session.commit()
    job = db.session.get(Job, job_id)
    if job is None or not claimed:
        logger.warning("Job %s is not waiting to run; skipped", job_id)
        return job
    logger.info("Job %s (%s) started", job_id, job.kind)
    try:
        with _heartbeat(job_id, job.backend):
            fn = _resolve(job.function)
            result = fn(JobContext(job_id), *job.params.get("args", []))
            db.session.commit()  # what the job wrote itself, if anything
    except Exception as e:
        db.session.rollback()
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        _finish(job_id, JobStatus.FAILED, error=_user_message(e))
        db.session.commit()
        return db.session.get(Job, job_id)
    _finish(
        job_id,
        JobStatus.DONE,
        result=result if isinstance(result, dict) else {"value": result},
    )
    job = db.session.get(Job, job_id)
    assert job is not None  # noqa: S101 (it was there before the job ran)
    db.session.refresh(job)
    job.progress = job.total = max(job.total, job.progress)
    db.session.commit()
    logger.info("Job %s (%s) done", job_id, job.kind)
    return job


def _finish(job_id: int, status: JobStatus, **values: Any) -> None:
    """Write how job ``job_id`` ended (a write first, as every change of state is)."""
    db.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=status,
            finished_at=utcnow(),
            message="Done" if status is JobStatus.DONE else "Failed",
            **values,
        )
    )


@contextmanager
def _heartbeat(job_id: int, how: str) -> Iterator[None]:
    """While the block runs, write ``heartbeat_at`` on the job's row every
    :data:`HEARTBEAT_EVERY` seconds from a daemon thread (its own app context and
    connection), so that the beat stops exactly when the process running the job dies.

    An eager job runs inside the caller's request: it has no runner of its own to lose.
    """
    if how == "eager":
        yield
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stopped = threading.Event()

    def beat() -> None:
        with app.app_context():
            while not stopped.wait(HEARTBEAT_EVERY):
                try:
                    db.session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
                    db.session.commit()
                except SQLAlchemyError:
                    db.session.rollback()
                    logger.warning("Job %s: heartbeat not written", job_id)
            db.session.remove()

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=HEARTBEAT_EVERY)


def _user_message(error: Exception) -> str:
    from core.errors import FrontlineError

    if isinstance(error, FrontlineError) and error.message:
        return error.message[:1000]
    return "The job stopped on an unexpected error; it has been logged."
