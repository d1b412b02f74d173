"""The DEBUG-only outbox page shows what was sent, so a person trying the demo can follow links."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from accounts.session_store import SessionStore
from portal import views
from portal.outbox import send_email


def test_the_outbox_page_lists_sent_emails(db: Any, settings: Any, alice: Any) -> None:
    settings.DEBUG = True
    send_email(
        "password_changed", key="demo:1", to_user=alice, context={"name": "Alice", "url": "/x"}
    )
    request = RequestFactory().get("/dev/outbox/")
    request.user = alice
    request.session = SessionStore()

    response = views.outbox(request)

    assert response.status_code == 200
    assert "alice@example.com" in response.content.decode()
