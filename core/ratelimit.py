"""Atomic fixed-window counters for limiting guesses and sends (login, reset, invitations...).

Counters live in the cache: Redis in production, where INCR is atomic across every web process;
process memory in the embedded mode, which runs a single web process. Limits are named in
settings.RATE_LIMITS as (attempts, window in seconds).

The one way to use them is to count first: `attempt()` (or `attempt_all()` for several counters)
counts the attempt atomically, *then* says whether it may go ahead, so 40 guesses sent at once
are 40 counts and only the first few are checked. There is deliberately no "peek": checking a
counter, running the slow password check and counting afterwards lets parallel guesses all
through. Where only failures should use up a limit (a person's own successful sign-ins), the
caller gives a success back with `release()` after the check.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets
    limit: str = ""  # which limit decided (the refusing one, with attempt_all)


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
    return Verdict(allowed=count <= attempts, retry_after=retry_after, limit=limit)


def attempt_all(checks: list[tuple[str, str]]) -> Verdict:
    """Count one attempt on each (limit, ident) counter in order, narrowest first (per attempt
    or address, then per person); the first that refuses decides. The wider counters are not
    counted for an attempt a narrower one refused, so a stranger hammering from one address
    cannot use up the looser per-person ceiling and lock the owner out everywhere."""
    verdict = Verdict(allowed=True, retry_after=0)
    for limit, ident in checks:
        verdict = attempt(limit, ident)
        if not verdict.allowed:
            return verdict
    return verdict


def release(limit: str, ident: str) -> None:
    """Give back one attempt counted by `attempt()` (a success that should not use the limit)."""
    _attempts, window = settings.RATE_LIMITS[limit]
    key, _ = _key(limit, ident, window, time.time())
    try:
        if cache.decr(key) < 0:
            cache.set(key, 0, timeout=window + 1)
    except ValueError:  # the window ended in between: nothing left to give back
        pass


def reset(limit: str, ident: str) -> None:
    _attempts, window = settings.RATE_LIMITS[limit]
    key, _ = _key(limit, ident, window, time.time())
    cache.delete(key)


def wait_message(seconds: int) -> str:
    """What a person reads when a limit refused them."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many attempts. Try again in %(n)d minute.",
        "Too many attempts. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}
