"""Which partners a request reaches, and which requests a partner sees: one rule, both ways.

A partner is reached by a request when it subscribed to the request's category, and — where the
request names them — its regions include the request's region and its languages the request's
language (a partner that named no region, or no language, takes them all). Only partners whose
status is active count; only valid requests (open, not expired, not hidden) are shown.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from offers.models import OfferRequest, PartnerSubscription
from organizations.models import PartnerProfile


def partner_accepts(partner: PartnerProfile, request: OfferRequest, categories: set[str]) -> bool:
    return (
        request.category in categories
        and (not request.region or not partner.regions or request.region in partner.regions)
        and (not partner.languages or request.language in partner.languages)
    )


def partners_for(request: OfferRequest) -> list[PartnerProfile]:
    """The active partners this request reaches (two queries; partners are few)."""
    candidates = (
        PartnerProfile.objects.filter(is_active=True, subscriptions__category=request.category)
        .exclude(organization_id=request.organization_id)
        .select_related("organization")
        .distinct()
    )
    return [p for p in candidates if partner_accepts(p, request, {request.category})]


def valid_requests(today: date | None = None) -> QuerySet[OfferRequest]:
    today = today or timezone.localdate()
    return OfferRequest.objects.filter(
        status=OfferRequest.Status.OPEN, hidden_at=None, valid_until__gte=today
    )


def requests_for(partner: PartnerProfile, today: date | None = None) -> QuerySet[OfferRequest]:
    """The valid requests this partner sees (none when its status is not active)."""
    if not partner.is_active:
        return OfferRequest.objects.none()
    categories = list(
        PartnerSubscription.objects.filter(partner=partner).values_list("category", flat=True)
    )
    requests = valid_requests(today).filter(category__in=categories)
    requests = requests.exclude(organization_id=partner.organization_id)
    if partner.regions:
        requests = requests.filter(Q(region="") | Q(region__in=partner.regions))
    if partner.languages:
        requests = requests.filter(language__in=partner.languages)
    return requests
