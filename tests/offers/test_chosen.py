"""After "Choose this proposal" (issue 13, defect 1): the request closes, and the customer and
the chosen partner see each other's contact details from then on, each on their page and in
their email, so that the work can start; the partners not chosen see nothing more."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.models import Notification
from offers import services
from offers.models import OfferRequest, Proposal
from organizations.models import Organization
from tests.conftest import signed_in
from tests.factories import MembershipFactory, OrganizationFactory
from tests.offers.test_services import make_partner, make_request, propose

pytestmark = pytest.mark.django_db

CUSTOMER = {
    "contact_name": "Alice Rossi",
    "contact_email": "offers@acme.example",
    "contact_phone": "+41 21 555 01 23",
}


@pytest.fixture
def request_with_contacts(alice: User, acme: Organization) -> OfferRequest:
    """Acme's open request with contacts of its own (not alice's account address)."""
    return make_request(acme, alice, title="Move our mailboxes", **CUSTOMER)


@pytest.fixture
def chosen(
    request_with_contacts: OfferRequest, carol: User, studio_carol: Organization, alice: User
) -> Proposal:
    studio_carol.email = "hello@studio-carol.example"
    studio_carol.phone = "+41 22 555 09 09"
    studio_carol.save()
    proposal = propose(
        request_with_contacts, make_partner(studio_carol, name="Studio Carol"), author=carol
    )
    services.do_choose_proposal(proposal, actor=alice)
    return proposal


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_chosen_partner_sees_that_it_was_chosen_and_the_customers_contacts(
    request_with_contacts: OfferRequest, chosen: Proposal, carol: User
) -> None:
    html = page(signed_in(carol), reverse("partners:offer-detail", args=[request_with_contacts.pk]))

    assert "Your proposal was chosen" in html
    assert "no longer valid" not in html
    for value in CUSTOMER.values():
        assert value in html


def test_a_partner_not_chosen_sees_nothing_more(
    request_with_contacts: OfferRequest, chosen: Proposal
) -> None:
    other = OrganizationFactory.create(name="Other Web")
    member = MembershipFactory.create(organization=other, role="legal_representative").user
    propose_other = make_partner(other, name="Other Web")
    Proposal.objects.create(
        request=request_with_contacts, partner=propose_other, author=member, message="Hi"
    )

    html = page(
        signed_in(member), reverse("partners:offer-detail", args=[request_with_contacts.pk])
    )

    assert "no longer valid" in html
    for value in CUSTOMER.values():
        assert value not in html


def test_the_customer_sees_the_chosen_partners_contacts(
    request_with_contacts: OfferRequest, chosen: Proposal, alice: User, acme: Organization
) -> None:
    html = page(
        signed_in(alice),
        reverse("offers:request-detail", args=[acme.slug, request_with_contacts.pk]),
    )

    for value in ("hello@studio-carol.example", "+41 22 555 09 09", "carol@example.com"):
        assert value in html


def test_both_sides_get_each_others_contacts_by_email(
    request_with_contacts: OfferRequest, chosen: Proposal, carol: User
) -> None:
    [to_partner] = Notification.objects.filter(kind="offer_proposal_outcome", recipient=carol)
    for value in CUSTOMER.values():
        assert value in to_partner.body_text
    [to_customer] = Notification.objects.filter(kind="offer_proposal_chosen")
    assert to_customer.to == CUSTOMER["contact_email"]
    for value in ("hello@studio-carol.example", "+41 22 555 09 09", "carol@example.com"):
        assert value in to_customer.body_text


def test_partner_seen_contacts_stop_when_the_customer_deletes_the_request(
    request_with_contacts: OfferRequest, chosen: Proposal, carol: User, alice: User
) -> None:
    services.do_delete_request(request_with_contacts, actor=alice)

    response = signed_in(carol).get(
        reverse("partners:offer-detail", args=[request_with_contacts.pk])
    )

    assert response.status_code == 404


def test_posting_says_how_many_partners_were_told(
    alice: User, acme: Organization, carol: User, studio_carol: Organization
) -> None:
    from tests.offers.test_customer_views import form_data

    client = signed_in(alice)
    url = reverse("offers:request-create", args=[acme.slug])

    nobody = client.post(url, form_data(), follow=True).content.decode()
    assert "No partner takes this category yet" in nobody

    make_partner(studio_carol, name="Studio Carol")
    one = client.post(url, form_data(title="Second"), follow=True).content.decode()
    assert "1 partner who takes this category was told." in one
