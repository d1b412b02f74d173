"""Atomic fixed-window counters for limiting guesses and sends (login, reset, invitations...).

Counters live in the cache: Redis in production, where INCR is atomic across every web process;
process memory in the embedded mode, which runs a single web process. Limits are named in
settings.RATE_LIMITS as (attempts, window in seconds).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def _key(limit: str, ident: str, window: int, now: float) -> tuple[str, int]:
    # Identifiers (emails, IPs) are hashed: the cache never holds a list of who tried what.
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    slot = int(now // window)
    return f"rl:{limit}:{digest}:{slot}", window - int(now % window)


def attempt(limit: str, ident: str) -> Verdict:
    """Count one attempt first, then say whether it may go ahead: refused once the limit is
    passed within the window. Counting before checking is what makes parallel guesses count."""
    attempts, window = settings.RATE_LIMITS[limit]
    key, retry_after = _key(limit, ident, window, time.time())
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return Verdict(allowed=count <= attempts, retry_after=retry_after)


def peek(limit: str, ident: str) -> Verdict:
    """Whether the limit is already passed, without counting an attempt."""
    attempts, window = settings.RATE_LIMITS[limit]
    key, retry_after = _key(limit, ident, window, time.time())
    count = cache.get(key, 0)
    return Verdict(allowed=count < attempts, retry_after=retry_after)


def reset(limit: str, ident: str) -> None:
    _attempts, window = settings.RATE_LIMITS[limit]
    key, _ = _key(limit, ident, window, time.time())
    cache.delete(key)
