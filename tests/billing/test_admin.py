"""Billing in the admin: staff add credit or record a payment through a small form that calls
`do_credit_balance` (never by editing a balance); invoices, renewals, reminders and balance
entries are read-only records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from billing.models import BalanceEntry, BillingAccount, Invoice, InvoiceLine
from billing.renewals import account_for
from core.models import AuditEvent
from organizations.models import Organization
from tests.conftest import signed_in
from tests.factories import ContactFactory, ProductFactory, UserFactory

ACCOUNTS = "/admin/billing/billingaccount/"


@pytest.fixture
def superuser(db: Any) -> User:
    return UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def as_superuser(superuser: User) -> Client:
    return signed_in(superuser)


@pytest.fixture
def account(acme: Organization) -> BillingAccount:
    return account_for(acme)


def staff_with(*codenames: str) -> User:
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
    )
    return user


def credit_url(account: BillingAccount) -> str:
    return f"{ACCOUNTS}{account.pk}/credit/"


# --- Adding credit ------------------------------------------------------------------------------


def test_admin_credit_adds_to_balance_with_entry_and_audit(
    as_superuser: Client, superuser: User, account: BillingAccount, acme: Organization
) -> None:
    response = as_superuser.post(
        credit_url(account), {"amount": "150.00", "reason": "payment", "note": "Transfer 2026-17"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{ACCOUNTS}{account.pk}/change/"
    account.refresh_from_db()
    assert account.balance == Decimal("150.00")
    entry = BalanceEntry.objects.get()
    assert (entry.amount, entry.reason, entry.note, entry.created_by) == (
        Decimal("150.00"),
        "payment",
        "Transfer 2026-17",
        superuser,
    )
    event = AuditEvent.objects.get(action="payment.recorded")
    assert (event.actor, event.organization_id) == (superuser, acme.pk)


def test_admin_credit_message_shows_the_amount_with_two_decimals(
    as_superuser: Client, account: BillingAccount
) -> None:
    response = as_superuser.post(
        credit_url(account), {"amount": "1150", "reason": "payment", "note": ""}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["CHF 1,150.00 added to the balance of Acme SA."]


def test_admin_credit_granted_by_support_is_audited_as_credit(
    as_superuser: Client, account: BillingAccount
) -> None:
    as_superuser.post(credit_url(account), {"amount": "20", "reason": "credit", "note": ""})
    as_superuser.post(credit_url(account), {"amount": "5.50", "reason": "credit", "note": "x"})

    account.refresh_from_db()
    assert account.balance == Decimal("25.50")
    assert AuditEvent.objects.filter(action="balance.credited").count() == 2


def test_admin_credit_page_shows_form_and_current_balance(
    as_superuser: Client, account: BillingAccount
) -> None:
    page = as_superuser.get(credit_url(account)).content.decode()

    assert 'name="amount"' in page
    assert 'name="note"' in page
    assert "Current balance: CHF 0.00" in page  # one format: the currency first (issue 13)
    assert "csrfmiddlewaretoken" in page


@pytest.mark.parametrize("amount", ["0", "-5", "abc", ""])
def test_admin_credit_bad_amount_changes_nothing(
    as_superuser: Client, account: BillingAccount, amount: str
) -> None:
    response = as_superuser.post(
        credit_url(account), {"amount": amount, "reason": "payment", "note": "kept"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in page
    assert 'value="kept"' in page  # what was typed stays
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")
    assert not BalanceEntry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_admin_credit_refuses_renewal_as_reason(
    as_superuser: Client, account: BillingAccount
) -> None:
    response = as_superuser.post(credit_url(account), {"amount": "10", "reason": "renewal"})

    assert response.status_code == 200
    assert not BalanceEntry.objects.exists()


def test_admin_credit_needs_permission(account: BillingAccount) -> None:
    viewer = signed_in(staff_with("view_billingaccount", "change_billingaccount"))

    assert viewer.get(credit_url(account)).status_code == 403
    assert viewer.post(credit_url(account), {"amount": "10", "reason": "credit"}).status_code == 403
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


def test_admin_credit_allowed_with_add_balanceentry(account: BillingAccount) -> None:
    cashier = signed_in(staff_with("view_billingaccount", "add_balanceentry"))

    cashier.post(credit_url(account), {"amount": "10", "reason": "payment", "note": ""})

    account.refresh_from_db()
    assert account.balance == Decimal("10.00")


def test_admin_credit_not_for_customers(as_alice: Client, account: BillingAccount) -> None:
    response = as_alice.post(credit_url(account), {"amount": "1000", "reason": "credit"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


def test_admin_credit_get_changes_nothing(as_superuser: Client, account: BillingAccount) -> None:
    as_superuser.get(credit_url(account), {"amount": "10", "reason": "credit"})

    assert not BalanceEntry.objects.exists()


def test_admin_credit_unknown_account_is_404(as_superuser: Client, db: Any) -> None:
    assert as_superuser.get(f"{ACCOUNTS}999999/credit/").status_code == 404


# --- Balances are read-only ---------------------------------------------------------------------


def test_admin_balance_not_editable(as_superuser: Client, account: BillingAccount) -> None:
    page = as_superuser.get(f"{ACCOUNTS}{account.pk}/change/").content.decode()

    assert 'name="balance"' not in page
    assert f'href="{credit_url(account)}"' in page

    response = as_superuser.post(
        f"{ACCOUNTS}{account.pk}/change/",
        {
            "name": "Acme SA",
            "email": "accounting@acme.example",
            "balance": "999999",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
            "entries-MIN_NUM_FORMS": "0",
            "entries-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Acme SA"
    assert account.balance == Decimal("0.00")


def test_admin_billing_account_cannot_be_deleted(
    as_superuser: Client, account: BillingAccount
) -> None:
    assert as_superuser.get(f"{ACCOUNTS}{account.pk}/delete/").status_code == 403


def test_admin_balance_entries_read_only(as_superuser: Client, account: BillingAccount) -> None:
    as_superuser.post(credit_url(account), {"amount": "10", "reason": "credit", "note": ""})
    entry = BalanceEntry.objects.get()

    assert as_superuser.get("/admin/billing/balanceentry/").status_code == 200
    assert as_superuser.get("/admin/billing/balanceentry/add/").status_code == 403
    assert as_superuser.get(f"/admin/billing/balanceentry/{entry.pk}/delete/").status_code == 403
    page = as_superuser.get(f"/admin/billing/balanceentry/{entry.pk}/change/").content.decode()
    assert 'name="amount"' not in page


# --- Invoices and other records ----------------------------------------------------------------


def test_admin_invoice_read_only_with_lines(as_superuser: Client, acme: Organization) -> None:
    invoice = Invoice.objects.create(
        organization=acme, number="2026-000001", status=Invoice.Status.PAID, total=Decimal("15")
    )
    InvoiceLine.objects.create(invoice=invoice, description="Domain name: acme.ch", amount=15)

    page = as_superuser.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()

    assert "Domain name: acme.ch" in page
    assert 'name="total"' not in page
    assert as_superuser.get("/admin/billing/invoice/add/").status_code == 403
    assert as_superuser.get(f"/admin/billing/invoice/{invoice.pk}/delete/").status_code == 403


@pytest.mark.parametrize("model", ["renewal", "reminder", "invoice", "balanceentry"])
def test_admin_records_cannot_be_added(as_superuser: Client, model: str) -> None:
    assert as_superuser.get(f"/admin/billing/{model}/").status_code == 200
    assert as_superuser.get(f"/admin/billing/{model}/add/").status_code == 403


def test_admin_products_search_and_filters(as_superuser: Client, acme: Organization) -> None:
    ProductFactory.create(organization=acme, name="acme.ch", auto_renew=True)
    ProductFactory.create(organization=acme, name="other.ch", kind="web_hosting")

    found = as_superuser.get("/admin/billing/product/", {"q": "acme"}).content.decode()
    filtered = as_superuser.get(
        "/admin/billing/product/", {"auto_renew__exact": "1"}
    ).content.decode()
    by_kind = as_superuser.get(
        "/admin/billing/product/", {"kind__exact": "web_hosting"}
    ).content.decode()

    assert "acme.ch" in found
    assert "other.ch" not in found
    assert "acme.ch" in filtered
    assert "other.ch" not in filtered
    assert "other.ch" in by_kind
    assert "acme.ch" not in by_kind


def test_admin_product_change_uses_raw_id_for_organizations(
    as_superuser: Client, acme: Organization
) -> None:
    product = ProductFactory.create(organization=acme)

    page = as_superuser.get(f"/admin/billing/product/{product.pk}/change/").content.decode()

    assert 'class="vForeignKeyRawIdAdminField"' in page


def test_admin_contacts_search(as_superuser: Client, acme: Organization) -> None:
    ContactFactory.create(
        organization=acme, name="Marco Bianchi", email="marco@bianchi-photo.example"
    )
    ContactFactory.create(organization=acme, name="Someone Else")

    page = as_superuser.get("/admin/billing/contact/", {"q": "bianchi"}).content.decode()

    assert "Marco Bianchi" in page
    assert "Someone Else" not in page


def test_admin_billing_not_for_customers(as_alice: Client, account: BillingAccount) -> None:
    response = as_alice.get(ACCOUNTS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
