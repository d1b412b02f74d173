"""Housekeeping of the two-factor records."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from security.methods import METHOD_MODELS
from security.models import KAuthChallenge, KAuthEnrollment

# Long enough for anyone still in the middle of a set-up.
STALE_AFTER = timedelta(days=1)


@shared_task(ignore_result=True)
def purge_stale_two_factor_records() -> int:
    """Delete set-ups that were never confirmed, used-up enrolment codes and answered or expired
    sign-in requests, once a day old. Scheduled daily by beat (portal/celery.py); re-runnable."""
    cutoff = timezone.now() - STALE_AFTER
    deleted = 0
    for model in METHOD_MODELS:
        count, _ = model.objects.filter(confirmed=False, created_at__lt=cutoff).delete()
        deleted += count
    count, _ = KAuthEnrollment.objects.filter(expires_at__lt=cutoff).delete()
    deleted += count
    count, _ = KAuthChallenge.objects.filter(expires_at__lt=cutoff).delete()
    return deleted + count
