from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What the support group gets from this app: review identity documents, and look up who has
# which 2FA method.
REVIEWER_PERMISSIONS = [
    ("security", "review_identityverificationrequest"),
    ("security", "view_identityverificationrequest"),
    ("security", "view_totpdevice"),
    ("security", "view_kauthdevice"),
]


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(add_reviewer_permissions, sender=self)
        from django_otp.models import Device

        from security.otp_labels import translate_fields

        for model in self.get_models():
            if issubclass(model, Device):
                translate_fields(model)
        # Registers the HTTP Basic scheme with drf-spectacular (an import is all it takes).
        from security import schema  # noqa: F401


def add_reviewer_permissions(**kwargs: Any) -> None:
    """Give the support group REVIEWER_PERMISSIONS (after every migrate)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission

    from organizations.support import ensure_support_group

    create_permissions(apps.get_app_config("security"), verbosity=0)
    group = ensure_support_group()
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="security",
            codename__in=[code for _app, code in REVIEWER_PERMISSIONS],
        )
    )
