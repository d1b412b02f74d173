"""The password hasher: Argon2id with a memory cost a web worker can afford under attack, and a
bound on how many hashes one process computes at once.

Django's default Argon2 parameters take 100 MiB a hash. Sign-in hashes a password even for an
unknown address (a dummy hash, so timing tells nothing), so 50 parallel sign-ins with random
addresses took one web worker from 129 MiB to 4.1 GiB. Here:

- **19 MiB, 2 passes, 1 lane** (OWASP's first recommended Argon2id configuration): a hash costs a
  fifth of the memory and stays slow to guess offline. Hashes made with other parameters are
  upgraded at the person's next sign-in (Django's `must_update`).
- **At most `PASSWORD_HASHING_CONCURRENCY` hashes at once per process** (twice the cores by
  default); a request that cannot get a slot within `PASSWORD_HASHING_WAIT_SECONDS` is answered
  429 "try again in a moment" (`HashingBusy`, see `core.middleware`), so memory per process
  stays under concurrency times 19 MiB whatever arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


class HashingBusy(Exception):
    """Every hashing slot of this process stayed taken for the whole wait."""


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.PASSWORD_HASHING_CONCURRENCY)
        return _slots


@contextmanager
def hashing_slot() -> Iterator[None]:
    slots = _semaphore()
    if not slots.acquire(timeout=settings.PASSWORD_HASHING_WAIT_SECONDS):
        raise HashingBusy
    try:
        yield
    finally:
        slots.release()


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's, so existing hashes verify and are upgraded in place.
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        with hashing_slot():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with hashing_slot():
            return super().verify(password, encoded)

    def harden_runtime(self, password: str, encoded: str) -> Any:
        with hashing_slot():
            return super().harden_runtime(password, encoded)
