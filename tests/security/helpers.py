"""Helpers of the security tests: codes from an independent RFC 6238 implementation (pyotp),
signing in the way a browser does, and reading what a person sees."""

from __future__ import annotations

import base64
import re
import time

import pyotp
from django.test import Client
from django.urls import reverse

from accounts.models import User
from security.models import TOTPDevice
from tests.conftest import ClientResponse
from tests.factories import PASSWORD

STEP = 30
VERIFY_URL = reverse("security:verify")
TWO_FACTOR_URL = reverse("security:two-factor")


def secret_of(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app would have scanned."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def code_at(secret: str, *, steps: int = 0) -> str:
    """The code pyotp computes for now + `steps` time steps."""
    return pyotp.TOTP(secret).at(time.time() + steps * STEP)


def code_for(device: TOTPDevice, *, steps: int = 0) -> str:
    return code_at(secret_of(device), steps=steps)


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that no step within reach (±2) produces."""
    near = {code_for(device, steps=s) for s in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in near)


def sign_in(client: Client, user: User, *, next_url: str | None = None) -> ClientResponse:
    """Post the right password, as the sign-in page does."""
    data = {"email": user.email, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200 and response.wsgi_request.user.is_authenticated


def is_verified(client: Client) -> bool:
    """Whether the server sees the client's session as verified by a second factor."""
    response = client.get(reverse("accounts:profile"))
    user = response.wsgi_request.user
    return bool(user.is_authenticated and user.is_verified())  # type: ignore[attr-defined]  # django-otp's middleware adds it


def shown_secret(page: str) -> str:
    """The key of the confirm page, as a person would copy it (the spaces are for reading)."""
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)</textarea>', page)
    assert match, "the secret is not shown as text"
    return match.group(1).replace(" ", "")


def shown_codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page)
