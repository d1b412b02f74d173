"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Where /usr/bin/chromium is missing the tests are skipped with the reason, except in CI
(the environment variable CI is set), where a missing browser is a failure: CI installs it.
No browser is ever downloaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread, so Django's "async unsafe" guard would
# refuse every ORM call the tests make between browser steps. The tests are sequential: allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from accounts.models import User
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
