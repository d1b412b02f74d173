""" "Verify your contact details", owner contacts and billing details: what does not match is
flagged with an edit link, an outsider gets 404 and a lower role 403, bad input keeps what was
typed with the error next to the field, and reading a page changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing import services
from billing.models import BillingAccount, Contact, Product, ProductKind
from core.models import AuditEvent
from organizations.models import Organization, Role
from tests.conftest import ClientResponse, signed_in
from tests.factories import ContactFactory, ProductFactory
from tests.organizations.helpers import add_member

VERIFY = reverse("billing:contact-verify", args=["acme"])
DETAILS = reverse("billing:details-edit", args=["acme"])

FULL_ADDRESS = {
    "address": "Via Roma 1",
    "postal_code": "6900",
    "city": "Lugano",
    "country": "CH",
    "email": "info@acme.example",
}


def _main(response: ClientResponse) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def _state() -> dict[str, Any]:
    return {
        "contacts": list(Contact.objects.order_by("pk").values()),
        "accounts": list(BillingAccount.objects.order_by("pk").values()),
        "orgs": list(Organization.objects.order_by("pk").values()),
        "events": AuditEvent.objects.count(),
    }


def _contact_url(contact: Contact, slug: str = "acme") -> str:
    return reverse("billing:contact-edit", args=[slug, contact.pk])


@pytest.fixture
def acme_company(acme: Organization) -> Contact:
    return ContactFactory.create(
        organization=acme, kind=Contact.Kind.COMPANY, name="Anna Acme", company="ACME SA "
    )


@pytest.fixture
def outsider_contact(acme: Organization) -> Contact:
    return ContactFactory.create(organization=acme, name="Paolo Rossi", email="paolo@example.com")


@pytest.fixture
def acme_domain(acme: Organization, acme_company: Contact) -> Product:
    return ProductFactory.create(organization=acme, owner=acme_company, name="acme.ch")


@pytest.fixture
def family_domain(
    acme: Organization, studio_carol: Organization, outsider_contact: Contact
) -> Product:
    """Owned by a person outside Acme, paid by the partner Studio Carol."""
    return ProductFactory.create(
        organization=acme, owner=outsider_contact, payer=studio_carol, name="rossi-family.ch"
    )


@pytest.fixture
def accountant(acme: Organization) -> User:
    return add_member(acme, Role.COLLABORATOR, email="fiona@example.com", billing_rights=True).user


@pytest.fixture
def complete_acme(acme: Organization) -> Organization:
    """Acme with its address and complete billing details."""
    Organization.objects.filter(pk=acme.pk).update(**FULL_ADDRESS)
    BillingAccount.objects.create(organization=acme, name="Acme SA", **FULL_ADDRESS)
    acme.refresh_from_db()
    return acme


# --- Verify your contact details ----------------------------------------------------------------


def test_verify_outsider_gets_404(as_dave: Client, acme: Organization) -> None:
    assert as_dave.get(VERIFY).status_code == 404


def test_verify_collaborator_without_rights_gets_403(as_erin: Client) -> None:
    assert as_erin.get(VERIFY).status_code == 403


def test_verify_lists_each_block_with_edit_links(
    as_alice: Client, acme: Organization, acme_domain: Product
) -> None:
    page = _main(as_alice.get(VERIFY))
    assert "<h1>Verify your contact details</h1>" in page
    for title in ("Your profile", "The organization", "Billing details", "Owners of your domains"):
        assert title in page
    assert "Alice Rossi" in page
    assert "alice@example.com" in page
    assert reverse("accounts:profile") in page
    assert reverse("organizations:settings", args=["acme"]) in page
    assert DETAILS in page
    assert f"{_contact_url(acme_domain.owner)}?next=" in page


def test_verify_flags_missing_organization_and_billing_details(
    as_alice: Client, acme: Organization
) -> None:
    page = _main(as_alice.get(VERIFY))
    # Organization: address, postal code, city, country, email; billing: name, email, address,
    # postal code, city, country.
    assert "11 things to check" in page
    assert page.count('<span class="badge badge--warn">Missing</span>') == 11


def test_verify_get_does_not_create_billing_account(as_alice: Client, acme: Organization) -> None:
    before = _state()
    assert as_alice.get(VERIFY).status_code == 200
    assert not BillingAccount.objects.exists()
    assert _state() == before


def test_verify_everything_matches(
    as_alice: Client, complete_acme: Organization, acme_domain: Product
) -> None:
    page = _main(as_alice.get(VERIFY))
    assert "Everything matches" in page
    assert "to check" not in page
    assert "Matches" in page  # acme.ch: owned by "ACME SA " (case and spaces do not matter)


def test_verify_flags_domain_owned_outside(
    as_alice: Client, complete_acme: Organization, family_domain: Product, acme_domain: Product
) -> None:
    page = _main(as_alice.get(VERIFY))
    assert "1 thing to check" in page
    assert "The owner is neither Acme SA nor one of its members." in page
    # Problems first.
    assert page.index("rossi-family.ch") < page.index(">acme.ch<")


def test_verify_flags_incomplete_domain_owner(
    as_alice: Client, alice: User, complete_acme: Organization
) -> None:
    mine = ContactFactory.create(
        organization=complete_acme, name="Alice", user=alice, city="", address=""
    )
    ProductFactory.create(organization=complete_acme, owner=mine, name="alice.ch")
    page = _main(as_alice.get(VERIFY))
    assert "Owner&#39;s details incomplete: address, city." in page  # escaped by markupsafe
    assert "neither" not in page  # alice is a member: owned inside
    assert "1 thing to check" in page


def test_verify_flags_unverified_email_and_missing_name(
    alice: User, complete_acme: Organization
) -> None:
    User.objects.filter(pk=alice.pk).update(email_verified_at=None, first_name="", last_name="")
    page = _main(signed_in(alice).get(VERIFY))
    assert "Not verified" in page
    assert "2 things to check" in page


def test_verify_collaborator_with_accounting_sees_only_given_domains(
    accountant: User, complete_acme: Organization, family_domain: Product, acme_domain: Product
) -> None:
    acme_domain.assignees.add(accountant)
    page = _main(signed_in(accountant).get(VERIFY))
    assert ">acme.ch<" in page
    assert "rossi-family.ch" not in page
    assert "Everything matches" in page
    # May edit billing details, not the organization nor the owners.
    assert DETAILS in page
    assert reverse("organizations:settings", args=["acme"]) not in page
    assert reverse("billing:contact-edit", args=["acme", acme_domain.owner_id]) not in page


def _bulk_domains(org: Organization, owner: Contact, count: int, start: int = 0) -> None:
    Product.objects.bulk_create(
        Product(
            organization=org,
            owner=owner,
            payer=org,
            kind=ProductKind.DOMAIN,
            name=f"d{n:04}.ch",
            expires_on=timezone.localdate() + timedelta(days=30),
            price=Decimal("15.00"),
        )
        for n in range(start, start + count)
    )


def test_verify_same_queries_whatever_the_number_of_domains(
    as_alice: Client,
    alice: User,
    complete_acme: Organization,
    outsider_contact: Contact,
    django_assert_num_queries: Any,
) -> None:
    member = ContactFactory.create(organization=complete_acme, user=alice)
    _bulk_domains(complete_acme, outsider_contact, 2)
    _bulk_domains(complete_acme, member, 2, start=2)
    as_alice.get(VERIFY)
    with CaptureQueriesContext(connection) as few:
        assert "2 things to check" in _main(as_alice.get(VERIFY))
    _bulk_domains(complete_acme, outsider_contact, 40, start=4)
    _bulk_domains(complete_acme, member, 40, start=44)
    with django_assert_num_queries(len(few.captured_queries)):
        page = _main(as_alice.get(VERIFY))
    assert "42 things to check" in page
    assert "Page 1 of 4" in page
    assert "?page=2" in page


# --- Owner contacts -----------------------------------------------------------------------------


def _contact_data(**changes: str) -> dict[str, str]:
    data = {
        "kind": "person",
        "name": "Paolo Rossi",
        "company": "",
        "email": "paolo@example.com",
        "phone": "+41 91 000 00 00",
        "address": "Via Nassa 5",
        "postal_code": "6900",
        "city": "Lugano",
        "country": "ch",
    }
    data.update(changes)
    return data


def test_contact_edit_outsider_gets_404(as_dave: Client, outsider_contact: Contact) -> None:
    before = _state()
    assert as_dave.get(_contact_url(outsider_contact)).status_code == 404
    assert as_dave.post(_contact_url(outsider_contact), _contact_data()).status_code == 404
    assert _state() == before


def test_contact_of_another_organization_gets_404(as_alice: Client, dave: User) -> None:
    keller = Organization.objects.get(slug="keller")
    theirs = ContactFactory.create(organization=keller)
    before = _state()
    assert as_alice.get(_contact_url(theirs)).status_code == 404
    assert as_alice.post(_contact_url(theirs), _contact_data()).status_code == 404
    assert _state() == before


@pytest.mark.parametrize("who", ["erin", "accountant"])
def test_contact_edit_lower_role_gets_403(
    erin: User, accountant: User, outsider_contact: Contact, who: str
) -> None:
    client = signed_in({"erin": erin, "accountant": accountant}[who])
    before = _state()
    assert client.get(_contact_url(outsider_contact)).status_code == 403
    assert client.post(_contact_url(outsider_contact), _contact_data()).status_code == 403
    assert _state() == before


def test_contact_edit_saves_and_returns_to_verify_page(
    as_bob: Client, acme: Organization, outsider_contact: Contact, family_domain: Product
) -> None:
    page = _main(as_bob.get(_contact_url(outsider_contact), {"next": VERIFY}))
    assert "rossi-family.ch" in page
    assert f'name="next" value="{VERIFY}"' in page
    response = as_bob.post(_contact_url(outsider_contact), {**_contact_data(), "next": VERIFY})
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    outsider_contact.refresh_from_db()
    assert outsider_contact.city == "Lugano"
    assert outsider_contact.country == "CH"
    event = AuditEvent.objects.get(action="contact.updated")
    assert event.organization_id == acme.pk
    assert "city" in event.data["fields"]
    assert "The contact details of Paolo Rossi are saved." in _main(as_bob.get(VERIFY))


def test_contact_edit_unsafe_next_goes_to_verify_page(
    as_alice: Client, outsider_contact: Contact
) -> None:
    response = as_alice.post(
        _contact_url(outsider_contact), {**_contact_data(), "next": "https://evil.example/"}
    )
    assert response["Location"] == VERIFY
    page = _main(as_alice.get(_contact_url(outsider_contact), {"next": "javascript:alert(1)"}))
    assert "javascript:" not in page


def test_contact_edit_bad_input_keeps_what_was_typed(
    as_alice: Client, outsider_contact: Contact
) -> None:
    before = _state()
    response = as_alice.post(
        _contact_url(outsider_contact),
        _contact_data(email="not-an-email", country="C1", city="Bellinzona"),
    )
    assert response.status_code == 200
    page = _main(response)
    assert "There is a problem" in page
    assert 'id="id_email_error"' in page
    assert 'id="id_country_error"' in page
    assert "Enter the two-letter country code, for example CH." in page
    assert 'value="not-an-email"' in page
    assert 'value="Bellinzona"' in page
    assert _state() == before


def test_contact_edit_company_without_name_is_refused(
    as_alice: Client, outsider_contact: Contact
) -> None:
    response = as_alice.post(_contact_url(outsider_contact), _contact_data(kind="company"))
    assert 'id="id_company_error"' in _main(response)
    outsider_contact.refresh_from_db()
    assert outsider_contact.kind == Contact.Kind.PERSON


def test_contact_made_the_organization_clears_the_warning(
    as_alice: Client, complete_acme: Organization, outsider_contact: Contact, family_domain: Product
) -> None:
    as_alice.post(_contact_url(outsider_contact), _contact_data(kind="company", company="Acme SA"))
    page = _main(as_alice.get(VERIFY))
    assert "Everything matches" in page


# --- Billing details ----------------------------------------------------------------------------


def _details(**changes: str) -> dict[str, str]:
    data = {
        "name": "Acme SA",
        "email": "billing@acme.example",
        "address": "Via Roma 1",
        "postal_code": "6900",
        "city": "Lugano",
        "country": "CH",
        "vat_number": "CHE-123.456.789",
    }
    data.update(changes)
    return data


def test_billing_details_outsider_gets_404(as_dave: Client, acme: Organization) -> None:
    assert as_dave.post(DETAILS, _details()).status_code == 404
    assert not BillingAccount.objects.exists()


def test_billing_details_lower_role_gets_403(as_erin: Client) -> None:
    assert as_erin.get(DETAILS).status_code == 403
    assert as_erin.post(DETAILS, _details()).status_code == 403
    assert not BillingAccount.objects.exists()


def test_billing_details_get_creates_nothing(as_alice: Client) -> None:
    page = _main(as_alice.get(DETAILS))
    assert "<h1>Billing details</h1>" in page
    assert not BillingAccount.objects.exists()


def test_billing_details_first_save_creates_the_account(
    accountant: User, acme: Organization
) -> None:
    client = signed_in(accountant)
    response = client.post(DETAILS, {**_details(), "next": VERIFY})
    assert response["Location"] == VERIFY
    account = BillingAccount.objects.get(organization=acme)
    assert account.vat_number == "CHE-123.456.789"
    event = AuditEvent.objects.get(action="billing_details.updated")
    assert event.organization_id == acme.pk


def test_billing_details_save_keeps_the_balance(as_alice: Client, acme: Organization) -> None:
    BillingAccount.objects.create(organization=acme, balance=Decimal("120.50"))
    response = as_alice.post(DETAILS, _details(country="it"))
    assert response.status_code == 302
    account = BillingAccount.objects.get(organization=acme)
    assert account.balance == Decimal("120.50")
    assert account.country == "IT"


def test_billing_details_bad_input_keeps_what_was_typed(
    as_alice: Client, acme: Organization
) -> None:
    before = _state()
    response = as_alice.post(DETAILS, _details(email="billing@", city="Chiasso"))
    assert response.status_code == 200
    page = _main(response)
    assert 'id="id_email_error"' in page
    assert 'value="billing@"' in page
    assert 'value="Chiasso"' in page
    assert _state() == before


def test_contact_linked_to_a_member_clears_the_warning(
    as_alice: Client,
    erin: User,
    complete_acme: Organization,
    outsider_contact: Contact,
    family_domain: Product,
) -> None:
    page = _main(as_alice.get(_contact_url(outsider_contact)))
    assert "erin@example.com" in page
    assert "dave@example.com" not in page
    response = as_alice.post(_contact_url(outsider_contact), _contact_data(user=str(erin.pk)))
    assert response.status_code == 302
    outsider_contact.refresh_from_db()
    assert outsider_contact.user == erin
    assert "Everything matches" in _main(as_alice.get(VERIFY))


def test_contact_cannot_be_linked_to_someone_outside(
    as_alice: Client, dave: User, outsider_contact: Contact
) -> None:
    before = _state()
    response = as_alice.post(_contact_url(outsider_contact), _contact_data(user=str(dave.pk)))
    assert response.status_code == 200
    assert 'id="id_user_error"' in _main(response)
    assert _state() == before


def test_services_refuse_lower_roles_and_outsiders(
    alice: User, erin: User, dave: User, acme: Organization, outsider_contact: Contact
) -> None:
    before = _state()
    with pytest.raises(PermissionDenied):
        services.do_update_contact(outsider_contact, {"city": "Bern"}, actor=erin)
    with pytest.raises(PermissionDenied):
        services.do_update_billing_details(acme, {"city": "Bern"}, actor=erin)
    with pytest.raises(PermissionDenied):
        services.do_update_billing_details(acme, {"city": "Bern"}, actor=dave)
    with pytest.raises(services.NotAMember):
        services.do_update_contact(outsider_contact, {"user": dave}, actor=alice)
    assert _state() == before
