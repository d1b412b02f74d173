"""Every page of the demo, as each demo role, on a 390 px phone and on a desktop (issue 13, "Done
when"): nothing scrolls sideways and axe finds nothing serious.

The pages are not listed by hand: the test signs in as each person of the demo and follows every
link the pages show (breadth first, GET only, as a person clicking around), so a page added
tomorrow is visited as soon as something links to it. Django's admin (support) is crawled too,
one change form per list, since its object and filter links are endless variations of a few
pages.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from accounts.models import User
from portal import demo
from security.models import TOTPDevice
from tests.browser.conftest import (
    NewContext,
    axe_violations,
    describe_violations,
    enter_second_step_code,
    fresh_authenticator_code,
    path_of,
    sign_in,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Where each person starts; the crawl takes it from there.
START = {
    "alice": ["/orgs/", "/accounts/profile/", "/security/two-factor/"],
    "bob": ["/orgs/", "/accounts/profile/"],
    "carol": ["/orgs/", "/partners/offers/"],
    "dave": ["/orgs/"],
    "support": ["/admin/"],
}
# Bounds of one role's crawl: a page may link to many variants of itself (sorting, filters,
# pages of a list), which add nothing once one of them was seen.
MAX_PAGES = 90
MAX_VARIANTS_PER_PATH = 2
# Not pages: files, machine endpoints, and links that only make sense once (sign-in steps).
NOT_PAGES = re.compile(
    r"^/(static|media)/|^/api/(?!docs/$)|/download/|\.(pdf|csv|json|ya?ml|txt|ics|png|svg)$"
    r"|^/security/verify/|^/admin/(logout|password_change|jsi18n)/|/history/$"
)
# Pages only support reaches whose object links multiply: one object per list is enough.
ADMIN_OBJECT = re.compile(r"^/admin/[^/]+/[^/]+/[^/]+/")


@dataclass
class Crawl:
    seen_paths: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    admin_lists_with_an_object: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def wants(self, url: str) -> bool:
        parts = urlsplit(url)
        path = parts.path
        if NOT_PAGES.search(path):
            return False
        if path.startswith("/admin/"):
            if parts.query:
                return False  # sorting and filtering the same list
            if ADMIN_OBJECT.match(path):
                model_list = "/".join(path.split("/")[:4])
                if model_list in self.admin_lists_with_an_object:
                    return False
                self.admin_lists_with_an_object.add(model_list)
        key = path + ("?" + parts.query if parts.query else "")
        if key in self.seen or self.seen_paths.get(path, 0) >= MAX_VARIANTS_PER_PATH:
            return False
        self.seen.add(key)
        self.seen_paths[path] = self.seen_paths.get(path, 0) + 1
        return True


def sideways_overflow(page: Page) -> list[str]:
    """The page, or a table's scrolling box, wider than the screen shows."""
    boxes: list[str] = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
            .filter(el => el.scrollWidth - el.clientWidth > 1)
            .map(el => (el === document.documentElement ? 'the page' : el.className) + ' by '
                 + (el.scrollWidth - el.clientWidth) + 'px')"""
    )
    return boxes


def links_on(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('a[href]')]
            .filter(a => !a.hasAttribute('download'))
            .map(a => a.href.split('#')[0])"""
    )
    return [href.removeprefix(origin) for href in hrefs if href.startswith(origin + "/")]


def sign_in_as(page: Page, user: User) -> None:
    """The demo's password, then (alice, support) a code of the demo authenticator: alice's
    usual method is kAuth, so she picks the authenticator app, as a person without the phone."""
    sign_in(page, user, demo_password())
    if path_of(page) != "/security/verify/":
        return
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.goto(f"/security/verify/?method={quote(device.persistent_id)}")
    enter_second_step_code(page, fresh_authenticator_code(device, demo.DEMO_TOTP_KEY))
    page.wait_for_url(lambda url: "/security/verify/" not in url)


def demo_password() -> str:
    from django.conf import settings

    return str(settings.DEMO_PASSWORD)


def crawl(page: Page, origin: str, start: list[str]) -> Crawl:
    state = Crawl()
    queue = deque(url for url in start if state.wants(url))
    while queue and len(state.visited) < MAX_PAGES:
        url = queue.popleft()
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        state.visited.append(url)
        if overflow := sideways_overflow(page):
            state.problems.append(f"{url} scrolls sideways: {', '.join(overflow)}")
        blocking, _lesser = axe_violations(page)
        if blocking:
            state.problems.append(f"{url}, axe:\n{describe_violations(blocking)}")
        queue.extend(link for link in links_on(page, origin) if state.wants(link))
    return state


@pytest.fixture
def demo_cast(settings: Any, tmp_path: Any) -> dict[str, User]:
    settings.DATA_DIR = tmp_path
    demo.seed()
    return {email.split("@")[0]: User.objects.get(email=email) for email, *_ in demo.DEMO_LOGINS}


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("who", list(START))
def test_every_page_a_demo_person_reaches_fits_the_screen_and_passes_axe(
    new_context: NewContext,
    live_server: Any,
    demo_cast: dict[str, User],
    who: str,
    screen: dict[str, int],
) -> None:
    page = new_context(viewport=screen).new_page()
    sign_in_as(page, demo_cast[who])

    result = crawl(page, live_server.url, START[who])

    assert len(result.visited) >= 5, f"{who} reached only {result.visited}"
    assert not result.problems, f"{who}, {len(result.visited)} pages:\n" + "\n".join(
        result.problems
    )


def test_the_crawl_reports_a_page_wider_than_the_phone(
    new_context: NewContext, live_server: Any, demo_cast: dict[str, User]
) -> None:
    """The check above can fail: a page made wider than the screen is reported."""
    page = new_context(viewport=PHONE).new_page()
    sign_in_as(page, demo_cast["dave"])
    page.goto("/orgs/")
    assert sideways_overflow(page) == []

    # Through the CSSOM: the CSP refuses a style attribute written in HTML.
    page.evaluate(
        "() => { const wide = document.createElement('div'); wide.style.width = '600px';"
        " wide.textContent = 'wide'; document.querySelector('main').append(wide); }"
    )

    assert [o for o in sideways_overflow(page) if o.startswith("the page by")]
