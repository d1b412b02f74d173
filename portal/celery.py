"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.signals import celeryd_init
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _worker_statement_timeout(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give a worker's new PostgreSQL connection the worker's statement timeout instead of the
    web requests' shorter one (settings: STATEMENT_TIMEOUT_MS): the billing sweep and the
    clean-ups go through whole tables, a request never should."""
    from django.conf import settings

    if connection.vendor != "postgresql" or not settings.WORKER_STATEMENT_TIMEOUT_MS:
        return  # 0: the database role's own timeout applies (README, "Deploying")
    with connection.cursor() as cursor:
        # set_config rather than SET, which takes no query parameter.
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false)",
            [str(settings.WORKER_STATEMENT_TIMEOUT_MS)],
        )


@celeryd_init.connect
def use_worker_statement_timeout(**kwargs: Any) -> None:
    """In the worker's main process, before its pool starts: every connection the worker opens
    from now on (in any pool process or thread) gets the worker's timeout."""
    connection_created.connect(_worker_statement_timeout, dispatch_uid="worker-statement-timeout")


NEVER_RUN = datetime(2000, 1, 1, tzinfo=UTC)


class CatchUpEntry(ScheduleEntry):
    """A periodic job beat has never run is due at once. Celery counts a new entry as if it had
    just run, so on a fresh `portal up` the hourly billing sweep first ran an hour later and the
    daily token rule a day later (issue 13, defect 11); a job beat ran before keeps the time it
    ran, from the schedule file, and is due when its interval has passed, as before."""

    def __init__(
        self, name: Any = None, task: Any = None, last_run_at: Any = None, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(name, task, last_run_at or NEVER_RUN, *args, **kwargs)


class CatchUpScheduler(PersistentScheduler):
    Entry = CatchUpEntry


app.conf.beat_scheduler = "portal.celery:CatchUpScheduler"

# Exactly one beat runs these (see the README's "Deploying").
app.conf.beat_schedule = {
    "sweep-outbox": {"task": "core.tasks.sweep_outbox", "schedule": 60.0},
    "purge-expired-sessions": {"task": "accounts.tasks.purge_expired_sessions", "schedule": 3600.0},
    "purge-expired-known-browsers": {
        "task": "accounts.tasks.purge_expired_known_browsers",
        "schedule": 24 * 3600.0,
    },
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
