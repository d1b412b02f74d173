"""The Newsletter API (the guide's example): mailing lists and subscribers of the token's
organization. The organization comes from the token itself, so no request can name another one:
another organization's list is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from rest_framework import mixins, viewsets

from organizations.models import Membership, Organization
from tokens.api.serializers import MailingListSerializer, SubscriberSerializer
from tokens.models import ApiToken, MailingList, Subscriber


class TokenOrganizationViewSet(viewsets.GenericViewSet):
    """Base of every organization API view: `self.organization` is the token's organization; with
    an application password (HTTP Basic), the one named by `?organization=<slug>` among the
    person's own (anything else is a 404)."""

    required_scope: str | tuple[str, ...] = ""

    @cached_property
    def organization(self) -> Any:
        """Resolved once per request (a view instance serves one request)."""
        token = self.request.auth
        if isinstance(token, ApiToken):
            return token.organization
        return get_object_or_404(
            Organization.objects.for_user(self.request.user),
            slug=self.request.query_params.get("organization", ""),
        )

    @cached_property
    def membership(self) -> Membership:
        """The person's membership of that organization: its role decides what they may change."""
        return get_object_or_404(
            Membership.objects.select_related("organization"),
            user=self.request.user,
            organization=self.organization,
        )


class MailingListViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TokenOrganizationViewSet,
):
    required_scope = "newsletter"
    allow_app_passwords = True
    serializer_class = MailingListSerializer

    def get_queryset(self) -> QuerySet[MailingList]:
        return MailingList.objects.filter(organization=self.organization).annotate(
            subscriber_count=Count("subscribers")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "organization": self.organization}

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organization=self.organization)


class SubscriberViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TokenOrganizationViewSet,
):
    required_scope = "newsletter"
    allow_app_passwords = True
    serializer_class = SubscriberSerializer

    def mailing_list(self) -> MailingList:
        return get_object_or_404(
            MailingList, organization=self.organization, pk=self.kwargs["list_pk"]
        )

    def get_queryset(self) -> QuerySet[Subscriber]:
        return Subscriber.objects.filter(mailing_list=self.mailing_list())

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if "list_pk" in self.kwargs:
            context["mailing_list"] = self.mailing_list()
        return context
