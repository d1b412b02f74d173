"""kAuth in a real browser, with the REAL reference device: the `portal kauth` command runs as a
subprocess and talks HTTP to the live server, as the phone app would.

A person adds kAuth through the pages (QR code and link), the device enrols with the link and
shows its temporary code, the person types it and saves the emergency codes; signing in again, the
page shows a number, the device approves with that number and the page moves on by itself (htmx
polling). Denying, or picking another number, is shown on the page the same way.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from security import kauth, services
from security.methods import has_two_factor
from security.models import KAuthChallenge, KAuthDevice
from tests.browser.conftest import (
    add_authenticator,
    confirm_password_if_asked,
    label,
    path_of,
    sign_in,
)

pytestmark = pytest.mark.browser

DASHBOARD = "/orgs/acme/"
# htmx asks every 2 seconds; give the page a few rounds to notice.
POLL_TIMEOUT_MS = 15_000


def device_command(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`portal kauth <args> --state <state>`: the reference device's command line, in its own
    process."""
    portal = Path(sys.executable).parent / "portal"
    command = [str(portal)] if portal.exists() else ["uv", "run", "portal"]
    return subprocess.run(
        [*command, "kauth", *args, "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_device(state: Path, *args: str) -> str:
    """What the device printed; fails the test with its error output when it failed."""
    done = device_command(state, *args)
    assert done.returncode == 0, f"portal kauth {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture
def device_state(tmp_path: Path) -> Path:
    return tmp_path / "kauth-device.json"


def sign_out(page: Page) -> None:
    banner = page.get_by_role("banner")
    banner.locator("summary", has_text="Account menu of").click()
    banner.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()


def with_kauth_through_the_device(user: User, state: Path) -> KAuthDevice:
    """`user` has kAuth: the reference device enrolled with a fresh link (as the QR code carries)
    and the code it printed confirmed the device, as the confirmation page does."""
    _enrollment, code = kauth.do_start_enrollment(user, name="Pixel")
    run_device(state, "enroll", kauth.enrollment_link(code))
    device = KAuthDevice.objects.get(user=user)
    services.do_confirm_method(device, run_device(state, "code"), actor=user, keep_session_key=None)
    return device


def number_on_the_page(page: Page) -> int:
    expect(
        page.get_by_text("Approve the sign-in on your kAuth app by typing this number there:")
    ).to_be_visible()
    shown = page.locator(".match-number")
    expect(shown).to_have_text(re.compile(r"^\s*\d{2}\s*$"))
    return int(shown.inner_text())


def test_add_kauth_with_the_device_then_sign_in_by_approving_the_number(
    page: Page, alice: User, device_state: Path, live_server: object
) -> None:
    sign_in(page, alice)
    page.goto("/security/two-factor/")
    page.get_by_role("link", name="Add the kAuth app").click()
    confirm_password_if_asked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add the kAuth app")
    page.get_by_label(label("Name")).fill("Alice's Pixel")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Connect kAuth")
    expect(page.get_by_role("img", name="QR code to connect kAuth").locator("svg")).to_be_visible()
    link = page.locator("#kauth-link").input_value()
    assert link.startswith(f"{live_server.url}/security/kauth/enroll/")  # type: ignore[attr-defined]
    enrolled = run_device(device_state, "enroll", link)
    assert enrolled.startswith("Enrolled alice@example.com.")
    assert not has_two_factor(alice)  # registered, not yet confirmed in the browser
    page.get_by_label(label("Code")).fill(run_device(device_state, "code"))
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")
    expect(page.locator("#emergency-codes li")).to_have_count(10)
    page.get_by_role("button", name="I have saved my codes").click()
    assert path_of(page) == "/security/two-factor/"
    expect(page.get_by_text("Two-factor authentication is on, with 1 method.")).to_be_visible()
    method_row = page.get_by_role("row").filter(has_text="Alice's Pixel")
    expect(method_row).to_have_count(1)
    expect(method_row).to_contain_text("kAuth app")
    assert has_two_factor(alice)

    sign_out(page)
    sign_in(page, alice)
    assert path_of(page) == "/security/verify/"
    number = number_on_the_page(page)
    pending = run_device(device_state, "pending")
    assert "from 127.0.0.1" in pending
    assert "numbers" not in pending  # nothing to pick from: the number is typed

    assert run_device(device_state, "approve", str(number)) == "approved"

    page.wait_for_url(f"**{DASHBOARD}", timeout=POLL_TIMEOUT_MS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme SA")
    expect(page.get_by_role("banner")).to_contain_text(alice.email)
    assert KAuthChallenge.objects.get().status == KAuthChallenge.Status.USED
    # The session passed the second factor: the security pages open without another step.
    page.goto("/security/two-factor/")
    assert path_of(page) == "/security/two-factor/"


def test_sign_in_denied_on_the_device_says_so_on_the_page(
    page: Page, alice: User, device_state: Path
) -> None:
    with_kauth_through_the_device(alice, device_state)
    sign_in(page, alice)
    number_on_the_page(page)

    assert run_device(device_state, "deny") == "denied"

    expect(page.get_by_role("alert")).to_have_text(
        "The request was denied on your phone.", timeout=POLL_TIMEOUT_MS
    )
    assert path_of(page) == "/security/verify/"
    expect(page.locator(".match-number")).to_have_count(0)
    page.goto("/accounts/profile/")
    assert path_of(page) == "/accounts/login/"


def test_sign_in_approved_with_another_number_says_so_on_the_page(
    page: Page, alice: User, device_state: Path
) -> None:
    with_kauth_through_the_device(alice, device_state)
    sign_in(page, alice)
    number = number_on_the_page(page)
    other = 10 + (number - 10 + 1) % 90  # a slip of the finger: another two-digit number

    assert run_device(device_state, "approve", str(other)) == "failed"

    expect(page.get_by_role("alert")).to_have_text(
        "A different number was typed on the phone. Send a new request.",
        timeout=POLL_TIMEOUT_MS,
    )
    assert path_of(page) == "/security/verify/"
    # A new request shows a new number, which the device then approves.
    page.get_by_role("button", name="Send a new request").click()
    number = number_on_the_page(page)
    assert run_device(device_state, "approve", str(number)) == "approved"
    page.wait_for_url(f"**{DASHBOARD}", timeout=POLL_TIMEOUT_MS)


def test_remove_kauth_in_the_pages_and_the_device_says_the_account_was_removed(
    page: Page, alice: User, device_state: Path
) -> None:
    with_kauth_through_the_device(alice, device_state)
    sign_in(page, alice)
    assert run_device(device_state, "approve", str(number_on_the_page(page))) == "approved"
    page.wait_for_url(f"**{DASHBOARD}", timeout=POLL_TIMEOUT_MS)
    page.goto("/security/two-factor/")
    page.get_by_role("link", name="Remove Pixel").click()
    confirm_password_if_asked(page)
    expect(page.get_by_role("alert")).to_contain_text(
        "two-factor authentication will be turned off"
    )
    page.get_by_role("button", name="Remove this method").click()
    expect(page.get_by_text("Two-factor authentication is now off.")).to_be_visible()

    seen = device_command(device_state, "pending")

    assert seen.returncode == 1
    assert "The account alice@example.com was removed from this kAuth app." in seen.stderr
    assert not KAuthDevice.objects.filter(user=alice).exists()


def test_moving_kauth_to_a_new_phone_keeps_it_the_preferred_method(
    page: Page, alice: User, tmp_path: Path
) -> None:
    """Issue 13, defect 6: after the move, the authenticator app had silently become preferred."""
    old_phone, new_phone = tmp_path / "old-phone.json", tmp_path / "new-phone.json"
    with_kauth_through_the_device(alice, old_phone)
    add_authenticator(alice, name="Backup app")  # a second method that could take over
    services.do_set_preferred_method(alice, KAuthDevice.objects.get(user=alice), actor=alice)
    sign_in(page, alice)
    assert run_device(old_phone, "approve", str(number_on_the_page(page))) == "approved"
    page.wait_for_url(f"**{DASHBOARD}", timeout=POLL_TIMEOUT_MS)

    page.goto("/security/two-factor/")
    page.get_by_role("link", name="Move to a new phone Pixel").click()
    confirm_password_if_asked(page)
    page.get_by_role("button", name="Send the request to the old phone").click()
    number = page.locator(".match-number").inner_text()
    assert run_device(old_phone, "approve", number) == "approved"
    page.get_by_role("button", name="I approved it: connect the new phone").click()
    run_device(new_phone, "enroll", page.locator("#kauth-link").input_value())
    page.get_by_label(label("Code")).fill(run_device(new_phone, "code"))
    page.get_by_role("button", name="Turn on").click()

    page.goto("/security/two-factor/")
    kauth_row = page.get_by_role("row").filter(has_text="kAuth app")
    expect(kauth_row).to_have_count(1)
    expect(kauth_row).to_contain_text("Preferred")
    expect(page.get_by_role("row").filter(has_text="Backup app")).not_to_contain_text("Preferred")
