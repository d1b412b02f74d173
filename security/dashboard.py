"""The organization dashboard's security card (listed in `settings.DASHBOARD_PANELS`): whether
the signed-in person has two-factor authentication, and, for those who manage members, how many
members still lack it and whether the organization requires it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from organizations.models import Membership
from security.methods import METHOD_MODELS, has_two_factor
from security.policies import requires_two_factor


def security_status(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """A fixed number of queries whatever the organization's size: the members without a method
    are counted by the database, not loaded."""
    panel: dict[str, Any] = {
        "template": "security/_dashboard.html",
        "me_protected": has_two_factor(request.user),
        "required": requires_two_factor(membership),
        "members_without": None,
    }
    if membership.can_manage_members:
        members = Membership.objects.for_org(membership.organization_id).filter(
            user__is_active=True
        )
        for model in METHOD_MODELS:
            members = members.exclude(
                user_id__in=model.objects.filter(confirmed=True).values("user_id")
            )
        panel["members_without"] = members.count()
    return panel
