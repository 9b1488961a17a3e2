"""Every form on every page, filled with hostile values, answers without a 500.

The access matrix's world is built, and each page every role may open is opened by a user
holding that role. Every POST form on the page is then sent back with each text box, text
area and e-mail field filled in with far more text than any column holds, carrying markup,
quotes and a spreadsheet formula; numbers and dates get values out of any range; choices
keep a real option (and the CSRF token and hidden fields their values). A form may refuse
(400), re-show itself with messages (200) or redirect; it must never crash (500) - on
PostgreSQL that is where a value too long for its column, or out of range, would surface.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask

from core.access import Role
from tests.access import PUBLIC, World
from tests.core.test_access_matrix import MATRIX, world  # noqa: F401 - the fixture
from tests.hostile.strategies import HOSTILE_TEXTS

LONG = (" ".join(t for t in HOSTILE_TEXTS if "\x00" not in t) + " ") * 40 + "é" * 2000
#: Forms that end the session or the world the other forms need; they are covered by
#: their own tests.
SKIP_ACTIONS = ("/auth/logout", "/auth/account/sessions", "/admin/users/")


class _Forms(HTMLParser):
    """The POST forms of a page: action, fields (name -> kind, value, options)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = {
                    "action": a.get("action", ""),
                    "fields": {},
                    "files": False,
                }
                self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form["files"] = True
            elif kind in ("radio", "checkbox"):
                form["fields"].setdefault(name, ("choice", a.get("value", "y"), []))
            elif kind not in ("submit", "button", "image", "reset"):
                form["fields"][name] = (kind, a.get("value", ""), [])
        elif tag == "select" and name:
            self._select = name
            form["fields"][name] = ("select", "", [])
        elif tag == "option" and self._select:
            options = form["fields"][self._select][2]
            options.append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            form["fields"][name] = ("textarea", "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _fill(fields: dict[str, Any], text: str) -> dict[str, str]:
    data = {}
    for name, (kind, value, options) in fields.items():
        if kind == "hidden" or name == "csrf_token":
            data[name] = value
        elif kind == "select":
            chosen = [o for o in options if o]
            data[name] = chosen[0] if chosen else ""
        elif kind == "choice":
            data[name] = value
        elif kind == "email":
            data[name] = "x" * 300 + "@example.com"
        elif kind == "number":
            data[name] = "1e400"
        elif kind == "date":
            data[name] = "9999-12-31"
        elif kind == "password":
            data[name] = text[:200]
        else:
            data[name] = text
    return data


def _pages() -> list[tuple[str, Any, Role]]:
    pages = []
    for endpoint, rule in sorted(MATRIX.items()):
        if rule.api or rule.method != "GET" or rule.allowed == PUBLIC:
            continue
        for role in sorted(rule.allowed, key=lambda r: r.value):
            pages.append((endpoint, rule, role))
    return pages


def test_every_form_takes_hostile_values_without_a_500(
    app: Flask,
    world: World,  # noqa: F811 - the access matrix's fixture, imported above
) -> None:
    text = LONG
    crashes: list[str] = []
    sent: set[tuple[str, Role]] = set()
    for endpoint, rule, role in _pages():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = world.users[role].get_id()
            session["_fresh"] = True
        url = rule.url(world)
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            action = urlsplit(urljoin(url, form["action"] or url)).path
            if form["files"] or (action, role) in sent:
                continue
            if action.startswith(SKIP_ACTIONS) and "/edit" not in action:
                continue
            sent.add((action, role))
            response = client.post(action, data=_fill(form["fields"], text))
            if response.status_code >= 500:
                crashes.append(
                    f"{action} as {role} (from {endpoint}): {response.status_code}"
                )
    assert len(sent) > 20, "the pages' forms were not found"
    assert not crashes, "\n".join(crashes)
