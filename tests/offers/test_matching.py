"""`offers.matching`, both ways: the partners a request reaches (`partners_for`) and the requests
a partner sees (`requests_for`) follow one rule — category subscribed, region and language
accepted where given, partner active, request valid, never the partner's own organization."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from offers.matching import partners_for, requests_for, valid_requests
from offers.models import OfferRequest
from organizations.models import Organization, PartnerProfile
from tests.factories import OrganizationFactory
from tests.offers.test_services import make_partner, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer() -> Organization:
    return OrganizationFactory.create(name="Acme SA", slug="acme")


def new_partner(**fields: Any) -> PartnerProfile:
    """A new partner, of an organization of its own, with `fields` (categories, regions...)."""
    return make_partner(OrganizationFactory.create(), **fields)


def reaches(offer: OfferRequest, p: PartnerProfile) -> bool:
    """The rule seen from both sides, which must agree."""
    forward = p in partners_for(offer)
    backward = requests_for(p).filter(pk=offer.pk).exists()
    assert forward == backward, "partners_for and requests_for disagree"
    return forward


def test_matching_by_category(customer: Organization) -> None:
    offer = make_request(customer, category="website")
    assert reaches(offer, new_partner(categories=("website",)))
    assert not reaches(offer, new_partner(categories=("mail_setup", "domains")))
    assert not reaches(offer, new_partner(categories=()))


@pytest.mark.parametrize(
    ("request_region", "partner_regions", "expected"),
    [
        ("ch-fr", ["ch-fr", "ch-de"], True),
        ("ch-fr", ["it"], False),
        ("ch-fr", [], True),  # a partner that names no region takes them all
        ("", ["it"], True),  # a request that names no region reaches every region
        ("", [], True),
    ],
)
def test_matching_by_region(
    customer: Organization, request_region: str, partner_regions: list[str], expected: bool
) -> None:
    offer = make_request(customer, category="website", region=request_region)
    assert reaches(offer, new_partner(categories=("website",), regions=partner_regions)) is expected


@pytest.mark.parametrize(
    ("request_language", "partner_languages", "expected"),
    [
        ("it", ["it", "fr"], True),
        ("it", ["de"], False),
        ("de", [], True),  # a partner that names no language takes them all
    ],
)
def test_matching_by_language(
    customer: Organization, request_language: str, partner_languages: list[str], expected: bool
) -> None:
    offer = make_request(customer, category="website", language=request_language)
    p = new_partner(categories=("website",), languages=partner_languages)
    assert reaches(offer, p) is expected


def test_matching_needs_category_region_and_language_together(customer: Organization) -> None:
    offer = make_request(customer, category="website", region="it", language="it")
    assert reaches(offer, new_partner(categories=("website",), regions=["it"], languages=["it"]))
    assert not reaches(
        offer, new_partner(categories=("domains",), regions=["it"], languages=["it"])
    )
    assert not reaches(
        offer, new_partner(categories=("website",), regions=["fr"], languages=["it"])
    )
    assert not reaches(
        offer, new_partner(categories=("website",), regions=["it"], languages=["fr"])
    )


def test_matching_skips_inactive_partners(customer: Organization) -> None:
    offer = make_request(customer, category="website")
    inactive = new_partner(categories=("website",), is_active=False)
    assert inactive not in partners_for(offer)
    assert not requests_for(inactive).exists()


def test_matching_skips_the_partners_own_organization(customer: Organization) -> None:
    own = make_partner(customer, categories=("website",))
    offer = make_request(customer, category="website")
    assert not reaches(offer, own)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": OfferRequest.Status.CANCELLED},
        {"status": OfferRequest.Status.CLOSED},
        {"status": OfferRequest.Status.EXPIRED},
        {"valid_until_days": -1},  # open, past its last day, before the daily task
        {"hidden": True},
    ],
    ids=["cancelled", "closed", "expired", "overdue", "hidden"],
)
def test_requests_for_shows_only_valid_requests(
    customer: Organization, fields: dict[str, Any]
) -> None:
    p = new_partner(categories=("website",))
    today = timezone.localdate()
    offer = make_request(
        customer,
        category="website",
        status=fields.get("status", OfferRequest.Status.OPEN),
        valid_until=today + timedelta(days=fields.get("valid_until_days", 10)),
        hidden_at=timezone.now() if fields.get("hidden") else None,
    )
    assert not offer.is_valid()
    assert offer not in requests_for(p)
    assert offer not in valid_requests()


def test_requests_for_includes_the_last_day_of_validity(customer: Organization) -> None:
    p = new_partner(categories=("website",))
    offer = make_request(customer, category="website", valid_until=timezone.localdate())
    assert offer.is_valid()
    assert offer in requests_for(p)


def test_matching_agrees_both_ways_over_every_combination(customer: Organization) -> None:
    """Every partner shape against every request shape: the two functions give the same pairs,
    and a pair matches exactly when the rule written out here says so."""
    region_choices: list[list[str]] = [[], ["ch-fr"], ["ch-de", "it"]]
    language_choices: list[list[str]] = [[], ["it"], ["en", "fr"]]
    partners = [
        new_partner(categories=cats, regions=regions, languages=languages)
        for cats, regions, languages in itertools.product(
            [("website",), ("website", "migration"), ("consulting",)],
            region_choices,
            language_choices,
        )
    ]
    offers = [
        make_request(customer, category=category, region=region, language=language)
        for category, region, language in itertools.product(
            ["website", "migration"], ["", "ch-fr", "it"], ["en", "it"]
        )
    ]
    for offer in offers:
        reached = set(partners_for(offer))
        for p in partners:
            expected = (
                p.subscriptions.filter(category=offer.category).exists()
                and (not offer.region or not p.regions or offer.region in p.regions)
                and (not p.languages or offer.language in p.languages)
            )
            assert (p in reached) is expected
            assert requests_for(p).filter(pk=offer.pk).exists() is expected
