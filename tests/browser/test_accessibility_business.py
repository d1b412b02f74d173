"""axe-core and the frame of UI.md on every page of the products, billing, tags and offer-request
issues, signed in as the role that uses the page, including forms with errors and empty states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from billing.models import Invoice, InvoiceLine, Product
from billing.renewals import do_credit_balance
from offers.links import cancellation_token
from offers.models import OfferRequest, Proposal
from organizations.models import Organization, PartnerProfile
from tags.models import Tag
from tags.services import do_create_tag
from tests.browser.conftest import assert_accessible, label, sign_in
from tests.conftest import membership
from tests.factories import ContactFactory, ProductFactory
from tests.offers.conftest import make_offer, make_partner

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Story:
    acme: Organization
    alice: User
    erin: User
    own: Product
    theirs: Product
    invoice: Invoice
    tag: Tag
    offer: OfferRequest


@dataclass(frozen=True)
class Visit:
    who: str
    path: Callable[[Story], str]
    then: Callable[[Page], None] | None = None


def _submit(button: str) -> Callable[[Page], None]:
    """Send the form as it is (empty or wrong), and wait for the errors."""

    def act(page: Page) -> None:
        page.get_by_role("main").get_by_role("button", name=button).click()
        expect(page.get_by_role("alert").first).to_be_visible()

    return act


def _clear_and_submit(field: str, button: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.get_by_role("main").get_by_label(label(field)).fill("")
        _submit(button)(page)

    return act


def _path(suffix: str) -> Callable[[Story], str]:
    return lambda s: f"/orgs/{s.acme.slug}/{suffix}"


PAGES: dict[str, Visit] = {
    "products": Visit("alice", _path("products/")),
    "products filtered, nothing found": Visit("alice", _path("products/?q=nothing-like-this")),
    "products, none given to a collaborator": Visit("erin", _path("products/")),
    "product paid and owned elsewhere": Visit(
        "alice", lambda s: _path(f"products/{s.theirs.pk}/")(s)
    ),
    "product edit": Visit("alice", lambda s: _path(f"products/{s.own.pk}/edit/")(s)),
    "product tags (picker page)": Visit("alice", lambda s: _path(f"products/{s.own.pk}/tags/")(s)),
    "verify contact details": Visit("alice", _path("contacts/verify/")),
    "contact edit with errors": Visit(
        "alice",
        lambda s: _path(f"contacts/{s.theirs.owner_id}/edit/")(s),
        _clear_and_submit("Email address", "Save"),
    ),
    "billing details": Visit("alice", _path("billing/details/")),
    "billing overview with timeline": Visit("alice", _path("billing/")),
    "invoice": Visit("alice", lambda s: _path(f"billing/invoices/{s.invoice.number}/")(s)),
    "billing notification settings": Visit("alice", _path("billing/settings/")),
    "tags": Visit("alice", _path("tags/")),
    "tags as a collaborator": Visit("erin", _path("tags/")),
    "add a tag with errors": Visit("alice", _path("tags/new/"), _submit("Add the tag")),
    "rename or recolour a tag": Visit("alice", lambda s: _path(f"tags/{s.tag.pk}/edit/")(s)),
    "merge a tag": Visit("alice", lambda s: _path(f"tags/{s.tag.pk}/merge/")(s)),
    "delete a tag": Visit("alice", lambda s: _path(f"tags/{s.tag.pk}/delete/")(s)),
    "offer requests": Visit("alice", _path("offers/")),
    "post an offer request with errors": Visit(
        "alice", _path("offers/new/"), _clear_and_submit("Title", "Post the request")
    ),
    "offer request with a proposal": Visit("alice", lambda s: _path(f"offers/{s.offer.pk}/")(s)),
    "close an offer request": Visit("alice", lambda s: _path(f"offers/{s.offer.pk}/close/")(s)),
    "delete an offer request": Visit("alice", lambda s: _path(f"offers/{s.offer.pk}/delete/")(s)),
    "cancellation link": Visit("alice", lambda s: f"/offers/cancel/{cancellation_token(s.offer)}/"),
}


@pytest.fixture
def story(
    acme: Organization, alice: User, erin: User, carol: User, studio_carol: Organization
) -> Story:
    """Acme's products (its own domain; a domain owned by a photographer and paid by Studio
    Carol), a balance, an invoice, a tag, and an offer request with Studio Carol's proposal."""
    today = timezone.localdate()
    own: Product = ProductFactory.create(
        organization=acme, name="acme.ch", expires_on=today + timedelta(10)
    )
    theirs: Product = ProductFactory.create(
        organization=acme,
        name="bianchi-photo.ch",
        owner=ContactFactory.create(organization=acme, name="Marco Bianchi"),
        payer=studio_carol,
        expires_on=today + timedelta(40),
        auto_renew=True,
    )
    do_credit_balance(acme, Decimal("100"), reason="credit", note="Welcome", actor=None)
    invoice = Invoice.objects.create(
        organization=acme, number="2026-000001", status=Invoice.Status.PAID, total=own.price
    )
    InvoiceLine.objects.create(
        invoice=invoice, product=own, description="acme.ch", amount=own.price
    )
    tag = do_create_tag(membership(alice, acme), "Website", "#0b5cad", actor=alice)
    do_create_tag(membership(alice, acme), "Archive", "#3d4f5c", actor=alice)
    tag.products.add(own)
    partner: PartnerProfile = make_partner(studio_carol)
    offer = make_offer(acme, alice)
    Proposal.objects.create(
        request=offer, partner=partner, author=carol, message="We can do it.", timeline="3 weeks"
    )
    return Story(acme, alice, erin, own, theirs, invoice, tag, offer)


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, story: Story, name: str
) -> None:
    visit = PAGES[name]
    sign_in(page, getattr(story, visit.who))
    page.goto(visit.path(story))
    if visit.then:
        visit.then(page)

    organization = None if name == "cancellation link" else story.acme.name
    assert_accessible(page, name, organization=organization)
