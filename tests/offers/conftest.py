"""Helpers and fixtures of the partner side of the offers tests (also used by the browser, access
and API tests): partners, the requests they see, and the ways a request stops being valid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from offers.models import OfferRequest, PartnerSubscription
from organizations.models import Organization, PartnerProfile

CONTACT = {
    "contact_name": "Alice Rossi",
    "contact_email": "offers@acme.example",
    "contact_phone": "+41 21 555 01 23",
}
# The ways a request stops being valid.
ENDINGS = ["cancelled", "closed", "expired", "hidden", "expired-unmarked"]


def make_partner(
    org: Organization,
    *,
    categories: tuple[str, ...] = ("website", "migration"),
    regions: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    active: bool = True,
) -> PartnerProfile:
    partner = PartnerProfile.objects.create(
        organization=org,
        public_name=f"{org.name} (partner)",
        regions=list(regions),
        languages=list(languages),
        is_active=active,
    )
    PartnerSubscription.objects.bulk_create(
        [PartnerSubscription(partner=partner, category=c) for c in categories]
    )
    return partner


def make_offer(org: Organization, created_by: User | None = None, **fields: Any) -> OfferRequest:
    """An open request of `org`, valid for 30 days (directly: these tests are about partners)."""
    values: dict[str, Any] = {
        "title": "A new website for our shop",
        "description": "We sell cheese and need a website with a small catalogue.",
        "category": "website",
        "budget": "1k-5k",
        "language": "en",
        "valid_until": timezone.localdate() + timedelta(days=30),
        **CONTACT,
        **fields,
    }
    return OfferRequest.objects.create(organization=org, created_by=created_by, **values)


def end(offer: OfferRequest, how: str) -> None:
    """End `offer` the way `how` says, as the data would look afterwards."""
    now = timezone.now()
    if how in ("cancelled", "closed", "expired"):
        OfferRequest.objects.filter(pk=offer.pk).update(status=how, ended_at=now)
    elif how == "hidden":
        OfferRequest.objects.filter(pk=offer.pk).update(hidden_at=now)
    elif how == "expired-unmarked":  # past its last day, before the daily task ran
        OfferRequest.objects.filter(pk=offer.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
    else:
        raise ValueError(how)
    offer.refresh_from_db()


@pytest.fixture
def partner(carol: User, studio_carol: Organization) -> PartnerProfile:
    """Studio Carol (carol is its legal representative) as a partner for websites and migrations,
    under a public name of its own: "Studio Carol (partner)"."""
    return make_partner(studio_carol)


@pytest.fixture
def offer(alice: User, acme: Organization) -> OfferRequest:
    """An open request of Acme that alice wrote, for a website, as the partners find it."""
    return make_offer(acme, created_by=alice)
