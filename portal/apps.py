from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's admin site (2FA required)."""

    default_site = "portal.admin_site.PortalAdminSite"
