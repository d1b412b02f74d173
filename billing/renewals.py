"""The prepaid balance and the automatic renewals (issue 5).

Every change to a balance goes through `do_credit_balance` (credit added or payment recorded by
staff in the admin) or `do_renew_product` (a renewal debited by the hourly sweep). Both lock the
payer's `BillingAccount` row first, so a credit and a debit at the same moment never lose one
another, and both write the `BalanceEntry` and move the balance with `F()` in the same
transaction: the balance is always the sum of its entries.

Renewals are idempotent by construction (ARCHITECTURE.md rule 5; tasks are thin and re-runnable):
- the sweep claims each product with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so a
  second worker skips what the first one is renewing instead of waiting for it and renewing it
  again; SQLite serialises writers anyway (`transaction_mode=IMMEDIATE`);
- under the lock it re-reads the product: once renewed, its expiry lies in the future and a
  second run, a retried task or the other worker finds nothing to do;
- the `Renewal` row's unique constraint (product, previous expiry) is the last line of defence:
  a duplicate fails with IntegrityError, the whole transaction (invoice, debit, new expiry) rolls
  back, and nothing is renewed twice;
- the emails have unique outbox keys, so a notice goes out once per product and expiry.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from billing.audit_actions import BillingAction
from billing.models import (
    CURRENCY,
    BalanceEntry,
    BillingAccount,
    Invoice,
    InvoiceLine,
    Product,
    Renewal,
)
from billing.recipients import billing_members, choices_of
from core.audit import record_event
from core.models import AuditEvent
from core.outbox import send_email
from organizations.models import Membership, Organization

logger = logging.getLogger(__name__)

# Products looked at per batch of the sweep: the ids of one batch are all it keeps in memory.
BATCH_SIZE = 500


# --- The balance --------------------------------------------------------------------------------


def account_for(organization: Organization) -> BillingAccount:
    """The organization's billing account, created empty the first time it is needed (a credit,
    a renewal). Concurrent first calls are safe: `organization` is unique and `get_or_create`
    falls back to reading the row the other transaction created."""
    account, _created = BillingAccount.objects.get_or_create(organization=organization)
    return account


def _locked_account(organization: Organization) -> BillingAccount:
    """The account, locked until the end of the transaction (a no-op on SQLite)."""
    account = account_for(organization)
    return BillingAccount.objects.select_for_update().get(pk=account.pk)


# The credit reasons and the audit action each one writes.
CREDIT_REASONS: dict[str, BillingAction] = {
    BalanceEntry.Reason.CREDIT: BillingAction.BALANCE_CREDITED,
    BalanceEntry.Reason.PAYMENT: BillingAction.PAYMENT_RECORDED,
}


def do_credit_balance(
    organization: Organization,
    amount: Decimal,
    *,
    reason: str,
    note: str = "",
    actor: Any,
) -> BalanceEntry:
    """Add `amount` to the organization's prepaid balance: a credit granted by support or a
    payment received. Staff never edit a balance directly: this writes the entry, moves the
    balance and the audit event together, under the account's row lock."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ValueError("A credit must be a positive amount.")
    if reason not in CREDIT_REASONS:
        raise ValueError(f"Not a credit reason: {reason!r}.")
    with transaction.atomic():
        account = _locked_account(organization)
        entry = BalanceEntry.objects.create(
            account=account,
            amount=amount,
            reason=reason,
            note=note.strip()[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        BillingAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
        record_event(
            CREDIT_REASONS[reason],
            actor=actor,
            target=account,
            organization_id=organization.pk,
            data={"amount": str(amount), "balance": str(account.balance + amount), "note": note},
        )
    return entry


# --- Renewals -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, the day clamped to the end of a shorter month
    (31 January + 1 month = 28 or 29 February), as dateutil's relativedelta does. (dateutil is
    only here as a dependency of Celery, without type hints: these lines do not need it.)"""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class RenewalOutcome:
    """What `do_renew_product` did, for the sweep's count and the tests."""

    renewed: bool
    renewal: Renewal | None = None
    failed: bool = False  # the balance was short (the notice is sent once per expiry)


NOTHING = RenewalOutcome(renewed=False)


def renew_due_products(today: date | None = None) -> int:
    """Renew every auto-renew product whose expiry date is today or already past (the beat runs
    hourly; a beat that was down catches up). Returns how many were renewed.

    Keyset batches by primary key: each batch reads at most BATCH_SIZE ids, so memory stays flat
    whatever the number of products, and each product is renewed in its own short transaction
    (a failure, or another worker holding it, affects that product only). A product is looked
    at once per run, so one that is several periods behind catches up one period per run."""
    today = today or timezone.localdate()
    renewed = 0
    last_pk = 0
    while True:
        batch = list(
            Product.objects.filter(auto_renew=True, expires_on__lte=today, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            return renewed
        for product_id in batch:
            if do_renew_product(product_id, today=today).renewed:
                renewed += 1
        last_pk = batch[-1]


def _claim(product_id: int) -> Product | None:
    """Lock the product's row for this transaction, or None when another worker holds it (it is
    renewing it right now) or it is gone. On SQLite there is no row lock: the IMMEDIATE
    transaction already excludes every other writer."""
    return Product.objects.select_for_update(skip_locked=True).filter(pk=product_id).first()


def do_renew_product(product_id: int, *, today: date) -> RenewalOutcome:
    """Renew one product if it is still due and set to renew automatically, debiting its payer's
    balance; if the balance is short, renew nothing and tell the billing members once.

    One transaction: the invoice, the debit, the new expiry, the `Renewal` row, the audit event
    and the emails exist together or not at all."""
    try:
        with transaction.atomic():
            product = _claim(product_id)
            if product is None or not product.auto_renew or product.expires_on > today:
                return NOTHING
            payer = Organization.objects.get(pk=product.payer_id)
            account = _locked_account(payer)
            if account.balance < product.price:
                _report_short_balance(product, payer, account)
                return RenewalOutcome(renewed=False, failed=True)
            renewal = _renew(product, payer, account, today=today)
    except IntegrityError:
        # The Renewal constraint (or an invoice number) says this period was renewed already by
        # someone else: everything above rolled back, nothing is renewed twice.
        logger.warning(
            "Renewal of product %s refused by the database: already renewed.", product_id
        )
        return NOTHING
    return RenewalOutcome(renewed=True, renewal=renewal)


def _renew(
    product: Product, payer: Organization, account: BillingAccount, *, today: date
) -> Renewal:
    """The renewal proper; called with the product and the account locked."""
    previous_expiry = product.expires_on
    new_expiry = add_months(previous_expiry, product.renewal_months)
    invoice = _issue_invoice(product, payer, account, previous_expiry, new_expiry, today=today)
    BalanceEntry.objects.create(
        account=account,
        amount=-product.price,
        reason=BalanceEntry.Reason.RENEWAL,
        note=product.name[:200],
        invoice=invoice,
    )
    BillingAccount.objects.filter(pk=account.pk).update(balance=F("balance") - product.price)
    balance_after = account.balance - product.price
    product.expires_on = new_expiry
    product.save(update_fields=["expires_on"])
    # Last line of defence: a second renewal of the same period fails here (IntegrityError) and
    # takes the whole transaction with it.
    renewal = Renewal.objects.create(
        product=product, previous_expiry=previous_expiry, new_expiry=new_expiry, invoice=invoice
    )
    record_event(
        BillingAction.PRODUCT_RENEWED,
        actor=None,
        target=product,
        organization_id=payer.pk,
        data={
            "previous_expiry": previous_expiry.isoformat(),
            "new_expiry": new_expiry.isoformat(),
            "invoice": invoice.number,
            "amount": str(product.price),
            "managing_organization_id": product.organization_id,
        },
    )
    _notify_renewed(product, payer, invoice, renewal, balance_after)
    return renewal


def _billed_to(payer: Organization, account: BillingAccount) -> str:
    """The billing details as they are today, copied onto the invoice (it never changes)."""
    if account.name or account.address:
        lines = [
            account.name or payer.name,
            account.address,
            f"{account.postal_code} {account.city}".strip(),
            account.country,
            account.vat_number and f"VAT {account.vat_number}",
            account.email,
        ]
    else:
        lines = [
            payer.name,
            payer.address,
            f"{payer.postal_code} {payer.city}".strip(),
            payer.country,
            payer.email,
        ]
    return "\n".join(line for line in lines if line)


def _issue_invoice(
    product: Product,
    payer: Organization,
    account: BillingAccount,
    period_start: date,
    period_end: date,
    *,
    today: date,
) -> Invoice:
    """A paid invoice (the amount was debited from the prepaid balance) with one line.

    The number is `<year>-<invoice id>`, e.g. 2026-000123. It is unique under any concurrency
    because the id comes from the database's sequence, which never hands the same value to two
    transactions; the row is first written with a random placeholder (the id is only known
    after the insert) and renamed in the same transaction, so no one ever sees the placeholder.
    Numbers are increasing but not gapless (a rolled-back renewal consumes an id)."""
    invoice = Invoice.objects.create(
        organization=payer,
        number=f"new-{secrets.token_hex(8)}",
        issued_on=today,
        status=Invoice.Status.PAID,
        total=product.price,
        billed_to=_billed_to(payer, account),
    )
    invoice.number = f"{today.year}-{invoice.pk:06d}"
    invoice.save(update_fields=["number"])
    # The invoice is a document kept as issued: its text in the portal's default language.
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(product.get_kind_display())
    InvoiceLine.objects.create(
        invoice=invoice,
        product=product,
        description=f"{kind}: {product.name}"[:300],
        period_start=period_start,
        period_end=period_end,
        amount=product.price,
    )
    return invoice


def _notify_renewed(
    product: Product,
    payer: Organization,
    invoice: Invoice,
    renewal: Renewal,
    balance_after: Decimal,
) -> None:
    """The renewal confirmation and the invoice notice, to the payer's billing members who want
    them (block 2 of the preferences). Keys per renewal / invoice and person: sent once."""
    invoice_url = reverse("billing:invoice-detail", args=[payer.slug, invoice.number])
    context = {
        "organization": payer.name,
        "product": product.name,
        "kind": product.get_kind_display(),
        "previous_expiry": renewal.previous_expiry,
        "new_expiry": renewal.new_expiry,
        "amount": product.price,
        "currency": invoice.currency,
        "balance": balance_after,
        "invoice_number": invoice.number,
        "invoice_total": invoice.total,
        "issued_on": invoice.issued_on,
        "url": invoice_url,
        "billing_url": reverse("billing:overview", args=[payer.slug]),
    }
    for member in billing_members([payer.pk]):
        choices = choices_of(member)
        if choices.renewal_confirmation:
            send_email(
                "renewal_confirmed",
                to_user=member.user,
                key=f"renewal-confirmed:{renewal.pk}:{member.user_id}",
                context=context,
            )
        if choices.invoice_issued:
            send_email(
                "invoice_issued",
                to_user=member.user,
                key=f"invoice-issued:{invoice.pk}:{member.user_id}",
                context=context,
            )


def _report_short_balance(product: Product, payer: Organization, account: BillingAccount) -> None:
    """The balance cannot pay the renewal: one audit event and one email per person for this
    product and expiry, however many hourly runs find it still short (the audit event marks
    that the notice went; the outbox keys make it once per person even without it). Always sent,
    not a preference: the product is about to lapse. Called with the product row locked, so the
    check-then-write below cannot race with another worker."""
    expiry = product.expires_on.isoformat()
    already = AuditEvent.objects.filter(
        action=BillingAction.PRODUCT_RENEWAL_FAILED,
        organization_id=payer.pk,
        target_type=Product._meta.label_lower,
        target_id=str(product.pk),
        data__expires_on=expiry,
    ).exists()
    if already:
        return
    record_event(
        BillingAction.PRODUCT_RENEWAL_FAILED,
        actor=None,
        target=product,
        organization_id=payer.pk,
        data={
            "expires_on": expiry,
            "price": str(product.price),
            "balance": str(account.balance),
            "managing_organization_id": product.organization_id,
        },
    )
    managing = Organization.objects.only("slug", "name").get(pk=product.organization_id)
    context = {
        "product": product.name,
        "expires_on": product.expires_on,
        "amount": product.price,
        "balance": account.balance,
        "missing": product.price - account.balance,
        "currency": CURRENCY,
        "payer": payer.name,
        "organization": managing.name,
    }
    seen: set[int] = set()
    # The payer's members first: they can add credit, so their link goes to the billing page.
    members: list[Membership] = billing_members([payer.pk, managing.pk])
    members.sort(key=lambda m: m.organization_id != payer.pk)
    for member in members:
        if member.user_id in seen:
            continue
        seen.add(member.user_id)
        is_payer = member.organization_id == payer.pk
        url = (
            reverse("billing:overview", args=[payer.slug])
            if is_payer
            else reverse("billing:product-detail", args=[managing.slug, product.pk])
        )
        send_email(
            "renewal_failed",
            to_user=member.user,
            key=f"renewal-failed:{product.pk}:{expiry}:{member.user_id}",
            context={**context, "is_payer": is_payer, "url": url},
        )
