"""A rep plays a scenario to a pass and asks for authority; a supervisor signs it off; the
register and the API show the new authority."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e

REP = "farah.haddad@example.com"
PASSING_CHOICES = [
    "Ask when it started",
    "Say you have reproduced it",
    "Be honest: engineering is on it",
    "Tell them it is fixed",
    "Ask whether any invoices already went out wrong",
]


def _api_token(browser, live_server: str) -> str:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    log_in(page, "alex.morgan@example.com")
    page.goto("/admin/api-tokens")
    page.get_by_label("What is it for?").fill("Helpdesk authority checks")
    page.get_by_label("Acts as").select_option("supervisor")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator(".copy-field input").input_value()
    context.close()
    return secret


def test_rep_passes_asks_supervisor_approves_register_and_api_agree(
    page, browser, live_server
) -> None:
    token = _api_token(browser, live_server)
    log_in(page, REP)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Training"
    ).click()
    page.get_by_role("link", name="Scenarios", exact=True).click()
    page.get_by_role("link", name="A fault only engineering can fix").click()
    page.get_by_role("button", name="Start").click()
    for n, choice in enumerate(PASSING_CHOICES, start=1):
        expect(page.locator(".player-progress")).to_contain_text(f"Decision {n}")
        page.get_by_label(choice).check()
        page.get_by_role("button", name="Answer").click()
        if n < len(PASSING_CHOICES):
            expect(page.locator(".feedback-box")).to_contain_text("+10 points.")
    expect(page.get_by_role("heading", name="Passed")).to_be_visible()
    expect(page.locator(".score")).to_have_text("100%")
    # The attempt survives a reload: it is kept, finished, with its path.
    page.reload()
    expect(page.locator(".path li")).to_have_count(5)

    page.goto("/training/authorities")
    page.locator("#engineering_escalation").get_by_role(
        "button", name="Ask for sign-off"
    ).click()
    expect(page.locator(".badge-ok").first).to_contain_text("Passed")
    page.get_by_label("Limit asked for").fill("1")
    page.get_by_label("Note for the supervisor").fill("Passed the fault scenario.")
    page.get_by_role("button", name="Ask for sign-off").click()
    expect(page.locator(".flash-success")).to_contain_text("with the supervisors")

    supervisor = browser.new_context(base_url=live_server)
    grace = supervisor.new_page()
    log_in(grace, "grace.lee@example.com")
    grace.goto("/training/signoffs")
    grace.get_by_role("row", name=re.compile("Farah Haddad.*engineering")).get_by_role(
        "link", name="Farah Haddad"
    ).click()
    expect(grace.get_by_text("Evidence")).to_be_visible()
    expect(grace.locator(".path").first).to_contain_text("Say you have reproduced it")
    grace.get_by_label("Approve at a limit of").fill("1")
    grace.get_by_role("button", name="Approve").click()
    expect(grace.locator(".flash-success")).to_contain_text("holds this authority")

    grace.goto("/training/register")
    row = grace.get_by_role("row", name=re.compile("Farah Haddad"))
    expect(row).to_contain_text("level 1")
    # At 1280 px every authority's column is in view: nothing hides behind a scroll.
    frame = grace.locator(".table-wrap").first
    assert frame.evaluate("el => el.scrollWidth <= el.clientWidth")
    supervisor.close()

    response = page.request.get(
        f"/api/v1/authority-check?rep={REP}&authority=engineering_escalation&amount=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    body = response.json()
    assert body["allowed"] is True
    assert body["limit"] == 1.0
    assert body["reason_code"] == "within_limit"
    assert body["reason"] == (
        "Direct engineering escalation is allowed up to level 1; "
        "level 1 is within the limit."
    )
    page.goto("/training/")
    expect(page.locator("main")).to_contain_text("level 1")


def test_the_player_works_on_a_phone(browser, live_server) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, "lucia.fernandez@example.com")
    page.goto("/training/scenarios/lost-shipment")
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".player-progress")).to_contain_text("Decision 1")
    page.wait_for_load_state()  # the keys work once the page's script has run
    page.keyboard.press("1")
    expect(page.locator("input[type=radio]").first).to_be_checked()
    page.get_by_role("button", name="Answer").click()
    expect(page.locator(".feedback-box")).to_be_visible()
    width = page_width(page)
    assert width <= 390, f"the player scrolls sideways on a phone ({width}px)"
    context.close()
