"""The billing page of an organization (balance, invoices, the products it pays for, the renewal
timeline) and its invoices. Only members who can manage billing open them (a lower role gets a
403, anyone else a 404); invoices belong to the payer and are looked up within the organization,
so another organization's invoice number is a 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.models import CURRENCY, BalanceEntry, BillingAccount, Invoice, Product
from billing.timeline import build_timeline
from organizations.access import org_member_required
from organizations.models import Membership

INVOICES_PER_PAGE = 20
LATEST_ENTRIES = 10
PAID_FOR_OTHERS_SHOWN = 20


def _require_billing(membership: Membership) -> None:
    if not membership.can_manage_billing:
        raise PermissionDenied


@org_member_required
def billing_overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    _require_billing(membership)
    org = membership.organization
    # Read only: the account is created by the first credit or renewal, not by looking at it.
    account = BillingAccount.objects.filter(organization=org).first()
    entries = (
        list(
            BalanceEntry.objects.filter(account=account).select_related("invoice")[:LATEST_ENTRIES]
        )
        if account
        else []
    )
    invoices = Paginator(
        Invoice.objects.for_org(org).only("number", "issued_on", "status", "total", "currency"),
        INVOICES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    paid_for_others = Product.objects.paid_by(org).exclude(organization=org)
    shown = list(
        paid_for_others.select_related("organization", "owner").order_by("expires_on", "pk")[
            :PAID_FOR_OTHERS_SHOWN
        ]
    )
    return render(
        request,
        "billing/overview.html",
        {
            "membership": membership,
            "org": org,
            "account": account,
            "balance": account.balance if account else None,
            "currency": CURRENCY,
            "entries": entries,
            "page": invoices,
            "paid_for_others": shown,
            "paid_for_others_count": (
                paid_for_others.count() if len(shown) == PAID_FOR_OTHERS_SHOWN else len(shown)
            ),
            "timeline": build_timeline(membership),
        },
    )


@org_member_required
def invoice_detail(request: HttpRequest, membership: Membership, number: str) -> HttpResponse:
    _require_billing(membership)
    org = membership.organization
    invoice = get_object_or_404(Invoice.objects.for_org(org), number=number)
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "membership": membership,
            "org": org,
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
        },
    )
