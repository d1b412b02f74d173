"""Fixtures of the security tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def throttled(settings: Any) -> None:
    """django-otp's growing delay is off in the portal (issue 12, finding 5: anyone with the
    password could set it off for the owner; per-attempt counters replace it), but the devices'
    atomic throttling must stay right for a deployment that turns it on."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    settings.OTP_STATIC_THROTTLE_FACTOR = 1
