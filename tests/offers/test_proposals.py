"""The partner side's services (`offers.proposals`): which request a partner may open, its
settings, proposals (only while valid, once), reports (once), and staff moderation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import proposals, services
from offers.models import OfferRequest, PartnerSubscription, Proposal, Report
from organizations.models import Organization, PartnerProfile, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.offers.conftest import ENDINGS, end, make_offer, make_partner

PROPOSAL = {
    "message": "We can build it in Django.",
    "price_estimate": Decimal("2500"),
    "timeline": "3 weeks",
}


# --- offer_for_partner --------------------------------------------------------------------------


def test_offer_for_partner_finds_a_matching_request(
    partner: PartnerProfile, offer: OfferRequest
) -> None:
    assert proposals.offer_for_partner(partner, offer.pk) == offer


@pytest.mark.parametrize("how", ENDINGS)
def test_offer_for_partner_still_finds_an_ended_request(
    partner: PartnerProfile, offer: OfferRequest, how: str
) -> None:
    end(offer, how)

    found = proposals.offer_for_partner(partner, offer.pk)

    assert found == offer
    assert found is not None
    assert not found.is_valid()
    assert not found.contact_visible_to_partners


@pytest.mark.parametrize(
    ("partner_kwargs", "offer_kwargs"),
    [
        ({"categories": ("mail_setup",)}, {}),
        ({"regions": ("ch-de",)}, {"region": "ch-fr"}),
        ({"languages": ("de",)}, {"language": "en"}),
        ({"active": False}, {}),
    ],
    ids=["other category", "other region", "other language", "inactive partner"],
)
def test_offer_for_partner_refuses_what_does_not_match(
    carol: User,
    studio_carol: Organization,
    alice: User,
    acme: Organization,
    partner_kwargs: dict[str, Any],
    offer_kwargs: dict[str, Any],
) -> None:
    partner = make_partner(studio_carol, **partner_kwargs)
    offer = make_offer(acme, created_by=alice, **offer_kwargs)

    assert proposals.offer_for_partner(partner, offer.pk) is None


def test_offer_for_partner_refuses_its_own_organization_and_unknown_ids(
    partner: PartnerProfile, carol: User, studio_carol: Organization
) -> None:
    own = make_offer(studio_carol, created_by=carol)

    assert proposals.offer_for_partner(partner, own.pk) is None
    assert proposals.offer_for_partner(partner, 999_999) is None


def test_offer_for_partner_keeps_a_request_it_proposed_on_after_unsubscribing(
    partner: PartnerProfile, offer: OfferRequest, carol: User
) -> None:
    proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)
    PartnerSubscription.objects.filter(partner=partner).delete()

    assert proposals.offer_for_partner(partner, offer.pk) == offer


# --- Proposals ----------------------------------------------------------------------------------


def test_send_proposal_stores_it_and_emails_the_poster_and_legal_representatives(
    partner: PartnerProfile, carol: User, alice: User, bob: User, erin: User, acme: Organization
) -> None:
    other_legal = UserFactory.create(email="lea@example.com", language="it")
    MembershipFactory.create(organization=acme, user=other_legal, role=Role.LEGAL_REPRESENTATIVE)
    offer = make_offer(acme, created_by=bob)

    proposal = proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)

    assert (proposal.partner, proposal.request, proposal.author) == (partner, offer, carol)
    assert (proposal.message, proposal.price_estimate, proposal.timeline) == (
        "We can build it in Django.",
        Decimal("2500.00"),
        "3 weeks",
    )
    mails = Notification.objects.filter(kind="offer_proposal_received")
    assert sorted(mails.values_list("to", flat=True)) == [
        "alice@example.com",
        "bob@example.com",
        "lea@example.com",
    ]  # the poster and the legal representatives; not erin, a collaborator
    assert mails.get(to="lea@example.com").language == "it"
    mail = mails.get(to="bob@example.com")
    assert "Studio Carol (partner)" in mail.subject
    assert "A new website for our shop" in mail.subject
    assert "We can build it in Django." in mail.body_text
    assert "CHF 2,500.00" in mail.body_text
    assert f"/orgs/acme/offers/{offer.pk}/" in mail.body_text
    event = AuditEvent.objects.get(action="offer_request.proposal_sent")
    assert (event.actor, event.organization_id) == (carol, partner.organization_id)


def test_send_proposal_without_price_or_timeline(
    partner: PartnerProfile, offer: OfferRequest, carol: User
) -> None:
    proposal = proposals.do_send_proposal(partner, offer, {"message": "Hello"}, actor=carol)

    assert (proposal.price_estimate, proposal.timeline) == (None, "")
    body = Notification.objects.get(to="alice@example.com").body_text
    assert "Price estimate" not in body
    assert "Timeline" not in body


@pytest.mark.parametrize("how", ENDINGS)
def test_send_proposal_refused_after_the_request_ended(
    partner: PartnerProfile, offer: OfferRequest, carol: User, how: str
) -> None:
    end(offer, how)

    with pytest.raises(proposals.ProposalRefused) as refused:
        proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)

    assert "no longer valid" in refused.value.messages[0]
    assert not Proposal.objects.exists()
    assert not Notification.objects.filter(kind="offer_proposal_received").exists()


def test_send_proposal_twice_is_refused_even_by_another_member(
    partner: PartnerProfile, offer: OfferRequest, carol: User, studio_carol: Organization
) -> None:
    colleague = UserFactory.create()
    MembershipFactory.create(organization=studio_carol, user=colleague, role=Role.ADMINISTRATOR)
    proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)

    with pytest.raises(proposals.ProposalRefused) as refused:
        proposals.do_send_proposal(partner, offer, {"message": "Again"}, actor=colleague)

    assert refused.value.code == "already_proposed"
    assert Proposal.objects.count() == 1
    assert Notification.objects.filter(kind="offer_proposal_received").count() == 1


def test_send_proposal_to_a_request_the_partner_does_not_match_is_denied(
    carol: User, studio_carol: Organization, offer: OfferRequest
) -> None:
    partner = make_partner(studio_carol, categories=("consulting",))

    with pytest.raises(PermissionDenied):
        proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)
    assert not Proposal.objects.exists()


def test_two_partners_each_propose_once(
    partner: PartnerProfile, offer: OfferRequest, carol: User, dave: User
) -> None:
    keller = Organization.objects.get(slug="keller")
    other = make_partner(keller)

    proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol)
    proposals.do_send_proposal(other, offer, {"message": "Us too"}, actor=dave)

    assert offer.proposals.count() == 2


# --- Reports ------------------------------------------------------------------------------------


def test_report_request_once(partner: PartnerProfile, offer: OfferRequest, carol: User) -> None:
    report = proposals.do_report_request(partner, offer, "  Looks like spam  ", actor=carol)

    assert (report.reason, report.reporter, report.resolved_at) == ("Looks like spam", carol, None)
    with pytest.raises(proposals.ReportRefused) as refused:
        proposals.do_report_request(partner, offer, "Again", actor=carol)
    assert refused.value.code == "already_reported"
    assert Report.objects.count() == 1
    assert AuditEvent.objects.filter(action="offer_request.reported").count() == 1


@pytest.mark.parametrize("how", ["cancelled", "hidden"])
def test_report_refused_after_the_request_ended(
    partner: PartnerProfile, offer: OfferRequest, carol: User, how: str
) -> None:
    end(offer, how)

    with pytest.raises(proposals.ReportRefused):
        proposals.do_report_request(partner, offer, "spam", actor=carol)
    assert not Report.objects.exists()


def test_report_without_a_reason_is_refused(
    partner: PartnerProfile, offer: OfferRequest, carol: User
) -> None:
    with pytest.raises(proposals.ReportRefused):
        proposals.do_report_request(partner, offer, "   ", actor=carol)
    assert not Report.objects.exists()


# --- Moderation ---------------------------------------------------------------------------------


@pytest.fixture
def staff(db: Any) -> User:
    return UserFactory.create(email="support@example.com", is_staff=True)


def test_hide_request_ends_it_for_partners_and_resolves_its_reports(
    partner: PartnerProfile, offer: OfferRequest, carol: User, staff: User
) -> None:
    proposals.do_report_request(partner, offer, "spam", actor=carol)

    proposals.do_hide_request(offer, actor=staff)
    proposals.do_hide_request(offer, actor=staff)

    offer.refresh_from_db()
    assert offer.hidden_at is not None
    assert not offer.is_valid()
    assert offer.status == OfferRequest.Status.OPEN  # the customer's status is untouched
    assert Report.objects.get().resolved_at is not None
    event = AuditEvent.objects.get(action="offer_request.hidden")  # once
    assert (event.actor, event.organization_id) == (staff, offer.organization_id)


def test_close_request_as_staff_once(offer: OfferRequest, staff: User) -> None:
    assert services.do_close_request(offer, actor=staff, by_staff=True) is True
    assert services.do_close_request(offer, actor=staff, by_staff=True) is False

    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CLOSED
    assert offer.ended_at is not None
    assert AuditEvent.objects.filter(action="offer_request.closed").count() == 1


def test_close_request_as_staff_leaves_a_cancelled_request_cancelled(
    offer: OfferRequest, staff: User
) -> None:
    end(offer, "cancelled")

    assert services.do_close_request(offer, actor=staff, by_staff=True) is False
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.CANCELLED


def test_resolve_reports_counts_only_open_ones(
    partner: PartnerProfile, offer: OfferRequest, carol: User, staff: User
) -> None:
    proposals.do_report_request(partner, offer, "spam", actor=carol)

    assert proposals.do_resolve_reports(Report.objects.all(), actor=staff) == 1
    assert proposals.do_resolve_reports(Report.objects.all(), actor=staff) == 0
    assert offer.is_valid()


def test_set_partner_status_withdraws_and_grants_with_an_audit_event(
    partner: PartnerProfile, offer: OfferRequest, staff: User
) -> None:
    assert proposals.do_set_partner_status(partner, active=False, actor=staff) is True
    assert proposals.do_set_partner_status(partner, active=False, actor=staff) is False
    partner.refresh_from_db()
    assert proposals.offer_for_partner(partner, offer.pk) is None

    assert proposals.do_set_partner_status(partner, active=True, actor=staff) is True
    partner.refresh_from_db()
    assert proposals.offer_for_partner(partner, offer.pk) == offer
    assert list(
        AuditEvent.objects.filter(action__startswith="partner.status").values_list(
            "action", flat=True
        )
    ) == ["partner.status_granted", "partner.status_withdrawn"]  # newest first


# --- Settings -----------------------------------------------------------------------------------


def test_update_partner_settings_replaces_subscriptions(
    partner: PartnerProfile, carol: User
) -> None:
    proposals.do_update_partner_settings(
        partner,
        public_name="Studio Carol Web",
        description="Websites in Lausanne.",
        regions=["ch-fr", "ch-fr"],
        languages=["fr", "en"],
        categories=["website", "consulting"],
        actor=carol,
    )

    partner.refresh_from_db()
    assert (partner.public_name, partner.regions, partner.languages) == (
        "Studio Carol Web",
        ["ch-fr"],
        ["en", "fr"],
    )
    assert proposals.subscribed_categories(partner) == ["consulting", "website"]
    event = AuditEvent.objects.get(action="partner.settings_updated")
    assert event.data["categories"] == ["consulting", "website"]


def test_partner_memberships_lists_only_active_partner_organizations(
    carol: User, studio_carol: Organization
) -> None:
    make_partner(studio_carol)
    inactive = OrganizationFactory.create(name="Old Partner")
    make_partner(inactive, active=False)
    MembershipFactory.create(organization=inactive, user=carol, role=Role.LEGAL_REPRESENTATIVE)
    plain = OrganizationFactory.create(name="A plain customer")
    MembershipFactory.create(organization=plain, user=carol, role=Role.LEGAL_REPRESENTATIVE)

    assert [m.organization for m in proposals.partner_memberships(carol)] == [studio_carol]


# --- Races (PostgreSQL) -------------------------------------------------------------------------

RACE_ROUNDS = 10


def _at_once(*actions: Any) -> list[BaseException | None]:
    """Run the actions in threads (each with its own connection) released at the same instant;
    what each raised, or None."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(actions), timeout=30)
    outcomes: list[BaseException | None] = [None] * len(actions)

    def run(index: int) -> None:
        try:
            barrier.wait()
            actions[index]()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "deadlock"
    return outcomes


def _postgres_only() -> pytest.MarkDecorator:
    from django.db import connection

    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers, so no race happens",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@_postgres_only()
def test_two_members_proposing_at_once_make_one_proposal(
    carol: User, studio_carol: Organization, alice: User, acme: Organization
) -> None:
    partner = make_partner(studio_carol)
    colleague = UserFactory.create()
    MembershipFactory.create(organization=studio_carol, user=colleague, role=Role.ADMINISTRATOR)
    for n in range(RACE_ROUNDS):
        offer = make_offer(acme, created_by=alice, title=f"Race {n}")

        outcomes = _at_once(
            lambda offer=offer: proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol),
            lambda offer=offer: proposals.do_send_proposal(
                partner, offer, {"message": "Mine"}, actor=colleague
            ),
        )

        assert Proposal.objects.filter(request=offer).count() == 1
        refused = [o for o in outcomes if o is not None]
        assert len(refused) == 1, outcomes
        assert isinstance(refused[0], proposals.ProposalRefused)
        assert (
            Notification.objects.filter(
                kind="offer_proposal_received", key__startswith="offer-proposal:"
            ).count()
            == n + 1
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@_postgres_only()
def test_a_proposal_racing_a_cancellation_is_made_before_it_or_refused(
    carol: User, studio_carol: Organization, alice: User, acme: Organization
) -> None:
    from offers import services

    partner = make_partner(studio_carol)
    for n in range(RACE_ROUNDS):
        offer = make_offer(acme, created_by=alice, title=f"Race {n}")

        outcomes = _at_once(
            lambda offer=offer: proposals.do_send_proposal(partner, offer, PROPOSAL, actor=carol),
            lambda offer=offer: services.do_cancel_request(offer, actor=alice),
        )

        offer.refresh_from_db()
        assert offer.status == OfferRequest.Status.CANCELLED
        assert outcomes[1] is None
        proposal = Proposal.objects.filter(request=offer).first()
        if proposal is None:
            assert isinstance(outcomes[0], proposals.ProposalRefused), outcomes
        else:
            # Made under the request's row lock, so the cancellation's update waited for it: the
            # proposal's audit event was written first (ids come from one sequence).
            assert outcomes[0] is None
            sent = AuditEvent.objects.get(
                action="offer_request.proposal_sent", target_id=str(proposal.pk)
            )
            cancelled = AuditEvent.objects.get(
                action="offer_request.cancelled", target_id=str(offer.pk)
            )
            assert sent.pk < cancelled.pk
