"""Two-factor authentication in a real browser: turn on an authenticator app with a code computed
by pyotp (not by the portal), sign in with it, sign in with an emergency code (once), remove the
last method, and an organization that requires two-factor authentication."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from core.models import Notification
from organizations.models import Organization
from organizations.services import do_create_organization
from security.methods import emergency_device, methods_for
from security.models import EmergencyCodesDevice, TOTPDevice
from security.services import do_set_organization_requirement
from tests.browser.conftest import (
    TOTP_STEP,
    add_authenticator,
    confirm_password_if_asked,
    enter_second_step_code,
    label,
    open_account_menu,
    path_of,
    sign_in,
    sign_in_with_authenticator,
    sign_out,
    turn_on_two_factor,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

ORG_NAME = "Rossi Consulting"
# Long after the "confirm your password" window (10 minutes), well inside the idle timeout.
LATER = timedelta(minutes=15)
CODE_REFUSED = "This code is not right, or it was already used."


@pytest.fixture
def giulia(db: None) -> User:
    return UserFactory.create(email="giulia@example.com", first_name="Giulia", last_name="Rossi")


@pytest.fixture
def rossi(giulia: User) -> Organization:
    """Giulia's organization, created as sign-up does: she is its legal representative."""
    return do_create_organization(ORG_NAME, creator=giulia)


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def start_of_next_step(device: TOTPDevice) -> float:
    """The moment a new code appears after the last one the server accepted (a code works once)."""
    device.refresh_from_db(fields=["last_t"])
    assert device.last_t >= 0, "no code was accepted yet"
    return max((device.last_t + 1) * TOTP_STEP + 0.5, time.time())


def use_emergency_code(page: Page, code: str) -> None:
    """On the second step: "Try another way", "Use an emergency code", type it, continue."""
    page.get_by_text("Try another way").click()
    page.get_by_role("link", name="Use an emergency code").click()
    expect(page.get_by_text("Enter one of your emergency codes.")).to_be_visible()
    enter_second_step_code(page, code, field="Emergency code")


# --- 1. Turn on an authenticator app, sign in with it -------------------------------------------


def test_turn_on_authenticator_app_then_sign_in_with_a_fresh_code(
    page: Page, giulia: User, rossi: Organization
) -> None:
    sign_in(page, giulia)
    assert path_of(page) == f"/orgs/{rossi.slug}/"

    open_account_menu(page).get_by_role("link", name="Two-factor authentication").click()
    expect(heading(page)).to_have_text("Two-factor authentication")
    expect(
        page.get_by_role("status").filter(has_text="Two-factor authentication is off.")
    ).to_be_visible()

    page.get_by_role("link", name="Add an authenticator app").click()
    confirm_password_if_asked(page)
    expect(heading(page)).to_have_text("Add an authenticator app")
    page.get_by_label(label("Name")).fill("Work phone")
    page.get_by_role("button", name="Continue").click()

    expect(heading(page)).to_have_text("Scan the QR code")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key_field = page.get_by_label(label("Key"))
    expect(key_field).not_to_be_editable()
    secret = key_field.input_value().replace(" ", "")
    # Not a method before a code from the app confirms it.
    assert methods_for(giulia) == []
    enrolment_code = pyotp.TOTP(secret).now()
    page.get_by_label(label("Code")).fill(enrolment_code)
    page.get_by_role("button", name="Turn on").click()

    expect(heading(page)).to_have_text("Your emergency codes")
    expect(
        page.get_by_role("status").filter(has_text="Your authenticator app is ready.")
    ).to_be_visible()
    codes = page.get_by_role("main").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10, codes
    assert len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes), codes
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a text file").click()
    saved = Path(download.value.path()).read_text()
    assert all(code in saved for code in codes), saved
    page.get_by_role("button", name="I have saved my codes").click()

    expect(heading(page)).to_have_text("Two-factor authentication")
    expect(
        page.get_by_role("status").filter(
            has_text="Two-factor authentication is on, with 1 method."
        )
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Work phone")).to_contain_text(
        "Authenticator app"
    )
    expect(page.get_by_text("10 unused codes left.")).to_be_visible()
    device = TOTPDevice.objects.get(user=giulia, confirmed=True)
    assert device.name == "Work phone"
    assert secret not in device.sealed_key
    codes_device = emergency_device(giulia)
    assert codes_device is not None
    assert codes_device.remaining == 10
    stored = list(codes_device.codes.values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    # The codes are shown once.
    page.goto("/security/two-factor/emergency-codes/")
    expect(page.get_by_role("status")).to_contain_text("were shown once")
    expect(page.locator("#emergency-codes")).to_have_count(0)

    sign_out(page)
    sign_in(page, giulia)

    assert path_of(page) == "/security/verify/"
    expect(heading(page)).to_have_text("Two-factor authentication")
    expect(
        page.get_by_text("Enter the 6-digit code shown by your authenticator app (Work phone).")
    ).to_be_visible()
    expect(page.get_by_role("banner").get_by_text(giulia.email)).to_have_count(0)
    with time_machine.travel(start_of_next_step(device), tick=True) as traveller:
        # The code that turned the app on is still within the drift tolerance, but it was used.
        enter_second_step_code(page, enrolment_code)
        expect(page.get_by_role("alert")).to_contain_text(CODE_REFUSED)
        assert path_of(page) == "/security/verify/"
        traveller.shift(3)  # past django-otp's delay after a wrong code
        enter_second_step_code(page, pyotp.TOTP(secret).now())
        page.wait_for_url(lambda url: "/security/verify/" not in url)

    assert path_of(page) == f"/orgs/{rossi.slug}/"
    expect(heading(page)).to_have_text(ORG_NAME)
    expect(page.get_by_role("banner")).to_contain_text(giulia.email)
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_turn_on_with_a_wrong_code_keeps_two_factor_off(
    page: Page, giulia: User, rossi: Organization
) -> None:
    sign_in(page, giulia)
    page.goto("/security/two-factor/authenticator/")
    confirm_password_if_asked(page)
    page.get_by_role("button", name="Continue").click()
    secret = page.get_by_label(label("Key")).input_value().replace(" ", "")
    code = pyotp.TOTP(secret).now()
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"

    page.get_by_label(label("Code")).fill(wrong)
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("alert")).to_contain_text("This code is not right")
    expect(heading(page)).to_have_text("Scan the QR code")
    assert methods_for(giulia) == []
    assert emergency_device(giulia) is None
    page.goto("/security/two-factor/")
    expect(
        page.get_by_role("status").filter(has_text="Two-factor authentication is off.")
    ).to_be_visible()


# --- 2. Emergency codes -------------------------------------------------------------------------


def test_sign_in_with_an_emergency_code_works_once(
    page: Page, giulia: User, rossi: Organization
) -> None:
    _device, codes = turn_on_two_factor(giulia)
    sign_in(page, giulia)

    use_emergency_code(page, codes[0])

    page.wait_for_url(lambda url: "/security/verify/" not in url)
    assert path_of(page) == f"/orgs/{rossi.slug}/"
    expect(page.get_by_role("banner")).to_contain_text(giulia.email)
    codes_device = emergency_device(giulia)
    assert codes_device is not None
    assert codes_device.remaining == 9
    told = Notification.objects.get(kind="emergency_code_used", to=giulia.email)
    assert "9" in told.body_text
    open_account_menu(page).get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_text("9 unused codes left.")).to_be_visible()

    sign_out(page)
    sign_in(page, giulia)
    use_emergency_code(page, codes[0])

    expect(page.get_by_role("alert")).to_contain_text(CODE_REFUSED)
    assert path_of(page) == "/security/verify/"
    expect(page.get_by_role("banner").get_by_text(giulia.email)).to_have_count(0)
    assert codes_device.remaining == 9
    assert Notification.objects.filter(kind="emergency_code_used").count() == 1

    # Refused was the used code, not every code: another one, typed from paper, still works.
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        enter_second_step_code(page, codes[1].upper().replace("-", " "), field="Emergency code")
        page.wait_for_url(lambda url: "/security/verify/" not in url)
    assert path_of(page) == f"/orgs/{rossi.slug}/"
    assert codes_device.remaining == 8


# --- 3. Remove a method -------------------------------------------------------------------------


def test_remove_last_method_warns_before_and_recommends_protection_after(
    page: Page, giulia: User, rossi: Organization
) -> None:
    device, _codes = turn_on_two_factor(giulia, name="Phone")
    sign_in_with_authenticator(page, giulia)

    with time_machine.travel(timezone.now() + LATER, tick=True):
        open_account_menu(page).get_by_role("link", name="Two-factor authentication").click()
        page.get_by_role("link", name="Remove Phone").click()
        expect(heading(page)).to_have_text("Confirm your password")
        assert confirm_password_if_asked(page)

        expect(heading(page)).to_have_text("Remove Phone")
        expect(page.get_by_role("alert")).to_contain_text(
            "This is your last method: two-factor authentication will be turned off"
        )
        assert TOTPDevice.objects.filter(pk=device.pk).exists()
        page.get_by_role("button", name="Remove this method").click()

        expect(heading(page)).to_have_text("Two-factor authentication")
        expect(page.get_by_role("alert")).to_contain_text(
            "Two-factor authentication is now off. We strongly recommend protecting your "
            "account again with a new method."
        )
        expect(
            page.get_by_role("status").filter(has_text="Two-factor authentication is off.")
        ).to_be_visible()
        expect(page.get_by_role("row").filter(has_text="Phone")).to_have_count(0)

    assert methods_for(giulia) == []
    assert not EmergencyCodesDevice.objects.filter(user=giulia).exists()
    assert Notification.objects.filter(kind="two_factor_disabled", to=giulia.email).exists()
    # The password alone signs in now.
    sign_out(page)
    sign_in(page, giulia)
    assert path_of(page) == f"/orgs/{rossi.slug}/"


def test_remove_one_of_two_methods_keeps_two_factor_on_without_warning(
    page: Page, giulia: User, rossi: Organization
) -> None:
    turn_on_two_factor(giulia, name="Phone")
    tablet = add_authenticator(giulia, name="Tablet")
    sign_in_with_authenticator(page, giulia)
    page.goto("/security/two-factor/")

    remove = page.get_by_role("link", name="Remove Tablet")
    # Issue 13, defect 8: a red bin button, and a URL that names no internal model.
    expect(remove).to_have_class(re.compile(r"\bbutton--danger\b"))
    expect(remove.locator("svg.icon")).to_have_count(1)
    assert remove.get_attribute("href") == f"/security/two-factor/app-{tablet.pk}/remove/"
    remove.click()
    confirm_password_if_asked(page)

    expect(heading(page)).to_have_text("Remove Tablet")
    expect(page.get_by_text("two-factor authentication will be turned off")).to_have_count(0)
    # The confirm page says what remains.
    expect(page.get_by_role("main").get_by_role("listitem")).to_have_text(
        ["Phone (Authenticator app)"]
    )
    page.get_by_role("button", name="Remove this method").click()

    expect(page.get_by_role("status").filter(has_text="The method is removed.")).to_be_visible()
    expect(
        page.get_by_role("status").filter(
            has_text="Two-factor authentication is on, with 1 method."
        )
    ).to_be_visible()
    assert not TOTPDevice.objects.filter(pk=tablet.pk).exists()
    assert [d.name for d in methods_for(giulia)] == ["Phone"]
    codes_device = emergency_device(giulia)
    assert codes_device is not None
    assert codes_device.remaining == 10


def test_remove_last_method_when_organization_requires_two_factor_is_refused_with_the_reason(
    page: Page, giulia: User, rossi: Organization
) -> None:
    device, _codes = turn_on_two_factor(giulia, name="Phone")
    do_set_organization_requirement(rossi, True, actor=giulia)
    sign_in_with_authenticator(page, giulia)
    page.goto("/security/two-factor/")

    page.get_by_role("link", name="Remove Phone").click()
    confirm_password_if_asked(page)

    expect(page.get_by_role("alert")).to_contain_text(
        f"{ORG_NAME} requires two-factor authentication, so you cannot remove your last method."
    )
    expect(page.get_by_role("button", name="Remove this method")).to_have_count(0)
    expect(
        page.get_by_role("main").get_by_role("link", name="Add an authenticator app")
    ).to_be_visible()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


# --- 4. An organization that requires two-factor authentication -----------------------------------


def test_member_without_two_factor_is_sent_to_set_it_up_then_gets_in(
    page: Page, acme: Organization, alice: User, erin: User
) -> None:
    do_set_organization_requirement(acme, True, actor=alice)
    sign_in(page, erin)

    page.goto(f"/orgs/{acme.slug}/")

    assert path_of(page) == "/security/two-factor/"
    expect(page.get_by_role("alert")).to_contain_text(
        f"{acme.name} requires two-factor authentication. Set it up to continue"
    )
    expect(page.get_by_text(f"Required by: {acme.name}.")).to_be_visible()
    page.goto(f"/orgs/{acme.slug}/members/")
    assert path_of(page) == "/security/two-factor/"

    page.get_by_role("link", name="Add an authenticator app").click()
    confirm_password_if_asked(page)
    page.get_by_role("button", name="Continue").click()
    secret = page.get_by_label(label("Key")).input_value().replace(" ", "")
    page.get_by_label(label("Code")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("button", name="I have saved my codes").click()

    page.goto(f"/orgs/{acme.slug}/")
    assert path_of(page) == f"/orgs/{acme.slug}/"
    expect(heading(page)).to_have_text(acme.name)


def test_the_second_step_offers_to_cancel_the_sign_in(page: Page, alice: User) -> None:
    """Issue 13, defect 7: during the second step the top bar offered "Sign in" and "Create an
    account", and nothing ended the half-finished sign-in."""
    turn_on_two_factor(alice)
    sign_in(page, alice)
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="Create an account")).to_have_count(0)

    banner.get_by_role("button", name="Cancel sign-in").click()

    assert path_of(page) == "/accounts/login/"
    expect(page.get_by_role("status").filter(has_text="Sign-in cancelled.")).to_be_visible()
    page.goto("/security/verify/")
    assert path_of(page) == "/accounts/login/"  # the half-finished sign-in is gone
