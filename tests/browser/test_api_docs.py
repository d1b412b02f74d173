"""The API's documentation page (issue 13, defect 2): Swagger UI draws the operations under the
portal's strict Content-Security-Policy (`script-src 'self'`), which refuses inline scripts, so
its start-up script is served as a file of its own."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from accounts.models import User
from organizations.models import Organization
from tests.browser.conftest import confirm_password_if_asked, label, sign_in


def test_api_docs_list_the_operations_under_the_strict_csp(page: Page) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "script-src" in message.text else None,
    )

    page.goto("/api/docs/")

    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/products/" in path for path in paths), paths
    assert any("/api/v1/tokens" in path or "/api/v1/newsletter/" in path for path in paths)
    assert refused == []  # (a style Swagger UI sets inline is refused too; nothing shows it)


def test_the_self_service_path_token_then_docs_then_a_call(
    page: Page, alice: User, acme: Organization, live_server: Any
) -> None:
    """Create a token in the pages, read the docs, call the API with it as curl would."""
    sign_in(page, alice)
    page.goto("/tokens/")
    page.get_by_role("link", name="Create a token").click()
    confirm_password_if_asked(page)
    page.get_by_label(label("Name")).fill("Newsletter import")
    page.get_by_label(label("Organization")).select_option(label="Acme SA")
    page.get_by_label(label("Application")).select_option(label="Newsletter")
    page.get_by_label("Unlimited", exact=True).check()
    page.get_by_role("button", name="Create a token").click()
    secret = page.get_by_label(label("Token")).input_value()

    page.goto("/api/docs/")
    lists = page.locator(".opblock-summary-path", has_text="/api/v1/newsletter/lists/").first
    expect(lists).to_be_visible(timeout=15_000)

    call = urllib.request.Request(  # noqa: S310 - the test server
        f"{live_server.url}/api/v1/newsletter/lists/",
        headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310 - the test server
        assert response.status == 200
        assert json.loads(response.read())["results"] == []
