"""Security keys and passkeys (WebAuthn) as a second factor."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin


class WebAuthnCredential(TimestampMixin, Device):
    """A public-key credential. Nothing here is secret: the private key never leaves the key."""

    credential_id: models.CharField[str, str] = models.CharField(
        verbose_name=_("credential id"), max_length=1400, unique=True
    )
    public_key: models.BinaryField[bytes, bytes] = models.BinaryField(verbose_name=_("public key"))
    sign_count: models.PositiveBigIntegerField[int, int] = models.PositiveBigIntegerField(
        verbose_name=_("sign count"), default=0
    )

    class Meta:
        verbose_name = _("security key")
        verbose_name_plural = _("security keys")

    kind_label = _("Security key")

    def verify_token(self, token: Any) -> bool:
        # A security key answers a WebAuthn challenge (security/webauthn.py), never a typed code.
        return False
