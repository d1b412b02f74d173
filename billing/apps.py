from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What support staff may do with billing in the admin: read everything, add credit or record a
# payment (a balance entry, through the credit form); never edit a balance or an invoice.
SUPPORT_PERMISSIONS = [
    "view_product",
    "view_contact",
    "view_billingaccount",
    "view_invoice",
    "view_renewal",
    "view_reminder",
    "view_balanceentry",
    "add_balanceentry",
]


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(add_support_permissions, sender=self)


def add_support_permissions(**kwargs: Any) -> None:
    from organizations.support import grant_to_support

    grant_to_support("billing", SUPPORT_PERMISSIONS)
