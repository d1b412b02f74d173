"""The "password compromised?" wizard in a real browser, found by role and name as a person finds
it: from the security review, change the password (another browser of the account is signed out),
remove a method someone added (on the 2FA page's confirmation, back to the wizard), revoke every
application password after the confirmation, review, finish. axe-core and the frame check on every
step, and on the review page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from core.models import Notification
from organizations.models import Organization
from security import app_passwords
from security import services as security_services
from security.models import ApplicationPassword, TOTPDevice
from tests.browser.conftest import (
    NewContext,
    add_authenticator,
    axe_violations,
    describe_violations,
    frame_problems,
    label,
    path_of,
    sign_in,
    sign_in_with_authenticator,
    turn_on_two_factor,
)
from tests.factories import PASSWORD
from tokens import services as token_services

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new sentence nobody knows"


def assert_accessible(page: Page, where: str) -> None:
    blocking, lesser = axe_violations(page)
    if lesser:
        print(f"{where}: axe found lesser problems (not failing):\n{describe_violations(lesser)}")
    assert not blocking, f"{where} ({page.url}), axe:\n{describe_violations(blocking)}"
    problems = frame_problems(page)
    assert not problems, f"{where}: " + "; ".join(problems)


def test_wizard_in_three_steps_from_the_security_review(
    new_context: NewContext, alice: User, acme: Organization
) -> None:
    # Someone who knows alice's password added an authenticator app of their own, and is
    # signed in with it in another browser.
    phone, _codes = turn_on_two_factor(alice, name="Phone")
    unknown = add_authenticator(alice, name="Unknown phone")
    intruder = new_context().new_page()
    security_services.do_set_preferred_method(alice, unknown, actor=alice)
    sign_in_with_authenticator(intruder, alice, unknown)
    security_services.do_set_preferred_method(alice, phone, actor=alice)
    for name in ("Intruder mail", "Old laptop"):
        app_passwords.do_create_app_password(alice, name=name, services=["mail"], actor=alice)
    token_services.do_create_token(
        alice, organization=acme, name="Deploy", scope="newsletter", expires_at=None, actor=alice
    )
    page = new_context().new_page()
    sign_in_with_authenticator(page, alice, phone)

    page.goto("/security/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security review")
    assert_accessible(page, "security review")
    page.get_by_role("link", name="Password compromised?").click()

    # Step 1, first with a wrong current password.
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    assert_accessible(page, "step 1")
    page.get_by_label(label("Current password")).fill("not my password")
    page.get_by_label(label("New password")).fill(NEW_PASSWORD)
    page.get_by_label(label("Confirm the new password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This is not your current password.")
    expect(alert).to_be_focused()
    assert_accessible(page, "step 1 with an error")
    page.get_by_label(label("Current password")).fill(PASSWORD)
    page.get_by_label(label("New password")).fill(NEW_PASSWORD)
    page.get_by_label(label("Confirm the new password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()

    # Step 2.
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke what you do not recognise")
    expect(page.get_by_role("status")).to_have_text(
        "Your password is changed. 1 other session was signed out."
    )
    expect(page.get_by_text("Step 2 of 3")).to_be_visible()
    expect(page.get_by_text("You are signed in only here.")).to_be_visible()
    assert_accessible(page, "step 2")
    methods = page.get_by_role("region", name="Two-factor methods")
    expect(methods.get_by_role("row").filter(has_text="Unknown phone")).to_contain_text(
        "ago — if this wasn't you, remove it."
    )
    methods.get_by_role("link", name="Remove Unknown phone (Authenticator app)").click()

    # The 2FA page's own confirmation, on its way back to step 2.
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Unknown phone")
    assert_accessible(page, "step 2, removing a method")
    page.get_by_role("button", name="Remove this method").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke what you do not recognise")
    expect(page.get_by_role("status")).to_have_text("The method is removed.")
    expect(methods.get_by_role("row").filter(has_text="Unknown phone")).to_have_count(0)
    page.get_by_role("link", name="Revoke all (Application passwords)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke all: Application passwords")
    expect(
        page.get_by_text("2 application passwords will stop working at once", exact=False)
    ).to_be_visible()
    assert_accessible(page, "revoke all, confirmation")
    page.get_by_role("button", name="Revoke all").click()

    expect(page.get_by_role("status")).to_have_text("Revoked: 2 application passwords.")
    expect(page.get_by_text("You have no application password.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Deploy")).to_be_visible()  # kept
    page.get_by_role("link", name="Continue").click()

    # Step 3.
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your security")
    expect(page.get_by_text("Step 3 of 3")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Two-factor authentication")).to_contain_text(
        "On, with 1 method."
    )
    assert_accessible(page, "step 3")
    page.get_by_role("button", name="Finish").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Security review")
    expect(page.get_by_role("status")).to_have_text(
        "All done. We sent you an email with a summary of what changed."
    )
    assert path_of(page) == "/security/"

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert list(TOTPDevice.objects.filter(user=alice)) == [phone]
    assert not TOTPDevice.objects.filter(pk=unknown.pk).exists()
    assert not ApplicationPassword.objects.filter(user=alice, revoked_at=None).exists()
    summary = Notification.objects.get(kind="compromised_summary")
    assert "Intruder mail" in summary.body_text
    assert "Unknown phone" in summary.body_text
    intruder.reload()
    assert path_of(intruder) == "/accounts/login/"


def test_review_page_with_unused_credentials_is_accessible(
    page: Page, alice: User, acme: Organization
) -> None:
    app_passwords.do_create_app_password(alice, name="Old laptop", services=["mail"], actor=alice)
    ApplicationPassword.objects.update(created_at="2020-01-01T00:00:00Z")
    sign_in(page, alice)
    page.goto("/security/")
    expect(page.get_by_role("row").filter(has_text="Application passwords")).to_contain_text(
        "Old laptop"
    )
    assert_accessible(page, "security review with unused credentials")
