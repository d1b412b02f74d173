"""The Newsletter API (the guide's example): mailing lists and subscribers of the token's
organization. The organization comes from the credential (`OrganizationViewSet`), so no request
can name another one: another organization's list is a 404."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Count, Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from core.api import Conflict
from organizations import access
from organizations.models import Membership, Organization
from tokens import services
from tokens.api.serializers import MailingListSerializer, SubscriberSerializer
from tokens.models import MailingList, Subscriber


@contextmanager
def quota_as_409() -> Iterator[None]:
    """A newsletter quota refusal as 409 `quota_exceeded`, with the service's message: the
    request itself is what the schema allows, what exists already forbids it."""
    try:
        yield
    except services.QuotaExceeded as exc:
        raise Conflict(str(exc), code="quota_exceeded") from exc


class OrganizationViewSet(viewsets.GenericViewSet[Any]):
    """Base of every organization API view: the one place that scopes it (ARCHITECTURE.md rule 1).

    - The organization is the one the credential was admitted for by the access layer: the
      token's own, or with an application password (HTTP Basic) the one named by
      `?organization=<slug>` among the person's own (`security.api_auth`); none is a 404.
    - The role: `read_capability` for GET/HEAD/OPTIONS and `write_capability` for the other
      methods name capability properties of `Membership`; a lower role gets 403
      `role_not_allowed` before any handler runs.
    - The objects: `get_queryset` starts from `model.objects.for_member(membership)`, so no
      endpoint can serve another organization's object; `scope_queryset` narrows or annotates.
    """

    required_scope: str | tuple[str, ...] = ""
    model: type[Model]
    read_capability: str | None = None
    write_capability: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, token scope, throttles
        capability = (
            self.read_capability if request.method in SAFE_METHODS else self.write_capability
        )
        if capability is not None and not access.allows(self.membership, capability):
            raise access.RoleNotAllowed

    @cached_property
    def membership(self) -> Membership:
        """The person's membership of that organization: its role decides what they may do."""
        membership: Membership | None = getattr(self.request.auth, "membership", None)
        if membership is None:
            raise NotFound
        return membership

    @property
    def organization(self) -> Organization:
        return self.membership.organization

    def get_queryset(self) -> QuerySet[Any]:
        # Every model of the API is organization-owned (OrganizationOwnedQuerySet): for_member.
        objects: Any = self.model._default_manager
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn without a request
            none: QuerySet[Any] = objects.none()
            return none
        return self.scope_queryset(objects.for_member(self.membership))

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The endpoint's narrowing or annotations of the member's objects."""
        return queryset


class NewsletterViewSet(OrganizationViewSet):
    """Mailing lists hold subscribers' addresses: externals do not read them, and only legal
    representatives and administrators change them (issue 11, finding 10)."""

    required_scope = "newsletter"
    allow_app_passwords = True
    read_capability = "can_read_newsletter"
    write_capability = "can_manage_newsletter"


class MailingListViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    NewsletterViewSet,
):
    model = MailingList
    serializer_class = MailingListSerializer

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        counted: QuerySet[Any] = queryset.annotate(subscriber_count=Count("subscribers"))
        return counted

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "organization": self.organization}

    def perform_create(self, serializer: Any) -> None:
        with quota_as_409():
            serializer.instance = services.do_create_mailing_list(
                self.organization, serializer.validated_data["name"]
            )
        serializer.instance.subscriber_count = 0


class SubscriberViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    NewsletterViewSet,
):
    model = Subscriber
    serializer_class = SubscriberSerializer

    def mailing_list(self) -> MailingList:
        return get_object_or_404(
            MailingList.objects.for_member(self.membership), pk=self.kwargs["list_pk"]
        )

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(mailing_list=self.mailing_list())

    def perform_create(self, serializer: Any) -> None:
        with quota_as_409():
            serializer.save()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if "list_pk" in self.kwargs:
            context["mailing_list"] = self.mailing_list()
        return context
