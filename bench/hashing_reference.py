"""Settings of the hashing-memory benchmark's reference: the portal as it was before issue 12,
with Django's default Argon2 parameters (100 MiB a hash) and no bound on concurrent hashes."""

from __future__ import annotations

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
