"""The "support" group: the least permissions support staff need in the admin."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

SUPPORT_GROUP = "support"
# (app label, codename). Support looks things up and deactivates accounts; it does not edit
# organizations or memberships (those changes belong to the customers, through the rule).
SUPPORT_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "change_user"),
    ("organizations", "view_organization"),
    ("organizations", "view_membership"),
    ("organizations", "view_invitation"),
    ("portal", "view_auditevent"),
    ("portal", "view_notification"),
]

# Permissions the group once had and must lose on the next migrate: sessions have no admin any
# more (their key is their primary key, and it would be a support agent's way into any account).
WITHDRAWN_PERMISSIONS = [("accounts", "view_session")]


def ensure_support_group(**kwargs: Any) -> Group:
    """Create or update the group; connected to post_migrate, so every migrate keeps it right."""
    # post_migrate may reach us before auth has created this run's permissions.
    for label in {app for app, _ in SUPPORT_PERMISSIONS}:
        create_permissions(apps.get_app_config(label), verbosity=0)
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    wanted = [
        Permission.objects.filter(content_type__app_label=app, codename=code).first()
        for app, code in SUPPORT_PERMISSIONS
    ]
    group.permissions.add(*[p for p in wanted if p is not None])
    for app, code in WITHDRAWN_PERMISSIONS:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app, codename=code)
        )
    return group


def grant_to_support(app_label: str, codenames: list[str]) -> None:
    """Add an app's permissions to the support group (apps above this one call it from their
    post_migrate handler, so this app names none of them)."""
    create_permissions(apps.get_app_config(app_label), verbosity=0)
    ensure_support_group().permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
