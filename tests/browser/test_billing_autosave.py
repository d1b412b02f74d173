"""Billing notification preferences in a real browser: a change is saved at once (htmx), the
live region says "Saved" for screen readers, a reload shows the choice kept; and the page passes
axe-core and the frame of UI.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from billing.recipients import choices_of
from organizations.models import Organization
from tests.browser.conftest import NewContext, assert_accessible, sign_in
from tests.conftest import membership

pytestmark = pytest.mark.browser

URL = "/orgs/acme/billing/settings/"


def test_ticking_a_lead_time_saves_it_and_says_so(
    page: Page, alice: User, acme: Organization
) -> None:
    sign_in(page, alice)
    page.goto(URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing notifications")
    # The live region a screen reader announces.
    status = page.locator("#billing-settings-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("", use_inner_text=True)
    assert_accessible(page, "billing settings", organization=acme.name)

    one_day = page.get_by_label("1 day before")
    expect(one_day).not_to_be_checked()
    one_day.check()

    expect(status).to_have_text("Saved", use_inner_text=True)
    expect(one_day).to_be_focused()
    assert choices_of(membership(alice, acme)).lead_days == (30, 15, 7, 1)

    page.reload()
    expect(page.get_by_label("1 day before")).to_be_checked()
    expect(page.get_by_label("30 days before")).to_be_checked()


def test_switching_reminders_off_hides_the_lead_times_and_keeps_them(
    page: Page, alice: User, acme: Organization
) -> None:
    sign_in(page, alice)
    page.goto(URL)
    switch = page.get_by_label("I want to receive reminder emails before the renewal due date")
    lead_times = page.get_by_role("group", name="When to remind me")
    expect(lead_times).to_be_visible()

    switch.uncheck()

    expect(page.locator("#billing-settings-status")).to_have_text("Saved", use_inner_text=True)
    expect(lead_times).to_be_hidden()
    expect(switch).to_be_focused()
    page.reload()
    expect(switch).not_to_be_checked()
    expect(lead_times).to_be_hidden()
    assert choices_of(membership(alice, acme)).renewal_reminders is False

    page.get_by_label("I want to receive reminder emails before the renewal due date").check()
    expect(lead_times).to_be_visible()
    expect(page.get_by_label("15 days before")).to_be_checked()
    assert_accessible(page, "billing settings after saving", organization=acme.name)


@pytest.mark.parametrize("javascript", [True, False])
def test_a_save_button_only_without_javascript(
    new_context: NewContext, alice: User, acme: Organization, javascript: bool
) -> None:
    """Issue 13, defect 9: a "Save" button sat under "your changes are saved as you make them";
    without JavaScript that sentence was untrue and the button the only way."""
    page = new_context(java_script_enabled=javascript).new_page()
    sign_in(page, alice)
    page.goto(URL)

    save = page.get_by_role("button", name="Save")
    autosave_hint = page.get_by_text("Your changes are saved as soon as you make them.")
    if javascript:
        expect(save).to_be_hidden()
        expect(autosave_hint).to_be_visible()
    else:
        expect(save).to_be_visible()
        expect(autosave_hint).to_be_hidden()
        page.get_by_label("1 day before").check()
        save.click()
        assert choices_of(membership(alice, acme)).lead_days == (30, 15, 7, 1)


def test_the_notifications_page_is_in_the_navigation(page: Page, alice: User) -> None:
    """Issue 13, defect 9: the page was reached only by a small text link."""
    sign_in(page, alice)
    page.goto("/orgs/acme/")
    nav = page.get_by_role("navigation", name="Acme SA navigation")

    nav.get_by_role("link", name="Billing notifications").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Billing notifications")
    current = nav.locator('[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text("Billing notifications")
