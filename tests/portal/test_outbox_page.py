"""The DEBUG-only outbox page shows what was sent, so a person trying the demo can follow links."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import path

from core.outbox import send_email
from portal import views
from portal.urls import urlpatterns as portal_urlpatterns

# The portal's URLs as a DEBUG process has them (the outbox is added only when DEBUG is on at
# start-up, which the test process is not).
urlpatterns = [*portal_urlpatterns, path("dev/outbox/", views.outbox, name="outbox")]


@pytest.mark.urls("tests.portal.test_outbox_page")
def test_the_outbox_page_lists_sent_emails(settings: Any, as_alice: Client, alice: Any) -> None:
    settings.DEBUG = True
    send_email(
        "password_changed", key="demo:1", to_user=alice, context={"name": "Alice", "url": "/x"}
    )

    response = as_alice.get("/dev/outbox/")

    assert response.status_code == 200
    assert "alice@example.com" in response.content.decode()
