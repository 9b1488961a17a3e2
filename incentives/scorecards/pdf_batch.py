"""Laying out scorecard PDFs in worker processes: HTML in, files out.

Nothing here needs the app or the database, so a worker process starts quickly (with the
``spawn`` method, never a fork of a parent that has already laid out large documents, which
runs at about half speed). Many scorecards laid out as one document cost much less per page
than one document each; :func:`write_split` then writes each scorecard's pages to its own
file, found by the anchor (``id``) its first page carries.

Every file is written whole or not at all (:func:`write_file`): a batch killed halfway
leaves finished PDFs and, at worst, a hidden ``.partial`` file, never a cut-off PDF under
its final name.

Laying out a document allocates millions of small objects (boxes that point at their
parents), and Python's default cycle collector runs a full pass over all of them again and
again as they pile up: about a fifth of a batch's CPU. Batch work therefore runs with the
collector far less eager (:func:`fewer_collections`); memory stays bounded, as it still
runs, just less often.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core import pdf

#: What a file being written is called until it is complete.
PARTIAL_SUFFIX = ".partial"

#: Cycle-collector thresholds for batch work (Python's default is 700, 10, 10). Measured
#: on a 40-scorecard document: about 95 ms of CPU per scorecard instead of 120, and a
#: worker's peak memory about 450 MB instead of 180 MB.
BATCH_GC_THRESHOLDS = (100_000, 50, 100)


def prepare_worker() -> None:
    """Set up a worker process that does nothing but batch work (the pool's initializer):
    what was imported is kept out of every collection, which then runs less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Batch work in a process that does other things too (a batch with no workers):
    the collector's thresholds are relaxed for the duration, then restored."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def write_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: into a hidden partial file beside it, then
    renamed over ``path``, so that ``path`` holds either the old file or all of the new.

    Not synced to disk: this guards against a killed process, not a power cut, and a
    thousand ``fsync`` calls would slow a batch down."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def remove_partials(folders: Iterable[Path]) -> int:
    """Delete the partial files an interrupted batch left in ``folders``; returns how many."""
    removed = 0
    for folder in folders:
        for leftover in folder.glob(f".*{PARTIAL_SUFFIX}"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


def write_split(html: str, files: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Lay out ``html`` once and write each part to its file.

    :param files: (anchor, path) pairs: the part starting on the page that carries the
        element with that id runs up to the next part.
    :return: (path, pages) for each file written.
    :raises ValueError: an anchor is not in the document.
    """
    document = pdf.render_pages(html)
    wanted = {anchor for anchor, _path in files}
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor in wanted and anchor not in starts:
                starts[anchor] = index
    missing = wanted - set(starts)
    if missing:
        raise ValueError(f"parts not found in the document: {sorted(missing)[:5]}")
    parts = sorted((starts[anchor], path) for anchor, path in files)
    written = []
    for number, (start, path) in enumerate(parts):
        end = parts[number + 1][0] if number + 1 < len(parts) else len(document.pages)
        pages = document.pages[start:end]
        write_file(path, pdf.write_pages(document, pages))
        written.append((path, len(pages)))
    return written


def write_one(html: str, path: str) -> list[tuple[str, int]]:
    """Lay out and write one document."""
    document = pdf.render_pages(html)
    write_file(path, pdf.write_pages(document, document.pages))
    return [(path, len(document.pages))]
