"""Billing jobs, scheduled by Celery beat (`portal/celery.py`) every hour: each run does what is
due today and nothing twice (the services claim their work), so a retried task, an extra run or
two workers at once are harmless, and a beat that was down catches up at its next run."""

from __future__ import annotations

from celery import shared_task

from billing import reminders, renewals


@shared_task(name="billing.run_billing_sweep")
def run_billing_sweep() -> dict[str, int]:
    """Renew first, so that a product renewed today is not reminded of the old date."""
    renewed = renewals.renew_due_products()
    reminded = reminders.send_due_reminders()
    return {"renewed": renewed, "reminders": reminded}
