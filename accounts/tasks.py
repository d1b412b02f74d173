"""Account housekeeping tasks."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.models import KnownBrowser, Session


@shared_task(ignore_result=True)
def purge_expired_sessions() -> int:
    """Delete expired session rows. Scheduled hourly by beat (portal/celery.py)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(ignore_result=True)
def purge_expired_known_browsers() -> int:
    """Delete known browsers past their expiry: they spare nobody any more. Scheduled daily by
    beat (portal/celery.py)."""
    deleted, _ = KnownBrowser.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
