"""Fixtures of the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.accounts.helpers import next_full_hour


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at the next full hour (the start of a 30-second step and of every
    rate-limit window) until the test moves it with `clock.shift(...)`."""
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def throttled(settings: Any) -> None:
    """django-otp's growing delay is off in the portal (issue 12, finding 5: anyone with the
    password could set it off for the owner; per-attempt counters replace it), but the devices'
    atomic throttling must stay right for a deployment that turns it on."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    settings.OTP_STATIC_THROTTLE_FACTOR = 1
