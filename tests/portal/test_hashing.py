"""Issue 12, finding 2: the password hash cannot exhaust a web worker's memory.

Argon2 at Django's default 100 MiB a hash, also for unknown addresses (the dummy hash), took one
worker from 129 MiB to 4.1 GiB under 50 parallel sign-ins. `core.hashing` uses 19 MiB a hash
and computes at most PASSWORD_HASHING_CONCURRENCY at once per process; a request that cannot get
a slot in time is answered 429. `bench/hashing_memory.py` measures the peak memory."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import time_machine
from django.conf import settings as project_settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client, override_settings

from accounts.models import User
from core import hashing
from security import app_passwords
from security.app_passwords import check_service_login
from tests.conftest import next_full_hour
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROJECT_HASHERS = project_settings.PASSWORD_HASHERS


def test_the_project_hashes_with_argon2id_at_19_mib() -> None:
    hasher = hashing.PortalArgon2PasswordHasher()
    assert PROJECT_HASHERS[0] == "core.hashing.PortalArgon2PasswordHasher"
    assert hasher.memory_cost <= 64 * 1024  # KiB: the bound for a web worker
    with override_settings(PASSWORD_HASHERS=PROJECT_HASHERS):
        encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$")
    assert "m=19456,t=2,p=1" in encoded


def test_a_hash_with_djangos_old_parameters_is_upgraded_at_sign_in() -> None:
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400" in old
    user = UserFactory.create(email="olga@example.com")
    User.objects.filter(pk=user.pk).update(password=old)

    with override_settings(PASSWORD_HASHERS=PROJECT_HASHERS):
        response = Client().post(
            "/accounts/login/", {"email": "olga@example.com", "password": PASSWORD}
        )

    assert response.status_code == 302
    user.refresh_from_db()
    assert "m=19456" in user.password


@pytest.fixture
def every_slot_taken(settings: Any) -> Any:
    settings.PASSWORD_HASHING_WAIT_SECONDS = 0.05
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    slots = hashing._semaphore()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    yield
    for _ in range(taken):
        slots.release()


def test_sign_in_when_every_hashing_slot_is_taken_is_429(every_slot_taken: None) -> None:
    """An unknown address: the dummy hash needs a slot too."""
    response = Client().post("/accounts/login/", {"email": "olga@example.com", "password": "x"})

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "Try again in a moment" in response.content.decode()


def test_an_api_call_when_every_hashing_slot_is_taken_is_a_429_json(
    every_slot_taken: None, settings: Any
) -> None:
    settings.APP_PASSWORD_SERVICE_KEYS = ["mail-server-key-0123456789abcdefghijkl"]
    response = Client().post(
        "/api/v1/auth/app-password/verify",
        {"email": "nobody@example.com", "password": "a password 123", "service": "mail"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Service mail-server-key-0123456789abcdefghijkl",
    )

    assert response.status_code == 429
    assert response.json()["error"] == "busy"


def test_no_more_hashes_than_the_slots_run_at_once(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def slow_verify(self: Any, password: str, encoded: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return False

    monkeypatch.setattr(Argon2PasswordHasher, "verify", slow_verify)
    settings.PASSWORD_HASHING_WAIT_SECONDS = 10
    hasher = hashing.PortalArgon2PasswordHasher()
    threads = [
        threading.Thread(target=hasher.verify, args=("guess", "argon2$x")) for _ in range(24)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert 1 <= peak <= project_settings.PASSWORD_HASHING_CONCURRENCY


def test_the_service_login_check_is_limited_per_address_over_all_accounts(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random addresses from one place are throttled: each costs a (dummy) hash."""
    attempts, _window = settings.RATE_LIMITS["app-password-ip"]
    guess, ip = "a password 123", "203.0.113.5"
    with time_machine.travel(next_full_hour(), tick=False):
        for n in range(attempts):
            check_service_login(f"random{n}@example.com", guess, "mail", ip=ip)
        checked: list[str] = []
        monkeypatch.setattr(app_passwords, "_check", lambda email, *a, **k: checked.append(email))

        assert not check_service_login("one-more@example.com", guess, "mail", ip=ip)

    assert not checked  # refused before any hash
