"""Scoped look-ups of offer requests and their proposals: every query starts from the
organization that owns them (`organizations.managers.OrganizationOwnedQuerySet`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from organizations.managers import OrganizationOwnedQuerySet

if TYPE_CHECKING:
    from offers.models import OfferRequest, Proposal  # noqa: F401


class OfferRequestQuerySet(OrganizationOwnedQuerySet["OfferRequest"]):
    pass


class ProposalQuerySet(OrganizationOwnedQuerySet["Proposal"]):
    """Proposals belong to the request's organization (the customer's side)."""

    organization_field = "request__organization"
