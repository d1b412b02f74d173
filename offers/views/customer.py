"""The offer requests of an organization (`/orgs/<slug>/offers/`) and the cancellation link.

Organization pages resolve the request through the member's organization (another
organization's request is a 404); any member but an external
(`Membership.can_see_offer_requests`) posts and reads, the one who posted, legal
representatives and administrators close, delete and choose (`services.can_manage`, others 403).
The cancellation link works without signing in: its GET shows one button and changes nothing
(mail scanners open links), its POST cancels.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from accounts.models import User
from offers import services
from offers.forms import OfferRequestForm
from offers.links import offer_from_cancellation_token
from offers.matching import partners_for
from offers.models import OfferRequest, Proposal
from organizations.access import org_member_required
from organizations.models import Membership

PAGE_SIZE = 20


def _offer_of(membership: Membership, pk: int) -> OfferRequest:
    return get_object_or_404(
        OfferRequest.objects.for_member(membership).select_related("organization", "created_by"),
        pk=pk,
    )


def _managed_offer_of(membership: Membership, pk: int) -> OfferRequest:
    """The request, when this member may close, delete or choose (404 first, then 403)."""
    offer = _offer_of(membership, pk)
    if not services.can_manage(membership, offer):
        raise PermissionDenied(
            _(
                "Only the person who posted the request, legal representatives and "
                "administrators can close or delete it, or choose a proposal."
            )
        )
    return offer


def _page(
    request: HttpRequest, membership: Membership, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    return render(
        request,
        template,
        {"membership": membership, "org": membership.organization, **context},
        status=status,
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@org_member_required(capability="can_see_offer_requests")
def request_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    offers = (
        OfferRequest.objects.for_member(membership)
        .annotate(proposal_count=Count("proposals"))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    for offer in page.object_list:
        offer.shown_status = services.effective_status(offer)
        offer.shown_badge = services.status_badge(offer.shown_status)
    open_count = services.open_count(membership.organization)
    return _page(
        request,
        membership,
        "offers/request_list.html",
        page=page,
        open_count=open_count,
        max_open=services.MAX_OPEN_REQUESTS,
        limit_reached=open_count >= services.MAX_OPEN_REQUESTS,
    )


def _posted_message(offer: OfferRequest) -> str:
    """Say how many partners the request reached: "partners are told" when none matches
    misleads the customer into waiting (issue 13, defect 1)."""
    reached = len(partners_for(offer))
    sent = _(
        "Your request is posted. We sent a confirmation to %(email)s with a link to close it."
    ) % {"email": offer.contact_email}
    if not reached:
        return (
            sent
            + " "
            + _(
                "No partner takes this category yet: partners who join while the request is valid "
                "will find it in their list."
            )
        )
    return (
        sent
        + " "
        + ngettext(
            "%(n)d partner who takes this category was told.",
            "%(n)d partners who take this category were told.",
            reached,
        )
        % {"n": reached}
    )


@org_member_required(capability="can_see_offer_requests")
def request_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    user = _user(request)
    form = OfferRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.do_post_request(membership, form.service_data(), actor=user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _posted_message(offer))
            return redirect("offers:request-detail", membership.organization.slug, offer.pk)
    open_count = services.open_count(membership.organization)
    return _page(
        request,
        membership,
        "offers/request_create.html",
        status=400 if form.errors else 200,
        form=form,
        limit_reached=open_count >= services.MAX_OPEN_REQUESTS,
        max_open=services.MAX_OPEN_REQUESTS,
    )


def _add_errors(form: OfferRequestForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@org_member_required(capability="can_see_offer_requests")
def request_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    offer = _offer_of(membership, pk)
    proposals = offer.proposals.select_related("partner__organization", "author").order_by(
        "created_at", "pk"
    )
    status = services.effective_status(offer)
    can_manage = services.can_manage(membership, offer)
    return _page(
        request,
        membership,
        "offers/request_detail.html",
        offer=offer,
        proposals=proposals,
        shown_status=status,
        shown_badge=services.status_badge(status),
        can_manage=can_manage,
        is_running=status == OfferRequest.Status.OPEN,
        can_choose=can_manage
        and offer.status in (OfferRequest.Status.OPEN, OfferRequest.Status.EXPIRED),
    )


@org_member_required(capability="can_see_offer_requests")
def request_close(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    offer = _managed_offer_of(membership, pk)
    slug = membership.organization.slug
    if request.method == "POST":
        if services.do_close_request(offer, actor=_user(request)):
            messages.success(
                request,
                _("The request “%(title)s” is closed. Partners no longer see it.")
                % {"title": offer.title},
            )
        else:
            messages.info(request, services.ended_message(offer))
        return redirect("offers:request-detail", slug, offer.pk)
    if services.effective_status(offer) != OfferRequest.Status.OPEN:
        messages.info(request, services.ended_message(offer))
        return redirect("offers:request-detail", slug, offer.pk)
    return _page(request, membership, "offers/request_close.html", offer=offer)


@org_member_required(capability="can_see_offer_requests")
def request_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    offer = _managed_offer_of(membership, pk)
    if request.method == "POST":
        services.do_delete_request(offer, actor=_user(request))
        messages.success(request, _("The request “%(title)s” is deleted.") % {"title": offer.title})
        return redirect("offers:request-list", membership.organization.slug)
    return _page(
        request,
        membership,
        "offers/request_delete.html",
        offer=offer,
        proposal_count=offer.proposals.count(),
        is_running=services.effective_status(offer) == OfferRequest.Status.OPEN,
    )


@org_member_required(capability="can_see_offer_requests")
def proposal_choose(
    request: HttpRequest, membership: Membership, pk: int, proposal_pk: int
) -> HttpResponse:
    offer = _managed_offer_of(membership, pk)
    proposal = get_object_or_404(
        Proposal.objects.for_member(membership).select_related("partner"),
        request=offer,
        pk=proposal_pk,
    )
    slug = membership.organization.slug
    if request.method == "POST":
        try:
            services.do_choose_proposal(proposal, actor=_user(request))
        except ValidationError as exc:
            messages.info(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "You chose the proposal of %(partner)s. The request is closed and every "
                    "partner who proposed is told."
                )
                % {"partner": proposal.partner.public_name},
            )
        return redirect("offers:request-detail", slug, offer.pk)
    if offer.status not in (OfferRequest.Status.OPEN, OfferRequest.Status.EXPIRED):
        messages.info(request, services.ended_message(offer))
        return redirect("offers:request-detail", slug, offer.pk)
    return _page(
        request,
        membership,
        "offers/request_choose.html",
        offer=offer,
        proposal=proposal,
        other_count=offer.proposals.exclude(pk=proposal.pk).count(),
    )


@never_cache
def cancel_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the confirmation email: no sign-in, one button, no change on GET."""
    offer = offer_from_cancellation_token(token)
    if offer is None:
        response = render(request, "offers/cancel_invalid.html", status=404)
    else:
        if request.method == "POST":
            # The link is the authority, not whoever happens to be signed in: no actor.
            if services.do_cancel_request(offer, actor=None):
                messages.success(
                    request,
                    _("Your request is closed. Partners no longer see it or your details."),
                )
            else:
                messages.info(
                    request, _("Nothing changed: %(why)s") % {"why": services.ended_message(offer)}
                )
            return redirect("offers:cancel-by-link", token)
        response = render(
            request,
            "offers/cancel_request.html",
            {"offer": offer, "shown_status": services.effective_status(offer)},
        )
    # The token is the authority to cancel: keep it out of Referer headers to other sites.
    # ("no-referrer" would make the browser send `Origin: null` with the form, which Django's
    # CSRF check rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response
