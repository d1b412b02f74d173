"""The cross-cutting records every app writes: the audit log and the notification outbox.

Neither imports an app: the user is named through settings.AUTH_USER_MODEL and an organization
by its id, so an audit event outlives what it describes.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.audit_actions import action_label


class AuditEvent(models.Model):
    """One security-relevant change: who did what to what, in which organization, from where."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_email = models.CharField(_("actor email"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    organization_id = models.BigIntegerField(_("organization id"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["organization_id", "-created_at"]),
            models.Index(fields=["subject_user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    @property
    def label(self) -> str:
        return action_label(self.action)

    @property
    def repeats(self) -> int:
        """How many times this happened: repeats are counted on one row (core.audit)."""
        count = self.data.get("count", 1) if isinstance(self.data, dict) else 1
        return count if isinstance(count, int) and count > 0 else 1

    @property
    def last_occurred_at(self) -> datetime:
        last = self.data.get("last_at") if isinstance(self.data, dict) else None
        return datetime.fromisoformat(last) if isinstance(last, str) else self.created_at


class Notification(models.Model):
    """A message to deliver, written in the same transaction as the change that caused it.

    `key` is unique: a retried service, an overlapping sweep or a re-run task that tries to
    write or deliver the same notification again finds the existing row and sends nothing more.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PUSH = "push", _("Device push")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("message status", "Pending")
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        FAILED = "failed", pgettext_lazy("message status", "Failed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to = models.CharField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # The text carries a one-time link (password reset, email verification, invitation, request
    # cancellation): once delivered, the text is emptied so the table keeps no usable link.
    holds_one_time_link = models.BooleanField(
        verbose_name=_("holds a one-time link"), default=False
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(verbose_name=_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"
