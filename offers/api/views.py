"""The read-only partner API: the offer requests a partner organization sees.

- `GET /api/v1/offers/?category=&region=&language=&budget=&ordering=newest|deadline` — the valid
  requests matching the partner's subscriptions (`offers.matching.requests_for`), paginated;
- `GET /api/v1/offers/<id>/` — one request: with its contact details while valid; afterwards
  `valid: false` and no contact details (a request the partner never matched is a 404), except
  for the partner whose proposal the customer chose (`chosen: true`), which keeps them.

Token scope "offers" (read-only), enforced by `tokens.permissions.TokenScopePermission`; the
organization comes from the token, admitted by the access layer (its policies; externals get 403
`role_not_allowed`), and it must hold an active partner status (else 403 `not_a_partner`). The
rules are those of the partner pages (`offers.proposals.offer_for_partner`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins

from offers.api.serializers import OfferFilterSerializer, PartnerOfferSerializer
from offers.categories import BUDGETS, CATEGORIES, LANGUAGES, REGIONS
from offers.matching import requests_for
from offers.models import OfferRequest, Proposal
from offers.proposals import offer_for_partner
from organizations.models import PartnerProfile
from tokens.api.views import OrganizationViewSet


class NotAPartner(exceptions.PermissionDenied):
    default_detail = _(
        "This token's organization is not in the partner programme (partner status is granted "
        "by the provider)."
    )
    default_code = "not_a_partner"


FILTERS = [
    OpenApiParameter(name, str, enum=[key for key, _label in choices])
    for name, choices in (
        ("category", CATEGORIES),
        ("region", REGIONS),
        ("language", LANGUAGES),
        ("budget", BUDGETS),
    )
] + [OpenApiParameter("ordering", str, enum=["newest", "deadline"])]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class PartnerOfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    required_scope = "offers"
    # Customers' contact details: not for the partner's externals (issue 11, finding 10).
    read_capability = "can_see_offer_requests"
    model = OfferRequest
    serializer_class = PartnerOfferSerializer
    queryset = OfferRequest.objects.none()  # for the schema; the real one is get_queryset's

    @cached_property
    def partner(self) -> PartnerProfile:
        partner = PartnerProfile.objects.filter(
            organization=self.organization, is_active=True
        ).first()
        if partner is None:
            raise NotAPartner
        return partner

    def get_serializer_context(self) -> dict[str, Any]:
        # The partner decides `chosen` (and so whether a closed request's contacts show).
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["partner"] = self.partner
        return context

    def _with_proposed(self, requests: QuerySet[OfferRequest]) -> QuerySet[OfferRequest]:
        return requests.select_related("chosen_proposal").annotate(
            proposed=Exists(Proposal.objects.filter(request=OuterRef("pk"), partner=self.partner))
        )

    def get_queryset(self) -> QuerySet[OfferRequest]:
        """Not the base's `for_member`: a partner reads other organizations' requests, the ones
        that matched its subscriptions (`offers.matching.requests_for`)."""
        if getattr(self, "swagger_fake_view", False):
            return OfferRequest.objects.none()
        partner = self.partner  # 403 before anything else for a non-partner
        params = OfferFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters: dict[str, Any] = dict(params.validated_data)
        ordering = filters.pop("ordering", "newest")
        requests = self._with_proposed(requests_for(partner).filter(**filters))
        if ordering == "deadline":
            return requests.order_by(F("deadline").asc(nulls_last=True), "-created_at", "-pk")
        return requests.order_by("-created_at", "-pk")

    def get_object(self) -> OfferRequest:
        found = offer_for_partner(self.partner, int(self.kwargs["pk"]))
        if found is None:
            raise exceptions.NotFound
        offer = get_object_or_404(
            self._with_proposed(OfferRequest.objects.select_related("organization")), pk=found.pk
        )
        self.check_object_permissions(self.request, offer)
        return offer
