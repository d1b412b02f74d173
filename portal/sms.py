"""The SMS gateway: `send(to, text)`, by settings.SMS_BACKEND.

- "file" (embedded default): each message is a file in settings.SMS_DIR, listed on the DEBUG
  outbox page.
- "http": POST {"to", "text"} as JSON to settings.SMS_HTTP_URL with a Bearer token.

Sign-in codes are sent straight through here, not through the outbox: the outbox keeps what it
sends, and a code must not be kept anywhere in clear (if a code is lost, the person asks again).
"""

from __future__ import annotations

import json
import secrets
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class SmsError(Exception):
    pass


def send(to: str, text: str) -> None:
    if settings.SMS_BACKEND == "http":
        _send_http(to, text)
    else:
        _write_file(to, text)


def _write_file(to: str, text: str) -> None:
    folder = Path(settings.SMS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.txt"
    path = folder / name
    path.touch(mode=0o600)
    path.write_text(f"To: {to}\n\n{text}\n")


def _send_http(to: str, text: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is checked to be https in settings
        settings.SMS_HTTP_URL,
        data=json.dumps({"to": to, "text": text}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            if response.status >= 300:
                raise SmsError(f"gateway answered {response.status}")
    except OSError as exc:
        raise SmsError(str(exc)) from exc


def sent_messages(limit: int = 20) -> list[dict[str, str]]:
    """The latest messages of the file gateway, newest first (for the DEBUG outbox page)."""
    folder = Path(settings.SMS_DIR)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.txt"), reverse=True)[:limit]
    return [{"name": f.stem, "text": f.read_text()} for f in files]
