"""Scoped look-ups of billing objects: every query starts from the member's organization (and,
for products, role)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from organizations.managers import OrganizationOwnedQuerySet

if TYPE_CHECKING:
    from billing.models import Contact, Invoice, Product  # noqa: F401
    from organizations.models import Membership


class ProductQuerySet(OrganizationOwnedQuerySet["Product"]):
    def for_member(self, membership: Membership) -> ProductQuerySet:
        """The products of the membership's organization that this member may see: all of them
        for legal representatives and administrators, only those given to them for the others
        (ARCHITECTURE.md rule 1)."""
        products = self.for_org(membership.organization_id)
        if membership.can_see_all_products:
            return products
        return products.filter(assignees=membership.user_id)

    def paid_by(self, organization: Any) -> ProductQuerySet:
        """Products whose invoices go to this organization, whoever manages them."""
        return self.filter(payer=organization)

    def expiring_between(self, first: date, last: date) -> ProductQuerySet:
        return self.filter(expires_on__gte=first, expires_on__lte=last)


class ContactQuerySet(OrganizationOwnedQuerySet["Contact"]):
    pass


class InvoiceQuerySet(OrganizationOwnedQuerySet["Invoice"]):
    pass
