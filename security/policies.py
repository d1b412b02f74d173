"""The organization policies this app plugs into the access layer (`organizations.access`,
through `settings.ORGANIZATION_POLICIES`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.access import Refusal
from organizations.models import Membership
from security.methods import has_two_factor
from security.models import OrganizationSecurityPolicy


def requires_two_factor(membership: Membership) -> bool:
    """Whether the member's organization requires two-factor authentication. Asked by the access
    layer and again by the dashboard's security card in the same request: the answer is kept on
    the membership, which lives as long as the request."""
    if "_requires_two_factor" not in membership.__dict__:
        membership.__dict__["_requires_two_factor"] = OrganizationSecurityPolicy.objects.filter(
            organization_id=membership.organization_id, require_two_factor=True
        ).exists()
    return bool(membership.__dict__["_requires_two_factor"])


def two_factor_required(membership: Membership) -> Refusal | None:
    """An organization that requires 2FA admits a member only once they have it, on every
    channel: pages, partner pages, API tokens and application passwords, minting tokens."""
    if not requires_two_factor(membership) or has_two_factor(membership.user):
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
