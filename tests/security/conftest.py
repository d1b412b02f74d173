"""Fixtures of the security tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.accounts.helpers import next_full_hour


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at the next full hour (the start of a 30-second step and of every
    rate-limit window) until the test moves it with `clock.shift(...)`."""
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller
