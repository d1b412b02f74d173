"""The partner interface (/partners/...): the offer requests matching the partner's subscriptions,
a request's page, proposals and reports, and the partner's settings.

Every view resolves the partner from the person's memberships (`partner_member_required`): an
organization with an active partner status, the one named by `?org=<slug>` or else the first by
name, admitted by the access layer (`organizations.access`: its policies, such as 2FA required,
and the role — externals see no requests). Someone in no partner organization gets a 403 that
says partner status is granted by the provider. A request the partner may not open is a 404;
one that stopped being valid shows "no longer valid" and never its contact details
(`offers.proposals.offer_for_partner`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts.http import AuthenticatedHttpRequest
from offers import proposals
from offers.matching import requests_for
from offers.models import OfferRequest, Proposal, Report
from offers.partner_forms import (
    DEADLINE,
    OfferFilterForm,
    PartnerSettingsForm,
    ProposalForm,
    ReportForm,
)
from organizations import access
from organizations.models import Membership, PartnerProfile

PAGE_SIZE = 20

NOT_A_PARTNER = gettext_lazy(
    "The offer requests for partners are for organizations in our partner programme. Partner "
    "status is granted by the provider: contact our support if your organization should become "
    "a partner."
)


@dataclass(frozen=True)
class PartnerSeat:
    """The person's membership of the partner organization the page is about."""

    membership: Membership
    partner: PartnerProfile
    others: list[Membership]  # the person's other partner organizations, to switch to

    @property
    def query(self) -> str:
        return "?" + urlencode({"org": self.membership.organization.slug})

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"partners:{name}", args=args) + self.query

    def context(self, **extra: Any) -> dict[str, Any]:
        """The template context of every partner page: the frame shows the organization's side
        navigation and names it in the title."""
        return {
            "membership": self.membership,
            "org": self.membership.organization,
            "partner": self.partner,
            "seat": self,
            **extra,
        }


PartnerView = Callable[..., HttpResponse]


def partner_member_required(view: PartnerView) -> PartnerView:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        memberships = list(proposals.partner_memberships(request.user))
        wanted = request.GET.get("org", "")
        if wanted:
            chosen = next((m for m in memberships if m.organization.slug == wanted), None)
            if chosen is None:
                # A member of a non-partner organization learns why; anyone else learns nothing.
                member = Membership.objects.for_user(request.user).filter(organization__slug=wanted)
                if member.exists():
                    raise PermissionDenied(NOT_A_PARTNER)
                raise Http404
        elif memberships:
            chosen = memberships[0]
        else:
            raise PermissionDenied(NOT_A_PARTNER)
        # The access layer, as on every organization page: the partner organization's policies
        # (2FA required: a redirect to set it up), then the role (externals see no requests).
        refused = access.admit(request, chosen, capability="can_see_offer_requests", policies=True)
        if refused is not None:
            return refused
        seat = PartnerSeat(
            membership=chosen,
            partner=chosen.organization.partner_profile,
            others=[m for m in memberships if m.pk != chosen.pk],
        )
        return view(request, seat, *args, **kwargs)

    return wrapper


# --- The list -----------------------------------------------------------------------------------


def _sorted(requests: QuerySet[OfferRequest], sort: str) -> QuerySet[OfferRequest]:
    if sort == DEADLINE:
        return requests.order_by(F("deadline").asc(nulls_last=True), "-created_at", "-pk")
    return requests.order_by("-created_at", "-pk")


@partner_member_required
def offer_list(request: HttpRequest, seat: PartnerSeat) -> HttpResponse:
    categories = proposals.subscribed_categories(seat.partner)
    form = OfferFilterForm(request.GET, categories=categories)
    filters = form.filters()
    requests = (
        requests_for(seat.partner)
        .filter(**filters)
        .annotate(
            proposed=Exists(Proposal.objects.filter(request=OuterRef("pk"), partner=seat.partner))
        )
    )
    page = Paginator(_sorted(requests, form.sort_key()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "offers/partner_offer_list.html",
        seat.context(
            form=form,
            page=page,
            categories=categories,
            filtered=bool(filters),
        ),
    )


# --- One request --------------------------------------------------------------------------------


def _offer_or_404(seat: PartnerSeat, pk: int) -> OfferRequest:
    offer = proposals.offer_for_partner(seat.partner, pk)
    if offer is None:
        raise Http404
    return offer


def _render_offer(
    request: HttpRequest,
    seat: PartnerSeat,
    offer: OfferRequest,
    *,
    proposal_form: ProposalForm | None = None,
    report_form: ReportForm | None = None,
) -> HttpResponse:
    """The request's page: the full request with its contacts while valid, or once the customer
    chose this partner's proposal; otherwise only that it is no longer valid (nothing the
    customer wrote)."""
    if offer.chose(seat.partner):
        return render(
            request,
            "offers/partner_offer_chosen.html",
            seat.context(
                offer=offer,
                proposal=offer.chosen_proposal,
                list_url=seat.url("offer-list"),
            ),
        )
    if not offer.is_valid():
        return render(
            request,
            "offers/partner_offer_ended.html",
            seat.context(offer=offer, list_url=seat.url("offer-list")),
        )
    proposal = Proposal.objects.filter(request=offer, partner=seat.partner).first()
    report = Report.objects.filter(request=offer, partner=seat.partner).first()
    return render(
        request,
        "offers/partner_offer_detail.html",
        seat.context(
            offer=offer,
            proposal=proposal,
            report=report,
            proposal_form=proposal_form
            or (ProposalForm(prefix="proposal") if not proposal else None),
            report_form=report_form or (ReportForm(prefix="report") if not report else None),
            list_url=seat.url("offer-list"),
            propose_url=seat.url("offer-propose", offer.pk),
            report_url=seat.url("offer-report", offer.pk),
        ),
    )


@never_cache
@partner_member_required
def offer_detail(request: HttpRequest, seat: PartnerSeat, pk: int) -> HttpResponse:
    offer = proposals.offer_for_partner(seat.partner, pk)
    if offer is None and "org" not in request.GET:
        # An email link names no organization: a person in several partner organizations lands
        # on the one the request reached.
        for other in seat.others:
            if proposals.offer_for_partner(other.organization.partner_profile, pk) is not None:
                query = urlencode({"org": other.organization.slug})
                return redirect(reverse("partners:offer-detail", args=[pk]) + "?" + query)
    if offer is None:
        raise Http404
    return _render_offer(request, seat, offer)


def _send_on_valid_offer(
    request: HttpRequest,
    seat: PartnerSeat,
    pk: int,
    *,
    form_class: type[ProposalForm | ReportForm],
    prefix: str,
    ended: str,
    send: Callable[[OfferRequest, dict[str, Any]], object],
    refused: type[ValidationError],
    sent: str,
) -> HttpResponse:
    """What proposing and reporting share: POST only, only while the request is valid (else
    `ended` is said), the form's errors shown on the request page, then the service `send`,
    whose refusal (`refused`) or success (`sent`) is said on the request page."""
    offer = _offer_or_404(seat, pk)
    detail_url = seat.url("offer-detail", offer.pk)
    if request.method != "POST":
        return redirect(detail_url)
    if not offer.is_valid():
        messages.error(request, ended)
        return redirect(detail_url)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        return _render_offer(request, seat, offer, **{f"{prefix}_form": form})  # type: ignore[arg-type]
    try:
        send(offer, form.cleaned_data)
    except refused as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, sent)
    return redirect(detail_url)


@never_cache
@partner_member_required
def offer_propose(request: AuthenticatedHttpRequest, seat: PartnerSeat, pk: int) -> HttpResponse:
    return _send_on_valid_offer(
        request,
        seat,
        pk,
        form_class=ProposalForm,
        prefix="proposal",
        ended=_("This request is no longer valid: your proposal was not sent."),
        send=lambda offer, data: proposals.do_send_proposal(
            seat.partner,
            offer,
            data,
            actor=request.user,
        ),
        refused=proposals.ProposalRefused,
        sent=_("Your proposal is sent. The customer receives it by email."),
    )


@never_cache
@partner_member_required
def offer_report(request: AuthenticatedHttpRequest, seat: PartnerSeat, pk: int) -> HttpResponse:
    return _send_on_valid_offer(
        request,
        seat,
        pk,
        form_class=ReportForm,
        prefix="report",
        ended=_("This request is no longer valid: there is nothing to report."),
        send=lambda offer, data: proposals.do_report_request(
            seat.partner,
            offer,
            data["reason"],
            actor=request.user,
        ),
        refused=proposals.ReportRefused,
        sent=_("Thank you: our staff will look at this request."),
    )


# --- Settings -----------------------------------------------------------------------------------


@partner_member_required
def partner_settings(request: AuthenticatedHttpRequest, seat: PartnerSeat) -> HttpResponse:
    if not seat.membership.can_edit_organization:
        raise PermissionDenied(
            _("Only legal representatives and administrators change the partner settings.")
        )
    partner = seat.partner
    initial = {
        "public_name": partner.public_name,
        "description": partner.description,
        "categories": proposals.subscribed_categories(partner),
        "regions": partner.regions,
        "languages": partner.languages,
    }
    form = PartnerSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        proposals.do_update_partner_settings(
            partner,
            actor=request.user,
            **form.cleaned_data,
        )
        messages.success(request, _("The partner settings are saved."))
        return redirect(seat.url("settings"))
    return render(request, "offers/partner_settings.html", seat.context(form=form))
