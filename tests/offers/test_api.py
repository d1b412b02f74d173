"""The read-only partner API: the "offers" scope, partner organizations only, the same matching
as the pages, and contact details only while a request is valid."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import include, path

from accounts.models import User
from offers.models import OfferRequest
from offers.proposals import do_send_proposal
from organizations.models import Organization, PartnerProfile, Role
from portal import urls as portal_urls
from tests.factories import MembershipFactory, UserFactory
from tests.offers.conftest import CONTACT, ENDINGS, end, make_offer, make_partner
from tokens.scopes import SCOPES
from tokens.services import do_create_token

# The API under /api/v1/ whether or not portal/urls.py includes it yet.
urlpatterns: list[Any] = list(portal_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "offers-api" for p in urlpatterns):
    urlpatterns.append(path("api/v1/", include("offers.api.urls")))

pytestmark = pytest.mark.urls(__name__)

OFFERS = "/api/v1/offers/"


def _client(user: User, org: Organization, scope: str = "offers") -> Client:
    _row, secret = do_create_token(
        user, organization=org, name=scope, scope=scope, expires_at=None, actor=user
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def api(carol: User, studio_carol: Organization, partner: PartnerProfile) -> Client:
    return _client(carol, studio_carol)


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_only_offers_tokens_reach_the_api(
    carol: User,
    studio_carol: Organization,
    partner: PartnerProfile,
    offer: OfferRequest,
    scope: str,
) -> None:
    client = _client(carol, studio_carol, scope)

    read = client.get(OFFERS)
    one = client.get(f"{OFFERS}{offer.pk}/")

    if scope == "offers":
        assert (read.status_code, one.status_code) == (200, 200)
    else:
        assert (read.status_code, one.status_code) == (403, 403)
        assert read.json()["error"] == "out_of_scope"
        assert CONTACT["contact_email"] not in one.content.decode()


def test_the_api_is_read_only(api: Client, offer: OfferRequest) -> None:
    assert api.post(OFFERS, {}, content_type="application/json").status_code in (403, 405)
    assert api.delete(f"{OFFERS}{offer.pk}/").status_code in (403, 405)
    assert OfferRequest.objects.get(pk=offer.pk).status == OfferRequest.Status.OPEN


def test_without_a_token_is_a_401(offer: OfferRequest) -> None:
    assert Client().get(OFFERS).status_code == 401


def test_a_non_partner_organization_gets_403(alice: User, acme: Organization) -> None:
    response = _client(alice, acme).get(OFFERS)

    assert response.status_code == 403
    assert response.json()["error"] == "not_a_partner"


def test_a_withdrawn_partner_gets_403(
    api: Client, partner: PartnerProfile, offer: OfferRequest
) -> None:
    PartnerProfile.objects.filter(pk=partner.pk).update(is_active=False)

    assert api.get(OFFERS).status_code == 403
    response = api.get(f"{OFFERS}{offer.pk}/")
    assert response.status_code == 403
    assert CONTACT["contact_email"] not in response.content.decode()


def test_list_shows_the_valid_matching_requests_with_contacts(
    api: Client, acme: Organization, carol: User, studio_carol: Organization
) -> None:
    shown = make_offer(acme, title="Website wanted", region="ch-fr")
    make_offer(acme, title="Consulting wanted", category="consulting")
    make_offer(studio_carol, title="Our own")
    end(make_offer(acme, title="Cancelled one"), "cancelled")

    body = api.get(OFFERS).json()

    assert body["count"] == 1
    [item] = body["results"]
    assert item == {
        "id": shown.pk,
        "title": "Website wanted",
        "category": "website",
        "budget": "1k-5k",
        "deadline": None,
        "region": "ch-fr",
        "language": "en",
        "created_at": item["created_at"],
        "valid_until": shown.valid_until.isoformat(),
        "valid": True,
        "proposal_sent": False,
        "chosen": False,
        "description": shown.description,
        "contact": {
            "name": "Alice Rossi",
            "email": "offers@acme.example",
            "phone": "+41 21 555 01 23",
            "organization": "Acme SA",
        },
    }


def test_list_filters_and_orders(api: Client, acme: Organization) -> None:
    make_offer(acme, title="Migration", category="migration", budget="gt-20k")
    make_offer(acme, title="Website")

    assert [o["title"] for o in api.get(f"{OFFERS}?category=migration").json()["results"]] == [
        "Migration"
    ]
    assert [o["title"] for o in api.get(f"{OFFERS}?budget=1k-5k").json()["results"]] == ["Website"]
    assert [o["title"] for o in api.get(f"{OFFERS}?ordering=newest").json()["results"]] == [
        "Website",
        "Migration",
    ]


def test_an_unknown_filter_value_is_a_400_with_a_code(api: Client) -> None:
    response = api.get(f"{OFFERS}?category=nonsense")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "category" in response.json()["fields"]


def test_detail_while_valid_has_the_contacts(
    api: Client, carol: User, partner: PartnerProfile, offer: OfferRequest
) -> None:
    do_send_proposal(partner, offer, {"message": "Hi"}, actor=carol)

    body = api.get(f"{OFFERS}{offer.pk}/").json()

    assert body["valid"] is True
    assert body["proposal_sent"] is True
    assert body["contact"]["email"] == CONTACT["contact_email"]


@pytest.mark.parametrize("how", ENDINGS)
def test_detail_after_the_request_ended_has_no_contacts(
    api: Client, offer: OfferRequest, how: str
) -> None:
    end(offer, how)

    response = api.get(f"{OFFERS}{offer.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["valid"], body["contact"], body["description"]) == (False, None, None)
    assert body["title"] is None  # the customer's text may hold contacts too (finding 14)
    raw = response.content.decode()
    for value in CONTACT.values():
        assert value not in raw
    assert offer.pk not in [o["id"] for o in api.get(OFFERS).json()["results"]]


def test_the_chosen_partner_keeps_the_contacts_in_the_api(
    api: Client,
    carol: User,
    dave: User,
    alice: User,
    partner: PartnerProfile,
    offer: OfferRequest,
) -> None:
    """Issue 13, defect 1: on choosing, the partner's page shows the customer's contacts and says
    its proposal was chosen; the API says the same. Another partner who proposed sees nothing."""
    from offers import services
    from organizations.models import Organization as Org

    other = make_partner(Org.objects.get(slug="keller"))
    do_send_proposal(other, offer, {"message": "Me too"}, actor=dave)
    chosen = do_send_proposal(partner, offer, {"message": "Hi"}, actor=carol)
    services.do_choose_proposal(chosen, actor=alice)

    body = api.get(f"{OFFERS}{offer.pk}/").json()
    assert (body["valid"], body["chosen"]) == (False, True)
    assert body["contact"]["email"] == CONTACT["contact_email"]
    assert body["title"] == offer.title

    theirs = _client(dave, other.organization).get(f"{OFFERS}{offer.pk}/").json()
    assert (theirs["chosen"], theirs["contact"], theirs["title"]) == (False, None, None)


def test_detail_of_a_request_that_does_not_match_is_a_404(
    api: Client, acme: Organization, carol: User, studio_carol: Organization
) -> None:
    for other in [
        make_offer(acme, category="consulting"),
        make_offer(studio_carol),
    ]:
        response = api.get(f"{OFFERS}{other.pk}/")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert api.get(f"{OFFERS}999999/").status_code == 404


def test_any_member_of_the_partner_may_read(
    partner: PartnerProfile, studio_carol: Organization, offer: OfferRequest
) -> None:
    collaborator = UserFactory.create()
    MembershipFactory.create(organization=studio_carol, user=collaborator, role=Role.COLLABORATOR)

    response = _client(collaborator, studio_carol).get(f"{OFFERS}{offer.pk}/")

    assert response.json()["contact"]["email"] == CONTACT["contact_email"]
