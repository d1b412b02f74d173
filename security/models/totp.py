"""Authenticator apps (RFC 6238): the seed sealed at rest, each code accepted once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from security.models.sealed_totp import DIGITS, STEP, TOLERANCE, SealedTOTPMixin
from security.models.throttling import AtomicThrottlingMixin

__all__ = ["DIGITS", "STEP", "TOLERANCE", "TOTPDevice"]


class TOTPDevice(SealedTOTPMixin, AtomicThrottlingMixin, Device):
    """An authenticator app. `sealed_key` is the 20-byte seed, encrypted (core.crypto)."""

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    kind_label = _("Authenticator app")
