"""Scorecard PDFs: one at a time for a download, or a whole month as a batch.

Every PDF is rendered from the same context as its web page (``scorecards.queries`` builds
it, ``templates/incentives/_*_card.html`` shows it), through ``core.pdf``.

A month's batch (``scorecards render`` and the web's background job) writes one PDF per
rep, one per team and ``leadership.pdf``. It reads every score once, lays out rep
scorecards several dozen to a document (much cheaper per page than a document each) and
splits them into files, on a pool of worker processes started before any rendering.
"""

from __future__ import annotations

import logging
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from core import pdf
from core.jobs import JobContext
from incentives.scorecards import kept, pdf_batch
from incentives.scorecards import queries as scorecard_queries
from incentives.scorecards.leadership import LeadershipPack
from incentives.scorecards.rep_card import RepCard
from incentives.scorecards.team_card import TeamCard
from incentives.tickets import metrics

logger = logging.getLogger(__name__)

#: Rep scorecards laid out per document in a batch.
CHUNK = 40
#: How often (seconds) a batch with workers reports progress while it waits for them.
PROGRESS_EVERY = 0.5

Progress = Callable[..., None]


#: Screen-only attributes (labels for phone layouts) and indentation: printed documents
#: do not need them, and parsing them costs a batch time on every page.
_SCREEN_ONLY = re.compile(r' data-label="[^"]*"|\n[ \t]+')


def lean(html: str) -> str:
    """``html`` without what only screens use (see :data:`_SCREEN_ONLY`)."""
    return _SCREEN_ONLY.sub(lambda m: "" if m.group(0).startswith(" ") else "\n", html)


def rep_html(card: RepCard) -> str:
    return render_template("pdf/rep_scorecard.html", card=card)


def rep_pdf(card: RepCard) -> bytes:
    return pdf.render_pdf(lean(rep_html(card)))


def team_html(card: TeamCard) -> str:
    return render_template("pdf/team_scorecard.html", card=card)


def team_pdf(card: TeamCard) -> bytes:
    return pdf.render_pdf(lean(team_html(card)))


def leadership_html(pack: LeadershipPack) -> str:
    return render_template("pdf/leadership_pack.html", pack=pack)


def leadership_pdf(pack: LeadershipPack) -> bytes:
    return pdf.render_pdf(lean(leadership_html(pack)))


def kept_pdf(
    month: str, relative: str, card: Any, make: Callable[[Any], bytes]
) -> bytes:
    """The PDF of ``card`` (``make(card)``); a closed month's is kept and read back while
    its fingerprint holds (see :mod:`.kept`), so a download is the kept file."""
    if not card.is_closed:
        return make(card)
    folder = kept.month_folder(month)
    store = kept.Kept(folder)
    print_ = kept.fingerprint(card)
    found = store.current(relative, print_)
    if found is not None:
        return found.read_bytes()
    data = make(card)
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    pdf_batch.write_file(folder / relative, data)
    store.record(relative, print_)
    store.save()
    return data


def slug(text: str) -> str:
    """A file-name-safe form of a name: ``Chloé Martin`` -> ``chloe-martin``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def rep_filename(card: RepCard) -> str:
    return f"{slug(card.name)}-{card.rep_id}.pdf"


def team_filename(card: TeamCard) -> str:
    return f"{slug(card.name)}-{card.team_id}.pdf"


@dataclass
class RenderReport:
    """What a batch wrote."""

    month: str
    folder: Path
    reps: int = 0
    teams: int = 0
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: When the last rep scorecard was written (the teams' and the pack follow).
    reps_seconds: float = 0.0
    #: Scorecards kept as they were (their fingerprint had not changed).
    kept: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "reps": self.reps,
            "teams": self.teams,
            "files": len(self.files),
            "kept": self.kept,
            "seconds": round(self.seconds, 1),
        }


def workers_setting() -> int:
    """Worker processes for a batch (``SCORECARD_WORKERS``; default: one per core)."""
    configured = current_app.config.get("SCORECARD_WORKERS")
    if configured is not None:
        return int(configured)
    return max(1, os.cpu_count() or 1)


def render_month(
    month: str,
    folder: Path,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    keep: bool = False,
) -> RenderReport:
    """Write every scorecard of ``month`` into ``folder``: ``reps/``, ``teams/`` and
    ``leadership.pdf``.

    :param workers: processes laying out PDFs (0 or 1: in this process). They are
        started for the first full document of rep scorecards, so a batch with little
        to lay out does not wait for them.
    :param progress: called as ``progress(done, total, message)``.
    :param keep: ``folder`` keeps scorecards with their fingerprints (``kept``): only
        those whose fingerprint changed are laid out again.
    """
    started = time.perf_counter()
    workers = workers_setting() if workers is None else workers
    report = RenderReport(month, folder)
    (folder / "reps").mkdir(parents=True, exist_ok=True)
    (folder / "teams").mkdir(parents=True, exist_ok=True)
    # A batch killed halfway left finished files (overwritten below) and maybe partial ones.
    pdf_batch.remove_partials([folder, folder / "reps", folder / "teams"])
    store = kept.Kept(folder) if keep else None
    pools: list[ProcessPoolExecutor] = []
    done = total = skipped = 0
    pending: list[tuple[int, Future[list[tuple[str, int]]]]] = []
    first_written: list[float] = []
    since = time.time()

    def pool() -> ProcessPoolExecutor | None:
        # "spawn" children start clean (a fork of a process that has laid out large
        # documents runs slower), so they may start once there is enough to do.
        if workers > 1 and not pools:
            pools.append(
                ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=get_context("spawn"),
                    initializer=pdf_batch.prepare_worker,
                )
            )
        return pools[0] if pools else None

    def on_disk() -> int:
        """Scorecards this batch finished so far, counted as files (workers write one at
        a time; files an earlier batch left there are older)."""
        count = 0
        for sub in (folder / "reps", folder / "teams", folder):
            for path in sub.glob("*.pdf"):
                try:
                    count += path.stat().st_mtime >= since
                except FileNotFoundError:  # replaced as we looked
                    continue
        return count

    def tell(count: int) -> None:
        if not progress:
            return
        count = min(count, total) if total else count
        message = (
            f"All {total} scorecards written"
            if count >= total
            else "Writing scorecards"
        )
        if count > skipped and not first_written:
            first_written.append(time.perf_counter())
        if first_written and skipped < count < total:
            rate = (time.perf_counter() - started) / (count - skipped)
            message += f", about {remaining_text(rate * (total - count))} left"
        progress(count, total, message)

    def run(size: int, big: bool, fn: Callable[..., Any], *args: Any) -> None:
        """Lay out in a worker (a big piece, or once workers run) or here."""
        workers_pool = pool() if big or pools else None
        if workers_pool is None:
            with pdf_batch.fewer_collections():
                written = fn(*args)
            _collect(size, written)
            return
        pending.append((size, workers_pool.submit(fn, *args)))
        while pending and pending[0][1].done():
            size_done, future = pending.pop(0)
            _collect(size_done, future.result())

    def _collect(size: int, written: list[tuple[str, int]]) -> None:
        nonlocal done
        report.files.extend(path for path, _pages in written)
        done += size
        if done >= report.reps and not report.reps_seconds:
            report.reps_seconds = time.perf_counter() - started
        tell(max(done, skipped + on_disk()))

    def unchanged(relative: str, card: Any) -> bool:
        """Whether the kept file shows ``card`` already (then it counts as written)."""
        nonlocal done, skipped
        if store is None:
            return False
        print_ = kept.fingerprint(card)
        if store.current(relative, print_) is not None:
            skipped += 1
            done += 1
            report.kept += 1
            report.files.append(str(folder / relative))
            return True
        store.record(relative, print_)
        return False

    def write_reps(part: list[RepCard]) -> None:
        html = render_template("pdf/rep_scorecards.html", cards=part, month_label=label)
        files = [
            (f"rep-{card.rep_id}", str(folder / "reps" / rep_filename(card)))
            for card in part
        ]
        run(len(part), len(part) >= chunk, pdf_batch.write_split, lean(html), files)

    try:
        if progress:
            progress(0, None, "Reading the month's scores")
        maker = scorecard_queries.MonthCardMaker(month)
        report.reps = len(maker.reps)
        total = report.reps + len(maker.current.teams) + 1
        if progress:
            progress(0, total, f"Making {total} scorecards")
        label = metrics.month_label(month)
        waiting: list[RepCard] = []
        for rep in maker.reps:
            card = maker.rep_card(rep)
            if unchanged(f"reps/{rep_filename(card)}", card):
                continue
            waiting.append(card)
            if len(waiting) == chunk:
                write_reps(waiting)
                waiting = []
                if pools:
                    tell(max(done, skipped + on_disk()))
        if waiting:
            write_reps(waiting)
        teams = maker.team_cards()
        report.teams = len(teams)
        total = report.reps + report.teams + 1
        for card in teams:
            relative = f"teams/{team_filename(card)}"
            if not unchanged(relative, card):
                run(
                    1,
                    False,
                    pdf_batch.write_one,
                    lean(team_html(card)),
                    str(folder / relative),
                )
        pack = maker.leadership()
        if not unchanged("leadership.pdf", pack):
            run(
                1,
                False,
                pdf_batch.write_one,
                lean(leadership_html(pack)),
                str(folder / "leadership.pdf"),
            )
        tell(max(done, skipped + on_disk()))
        while pending:
            # The workers write one file per scorecard: count them while waiting, so
            # progress moves scorecard by scorecard, not a chunk at a time.
            wait([future for _size, future in pending], timeout=PROGRESS_EVERY)
            while pending and pending[0][1].done():
                size_done, future = pending.pop(0)
                _collect(size_done, future.result())
            if pending:
                tell(max(done, skipped + on_disk()))
        if store is not None:
            store.save()
    finally:
        for workers_pool in pools:
            workers_pool.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    logger.info(
        "Scorecards of %s: %d reps, %d teams in %.1f s (%d kept as they were)",
        month,
        report.reps,
        report.teams,
        report.seconds,
        report.kept,
    )
    return report


def render_reps(month: str, folder: Path, rep_ids: Sequence[int]) -> list[str]:
    """Write the scorecards of these reps of ``month`` into ``folder/reps`` (named as the
    batch names them), in this process; returns the paths written."""
    (folder / "reps").mkdir(parents=True, exist_ok=True)
    maker = scorecard_queries.MonthCardMaker(month)
    wanted = set(rep_ids)
    reps = [rep for rep in maker.reps if rep.id in wanted]
    label = metrics.month_label(month)
    written: list[str] = []
    for start in range(0, len(reps), CHUNK):
        part = [maker.rep_card(rep) for rep in reps[start : start + CHUNK]]
        html = render_template("pdf/rep_scorecards.html", cards=part, month_label=label)
        files = [
            (f"rep-{card.rep_id}", str(folder / "reps" / rep_filename(card)))
            for card in part
        ]
        with pdf_batch.fewer_collections():
            written.extend(
                path for path, _pages in pdf_batch.write_split(lean(html), files)
            )
    return written


def remaining_text(seconds: float) -> str:
    """Time left in words: "5 s", "2 min", "1 h 10 min"."""
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def zip_folder(
    folder: Path, target: Path, files: Sequence[str | Path] | None = None
) -> Path:
    """Every PDF under ``folder`` (or only ``files``, in it) in one zip (stored: PDFs
    are compressed already).

    The zip is built under a partial name and renamed when complete.
    """
    partial = target.with_name(f".{target.name}{pdf_batch.PARTIAL_SUFFIX}")
    chosen = (
        sorted(Path(f) for f in files)
        if files is not None
        else sorted(p for p in folder.rglob("*.pdf") if p.is_file())
    )
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in chosen:
            if not path.name.endswith(pdf_batch.PARTIAL_SUFFIX):
                archive.write(path, path.relative_to(folder).as_posix())
    os.replace(partial, target)
    return target


def batch_name(month: str) -> str:
    return f"scorecards-{month}"


def render_month_job(context: JobContext, month: str) -> dict[str, Any]:
    """Background job: render the month's scorecards (only those that changed since the
    kept ones were laid out) and zip them for download."""
    folder = kept.month_folder(month)
    report = render_month(month, folder, progress=context.progress, keep=True)
    context.progress(report.reps + report.teams + 1, None, "Packing the zip file")
    archive = zip_folder(
        folder, context.folder / f"{batch_name(month)}.zip", report.files
    )
    return {**report.as_dict(), "zip": archive.name, "bytes": archive.stat().st_size}
