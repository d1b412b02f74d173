"""Automatic renewals and the prepaid balance (billing/renewals.py).

A product with automatic renewal that reaches its expiry date is renewed by the hourly sweep when
its payer's balance covers the price: new expiry, a paid invoice, a debit, emails. When the
balance is short, nothing is renewed and the billing members are told once. Nothing is renewed
twice: not by a second run, a retried task, or two workers at once on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from accounts.models import User
from billing import renewals
from billing.models import (
    BalanceEntry,
    BillingAccount,
    Invoice,
    NotificationPreference,
    Product,
    Renewal,
)
from billing.renewals import add_months, do_credit_balance, do_renew_product, renew_due_products
from billing.tasks import run_billing_sweep
from core.models import AuditEvent, Notification
from core.outbox import render_email
from organizations.models import Membership, Organization, Role
from tests.factories import MembershipFactory, OrganizationFactory, ProductFactory, UserFactory

TODAY = date(2026, 3, 16)
ZURICH = ZoneInfo("Europe/Zurich")


def credit(org: Organization, amount: str) -> None:
    do_credit_balance(
        org, Decimal(amount), reason=BalanceEntry.Reason.PAYMENT, note="Bank transfer", actor=None
    )


def balance_of(org: Organization) -> Decimal:
    return BillingAccount.objects.get(organization=org).balance


def due_product(org: Organization, **fields: Any) -> Product:
    values: dict[str, Any] = {
        "organization": org,
        "name": "acme.ch",
        "auto_renew": True,
        "expires_on": TODAY,
        "price": Decimal("15.00"),
        **fields,
    }
    return ProductFactory.create(**values)


def emails(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("to", flat=True))


@pytest.fixture
def cast(alice: User, bob: User, erin: User, carol: User) -> None:
    """Acme's legal representative and administrator (billing members), a collaborator without
    accounting rights, and Studio Carol's legal representative."""


# --- The balance --------------------------------------------------------------------------------


def test_credit_balance_adds_entry_and_audits(acme: Organization, alice: User) -> None:
    do_credit_balance(
        acme, Decimal("50.00"), reason=BalanceEntry.Reason.CREDIT, note="Goodwill", actor=alice
    )
    credit(acme, "25.50")

    assert balance_of(acme) == Decimal("75.50")
    entries = BalanceEntry.objects.filter(account__organization=acme).order_by("pk")
    assert [(e.reason, e.amount, e.note) for e in entries] == [
        ("credit", Decimal("50.00"), "Goodwill"),
        ("payment", Decimal("25.50"), "Bank transfer"),
    ]
    assert entries[0].created_by == alice
    events = AuditEvent.objects.filter(organization_id=acme.pk).order_by("pk")
    assert [e.action for e in events] == ["balance.credited", "payment.recorded"]
    assert events[0].actor == alice
    assert events[0].data["amount"] == "50.00"


@pytest.mark.parametrize("amount", ["0", "-10"])
def test_credit_balance_refuses_non_positive_amount(acme: Organization, amount: str) -> None:
    with pytest.raises(ValueError, match="positive"):
        credit(acme, amount)

    assert not BalanceEntry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_credit_balance_refuses_renewal_reason(acme: Organization) -> None:
    with pytest.raises(ValueError, match="reason"):
        do_credit_balance(acme, Decimal("10"), reason="renewal", note="", actor=None)

    assert not BalanceEntry.objects.exists()


def test_account_for_creates_the_account_once(acme: Organization) -> None:
    first = renewals.account_for(acme)
    second = renewals.account_for(acme)

    assert first.pk == second.pk
    assert first.balance == Decimal("0.00")
    assert BillingAccount.objects.count() == 1


# --- Renewal with enough balance ----------------------------------------------------------------


def test_renew_with_enough_balance_extends_invoices_and_debits(
    acme: Organization, cast: None
) -> None:
    credit(acme, "100.00")
    product = due_product(acme)

    assert renew_due_products(today=TODAY) == 1

    product.refresh_from_db()
    assert product.expires_on == date(2027, 3, 16)
    invoice = Invoice.objects.get()
    assert invoice.organization == acme
    assert invoice.number == f"2026-{invoice.pk:06d}"
    assert (invoice.status, invoice.total, invoice.issued_on) == ("paid", Decimal("15.00"), TODAY)
    assert invoice.billed_to.startswith("Acme SA")
    line = invoice.lines.get()
    assert (line.product, line.amount) == (product, Decimal("15.00"))
    assert (line.period_start, line.period_end) == (TODAY, date(2027, 3, 16))
    assert "acme.ch" in line.description
    debit = BalanceEntry.objects.get(reason=BalanceEntry.Reason.RENEWAL)
    assert (debit.amount, debit.invoice) == (Decimal("-15.00"), invoice)
    assert balance_of(acme) == Decimal("85.00")
    renewal = Renewal.objects.get()
    assert (renewal.previous_expiry, renewal.new_expiry, renewal.invoice) == (
        TODAY,
        date(2027, 3, 16),
        invoice,
    )
    event = AuditEvent.objects.get(action="product.renewed")
    assert (event.organization_id, event.target_id) == (acme.pk, str(product.pk))
    # Acme's billing members (not erin, who has no accounting rights; not carol).
    assert emails("renewal_confirmed") == ["alice@example.com", "bob@example.com"]
    assert emails("invoice_issued") == ["alice@example.com", "bob@example.com"]


def test_renewal_confirmation_names_product_amount_and_invoice(
    acme: Organization, alice: User
) -> None:
    credit(acme, "100.00")
    due_product(acme, name="shop.acme.ch", price=Decimal("42.00"))

    renew_due_products(today=TODAY)

    mail = Notification.objects.get(kind="renewal_confirmed")
    number = Invoice.objects.get().number
    assert "shop.acme.ch" in mail.subject
    assert "16 March 2027" in mail.body_text
    assert "CHF 42.00" in mail.body_text
    assert "CHF 58.00" in mail.body_text  # the balance afterwards
    assert f"http://localhost:8000/orgs/acme/billing/invoices/{number}/" in mail.body_text
    assert f'href="http://localhost:8000/orgs/acme/billing/invoices/{number}/"' in mail.body_html
    issued = Notification.objects.get(kind="invoice_issued")
    assert number in issued.subject
    assert "shop.acme.ch" in issued.body_text


def test_renew_partner_pays_debits_partner_and_tells_partner(
    acme: Organization, studio_carol: Organization, cast: None
) -> None:
    credit(studio_carol, "20.00")
    credit(acme, "100.00")
    due_product(acme, name="bianchi-photo.ch", payer=studio_carol)

    assert renew_due_products(today=TODAY) == 1

    assert balance_of(studio_carol) == Decimal("5.00")
    assert balance_of(acme) == Decimal("100.00")
    assert Invoice.objects.get().organization == studio_carol
    assert emails("renewal_confirmed") == ["carol@example.com"]
    assert emails("invoice_issued") == ["carol@example.com"]


def test_renew_products_not_due_or_without_auto_renew_untouched(
    acme: Organization, alice: User
) -> None:
    credit(acme, "100.00")
    later = due_product(acme, name="later.ch", expires_on=TODAY + timedelta(days=1))
    manual = due_product(acme, name="manual.ch", auto_renew=False)

    assert renew_due_products(today=TODAY) == 0

    assert Product.objects.get(pk=later.pk).expires_on == TODAY + timedelta(days=1)
    assert Product.objects.get(pk=manual.pk).expires_on == TODAY
    assert not Invoice.objects.exists()
    assert balance_of(acme) == Decimal("100.00")


def test_renew_catches_up_a_product_past_its_date(acme: Organization, alice: User) -> None:
    """The beat was down for two days: the product is renewed from its own expiry date."""
    credit(acme, "100.00")
    product = due_product(acme, expires_on=TODAY - timedelta(days=2))

    assert renew_due_products(today=TODAY) == 1

    product.refresh_from_db()
    assert product.expires_on == date(2027, 3, 14)
    assert Invoice.objects.get().lines.get().period_start == date(2026, 3, 14)


def test_renew_without_billing_account_fails_and_creates_empty_account(
    acme: Organization, alice: User
) -> None:
    due_product(acme)

    assert renew_due_products(today=TODAY) == 0

    assert balance_of(acme) == Decimal("0.00")
    assert emails("renewal_failed") == ["alice@example.com"]


# --- Too little balance -------------------------------------------------------------------------


def test_renew_with_too_little_balance_renews_nothing_and_notifies_once(
    acme: Organization, cast: None
) -> None:
    credit(acme, "10.00")
    product = due_product(acme)

    for _run in range(3):
        assert renew_due_products(today=TODAY) == 0

    product.refresh_from_db()
    assert product.expires_on == TODAY
    assert not Invoice.objects.exists()
    assert not Renewal.objects.exists()
    assert balance_of(acme) == Decimal("10.00")
    assert not BalanceEntry.objects.filter(reason=BalanceEntry.Reason.RENEWAL).exists()
    assert AuditEvent.objects.filter(action="product.renewal_failed").count() == 1
    assert emails("renewal_failed") == ["alice@example.com", "bob@example.com"]
    mail = Notification.objects.filter(kind="renewal_failed").first()
    assert mail is not None
    assert "acme.ch" in mail.subject
    assert "CHF 15.00" in mail.body_text  # needed
    assert "CHF 10.00" in mail.body_text  # balance
    assert "CHF 5.00" in mail.body_text  # missing
    assert "http://localhost:8000/orgs/acme/billing/" in mail.body_text


def test_renew_short_balance_notice_ignores_preferences(acme: Organization, alice: User) -> None:
    NotificationPreference.objects.create(
        membership=Membership.objects.get(user=alice),
        renewal_reminders=False,
        auto_renew_reminder=False,
        renewal_confirmation=False,
        invoice_issued=False,
    )
    due_product(acme)

    renew_due_products(today=TODAY)

    assert emails("renewal_failed") == ["alice@example.com"]


def test_renew_short_balance_of_partner_tells_payer_and_managing_organization(
    acme: Organization, studio_carol: Organization, cast: None
) -> None:
    credit(acme, "100.00")  # Acme could pay, but Studio Carol is the payer
    due_product(acme, name="bianchi-photo.ch", payer=studio_carol)

    renew_due_products(today=TODAY)
    renew_due_products(today=TODAY)

    assert emails("renewal_failed") == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    to_carol = Notification.objects.get(kind="renewal_failed", to="carol@example.com")
    assert "/orgs/studio-carol/billing/" in to_carol.body_text
    to_alice = Notification.objects.get(kind="renewal_failed", to="alice@example.com")
    assert "Studio Carol pays for this product" in to_alice.body_text
    assert balance_of(acme) == Decimal("100.00")


def test_renew_person_in_both_organizations_gets_one_notice(
    acme: Organization, studio_carol: Organization, alice: User
) -> None:
    MembershipFactory.create(organization=studio_carol, user=alice, role=Role.ADMINISTRATOR)
    due_product(acme, payer=studio_carol)

    renew_due_products(today=TODAY)

    assert emails("renewal_failed") == ["alice@example.com"]


def test_renew_after_credit_renews_and_new_expiry_gets_its_own_notice(
    acme: Organization, alice: User
) -> None:
    """Short today (one notice), credit added, renewed at the next run; a year later short
    again: that expiry gets its own notice."""
    product = due_product(acme, renewal_months=1)
    renew_due_products(today=TODAY)
    credit(acme, "15.00")

    assert renew_due_products(today=TODAY) == 1
    product.refresh_from_db()
    assert product.expires_on == date(2026, 4, 16)
    assert renew_due_products(today=date(2026, 4, 16)) == 0

    assert AuditEvent.objects.filter(action="product.renewal_failed").count() == 2
    assert Notification.objects.filter(kind="renewal_failed").count() == 2


# --- Idempotence ---------------------------------------------------------------------------------


def test_renew_second_run_same_day_renews_nothing(acme: Organization, alice: User) -> None:
    credit(acme, "100.00")
    due_product(acme)
    assert renew_due_products(today=TODAY) == 1

    assert renew_due_products(today=TODAY) == 0

    assert Invoice.objects.count() == 1
    assert Renewal.objects.count() == 1
    assert balance_of(acme) == Decimal("85.00")
    assert Notification.objects.filter(kind="renewal_confirmed").count() == 1


def test_renew_retried_task_renews_nothing_twice(acme: Organization, alice: User) -> None:
    credit(acme, "100.00")
    product = due_product(acme, expires_on=date(2026, 3, 16))

    with time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=ZURICH), tick=False):
        first = run_billing_sweep.apply().get()
        retried = run_billing_sweep.apply().get()

    assert (first["renewed"], retried["renewed"]) == (1, 0)
    product.refresh_from_db()
    assert product.expires_on == date(2027, 3, 16)
    assert Invoice.objects.count() == 1
    assert balance_of(acme) == Decimal("85.00")


def test_renew_duplicate_period_refused_by_database(acme: Organization, alice: User) -> None:
    """Whatever slipped past the lock, the Renewal constraint refuses a second renewal of the
    same period: the whole renewal (invoice, debit, expiry, emails) rolls back."""
    credit(acme, "100.00")
    product = due_product(acme)
    earlier = Invoice.objects.create(
        organization=acme, number="2025-OLD", status=Invoice.Status.PAID, total=Decimal("15.00")
    )
    Renewal.objects.create(
        product=product, previous_expiry=TODAY, new_expiry=date(2027, 3, 16), invoice=earlier
    )

    outcome = do_renew_product(product.pk, today=TODAY)

    assert not outcome.renewed
    product.refresh_from_db()
    assert product.expires_on == TODAY
    assert list(Invoice.objects.values_list("number", flat=True)) == ["2025-OLD"]
    assert balance_of(acme) == Decimal("100.00")
    assert not AuditEvent.objects.filter(action="product.renewed").exists()
    assert not Notification.objects.filter(kind="renewal_confirmed").exists()


def test_renew_in_batches_renews_every_due_product(
    acme: Organization, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renewals, "BATCH_SIZE", 2)
    credit(acme, "1000.00")
    products = [due_product(acme, name=f"p{n}.ch") for n in range(5)]
    due_product(acme, name="manual.ch", auto_renew=False)

    assert renew_due_products(today=TODAY) == 5

    assert all(Product.objects.get(pk=p.pk).expires_on == date(2027, 3, 16) for p in products)
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 5
    assert balance_of(acme) == Decimal("925.00")


def test_renew_stops_when_balance_runs_out(acme: Organization, alice: User) -> None:
    credit(acme, "20.00")
    first = due_product(acme, name="first.ch")
    second = due_product(acme, name="second.ch")

    assert renew_due_products(today=TODAY) == 1

    assert Product.objects.get(pk=first.pk).expires_on == date(2027, 3, 16)
    assert Product.objects.get(pk=second.pk).expires_on == TODAY
    assert balance_of(acme) == Decimal("5.00")
    assert AuditEvent.objects.get(action="product.renewal_failed").target_id == str(second.pk)


# --- Preferences ---------------------------------------------------------------------------------


def test_renew_respects_disabled_preferences(acme: Organization, alice: User, bob: User) -> None:
    NotificationPreference.objects.create(
        membership=Membership.objects.get(user=bob),
        renewal_confirmation=False,
        invoice_issued=False,
    )
    NotificationPreference.objects.create(
        membership=Membership.objects.get(user=alice), invoice_issued=False
    )
    credit(acme, "100.00")
    due_product(acme)

    assert renew_due_products(today=TODAY) == 1

    assert emails("renewal_confirmed") == ["alice@example.com"]
    assert emails("invoice_issued") == []


def test_renew_tells_collaborator_with_accounting_rights(acme: Organization) -> None:
    accountant = UserFactory.create(email="accounting@example.com")
    MembershipFactory.create(
        organization=acme, user=accountant, role=Role.COLLABORATOR, billing_rights=True
    )
    credit(acme, "100.00")
    due_product(acme)

    renew_due_products(today=TODAY)

    assert emails("renewal_confirmed") == ["accounting@example.com"]


# --- Expiry arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 5, 10), 120, date(2036, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_renew_31_january_by_one_month_expires_28_february(acme: Organization, alice: User) -> None:
    credit(acme, "100.00")
    product = due_product(acme, expires_on=date(2026, 1, 31), renewal_months=1)

    assert renew_due_products(today=date(2026, 1, 31)) == 1

    product.refresh_from_db()
    assert product.expires_on == date(2026, 2, 28)
    line = Invoice.objects.get().lines.get()
    assert (line.period_start, line.period_end) == (date(2026, 1, 31), date(2026, 2, 28))


# --- Emails in the recipient's language ---------------------------------------------------------


def test_renewal_emails_rendered_in_recipient_language(
    acme: Organization, alice: User, bob: User
) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    credit(acme, "100.00")
    due_product(acme, name="negozio.ch")

    renew_due_products(today=TODAY)

    for kind in ("renewal_confirmed", "invoice_issued"):
        italian = Notification.objects.get(kind=kind, to="alice@example.com")
        english = Notification.objects.get(kind=kind, to="bob@example.com")
        assert (italian.language, english.language) == ("it", "en")
        assert "negozio.ch" in italian.body_text
        assert "negozio.ch" in italian.body_html


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("template", ["renewal_confirmed", "invoice_issued", "renewal_failed"])
def test_billing_email_renders_in_language(template: str, language: str) -> None:
    context = {
        "organization": "Acme SA",
        "payer": "Studio Carol",
        "product": "bianchi-photo.ch",
        "kind": "Domain name",
        "previous_expiry": date(2026, 3, 16),
        "new_expiry": date(2027, 3, 16),
        "expires_on": date(2026, 3, 16),
        "amount": Decimal("15.00"),
        "balance": Decimal("10.00"),
        "missing": Decimal("5.00"),
        "currency": "CHF",
        "invoice_number": "2026-000001",
        "invoice_total": Decimal("15.00"),
        "issued_on": date(2026, 3, 16),
        "is_payer": language == "en",
        "url": "/orgs/acme/billing/",
    }

    subject, text, html = render_email(template, context, language)

    assert "bianchi-photo.ch" in subject + text
    assert "bianchi-photo.ch" in html
    assert "http://localhost:8000/orgs/acme/billing/" in text
    assert "{{" not in text + html
    if language == "en":
        assert "2027" in text or "2026" in text


def test_renew_failed_email_in_italian_names_product(acme: Organization, alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    due_product(acme, name="negozio.ch")

    renew_due_products(today=TODAY)

    mail = Notification.objects.get(kind="renewal_failed")
    assert mail.language == "it"
    assert "negozio.ch" in mail.subject
    assert "negozio.ch" in mail.body_html


# --- Two workers at once on PostgreSQL ----------------------------------------------------------

RACE_ROUNDS = 5
RACE_PRODUCTS = 12
RACE_TIMEOUT = 60


def _race(today: date) -> tuple[list[int], list[BaseException]]:
    """Two threads (their own database connections, as two Celery workers) sweep at once."""
    barrier = threading.Barrier(2, timeout=RACE_TIMEOUT)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            counts.append(renew_due_products(today=today))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RACE_TIMEOUT)
        assert not t.is_alive(), "a sweep is stuck (deadlock?)"
    return counts, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
    "so the row locks this test proves are not exercised there",
)
def test_two_sweeps_at_once_renew_each_product_once() -> None:
    for n in range(RACE_ROUNDS):
        org = OrganizationFactory.create(name=f"Race {n}", slug=f"race-{n}")
        MembershipFactory.create(organization=org, role=Role.LEGAL_REPRESENTATIVE)
        credit(org, "1000.00")
        products = [due_product(org, name=f"race{n}-{i}.ch") for i in range(RACE_PRODUCTS)]
        # A second payer whose balance covers only one of its two products.
        short = OrganizationFactory.create(name=f"Short {n}", slug=f"short-{n}")
        MembershipFactory.create(organization=short, role=Role.LEGAL_REPRESENTATIVE)
        credit(short, "20.00")
        short_products = [due_product(short, name=f"short{n}-{i}.ch") for i in range(2)]

        counts, errors = _race(TODAY)

        assert not errors, f"round {n}: {errors!r}"
        assert sum(counts) == RACE_PRODUCTS + 1, f"round {n}: {counts}"
        for p in products:
            assert Product.objects.get(pk=p.pk).expires_on == date(2027, 3, 16), f"round {n}"
            assert Renewal.objects.filter(product=p).count() == 1, f"round {n}"
        assert balance_of(org) == Decimal("1000.00") - RACE_PRODUCTS * Decimal("15.00")
        assert Invoice.objects.filter(organization=org).count() == RACE_PRODUCTS
        assert (
            BalanceEntry.objects.filter(
                account__organization=org, reason=BalanceEntry.Reason.RENEWAL
            ).count()
            == RACE_PRODUCTS
        )
        assert (
            Notification.objects.filter(
                kind="renewal_confirmed", key__startswith="renewal-confirmed:"
            )
            .filter(recipient__memberships__organization=org)
            .count()
            == RACE_PRODUCTS
        )
        # The short payer: one renewed, the other refused once, with one notice.
        assert balance_of(short) == Decimal("5.00")
        assert sum(Product.objects.get(pk=p.pk).expires_on == TODAY for p in short_products) == 1
        assert (
            AuditEvent.objects.filter(
                action="product.renewal_failed", organization_id=short.pk
            ).count()
            == 1
        )
        assert (
            Notification.objects.filter(
                kind="renewal_failed", recipient__memberships__organization=short
            ).count()
            == 1
        )

        # And a second pair of sweeps afterwards finds nothing left to renew.
        counts, errors = _race(TODAY)
        assert not errors
        assert sum(counts) == 0, f"round {n}: {counts}"
        assert balance_of(org) == Decimal("1000.00") - RACE_PRODUCTS * Decimal("15.00")
