"""The customer's services: posting (limits, rate limit, confirmation and excerpt emails),
cancelling, closing, deleting, choosing a proposal. The helpers at the top are shared by the other
customer test modules of this folder."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import services
from offers.links import offer_from_cancellation_token
from offers.matching import requests_for
from offers.models import OfferRequest, PartnerSubscription, Proposal
from offers.services import OfferLimitReached, OfferRateLimited, RequestEnded
from organizations.models import Membership, Organization, PartnerProfile, Role
from tests.conftest import membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# --- Shared helpers -----------------------------------------------------------------------------


def make_partner(
    org: Organization,
    *,
    categories: tuple[str, ...] = ("website", "migration"),
    regions: list[str] | None = None,
    languages: list[str] | None = None,
    is_active: bool = True,
    name: str | None = None,
) -> PartnerProfile:
    partner = PartnerProfile.objects.create(
        organization=org,
        public_name=name or org.name,
        regions=regions or [],
        languages=languages or [],
        is_active=is_active,
    )
    for category in categories:
        PartnerSubscription.objects.create(partner=partner, category=category)
    return partner


def request_data(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "A website for our restaurant",
        "description": "Three pages, a menu and a booking form. We have a logo already.",
        "category": "website",
        "budget": "1k-5k",
        "deadline": None,
        "region": "",
        "language": "en",
        "contact_name": "Alice Rossi",
        "contact_email": "alice@example.com",
        "contact_phone": "+41 21 555 01 01",
        "validity_days": 30,
        **overrides,
    }


def post(user: User, org: Organization, **overrides: Any) -> OfferRequest:
    return services.do_post_request(membership(user, org), request_data(**overrides), actor=user)


def make_request(org: Organization, user: User | None = None, **fields: Any) -> OfferRequest:
    """A request stored directly (no emails, no limits): for states the services never make."""
    values: dict[str, Any] = {
        "title": "Move our mailboxes",
        "description": "Twelve mailboxes to move.",
        "category": "migration",
        "budget": "lt-1k",
        "language": "en",
        "contact_name": "Alice Rossi",
        "contact_email": "alice@example.com",
        "contact_phone": "+41 21 555 01 01",
        "valid_until": timezone.localdate() + timedelta(days=30),
        **fields,
    }
    return OfferRequest.objects.create(organization=org, created_by=user, **values)


def propose(offer: OfferRequest, partner: PartnerProfile, author: User | None = None) -> Proposal:
    return Proposal.objects.create(
        request=offer,
        partner=partner,
        author=author,
        message=f"{partner.public_name} can do it.",
        price_estimate=Decimal("2400.00"),
        timeline="Three weeks",
    )


def emails(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("to", "pk"))


@pytest.fixture
def carol_partner(carol: User, studio_carol: Organization) -> PartnerProfile:
    return make_partner(studio_carol, name="Studio Carol")


# --- Posting ------------------------------------------------------------------------------------


def test_post_request_stores_it_valid_for_30_days_by_default(
    alice: User, acme: Organization
) -> None:
    data = request_data()
    del data["validity_days"]
    offer = services.do_post_request(membership(alice, acme), data, actor=alice)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN
    assert offer.valid_until == timezone.localdate() + timedelta(days=30)
    assert offer.organization == acme
    assert offer.created_by == alice
    assert offer.is_valid()


def test_post_request_validity_of_90_days_accepted(alice: User, acme: Organization) -> None:
    offer = post(alice, acme, validity_days=90)
    assert offer.valid_until == timezone.localdate() + timedelta(days=90)


@pytest.mark.parametrize("days", [0, 91, -3, "thirty"])
def test_post_request_validity_out_of_range_refused(
    alice: User, acme: Organization, days: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        post(alice, acme, validity_days=days)
    assert "validity_days" in caught.value.message_dict
    assert not OfferRequest.objects.exists()
    assert not Notification.objects.exists()


def test_post_request_past_deadline_refused(alice: User, acme: Organization) -> None:
    with pytest.raises(ValidationError) as caught:
        post(alice, acme, deadline=timezone.localdate() - timedelta(days=1))
    assert "deadline" in caught.value.message_dict
    assert not OfferRequest.objects.exists()


def test_post_request_unknown_category_refused(alice: User, acme: Organization) -> None:
    with pytest.raises(ValidationError) as caught:
        post(alice, acme, category="plumbing")
    assert "category" in caught.value.message_dict
    assert not OfferRequest.objects.exists()


def test_post_request_for_another_persons_membership_refused(
    alice: User, bob: User, acme: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        services.do_post_request(membership(bob, acme), request_data(), actor=alice)
    assert not OfferRequest.objects.exists()


def test_post_request_is_audited(alice: User, acme: Organization) -> None:
    offer = post(alice, acme)
    event = AuditEvent.objects.get(action="offer_request.posted")
    assert event.organization_id == acme.pk
    assert event.actor == alice
    assert event.target_id == str(offer.pk)


def test_post_request_sends_confirmation_with_cancellation_link(
    alice: User, acme: Organization
) -> None:
    offer = post(alice, acme)
    [mail] = emails("offer_request_posted")
    assert mail.to == "alice@example.com"
    assert mail.recipient == alice
    assert "A website for our restaurant" in mail.subject
    # The link is signed with a timestamp: compare what it names, not its exact text.
    for body in (mail.body_text, mail.body_html):
        [token] = re.findall(r"http://localhost:8000/offers/cancel/([^/\s\"]+)/", body)
        assert offer_from_cancellation_token(token) == offer
    assert mail.language == "en"


def test_post_request_confirmation_in_italian_for_an_italian_poster(
    alice: User, acme: Organization
) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    post(alice, acme)
    [mail] = emails("offer_request_posted")
    assert mail.language == "it"


def test_post_request_confirmation_goes_to_the_contact_address_in_the_posters_language(
    bob: User, acme: Organization
) -> None:
    bob.language = "it"
    bob.save(update_fields=["language"])
    post(bob, acme, contact_email="projects@acme.example", contact_name="Projects desk")
    [mail] = emails("offer_request_posted")
    assert mail.to == "projects@acme.example"
    assert mail.recipient is None
    assert mail.language == "it"


def test_post_request_excerpt_goes_to_partner_legal_representatives_and_administrators(
    alice: User, acme: Organization, carol: User, carol_partner: PartnerProfile
) -> None:
    studio = carol_partner.organization
    admin = MembershipFactory.create(organization=studio, role=Role.ADMINISTRATOR).user
    MembershipFactory.create(organization=studio, role=Role.COLLABORATOR)
    gone = MembershipFactory.create(organization=studio, role=Role.ADMINISTRATOR).user
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    post(alice, acme)
    assert sorted(m.to for m in emails("offer_request_excerpt")) == sorted(
        [carol.email, admin.email]
    )


def test_post_request_reaches_only_matching_active_partners(
    alice: User, acme: Organization
) -> None:
    reached = make_partner(OrganizationFactory.create(name="Web Ltd"), categories=("website",))
    MembershipFactory.create(organization=reached.organization, role=Role.LEGAL_REPRESENTATIVE)
    other = make_partner(OrganizationFactory.create(name="Mail Ltd"), categories=("mail_setup",))
    MembershipFactory.create(organization=other.organization, role=Role.LEGAL_REPRESENTATIVE)
    wrong_region = make_partner(OrganizationFactory.create(), regions=["de"])
    MembershipFactory.create(organization=wrong_region.organization, role=Role.LEGAL_REPRESENTATIVE)
    wrong_language = make_partner(OrganizationFactory.create(), languages=["de"])
    MembershipFactory.create(
        organization=wrong_language.organization, role=Role.LEGAL_REPRESENTATIVE
    )
    inactive = make_partner(OrganizationFactory.create(), is_active=False)
    MembershipFactory.create(organization=inactive.organization, role=Role.LEGAL_REPRESENTATIVE)
    post(alice, acme, region="ch-fr", language="fr")
    [mail] = emails("offer_request_excerpt")
    assert mail.recipient is not None
    assert mail.recipient.memberships.get().organization == reached.organization


def test_post_request_excerpt_holds_no_contact_details(
    alice: User, acme: Organization, carol: User, carol_partner: PartnerProfile
) -> None:
    description = (
        "We need a shop. Call Alice Rossi at +41 21 555 01 01 or write to alice@example.com, "
        "or to the office at office@acme.example / 021 555 02 02. "
    ) + "More details follow. " * 30
    offer = post(alice, acme, description=description, budget="5k-20k")
    [mail] = emails("offer_request_excerpt")
    for part in (mail.subject, mail.body_text, mail.body_html):
        for secret in (
            "Alice Rossi",
            "alice@example.com",
            "+41 21 555 01 01",
            "555 01 01",
            "office@acme.example",
            "021 555 02 02",
        ):
            assert secret not in part
    # Nothing the customer wrote (tests/offers/test_excerpt_leaks.py): the fixed fields only.
    assert "A website for our restaurant" not in mail.subject
    assert "We need a shop." not in mail.body_text
    assert "Website creation" in mail.subject
    assert "Website creation" in mail.body_text
    assert "CHF 5,000 to 20,000" in mail.body_text
    assert reverse("partners:offer-detail", args=[offer.pk]) in mail.body_text
    assert reverse("partners:offer-detail", args=[offer.pk]) in mail.body_html


def test_post_request_excerpt_in_the_partners_language(
    alice: User, acme: Organization, carol: User, carol_partner: PartnerProfile
) -> None:
    carol.language = "it"
    carol.save(update_fields=["language"])
    post(alice, acme)
    [mail] = emails("offer_request_excerpt")
    assert mail.language == "it"
    assert mail.recipient == carol


def test_post_request_fourth_open_request_refused(alice: User, acme: Organization) -> None:
    for n in range(services.MAX_OPEN_REQUESTS):
        post(alice, acme, title=f"Request {n}")
    Notification.objects.all().delete()
    with pytest.raises(OfferLimitReached) as caught:
        post(alice, acme, title="One too many")
    assert "3 open requests" in caught.value.messages[0]
    assert OfferRequest.objects.filter(organization=acme).count() == 3
    assert not Notification.objects.exists()


def test_post_request_ended_and_overdue_requests_free_their_place(
    alice: User, acme: Organization
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    make_request(acme, alice, status=OfferRequest.Status.CLOSED)
    make_request(acme, alice, status=OfferRequest.Status.CANCELLED)
    make_request(acme, alice, status=OfferRequest.Status.EXPIRED)
    make_request(acme, alice, valid_until=yesterday)  # open, but the daily task has not run
    make_request(acme, alice)
    make_request(acme, alice)
    assert post(alice, acme).pk


def test_post_request_hidden_request_keeps_its_place(alice: User, acme: Organization) -> None:
    for _ in range(services.MAX_OPEN_REQUESTS):
        make_request(acme, alice, hidden_at=timezone.now())
    with pytest.raises(OfferLimitReached):
        post(alice, acme)


def test_post_request_limit_counts_per_organization(
    alice: User, acme: Organization, dave: User
) -> None:
    for n in range(services.MAX_OPEN_REQUESTS):
        post(alice, acme, title=f"Request {n}")
    keller = Organization.objects.get(slug="keller")
    assert post(dave, keller).organization == keller


def test_post_request_rate_limited(alice: User, acme: Organization, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "offer-post": (2, 3600)}
    for _ in range(2):
        services.do_cancel_request(post(alice, acme), actor=alice)
    with pytest.raises(OfferRateLimited) as caught:
        post(alice, acme)
    assert "You can post again in 1 hour" in caught.value.messages[0]
    assert OfferRequest.objects.count() == 2


def test_post_request_rate_limit_is_per_person(
    alice: User, bob: User, acme: Organization, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "offer-post": (1, 3600)}
    post(alice, acme)
    assert post(bob, acme).created_by == bob


def test_post_request_is_limited_per_person_by_the_setting(
    alice: User, acme: Organization, settings: Any
) -> None:
    allowed, _window = settings.RATE_LIMITS["offer-post"]
    for _ in range(allowed):
        services.do_cancel_request(post(alice, acme), actor=alice)
    with pytest.raises(OfferRateLimited):
        post(alice, acme)


# --- Cancelling, closing, deleting --------------------------------------------------------------


def test_cancel_request_ends_it_once(
    alice: User, acme: Organization, carol_partner: PartnerProfile
) -> None:
    offer = post(alice, acme)
    assert offer in requests_for(carol_partner)
    assert services.do_cancel_request(offer) is True
    assert services.do_cancel_request(offer) is False
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CANCELLED
    assert offer.ended_at is not None
    assert not offer.is_valid()
    assert not offer.contact_visible_to_partners
    assert offer not in requests_for(carol_partner)
    [event] = AuditEvent.objects.filter(action="offer_request.cancelled")
    assert event.organization_id == acme.pk
    assert event.actor is None


def test_cancel_request_past_its_validity_changes_nothing(alice: User, acme: Organization) -> None:
    offer = make_request(acme, alice, valid_until=timezone.localdate() - timedelta(days=1))
    assert services.do_cancel_request(offer) is False
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN  # the daily task will expire it
    assert not AuditEvent.objects.filter(action="offer_request.cancelled").exists()


@pytest.mark.parametrize("closer", ["alice", "bob", "poster"])
def test_close_request_by_poster_legal_representative_or_administrator(
    request: pytest.FixtureRequest, acme: Organization, erin: User, closer: str
) -> None:
    offer = make_request(acme, erin)
    actor = erin if closer == "poster" else request.getfixturevalue(closer)
    assert services.do_close_request(offer, actor=actor) is True
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CLOSED
    assert AuditEvent.objects.get(action="offer_request.closed").actor == actor


def test_close_request_by_collaborator_who_did_not_post_refused(
    alice: User, erin: User, acme: Organization
) -> None:
    offer = make_request(acme, alice)
    with pytest.raises(PermissionDenied):
        services.do_close_request(offer, actor=erin)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN


def test_close_request_by_outsider_refused(alice: User, dave: User, acme: Organization) -> None:
    offer = make_request(acme, alice)
    with pytest.raises(PermissionDenied):
        services.do_close_request(offer, actor=dave)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN


def test_close_request_twice_changes_nothing_the_second_time(
    alice: User, acme: Organization
) -> None:
    offer = make_request(acme, alice)
    assert services.do_close_request(offer, actor=alice) is True
    ended_at = offer.ended_at
    assert services.do_close_request(offer, actor=alice) is False
    offer.refresh_from_db()
    assert offer.ended_at == ended_at
    assert AuditEvent.objects.filter(action="offer_request.closed").count() == 1


def test_delete_request_removes_it_with_its_proposals(
    alice: User, acme: Organization, carol_partner: PartnerProfile
) -> None:
    offer = make_request(acme, alice)
    propose(offer, carol_partner)
    services.do_delete_request(offer, actor=alice)
    assert not OfferRequest.objects.exists()
    assert not Proposal.objects.exists()
    event = AuditEvent.objects.get(action="offer_request.deleted")
    assert event.organization_id == acme.pk
    assert event.target_repr == "Move our mailboxes"
    assert event.data["proposals"] == 1


def test_delete_request_by_collaborator_who_did_not_post_refused(
    alice: User, erin: User, acme: Organization
) -> None:
    offer = make_request(acme, alice)
    with pytest.raises(PermissionDenied):
        services.do_delete_request(offer, actor=erin)
    assert OfferRequest.objects.filter(pk=offer.pk).exists()


# --- Choosing a proposal ------------------------------------------------------------------------


def test_choose_proposal_closes_the_request_and_tells_every_partner(
    alice: User, acme: Organization, carol: User, carol_partner: PartnerProfile
) -> None:
    other = make_partner(OrganizationFactory.create(name="Web Ltd"), name="Web Ltd")
    other_author = UserFactory.create(email="web@example.com")
    MembershipFactory.create(
        organization=other.organization, user=other_author, role=Role.COLLABORATOR
    )
    offer = make_request(acme, alice)
    chosen = propose(offer, carol_partner, author=carol)
    propose(offer, other, author=other_author)
    services.do_choose_proposal(chosen, actor=alice)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CLOSED
    assert offer.chosen_proposal == chosen
    assert not offer.is_valid()
    mails = {m.to: m for m in emails("offer_proposal_outcome")}
    assert set(mails) == {"carol@example.com", "web@example.com"}
    assert "Your proposal was chosen" in mails["carol@example.com"].subject
    assert "Another proposal was chosen" in mails["web@example.com"].subject
    # The chosen partner gets the customer's contact details to start the work (issue 13,
    # defect 1); the others get none.
    assert "alice@example.com" in mails["carol@example.com"].body_text
    assert "alice@example.com" not in mails["web@example.com"].body_text
    assert "+41 21 555 01 01" not in mails["web@example.com"].body_text
    event = AuditEvent.objects.get(action="offer_request.proposal_chosen")
    assert event.organization_id == acme.pk
    assert event.data["partner"] == "Studio Carol"


def test_choose_proposal_of_an_expired_request_closes_it(
    alice: User, acme: Organization, carol_partner: PartnerProfile
) -> None:
    offer = make_request(acme, alice, status=OfferRequest.Status.EXPIRED)
    services.do_choose_proposal(propose(offer, carol_partner), actor=alice)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CLOSED


@pytest.mark.parametrize("status", [OfferRequest.Status.CANCELLED, OfferRequest.Status.CLOSED])
def test_choose_proposal_of_an_ended_request_refused(
    alice: User, acme: Organization, carol_partner: PartnerProfile, status: str
) -> None:
    offer = make_request(acme, alice, status=status)
    proposal = propose(offer, carol_partner)
    with pytest.raises(RequestEnded):
        services.do_choose_proposal(proposal, actor=alice)
    offer.refresh_from_db()
    assert offer.chosen_proposal is None
    assert not emails("offer_proposal_outcome")


def test_choose_proposal_by_collaborator_who_did_not_post_refused(
    alice: User, erin: User, acme: Organization, carol_partner: PartnerProfile
) -> None:
    offer = make_request(acme, alice)
    proposal = propose(offer, carol_partner)
    with pytest.raises(PermissionDenied):
        services.do_choose_proposal(proposal, actor=erin)
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN
    assert not emails("offer_proposal_outcome")


def test_choose_proposal_outcome_in_each_partners_language(
    alice: User, acme: Organization, carol: User, carol_partner: PartnerProfile
) -> None:
    carol.language = "it"
    carol.save(update_fields=["language"])
    other = make_partner(OrganizationFactory.create(name="Web Ltd"), name="Web Ltd")
    english = MembershipFactory.create(
        organization=other.organization, role=Role.ADMINISTRATOR
    ).user
    offer = make_request(acme, alice)
    chosen = propose(offer, carol_partner, author=carol)
    propose(offer, other)
    services.do_choose_proposal(chosen, actor=alice)
    languages = {m.to: m.language for m in emails("offer_proposal_outcome")}
    assert languages == {carol.email: "it", english.email: "en"}


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers, so no race happens",
)
def test_post_request_at_once_never_passes_the_open_limit(acme: Organization) -> None:
    """Several members post at the same instant while one place is left: the organization's row
    lock lets exactly one through; the others get the limit's message."""
    posters = [
        MembershipFactory.create(organization=acme, role=Role.ADMINISTRATOR) for _ in range(4)
    ]
    for n in range(services.MAX_OPEN_REQUESTS - 1):
        make_request(acme, posters[0].user, title=f"Open {n}")
    barrier = threading.Barrier(len(posters), timeout=30)
    outcomes: list[BaseException | None] = []

    def run(m: Membership) -> None:
        try:
            barrier.wait()
            services.do_post_request(m, request_data(), actor=m.user)
            outcomes.append(None)
        except BaseException as exc:  # counted below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m,)) for m in posters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count(None) == 1
    assert all(isinstance(o, OfferLimitReached) for o in outcomes if o is not None)
    assert services.open_count(acme) == services.MAX_OPEN_REQUESTS
    assert Notification.objects.filter(kind="offer_request_posted").count() == 1
