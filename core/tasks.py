"""Celery tasks of the cross-cutting layer: delivering the outbox."""

from __future__ import annotations

from celery import shared_task

from core import outbox


@shared_task(ignore_result=True)
def deliver_notification(notification_id: int) -> bool:
    """Deliver one notification. Queued by `outbox` when the service's transaction commits."""
    return outbox.deliver(notification_id)


@shared_task(ignore_result=True)
def sweep_outbox() -> int:
    """Deliver what is still pending (the broker was down, a worker died). Run every minute by beat.

    Overlapping sweeps are harmless: `outbox.deliver` claims each row before sending it.
    """
    sent = 0
    for notification_id in outbox.pending_ids():
        sent += outbox.deliver(notification_id)
    return sent
