"""Issue 11, finding 3: guessing limits hold when the guesses arrive together.

The attack: 40 wrong passwords for one account from one address, sent at the same moment; 60
wrong application passwords to the mail servers' login check. The old code looked at the
counter, ran the slow password check and counted afterwards, so every parallel guess was
checked. Now each guess is counted before its check (`ratelimit.attempt_all`), so at most the
limit's worth are checked however many arrive together.

Real threads, each with its own database connection and its own HTTP client, on PostgreSQL with
the rate-limit counters in Redis (CI); the password check is slowed down so the guesses overlap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import login
from accounts.models import User
from security import app_passwords
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
        "so parallel requests are not parallel there",
    ),
]

SERVICE_KEY = "mail-server-key-0123456789abcdefghijkl"
TIMEOUT = 60


def at_once(count: int, action: Callable[[], Any]) -> None:
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run() -> None:
        try:
            barrier.wait()
            action()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive()


class SlowCounter:
    """Wraps a password check: counts the calls and makes each take a while, as argon2 does."""

    def __init__(self, check: Callable[..., Any]) -> None:
        self.check, self.calls, self.lock = check, 0, threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.calls += 1
        time.sleep(0.05)
        return self.check(*args, **kwargs)


def test_forty_parallel_wrong_passwords_are_checked_at_most_five_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    victim = UserFactory.create(email="victim@example.com")
    checks = SlowCounter(authenticate)
    monkeypatch.setattr(login, "authenticate", checks)
    limit, _window = settings.RATE_LIMITS["login-account-ip"]

    at_once(
        40,
        lambda: Client().post(
            reverse("accounts:login"),
            {"email": victim.email, "password": "wrong password 123"},
            REMOTE_ADDR="203.0.113.9",
        ),
    )

    assert checks.calls <= limit


def test_sixty_parallel_wrong_app_passwords_are_checked_at_most_twenty_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "APP_PASSWORD_SERVICE_KEYS", [SERVICE_KEY])
    victim: User = UserFactory.create(email="victim@example.com")
    checks = SlowCounter(app_passwords._check)
    monkeypatch.setattr(app_passwords, "_check", checks)
    limit, _window = settings.RATE_LIMITS["app-password-check"]

    at_once(
        60,
        lambda: Client().post(
            "/api/v1/auth/app-password/verify",
            {
                "email": victim.email,
                "password": "abcdef-ghjkmn-pqrstu-vwxyz2-345678",
                "service": "mail",
            },
            content_type="application/json",
            REMOTE_ADDR="198.51.100.25",
            HTTP_AUTHORIZATION=f"Service {SERVICE_KEY}",
        ),
    )

    assert 0 < checks.calls <= limit


def test_twenty_parallel_wrong_current_passwords_are_checked_at_most_five_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The "confirm your password" limit, for a thief holding a signed-in session."""
    from tests.conftest import signed_in

    victim: User = UserFactory.create(email="victim@example.com")
    client = signed_in(victim, recent_password=False)
    checks = SlowCounter(User.check_password)
    monkeypatch.setattr(User, "check_password", lambda self, raw: checks(self, raw))
    limit, _window = settings.RATE_LIMITS["reauth"]

    at_once(
        20,
        lambda: client.post(reverse("accounts:confirm-password"), {"password": "wrong guess 1234"}),
    )

    assert checks.calls <= limit
