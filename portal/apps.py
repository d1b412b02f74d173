from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")
    default_auto_field = "django.db.models.BigAutoField"


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's admin site (2FA required)."""

    default_site = "portal.admin_site.PortalAdminSite"
