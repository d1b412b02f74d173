"""kAuth, the provider's push app: enrolled devices, their sign-in requests, enrolment codes.

The server keeps only digests of the device credential and of the enrolment code
(core.crypto.digest), and the offline-code seed sealed at rest.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.models import Device

from security.models.sealed_totp import SealedTOTPMixin
from security.models.throttling import AtomicThrottlingMixin


class KAuthDevice(SealedTOTPMixin, AtomicThrottlingMixin, Device):
    """A phone with kAuth. `verify_token` checks the temporary (offline) code the app shows."""

    credential_digest = models.CharField(
        verbose_name=_("credential digest"), max_length=64, unique=True
    )
    last_seen_at = models.DateTimeField(verbose_name=_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("kAuth app")
        verbose_name_plural = _("kAuth apps")

    kind_label = _("kAuth app")


class KAuthEnrollment(models.Model):
    """A one-time enrolment code shown as a QR code, valid a few minutes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(verbose_name=_("name"), max_length=64)
    code_digest = models.CharField(verbose_name=_("code digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    device = models.OneToOneField(
        KAuthDevice,
        verbose_name=_("device"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrollment",
    )
    # Moving kAuth to a new phone: the device this enrolment replaces once the new one works.
    replaces = models.ForeignKey(
        KAuthDevice,
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
        PENDING = "pending", pgettext_lazy("sign-in request status", "Waiting")
        APPROVED = "approved", pgettext_lazy("sign-in request status", "Approved")
        DENIED = "denied", pgettext_lazy("sign-in request status", "Denied")
        FAILED = "failed", pgettext_lazy("sign-in request status", "Wrong number")
        USED = "used", pgettext_lazy("sign-in request status", "Used")

    public_id = models.UUIDField(
        verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False
    )
    device = models.ForeignKey(
        KAuthDevice, verbose_name=_("device"), on_delete=models.CASCADE, related_name="challenges"
    )
    # The browser's sign-in attempt holds the secret whose digest this is: only that browser can
    # complete the sign-in once the phone approves.
    attempt_digest = models.CharField(verbose_name=_("attempt digest"), max_length=64)
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    ip_address = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    status = models.CharField(
        verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    answered_at = models.DateTimeField(verbose_name=_("answered at"), null=True, blank=True)

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

    credential_digest = models.CharField(
        verbose_name=_("credential digest"), max_length=64, db_index=True
    )
    message = models.CharField(verbose_name=_("message"), max_length=200)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("kAuth notice")
        verbose_name_plural = _("kAuth notices")

    def __str__(self) -> str:
        return self.message
