"""A supervisor reviews a sampled ticket (the draft saves itself as they rate), submits it;
the rep reads and disputes it; an admin decides the dispute."""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

SUPERVISOR = "grace.lee@example.com"
ADMIN = "alex.morgan@example.com"


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(ascii_name.lower().split()) + "@example.com"


def _top(page, name: str):
    """The radio at the top of a category's scale."""
    values = page.eval_on_selector_all(
        f'input[name="{name}"]', "els => els.map(e => e.value)"
    )
    best = max(int(v) for v in values if v != "na")
    return page.locator(f'input[name="{name}"][value="{best}"]')


def test_review_autosaves_then_submit_dispute_and_decision(page, browser) -> None:
    log_in(page, SUPERVISOR)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Quality"
    ).click()
    expect(page.get_by_role("heading", name="My review queue")).to_be_visible()
    page.get_by_role("link", name="Review", exact=True).first.click()
    url = page.url
    rep = re.search(r"<p>(.+?), \d{4}-\d{2};", page.content()).group(1)
    names = page.eval_on_selector_all(
        'input[type="radio"]', "els => [...new Set(els.map(e => e.name))]"
    )
    _top(page, names[0]).check()
    expect(page.locator("#save-status")).to_have_text("Draft saved.")
    page.reload()
    expect(_top(page, names[0])).to_be_checked()  # kept without pressing Save
    for name in names[1:]:
        _top(page, name).check()
    page.get_by_label("Note for the rep").fill("Warm and complete.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit review").click()
    expect(page.locator("body")).to_contain_text("Review submitted.")

    rep_context = browser.new_context(base_url=page.url.split("/quality")[0])
    rep_page = rep_context.new_page()
    log_in(rep_page, _email(rep))
    rep_page.goto("/quality/mine")
    rep_page.goto(url)
    expect(rep_page.locator("body")).to_contain_text("Warm and complete.")
    rep_page.get_by_label("What did the review get wrong?").fill(
        "The customer asked me to close it."
    )
    rep_page.get_by_role("button", name="Dispute this review").click()
    expect(rep_page.locator("body")).to_contain_text("Dispute sent.")
    rep_context.close()

    admin_context = browser.new_context(base_url=page.url.split("/quality")[0])
    admin_page = admin_context.new_page()
    log_in(admin_page, ADMIN)
    admin_page.goto("/quality/disputes")
    expect(admin_page.locator("body")).to_contain_text("The customer asked me")
    admin_page.goto(url)
    admin_page.get_by_label("Upheld: the review stands").check()
    admin_page.get_by_label("Why").fill("The note says why it was closed.")
    admin_page.get_by_role("button", name="Decide").click()
    expect(admin_page.locator("body")).to_contain_text("Dispute decided.")
    admin_context.close()


def test_calibration_results_and_blind_scoring(page) -> None:
    """A supervisor reads a closed session's agreement and grid, then scores a ticket of
    the open session (the draft saves itself) without seeing anyone else's ratings."""
    log_in(page, SUPERVISOR)
    page.goto("/quality/")
    page.get_by_role("link", name="Calibration", exact=True).click()
    expect(page.get_by_role("heading", name="Calibration", exact=True)).to_be_visible()
    page.get_by_role("link", name="Phone and chat, calibration round 1").click()
    table = page.locator("#agreement-table")
    expect(table).to_contain_text("Overall")
    expect(table.locator("tr", has_text="Empathy")).to_contain_text(
        re.compile(r"-?\d\.\d{3}|not enough ratings")
    )
    expect(page.get_by_role("heading", name="Ratings side by side")).to_be_visible()
    expect(page.locator(".calibration-grid").first).to_contain_text("Marco Rossi")
    expect(page.locator("body")).to_contain_text("Each reviewer against the group")

    page.goto("/quality/calibration")
    page.get_by_role("link", name="Phone and chat, calibration round 2").click()
    expect(page.locator("body")).not_to_contain_text("Ratings side by side")
    page.get_by_role("link", name=re.compile(r"^Score ")).last.click()
    expect(page.locator("body")).to_contain_text("Nobody else sees it")
    names = page.eval_on_selector_all(
        'input[type="radio"]', "els => [...new Set(els.map(e => e.name))]"
    )
    _top(page, names[0]).check()
    expect(page.locator("#save-status")).to_have_text("Draft saved.")
    page.reload()
    expect(_top(page, names[0])).to_be_checked()
    expect(page.locator("body")).not_to_contain_text("The other reviewers")
