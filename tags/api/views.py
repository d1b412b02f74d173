"""Tags and tagged products over the REST API, with the API's scoping
(`tokens.api.views.OrganizationViewSet`): the organization comes from the credential, a tag or
product of another organization is a 404, and the person's role decides what they may change
(`can_manage_tags`: collaborators and externals only read tags here, 403 `role_not_allowed`).

- `GET/POST /api/v1/tags/`, `GET/PATCH/DELETE /api/v1/tags/<slug>/` — scope "products" (or
  "products-read" for reading);
- `GET /api/v1/products/?tag=<slug>&tag=<slug>` — the products the person may see that carry every
  tag named (an unknown tag matches nothing; copies count once; more than
  `tags.filtering.MAX_FILTER_TAGS` distinct tags is a 400, as the web list caps them).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Product
from core.api import Conflict, Unprocessable
from tags import colours, filtering, services
from tags.api.serializers import TagFilterSerializer, TaggedProductSerializer, TagSerializer
from tags.models import Tag
from tokens.api.views import OrganizationViewSet

SCOPES = ("products", "products-read")


def _as_drf_error(error: ValidationError) -> Exception:
    """A service's refusal in the API's terms: a name taken is 409 `already_exists` and a colour
    no text reads on is 422 `unreadable_colour` (the request is what the schema allows, so not a
    400); anything else 400 with the fields."""
    codes = {e.code for errors in error.error_dict.values() for e in errors}
    message = " ".join(m for messages in error.message_dict.values() for m in messages)
    if services.EXISTS in codes:
        return Conflict(message, code="already_exists")
    if services.UNREADABLE in codes:
        return Unprocessable(message, code="unreadable_colour")
    return serializers.ValidationError(error.message_dict)


class TagViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationViewSet,
):
    required_scope = SCOPES
    allow_app_passwords = True
    write_capability = "can_manage_tags"
    model = Tag
    serializer_class = TagSerializer
    lookup_field = "slug"

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        membership = self.membership
        visible = (
            Q() if membership.can_see_all_products else Q(products__assignees=membership.user_id)
        )
        counted: QuerySet[Any] = queryset.annotate(
            product_count=Count("products", filter=visible, distinct=True)
        ).order_by("name", "pk")
        return counted

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.do_create_tag(
                self.membership,
                data["name"],
                data.get("colour", colours.DEFAULT_COLOUR),
                actor=self.request.user,
            )
        except ValidationError as exc:
            raise _as_drf_error(exc) from exc
        serializer.instance.product_count = 0

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Rename and/or recolour."""
        tag = self.get_object()
        serializer = self.get_serializer(tag, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.do_update_tag(
                self.membership,
                tag,
                name=data.get("name", tag.name),
                colour=data.get("colour", tag.colour),
                actor=request.user,
            )
        except ValidationError as exc:
            raise _as_drf_error(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=tag.pk)).data)

    def perform_destroy(self, instance: Tag) -> None:
        services.do_delete_tag(self.membership, instance, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "tag",
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": Tag._meta.get_field("slug").max_length,
                    },
                    "maxItems": filtering.MAX_FILTER_TAGS,
                },
                explode=True,
                description=(
                    f"A tag's slug, repeated for every tag the products must carry: at most "
                    f"{filtering.MAX_FILTER_TAGS}, more is a 400."
                ),
            )
        ]
    )
)
class TaggedProductViewSet(mixins.ListModelMixin, OrganizationViewSet):
    required_scope = SCOPES
    allow_app_passwords = True
    model = Product  # `for_member`: collaborators and externals see the products given to them
    serializer_class = TaggedProductSerializer

    def scope_queryset(self, products: QuerySet[Any]) -> QuerySet[Any]:
        params = TagFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        products = filtering.carrying_every_tag(
            products, self.organization, params.validated_data.get("tag", [])
        )
        return products.select_related("payer").prefetch_related("tags").order_by("name", "pk")
