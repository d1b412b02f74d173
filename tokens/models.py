"""API tokens: shown once, stored as an HMAC digest, bound to a person, an organization and a
scope; unlimited or with an end date; deactivated after a year without use."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tokens.managers import MailingListQuerySet, SubscriberQuerySet
from tokens.scopes import SCOPES, choices

if TYPE_CHECKING:
    from organizations.access import Refusal
    from organizations.models import Membership

# "se non viene effettuata alcuna chiamata con il token per un anno, viene disattivato"
UNUSED_LIMIT = timedelta(days=365)


class ApiToken(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("token status", "Active")
        EXPIRED = "expired", pgettext_lazy("token status", "Expired")
        DEACTIVATED = "deactivated", pgettext_lazy("token status", "Deactivated")
        REVOKED = "revoked", pgettext_lazy("token status", "Revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=64)
    scope = models.CharField(_("application"), max_length=32, choices=choices())
    digest = models.CharField(verbose_name=_("digest"), max_length=64, unique=True)
    hint = models.CharField(
        verbose_name=_("hint"), max_length=8, help_text=_("The last characters, to recognise it.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(
        verbose_name=_("last used ip"), null=True, blank=True
    )
    # The clock of the one-year rule: the last use, or the creation for a token never used.
    active_since = models.DateTimeField(
        verbose_name=_("active since"), default=timezone.now, db_index=True
    )
    warned_at = models.DateTimeField(verbose_name=_("warned at"), null=True, blank=True)
    deactivated_at = models.DateTimeField(verbose_name=_("deactivated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)

    # Set by the API authentication (`tokens.authentication.find_token`), not stored: the
    # person's membership of the organization (None once they left) and the organization's
    # policies' refusal of it (None when admitted).
    membership: Membership | None = None
    refusal: Refusal | None = None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["deactivated_at", "revoked_at", "active_since"])]

    def __str__(self) -> str:
        return f"{self.name} (…{self.hint})"

    @property
    def scope_label(self) -> str:
        scope = SCOPES.get(self.scope)
        return str(scope.label) if scope else self.scope

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

    @property
    def status(self) -> ApiToken.Status:
        if self.revoked_at:
            return self.Status.REVOKED
        if self.deactivated_at:
            return self.Status.DEACTIVATED
        if self.is_expired:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def deactivates_at(self) -> object:
        return self.active_since + UNUSED_LIMIT


class MailingList(models.Model):
    """The example Newsletter API of the guide: an organization's mailing lists."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="mailing_lists",
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects: ClassVar[MailingListQuerySet] = MailingListQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="mailing_list_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    mailing_list = models.ForeignKey(
        MailingList,
        verbose_name=_("mailing list"),
        on_delete=models.CASCADE,
        related_name="subscribers",
    )
    email = models.EmailField(_("email address"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    subscribed_at = models.DateTimeField(_("subscribed"), default=timezone.now)

    objects: ClassVar[SubscriberQuerySet] = SubscriberQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email", "pk"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(fields=["mailing_list", "email"], name="subscriber_unique")
        ]

    def __str__(self) -> str:
        return self.email
