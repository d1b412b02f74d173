"""Every change to a customer's offer requests: post, cancel (by the email link), close, delete,
choose a proposal, and the daily expiry.

The guide: posting is free and reaches "tutti i Partner ... che desiderano ricevere questo tipo di
domanda" with an excerpt; the confirmation email carries a link that cancels the request, and
"l'effetto è immediato": the request leaves the partners' interface at once. Partners see the
contact details only while the request `is_valid()`, so every change here that ends a request is a
single conditional UPDATE on `status="open"`: two clicks, two workers or a click racing the
expiry end it once, and only the winner writes the audit event and the emails.

Refusals a person can act on are `ValidationError`s with a message (`OfferLimitReached`,
`OfferRateLimited`, `RequestEnded`); acting without the right role is `PermissionDenied`.
"""

from __future__ import annotations

import contextlib
import math
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.models import User
from core import ratelimit
from core.audit import record_event
from core.badges import Badge
from core.outbox import send_email
from offers.audit_actions import OfferAction
from offers.categories import (
    BUDGETS,
    CATEGORIES,
    DEFAULT_VALIDITY_DAYS,
    LANGUAGES,
    MAX_VALIDITY_DAYS,
    REGIONS,
)
from offers.links import cancellation_url
from offers.matching import partners_for
from offers.models import OfferRequest, Proposal
from organizations import access
from organizations.models import Membership, Organization, PartnerProfile, Role

MAX_OPEN_REQUESTS = 3
DESCRIPTION_MAX_LENGTH = 5000  # the model's max_length, which a TextField does not enforce
RATE_LIMIT = "offer-post"  # settings.RATE_LIMITS

# The fields of a request the poster chooses (`data` of `do_post_request`).
REQUEST_FIELDS = (
    "title",
    "description",
    "category",
    "budget",
    "deadline",
    "region",
    "language",
    "contact_name",
    "contact_email",
    "contact_phone",
)

# Who in a partner organization hears about requests and outcomes.
PARTNER_RECIPIENT_ROLES = (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

Status = OfferRequest.Status


class OfferLimitReached(ValidationError):
    """The organization has as many open requests as it may have."""

    def __init__(self) -> None:
        super().__init__(
            ngettext(
                "Your organization already has %(n)d open request. Close it once you have "
                "found a solution, then post a new one.",
                "Your organization already has %(n)d open requests, the most it can have. Close "
                "one once you have found a solution, then post a new one.",
                MAX_OPEN_REQUESTS,
            )
            % {"n": MAX_OPEN_REQUESTS},
            code="offer_limit",
        )


class OfferRateLimited(ValidationError):
    """The person posted too many requests in a short time."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        hours = max(1, math.ceil(retry_after / 3600))
        super().__init__(
            ngettext(
                "You posted several requests in a short time. You can post again in %(n)d hour.",
                "You posted several requests in a short time. You can post again in %(n)d hours.",
                hours,
            )
            % {"n": hours},
            code="offer_rate_limited",
        )


class RequestEnded(ValidationError):
    """The request is no longer open: nothing to close, cancel or choose."""

    def __init__(self, offer: OfferRequest) -> None:
        super().__init__(ended_message(offer), code="offer_ended")


# --- Reading ------------------------------------------------------------------------------------


def effective_status(offer: OfferRequest, today: date | None = None) -> str:
    """The status a person should see: an open request past its last day is expired, even before
    the daily task has marked it so."""
    today = today or timezone.localdate()
    if offer.status == Status.OPEN and offer.valid_until < today:
        return Status.EXPIRED
    return str(offer.status)


STATUS_BADGES: dict[str, Badge] = {
    Status.OPEN: Badge(pgettext_lazy("offer request status", "Open"), "ok"),
    Status.EXPIRED: Badge(pgettext_lazy("offer request status", "Expired"), "danger"),
}
CLOSED_BADGE = Badge(pgettext_lazy("offer request status", "Closed"))


def status_badge(status: str) -> Badge:
    """The badge of an `effective_status`: cancelled, closed and deleted requests are all closed
    to the person reading."""
    return STATUS_BADGES.get(status, CLOSED_BADGE)


def ended_message(offer: OfferRequest) -> str:
    status = effective_status(offer)
    if status == Status.CANCELLED:
        return _("This request is closed already.")
    if status == Status.CLOSED:
        return _("This request is closed already.")
    if status == Status.EXPIRED:
        return _("This request has expired.")
    return ""


def can_manage(membership: Membership, offer: OfferRequest) -> bool:
    """The one who posted, legal representatives and administrators close, delete and choose."""
    return offer.organization_id == membership.organization_id and (
        offer.created_by_id == membership.user_id or membership.can_edit_organization
    )


def open_count(organization: Organization, today: date | None = None) -> int:
    """Requests that count against `MAX_OPEN_REQUESTS`: open and still within their validity
    (one past its last day frees its place even before the daily task marks it expired). A
    request staff hid keeps its place until the customer closes it or it expires: hiding an
    abusive request must not make room for the next one."""
    today = today or timezone.localdate()
    return OfferRequest.objects.filter(
        organization=organization, status=Status.OPEN, valid_until__gte=today
    ).count()


def excerpt_of(offer: OfferRequest) -> dict[str, Any]:
    """What a partner's excerpt email shows: the request's fixed fields, nothing the customer
    wrote. Free text can carry contact details in more spellings than any mask knows ("mario at
    rossi dot ch", a full-width at sign, zero-width characters, a link), and a partner may see the
    contacts only while the request is valid, on its page in the portal, whereas an email stays
    in the inbox for good (issue 12, finding 14)."""
    return {
        "category": dict(CATEGORIES).get(offer.category, offer.category),
        "budget": dict(BUDGETS).get(offer.budget, offer.budget),
        "region": dict(REGIONS).get(offer.region, "") if offer.region else "",
        "language": dict(LANGUAGES).get(offer.language, offer.language),
        "deadline": offer.deadline,
        "valid_until": offer.valid_until,
    }


# --- Posting ------------------------------------------------------------------------------------


def _rate_limit(actor: User) -> None:
    """Count one post of this person (per person, so creating organizations does not help)."""
    verdict = ratelimit.attempt(RATE_LIMIT, f"user:{actor.pk}")
    if not verdict.allowed:
        raise OfferRateLimited(verdict.retry_after)


def validity_message() -> str:
    return ngettext(
        "Choose a validity from 1 to %(max)d day.",
        "Choose a validity from 1 to %(max)d days.",
        MAX_VALIDITY_DAYS,
    ) % {"max": MAX_VALIDITY_DAYS}


def validity_error(days: Any) -> str | None:
    """Why `days` is not a validity a request may have (1 to 90 days), or None."""
    if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_VALIDITY_DAYS:
        return None
    return validity_message()


def deadline_error(day: date | None, today: date | None = None) -> str | None:
    """Why `day` cannot be the wished deadline (it is in the past), or None."""
    if day is not None and day < (today or timezone.localdate()):
        return _("Choose today or a later day, or leave the deadline empty.")
    return None


def _checked(data: dict[str, Any], today: date) -> tuple[int, dict[str, Any]]:
    """The validity in days and the request's fields; field errors of the rules a model field
    cannot say (validity, past deadline, description length) as one `ValidationError`."""
    days = data.get("validity_days")
    days = DEFAULT_VALIDITY_DAYS if days is None else days
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days)
    fields = {f: data[f] for f in REQUEST_FIELDS if data.get(f) is not None}
    errors: dict[str, str] = {}
    if message := validity_error(days):
        errors["validity_days"] = message
    if message := deadline_error(fields.get("deadline"), today):
        errors["deadline"] = message
    if len(str(fields.get("description", ""))) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = ngettext(
            "Keep the description under %(n)d character.",
            "Keep the description under %(n)d characters.",
            DESCRIPTION_MAX_LENGTH,
        ) % {"n": DESCRIPTION_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    return days, fields


def do_post_request(membership: Membership, data: dict[str, Any], *, actor: User) -> OfferRequest:
    """Post a request for free on behalf of `membership`'s organization (any member but an
    external: `Membership.can_see_offer_requests`, checked by the access layer).

    Refused with `OfferLimitReached` when the organization has `MAX_OPEN_REQUESTS` open requests
    (counted with the organization's row locked, so two posts at once cannot both take the last
    place), with `OfferRateLimited` when the person posts too often, with a `ValidationError` per
    field on bad input. Then, in the same transaction: the audit event, the confirmation email
    with the cancellation link (to the contact address, in the poster's language) and one excerpt
    email per matching partner to its legal representatives and administrators.
    """
    if membership.user_id != actor.pk:
        raise PermissionDenied
    access.require(membership, "can_see_offer_requests")
    today = timezone.localdate()
    days, fields = _checked(data, today)
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=membership.organization_id)
        if not Membership.objects.filter(pk=membership.pk, user__is_active=True).exists():
            raise PermissionDenied
        offer = OfferRequest(
            organization=org,
            created_by=actor,
            valid_until=today + timedelta(days=days),
            **fields,
        )
        offer.full_clean()
        if open_count(org, today) >= MAX_OPEN_REQUESTS:
            raise OfferLimitReached
        _rate_limit(actor)
        offer.save()
        record_event(
            OfferAction.OFFER_REQUEST_POSTED,
            actor=actor,
            target=offer,
            organization_id=org.pk,
            data={"category": offer.category, "valid_until": offer.valid_until.isoformat()},
        )
        _send_to_contact(offer, "offer_request_posted", key=f"offer-posted:{offer.pk}")
        for partner in partners_for(offer):
            _send_excerpt(offer, partner)
    return offer


def _send_to_contact(offer: OfferRequest, template: str, *, key: str) -> None:
    """Email the request's contact address in the language of the person who posted it."""
    poster = offer.created_by
    same_person = poster is not None and poster.email == User.objects.normalize_email(
        offer.contact_email
    )
    send_email(
        template,
        key=key,
        to=offer.contact_email,
        to_user=poster if same_person else None,
        language=getattr(poster, "language", None),
        one_time_link=True,  # the cancellation link
        context={
            "title": offer.title,
            "organization": offer.organization.name,
            "category": dict(CATEGORIES).get(offer.category, offer.category),
            "valid_until": offer.valid_until,
            "cancel_url": cancellation_url(offer),
            "url": reverse("offers:request-detail", args=[offer.organization.slug, offer.pk]),
            "new_url": reverse("offers:request-create", args=[offer.organization.slug]),
        },
    )


def _partner_recipients(partner: PartnerProfile) -> list[User]:
    memberships = Membership.objects.filter(
        organization_id=partner.organization_id,
        role__in=PARTNER_RECIPIENT_ROLES,
        user__is_active=True,
    ).select_related("user")
    return [m.user for m in memberships.order_by("user_id")]


def _send_excerpt(offer: OfferRequest, partner: PartnerProfile) -> None:
    context = {
        **excerpt_of(offer),
        "partner": partner.public_name,
        "url": reverse("partners:offer-detail", args=[offer.pk]),
    }
    for user in _partner_recipients(partner):
        send_email(
            "offer_request_excerpt",
            to_user=user,
            key=f"offer-excerpt:{offer.pk}:{partner.pk}:{user.pk}",
            context=context,
        )


# --- Ending a request ---------------------------------------------------------------------------


def _require_manager(offer: OfferRequest, actor: User) -> None:
    membership = Membership.objects.filter(
        organization_id=offer.organization_id, user=actor, user__is_active=True
    ).first()
    if membership is None or not can_manage(membership, offer):
        raise PermissionDenied(
            _(
                "Only the person who posted the request, legal representatives and "
                "administrators can close or delete it, or choose a proposal."
            )
        )


def _end(offer: OfferRequest, status: str) -> bool:
    """Move a running request (open, within its validity) to `status` with one conditional
    UPDATE; True for the one caller that did it. Refreshes `offer` either way."""
    now = timezone.now()
    running = OfferRequest.objects.filter(
        pk=offer.pk, status=Status.OPEN, valid_until__gte=timezone.localdate(now)
    )
    changed = running.update(status=status, ended_at=now) == 1
    _refresh(offer)
    return changed


def _refresh(offer: OfferRequest) -> None:
    # Deleted meanwhile: there is nothing left to change.
    with contextlib.suppress(OfferRequest.DoesNotExist):
        offer.refresh_from_db()


def do_cancel_request(offer: OfferRequest, *, actor: User | None = None) -> bool:
    """Cancel through the email link (no sign-in: `actor` may be None) or from the portal.

    The effect is immediate: from the commit on, `is_valid()` is False and partners no longer
    see the request or its contact details. False (nothing changed) when it was not open any
    more: cancelled or closed already, or past its validity.
    """
    with transaction.atomic():
        if not _end(offer, Status.CANCELLED):
            return False
        record_event(
            OfferAction.OFFER_REQUEST_CANCELLED,
            actor=actor,
            target=offer,
            organization_id=offer.organization_id,
            data={"via": "portal" if getattr(actor, "pk", None) else "email link"},
        )
    return True


def do_close_request(offer: OfferRequest, *, actor: User, by_staff: bool = False) -> bool:
    """Close a request "once you have found a solution" — or, `by_staff`, as moderation from the
    admin (whose permissions already checked the staff member). False when it had ended."""
    if not by_staff:
        _require_manager(offer, actor)
    with transaction.atomic():
        if not _end(offer, Status.CLOSED):
            return False
        record_event(
            OfferAction.OFFER_REQUEST_CLOSED,
            actor=actor,
            target=offer,
            organization_id=offer.organization_id,
            data={"by": "staff"} if by_staff else None,
        )
    return True


def do_delete_request(offer: OfferRequest, *, actor: User) -> None:
    """Delete a request with its proposals, whatever its status. Partners lose it at once; the
    audit event keeps its title."""
    _require_manager(offer, actor)
    with transaction.atomic():
        proposals = offer.proposals.count()
        record_event(
            OfferAction.OFFER_REQUEST_DELETED,
            actor=actor,
            target=offer,
            organization_id=offer.organization_id,
            data={"status": offer.status, "proposals": proposals},
        )
        OfferRequest.objects.filter(pk=offer.pk).delete()


def do_choose_proposal(proposal: Proposal, *, actor: User) -> None:
    """Choose a proposal: the request is closed (also one that expired waiting for proposals)
    and every partner who proposed is told whether theirs was chosen. Refused with
    `RequestEnded` when the request was cancelled or closed already."""
    offer = proposal.request
    _require_manager(offer, actor)
    with transaction.atomic():
        now = timezone.now()
        changed = (
            OfferRequest.objects.filter(
                pk=offer.pk, status__in=[Status.OPEN, Status.EXPIRED]
            ).update(status=Status.CLOSED, ended_at=now, chosen_proposal=proposal)
            == 1
        )
        _refresh(offer)
        if not changed:
            raise RequestEnded(offer)
        record_event(
            OfferAction.OFFER_REQUEST_PROPOSAL_CHOSEN,
            actor=actor,
            target=offer,
            organization_id=offer.organization_id,
            data={"proposal": proposal.pk, "partner": proposal.partner.public_name},
        )
        for each in offer.proposals.select_related("partner", "author"):
            _send_outcome(offer, each, chosen=each.pk == proposal.pk)
        _send_chosen_to_customer(offer, proposal)


def _customer_contact(offer: OfferRequest) -> dict[str, str]:
    return {
        "organization": offer.organization.name,
        "name": offer.contact_name,
        "email": offer.contact_email,
        "phone": offer.contact_phone,
    }


def _send_chosen_to_customer(offer: OfferRequest, proposal: Proposal) -> None:
    """The customer's record of the choice, with the partner's contact details, at the request's
    contact address (in the language of whoever posted it)."""
    organization = proposal.partner.organization
    author = proposal.author
    send_email(
        "offer_proposal_chosen",
        to=offer.contact_email,
        language=getattr(offer.created_by, "language", None),
        key=f"offer-chosen:{offer.pk}",
        context={
            "name": offer.contact_name,
            "title": offer.title,
            "partner": proposal.partner.public_name,
            "author_name": author.get_full_name() if author else "",
            "author_email": author.email if author else "",
            "partner_email": organization.email,
            "partner_phone": organization.phone,
            "url": reverse("offers:request-detail", args=[offer.organization.slug, offer.pk]),
        },
    )


def _send_outcome(offer: OfferRequest, proposal: Proposal, *, chosen: bool) -> None:
    """The partner's author of the proposal and its legal representatives and administrators."""
    recipients = {u.pk: u for u in _partner_recipients(proposal.partner)}
    author = proposal.author
    if author is not None and author.is_active:
        recipients.setdefault(author.pk, author)
    for user in recipients.values():
        send_email(
            "offer_proposal_outcome",
            to_user=user,
            key=f"offer-outcome:{proposal.pk}:{user.pk}",
            context={
                "chosen": chosen,
                "title": offer.title,
                "partner": proposal.partner.public_name,
                "sent_at": proposal.created_at,
                # The chosen partner works with the customer now: the email says how to reach
                # them (the others get no contact).
                "contact": _customer_contact(offer) if chosen else None,
                "url": reverse("partners:offer-detail", args=[offer.pk]),
            },
        )


# --- The daily task -----------------------------------------------------------------------------


def expire_requests(today: date | None = None) -> int:
    """Mark open requests past their last day as expired and tell the customer, once.

    Each request is claimed with its own conditional UPDATE and transaction: a second run, a
    retried task or a customer cancelling at the same moment never doubles the email, and one
    failure does not hold back the others. Returns how many requests this call expired.
    """
    today = today or timezone.localdate()
    due = OfferRequest.objects.filter(status=Status.OPEN, valid_until__lt=today)
    expired = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            claimed = OfferRequest.objects.filter(
                pk=pk, status=Status.OPEN, valid_until__lt=today
            ).update(status=Status.EXPIRED, ended_at=timezone.now())
            if not claimed:
                continue
            offer = OfferRequest.objects.select_related("organization", "created_by").get(pk=pk)
            record_event(
                OfferAction.OFFER_REQUEST_EXPIRED,
                actor=None,
                target=offer,
                organization_id=offer.organization_id,
            )
            _send_to_contact(offer, "offer_request_expired", key=f"offer-expired:{offer.pk}")
            expired += 1
    return expired
