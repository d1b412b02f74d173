"""Who receives billing emails: the members who can manage billing (legal representatives,
administrators, and collaborators with the "manage accounting" right), each with the
preferences they chose, or the defaults while they have not chosen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from billing.models import DEFAULT_REMINDER_LEAD_DAYS, NotificationPreference
from organizations.models import Membership, Role


@dataclass(frozen=True)
class Choices:
    renewal_reminders: bool
    lead_days: tuple[int, ...]
    auto_renew_reminder: bool
    renewal_confirmation: bool
    invoice_issued: bool


DEFAULTS = Choices(
    renewal_reminders=True,
    lead_days=tuple(DEFAULT_REMINDER_LEAD_DAYS),
    auto_renew_reminder=True,
    renewal_confirmation=True,
    invoice_issued=True,
)


def choices_of(membership: Membership) -> Choices:
    """The member's choices (`billing_preference` select_related, or a query)."""
    try:
        pref: NotificationPreference = membership.billing_preference
    except NotificationPreference.DoesNotExist:
        return DEFAULTS
    return Choices(
        renewal_reminders=pref.renewal_reminders,
        lead_days=tuple(sorted(set(pref.lead_days), reverse=True)),
        auto_renew_reminder=pref.auto_renew_reminder,
        renewal_confirmation=pref.renewal_confirmation,
        invoice_issued=pref.invoice_issued,
    )


BILLING_ROLES = Q(role__in=[Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR]) | Q(
    role=Role.COLLABORATOR, billing_rights=True
)


def billing_members(organization_ids: Iterable[int]) -> list[Membership]:
    """Active members who can manage billing in these organizations, with their person and
    preferences, in one query (same rule as `Membership.can_manage_billing`)."""
    return list(
        Membership.objects.filter(BILLING_ROLES, organization_id__in=list(organization_ids))
        .filter(user__is_active=True)
        .select_related("user", "billing_preference")
        .order_by("organization_id", "user_id")
    )
