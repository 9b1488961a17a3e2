"""Scorecards in the browser: a month's batch with its progress bar, a rep disputing a
ticket on a phone and their supervisor deciding it, scorecards that fit a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_leadership_renders_a_month_and_watches_it_to_the_download(page) -> None:
    log_in(page, "helen.carter@example.com")
    page.goto("/incentives/scorecards/leadership")
    expect(
        page.get_by_role("heading", name=re.compile("Leadership pack"))
    ).to_be_visible()
    expect(page.locator(".sc-validity")).to_contain_text("Hiring-test validity")
    with page.expect_response(re.compile(r"/scorecards/batches/\d+\.json")) as polled:
        page.get_by_role("button", name=re.compile("Render every scorecard")).click()
    expect(page).to_have_url(re.compile(r"/incentives/scorecards/batches/\d+$"))
    assert polled.value.ok  # the page's script asks the server how far the job got
    download = page.get_by_role("button", name="Download the zip")
    expect(download).to_be_visible(timeout=90_000)
    expect(page.locator(".job-state")).to_have_text("Done")
    bar = page.locator(".job-progress progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    with page.expect_download() as downloading:
        download.click()
    assert downloading.value.suggested_filename.startswith("scorecards-")


def test_a_rep_disputes_a_ticket_on_a_phone_and_the_supervisor_decides(
    browser, live_server
) -> None:
    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    page = phone.new_page()
    log_in(page, "farah.haddad@example.com")
    page.goto("/incentives/scores")
    page.get_by_role("link", name="Farah Haddad").first.click()
    expect(page.locator(".sc-name")).to_have_text("Farah Haddad")
    width = page_width(page)
    assert width <= PHONE["width"], f"the scorecard scrolls sideways ({width}px)"
    page.get_by_role("link", name="The tickets behind these figures").click()
    page.locator("a[rel=next]").first.click()  # the current month, still open
    page.locator("main table").get_by_role(
        "link", name="Dispute", exact=True
    ).first.click()
    page.get_by_label("Why is this ticket not yours?").fill(
        "Sam from the contractor desk answered this chat."
    )
    page.get_by_role("button", name="Send the dispute").click()
    expect(page.locator(".flash-success")).to_contain_text("sent to your supervisor")
    ticket = page.get_by_role("heading", level=1).inner_text()
    phone.close()

    desk = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}
    )
    page = desk.new_page()
    log_in(page, "grace.lee@example.com")
    page.goto("/incentives/disputes")
    page.locator("tr", has_text="Sam from the contractor desk").get_by_role(
        "link"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ticket)
    page.get_by_label("Decline: the ticket stays with the rep").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".field-error")).to_contain_text("reason for declining")
    page.get_by_label("Decline: the ticket stays with the rep").check()
    page.get_by_label("Reason").fill("The chat log shows your replies.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".flash-success")).to_contain_text("Decision recorded")
    expect(page.locator(".facts")).to_contain_text("declined")
    desk.close()


def test_a_rep_tries_a_what_if_on_a_phone_and_nothing_scrolls_sideways(
    browser, live_server
) -> None:
    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    page = phone.new_page()
    log_in(page, "farah.haddad@example.com")
    page.goto("/incentives/scores")
    page.get_by_role("link", name="Farah Haddad").first.click()
    next_steps = page.locator(".sc-next")
    expect(next_steps).to_contain_text("What to do next")
    page.get_by_role("textbox", name="had the value").fill("100")
    page.get_by_role("button", name="Re-score").click()
    expect(page.locator(".sc-what-if-result")).to_contain_text("What if: score")
    width = page_width(page)
    assert width <= PHONE["width"], f"the scorecard scrolls sideways ({width}px)"
    page.get_by_role("textbox", name="had the value").fill("lots")
    page.get_by_role("button", name="Re-score").click()
    expect(page.locator(".sc-what-if-result")).to_contain_text("Enter a number")
    # The open month: the pace so far, its projection marked as one.
    months = page.get_by_label("Month", exact=True)
    months.select_option(index=0)  # newest first: the current month, still open
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".sc-pace")).to_contain_text("projection")
    width = page_width(page)
    assert width <= PHONE["width"], f"the open month scrolls sideways ({width}px)"
    phone.close()


def test_a_team_scorecard_fits_a_phone(browser, live_server) -> None:
    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    page = phone.new_page()
    log_in(page, "grace.lee@example.com")
    page.goto("/incentives/scores")
    page.locator("a[href*='/scorecards/teams/']").first.click()
    expect(page.locator(".sc-name")).to_be_visible()
    width = page_width(page)
    assert width <= PHONE["width"], f"the team scorecard scrolls sideways ({width}px)"
    phone.close()
