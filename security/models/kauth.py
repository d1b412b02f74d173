"""kAuth, the provider's push app: enrolled devices, their sign-in requests, enrolment codes.

The server keeps only digests of the device credential and of the enrolment code
(portal.crypto.digest), and the offline-code seed sealed at rest.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from security.models.sealed_totp import SealedTOTPMixin
from security.models.throttling import AtomicThrottlingMixin


class KAuthDevice(SealedTOTPMixin, AtomicThrottlingMixin, Device):
    """A phone with kAuth. `verify_token` checks the temporary (offline) code the app shows."""

    credential_digest = models.CharField(max_length=64, unique=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kAuth app")
        verbose_name_plural = _("kAuth apps")

    kind_label = _("kAuth app")


class KAuthEnrollment(models.Model):
    """A one-time enrolment code shown as a QR code, valid a few minutes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)
    code_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    device = models.OneToOneField(
        KAuthDevice, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollment"
    )
    # Moving kAuth to a new phone: the device this enrolment replaces once the new one works.
    replaces = models.ForeignKey(
        KAuthDevice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kAuth enrolment")
        verbose_name_plural = _("kAuth enrolments")

    def __str__(self) -> str:
        return f"kAuth enrolment of {self.user} ({self.name})"

    @property
    def is_usable(self) -> bool:
        return self.device_id is None and timezone.now() < self.expires_at


class KAuthChallenge(models.Model):
    """A sign-in request pushed to a device, bound to one sign-in attempt in one browser."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Wrong number")
        USED = "used", _("Used")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(KAuthDevice, on_delete=models.CASCADE, related_name="challenges")
    # The browser's sign-in attempt holds the secret whose digest this is: only that browser can
    # complete the sign-in once the phone approves.
    attempt_digest = models.CharField(max_length=64)
    number = models.PositiveSmallIntegerField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kAuth sign-in request")
        verbose_name_plural = _("kAuth sign-in requests")
        indexes = [models.Index(fields=["device", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"kAuth request {self.public_id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class KAuthNotice(models.Model):
    """A message for a device that no longer has an account here ("this account was removed"),
    found by the digest of the credential the device still presents."""

    credential_digest = models.CharField(max_length=64, db_index=True)
    message = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("kAuth notice")
        verbose_name_plural = _("kAuth notices")

    def __str__(self) -> str:
        return self.message
