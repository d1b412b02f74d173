"""django-otp's throttling, made safe for devices verified by several requests at once."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone
from django_otp.models import ThrottlingMixin, TimestampMixin


class AtomicThrottlingMixin(TimestampMixin, ThrottlingMixin):
    """Failures are counted in the row itself, and a success saves only the fields it changes.

    A full save of this copy, loaded when the request began, would write back stale state (for
    example a TOTP device's `last_t`, re-opening a code another request accepted meanwhile), and
    two failures at the same moment must count as two.
    """

    class Meta:
        abstract = True

    def throttle_increment(self, commit: bool = True) -> None:
        if not commit:
            super().throttle_increment(commit=False)
            return
        type(self)._default_manager.filter(pk=self.pk).update(
            throttling_failure_count=F("throttling_failure_count") + 1,
            throttling_failure_timestamp=timezone.now(),
        )
        self.refresh_from_db(fields=["throttling_failure_count", "throttling_failure_timestamp"])

    def record_success(self) -> None:
        """A code was accepted: reset the throttle and note the use, touching nothing else."""
        device: Any = self
        device.throttle_reset(commit=False)
        device.set_last_used_timestamp(commit=False)
        device.save(
            update_fields=[
                "throttling_failure_timestamp",
                "throttling_failure_count",
                "last_used_at",
            ]
        )
