from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The bottom layer (ARCHITECTURE.md). Its label stays "portal", the name it had when this
    layer lived in the `portal` package: its tables (portal_auditevent, portal_notification) and
    migrations keep their names."""

    name = "core"
    label = "portal"
    verbose_name = _("Portal")
    default_auto_field = "django.db.models.BigAutoField"
