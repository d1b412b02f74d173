"""Emergency codes are shown once, in a real browser: the download works from the page that shows
them (no second request), and a reload shows them no more but offers new ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from security.models import EmergencyCodesDevice
from tests.browser.conftest import (
    assert_accessible,
    confirm_password_if_asked,
    path_of,
    sign_in_with_authenticator,
    turn_on_two_factor,
)

pytestmark = pytest.mark.browser


def test_codes_download_right_after_showing_and_gone_on_reload(page: Page, alice: User) -> None:
    phone, old_codes = turn_on_two_factor(alice)
    sign_in_with_authenticator(page, alice, phone)
    page.goto("/security/two-factor/emergency-codes/regenerate/")
    confirm_password_if_asked(page)
    page.get_by_role("button", name="Replace my emergency codes").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")
    codes = page.locator("#emergency-codes li").all_inner_texts()
    assert len(codes) == 10
    assert not set(codes) & set(old_codes)
    assert_accessible(page, "emergency codes, shown")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a text file").click()
    download = download_info.value
    assert download.suggested_filename == "emergency-codes.txt"
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    assert alice.email in saved

    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")
    expect(page.get_by_role("status")).to_contain_text("were shown once")
    expect(page.locator("#emergency-codes")).to_have_count(0)
    for code in codes:
        expect(page.get_by_text(code)).to_have_count(0)
    assert_accessible(page, "emergency codes, reloaded")
    page.get_by_role("link", name="Create new emergency codes").click()
    assert path_of(page) == "/security/two-factor/emergency-codes/regenerate/"
    # The codes downloaded are the ones that work, and nothing was replaced by looking.
    device = EmergencyCodesDevice.objects.get(user=alice)
    assert device.remaining == 10
    assert device.verify_token(codes[0])
