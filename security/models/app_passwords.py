"""Application passwords: for mail, calendar and contacts clients, which cannot do 2FA.

Generated (about 148 random bits), shown once, stored only as an HMAC-SHA256 digest, each limited
to the services it was made for. They never open a browser session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from organizations.models import Membership


class AppService(models.TextChoices):
    MAIL = "mail", _("Mail (IMAP, SMTP)")
    CALENDAR = "calendar", _("Calendar (CalDAV)")
    CONTACTS = "contacts", _("Contacts (CardDAV)")
    API = "api", _("REST API (HTTP Basic)")


class ApplicationPassword(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="application_passwords",
    )
    name = models.CharField(_("name"), max_length=64)
    digest = models.CharField(verbose_name=_("digest"), max_length=64, unique=True)
    services = models.JSONField(_("services"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(
        verbose_name=_("last used ip"), null=True, blank=True
    )
    last_used_service = models.CharField(
        verbose_name=_("last used service"), max_length=16, blank=True
    )
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)

    # Set by the API's HTTP Basic authentication (`security.api_auth`), not stored: the person's
    # membership of the organization named by `?organization=`, admitted by the access layer.
    membership: Membership | None = None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application password")
        verbose_name_plural = _("application passwords")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def last_used_service_label(self) -> str:
        if self.last_used_service in AppService.values:
            return str(AppService(self.last_used_service).label)
        return self.last_used_service

    def service_labels(self) -> list[str]:
        return [str(AppService(s).label) for s in self.services if s in AppService.values]
