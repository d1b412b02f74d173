"""SMS codes to a verified phone number of a supported country."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from core.crypto import digest
from security.models.throttling import AtomicThrottlingMixin

CODE_VALIDITY = timedelta(minutes=5)


class SMSDevice(AtomicThrottlingMixin, Device):
    """A phone number (E.164). The pending code is kept only as a keyed digest, bound to this
    device, and works once, for five minutes."""

    phone_number: models.CharField[str, str] = models.CharField(
        verbose_name=_("phone number"), max_length=20
    )
    code_digest: models.CharField[str, str] = models.CharField(
        verbose_name=_("code digest"), max_length=64, blank=True
    )
    code_expires_at: models.DateTimeField[Any, Any] = models.DateTimeField(
        verbose_name=_("code expires at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")

    kind_label = _("SMS")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_SMS_THROTTLE_FACTOR", 1))

    def _digest(self, code: str) -> str:
        return digest(f"sms:{self.pk}:{code}")

    def new_code(self) -> str:
        """A fresh code (the previous one stops working). Returns it in clear, to send."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.code_digest = self._digest(code)
        self.code_expires_at = timezone.now() + CODE_VALIDITY
        self.save(update_fields=["code_digest", "code_expires_at"])
        return code

    @property
    def masked_number(self) -> str:
        return f"{self.phone_number[:4]} ••• {self.phone_number[-2:]}"

    def verify_token(self, token: Any) -> bool:
        allowed, _why = self.verify_is_allowed()
        if not allowed:
            return False
        code = str(token).strip().replace(" ", "")
        if (
            self.code_digest
            and self.code_expires_at
            and timezone.now() < self.code_expires_at
            and hmac.compare_digest(self._digest(code), self.code_digest)
        ):
            # Used once: only the request that clears the digest succeeds.
            claimed = (
                type(self)
                .objects.filter(pk=self.pk, code_digest=self.code_digest)
                .update(code_digest="", code_expires_at=None)
            )
            if claimed:
                self.code_digest = ""
                self.record_success()
                return True
        self.throttle_increment()
        return False
