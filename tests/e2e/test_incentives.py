"""An admin imports helpdesk exports in the browser; reps and supervisors read their month."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parents[1] / "incentives" / "data"
PHONE = {"width": 390, "height": 844}


def test_an_admin_uploads_an_export_and_sees_what_was_imported(page) -> None:
    log_in(page, "alex.morgan@example.com")
    page.get_by_role("link", name="Incentives", exact=True).click()
    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_role("button", name="Import tickets").click()
    # The upload script binds the form once the page has loaded (a busy machine can be
    # slower than the clicks below).
    page.wait_for_load_state("load")
    page.get_by_label("Exported from").select_option("freshdesk")
    page.get_by_label("Export file (CSV)").set_input_files(
        str(DATA / "freshdesk_export.csv")
    )
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/incentives/imports/new")
    ) as sent:
        page.get_by_role("button", name="Import tickets").click()
    # the script uploads with a progress bar, then follows the server to the import's page
    assert sent.value.headers.get("x-requested-with") == "XMLHttpRequest"
    expect(page).to_have_url(re.compile(r"/incentives/imports/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Imported freshdesk_export.csv: 4 new, 0 updated, 0 unchanged."
    )
    expect(page.locator(".facts").first).to_contain_text("Agents not linked")


def test_a_bad_file_is_rejected_with_a_row_by_row_report(page) -> None:
    log_in(page, "alex.morgan@example.com")
    page.goto("/incentives/imports/new")
    page.get_by_label("Exported from").select_option("frontline")
    page.get_by_label("Export file (CSV)").set_input_files(
        str(DATA / "frontline_bad_rows.csv")
    )
    page.get_by_role("button", name="Import tickets").click()
    expect(page.locator(".import-report")).to_contain_text(
        "Nothing was imported from frontline_bad_rows.csv."
    )
    report = page.locator(".import-report table")
    expect(report).to_contain_text("ticket id already on row 2")
    expect(report.locator("tbody tr")).to_have_count(9)


def test_a_dry_run_reports_on_the_same_page(page) -> None:
    log_in(page, "alex.morgan@example.com")
    page.goto("/incentives/imports/new")
    page.get_by_label("Exported from").select_option("zendesk")
    page.get_by_label("Export file (CSV)").set_input_files(
        str(DATA / "zendesk_export.csv")
    )
    page.get_by_text("Check only").click()
    page.get_by_role("button", name="Import tickets").click()
    expect(page.locator(".dry-run-result")).to_contain_text(
        "Check only — nothing was written."
    )
    expect(page).to_have_url(re.compile(r"/incentives/imports/new$"))


def test_a_rep_follows_a_figure_to_the_tickets_behind_it_on_a_phone(
    browser, live_server
) -> None:
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    log_in(page, "amara.nwosu@example.com")
    expect(page.get_by_role("heading", name="Your month so far")).to_be_visible()
    page.get_by_role("link", name="Incentives", exact=True).click()
    expect(page.get_by_role("heading", name="Your figures")).to_be_visible()
    page.locator(".metric-cards a", has_text="CSAT").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amara Nwosu")
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text("Rated tickets")
    rows = page.locator("table.ticket-table tbody tr")
    expect(rows.first).to_contain_text("satisfied")
    width = page_width(page)
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    # the next rep's tickets (Ben Fischer, her teammate) are not hers to see
    own_id = int(re.search(r"/reps/(\d+)/", page.url).group(1))
    other = page.goto(f"/incentives/reps/{own_id + 1}/tickets")
    assert other is not None
    assert other.status == 403
    context.close()


def test_a_supervisor_sorts_the_team_by_csat(page) -> None:
    log_in(page, "grace.lee@example.com")
    page.get_by_role("link", name="Incentives", exact=True).click()
    page.get_by_role("link", name="CSAT").click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("CSAT")
    rows = page.locator("table.metrics-table").first.locator("tbody th[scope=row]")
    teams = {text.split("\n")[-1].strip() for text in rows.all_inner_texts()}
    assert teams == {"Chat & Social"}  # Phone & Email is not her team
    names = rows.locator("a").all_inner_texts()
    assert "Amara Nwosu" in names
    assert "Kofi Asante" not in names


def test_an_admin_maps_an_unknown_agent_to_a_rep(page) -> None:
    log_in(page, "alex.morgan@example.com")
    page.goto("/incentives/agents")
    row = page.locator("tr", has_text="Sam Taylor (contractor)")
    row.get_by_label("This is").select_option(
        label="Lucía Fernández · lucia.fernandez@example.com"
    )
    row.get_by_role("button", name="Map").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Sam Taylor (contractor) is now Lucía Fernández; their tickets follow."
    )
    mapped = page.locator("section", has_text="Mapped by hand").locator(
        "tr", has_text="Sam Taylor"
    )
    expect(mapped).to_contain_text("Lucía Fernández")
