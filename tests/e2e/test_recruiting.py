"""A candidate takes the aptitude test through their link on a phone, reloads half-way and
carries on, submits; the hiring manager then finds the result ranked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e

OPENING = "Chat & social rep — spring intake"
PHONE = {"width": 390, "height": 844}
#: Saves are quick, but CI machines are shared: allow a slow answer before failing.
SAVED = 15_000


def _send_test_link(page, name: str, email: str) -> str:
    """As a hiring manager: add a candidate to the opening and make their test link."""
    log_in(page, "priya.shah@example.com")
    page.get_by_role("link", name="Recruiting", exact=True).click()
    page.get_by_role("link", name=OPENING).click()
    page.get_by_role("button", name="Add a candidate").click()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Source").fill("Careers page")
    page.get_by_role("button", name="Save candidate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page.get_by_text("Send a test link").click()
    page.get_by_role("button", name="Create test link").click()
    link = page.get_by_label("Test link").input_value()
    assert "/recruiting/test/" in link
    return link


def _answer_current(page, *, keyboard: bool = False) -> None:
    """Answer the question on screen and wait until the page says it is saved."""
    page.wait_for_load_state()  # answers save themselves once the page's script has run
    if page.locator("fieldset.most-least").count():
        page.locator('input[name="best"]').nth(0).check()
        expect(page.locator("#save-status")).to_have_text("Saved.", timeout=SAVED)
        page.locator('input[name="worst"]').nth(1).check()
    elif keyboard:
        page.locator('input[name="best"]').first.focus()
        page.keyboard.press("ArrowDown")  # arrow keys choose within the group
        expect(page.locator('input[name="best"]').nth(1)).to_be_checked()
    else:
        page.locator('input[name="best"]').nth(2).check()
    expect(page.locator("#save-status")).to_have_text("Saved.", timeout=SAVED)


def test_candidate_takes_the_test_on_a_phone_and_the_result_is_ranked(
    browser, live_server, page
) -> None:
    link = _send_test_link(page, "Petra Phone", "petra.phone@example.net")

    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    phone.set_default_timeout(10_000)
    candidate = phone.new_page()
    errors: list[str] = []
    candidate.on("pageerror", lambda error: errors.append(str(error)))
    candidate.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" else None
    )
    candidate.goto(link)
    expect(candidate.get_by_role("heading", name="Service judgement")).to_be_visible()
    candidate.get_by_role("button", name="Start the assessment").click()
    expect(candidate.locator("#time-left")).to_have_text(re.compile(r"^2[45]:\d\d$"))

    for number in range(1, 8):
        expect(candidate.get_by_text(f"Question {number} of 14")).to_be_visible()
        _answer_current(candidate, keyboard=number == 1)
        if number < 7:
            candidate.get_by_role("button", name="Next →").click()
    width = page_width(candidate)
    assert width <= PHONE["width"], f"the test page scrolls sideways ({width}px)"

    # Half-way the candidate reloads: the question and the answer given are still there.
    candidate.reload()
    expect(candidate.get_by_text("Question 7 of 14")).to_be_visible()
    expect(candidate.locator('input[name="best"]').nth(2)).to_be_checked()
    expect(candidate.locator("#answered-count")).to_have_text("7")
    phone.close()

    # Later, on another browser, the same link carries on at the first unanswered one.
    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    phone.set_default_timeout(10_000)
    candidate = phone.new_page()
    candidate.on("pageerror", lambda error: errors.append(str(error)))
    candidate.goto(link)
    expect(candidate.get_by_text("Question 8 of 14")).to_be_visible()
    candidate.get_by_role("button", name="Question 1, answered").click()
    expect(candidate.locator('input[name="best"]').nth(1)).to_be_checked()
    candidate.get_by_role("button", name="Question 8", exact=True).click()

    for number in range(8, 15):
        expect(candidate.get_by_text(f"Question {number} of 14")).to_be_visible()
        _answer_current(candidate)
        label = "Next →" if number < 14 else "Review and submit →"
        candidate.get_by_role("button", name=label).click()
    expect(candidate.get_by_role("heading", name="Review and submit")).to_be_visible()
    expect(candidate.get_by_text("You have answered every question.")).to_be_visible()
    candidate.once("dialog", lambda dialog: dialog.accept())
    candidate.get_by_role("button", name="Submit my answers").click()
    expect(candidate.get_by_role("heading", name="Thank you")).to_be_visible()
    candidate.goto(link)  # the link is spent
    expect(candidate.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.close()
    assert not errors, errors

    page.goto("/recruiting/")
    page.get_by_role("link", name=OPENING).click()
    page.get_by_role("link", name="Ranked results").click()
    row = page.get_by_role("row").filter(has_text="Petra Phone")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Assessed")
    rank = int(row.locator("td").nth(1).inner_text())
    assert rank >= 1
    row.get_by_role("link", name="Petra Phone").click()
    expect(page.get_by_text("14 of 14 answered")).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Competency scores"))
    ).to_be_visible()
