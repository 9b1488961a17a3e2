"""PDF rendering: our own static files load; nothing else can be fetched."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from core.pdf import BASE_URL, StaticOnlyFetcher, render_pages, render_pdf, write_pages


def pdf_text(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_renders_text_and_our_stylesheet(tmp_path: Path) -> None:
    html = (
        '<html><head><link rel="stylesheet" href="/static/css/app.css"></head>'
        "<body><h1>Scorecard for Amara</h1><p>CSAT 94%</p>"
        '<img src="/static/img/logo.svg" alt=""></body></html>'
    )
    data = render_pdf(html)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert "Scorecard for Amara" in text
    assert "CSAT 94%" in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/tracker.png",
        BASE_URL + "static/../../etc/passwd",
        BASE_URL + "not-static/app.py",
    ],
)
def test_the_fetcher_refuses_anything_but_our_static_files(url: str) -> None:
    with pytest.raises(ValueError, match=r"may not fetch|disallowed"):
        StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_static_files_and_data_uris() -> None:
    response = StaticOnlyFetcher().fetch(BASE_URL + "static/img/logo.svg")
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert StaticOnlyFetcher().fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_a_hostile_image_does_not_stop_the_document(tmp_path: Path) -> None:
    data = render_pdf('<p>Still here</p><img src="file:///etc/passwd">')
    assert "Still here" in pdf_text(data, tmp_path)


def test_one_laid_out_batch_splits_into_documents(tmp_path: Path) -> None:
    html = "".join(
        f'<section style="break-after: page"><h1>Rep {n}</h1></section>'
        for n in range(3)
    )
    document = render_pages(html)
    assert len(document.pages) == 3
    second = write_pages(document, document.pages[1:2])
    text = pdf_text(second, tmp_path)
    assert "Rep 1" in text
    assert "Rep 0" not in text
