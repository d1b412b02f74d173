"""The billing page and the invoice pages: what a billing member sees, and who may not see it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import User
from billing.models import BalanceEntry, BillingAccount, Invoice, InvoiceLine
from billing.renewals import do_credit_balance, renew_due_products
from organizations.models import Organization, Role
from tests.conftest import signed_in
from tests.factories import MembershipFactory, ProductFactory, UserFactory

OVERVIEW = "/orgs/acme/billing/"


@pytest.fixture(autouse=True)
def _static_root_exists(settings: Settings) -> None:
    # WhiteNoise warns when the static folder does not exist yet (no collectstatic in tests).
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def make_invoice(org: Organization, number: str, **fields: Any) -> Invoice:
    invoice = Invoice.objects.create(
        organization=org,
        number=number,
        status=fields.pop("status", Invoice.Status.PAID),
        total=fields.pop("total", Decimal("120.00")),
        billed_to=fields.pop("billed_to", "Acme SA\nRue du Lac 1\n1003 Lausanne\nCH"),
        **fields,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        description="Web hosting: acme.ch",
        period_start=date(2026, 3, 16),
        period_end=date(2027, 3, 16),
        amount=invoice.total,
    )
    return invoice


def invoice_url(number: str, slug: str = "acme") -> str:
    return f"/orgs/{slug}/billing/invoices/{number}/"


# --- The billing page ---------------------------------------------------------------------------


def test_overview_shows_balance_movements_and_invoices(
    as_alice: Client, acme: Organization, alice: User
) -> None:
    do_credit_balance(
        acme,
        Decimal("200.00"),
        reason=BalanceEntry.Reason.PAYMENT,
        note="Bank transfer",
        actor=None,
    )
    ProductFactory.create(
        organization=acme, name="acme.ch", auto_renew=True, price=Decimal("15.00")
    )
    make_invoice(acme, "2026-000007")

    response = as_alice.get(OVERVIEW)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert "CHF 200.00" in page
    assert "Payment received · Bank transfer" in page
    assert f'href="{invoice_url("2026-000007")}"' in page
    assert "CHF 120.00" in page
    assert 'class="badge badge--ok">Paid' in page
    assert 'href="/orgs/acme/billing/settings/"' in page
    assert 'href="/orgs/acme/billing/details/"' in page
    assert "Renewal timeline" in page


def test_overview_after_renewal_links_debit_to_invoice(
    as_alice: Client, acme: Organization, alice: User
) -> None:
    do_credit_balance(acme, Decimal("100"), reason=BalanceEntry.Reason.CREDIT, note="", actor=None)
    ProductFactory.create(
        organization=acme, auto_renew=True, expires_on=timezone.localdate(), price=Decimal("15")
    )
    renew_due_products()
    number = Invoice.objects.get().number

    page = as_alice.get(OVERVIEW).content.decode()

    assert "CHF 85.00" in page
    assert "CHF -15.00" in page
    assert f"Invoice {number}" in page


def test_overview_without_account_shows_zero_and_creates_nothing(
    as_alice: Client, acme: Organization
) -> None:
    response = as_alice.get(OVERVIEW)

    page = response.content.decode()
    assert response.status_code == 200
    assert "CHF 0.00" in page
    assert "No balance movements yet." in page
    assert "No invoices yet" in page
    assert not BillingAccount.objects.exists()


def test_overview_lists_products_paid_for_other_organizations(
    carol: User, acme: Organization, studio_carol: Organization
) -> None:
    ProductFactory.create(organization=acme, name="bianchi-photo.ch", payer=studio_carol)
    ProductFactory.create(organization=acme, name="acme.ch")  # Acme pays: not Studio Carol's

    page = signed_in(carol).get("/orgs/studio-carol/billing/").content.decode()

    assert "You pay for these products of other organizations" in page
    assert "Paying for a product does not make you its owner" in page
    assert "bianchi-photo.ch" in page
    assert "Acme SA" in page
    assert "acme.ch<" not in page


def test_overview_hides_paid_for_others_section_when_none(
    as_alice: Client, acme: Organization
) -> None:
    page = as_alice.get(OVERVIEW).content.decode()

    assert "You pay for these products of other organizations" not in page


def test_overview_paginates_invoices_by_twenty(as_alice: Client, acme: Organization) -> None:
    for n in range(25):
        make_invoice(acme, f"2026-{n:06d}", issued_on=date(2026, 1, 1) + timedelta(days=n))

    first = as_alice.get(OVERVIEW).content.decode()
    second = as_alice.get(OVERVIEW, {"page": 2}).content.decode()

    assert first.count('href="/orgs/acme/billing/invoices/') == 20
    assert "2026-000024" in first  # newest first
    assert "Page 1 of 2" in first
    assert second.count('href="/orgs/acme/billing/invoices/') == 5
    assert "2026-000000" in second


def test_overview_shows_only_this_organizations_invoices(
    as_alice: Client, acme: Organization, studio_carol: Organization
) -> None:
    make_invoice(acme, "2026-000001")
    make_invoice(studio_carol, "2026-000002")

    page = as_alice.get(OVERVIEW).content.decode()

    assert "2026-000001" in page
    assert "2026-000002" not in page


def test_overview_outsider_gets_404(as_dave: Client, acme: Organization) -> None:
    assert as_dave.get(OVERVIEW).status_code == 404


def test_overview_collaborator_without_accounting_gets_403(
    as_erin: Client, acme: Organization
) -> None:
    assert as_erin.get(OVERVIEW).status_code == 403


def test_overview_collaborator_with_accounting_rights_allowed(acme: Organization) -> None:
    accountant = UserFactory.create()
    MembershipFactory.create(
        organization=acme, user=accountant, role=Role.COLLABORATOR, billing_rights=True
    )

    assert signed_in(accountant).get(OVERVIEW).status_code == 200


def test_overview_external_gets_403(acme: Organization) -> None:
    external = UserFactory.create()
    MembershipFactory.create(organization=acme, user=external, role=Role.EXTERNAL)

    assert signed_in(external).get(OVERVIEW).status_code == 403


def test_overview_anonymous_redirected_to_sign_in(client: Client, acme: Organization) -> None:
    response = client.get(OVERVIEW)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- An invoice ---------------------------------------------------------------------------------


def test_invoice_detail_shows_number_dates_lines_total_status(
    as_alice: Client, acme: Organization
) -> None:
    make_invoice(acme, "2026-000042", issued_on=date(2026, 3, 16))

    response = as_alice.get(invoice_url("2026-000042"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert "Invoice 2026-000042" in page
    assert "16 March 2026" in page
    assert "Acme SA<br>Rue du Lac 1<br>1003 Lausanne<br>CH" in page
    assert "Web hosting: acme.ch" in page
    assert "16 March 2026 to 16 March 2027" in page
    assert "CHF 120.00" in page
    assert "Paid" in page
    # Print: a button revealed by a script file (no inline handler under the CSP), and the hint.
    assert "data-print hidden" in page
    assert "/static/portal/print.js" in page
    assert "onclick" not in page
    assert "use your browser's Print command" in page


def test_invoice_detail_in_italian_renders(acme: Organization, alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    make_invoice(acme, "2026-000042")

    response = signed_in(alice).get(invoice_url("2026-000042"))

    assert response.status_code == 200
    assert '<html lang="it">' in response.content.decode()


def test_invoice_of_another_organization_is_404(
    as_alice: Client, acme: Organization, studio_carol: Organization
) -> None:
    make_invoice(studio_carol, "2026-000099")

    assert as_alice.get(invoice_url("2026-000099")).status_code == 404


def test_invoice_unknown_number_is_404(as_alice: Client, acme: Organization) -> None:
    assert as_alice.get(invoice_url("2026-999999")).status_code == 404


def test_invoice_outsider_gets_404(as_dave: Client, acme: Organization) -> None:
    make_invoice(acme, "2026-000042")

    assert as_dave.get(invoice_url("2026-000042")).status_code == 404


def test_invoice_collaborator_without_accounting_gets_403(
    as_erin: Client, acme: Organization
) -> None:
    make_invoice(acme, "2026-000042")

    assert as_erin.get(invoice_url("2026-000042")).status_code == 403


def test_invoice_of_partner_seen_by_partner_only(
    carol: User, alice: User, acme: Organization, studio_carol: Organization
) -> None:
    """Studio Carol pays for an Acme product: the invoice is Studio Carol's."""
    make_invoice(studio_carol, "2026-000050")

    assert signed_in(carol).get(invoice_url("2026-000050", "studio-carol")).status_code == 200
    assert signed_in(alice).get(invoice_url("2026-000050", "acme")).status_code == 404
    assert signed_in(alice).get(invoice_url("2026-000050", "studio-carol")).status_code == 404


def test_billing_css_prints_invoice_without_navigation() -> None:
    css = (Path(settings.BASE_DIR) / "core/static/portal/billing.css").read_text()
    print_rules = css.split("@media print", 1)[1]

    for selector in (".topbar", ".sidenav", ".footer", ".no-print"):
        assert selector in print_rules
    assert "color: #000" in print_rules
