"""The format of API tokens: `ptk_<32 random base62 characters><6-character checksum>`.

- `ptk_` says what it is, so secret scanners (and people) recognise a leaked token;
- 32 characters of base62 carry about 190 random bits;
- the checksum is the CRC32 of the random part, in base62 (6 characters): a scanner checks it
  offline to tell a real token from a look-alike, without asking us.
"""

from __future__ import annotations

import secrets
import string
import zlib

PREFIX = "ptk_"
ALPHABET = string.digits + string.ascii_letters  # base62
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits))


def checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def generate() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{PREFIX}{random_part}{checksum(random_part)}"


def is_well_formed(token: str) -> bool:
    """Prefix, length, alphabet and checksum right: checked offline, before any look-up."""
    if len(token) != LENGTH or not token.startswith(PREFIX):
        return False
    body = token[len(PREFIX) :]
    if any(ch not in ALPHABET for ch in body):
        return False
    random_part, check = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return secrets.compare_digest(checksum(random_part), check)
