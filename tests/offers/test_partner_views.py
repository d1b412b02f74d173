"""The partner interface: who gets in, what the list and a request's page show (contact details
only while the request is valid), proposals, reports and the partner settings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from offers.models import OfferRequest, Proposal, Report
from offers.proposals import do_send_proposal, subscribed_categories
from organizations.models import Organization, PartnerProfile, Role
from tests.conftest import signed_in, visible_text
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.offers.conftest import CONTACT, ENDINGS, end, make_offer, make_partner

LIST = reverse("partners:offer-list")
SETTINGS = reverse("partners:settings")
NOT_A_PARTNER = "Partner status is granted by the provider"
NO_LONGER_VALID = "This request is no longer valid"


def detail(offer: OfferRequest) -> str:
    return reverse("partners:offer-detail", args=[offer.pk])


def propose(offer: OfferRequest) -> str:
    return reverse("partners:offer-propose", args=[offer.pk])


def report(offer: OfferRequest) -> str:
    return reverse("partners:offer-report", args=[offer.pk])


def assert_no_contact(response: Any) -> None:
    """Not on the page, not in hidden HTML, not in an attribute."""
    html = response.content.decode()
    for value in CONTACT.values():
        assert value not in html, value
    assert "mailto:" not in html
    assert "tel:" not in html


@pytest.fixture
def as_carol(carol: User, partner: PartnerProfile) -> Client:
    return signed_in(carol)


PROPOSAL_POST = {
    "proposal-message": "We can build it in Django.",
    "proposal-price_estimate": "2500",
    "proposal-timeline": "3 weeks",
}


# --- Who gets in --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(offer: OfferRequest) -> None:
    response = Client().get(detail(offer))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_gets_403_that_explains_partner_status(
    as_dave: Client, offer: OfferRequest, partner: PartnerProfile
) -> None:
    for url in [LIST, SETTINGS, detail(offer)]:
        response = as_dave.get(url)
        assert response.status_code == 403, url
        assert NOT_A_PARTNER in visible_text(response)
        assert_no_contact(response)
    for url in [propose(offer), report(offer)]:
        assert as_dave.post(url, PROPOSAL_POST | {"report-reason": "x"}).status_code == 403
    assert not Proposal.objects.exists()
    assert not Report.objects.exists()


def test_member_of_a_non_partner_organization_gets_403_naming_it(
    as_alice: Client, partner: PartnerProfile
) -> None:
    response = as_alice.get(f"{LIST}?org=acme")

    assert response.status_code == 403
    assert NOT_A_PARTNER in visible_text(response)


def test_another_partner_organization_than_ones_own_is_a_404(
    carol: User, partner: PartnerProfile, dave: User
) -> None:
    make_partner(Organization.objects.get(slug="keller"))

    response = signed_in(carol).get(f"{LIST}?org=keller")

    assert response.status_code == 404


def test_withdrawn_partner_status_closes_the_interface(
    as_carol: Client, partner: PartnerProfile, offer: OfferRequest
) -> None:
    PartnerProfile.objects.filter(pk=partner.pk).update(is_active=False)

    for url in [LIST, detail(offer), SETTINGS]:
        response = as_carol.get(url)
        assert response.status_code == 403, url
        assert_no_contact(response)


def test_post_without_csrf_token_is_refused(
    carol: User, partner: PartnerProfile, offer: OfferRequest
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)

    response = client.post(propose(offer), PROPOSAL_POST)

    assert response.status_code == 403
    assert not Proposal.objects.exists()


# --- The list -----------------------------------------------------------------------------------


def test_list_shows_valid_matching_requests_only(
    as_carol: Client, alice: User, acme: Organization, carol: User, studio_carol: Organization
) -> None:
    make_offer(acme, title="Website wanted")
    make_offer(acme, title="Migration wanted", category="migration")
    make_offer(acme, title="Consulting wanted", category="consulting")
    make_offer(studio_carol, title="Our own request")
    for how in ENDINGS:
        end(make_offer(acme, title=f"Ended {how}"), how)

    page = visible_text(as_carol.get(LIST))

    assert "Website wanted" in page
    assert "Migration wanted" in page
    assert "2 open requests" in page
    for absent in ["Consulting wanted", "Our own request", "Ended"]:
        assert absent not in page
    assert_no_contact(as_carol.get(LIST))


def test_list_marks_requests_with_a_proposal_sent(
    as_carol: Client, carol: User, partner: PartnerProfile, offer: OfferRequest
) -> None:
    do_send_proposal(partner, offer, {"message": "Hi"}, actor=carol)

    assert "Proposal sent" in visible_text(as_carol.get(LIST))


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("category=migration", {"Migration in Ticino"}),
        ("region=ch-it", {"Migration in Ticino"}),
        ("language=it", {"Migration in Ticino"}),
        ("budget=gt-20k", {"Big shop"}),
        ("category=website&budget=gt-20k", {"Big shop"}),
        ("category=nonsense", {"Migration in Ticino", "Big shop", "Small site"}),
    ],
)
def test_list_filters(as_carol: Client, acme: Organization, query: str, shown: set[str]) -> None:
    make_offer(
        acme, title="Migration in Ticino", category="migration", region="ch-it", language="it"
    )
    make_offer(acme, title="Big shop", budget="gt-20k")
    make_offer(acme, title="Small site", budget="lt-1k")

    page = visible_text(as_carol.get(f"{LIST}?{query}"))

    for title in ["Migration in Ticino", "Big shop", "Small site"]:
        assert (title in page) == (title in shown), title


def test_list_sorts_newest_first_or_by_deadline(as_carol: Client, acme: Organization) -> None:
    today = timezone.localdate()
    now = timezone.now()
    make_offer(
        acme,
        title="Oldest, due soon",
        deadline=today + timedelta(days=5),
        created_at=now - timedelta(days=3),
    )
    make_offer(acme, title="Middle, no deadline", created_at=now - timedelta(days=2))
    make_offer(
        acme,
        title="Newest, due late",
        deadline=today + timedelta(days=60),
        created_at=now - timedelta(days=1),
    )

    def order(query: str) -> list[str]:
        page = visible_text(as_carol.get(f"{LIST}?{query}"))
        titles = ["Oldest, due soon", "Middle, no deadline", "Newest, due late"]
        return sorted(titles, key=page.index)

    assert order("") == ["Newest, due late", "Middle, no deadline", "Oldest, due soon"]
    assert order("sort=deadline") == ["Oldest, due soon", "Newest, due late", "Middle, no deadline"]


def test_list_paginates(as_carol: Client, acme: Organization) -> None:
    now = timezone.now()
    for n in range(25):
        make_offer(acme, title=f"Request number {n:02d}", created_at=now - timedelta(minutes=n))

    first = visible_text(as_carol.get(LIST))
    second = visible_text(as_carol.get(f"{LIST}?sort=newest&page=2"))

    assert "25 open requests" in first
    assert "Page 1 of 2" in first
    assert "Request number 00" in first
    assert "Request number 19" in first
    assert "Request number 20" not in first
    assert "Request number 24" in second
    assert "Request number 19" not in second


def test_list_empty_states(as_carol: Client, partner: PartnerProfile, acme: Organization) -> None:
    assert "No open request for your categories right now" in visible_text(as_carol.get(LIST))

    make_offer(acme)
    assert "No request matches these filters" in visible_text(as_carol.get(f"{LIST}?budget=gt-20k"))

    partner.subscriptions.all().delete()
    page = visible_text(as_carol.get(LIST))
    assert "You have not chosen any category yet" in page
    assert "Choose categories" in page


# --- One request --------------------------------------------------------------------------------


def test_detail_shows_the_whole_request_and_the_contacts_while_valid(
    as_carol: Client, offer: OfferRequest
) -> None:
    response = as_carol.get(detail(offer))

    page = visible_text(response)
    assert response.status_code == 200
    assert offer.description in page
    for value in CONTACT.values():
        assert value in page
    assert "Acme SA" in page
    assert "Send the proposal" in page
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("how", ENDINGS)
def test_detail_after_the_request_ended_shows_no_contact(
    as_carol: Client, offer: OfferRequest, how: str
) -> None:
    end(offer, how)

    response = as_carol.get(detail(offer))

    assert response.status_code == 200
    assert NO_LONGER_VALID in visible_text(response)
    assert_no_contact(response)
    assert offer.description not in response.content.decode()
    assert "Send the proposal" not in visible_text(response)


def test_detail_of_a_deleted_request_is_a_404(as_carol: Client, offer: OfferRequest) -> None:
    url = detail(offer)
    offer.delete()

    assert as_carol.get(url).status_code == 404


@pytest.mark.parametrize(
    "fields",
    [{"category": "consulting"}, {"category": "consulting", "status": "cancelled"}],
    ids=["valid", "ended"],
)
def test_detail_of_a_request_that_does_not_match_is_a_404(
    as_carol: Client, acme: Organization, fields: dict[str, Any]
) -> None:
    other = make_offer(acme, **fields)

    response = as_carol.get(detail(other))

    assert response.status_code == 404
    assert_no_contact(response)


def test_detail_of_its_own_organization_request_is_a_404(
    as_carol: Client, carol: User, studio_carol: Organization
) -> None:
    own = make_offer(studio_carol, created_by=carol)

    assert as_carol.get(detail(own)).status_code == 404


def test_any_member_of_the_partner_may_open_a_request(
    partner: PartnerProfile, studio_carol: Organization, offer: OfferRequest
) -> None:
    collaborator = UserFactory.create()
    MembershipFactory.create(organization=studio_carol, user=collaborator, role=Role.COLLABORATOR)

    response = signed_in(collaborator).get(detail(offer))

    assert response.status_code == 200
    assert CONTACT["contact_email"] in visible_text(response)


def test_email_link_without_org_opens_the_partner_the_request_reached(
    carol: User, partner: PartnerProfile, acme: Organization
) -> None:
    """carol is in two partner organizations; the first by name does not take consulting."""
    agency = OrganizationFactory.create(name="Aardvark Agency", slug="aardvark")
    MembershipFactory.create(organization=agency, user=carol, role=Role.ADMINISTRATOR)
    make_partner(agency, categories=("mail_setup",))
    consulting = make_offer(acme, category="consulting")
    make_partner(OrganizationFactory.create(name="Zeta"), categories=("consulting",))
    partner.subscriptions.create(category="consulting")
    client = signed_in(carol)

    response = client.get(detail(consulting))

    assert response.status_code == 302
    assert response["Location"] == f"{detail(consulting)}?org=studio-carol"
    assert CONTACT["contact_email"] in visible_text(client.get(response["Location"]))
    assert client.get(f"{detail(consulting)}?org=aardvark").status_code == 404


# --- Proposals ----------------------------------------------------------------------------------


def test_propose_sends_the_proposal_and_shows_it(
    as_carol: Client, carol: User, partner: PartnerProfile, offer: OfferRequest
) -> None:
    response = as_carol.post(f"{propose(offer)}?org=studio-carol", PROPOSAL_POST)

    assert response.status_code == 302
    assert response["Location"] == f"{detail(offer)}?org=studio-carol"
    proposal = Proposal.objects.get()
    assert (proposal.partner, proposal.author, proposal.timeline) == (partner, carol, "3 weeks")
    page = visible_text(as_carol.get(response["Location"]))
    assert "Your proposal is sent." in page
    assert "We can build it in Django." in page
    assert "CHF 2,500.00" in page
    assert "Send the proposal" not in page
    assert Notification.objects.filter(
        kind="offer_proposal_received", to="alice@example.com"
    ).exists()


def test_propose_by_get_changes_nothing(as_carol: Client, offer: OfferRequest) -> None:
    response = as_carol.get(propose(offer))

    assert response.status_code == 302
    assert not Proposal.objects.exists()


def test_propose_without_a_message_keeps_what_was_typed(
    as_carol: Client, offer: OfferRequest
) -> None:
    response = as_carol.post(propose(offer), PROPOSAL_POST | {"proposal-message": "  "})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Write your proposal." in page
    assert 'value="2500"' in page
    assert 'value="3 weeks"' in page
    assert not Proposal.objects.exists()


def test_propose_with_a_negative_price_is_an_error_next_to_the_field(
    as_carol: Client, offer: OfferRequest
) -> None:
    response = as_carol.post(propose(offer), PROPOSAL_POST | {"proposal-price_estimate": "-5"})

    assert "Enter an amount of zero or more." in visible_text(response)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("how", ENDINGS)
def test_propose_after_the_request_ended_is_refused(
    as_carol: Client, offer: OfferRequest, how: str
) -> None:
    end(offer, how)

    response = as_carol.post(propose(offer), PROPOSAL_POST, follow=True)

    page = visible_text(response)
    assert "your proposal was not sent" in page
    assert NO_LONGER_VALID in page
    assert_no_contact(response)
    assert not Proposal.objects.exists()


def test_propose_twice_is_refused(as_carol: Client, offer: OfferRequest) -> None:
    as_carol.post(propose(offer), PROPOSAL_POST)

    response = as_carol.post(
        propose(offer), PROPOSAL_POST | {"proposal-message": "Again"}, follow=True
    )

    assert "sent a proposal for this request already" in visible_text(response)
    assert Proposal.objects.get().message == "We can build it in Django."


def test_propose_to_a_request_that_does_not_match_is_a_404(
    as_carol: Client, acme: Organization
) -> None:
    other = make_offer(acme, category="consulting")

    assert as_carol.post(propose(other), PROPOSAL_POST).status_code == 404
    assert not Proposal.objects.exists()


# --- Reports ------------------------------------------------------------------------------------


def test_report_once(as_carol: Client, offer: OfferRequest) -> None:
    response = as_carol.post(report(offer), {"report-reason": "Spam"}, follow=True)

    assert "our staff will look at this request" in visible_text(response)
    assert "Your organization reported this request on" in visible_text(response)
    again = as_carol.post(report(offer), {"report-reason": "Spam again"}, follow=True)
    assert "reported this request already" in visible_text(again)
    assert Report.objects.get().reason == "Spam"


def test_report_without_a_reason_shows_the_error(as_carol: Client, offer: OfferRequest) -> None:
    response = as_carol.post(report(offer), {"report-reason": ""})

    assert response.status_code == 200
    assert "Say why you report this request." in visible_text(response)
    assert not Report.objects.exists()


def test_report_after_the_request_ended_is_refused(as_carol: Client, offer: OfferRequest) -> None:
    end(offer, "cancelled")

    response = as_carol.post(report(offer), {"report-reason": "Spam"}, follow=True)

    assert NO_LONGER_VALID in visible_text(response)
    assert not Report.objects.exists()


# --- Settings -----------------------------------------------------------------------------------


def test_settings_show_the_current_profile(as_carol: Client, partner: PartnerProfile) -> None:
    response = as_carol.get(SETTINGS)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Studio Carol (partner)"' in page
    assert re.search(r'value="website"[^>]*checked', page)
    assert not re.search(r'value="consulting"[^>]*checked', page)


def test_settings_save_profile_and_subscriptions(
    as_carol: Client, carol: User, partner: PartnerProfile
) -> None:
    response = as_carol.post(
        SETTINGS,
        {
            "public_name": "  Studio   Carol  ",
            "description": "Websites and shops.",
            "categories": ["online_shop", "website"],
            "regions": ["ch-fr"],
            "languages": ["fr", "en"],
        },
    )

    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.public_name, partner.description) == ("Studio Carol", "Websites and shops.")
    assert (partner.regions, partner.languages) == (["ch-fr"], ["en", "fr"])
    assert subscribed_categories(partner) == ["online_shop", "website"]
    assert AuditEvent.objects.filter(action="partner.settings_updated", actor=carol).exists()
    assert "The partner settings are saved." in visible_text(as_carol.get(response["Location"]))


def test_settings_with_errors_keep_what_was_typed(
    as_carol: Client, partner: PartnerProfile
) -> None:
    response = as_carol.post(
        SETTINGS, {"public_name": " ", "description": "Typed text", "categories": ["nonsense"]}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Typed text" in page
    partner.refresh_from_db()
    assert partner.public_name == "Studio Carol (partner)"


def test_settings_are_for_legal_representatives_and_administrators(
    partner: PartnerProfile, studio_carol: Organization, offer: OfferRequest
) -> None:
    collaborator = UserFactory.create()
    MembershipFactory.create(organization=studio_carol, user=collaborator, role=Role.COLLABORATOR)
    client = signed_in(collaborator)

    response = client.get(SETTINGS)
    posted = client.post(SETTINGS, {"public_name": "Mine", "categories": ["website"]})

    assert response.status_code == 403
    assert "Only legal representatives and administrators" in visible_text(response)
    assert posted.status_code == 403
    partner.refresh_from_db()
    assert partner.public_name == "Studio Carol (partner)"
    assert client.get(LIST).status_code == 200  # the list is for every member
