"""A local HTTP server that replays a helpdesk's API answers, for the sync's tests.

``HelpdeskServer.answer`` is a function of the request (path, query, headers) that returns
``(status, headers, body)``; every request is kept in ``requests``, so a test can check
which cursor, page or credentials the sync asked with.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "sync"

Answer = tuple[int, dict[str, str], bytes]


def fixture(name: str) -> Any:
    """A vendor-shaped answer from tests/incentives/data/sync/."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def json_answer(data: Any, status: int = 200, **headers: str) -> Answer:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **headers},
        json.dumps(data).encode(),
    )


@dataclass
class Request:
    path: str
    query: dict[str, str]
    authorization: str


class HelpdeskServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.answer: Callable[[Request], Answer] = lambda r: json_answer({}, 404)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                request = Request(
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query)),
                    self.headers.get("Authorization", ""),
                )
                server.requests.append(request)
                status, headers, body = server.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> HelpdeskServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class FakeClock:
    """Records the waits asked for instead of sleeping."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return dt.datetime(2024, 4, 1, tzinfo=dt.UTC)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
