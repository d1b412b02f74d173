"""The organization policies this app plugs into the access layer (`organizations.access`,
through `settings.ORGANIZATION_POLICIES`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.access import Refusal
from organizations.models import Membership
from security.methods import has_two_factor
from security.models import OrganizationSecurityPolicy


def two_factor_required(membership: Membership) -> Refusal | None:
    """An organization that requires 2FA admits a member only once they have it, on every
    channel: pages, partner pages, API tokens and application passwords, minting tokens."""
    required = OrganizationSecurityPolicy.objects.filter(
        organization_id=membership.organization_id, require_two_factor=True
    ).exists()
    if not required or has_two_factor(membership.user):
        return None
    return Refusal(
        code="two_factor_required",
        message=_(
            "%(org)s requires two-factor authentication. Set it up to continue; it takes a minute."
        )
        % {"org": membership.organization.name},
        remedy_url=reverse("security:two-factor"),
        remedy_label=_("Set up two-factor authentication"),
    )
