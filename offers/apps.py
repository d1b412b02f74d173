from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What support staff may do with offer requests in the admin: read them, their proposals and
# reports, and moderate (hide, close, resolve reports: changes through the admin actions).
SUPPORT_PERMISSIONS = [
    "view_offerrequest",
    "change_offerrequest",
    "view_proposal",
    "view_report",
    "change_report",
    "view_partnersubscription",
]


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(add_support_permissions, sender=self)


def add_support_permissions(**kwargs: Any) -> None:
    from organizations.support import grant_to_support

    grant_to_support("offers", SUPPORT_PERMISSIONS)
