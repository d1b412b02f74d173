"""The organization dashboard's billing cards (listed in `settings.DASHBOARD_PANELS`): products
expiring soon, and the prepaid balance for those who manage billing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from billing.models import CURRENCY, EXPIRING_SOON_DAYS, BillingAccount, Product
from organizations.models import Membership

# "Soon": the longest reminder lead of the renewal emails is 60 days; the dashboard looks at the
# next EXPIRING_SOON_DAYS (30), what a person should act on now.
SOON_DAYS = EXPIRING_SOON_DAYS
SHOWN = 5


def expiring_soon(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """The products this member may see that expire in the next `SOON_DAYS` days, the nearest
    first (at most `SHOWN`), and how many there are. Two queries whatever the numbers."""
    today = timezone.localdate()
    soon = Product.objects.for_member(membership).filter(
        expires_on__gte=today, expires_on__lte=today + timedelta(days=SOON_DAYS)
    )
    shown = list(soon.order_by("expires_on", "pk").only("name", "expires_on", "auto_renew")[:SHOWN])
    return {
        "template": "billing/_dashboard_expiring.html",
        "products": shown,
        "count": soon.count() if len(shown) == SHOWN else len(shown),
        "days": SOON_DAYS,
    }


def balance(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """The prepaid balance, for those the billing page is open to (None hides the card)."""
    if not membership.can_manage_billing:
        return None
    account = (
        BillingAccount.objects.filter(organization_id=membership.organization_id)
        .only("balance")
        .first()
    )
    return {
        "template": "billing/_dashboard_balance.html",
        "balance": account.balance if account else 0,
        "currency": CURRENCY,
    }
