"""A security key through Chromium's virtual authenticator: register it, then sign in with it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from organizations.services import do_create_organization
from security.models import WebAuthnCredential
from tests.browser.conftest import NewContext, confirm_password_if_asked, label, sign_in, sign_out
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_with_security_key(new_context: NewContext) -> Page:
    context = new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": False,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return page


@pytest.fixture
def frank(live_server: Any) -> User:
    user = UserFactory.create(email="frank@example.com", first_name="Frank")
    do_create_organization("Frank GmbH", creator=user)
    return user


def test_register_a_security_key_then_sign_in_with_it(new_context: NewContext, frank: User) -> None:
    page = _page_with_security_key(new_context)
    sign_in(page, frank)
    page.goto("/security/two-factor/security-key/")
    confirm_password_if_asked(page)
    page.get_by_label(label("Name")).fill("YubiKey")

    page.get_by_role("button", name="Register the security key").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")
    key = WebAuthnCredential.objects.get(user=frank)
    assert key.confirmed
    assert key.name == "YubiKey"
    page.get_by_role("button", name="I have saved my codes").click()
    expect(page.get_by_role("link", name="Rename YubiKey")).to_be_visible()

    sign_out(page)
    sign_in(page, frank)
    page.wait_for_url("**/security/verify/")
    page.get_by_role("button", name="Use my security key").click()

    page.wait_for_url(lambda url: "/orgs/" in url)
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.sign_count >= 0


def test_security_key_of_another_browser_is_not_accepted(
    new_context: NewContext, frank: User
) -> None:
    page = _page_with_security_key(new_context)
    sign_in(page, frank)
    page.goto("/security/two-factor/security-key/")
    confirm_password_if_asked(page)
    page.get_by_role("button", name="Register the security key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")

    # A second browser with its own (different) virtual key: the password is right, the key not.
    stranger = _page_with_security_key(new_context)
    sign_in(stranger, frank)
    stranger.get_by_role("button", name="Use my security key").click()

    expect(stranger.get_by_role("status")).not_to_be_empty()
    assert "/security/verify/" in stranger.url
