"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Where /usr/bin/chromium is missing the tests are skipped with the reason, except in CI
(the environment variable CI is set), where a missing browser is a failure: CI installs it.
No browser is ever downloaded.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread, so Django's "async unsafe" guard would
# refuse every ORM call the tests make between browser steps. The tests are sequential: allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pyotp
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no py.typed
from django.utils import translation
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from accounts.models import User
from security import services as security_services
from security.methods import preferred_method
from security.models import TOTPDevice
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    """Skip without a browser, but never in CI: there a missing Chromium is a broken set-up."""
    if CHROMIUM.exists():
        return
    reason = (
        f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium); "
        "browser tests never download a browser of their own."
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so browser tests must run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _email_links_to_live_server(settings: Any, live_server: Any) -> None:
    """Links in emails point at the live server, so a test can open them as a person would."""
    settings.PORTAL_BASE_URL = live_server.url


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[NewContext]:
    """Open a fresh browser profile (its own cookies) on the live server; closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: NewContext) -> Page:
    return new_context().new_page()


def label(text: str) -> re.Pattern[str]:
    """A field's accessible name, whether or not the label ends with a colon."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def sign_in(page: Page, user: User | str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    email = user if isinstance(user, str) else user.email
    page.goto("/accounts/login/")
    page.get_by_label(label("Email address")).fill(email)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def confirm_password_if_asked(page: Page, password: str = PASSWORD) -> bool:
    """Go through the "Confirm your password" page when a sensitive page asks for it."""
    if page.get_by_role("heading", level=1, name="Confirm your password").count() == 0:
        return False
    page.get_by_label(label("Password")).fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(lambda url: "/accounts/confirm-password/" not in url)
    return True


def path_of(page: Page) -> str:
    """The path of the page the browser shows (no host, no query)."""
    match = re.match(r"https?://[^/]+(/[^?#]*)", page.url)
    assert match, page.url
    return match.group(1)


# --- Two-factor authentication ------------------------------------------------------------------

TOTP_STEP = 30  # seconds, as in security.models.totp


def totp_secret(device: TOTPDevice) -> str:
    """The device's key in base32, as the confirmation page shows it and an app stores it."""
    return base64.b32encode(device.bin_key).decode()


def fresh_authenticator_code(device: TOTPDevice, secret: str | None = None) -> str:
    """A code computed by pyotp (an RFC 6238 implementation independent of the portal's) that the
    server has not accepted yet.

    That is the current 30-second step's code, or, when that one was used already (a code works
    once), the next step's, which the server takes within its drift tolerance of one step. When
    even the next step was used, wait for time to catch up.
    """
    totp = pyotp.TOTP(secret or totp_secret(device))
    while True:
        device.refresh_from_db(fields=["last_t"])
        now = time.time()
        step = int(now // TOTP_STEP)
        if device.last_t < step:
            return totp.at(now)
        if device.last_t == step:
            return totp.at(now + TOTP_STEP)
        time.sleep((step + 1) * TOTP_STEP - now + 0.1)


def turn_on_two_factor(user: User, *, name: str = "Phone") -> tuple[TOTPDevice, list[str]]:
    """Give `user` an authenticator app confirmed with a pyotp code, through the services, as the
    pages do. Returns the app and the ten emergency codes (in clear, as shown once)."""
    device = security_services.do_start_totp(user, name=name)
    codes = security_services.do_confirm_method(
        device, fresh_authenticator_code(device), actor=user, keep_session_key=None
    )
    assert codes is not None, f"{user} had two-factor authentication already"
    return device, codes


def add_authenticator(user: User, *, name: str) -> TOTPDevice:
    """Another confirmed authenticator app for a user who has two-factor authentication."""
    device = security_services.do_start_totp(user, name=name)
    security_services.do_confirm_method(
        device, fresh_authenticator_code(device), actor=user, keep_session_key=None
    )
    return device


def enter_second_step_code(page: Page, code: str, *, field: str = "Code") -> None:
    """Type a code on the second step of signing in (/security/verify/) and continue. The step
    speaks the person's language (issue 14), so the field and the button are looked up in the
    language the page declares."""
    with translation.override(page.locator("html").get_attribute("lang") or "en"):
        field, button = translation.gettext(field), translation.gettext("Continue")
    page.get_by_label(label(field)).fill(code)
    page.get_by_role("button", name=button, exact=True).click()


def sign_in_with_authenticator(page: Page, user: User, device: TOTPDevice | None = None) -> None:
    """Sign in with the password, then with a fresh code of the method the second step offers
    (the preferred one unless `device` is given)."""
    sign_in(page, user)
    assert path_of(page) == "/security/verify/", page.url
    device = device or preferred_method(user)  # type: ignore[assignment]
    assert isinstance(device, TOTPDevice), device
    enter_second_step_code(page, fresh_authenticator_code(device))
    page.wait_for_url(lambda url: "/security/verify/" not in url)


def open_account_menu(page: Page) -> Locator:
    """Open the account menu of the top bar; returns the top bar to find the menu's entries in."""
    banner = page.get_by_role("banner")
    banner.locator("summary", has_text="Account menu of").click()
    return banner


def sign_out(page: Page) -> None:
    open_account_menu(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()


# --- Accessibility ------------------------------------------------------------------------------

BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page: Page) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """axe-core's violations on the page: (serious or critical, the lesser ones)."""
    violations = Axe().run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    return blocking, [v for v in violations if v not in blocking]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '')!r}")
    return "\n".join(lines)


def assert_accessible(page: Page, name: str, *, organization: str | None = None) -> None:
    """No serious or critical axe violation and the whole frame of UI.md; lesser axe problems
    are printed, not failed."""
    blocking, lesser = axe_violations(page)
    frame = frame_problems(page, organization=organization)
    if lesser:
        print(f"{name}: axe found lesser problems (not failing):\n{describe_violations(lesser)}")
    assert not blocking, f"{name} ({page.url}), axe:\n{describe_violations(blocking)}"
    assert not frame, f"{name} ({page.url}): " + "; ".join(frame)


def frame_problems(page: Page, *, organization: str | None = None) -> list[str]:
    """What is missing from the frame UI.md promises on every page: one <h1>, one <main>, a
    <title> (naming the organization on its pages), a working skip link, <html lang="en">."""
    problems = []
    for selector in ("h1", "main"):
        if (n := page.locator(selector).count()) != 1:
            problems.append(f"{n} <{selector}> elements instead of one")
    title = page.title().strip()
    if not title:
        problems.append("no <title>")
    elif organization and organization not in title:
        problems.append(f"the title {title!r} does not name the organization")
    skip = page.get_by_role("link", name="Skip to content")
    if skip.count() != 1:
        problems.append("no 'Skip to content' link")
    else:
        target = skip.get_attribute("href") or ""
        if not target.startswith("#") or page.locator(target).count() != 1:
            problems.append(f"the skip link points to {target!r}, which is not on the page")
    if page.locator("html").get_attribute("lang") != "en":
        problems.append("<html lang> is not 'en'")
    return problems
