"""The organization dashboard's offer-requests card (listed in `settings.DASHBOARD_PANELS`): the
open requests and their proposals, for members who may see offer requests."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from offers.models import OfferRequest
from organizations.models import Membership

SHOWN = 3


def open_requests(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """None (no card) for those who may not see offer requests. Two queries at most."""
    if not membership.can_see_offer_requests:
        return None
    running = OfferRequest.objects.for_member(membership).filter(
        status=OfferRequest.Status.OPEN, valid_until__gte=timezone.localdate()
    )
    shown = list(
        running.annotate(proposal_count=Count("proposals"))
        .order_by("valid_until", "pk")
        .only("title", "valid_until")[:SHOWN]
    )
    return {
        "template": "offers/_dashboard.html",
        "requests": shown,
        "count": running.count() if len(shown) == SHOWN else len(shown),
    }
