"""Tables on a phone (issue 13, section 2): at 390 px the 2FA methods' actions and three of the
seven product columns were off-screen, inside a box that scrolled sideways. Below 720 px these
tables show each row as a card of label and value, and nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from organizations.models import Organization
from security.app_passwords import do_create_app_password
from tests.browser.conftest import NewContext, sign_in_with_authenticator, turn_on_two_factor
from tests.factories import ProductFactory
from tokens.services import do_create_token

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def sideways_overflow(page: Page) -> list[str]:
    """Every box (the page, a table's scrolling box) wider than what shows of it."""
    boxes: list[str] = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
            .filter(el => el.scrollWidth - el.clientWidth > 1)
            .map(el => (el.className || el.tagName) + ': ' + (el.scrollWidth - el.clientWidth))"""
    )
    return boxes


def test_the_two_factor_methods_fit_a_phone(new_context: NewContext, alice: User) -> None:
    turn_on_two_factor(alice, name="Pixel of Alice, the new one")
    page = new_context(viewport=PHONE).new_page()
    sign_in_with_authenticator(page, alice)
    page.goto("/security/two-factor/")

    assert sideways_overflow(page) == []
    remove = page.get_by_role("link", name="Remove Pixel of Alice, the new one")
    remove.scroll_into_view_if_needed()
    box = remove.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    expect(page.get_by_text("Last used").first).to_be_visible()  # the labels of the card


def test_the_products_fit_a_phone(new_context: NewContext, alice: User, acme: Organization) -> None:
    for n in range(3):
        ProductFactory.create(organization=acme, name=f"shop-{n}.acme-holding-international.ch")
    turn_on_two_factor(alice)
    page = new_context(viewport=PHONE).new_page()
    sign_in_with_authenticator(page, alice)
    page.goto(f"/orgs/{acme.slug}/products/")

    assert sideways_overflow(page) == []


def test_a_products_expiry_date_stays_on_one_line_on_a_desktop(
    page: Page, alice: User, acme: Organization
) -> None:
    """Issue 13, section 2: "15 December 2026" wrapped over three lines."""
    ProductFactory.create(organization=acme, name="shop.acme-holding-international.ch")
    turn_on_two_factor(alice)
    sign_in_with_authenticator(page, alice)
    page.goto(f"/orgs/{acme.slug}/products/")

    date = page.locator("td[data-label='Expires on'] .nowrap").first
    box = date.bounding_box()
    line = float(date.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box is not None
    assert box["height"] < 1.5 * line


def test_application_passwords_and_tokens_fit_a_phone(
    new_context: NewContext, alice: User, acme: Organization
) -> None:
    do_create_app_password(
        alice, name="Thunderbird at home", services=["mail", "calendar"], actor=alice
    )
    do_create_token(
        alice,
        organization=acme,
        name="Newsletter import",
        scope="newsletter",
        expires_at=None,
        actor=alice,
    )
    turn_on_two_factor(alice)
    page = new_context(viewport=PHONE).new_page()
    sign_in_with_authenticator(page, alice)

    for path in ("/security/app-passwords/", "/tokens/"):
        page.goto(path)
        assert sideways_overflow(page) == [], path
