"""A newcomer logs in as each demo role and finds a working product shell."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, page_width

pytestmark = pytest.mark.e2e

ROLES = [
    (
        "alex.morgan@example.com",
        "Admin",
        ["People", "Teams", "Recent activity"],
        ["Users", "Teams", "API tokens", "Audit trail"],
    ),
    ("priya.shah@example.com", "Hiring manager", ["Your account"], []),
    ("grace.lee@example.com", "Supervisor", ["Your team", "Your account"], []),
    ("amara.nwosu@example.com", "Rep", ["Your account"], []),
    (
        "helen.carter@example.com",
        "Leadership",
        ["Teams", "Recent activity"],
        ["Audit trail"],
    ),
]


@pytest.mark.parametrize(
    ("email", "role", "panels", "nav"), ROLES, ids=[r[1] for r in ROLES]
)
def test_each_demo_role_logs_in_and_sees_its_dashboard(
    page, email, role, panels, nav
) -> None:
    log_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")
    for title in panels:
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    for label in nav:
        expect(main_nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    if role != "Admin":
        expect(main_nav.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    page.locator(".user-menu summary").click()
    expect(page.locator(".user-menu")).to_contain_text(role)
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".flash")).to_contain_text("You are logged out.")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/auth/login"))


def test_a_form_with_an_error_shows_the_message_and_keeps_the_input(page) -> None:
    log_in(page, "alex.morgan@example.com")
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("button", name="Add a user").click()
    page.get_by_label("Full name").fill("Nadia Newhire")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#email-help")).to_have_text("Invalid email address.")
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value("Nadia Newhire")
    expect(page.locator("#roles-help")).to_contain_text("Choose at least one role.")


def test_wrong_password_is_explained(page) -> None:
    log_in(page, "grace.lee@example.com", password="not the right one")
    expect(page.locator("#password-help")).to_contain_text(
        "do not match an active account"
    )


def test_the_layout_works_on_a_phone(browser, live_server) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, "grace.lee@example.com")
    expect(page.get_by_role("heading", name="Your team")).to_be_visible()
    width = page_width(page)
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_login_page_shows_its_message_above_the_card(page, width) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/training/")
    flash = page.locator(".flash").bounding_box()
    card = page.locator(".auth-card").bounding_box()
    assert flash is not None
    assert card is not None
    assert flash["y"] + flash["height"] <= card["y"]
    assert abs(flash["x"] - card["x"]) < 1
    assert abs(flash["width"] - card["width"]) < 1


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])


def test_the_keyboard_focus_ring_stands_out_at_3_to_1(page) -> None:
    """WCAG 2.2: the ring a keyboard user follows contrasts 3:1 with what is around it,
    on links, buttons, fields and switches alike."""
    log_in(page, "amara.nwosu@example.com")
    page.goto("/auth/account")
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => {
              const el = document.activeElement;
              const style = getComputedStyle(el);
              let bg = 'rgb(255, 255, 255)';
              for (let p = el.parentElement; p; p = p.parentElement) {
                const c = getComputedStyle(p).backgroundColor;
                if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
              }
              return {tag: el.tagName, type: el.type || '', style: style.outlineStyle,
                      width: parseFloat(style.outlineWidth), color: style.outlineColor, bg};
            }"""
        )
        if ring["tag"] == "BODY":
            continue
        seen.add(ring["tag"] + ring["type"])
        assert ring["style"] == "solid", ring
        assert ring["width"] >= 2, ring
        assert _contrast(_rgb(ring["color"]), _rgb(ring["bg"])) >= 3, ring
    assert {"A", "INPUTpassword", "BUTTONsubmit"} <= seen, seen
