"""Who requires what: an organization's 2FA requirement, a person's preferred method."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganizationSecurityPolicy(models.Model):
    organization = models.OneToOneField(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="security_policy",
    )
    require_two_factor = models.BooleanField(_("require two-factor authentication"), default=False)
    changed_at = models.DateTimeField(verbose_name=_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("organization security policy")
        verbose_name_plural = _("organization security policies")

    def __str__(self) -> str:
        return f"{self.organization}: 2FA {'required' if self.require_two_factor else 'optional'}"


class TwoFactorPreference(models.Model):
    """The method offered first at sign-in (a django-otp persistent id)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="two_factor_preference",
    )
    preferred_device = models.CharField(
        verbose_name=_("preferred device"), max_length=100, blank=True
    )

    class Meta:
        verbose_name = _("two-factor preference")
        verbose_name_plural = _("two-factor preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.preferred_device}"
