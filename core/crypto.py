"""Secrets at rest: digests for what we only compare, sealing for what we must read back.

- `digest(secret)`: HMAC-SHA256 under a server key. For generated secrets with at least 128 random
  bits (API tokens, application passwords, device credentials): a leaked database does not reveal
  them, and the digest is an index to look them up by. Compare with `hmac.compare_digest`.
- `seal(data)` / `unseal(token)`: authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) for
  secrets the server has to use again, such as TOTP seeds. The key comes from
  PORTAL_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first, for rotation) or, by default,
  is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derive(purpose: str) -> bytes:
    return hashlib.sha256(f"portal:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@cache
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "ENCRYPTION_KEYS", []))
    if not keys:
        keys = [base64.urlsafe_b64encode(_derive("seal")).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def seal(data: bytes) -> str:
    return _fernet().encrypt(data).decode()


def unseal(token: str) -> bytes:
    return _fernet().decrypt(token.encode())


def digest(secret: str) -> str:
    """Hex HMAC-SHA256 of a high-entropy secret under the server's digest key."""
    return hmac.new(_derive("digest"), secret.encode(), hashlib.sha256).hexdigest()


def matches(secret: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), expected_digest)
