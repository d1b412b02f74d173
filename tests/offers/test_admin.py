"""Staff in the admin: grant and withdraw partner status, see subscriptions, moderate offer
requests (hide, close) and read the reports; every change through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from core.models import AuditEvent
from offers.models import OfferRequest, PartnerSubscription, Report
from offers.proposals import do_report_request, offer_for_partner
from organizations.models import Organization, PartnerProfile
from organizations.support import SUPPORT_GROUP
from tests.conftest import signed_in
from tests.factories import OrganizationFactory, UserFactory
from tests.offers.conftest import make_offer

PARTNERS = "/admin/organizations/partnerprofile/"
REQUESTS = "/admin/offers/offerrequest/"
REPORTS = "/admin/offers/report/"


@pytest.fixture
def superuser(db: Any) -> User:
    return UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def as_superuser(superuser: User) -> Client:
    return signed_in(superuser)


@pytest.fixture
def reported(partner: PartnerProfile, offer: OfferRequest, carol: User) -> Report:
    return do_report_request(partner, offer, "Looks like spam", actor=carol)


def _action(client: Client, url: str, action: str, pks: list[int]) -> Any:
    return client.post(url, {"action": action, "_selected_action": pks}, follow=True)


# --- Who gets in --------------------------------------------------------------------------------


def test_customers_and_partners_do_not_reach_the_admin(
    as_alice: Client, carol: User, partner: PartnerProfile, offer: OfferRequest
) -> None:
    for client in [as_alice, signed_in(carol)]:
        for url in [PARTNERS, REQUESTS, REPORTS, f"{REQUESTS}{offer.pk}/change/"]:
            response = client.get(url)
            assert response.status_code in (302, 403), url
            assert "offers@acme.example" not in response.content.decode()


def test_staff_without_the_permission_get_403(offer: OfferRequest, partner: PartnerProfile) -> None:
    client = signed_in(UserFactory.create(email="intern@example.com", is_staff=True))

    for url in [PARTNERS, REQUESTS, REPORTS]:
        assert client.get(url).status_code == 403, url
    response = _action(client, REQUESTS, "hide_requests", [offer.pk])
    assert response.status_code == 403
    assert OfferRequest.objects.get(pk=offer.pk).hidden_at is None


def test_support_moderates_requests_but_does_not_grant_partner_status(
    offer: OfferRequest, partner: PartnerProfile
) -> None:
    support = UserFactory.create(email="support@example.com", is_staff=True)
    support.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    client = signed_in(support)

    assert client.get(REQUESTS).status_code == 200
    assert client.get(REPORTS).status_code == 200
    assert client.get(PARTNERS).status_code == 403
    _action(client, REQUESTS, "hide_requests", [offer.pk])
    assert OfferRequest.objects.get(pk=offer.pk).hidden_at is not None


# --- Partner profiles ---------------------------------------------------------------------------


def test_partner_list_shows_status_and_categories(
    as_superuser: Client, partner: PartnerProfile
) -> None:
    page = as_superuser.get(PARTNERS).content.decode()

    assert "Studio Carol (partner)" in page
    assert "Migration to our services, Website creation" in page


def test_adding_a_profile_grants_partner_status_with_subscriptions(
    as_superuser: Client, superuser: User
) -> None:
    org = OrganizationFactory.create(name="Web Agency")

    response = as_superuser.post(
        f"{PARTNERS}add/",
        {
            "organization": org.pk,
            "public_name": "Web Agency",
            "description": "",
            "regions": "[]",
            "languages": '["fr"]',
            "subscriptions-TOTAL_FORMS": "1",
            "subscriptions-INITIAL_FORMS": "0",
            "subscriptions-MIN_NUM_FORMS": "0",
            "subscriptions-MAX_NUM_FORMS": "1000",
            "subscriptions-0-category": "consulting",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    profile = PartnerProfile.objects.get(organization=org)
    assert profile.is_active
    assert profile.languages == ["fr"]
    assert list(
        PartnerSubscription.objects.filter(partner=profile).values_list("category", flat=True)
    ) == ["consulting"]
    event = AuditEvent.objects.get(action="partner.status_granted")
    assert (event.actor, event.organization_id) == (superuser, org.pk)


def test_status_is_not_a_field_of_the_change_form(
    as_superuser: Client, partner: PartnerProfile
) -> None:
    page = as_superuser.get(f"{PARTNERS}{partner.pk}/change/").content.decode()

    assert 'name="is_active"' not in page
    assert 'name="subscriptions-0-category"' in page


def test_withdraw_then_grant_partner_status(
    as_superuser: Client, partner: PartnerProfile, offer: OfferRequest
) -> None:
    response = _action(as_superuser, PARTNERS, "withdraw_partner_status", [partner.pk])

    assert "1 partner no longer sees offer requests." in response.content.decode()
    partner.refresh_from_db()
    assert not partner.is_active
    assert offer_for_partner(partner, offer.pk) is None

    response = _action(as_superuser, PARTNERS, "grant_partner_status", [partner.pk])

    assert "1 partner may see offer requests again." in response.content.decode()
    partner.refresh_from_db()
    assert partner.is_active
    assert AuditEvent.objects.filter(action__startswith="partner.status_").count() == 2


def test_partner_profiles_cannot_be_deleted(as_superuser: Client, partner: PartnerProfile) -> None:
    assert as_superuser.get(f"{PARTNERS}{partner.pk}/delete/").status_code == 403
    assert PartnerProfile.objects.filter(pk=partner.pk).exists()


# --- Offer requests -----------------------------------------------------------------------------


def test_request_page_shows_its_reports(
    as_superuser: Client, offer: OfferRequest, reported: Report
) -> None:
    page = as_superuser.get(f"{REQUESTS}{offer.pk}/change/").content.decode()

    assert "Looks like spam" in page
    assert "Studio Carol (partner)" in page


def test_request_list_filters_the_reported_ones(
    as_superuser: Client, acme: Organization, offer: OfferRequest, reported: Report
) -> None:
    make_offer(acme, title="A quiet request")

    page = as_superuser.get(f"{REQUESTS}?reported=open").content.decode()

    assert offer.title in page
    assert "A quiet request" not in page


def test_staff_do_not_edit_what_the_customer_wrote(
    as_superuser: Client, offer: OfferRequest
) -> None:
    as_superuser.post(f"{REQUESTS}{offer.pk}/change/", {"title": "Changed by staff"})

    assert OfferRequest.objects.get(pk=offer.pk).title == offer.title
    assert as_superuser.get(f"{REQUESTS}add/").status_code == 403
    assert as_superuser.get(f"{REQUESTS}{offer.pk}/delete/").status_code == 403


def test_hide_action_hides_and_resolves_reports(
    as_superuser: Client,
    superuser: User,
    partner: PartnerProfile,
    offer: OfferRequest,
    reported: Report,
) -> None:
    response = _action(as_superuser, REQUESTS, "hide_requests", [offer.pk])

    assert "1 request is hidden from the partners." in response.content.decode()
    offer.refresh_from_db()
    assert offer.hidden_at is not None
    assert not offer.is_valid()
    assert Report.objects.get().resolved_at is not None
    assert AuditEvent.objects.get(action="offer_request.hidden").actor == superuser


def test_close_action_closes_only_open_requests(
    as_superuser: Client, acme: Organization, offer: OfferRequest
) -> None:
    cancelled = make_offer(acme, status="cancelled")

    response = _action(as_superuser, REQUESTS, "close_requests", [offer.pk, cancelled.pk])

    assert "1 request is closed." in response.content.decode()
    assert OfferRequest.objects.get(pk=offer.pk).status == OfferRequest.Status.CLOSED
    assert OfferRequest.objects.get(pk=cancelled.pk).status == OfferRequest.Status.CANCELLED


# --- Reports ------------------------------------------------------------------------------------


def test_reports_list_and_resolve(
    as_superuser: Client, reported: Report, offer: OfferRequest
) -> None:
    assert "Looks like spam" in as_superuser.get(REPORTS).content.decode()

    response = _action(as_superuser, REPORTS, "resolve_reports", [reported.pk])

    assert "1 report is resolved." in response.content.decode()
    assert Report.objects.get().resolved_at is not None
    assert OfferRequest.objects.get(pk=offer.pk).is_valid()


def test_hide_the_reported_requests_from_the_reports(
    as_superuser: Client, reported: Report, offer: OfferRequest
) -> None:
    response = _action(as_superuser, REPORTS, "hide_reported_requests", [reported.pk])

    assert "1 request is hidden from the partners." in response.content.decode()
    assert OfferRequest.objects.get(pk=offer.pk).hidden_at is not None
