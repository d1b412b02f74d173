"""The API's documentation page (issue 13, defect 2): Swagger UI draws the operations under the
portal's strict Content-Security-Policy (`script-src 'self'`), which refuses inline scripts, so
its start-up script is served as a file of its own."""

from __future__ import annotations

from playwright.sync_api import Page, expect


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
