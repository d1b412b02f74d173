"""The one-year rule of API tokens."""

from __future__ import annotations

from celery import shared_task

from tokens.services import deactivate_unused_tokens, warn_unused_tokens


@shared_task(ignore_result=True)
def apply_unused_token_rule() -> dict[str, int]:
    """Warn 30 days before, then deactivate tokens unused for a year. Daily, by beat
    (portal/celery.py); re-runnable: each step claims its tokens with one UPDATE."""
    return {"warned": warn_unused_tokens(), "deactivated": deactivate_unused_tokens()}
