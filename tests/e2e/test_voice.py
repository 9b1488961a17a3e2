"""A rep reports a problem from a ticket in the browser, checks for similar reports first;
the Logistics owner acknowledges and fixes it; the rep sees it fixed; the month's
leadership pack shows reaction times by department; the pages (problems, policies,
ideas) and their tabs fit a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e


def test_a_rep_reports_and_the_logistics_owner_fixes_it(
    page, browser, live_server
) -> None:
    log_in(page, "amara.nwosu@example.com")
    page.goto("/voice/problems/new?ticket=PE-10240")
    page.get_by_label("Title").fill("Crushed parcels from the Leeds depot")
    page.get_by_label("The customer's story").fill(
        "Her parcel came from the Leeds depot crushed; the carrier left it in the rain."
    )
    page.get_by_label("Category").select_option("shipping")
    page.get_by_label("Department it needs").select_option(label="Logistics")
    page.get_by_role("button", name="Next: check for similar reports").click()
    expect(page.get_by_role("heading", name="Similar open reports")).to_be_visible()
    expect(
        page.get_by_role("button", name="+1 and add my tickets").first
    ).to_be_visible()
    page.get_by_role("button", name="File the report").click()
    expect(page.locator(".flash-success")).to_contain_text("filed for Logistics")
    report_url = page.url
    assert re.search(r"/voice/problems/\d+$", report_url)
    expect(page.locator(".reach")).to_contain_text("Reach Logistics now:")

    owner = browser.new_context(base_url=live_server).new_page()
    log_in(owner, "daniel.okafor@example.com")
    owner.goto(report_url)
    owner.get_by_label("What happens now").select_option("acknowledged")
    owner.get_by_role("button", name="Save").click()
    expect(owner.locator(".flash-success")).to_contain_text("is now acknowledged")
    owner.get_by_label("What happens now").select_option("fixed")
    owner.get_by_role("button", name="Save").click()
    expect(owner.locator(".flash-success")).to_contain_text("is now fixed")

    page.reload()
    expect(page.locator(".history")).to_contain_text("Fixed by Daniel Okafor")
    report_id = report_url.rsplit("/", 1)[1]
    page.goto("/")
    mine = page.locator("li", has_text=f"#{report_id} Crushed parcels")
    expect(mine).to_contain_text("Fixed")

    # The demo's organisation is on UTC: the report is in this month's pack.
    month = dt.datetime.now(dt.UTC)
    leader = browser.new_context(base_url=live_server).new_page()
    log_in(leader, "helen.carter@example.com")
    leader.goto(f"/incentives/scorecards/leadership?month={month:%Y-%m}")
    section = leader.locator(".sc-front-line")
    expect(
        section.get_by_role("heading", name="What the front line told us")
    ).to_be_visible()
    reaction = section.locator("table.fl-reaction")
    expect(reaction.locator("thead")).to_contain_text("To acknowledge (median)")
    expect(reaction.locator("thead")).to_contain_text("Within target")
    logistics = reaction.locator("tbody tr", has_text="Logistics")
    expect(logistics).to_have_count(1)
    expect(logistics.locator("td").nth(2)).to_have_text(re.compile(r"^[0-9.]+ h$"))
    expect(section).to_contain_text(
        f"#{report_id} Crushed parcels from the Leeds depot"
    )
    leader.context.close()
    owner.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_voice_pages_fit_the_screen(browser, live_server, width: int) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 844}
    )
    page = context.new_page()
    log_in(page, "helen.carter@example.com")
    for url in (
        "/voice/problems",
        "/voice/departments",
        "/voice/reaction",
        "/voice/departments/1/reaction",
        "/voice/problems/1",
        "/voice/policies",
        "/voice/policies/1",
        "/voice/policies/1/decide",
        "/voice/policies/2",
        "/voice/ideas",
        "/voice/ideas/1",
        "/voice/ideas?scope=triage",
        "/incentives/scorecards/leadership",
    ):
        page.goto(url)
        assert page_width(page) <= width, url
        for tab in page.locator(".subnav a").all():
            box = tab.bounding_box()
            assert box is not None
            assert box["x"] >= 0, (url, tab.inner_text())
            assert box["x"] + box["width"] <= width, (url, tab.inner_text())
    context.close()
