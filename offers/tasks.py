"""Offer-request jobs. `offers.expire_requests` runs once a day from Celery beat
(`portal/celery.py`); it claims each request with a conditional UPDATE, so a retried task, an
extra run or two workers at once expire a request and email its customer exactly once, and a
beat that was down catches up at its next run."""

from __future__ import annotations

from celery import shared_task

from offers import services


@shared_task(name="offers.expire_requests")
def expire_requests() -> int:
    return services.expire_requests()
