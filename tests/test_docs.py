"""The docs stay honest: the README stays short, and every link and citation leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.layout import RULES_MODULES

ROOT = Path(__file__).resolve().parents[1]
#: The README is a start, not a manual: reference goes to docs/.
README_LIMIT = 12 * 1024
#: Markdown files whose relative links are checked.
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "bench").glob("README.md"),
        *(ROOT / "tests").glob("README.md"),
    ]
)
#: Linked files written on their own branches of the same change; a link to one of these
#: is checked like any other as soon as the file exists.
WRITTEN_ALONGSIDE: set[str] = set()

_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CITATION = re.compile(r'docs/style\.md, "([^"]+)"')


def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code, where links are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for the headings of a Markdown file."""
    seen: dict[str, int] = {}
    result = set()
    for line in prose(path.read_text(encoding="utf-8")).splitlines():
        if not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(prose(path.read_text(encoding="utf-8")))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)
    ]


def test_the_readme_stays_under_twelve_kilobytes() -> None:
    size = len((ROOT / "README.md").read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes; move reference to docs/"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_in_the_repository(
    doc: Path,
) -> None:
    for link in relative_links(doc):
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else link
        if not path.exists() and name in WRITTEN_ALONGSIDE:
            continue
        assert path.exists(), f"{doc.relative_to(ROOT)} links to {link}: no such file"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), (
                f"{doc.relative_to(ROOT)} links to {link}: no such heading"
            )


def cited_sections() -> set[tuple[str, str]]:
    """The sections of docs/style.md our Python files cite, with the file citing each."""
    sources = [ROOT / "app.py"]
    for package in ("core", "recruiting", "training", "incentives", "tests"):
        sources += (ROOT / package).rglob("*.py")
    cited = set()
    for path in sources:
        # A citation may wrap onto the next line of a docstring or a comment.
        text = re.sub(r"\s*\n\s*#?:?\s*", " ", path.read_text(encoding="utf-8"))
        for section in _CITATION.findall(text):
            cited.add((path.relative_to(ROOT).as_posix(), section))
    return cited


def test_code_and_tests_cite_sections_that_docs_style_has() -> None:
    style = prose((ROOT / "docs" / "style.md").read_text(encoding="utf-8"))
    titles = {
        line.lstrip("#").strip() for line in style.splitlines() if line[:1] == "#"
    }
    cited = cited_sections()
    assert cited, "nothing cites docs/style.md"
    assert {(path, s) for path, s in cited if s not in titles} == set()


def modules_named_where_each_rule_lives() -> set[str]:
    """The files docs/architecture.md's table of rules names, with short names (``mapping.py``
    after ``incentives/tickets/sources.py``) read in the folder of the row's first path."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    named = set()
    for row in section.splitlines():
        if not row.startswith("|"):
            continue
        folder = ""
        for name in re.findall(r"`([\w/]+\.py)`", row.rsplit("|", 2)[-2]):
            if "/" in name:
                folder = name.rsplit("/", 1)[0]
                named.add(name)
            elif folder:
                named.add(f"{folder}/{name}")
    return named


def test_the_architecture_map_names_where_each_rules_module_in_the_layout_lives() -> (
    None
):
    named = modules_named_where_each_rule_lives()
    assert "incentives/tickets/mapping.py" in named
    assert sorted(set(RULES_MODULES) - named) == [], (
        "core/layout.py lists rules modules docs/architecture.md does not place"
    )
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "core/layout.py" in text
