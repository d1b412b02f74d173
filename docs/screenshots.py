"""The README's screenshots, taken from a running demo, so they show the portal as it is today.

    uv run portal up --port 8000 &          # the demo, on a fresh data folder
    uv run python docs/screenshots.py       # writes docs/screenshots/*.png

Signs in to the demo as its people (alice in Italian, with the demo authenticator's code; carol
in English) and photographs the main pages on a desktop (1280 px) and on a phone (390 px), the
visible screen only. Needs Debian's Chromium (/usr/bin/chromium); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

HERE = Path(__file__).resolve().parent

# The demo's public facts (portal/demo.py, portal/settings.py), read without starting Django.
DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - the documented password of the demo logins
DEMO_TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

SCREENS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 860},
    "phone": {"width": 390, "height": 844},
}
# (file name, who, path)
PAGES = [
    ("dashboard", "alice", "/orgs/acme/"),
    ("products", "alice", "/orgs/acme/products/"),
    ("two-factor", "alice", "/security/two-factor/"),
    ("billing", "alice", "/orgs/acme/billing/"),
    ("partner-offers", "carol", "/partners/offers/"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def sign_in(page: Page, who: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[type=email]").fill(f"{who}@example.com")
    page.locator("input[type=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/security/verify/" not in page.url:
        return
    # alice's usual method is kAuth; she picks the authenticator app, as without her phone.
    app = page.locator("a[href*='method=security.totpdevice']").first
    page.goto("/security/verify/" + (app.get_attribute("href") or ""))
    code = pyotp.TOTP(DEMO_TOTP_KEY).now()
    page.locator("input[autocomplete=one-time-code]").first.fill(code)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/security/verify/" not in url)


def signed_in(browser: Browser, url: str, who: str) -> Any:
    """The browser state (cookies) of `who` signed in once: a code works only once."""
    context = browser.new_context(base_url=url, locale="it-IT" if who == "alice" else "en-GB")
    sign_in(context.new_page(), who)
    state = context.storage_state()
    context.close()
    return state


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running demo")
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        states = {who: signed_in(browser, args.url, who) for who in {who for _, who, _ in PAGES}}
        for screen, viewport in SCREENS.items():
            for name, who, path in PAGES:
                context = browser.new_context(
                    base_url=args.url,
                    viewport=viewport,
                    locale="it-IT" if who == "alice" else "en-GB",
                    storage_state=states[who],
                )
                page = context.new_page()
                page.goto(path)
                target = args.out / f"{name}-{screen}.png"
                page.screenshot(path=target)
                context.close()
                print(target)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
