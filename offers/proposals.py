"""The partner side of offer requests: which request a partner may open, its settings, the
proposals and reports it sends, and staff moderation (partner status, hiding a request).

Every rule that decides whether a partner reaches a customer lives here or in `offers.matching`,
so the pages, the API and the admin cannot disagree:

- a partner opens a request that matches its subscriptions (`offer_for_partner`); the request's
  contact details only while `OfferRequest.is_valid()` — afterwards the same look-up still finds
  it, and the caller shows "no longer valid" without them;
- a proposal only while the request is valid, one per partner (the row lock on the request makes
  "valid" and "not yet proposed" true at the moment of writing, not only when the page was read);
- a report once per partner, while the request is valid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.audit import record_event
from core.outbox import send_email
from offers.audit_actions import OfferAction
from offers.matching import partner_accepts
from offers.models import OfferRequest, PartnerSubscription, Proposal, Report
from organizations.models import Membership, PartnerProfile


class ProposalRefused(ValidationError):
    """The request ended, or this partner proposed already: the message says which."""


class ReportRefused(ValidationError):
    """The request ended, or this partner reported it already."""


NO_LONGER_VALID = _("This request is no longer valid: it was cancelled, closed or has expired.")


# --- Looking up ---------------------------------------------------------------------------------


def subscribed_categories(partner: PartnerProfile) -> list[str]:
    return list(
        PartnerSubscription.objects.filter(partner=partner)
        .order_by("category")
        .values_list("category", flat=True)
    )


def offer_for_partner(partner: PartnerProfile, pk: int) -> OfferRequest | None:
    """The request `pk` if this partner may open its page at all, else None (a 404).

    A partner opens the requests that match its subscriptions (category, and region and language
    where given) — valid or not, so an old email link says "no longer valid" instead of "not
    found" — and those it proposed on or reported even if it changed its subscriptions since.
    Whether the contact details show is the caller's second question: `offer.is_valid()`.
    Never its own organization's requests, never anything for an inactive partner.
    """
    if not partner.is_active:
        return None
    offer = (
        OfferRequest.objects.exclude(organization_id=partner.organization_id)
        .filter(pk=pk)
        .select_related("organization")
        .first()
    )
    if offer is None:
        return None
    if partner_accepts(partner, offer, set(subscribed_categories(partner))):
        return offer
    involved = (
        Proposal.objects.filter(partner=partner, request=offer).exists()
        or Report.objects.filter(partner=partner, request=offer).exists()
    )
    return offer if involved else None


def partner_memberships(user: Any) -> QuerySet[Membership]:
    """The user's memberships of organizations with an active partner status, by name."""
    return (
        Membership.objects.for_user(user)
        .filter(organization__partner_profile__is_active=True)
        .select_related("organization", "organization__partner_profile")
        .order_by("organization__name", "organization__pk")
    )


# --- The partner's settings ---------------------------------------------------------------------


def do_update_partner_settings(
    partner: PartnerProfile,
    *,
    public_name: str,
    description: str,
    regions: list[str],
    languages: list[str],
    categories: list[str],
    actor: User,
) -> PartnerProfile:
    """Save what customers and the matching know of the partner, and its subscriptions, together
    (a request posted meanwhile sees either the old settings or the new ones)."""
    with transaction.atomic():
        partner = PartnerProfile.objects.select_for_update().get(pk=partner.pk)
        partner.public_name = public_name
        partner.description = description
        partner.regions = sorted(set(regions))
        partner.languages = sorted(set(languages))
        partner.save(update_fields=["public_name", "description", "regions", "languages"])
        wanted = set(categories)
        PartnerSubscription.objects.filter(partner=partner).exclude(category__in=wanted).delete()
        have = set(subscribed_categories(partner))
        PartnerSubscription.objects.bulk_create(
            [PartnerSubscription(partner=partner, category=c) for c in sorted(wanted - have)]
        )
        record_event(
            OfferAction.PARTNER_SETTINGS_UPDATED,
            actor=actor,
            target=partner,
            organization_id=partner.organization_id,
            data={
                "categories": sorted(wanted),
                "regions": partner.regions,
                "languages": partner.languages,
            },
        )
    return partner


# --- Proposals ----------------------------------------------------------------------------------


def _customer_recipients(offer: OfferRequest) -> list[User]:
    """Who hears of a proposal: the person who posted the request and the legal representatives
    of its organization (active accounts, each once)."""
    people: dict[int, User] = {}
    creator = offer.created_by
    if creator is not None and creator.is_active:
        people[creator.pk] = creator
    for membership in (
        Membership.objects.filter(organization_id=offer.organization_id)
        .legal_representatives()
        .select_related("user")
    ):
        people.setdefault(membership.user.pk, membership.user)
    return list(people.values())


def do_send_proposal(
    partner: PartnerProfile, offer: OfferRequest, data: dict[str, Any], *, actor: User
) -> Proposal:
    """Send the partner's proposal (message, price estimate, timeline) and tell the customer.

    Refused (`ProposalRefused`) when the request is no longer valid or this partner proposed
    already; `PermissionDenied` when the partner may not see the request at all (inactive, not
    subscribed). The request's row is locked first, so a cancellation at the same moment either
    comes before (the proposal is refused) or after (the proposal was made while valid).
    """
    with transaction.atomic():
        offer = (
            OfferRequest.objects.select_for_update(of=("self",))
            .select_related("organization", "created_by")
            .get(pk=offer.pk)
        )
        if offer_for_partner(partner, offer.pk) is None:
            raise PermissionDenied
        if not offer.is_valid():
            raise ProposalRefused(NO_LONGER_VALID, code="no_longer_valid")
        if Proposal.objects.filter(request=offer, partner=partner).exists():
            raise ProposalRefused(
                _("Your organization sent a proposal for this request already."),
                code="already_proposed",
            )
        price = data.get("price_estimate")
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    request=offer,
                    partner=partner,
                    author=actor,
                    message=str(data["message"]).strip(),
                    price_estimate=Decimal(price) if price is not None else None,
                    timeline=str(data.get("timeline") or "").strip(),
                )
        except IntegrityError as exc:  # another member of the partner, a moment earlier
            raise ProposalRefused(
                _("Your organization sent a proposal for this request already."),
                code="already_proposed",
            ) from exc
        record_event(
            OfferAction.OFFER_REQUEST_PROPOSAL_SENT,
            actor=actor,
            target=proposal,
            organization_id=partner.organization_id,
            data={"request": offer.pk},
        )
        url = reverse("offers:request-detail", args=[offer.organization.slug, offer.pk])
        for person in _customer_recipients(offer):
            send_email(
                "offer_proposal_received",
                to_user=person,
                key=f"offer-proposal:{proposal.pk}:{person.pk}",
                context={
                    "name": person.get_full_name() or person.email,
                    "title": offer.title,
                    "partner": partner.public_name,
                    "author": actor.get_full_name() or actor.email,
                    "author_email": actor.email,
                    "message": proposal.message,
                    "price_estimate": proposal.price_estimate,
                    "timeline": proposal.timeline,
                    "url": url,
                },
            )
    return proposal


# --- Reports and moderation ---------------------------------------------------------------------


def do_report_request(
    partner: PartnerProfile, offer: OfferRequest, reason: str, *, actor: User
) -> Report:
    """Tell staff a request is spam or abusive (once per partner, while the request is valid);
    staff see it on the request in the admin and may hide it."""
    reason = reason.strip()[:500]
    with transaction.atomic():
        offer = OfferRequest.objects.select_for_update().get(pk=offer.pk)
        if offer_for_partner(partner, offer.pk) is None:
            raise PermissionDenied
        if not offer.is_valid():
            raise ReportRefused(NO_LONGER_VALID, code="no_longer_valid")
        if not reason:
            raise ReportRefused(_("Say why you report this request."), code="required")
        if Report.objects.filter(request=offer, partner=partner).exists():
            raise ReportRefused(
                _("Your organization reported this request already."), code="already_reported"
            )
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    request=offer, partner=partner, reporter=actor, reason=reason
                )
        except IntegrityError as exc:
            raise ReportRefused(
                _("Your organization reported this request already."), code="already_reported"
            ) from exc
        record_event(
            OfferAction.OFFER_REQUEST_REPORTED,
            actor=actor,
            target=offer,
            organization_id=partner.organization_id,
            data={"report": report.pk},
        )
    return report


def do_hide_request(offer: OfferRequest, *, actor: User) -> None:
    """Staff moderation: the request disappears from the partners' interface and API at once
    (`is_valid()` is false from now on, so its contact details are gone too), and its open
    reports count as resolved. Hiding twice changes nothing the second time."""
    with transaction.atomic():
        offer = OfferRequest.objects.select_for_update().get(pk=offer.pk)
        if offer.hidden_at is not None:
            return
        now = timezone.now()
        offer.hidden_at = now
        offer.save(update_fields=["hidden_at"])
        Report.objects.filter(request=offer, resolved_at=None).update(resolved_at=now)
        record_event(
            OfferAction.OFFER_REQUEST_HIDDEN,
            actor=actor,
            target=offer,
            organization_id=offer.organization_id,
        )


def do_resolve_reports(reports: QuerySet[Report], *, actor: User) -> int:
    """Staff looked at these reports and keep the requests: mark them resolved. Returns how many
    were still open."""
    with transaction.atomic():
        open_reports = list(reports.filter(resolved_at=None).select_related("request"))
        Report.objects.filter(pk__in=[r.pk for r in open_reports]).update(
            resolved_at=timezone.now()
        )
        for report in open_reports:
            record_event(
                OfferAction.OFFER_REQUEST_REPORT_RESOLVED,
                actor=actor,
                target=report.request,
                organization_id=report.request.organization_id,
                data={"report": report.pk},
            )
    return len(open_reports)


def do_set_partner_status(partner: PartnerProfile, *, active: bool, actor: User) -> bool:
    """Staff grant or withdraw partner status. Withdrawn, the partner sees no request and gets no
    excerpt from now on. Returns whether anything changed."""
    with transaction.atomic():
        partner = PartnerProfile.objects.select_for_update().get(pk=partner.pk)
        if partner.is_active == active:
            return False
        partner.is_active = active
        partner.save(update_fields=["is_active"])
        record_event(
            OfferAction.PARTNER_STATUS_GRANTED if active else OfferAction.PARTNER_STATUS_WITHDRAWN,
            actor=actor,
            target=partner,
            organization_id=partner.organization_id,
        )
    return True
