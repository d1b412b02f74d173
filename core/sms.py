"""The SMS gateway: `send(to, text)`, by settings.SMS_BACKEND.

- "file" (embedded default): each message is a file in settings.SMS_DIR, listed on the DEBUG
  outbox page.
- "http": POST {"to", "text"} as JSON to settings.SMS_HTTP_URL with a Bearer token.

Sign-in codes are sent straight through here, not through the outbox: the outbox keeps what it
sends, and a code must not be kept anywhere in clear (if a code is lost, the person asks again).

Every message spends, before the gateway sees it, from the budget of its number ("sms-number":
one number is not texted more than a few times an hour, whoever asks) and from the portal's
("sms-global", `SMS_GLOBAL_BUDGET_PER_HOUR`): SMS pumping (texting premium or accomplice numbers
to share their fees) costs the provider money, so the whole portal has a ceiling, and reaching it
is logged as an error once per window for the operators' alerting (issue 12, finding 8). The
transports below are called from `send` only; a test walks the code to keep it so.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core import ratelimit

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class SmsBudgetSpent(SmsError):
    """The number's or the portal's budget refused this message; nothing was sent."""

    def __init__(self, verdict: ratelimit.Verdict) -> None:
        super().__init__(f"{verdict.limit} budget spent")
        self.retry_after = verdict.retry_after
        self.portal_wide = verdict.limit == "sms-global"


def send(to: str, text: str, *, unproven: bool = False) -> None:
    """`unproven`: a code to a number nobody has confirmed yet (a set-up). Those are counted
    apart from texts to a confirmed number, so strangers typing someone's number into set-ups
    cannot use up the budget of the owner's sign-in codes (ARCHITECTURE.md rule 10: no stranger
    locks the owner out)."""
    number = f"{'unproven' if unproven else 'confirmed'}:{to}"
    verdict = ratelimit.attempt_all([("sms-number", number), ("sms-global", "portal")])
    if not verdict.allowed:
        if verdict.limit == "sms-global":
            _alert_portal_budget_spent(verdict)
        raise SmsBudgetSpent(verdict)
    if settings.SMS_BACKEND == "http":
        _send_http(to, text)
    else:
        _write_file(to, text)


def _alert_portal_budget_spent(verdict: ratelimit.Verdict) -> None:
    """Once per window: the operators' alerting watches for this line. No number in it."""
    attempts, window = settings.RATE_LIMITS["sms-global"]
    if cache.add(f"sms-global-alert:{int(timezone.now().timestamp() // window)}", 1, window + 1):
        logger.error(
            "The SMS budget of the portal is spent: %d SMS in %d minutes; SMS are refused for "
            "the next %d seconds (SMS_GLOBAL_BUDGET_PER_HOUR).",
            attempts,
            window // 60,
            verdict.retry_after,
        )


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
