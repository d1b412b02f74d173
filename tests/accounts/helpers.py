"""Helpers of the accounts tests: signing in the way a browser does, reading what a person sees."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from core.models import Notification
from tests.conftest import ClientResponse

OWNER_IP = "198.51.100.7"
STRANGER_IP = "203.0.113.66"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1"


def sign_in(
    client: Client,
    email: str,
    password: str,
    *,
    ip: str = OWNER_IP,
    user_agent: str = FIREFOX,
    next_url: str | None = None,
) -> ClientResponse:
    """Post the sign-in form the way a browser at `ip` does."""
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(
        reverse("accounts:login"), data, REMOTE_ADDR=ip, headers={"user-agent": user_agent}
    )


def is_signed_in(client: Client) -> bool:
    """Whether the server sees the client as signed in on its next request."""
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200 and response.wsgi_request.user.is_authenticated


def link_in(notification: Notification) -> str:
    """The path of the (single) portal link of an email, as the person would click it."""
    match = re.search(r"https?://[^/\s]+(/\S+)", notification.body_text)
    assert match, notification.body_text
    return match.group(1)
