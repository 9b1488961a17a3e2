"""Commands run in a process group of their own and killed with SIGKILL halfway, for the
fault tests: always bounded, and never left running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def process_group(
    command: list[str], env: dict[str, str]
) -> Iterator[subprocess.Popen]:
    """``command`` in a process group of its own, killed on the way out."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def kill_group_when(
    process: subprocess.Popen, ready: Callable[[], bool], *, what: str, limit: float
) -> None:
    """SIGKILL ``process``'s whole group as soon as ``ready()``, then wait until none of
    it runs; fail if it ends first or is not ready within ``limit`` seconds.

    :param what: what the process is doing when ready, for the failure message.
    """
    deadline = time.monotonic() + limit
    while not ready():
        if process.poll() is not None:
            output = process.stderr.read().decode()[-2000:] if process.stderr else ""
            pytest.fail(f"it ended before {what}: {output}")
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} within {limit:.0f} s")
        time.sleep(0.01)
    # Every process it started goes too, in whatever group: rq 3's work horse puts
    # itself in a process group of its own, and a machine going down takes it as well.
    groups = {process.pid} | {
        group for pid in _descendants(process.pid) if (group := _group_of(pid))
    }
    groups.discard(os.getpgrp())
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    gone_by = time.monotonic() + 10
    while time.monotonic() < gone_by:
        if not any(_group_alive(group) for group in groups):
            return
        time.sleep(0.05)
    pytest.fail("processes of the killed group are still running")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux: read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (name) state ppid ...": the name may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.update(children)
        todo.extend(children)
    return found


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:  # gone meanwhile
        return None


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
