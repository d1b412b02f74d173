from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's admin site (2FA required)."""

    default_site = "portal.admin_site.PortalAdminSite"
