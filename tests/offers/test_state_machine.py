"""A hypothesis state machine over the life of offer requests: post, propose, cancel (from the
portal or the email link), close, hide, the last day passing, the daily expiry, and a partner
viewing — the page, the API and the link of the excerpt email.

The invariant: a partner sees a request's contact details exactly while the machine's own model
says it is valid (posted, never cancelled, closed, hidden or past its last day), and never after;
a proposal is accepted exactly while valid and once per partner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import proposals, services
from offers.links import cancellation_url
from offers.matching import requests_for
from offers.models import OfferRequest, Proposal
from organizations.models import Membership, Organization, PartnerProfile
from tests.conftest import clear_cache, signed_in
from tests.factories import UserFactory
from tests.offers.conftest import make_partner
from tokens.services import do_create_token

pytestmark = pytest.mark.urls("tests.offers.test_api")  # the API under /api/v1/offers/

SUBSCRIBED = ("website", "migration")


@dataclass
class Expected:
    """What the machine believes of one request."""

    pk: int
    contacts: tuple[str, str, str]
    matches: bool  # the partner's subscriptions take it
    ended: bool = False
    hidden: bool = False  # hidden by staff: ended for partners, still open for the customer
    proposed: bool = False
    excerpt_path: str | None = None
    seen_contacts: bool = field(default=False)


class OfferLife(RuleBasedStateMachine):
    offers = Bundle("offers")

    def __init__(self) -> None:
        super().__init__()
        # Each run starts from the same people and no request (the test's transaction holds the
        # people; the requests of the previous run are removed here).
        for model in (Proposal, OfferRequest, Notification, AuditEvent):
            model.objects.all().delete()
        clear_cache()
        self.alice = User.objects.get(email="alice@example.com")
        self.carol = User.objects.get(email="carol@example.com")
        self.staff = User.objects.get(email="support@example.com")
        self.acme = Organization.objects.get(slug="acme")
        self.membership = Membership.objects.get(user=self.alice, organization=self.acme)
        self.partner = PartnerProfile.objects.get(organization__slug="studio-carol")
        self.browser = signed_in(self.carol)
        self.customer_browser = Client()
        _token, secret = do_create_token(
            self.carol,
            organization=self.partner.organization,
            name="offers",
            scope="offers",
            expires_at=None,
            actor=self.carol,
        )
        self.api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.expected: dict[int, Expected] = {}
        self.counter = 0

    def _ended(self, pk: int) -> None:
        """Cancelled, closed or past its last day: the place is free again, hidden or not."""
        self.expected[pk].ended = True
        self.expected[pk].hidden = False

    # --- Customers --------------------------------------------------------------------------

    @rule(target=offers, category=st.sampled_from([*SUBSCRIBED, "consulting"]))
    def post(self, category: str) -> Any:
        self.counter += 1
        n = self.counter
        contacts = (f"Person Number{n}", f"contact{n}@customer.example", f"+41 79 000 {n:04d}")
        data = {
            "title": f"Request {n}",
            "description": f"Work of kind {category}, request {n}.",
            "category": category,
            "budget": "1k-5k",
            "language": "en",
            "contact_name": contacts[0],
            "contact_email": contacts[1],
            "contact_phone": contacts[2],
            "validity_days": 30,
        }
        # A request hidden by staff still takes one of the organization's places.
        running = sum(1 for e in self.expected.values() if not e.ended or e.hidden)
        try:
            offer = services.do_post_request(self.membership, data, actor=self.alice)
        except services.OfferLimitReached:
            assert running >= services.MAX_OPEN_REQUESTS
            return None
        assert running < services.MAX_OPEN_REQUESTS
        expected = Expected(offer.pk, contacts, matches=category in SUBSCRIBED)
        excerpt = Notification.objects.filter(
            kind="offer_request_excerpt",
            to=self.carol.email,
            key__startswith=f"offer-excerpt:{offer.pk}:",
        ).first()
        assert (excerpt is not None) == expected.matches
        if excerpt is not None:
            for value in contacts:
                assert value not in excerpt.body_text
                assert value not in excerpt.body_html
            match = re.search(r"/partners/offers/\d+/\S*", excerpt.body_text)
            assert match, excerpt.body_text
            expected.excerpt_path = match.group(0)
        self.expected[offer.pk] = expected
        return offer.pk

    @rule(pk=offers, via_link=st.booleans())
    def cancel(self, pk: int | None, via_link: bool) -> None:
        if pk is None:
            return
        offer = OfferRequest.objects.get(pk=pk)
        if via_link:
            url = cancellation_url(offer)
            path = url[url.index("/offers/cancel/") :]
            self.customer_browser.get(path)  # a mail scanner opening the link changes nothing
            assert OfferRequest.objects.get(pk=pk).status == offer.status
            self.customer_browser.post(path)
        else:
            services.do_cancel_request(offer, actor=self.alice)
        self._ended(pk)

    @rule(pk=offers)
    def close(self, pk: int | None) -> None:
        if pk is None:
            return
        services.do_close_request(OfferRequest.objects.get(pk=pk), actor=self.alice)
        self._ended(pk)

    @rule(pk=offers)
    def hide(self, pk: int | None) -> None:
        if pk is None:
            return
        offer = OfferRequest.objects.get(pk=pk)
        proposals.do_hide_request(offer, actor=self.staff)
        self.expected[pk].hidden = self.expected[pk].hidden or offer.is_valid()
        self.expected[pk].ended = True

    @rule(pk=offers)
    def last_day_passes(self, pk: int | None) -> None:
        if pk is None:
            return
        OfferRequest.objects.filter(pk=pk).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
        self._ended(pk)

    @rule()
    def daily_expiry(self) -> None:
        services.expire_requests()

    @rule(pk=consumes(offers))
    def delete(self, pk: int | None) -> None:
        if pk is None:
            return
        services.do_delete_request(OfferRequest.objects.get(pk=pk), actor=self.alice)
        expected = self.expected.pop(pk)
        assert self.browser.get(reverse("partners:offer-detail", args=[pk])).status_code == 404
        assert self.api.get(f"/api/v1/offers/{pk}/").status_code == 404
        if expected.excerpt_path:
            assert self.browser.get(expected.excerpt_path).status_code == 404

    # --- The partner ------------------------------------------------------------------------

    @rule(pk=offers)
    def propose(self, pk: int | None) -> None:
        if pk is None:
            return
        expected = self.expected[pk]
        offer = OfferRequest.objects.get(pk=pk)
        data = {"message": f"Our proposal for {pk}", "price_estimate": "1000", "timeline": "1 week"}
        try:
            proposals.do_send_proposal(self.partner, offer, data, actor=self.carol)
        except PermissionDenied:
            assert not expected.matches
        except proposals.ProposalRefused:
            assert expected.matches
            assert expected.ended or expected.proposed
        else:
            assert expected.matches
            assert not expected.ended
            assert not expected.proposed
            expected.proposed = True

    @rule(pk=offers, through=st.sampled_from(["page", "api", "email link"]))
    def view(self, pk: int | None, through: str) -> None:
        if pk is None:
            return
        expected = self.expected[pk]
        if through == "page":
            response = self.browser.get(reverse("partners:offer-detail", args=[pk]))
        elif through == "api":
            response = self.api.get(f"/api/v1/offers/{pk}/")
        else:
            if expected.excerpt_path is None:
                return
            response = self.browser.get(expected.excerpt_path, follow=True)
        body = response.content.decode()
        if not expected.matches:
            assert response.status_code == 404
        else:
            assert response.status_code == 200
        shown = [value in body for value in expected.contacts]
        if expected.matches and not expected.ended:
            assert all(shown), (through, body[:500])
            expected.seen_contacts = True
        else:
            assert not any(shown), (through, expected)
            if through == "api" and expected.matches:
                assert response.json()["valid"] is False
                assert response.json()["contact"] is None

    # --- What must always hold --------------------------------------------------------------

    @invariant()
    def validity_agrees_with_the_model(self) -> None:
        for pk, expected in self.expected.items():
            offer = OfferRequest.objects.get(pk=pk)
            assert offer.is_valid() == (not expected.ended), (offer.status, expected)
            assert offer.contact_visible_to_partners == offer.is_valid()

    @invariant()
    def the_list_shows_only_valid_matching_requests(self) -> None:
        listed = set(requests_for(self.partner).values_list("pk", flat=True))
        wanted = {pk for pk, e in self.expected.items() if e.matches and not e.ended}
        assert listed == wanted

    @invariant()
    def at_most_one_proposal_per_partner(self) -> None:
        for pk, expected in self.expected.items():
            count = Proposal.objects.filter(request_id=pk, partner=self.partner).count()
            assert count == (1 if expected.proposed else 0)


@pytest.mark.django_db
def test_contact_details_only_while_valid(
    settings: Any, alice: User, carol: User, acme: Organization, studio_carol: Organization
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "offer-post": (10_000, 60)}
    UserFactory.create(email="support@example.com", is_staff=True)
    make_partner(studio_carol, categories=SUBSCRIBED)

    run_state_machine_as_test(
        OfferLife,
        settings=hypothesis_settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
