"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Exactly one beat runs these (see the README's "Deploying").
app.conf.beat_schedule = {
    "sweep-outbox": {"task": "portal.tasks.sweep_outbox", "schedule": 60.0},
    "purge-expired-sessions": {"task": "accounts.tasks.purge_expired_sessions", "schedule": 3600.0},
    "apply-unused-token-rule": {
        "task": "tokens.tasks.apply_unused_token_rule",
        "schedule": 24 * 3600.0,
    },
    "purge-stale-two-factor-records": {
        "task": "security.tasks.purge_stale_two_factor_records",
        "schedule": 24 * 3600.0,
    },
    "billing-sweep": {"task": "billing.run_billing_sweep", "schedule": 3600.0},
    "offers-expire-requests": {"task": "offers.expire_requests", "schedule": 3600.0},
}
