"""On a phone every menu entry stays in sight and no page is wider than the screen."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e


def test_an_admin_on_a_phone_sees_every_menu_entry_and_no_page_runs_wider(
    browser, live_server
) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, "alex.morgan@example.com")
    entries = page.locator(".main-nav a")
    assert entries.count() >= 9
    for index in range(entries.count()):
        box = entries.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0, entries.nth(index).inner_text()
        assert box["x"] + box["width"] <= 390, entries.nth(index).inner_text()
    page.get_by_role("link", name="Users").first.click()
    page.locator("table a").first.click()  # a user's page, with its history table
    assert page_width(page) <= 390
    page.goto("/recruiting/candidates")
    assert page_width(page) <= 390  # the wide list scrolls inside its frame
    for url in ("/training/assignments", "/incentives/"):
        page.goto(url)
        tabs = page.locator(".subnav a")
        assert tabs.count() >= 3, url
        for index in range(tabs.count()):  # every section tab in sight
            box = tabs.nth(index).bounding_box()
            assert box is not None
            where = (url, tabs.nth(index).inner_text())
            assert box["x"] >= 0, where
            assert box["x"] + box["width"] <= 390, where
    context.close()


@pytest.mark.parametrize(
    "email",
    ["helen.carter@example.com", "grace.lee@example.com", "amara.nwosu@example.com"],
)
def test_each_dashboard_fits_a_phone(browser, live_server, email: str) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, email)
    page.goto("/")
    assert page_width(page) <= 390  # wide tables scroll inside their panel
    context.close()
