"""RFC 6238 codes from a seed sealed at rest, each accepted once (authenticator apps and kAuth's
offline code share this)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP

from core.crypto import seal, unseal

STEP = 30
DIGITS = 6
# Codes of the previous and the next 30-second step are accepted too (a phone's clock that is a
# little off), never more: see the README.
TOLERANCE = 1


class SealedTOTPMixin(models.Model):
    """Needs AtomicThrottlingMixin beside it."""

    sealed_key: models.TextField[str, str] = models.TextField(_("sealed key"))
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(
        _("last time step"),
        default=-1,
        help_text=_("The last time step whose code was accepted (replay protection)."),
    )

    class Meta:
        abstract = True

    @classmethod
    def new_key(cls) -> bytes:
        return secrets.token_bytes(20)

    @property
    def bin_key(self) -> bytes:
        return unseal(self.sealed_key)

    def set_key(self, key: bytes) -> None:
        self.sealed_key = seal(key)

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """Accept a code of this step (±1) that was not accepted before, even under concurrency:
        the step is claimed with a conditional UPDATE, so two requests with one code succeed once.
        """
        device: Any = self
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            return False
        token = str(token).strip().replace(" ", "")
        # ASCII only: int() reads other scripts' digits too, and rejects superscripts.
        if not (token.isascii() and token.isdigit() and len(token) == DIGITS):
            device.throttle_increment()
            return False
        totp = TOTP(self.bin_key, step=STEP, digits=DIGITS, t0=0)
        now = time.time()  # one instant for every step tried, even at a step's boundary
        for offset in range(-TOLERANCE, TOLERANCE + 1):
            totp.time = now + offset * STEP
            if totp.token() != int(token):
                continue
            step_used = totp.t()
            claimed = (
                type(self)
                ._default_manager.filter(pk=self.pk, last_t__lt=step_used)
                .update(last_t=step_used)
            )
            if claimed:
                self.last_t = step_used
                device.record_success()
                return True
            break
        device.throttle_increment()
        return False
