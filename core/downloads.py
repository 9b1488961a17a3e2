"""File downloads for the pages: CSV exports as HTTP responses.

The CSV text itself (formula guards included) is made by the pure helpers in
:mod:`core.tabular`; this module only wraps it in a response, so those helpers stay free of
Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from core.tabular import csv_text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response:
    """A download of safe CSV (UTF-8 with a BOM, so Excel reads accents right)."""
    body = "\ufeff" + csv_text(header, rows)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
