"""PDF rendering with WeasyPrint: the only place that calls it.

Documents are rendered from HTML made by our templates out of plain data. The URL fetcher
serves only Frontline's own static files and inline ``data:`` URIs; any other URL (another
host, ``file:``, a path outside ``static/``) is refused, so text that reached a document can
never make the renderer fetch something.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

#: The base URL documents are rendered against; ``/static/...`` resolves below it.
BASE_URL = "https://frontline.invalid/"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class StaticOnlyFetcher(URLFetcher):
    """Fetch ``data:`` URIs and files under ``static/``; refuse everything else."""

    def __init__(self, static_dir: Path = STATIC_DIR, **kwargs: Any) -> None:
        super().__init__(
            allowed_protocols=("data", "https"), allow_redirects=False, **kwargs
        )
        self._static_dir = static_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        prefix = BASE_URL + "static/"
        if url.startswith(prefix):
            relative = url[len(prefix) :].split("?")[0].split("#")[0]
            path = (self._static_dir / relative).resolve()
            if path.is_relative_to(self._static_dir) and path.is_file():
                mimetype = (
                    mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                )
                return URLFetcherResponse(
                    url, path.read_bytes(), headers={"Content-Type": mimetype}
                )
        logger.warning("PDF rendering refused to fetch %s", url[:200])
        raise ValueError(f"Frontline documents may not fetch {url[:200]}")


def render_pdf(html: str) -> bytes:
    """Render one HTML document to PDF bytes."""
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()
    ).write_pdf()


def render_pages(html: str) -> Any:
    """Lay out a document without writing it, for splitting one long batch into files.

    Laying out many records as one document is several times faster than one document
    each; :func:`write_pages` then writes any run of its pages as a PDF of its own.
    """
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()
    ).render()


def write_pages(document: Any, pages: Sequence[Any]) -> bytes:
    """A PDF of some pages of a document laid out by :func:`render_pages`."""
    return document.copy(list(pages)).write_pdf()
