"""The offer-request journey in a real browser: alice (Acme) posts a request; carol (Studio Carol,
a partner) opens the link of the excerpt email, sees the contact details and sends a proposal;
alice cancels from the link of her confirmation email; carol no longer sees the contact details.
axe-core and the frame of UI.md on the partner pages.

The journey reads the emails on the demo's outbox page (/dev/outbox/, DEBUG only: the test turns
DEBUG on and serves the URLs a DEBUG process has) and follows their links as a person would."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import path
from playwright.sync_api import Page, expect

from accounts.models import User
from core.models import Notification
from offers.models import OfferRequest, Proposal
from organizations.models import Organization
from portal import views as portal_views
from portal.urls import urlpatterns as portal_urlpatterns
from tests.browser.conftest import NewContext, assert_accessible, label, sign_in
from tests.offers.conftest import make_offer, make_partner

pytestmark = pytest.mark.browser

TITLE = "A new website for our cheese shop"
CONTACT_EMAIL = "shop@acme.example"
CONTACT_PHONE = "+41 21 555 01 23"
CONTACT_NAME = "Alice Rossi-Meier"


@pytest.fixture
def partner_carol(carol: User, studio_carol: Organization) -> User:
    make_partner(studio_carol, categories=("website", "migration"))
    return carol


def _post_request(page: Page) -> None:
    page.goto("/orgs/acme/offers/new/")
    form = page.get_by_role("main")  # the top bar has a "Language" switch of its own
    form.get_by_label(label("Title")).fill(TITLE)
    form.get_by_label(label("Description")).fill(
        "We sell cheese in Lausanne and need a website with a small catalogue and a map."
    )
    form.get_by_label(label("Category")).select_option(label="Website creation")
    form.get_by_label(label("Budget")).select_option(label="CHF 1,000 to 5,000")
    form.get_by_label(label("Language")).select_option(label="English")
    form.get_by_label(label("Contact name")).fill(CONTACT_NAME)
    form.get_by_label(label("Contact email")).fill(CONTACT_EMAIL)
    form.get_by_label(label("Contact phone (optional)")).fill(CONTACT_PHONE)
    page.get_by_role("button", name="Post the request").click()
    page.wait_for_url(re.compile(r"/orgs/acme/offers/\d+/$"))


# The portal's URLs as a DEBUG process has them, with the outbox page.
urlpatterns = [*portal_urlpatterns, path("dev/outbox/", portal_views.outbox, name="outbox")]


def _open_from_the_outbox(page: Page, *, subject: str, link: str) -> None:
    """On the outbox page, open the link (containing `link`) of the email `subject`."""
    page.goto("/dev/outbox/")
    email = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name=subject, exact=True)
    )
    email.locator(f'a[href*="{link}"]').first.click()


@pytest.mark.urls("tests.browser.test_offers")
def test_post_find_the_excerpt_propose_then_cancel_from_the_email(
    new_context: NewContext, alice: User, acme: Organization, partner_carol: User, settings: Any
) -> None:
    settings.DEBUG = True  # the outbox page
    alice_page = new_context().new_page()
    sign_in(alice_page, alice)
    _post_request(alice_page)
    offer = OfferRequest.objects.get(title=TITLE)

    carol_page = new_context().new_page()
    sign_in(carol_page, partner_carol)
    excerpt = Notification.objects.get(to="carol@example.com", kind="offer_request_excerpt")
    for value in (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME):
        assert value not in excerpt.body_text
        assert value not in excerpt.body_html
    assert TITLE not in excerpt.subject + excerpt.body_text  # the fixed fields only
    _open_from_the_outbox(
        carol_page, subject="New offer request: Website creation", link="/partners/offers/"
    )
    expect(carol_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    contacts = carol_page.get_by_role("region", name="Contact details of the customer")
    expect(contacts).to_contain_text(CONTACT_EMAIL)
    expect(contacts).to_contain_text(CONTACT_PHONE)
    expect(contacts).to_contain_text(CONTACT_NAME)
    assert_accessible(carol_page, "request page, valid", organization="Studio Carol")

    carol_page.get_by_label(label("Message")).fill("We build it in three weeks, with the map.")
    carol_page.get_by_label(label("Price estimate (CHF)")).fill("2500")
    carol_page.get_by_label(label("Timeline")).fill("3 weeks")
    carol_page.get_by_role("button", name="Send the proposal").click()
    expect(
        carol_page.get_by_role("status").filter(has_text="Your proposal is sent.")
    ).to_be_visible()
    expect(carol_page.get_by_text("Proposal sent", exact=True)).to_be_visible()
    proposal = Proposal.objects.get(request=offer)
    assert (proposal.price_estimate, proposal.timeline) == (Decimal(2500), "3 weeks")

    alice_page.goto(f"/orgs/acme/offers/{offer.pk}/")
    expect(alice_page.get_by_role("heading", name="1 proposal")).to_be_visible()
    expect(alice_page.get_by_text("We build it in three weeks, with the map.")).to_be_visible()

    _open_from_the_outbox(
        alice_page, subject=f"Your offer request “{TITLE}” is posted", link="/offers/cancel/"
    )
    expect(alice_page.get_by_role("heading", level=1)).to_have_text("Close your offer request")
    assert OfferRequest.objects.get(pk=offer.pk).status == OfferRequest.Status.OPEN  # GET: nothing
    alice_page.get_by_role("button", name="Close this request").click()
    expect(alice_page.get_by_role("heading", level=1)).to_have_text("This request is closed")
    assert OfferRequest.objects.get(pk=offer.pk).status == OfferRequest.Status.CANCELLED

    carol_page.reload()
    expect(carol_page.get_by_role("heading", level=1)).to_have_text(
        "This request is no longer valid"
    )
    html = carol_page.content()
    for value in (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME):
        assert value not in html
    assert_accessible(carol_page, "request page, no longer valid", organization="Studio Carol")

    carol_page.get_by_role("link", name="All offer requests").click()
    expect(carol_page.get_by_text("No open request for your categories right now")).to_be_visible()
    assert CONTACT_EMAIL not in carol_page.content()


def test_the_old_excerpt_link_after_expiry_shows_no_contact(
    page: Page, alice: User, acme: Organization, partner_carol: User
) -> None:
    offer = make_offer(acme, created_by=alice, contact_email=CONTACT_EMAIL)
    OfferRequest.objects.filter(pk=offer.pk).update(status=OfferRequest.Status.EXPIRED)
    sign_in(page, partner_carol)

    page.goto(f"/partners/offers/{offer.pk}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("This request is no longer valid")
    assert CONTACT_EMAIL not in page.content()
    expect(page.get_by_role("button", name="Send the proposal")).to_have_count(0)


def test_outsider_learns_that_partner_status_is_granted_by_the_provider(
    page: Page, dave: User
) -> None:
    sign_in(page, dave)

    page.goto("/partners/offers/")

    expect(page.get_by_role("heading", level=1)).to_have_text("You are not allowed to do this")
    expect(page.get_by_text("Partner status is granted by the provider")).to_be_visible()
    assert_accessible(page, "not a partner")


# --- Accessibility of the partner pages ---------------------------------------------------------


def _filter_by_category(page: Page) -> None:
    page.get_by_label(label("Category")).select_option(label="Migration to our services")
    page.get_by_label(label("Sort by")).select_option(label="Deadline soonest")
    page.get_by_role("button", name="Show requests").click()
    expect(page.get_by_text("No request matches these filters")).to_be_visible()


def _propose_without_a_message(page: Page) -> None:
    page.get_by_role("button", name="Send the proposal").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Write your proposal.")


def _open_the_report_form(page: Page) -> None:
    page.get_by_text("Spam, abusive or not a real request?").click()
    expect(page.get_by_label(label("Why are you reporting this request?"))).to_be_visible()


def _save_settings_with_an_error(page: Page) -> None:
    page.get_by_label(label("Public name")).fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


PAGES: dict[str, tuple[str, Any]] = {
    "list": ("/partners/offers/", None),
    "list, filtered to nothing": ("/partners/offers/", _filter_by_category),
    "request": ("/partners/offers/{pk}/", None),
    "request, proposal with errors": ("/partners/offers/{pk}/", _propose_without_a_message),
    "request, report form open": ("/partners/offers/{pk}/", _open_the_report_form),
    "settings": ("/partners/settings/", None),
    "settings, with errors": ("/partners/settings/", _save_settings_with_an_error),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_partner_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, alice: User, acme: Organization, partner_carol: User, name: str
) -> None:
    offer = make_offer(acme, created_by=alice)
    url, then = PAGES[name]
    sign_in(page, partner_carol)
    page.goto(url.format(pk=offer.pk))
    if then:
        then(page)

    assert_accessible(page, name, organization="Studio Carol")


def test_choosing_a_proposal_puts_both_sides_in_touch(
    new_context: NewContext, alice: User, acme: Organization, partner_carol: User
) -> None:
    """Issue 13, defect 1: after "Choose this proposal" the partner's page said "no longer
    valid" and hid the contacts, and the customer's page showed none of the partner's."""
    studio = partner_carol.memberships.get().organization
    studio.email, studio.phone = "hello@studio-carol.example", "+41 22 555 09 09"
    studio.save()
    offer = make_offer(acme, created_by=alice)
    Proposal.objects.create(
        request=offer,
        partner=studio.partner_profile,
        author=partner_carol,
        message="We build it in three weeks.",
    )
    alice_page = new_context().new_page()
    sign_in(alice_page, alice)
    alice_page.goto(f"/orgs/acme/offers/{offer.pk}/")
    alice_page.get_by_role("link", name="Choose this proposal").click()
    alice_page.get_by_role("button", name=re.compile("Choose")).click()

    partner_contact = alice_page.get_by_role("region", name="Contact details of the partner")
    expect(partner_contact).to_contain_text("hello@studio-carol.example")
    expect(partner_contact).to_contain_text("carol@example.com")

    carol_page = new_context().new_page()
    sign_in(carol_page, partner_carol)
    carol_page.goto(f"/partners/offers/{offer.pk}/")
    expect(carol_page.get_by_role("status")).to_contain_text("Your proposal was chosen.")
    contacts = carol_page.get_by_role("region", name="Contact details of the customer")
    expect(contacts).to_contain_text("offers@acme.example")
    assert_accessible(carol_page, "request page, proposal chosen", organization="Studio Carol")
