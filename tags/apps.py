from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TagsConfig(AppConfig):
    name = "tags"
    verbose_name = _("Tags")
    default_auto_field = "django.db.models.BigAutoField"
